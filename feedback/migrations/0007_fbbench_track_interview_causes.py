from django.db import migrations

from perfcycle.rollups import track_tables


class Migration(migrations.Migration):
    """Writes to the causes named in interviews move the roll-up stamp
    (perfcycle/rollups.py), so HR's stored root-cause report is computed again."""

    dependencies = [
        ("feedback", "0006_plans_one_running_plan"),
    ]

    operations = [
        track_tables("feedback_interview_root_causes"),
    ]
