from django.db import migrations

from perfcycle.rollups import track_tables


class Migration(migrations.Migration):
    """Writes to calibration adjustments move the roll-up stamp (perfcycle/rollups.py):
    HR's appraisal progress stores its counts, "calibrated" among them."""

    dependencies = [
        ("appraisal", "0004_cboard_board_score_index"),
    ]

    operations = [
        track_tables("appraisal_calibrationadjustment"),
    ]
