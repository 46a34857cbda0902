"""Planning reminders become send-once keys in the core's table (kind
"planning_reminder", key "cycle:employee:date")."""

import datetime as dt

from django.db import migrations

KIND = "planning_reminder"


def forwards(apps, schema_editor):
    Old = apps.get_model("goals", "PlanningReminder")
    New = apps.get_model("perfcycle", "SentReminder")
    New.objects.bulk_create(
        [
            New(kind=KIND, key=f"{r.cycle_id}:{r.employee_id}:{r.date.isoformat()}", sent_at=r.sent_at)
            for r in Old.objects.iterator()
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


def backwards(apps, schema_editor):
    Old = apps.get_model("goals", "PlanningReminder")
    New = apps.get_model("perfcycle", "SentReminder")
    rows = []
    for r in New.objects.filter(kind=KIND).iterator():
        cycle_id, employee_id, day = r.key.split(":")
        rows.append(
            Old(
                cycle_id=int(cycle_id),
                employee_id=int(employee_id),
                date=dt.date.fromisoformat(day),
                sent_at=r.sent_at,
            )
        )
    Old.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0002_planningreminder"),
        ("perfcycle", "0003_sent_reminder"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="PlanningReminder"),
    ]
