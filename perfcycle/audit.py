"""The audit log's only writers. Every score, approval, phase and outcome change calls
``record_event`` (one change) or ``record_events`` (a batch: a nightly job, an import, a
bulk review), inside the transaction of the change itself, so the history and the change
commit or roll back together. No stage creates ``AuditEvent`` rows itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from perfcycle.models import AuditEvent
from perfcycle.workflow import require_actor


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def snapshot(obj, fields) -> dict:
    """The JSON-safe values of ``fields`` on ``obj`` (dates as ISO text, decimals exact,
    related objects as their ids): the before/after payload of an event."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose value changed, as (before, after)."""
    changed = [k for k in after if after.get(k) != before.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


class Subject:
    """What a summary event is about when it is not one row: "many rows of a model"
    (check-ins marked missed today) or a kind of thing (reminders of one kind)."""

    def __init__(self, model, key="", text: str = ""):
        self._meta = model._meta
        self.pk = key
        self._text = text or str(model._meta.verbose_name_plural)

    def __str__(self):
        return self._text


@dataclass
class Event:
    """One audit record to write. ``obj`` is the model instance the event is about."""

    actor: Any
    verb: str
    obj: Any
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    at: dt.datetime | None = None


def _actor_id(actor):
    require_actor(actor)
    # The SYSTEM actor (and an anonymous request, e.g. a password reset) has no row.
    return actor.pk if getattr(actor, "is_authenticated", False) else None


def _row(event: Event) -> AuditEvent:
    obj = event.obj
    return AuditEvent(
        created_at=event.at or timezone.now(),
        actor_id=_actor_id(event.actor),
        verb=event.verb,
        object_type=obj._meta.label_lower,
        object_id="" if obj.pk is None else str(obj.pk),
        object_repr=str(obj)[:255],
        before=event.before or {},
        after=event.after or {},
    )


def record_event(*, actor, verb: str, obj, before: dict | None = None, after: dict | None = None):
    """Append one audit record about ``obj``; ``actor`` is a user or ``SYSTEM``."""
    row = _row(Event(actor=actor, verb=verb, obj=obj, before=before or {}, after=after or {}))
    row.save(force_insert=True)
    return row


def record_events(events: list[Event], *, batch_size: int = 2000) -> int:
    """Append many audit records in one round trip per ``batch_size``."""
    rows = [_row(event) for event in events]
    AuditEvent.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)
