from django.db import migrations, models


class Migration(migrations.Migration):
    """HR's interview completion, by department and name (lane fbemp): a partial index on
    the released appraisals by their stored department, so a page reads and sorts only the
    departments it spans instead of every released appraisal of the cycle."""

    dependencies = [
        ("appraisal", "0006_consensus_rating_revisions"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="appraisal",
            index=models.Index(
                fields=["department_name"],
                condition=models.Q(("released_at__isnull", False)),
                name="appraisal_released_dept_idx",
            ),
        ),
    ]
