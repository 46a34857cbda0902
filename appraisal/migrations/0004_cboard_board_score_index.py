from django.db import migrations, models


class Migration(migrations.Migration):
    """The calibration board's list, highest score first (lane cboard): a partial index on
    the rated appraisals, so a page walks it and stops instead of sorting them all."""

    dependencies = [
        ("appraisal", "0003_calib_deadlines"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="appraisal",
            index=models.Index(
                models.OrderBy(models.F("final_score"), descending=True, nulls_last=True),
                models.F("id"),
                condition=models.Q(
                    ("proposed_score__isnull", False), ("status__in", ["calibration", "finalized"])
                ),
                name="appraisal_board_score_idx",
            ),
        ),
    ]
