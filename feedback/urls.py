from feedback.views import carry, consensus, interviews, plans

app_name = "feedback"

# Each views module of the stage lists its own urlpatterns (feedback/views/).
urlpatterns: list = [
    # The interview: schedule, invitation (.ics), preparation, record (manager, employee).
    *interviews.urlpatterns,
    # The employee's agreement or dispute; dispute resolution (skip-level, HR).
    *consensus.urlpatterns,
    # Improvement plans.
    *plans.urlpatterns,
    # Next-cycle goal proposals and HR's overview pages.
    *carry.urlpatterns,
]
