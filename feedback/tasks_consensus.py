"""Consensus deadlines, run daily by Celery beat (the integrator merges this module into
feedback/tasks.py; beat entry ``feedback-consensus-deadlines``): remind each employee once
before their answer is due, record "no response" after it (never agreement), remind each
dispute's decider once before its due date and tell HR once of each overdue dispute.

The task takes an ISO date (JSON), re-reads what it needs and calls the service. It is
idempotent: answers move only from pending, reminders are claimed in SentReminder before
they are sent, so a retry, a redelivery or a second worker changes nothing.
"""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from feedback.services import consensus

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(bind=True, **RETRY)
def consensus_deadlines_task(self, today: str | None = None) -> dict:
    """Returns {"reminded", "no_response", "dispute_reminders", "escalated"} counts."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return consensus.run_deadlines(today=day)
