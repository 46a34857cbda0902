"""Core Celery tasks: the email outbox, the phase scheduler and a health check."""

import datetime as dt
import logging

from celery import shared_task
from django.db import OperationalError, connection
from django.utils import timezone

from perfcycle import phases, services
from perfcycle.models import Notification

logger = logging.getLogger(__name__)

OUTBOX_CHUNK = 500
# At most this many chunks are fanned out to the workers per sweep (25,000 emails a
# minute with the beat interval of 60 s); the rest waits for the next sweep.
MAX_FANOUT_CHUNKS = 50
MAX_EMAIL_ATTEMPTS = 5


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(self, notification_id: int) -> bool:
    return services.deliver_notification_email(notification_id=notification_id)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(self, notification_ids: list[int]) -> int:
    """Send a chunk of outbox emails (each at most once, see deliver_notification_email)."""
    return _send_chunk(notification_ids)


def _send_chunk(notification_ids) -> int:
    sent = 0
    for notification_id in notification_ids:
        try:
            sent += services.deliver_notification_email(notification_id=notification_id)
        except OSError:
            logger.warning("Email for notification %s failed; will retry", notification_id)
    return sent


@shared_task
def deliver_pending_emails() -> int:
    """Sweep the outbox: emails whose enqueue failed (broker down), whose send failed, or
    that bulk jobs (nightly reminders) left there on purpose.

    The oldest chunk is sent here; the next chunks are fanned out to the workers so a
    night's 50,000 reminders leave in minutes, not hours. Returns the emails sent here."""
    ids = list(
        Notification.objects.filter(
            send_email=True, emailed_at__isnull=True, email_attempts__lt=MAX_EMAIL_ATTEMPTS
        )
        .order_by("created_at")
        .values_list("id", flat=True)[: OUTBOX_CHUNK * (MAX_FANOUT_CHUNKS + 1)]
    )
    first, rest = ids[:OUTBOX_CHUNK], ids[OUTBOX_CHUNK:]
    for start in range(0, len(rest), OUTBOX_CHUNK):
        try:
            send_notification_emails.delay(rest[start : start + OUTBOX_CHUNK])
        except Exception:  # noqa: BLE001 - broker down: the next sweep picks them up
            logger.warning("Broker unavailable; %s outbox emails wait", len(rest) - start)
            break
    return _send_chunk(first)


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def advance_due_phases(self, today: str | None = None) -> dict:
    """Move each cycle set to advance automatically whose phase deadline has passed one
    phase on (see perfcycle.phases); idempotent, so a retry or a second worker changes
    nothing. Returns the counts (advanced, blocked, failed, skipped)."""
    day = dt.date.fromisoformat(today) if today else None
    return phases.advance_due_phases(today=day).as_dict()


@shared_task
def health_check() -> dict:
    """Proves a worker can reach the database; returns what it saw."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        db_ok = cursor.fetchone()[0] == 1
    return {"database": db_ok, "time": timezone.now().isoformat()}
