from django.db import migrations

from perfcycle.rollups import track_tables


class Migration(migrations.Migration):
    """Writes to the interviews and the feedback rules move the roll-up stamp
    (perfcycle/rollups.py), so HR home's stored interview completion is computed again."""

    dependencies = [
        ("feedback", "0003_consensus_track_rollups"),
        ("perfcycle", "0007_track_department_changes"),
    ]

    operations = [
        track_tables("feedback_interview", "feedback_feedbacksettings"),
    ]
