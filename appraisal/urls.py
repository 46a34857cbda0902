from appraisal.views import calibration, hr

app_name = "appraisal"

# Each views module of the stage lists its own urlpatterns (appraisal/views/).
urlpatterns: list = [
    # Calibration, release, overdue, reopen (HR).
    *calibration.urlpatterns,
    *hr.urlpatterns,
]
