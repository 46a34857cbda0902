from implementation.views import checkins, deviations, evidence

app_name = "implementation"

urlpatterns = [*checkins.urlpatterns, *evidence.urlpatterns, *deviations.urlpatterns]
