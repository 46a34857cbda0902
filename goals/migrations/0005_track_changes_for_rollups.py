from django.db import migrations

from perfcycle.rollups import track_tables


class Migration(migrations.Migration):
    """Writes to the goals table (planning readiness on HR home's cycle health) move the
    roll-up stamp (perfcycle/rollups.py), so the stored health is computed again."""

    dependencies = [
        ("goals", "0004_protect_stage_foreign_keys"),
        ("perfcycle", "0006_rollups_and_change_log"),
    ]

    operations = [
        track_tables("goals_goal"),
    ]
