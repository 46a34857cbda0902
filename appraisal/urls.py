from appraisal.views import peers

app_name = "appraisal"

# Each views module of the stage lists its own urlpatterns (appraisal/views/).
urlpatterns: list = [
    *peers.urlpatterns,
]
