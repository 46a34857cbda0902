"""The only writers of notifications (in-app messages that double as the email outbox).

``notify`` tells one person, ``notify_many`` many (one outbox row each, in bulk). Both
are called inside the change's transaction: the rows commit with the change. Email
delivery is the outbox's job (``perfcycle.tasks``); the request path never waits on the
broker per notification.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from perfcycle.audit import Subject, record_event
from perfcycle.models import Notification, NotificationAttachment, SentReminder
from perfcycle.workflow import SYSTEM, insert_new

logger = logging.getLogger(__name__)

TITLE_MAX = 200
URL_MAX = 300
_BREAKS = re.compile(r"[\s\x00-\x1f\x7f\u0085\u2028\u2029]+")


def single_line(text, limit: int = TITLE_MAX) -> str:
    """``text`` as one trimmed line of at most ``limit`` characters: line breaks, tabs and
    other control characters become single spaces. Email headers (the subject) are built
    from this, so a title typed with a line break can never make a message unsendable."""
    line = _BREAKS.sub(" ", str(text)).strip()
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def _user_id(recipient) -> int:
    return recipient if isinstance(recipient, int) else recipient.pk


@dataclass(frozen=True)
class Attachment:
    """A file for a notification's email: ``mimetype`` may carry parameters
    ("text/calendar; method=REQUEST"). Stored with the notification (the email sends it
    as it was when the change was made); the in-app message does not show it."""

    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class Message:
    """One in-app notification (with email when ``email``, the address, is not empty)."""

    user_id: int
    email: str
    title: str
    body: str = ""
    url: str = ""
    attachments: tuple[Attachment, ...] = ()


def _row(user_id: int, title, body, url, *, send_email: bool, now: dt.datetime) -> Notification:
    """The one place a Notification row is built: sanitised at write time."""
    return Notification(
        recipient_id=user_id,
        title=single_line(title),
        body=str(body),
        url=single_line(url, URL_MAX),
        created_at=now,
        next_attempt_at=now,
        send_email=send_email,
    )


def notify(
    *,
    recipient,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = True,
    attachments: Iterable[Attachment] = (),
):
    """Create one in-app notification; its email (with ``attachments``, if any) goes out
    after commit (outbox)."""
    message = Message(
        recipient.pk, recipient.email if email else "", title, body, url, tuple(attachments)
    )
    (note,) = notify_messages([message], enqueue=True)
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
    now = timezone.now()
    rows = [
        _row(_user_id(u), title, body, url, send_email=_user_id(u) in with_email, now=now)
        for u in users
    ]
    return _write(rows, enqueue=True)


def notify_messages(messages: Iterable[Message], *, enqueue: bool = False) -> list[Notification]:
    """Different messages to different people, one row each, written in bulk (a nightly
    job's notices). With ``enqueue`` the emails are handed to a worker after commit (one
    broker call per transaction); without, they wait for the outbox sweep (bulk jobs:
    no broker call at all)."""
    now = timezone.now()
    messages = list(messages)
    rows = [
        _row(m.user_id, m.title, m.body, m.url, send_email=bool(m.email), now=now) for m in messages
    ]
    files = [(row, m.attachments) for row, m in zip(rows, messages, strict=True) if m.email]
    return _write(rows, enqueue=enqueue, attachments=files)


def _write(
    rows: list[Notification], *, enqueue: bool, attachments: list[tuple] = ()
) -> list[Notification]:
    if not rows:
        return []
    Notification.objects.bulk_create(rows, batch_size=2000)
    # Only emails carry files: an in-app-only row's attachments are not stored.
    files = [
        NotificationAttachment(
            notification=row,
            filename=single_line(a.filename),
            mimetype=a.mimetype,
            content=a.content,
        )
        for row, of_row in attachments
        for a in of_row
    ]
    if files:
        NotificationAttachment.objects.bulk_create(files, batch_size=500)
    if enqueue:
        enqueue_on_commit([n.pk for n in rows if n.send_email])
    return rows


# --- Handing the outbox to a worker -------------------------------------------------------


class _Pending:
    """The outbox ids written by the current transaction, enqueued once when it commits."""

    def __init__(self):
        self.ids: list[int] = []

    def __call__(self):
        ids, self.ids = self.ids, []
        # Rows of a savepoint that rolled back after we registered are gone, and a row taken
        # out of the outbox since (a seed's history) has nothing to send: leave them out.
        ids = list(
            Notification.objects.filter(pk__in=ids, send_email=True).values_list("pk", flat=True)
        )
        if ids:
            enqueue_emails(sorted(ids))


def enqueue_on_commit(notification_ids: list[int]) -> None:
    """Hand these outbox rows to a worker when the current transaction commits, together
    with every other row the transaction writes: one broker call per transaction however
    many people it notifies (a bulk approval of 14 goals is one enqueue, not 14)."""
    if not notification_ids:
        return
    connection = transaction.get_connection()
    pending = getattr(connection, "_perfcycle_outbox", None)
    # A rolled-back savepoint or transaction drops its on-commit callbacks: start afresh
    # when ours is no longer registered (its ids were rolled back with it).
    registered = pending is not None and any(
        func is pending for _sids, func, _robust in connection.run_on_commit
    )
    if not registered:
        pending = connection._perfcycle_outbox = _Pending()
    pending.ids.extend(notification_ids)
    if not registered:
        transaction.on_commit(pending)  # outside a transaction: runs at once


def enqueue_emails(notification_ids: list[int]) -> None:
    """Hand outbox rows to a worker: one publish, no retries, a short connection timeout
    (settings). A broker outage must never slow a page down or turn it into a 500: the
    rows stay in the outbox and the beat sweep sends them later."""
    from perfcycle.tasks import send_notification_emails

    try:
        send_notification_emails.apply_async(args=[list(notification_ids)], retry=False)
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


def send_once(kind: str, messages: dict[str, list[Message]], *, label: str = "") -> int:
    """Send the messages of every key not sent before (one table for every stage's
    reminders); returns how many keys were sent. ``label`` names the kind in the audit
    log ("Check-in due")."""
    if not messages:
        return 0
    with transaction.atomic():
        now = timezone.now()
        claimed = claim_once(kind, messages, now=now)
        # Bulk reminders wait in the outbox for the sweep: no broker call at all.
        notify_messages(message for key in messages if key in claimed for message in messages[key])
        if claimed:
            record_event(
                actor=SYSTEM,
                verb="reminders.sent",
                obj=Subject(SentReminder, kind, label or kind),
                after={"kind": kind, "sent": len(claimed), "skipped": len(messages) - len(claimed)},
            )
    return len(claimed)
