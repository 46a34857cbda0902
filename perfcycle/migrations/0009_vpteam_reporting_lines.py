from django.db import migrations

from perfcycle import reporting_lines


class Migration(migrations.Migration):
    """The reporting chain stored as (manager, report) lines at every depth, kept by
    triggers on the employee table (perfcycle/reporting_lines.py), so a manager's whole
    chain is an index read. PostgreSQL only; filled from the chart as it is."""

    dependencies = [
        ("perfcycle", "0008_interview_notification_attachments"),
    ]

    operations = [
        migrations.RunPython(reporting_lines.forwards, reporting_lines.backwards),
    ]
