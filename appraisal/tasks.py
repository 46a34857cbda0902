"""Appraisal tasks, run by Celery beat (schedules in ``CELERY_BEAT_SCHEDULE``): the
deadlines of the appraisal phase — lock the self-assessments not submitted in time, remind
reviewers (once a day at most), escalate overdue reviews to HR — and of peer input —
remind each peer once before the due date, expire what is unanswered after it.

Each takes ISO dates (JSON), re-reads what it needs and calls a service. All are
idempotent: locks skip what is locked, reminders are claimed in SentReminder before they
are sent, so a retry, a redelivery or a second worker changes nothing.
"""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from appraisal.services import closing, peers
from perfcycle.models import Cycle
from perfcycle.workflow import SYSTEM

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


def _day(today: str | None) -> dt.date:
    return dt.date.fromisoformat(today) if today else timezone.localdate()


@shared_task(bind=True, **RETRY)
def appraisal_deadlines_task(self, today: str | None = None) -> dict:
    """Returns {"locked": n, "reminded": n, "escalated": n}."""
    return closing.run_deadlines(today=_day(today))


@shared_task(bind=True, **RETRY)
def finalize_appraisals_task(self, cycle_id: int) -> dict:
    """Finalise the appraisals of a cycle that has left appraisal (the phase hook does it
    in the phase change; this re-runs it, e.g. after a partial failure). Idempotent."""
    cycle = Cycle.objects.get(pk=cycle_id)
    if cycle.phase in (Cycle.Phase.PLANNING, Cycle.Phase.IMPLEMENTATION, Cycle.Phase.APPRAISAL):
        return {"scored": 0, "not_reviewed": 0}
    return closing.finalize_appraisals(cycle=cycle, actor=SYSTEM)


# --- Peer (360°) input ------------------------------------------------------------------------


@shared_task(bind=True, **RETRY)
def peer_deadlines_task(self, today: str | None = None) -> dict:
    """Remind each peer once before their due date, then close what is still unanswered
    after it; returns {"reminded": n, "expired": n}."""
    day = _day(today)
    return {
        "reminded": peers.send_peer_reminders(today=day),
        "expired": peers.expire_peer_reviews(today=day),
    }
