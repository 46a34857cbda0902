"""Reminder send-once keys move to the core's table (one table for every stage)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Old = apps.get_model("implementation", "SentReminder")
    New = apps.get_model("perfcycle", "SentReminder")
    New.objects.bulk_create(
        [New(kind=r.kind, key=r.key, sent_at=r.sent_at) for r in Old.objects.iterator()],
        batch_size=2000,
        ignore_conflicts=True,
    )


def backwards(apps, schema_editor):
    Old = apps.get_model("implementation", "SentReminder")
    New = apps.get_model("perfcycle", "SentReminder")
    kinds = ["checkin_due", "checkin_overdue", "manager_digest", "follow_up"]
    Old.objects.bulk_create(
        [
            Old(kind=r.kind, key=r.key, sent_at=r.sent_at)
            for r in New.objects.filter(kind__in=kinds).iterator()
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("implementation", "0001_initial"),
        ("perfcycle", "0003_sent_reminder"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="SentReminder"),
    ]
