from django.db import migrations

from perfcycle.rollups import track_columns


class Migration(migrations.Migration):
    """A change row of its own (``appraisal_appraisal.status``) for the writes that add,
    remove or move an appraisal between statuses, beside the table's (every write): a
    manager's stored team list (appraisal/selectors/assessment.py ``team_scope``) reads
    only those, so it survives the drafts saved all day (a version bump)."""

    dependencies = [
        ("appraisal", "0007_fbemp_released_department_index"),
        ("perfcycle", "0010_vpteam2_track_user_names"),
    ]

    operations = [
        track_columns(
            "appraisal_appraisal", "status", "participation_id", source="appraisal_appraisal.status"
        ),
    ]
