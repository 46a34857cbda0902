from django.db import migrations

from perfcycle.rollups import track_tables


class Migration(migrations.Migration):
    """Writes to the answers and disputes move the roll-up stamp (perfcycle/rollups.py), so
    HR home's stored consensus health (feedback.selectors.consensus.consensus_health) is
    computed again."""

    dependencies = [
        ("feedback", "0002_root_causes"),
        ("perfcycle", "0006_rollups_and_change_log"),
    ]

    operations = [track_tables("feedback_acknowledgement", "feedback_dispute")]
