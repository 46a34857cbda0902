"""The only writers of notifications (in-app messages that double as the email outbox).

``notify`` tells one person, ``notify_many`` many (one outbox row each, in bulk). Both
are called inside the change's transaction: the rows commit with the change. Email
delivery is the outbox's job (``perfcycle.tasks``); the request path never waits on the
broker per notification.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from perfcycle.models import Notification

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
