"""HR's starting list of root causes of unqualified performance (HR edits it later)."""

from django.db import migrations

CAUSES = [
    ("Skills", "The knowledge or skills the work needs are not there yet."),
    ("Resources", "Time, tools, budget or people were missing."),
    ("Process", "The way the work is organised got in the way."),
    ("Goal clarity", "What was expected was not clear or changed."),
    ("Workload", "Too much work for the time available."),
    ("Motivation", "Engagement or interest in the work was low."),
    ("Other", "A cause not on this list (say which in the interview record)."),
]


def add_causes(apps, schema_editor):
    RootCause = apps.get_model("feedback", "RootCause")
    for position, (name, description) in enumerate(CAUSES):
        RootCause.objects.get_or_create(
            name=name, defaults={"description": description, "position": position * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [migrations.RunPython(add_causes, migrations.RunPython.noop)]
