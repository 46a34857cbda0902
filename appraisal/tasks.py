"""Appraisal tasks, run by Celery beat (schedules in ``CELERY_BEAT_SCHEDULE``).

Each takes ISO dates (JSON), re-reads what it needs and calls a service. All are
idempotent: a retry, a redelivery or a second worker changes nothing.
"""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from appraisal.services import peers

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


def _day(today: str | None) -> dt.date:
    return dt.date.fromisoformat(today) if today else timezone.localdate()


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
