from appraisal.views import assessment, peers

app_name = "appraisal"

# Each views module of the stage lists its own urlpatterns (appraisal/views/).
urlpatterns: list = [*assessment.urlpatterns, *peers.urlpatterns]
