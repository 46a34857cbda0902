"""The only writers of notifications (in-app messages that double as the email outbox).

``notify`` tells one person, ``notify_many`` many (one outbox row each, in bulk). Both
are called inside the change's transaction: the rows commit with the change. Email
delivery is the outbox's job (``perfcycle.tasks``); the request path never waits on the
broker per notification.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from perfcycle.audit import Subject, record_event
from perfcycle.models import Notification, SentReminder
from perfcycle.workflow import SYSTEM, insert_new

logger = logging.getLogger(__name__)

TITLE_MAX = 200


def _user_id(recipient) -> int:
    return recipient if isinstance(recipient, int) else recipient.pk


def notify(*, recipient, title: str, body: str = "", url: str = "", email: bool = True):
    """Create one in-app notification; its email goes out after commit (outbox)."""
    note = Notification.objects.create(
        recipient=recipient,
        title=str(title)[:TITLE_MAX],
        body=str(body),
        url=url,
        send_email=email and bool(recipient.email),
    )
    if note.send_email:
        transaction.on_commit(lambda: enqueue_emails([note.pk]))
    return note


def notify_many(
    *, recipients: Iterable, title: str, body: str = "", url: str = "", email: bool = False
) -> list[Notification]:
    """The same message to many people: one row each, written in bulk.

    ``recipients`` are users (or user ids). With ``email=True`` only recipients with an
    address get an email, sent by the outbox after commit."""
    users = list(recipients)
    if not users:
        return []
    with_email: set[int] = set()
    if email:
        with_email = {_user_id(u) for u in users if not isinstance(u, int) and u.email}
        ids = [u for u in users if isinstance(u, int)]
        if ids:
            from django.contrib.auth import get_user_model

            with_email |= set(
                get_user_model()
                .objects.filter(pk__in=ids)
                .exclude(email="")
                .values_list("pk", flat=True)
            )
    rows = [
        Notification(
            recipient_id=_user_id(u),
            title=str(title)[:TITLE_MAX],
            body=str(body),
            url=url,
            send_email=_user_id(u) in with_email,
        )
        for u in users
    ]
    Notification.objects.bulk_create(rows, batch_size=2000)
    queued = [n.pk for n in rows if n.send_email]
    if queued:
        transaction.on_commit(lambda: enqueue_emails(queued))
    return rows


def enqueue_emails(notification_ids: list[int]) -> None:
    """Hand outbox rows to a worker. A broker outage must never turn a page into a 500:
    the rows stay in the outbox and the beat sweep sends them later."""
    from perfcycle.tasks import send_notification_emails

    try:
        send_notification_emails.delay(list(notification_ids))
    except Exception:  # noqa: BLE001 - any broker failure; the outbox sweep retries
        logger.warning(
            "Broker unavailable; %s notification(s) left in outbox", len(notification_ids)
        )


# --- Send once: reminders that must go out at most once per key ------------------------


def claim_once(kind: str, keys: Iterable[str], *, now: dt.datetime | None = None) -> set[str]:
    """Record that the reminders ``keys`` of ``kind`` are sent; returns the keys this
    call recorded (the others were sent before, or by a concurrent run). Call it inside
    the transaction that writes the notifications, so a crash rolls both back."""
    now = now or timezone.now()
    rows = [SentReminder(kind=kind, key=key, sent_at=now) for key in dict.fromkeys(keys)]
    return {row.key for row in insert_new(rows, key="key")}


@dataclass(frozen=True)
class Message:
    """One in-app notification (with email when the person has an address)."""

    user_id: int
    email: str
    title: str
    body: str = ""
    url: str = ""


def send_once(kind: str, messages: dict[str, list[Message]], *, label: str = "") -> int:
    """Send the messages of every key not sent before (one table for every stage's
    reminders); returns how many keys were sent. ``label`` names the kind in the audit
    log ("Check-in due")."""
    if not messages:
        return 0
    with transaction.atomic():
        now = timezone.now()
        claimed = claim_once(kind, messages, now=now)
        rows = [
            Notification(
                recipient_id=message.user_id,
                title=message.title[:TITLE_MAX],
                body=message.body,
                url=message.url[:300],
                created_at=now,
                send_email=bool(message.email),
            )
            for key in messages
            if key in claimed
            for message in messages[key]
        ]
        # Bulk reminders wait in the outbox for the sweep: no per-row broker call.
        Notification.objects.bulk_create(rows, batch_size=2000)
        if claimed:
            record_event(
                actor=SYSTEM,
                verb="reminders.sent",
                obj=Subject(SentReminder, kind, label or kind),
                after={"kind": kind, "sent": len(claimed), "skipped": len(messages) - len(claimed)},
            )
    return len(claimed)
