"""Core Celery tasks: the email outbox, the phase scheduler and a health check."""

import datetime as dt
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.mail import get_connection
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.utils import timezone

from perfcycle import phases, rollups, services
from perfcycle.models import Notification

logger = logging.getLogger(__name__)

OUTBOX_CHUNK = 500
# At most this many chunks are fanned out to the workers per sweep (25,000 emails a
# minute with the beat interval of 60 s); the rest waits for the next sweep.
MAX_FANOUT_CHUNKS = 50
MAX_EMAIL_ATTEMPTS = services.MAX_EMAIL_ATTEMPTS
# Consecutive SMTP/network errors after which a chunk stops (the server is down): the
# rest of the chunk keeps its attempts for later instead of burning them all now.
MAX_CONSECUTIVE_SMTP_ERRORS = 3

# The email tasks are idempotent (a row is claimed before it is sent, see
# services.deliver_notification_email), so a redelivery after a lost worker is safe:
# acks_late and reject_on_worker_lost. Even a message that kills the worker process each
# time cannot loop forever: every claim counts an attempt and the row fails after the
# last. A database error retries the task (2, 4, 8 … s, at most 120 s: retry countdowns
# stay below the broker's visibility timeout, see settings) instead of waiting for the
# next sweep.
EMAIL_TASK = {
    "autoretry_for": (DatabaseError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 120,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(bind=True, **EMAIL_TASK)
def send_notification_email(self, notification_id: int) -> bool:
    try:
        return services.deliver_notification_email(notification_id=notification_id)
    except OSError:
        return False  # recorded on the row; the sweep retries it after its backoff


@shared_task(bind=True, ignore_result=True, **EMAIL_TASK)
def send_notification_emails(self, notification_ids: list[int]) -> int:
    """Send a chunk of outbox emails (each at most once, see deliver_notification_email).
    No result is stored: the request path enqueues this and must touch only the broker."""
    return _send_chunk(notification_ids)


def _send_chunk(notification_ids) -> int:
    """Send these outbox rows over one SMTP connection; returns how many were sent."""
    sent = errors = 0
    smtp = get_connection()
    try:
        for notification_id in notification_ids:
            try:
                sent += services.deliver_notification_email(
                    notification_id=notification_id, connection=smtp
                )
                errors = 0
            except OSError:
                smtp.close()  # reconnect for the next one
                errors += 1
                if errors >= MAX_CONSECUTIVE_SMTP_ERRORS:
                    logger.warning("Mail server unavailable; the rest of the chunk waits")
                    break
    except SoftTimeLimitExceeded:
        # The one in flight retries after its lease; the others were not touched.
        logger.warning("Email chunk out of time after %s sent; the rest waits", sent)
    finally:
        smtp.close()
    return sent


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_pending_emails() -> int:
    """Sweep the outbox: emails whose enqueue failed (broker down), whose send failed and
    is due again, or that bulk jobs (nightly reminders) left there on purpose. Rows not
    yet due (backoff, or claimed by a worker now) and failed rows are skipped, so one bad
    row never holds up the others.

    The oldest chunk is sent here; the next chunks are fanned out to the workers so a
    night's 50,000 reminders leave in minutes, not hours. Returns the emails sent here."""
    ids = list(
        Notification.objects.filter(
            send_email=True,
            email_status=Notification.EmailStatus.PENDING,
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[: OUTBOX_CHUNK * (MAX_FANOUT_CHUNKS + 1)]
    )
    first, rest = ids[:OUTBOX_CHUNK], ids[OUTBOX_CHUNK:]
    for start in range(0, len(rest), OUTBOX_CHUNK):
        try:
            send_notification_emails.apply_async(
                args=[rest[start : start + OUTBOX_CHUNK]], retry=False
            )
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


@shared_task(ignore_result=True)
def prune_rollup_changes() -> int:
    """Keep the roll-ups' change log short (perfcycle/rollups.py): hourly."""
    return rollups.prune()


@shared_task
def health_check() -> dict:
    """Proves a worker can reach the database; returns what it saw."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        db_ok = cursor.fetchone()[0] == 1
    return {"database": db_ok, "time": timezone.now().isoformat()}
