from appraisal.views import assessment, calibration, hr, peers, settings

app_name = "appraisal"

# Each views module of the stage lists its own urlpatterns (appraisal/views/).
urlpatterns: list = [
    *assessment.urlpatterns,
    # Peer (360°) input.
    *peers.urlpatterns,
    # Calibration, release, overdue, reopen (HR).
    *calibration.urlpatterns,
    *hr.urlpatterns,
    # The cycle's appraisal rules (HR).
    *settings.urlpatterns,
]
