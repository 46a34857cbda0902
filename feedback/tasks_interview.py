"""The interview's beat task (integrator: merge into feedback/tasks.py): the reminder
the day before, to the employee and the manager. Idempotent: each reminder is claimed in
SentReminder before it is sent, so a retry or a second worker sends nothing more."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from feedback.services.interviews import send_interview_reminders

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(bind=True, **RETRY)
def interview_reminders_task(self, today: str | None = None) -> int:
    """Returns how many interviews were reminded."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return send_interview_reminders(today=day)
