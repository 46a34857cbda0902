from django.db import migrations

from perfcycle.rollups import track_tables


class Migration(migrations.Migration):
    """Writes to the departments (a rename, a new one) move the roll-up stamp
    (perfcycle/rollups.py), so the stored check-in participation per department is
    computed again with the new names."""

    dependencies = [
        ("perfcycle", "0006_rollups_and_change_log"),
    ]

    operations = [
        track_tables("perfcycle_department"),
    ]
