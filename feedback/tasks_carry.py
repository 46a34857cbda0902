"""Next-cycle goals, run by Celery beat (``CELERY_BEAT_SCHEDULE`` "feedback-carry-over"):
the sweep that carries the goals agreed in held interviews into the person's next cycle
once it is in planning — for an interview recorded after its person joined the next
cycle, or an enrolment whose hook failed. Idempotent: what is carried is never carried
again (row locks and the unique carried goal), so a retry or a second worker creates
nothing.

(To be merged into feedback/tasks.py: the explicit task name stays the same.)"""

from celery import shared_task
from django.db import OperationalError

from feedback.services.carry import sweep_carry_over

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(bind=True, name="feedback.tasks.carry_over_sweep", **RETRY)
def carry_over_sweep(self) -> dict:
    """Returns {"carried": n}."""
    return {"carried": sweep_carry_over()}
