"""Core Celery tasks: the email outbox and a health check."""

import logging

from celery import shared_task
from django.db import connection
from django.utils import timezone

from perfcycle import services
from perfcycle.models import Notification

logger = logging.getLogger(__name__)

OUTBOX_CHUNK = 500
MAX_EMAIL_ATTEMPTS = 5


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(self, notification_id: int) -> bool:
    return services.deliver_notification_email(notification_id=notification_id)


@shared_task
def deliver_pending_emails() -> int:
    """Sweep the outbox: emails whose enqueue failed (broker down) or whose send failed."""
    ids = list(
        Notification.objects.filter(
            send_email=True, emailed_at__isnull=True, email_attempts__lt=MAX_EMAIL_ATTEMPTS
        )
        .order_by("created_at")
        .values_list("id", flat=True)[:OUTBOX_CHUNK]
    )
    sent = 0
    for notification_id in ids:
        try:
            sent += services.deliver_notification_email(notification_id=notification_id)
        except OSError:
            logger.warning("Email for notification %s failed; will retry", notification_id)
    return sent


@shared_task
def health_check() -> dict:
    """Proves a worker can reach the database; returns what it saw."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        db_ok = cursor.fetchone()[0] == 1
    return {"database": db_ok, "time": timezone.now().isoformat()}
