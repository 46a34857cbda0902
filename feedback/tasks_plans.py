"""Improvement-plan tasks, run by Celery beat (the schedule is ``CELERY_BEAT_SCHEDULE``,
"feedback-plan-schedule"): once a day, agreed plans start on their start day, both sides
are reminded of a check-point before it (once each), and check-points not recorded a week
after their date are marked missed. Idempotent: reminders are claimed in SentReminder
before they are sent, the moves skip what already moved."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from feedback.services import plans

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(bind=True, **RETRY)
def plan_schedule_task(self, today: str | None = None) -> dict:
    """Returns {"activated": n, "reminded": n, "missed": n}."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return plans.run_plan_schedule(today=day)
