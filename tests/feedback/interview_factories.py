"""Interview factories: a released organisation (tests/feedback/factories.py) with the
employee's interview scheduled through the stage's own service."""

import datetime as dt

from django.utils import timezone

from feedback.services.interviews import Record, Slot, schedule_interview
from tests.appraisal.factories import appraisal_of


def slot(*, days: int = 2, hour: int = 10, minutes: int = 60, location="Room 4.12", link=""):
    day = timezone.localdate() + dt.timedelta(days=days)
    starts = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))
    return Slot(starts_at=starts, duration_minutes=minutes, location=location, video_link=link)


def schedule(org, person=None, **kw):
    person = person or org.employee
    return schedule_interview(
        actor=org.manager.user, appraisal=appraisal_of(org, person), slot=slot(**kw)
    )


def record(**kw) -> Record:
    data = {
        "held_on": timezone.localdate(),
        "achievements": "Shipped the billing migration on time.",
        "deficiencies": "Code reviews were often late.",
        "root_causes": [],
        "root_cause_note": "",
        "expectations": "Reviews within two working days.",
        "agreed_actions": "Block review time every morning.",
    }
    data.update(kw)
    return Record(**data)


def causes(*names):
    """HR's root causes by name (made if a transactional test emptied the seeded list)."""
    from feedback.models import RootCause

    return [
        RootCause.objects.get_or_create(name=name, defaults={"position": n})[0]
        for n, name in enumerate(names)
    ]
