app_name = "appraisal"

# Each views module of the stage lists its own urlpatterns (appraisal/views/).
urlpatterns: list = []
