from django.db import migrations

from perfcycle.rollups import track_columns


class Migration(migrations.Migration):
    """A change to a person's name (or a new or removed login) moves the roll-up stamp
    (perfcycle/rollups.py), so a stored list sorted by name (a manager's team
    appraisals) is computed again. Only the name columns: a login writes
    ``last_login`` on every sign-in, which no roll-up reads."""

    dependencies = [
        ("perfcycle", "0009_vpteam_reporting_lines"),
    ]

    operations = [
        track_columns("perfcycle_user", "username", "first_name", "last_name"),
    ]
