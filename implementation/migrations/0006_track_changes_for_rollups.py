from django.db import migrations

from perfcycle.rollups import track_tables


class Migration(migrations.Migration):
    """Writes to the tables implementation's cycle health reads move the roll-up stamp
    (perfcycle/rollups.py), so HR home's stored health is computed again."""

    dependencies = [
        ("implementation", "0005_list_indexes"),
        ("perfcycle", "0006_rollups_and_change_log"),
    ]

    operations = [
        track_tables(
            "implementation_checkin",
            "implementation_checkinsettings",
            "implementation_deviation",
            "implementation_evidence",
        ),
    ]
