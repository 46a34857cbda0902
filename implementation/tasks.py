"""Implementation tasks, run by Celery beat (schedules in ``CELERY_BEAT_SCHEDULE``):
open the check-ins of the current period, mark missed ones, detect deviations, and send
check-in reminders, overdue nudges, follow-up reminders and the managers' weekly digest.

Each takes ids and ISO dates (JSON), re-reads what it needs and calls a service. All are
idempotent, so a retry, a redelivery or a second worker changes nothing: check-ins and
deviations have unique keys, reminders are claimed in SentReminder before they are sent.
"""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from implementation.services import checkins, deviations, reminders
from perfcycle.models import Cycle

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


def _day(today: str | None) -> dt.date:
    return dt.date.fromisoformat(today) if today else timezone.localdate()


@shared_task(bind=True, **RETRY)
def open_checkins_task(self, cycle_id: int | None = None, today: str | None = None) -> int:
    """Create the current period's check-ins in one cycle, or in every cycle in
    implementation; returns how many were created."""
    cycles = Cycle.objects.filter(phase=Cycle.Phase.IMPLEMENTATION).order_by("pk")
    if cycle_id is not None:
        cycles = cycles.filter(pk=cycle_id)
    return sum(checkins.open_checkins(cycle=cycle, today=_day(today)) for cycle in cycles)


@shared_task(bind=True, **RETRY)
def mark_missed_task(self, today: str | None = None) -> int:
    return checkins.mark_missed_checkins(today=_day(today))


@shared_task(bind=True, **RETRY)
def detect_deviations_task(self, today: str | None = None, cycle_id: int | None = None) -> dict:
    """Raise and close deviations; returns the counts (checked, raised, back on track…)."""
    result = deviations.detect_deviations(
        today=_day(today), cycle_ids=None if cycle_id is None else [cycle_id]
    )
    return result.as_dict()


@shared_task(bind=True, **RETRY)
def send_checkin_reminders_task(self, today: str | None = None) -> int:
    return reminders.send_checkin_reminders(today=_day(today))


@shared_task(bind=True, **RETRY)
def send_overdue_nudges_task(self, today: str | None = None) -> int:
    return reminders.send_overdue_nudges(today=_day(today))


@shared_task(bind=True, **RETRY)
def send_manager_digests_task(self, today: str | None = None) -> int:
    return reminders.send_manager_digests(today=_day(today))


@shared_task(bind=True, **RETRY)
def send_follow_up_reminders_task(self, today: str | None = None) -> int:
    return reminders.send_follow_up_reminders(today=_day(today))
