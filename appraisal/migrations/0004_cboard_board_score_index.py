from django.db import migrations, models


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """SQLite (the `make run` default) has no NULLS LAST in an index; the list is small there
    and needs none. The model state records the index on every database alike."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    """The calibration board's list, highest score first (lane cboard): a partial index on
    the rated appraisals, so a page walks it and stops instead of sorting them all."""

    dependencies = [
        ("appraisal", "0003_calib_deadlines"),
    ]

    operations = [
        AddIndexOnPostgreSQL(
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
