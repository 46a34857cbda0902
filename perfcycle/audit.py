"""The audit log's only writers. Every score, approval, phase and outcome change calls
``record_event`` (one change) or ``record_events`` (a batch: a nightly job, an import, a
bulk review), inside the transaction of the change itself, so the history and the change
commit or roll back together. No stage creates ``AuditEvent`` rows itself."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps as django_apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _lazy

from perfcycle.formatting import format_date, format_datetime, format_number
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


# --- Sentence labels for HR --------------------------------------------------------------
# Each stage registers, in its AppConfig.ready(), a sentence for each of its verbs and a
# loader for each kind of record its events are about. The audit page turns a page of
# events into sentences with one query per kind of record on the page, however many rows.


@dataclass(frozen=True)
class Target:
    """A record as a sentence names it: its text ("“Cut churn to 3 %”"), whose it is
    ("Tom Fischer") and where HR can open it ("" when there is no page for it)."""

    text: str
    owner: str = ""
    url: str = ""
    owner_user: int | None = None  # the owner's login: "their goal" when they acted


@dataclass(frozen=True)
class ObjectKind:
    """A kind of record events are about. ``load(ids)`` returns ``{id: Target}`` for a
    batch of ids in one query; without it the event's stored text is used, and
    ``url(id)`` (no query) links it."""

    model: str  # label_lower, e.g. "goals.goal"
    label: Any  # "goal"
    load: Any = None  # Callable[[list[str]], dict[str, Target]]
    url: Any = None  # Callable[[str], str]


@dataclass(frozen=True)
class Verb:
    """How an event of ``verb`` reads. ``sentence`` takes ``%(actor)s``, ``%(object)s``,
    ``%(owner)s`` (the name of the person whose record it is), ``%(whose)s`` ("Tom
    Fischer’s", or "their" when the owner acted) and whatever ``extra(event)`` adds; ``alone`` is used when the owner is unknown (a deleted record). ``label`` names
    the kind of event in the filter, under ``group`` (the stage)."""

    verb: str
    sentence: Any
    label: Any
    group: Any
    alone: Any = None
    extra: Any = None  # Callable[[AuditEvent], dict[str, str]]


class AuditRegistry:
    def __init__(self):
        self.verbs: dict[str, Verb] = {}
        self.kinds: dict[str, ObjectKind] = {}

    def register_verb(self, verb: Verb) -> None:
        self.verbs[verb.verb] = verb

    def register_kind(self, kind: ObjectKind) -> None:
        self.kinds[kind.model] = kind

    def verb_choices(self) -> list:
        """Filter choices grouped by stage, in registration order: [(group, [(verb, label)])]."""
        groups: dict[str, list] = {}
        for verb in self.verbs.values():
            groups.setdefault(str(verb.group), []).append((verb.verb, str(verb.label)))
        return [(group, sorted(items, key=lambda i: i[1])) for group, items in groups.items()]

    def kind_choices(self) -> list:
        return sorted(
            ((k.model, str(k.label).capitalize()) for k in self.kinds.values()),
            key=lambda c: c[1],
        )


registry = AuditRegistry()
register_verb = registry.register_verb
register_kind = registry.register_kind


def register_sentences(group, kinds=(), verbs=()) -> None:
    """A stage's whole registration, under its filter ``group``: its record ``kinds`` and
    its ``verbs`` as (verb, label, sentence[, alone[, extra]]) tuples."""
    for kind in kinds:
        register_kind(kind)
    for verb, label, sentence, *rest in verbs:
        alone, extra = (*rest, None, None)[:2]
        register_verb(Verb(verb, sentence, label, group, alone=alone, extra=extra))


# --- Reading a page of events --------------------------------------------------------------

SCHEDULER = _lazy("PerfCycle (scheduled)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_LONG_TEXT = 160


@dataclass
class Change:
    """One changed field: "Follow-up date: 1 Dec 2026 → 15 Dec 2026" (``before`` is None
    for a record's first values)."""

    label: str
    before: str | None
    after: str


@dataclass
class EventLine:
    """One audit event as the page shows it."""

    event: AuditEvent
    actor: str
    sentence: str  # safe HTML: the object may be a link
    changes: list[Change]
    is_system: bool


def actor_name(user) -> str:
    if user is None:
        return str(SCHEDULER)
    return user.get_full_name() or user.username


def _model(label_lower: str):
    try:
        return django_apps.get_model(label_lower)
    except (LookupError, ValueError):
        return None


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _words(name: str) -> str:
    return name.replace("_", " ").replace(".", " ")


def _label(model, key: str) -> str:
    field = _field(model, key)
    name = getattr(field, "verbose_name", None) if field is not None else None
    return capfirst(str(name or _words(key)))


def _related_label(field) -> str | None:
    """The model a stored id points at, for a forward foreign key (a reverse relation
    such as a cycle's "goals" is a plain value: a count in a summary)."""
    if not (getattr(field, "concrete", False) and getattr(field, "is_relation", False)):
        return None
    return field.related_model._meta.label_lower if field.related_model else None


def _wanted(events, registry) -> dict[str, set[str]]:
    """Per model, the ids the page names: the events' objects and the related records
    their changes point at."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        if event.object_id.isdigit():
            wanted.setdefault(event.object_type, set()).add(event.object_id)
        model = _model(event.object_type)
        for payload in (event.before, event.after):
            for key, value in (payload or {}).items():
                related = _related_label(_field(model, key))
                if related and isinstance(value, int) and not isinstance(value, bool):
                    wanted.setdefault(related, set()).add(str(value))
    return {m: ids for m, ids in wanted.items() if m in registry.kinds and registry.kinds[m].load}


def _value(field, value, targets) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_lazy("Yes") if value else _lazy("No"))
    if isinstance(value, list):
        return ", ".join(_value(field, v, targets) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{_words(k)}: {_value(None, v, targets)}" for k, v in value.items())
    related = _related_label(field)
    if related:
        target = targets.get(related, {}).get(str(value))
        return target.text if target else f"#{value}"
    choices = dict(field.flatchoices) if getattr(field, "choices", None) else {}
    if value in choices:
        return str(choices[value])
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return format_date(dt.date.fromisoformat(value))
        if _ISO_DATETIME.match(value):
            try:
                return format_datetime(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
        if isinstance(field, models.DecimalField | models.FloatField):
            try:
                return format_number(Decimal(value))
            except ArithmeticError:
                return value
        return Truncator(value).chars(_LONG_TEXT)
    if isinstance(value, int | float | Decimal):
        return format_number(value)
    return str(value)


def _short(text: str | None) -> str | None:
    if text is None or len(text) <= _LONG_TEXT:  # most values: no Truncator needed
        return text
    return Truncator(text).chars(_LONG_TEXT)


def _changes(event, targets) -> list[Change]:
    model = _model(event.object_type)
    before, after = event.before or {}, event.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    rows = []
    for key in keys:
        field = _field(model, key)
        old = _value(field, before.get(key), targets) if key in before else "—"
        new = _value(field, after.get(key), targets) if key in after else "—"
        old, new = _short(old), _short(new)
        if not before:
            # A record's first values, or a summary: only the ones that say something.
            if new != "—":
                rows.append(Change(_label(model, key), None, new))
        elif old != new:
            rows.append(Change(_label(model, key), old, new))
    return rows


def _generic(params, action: str) -> str:
    """An event without its own sentence still reads: "<Actor> <verb words> <object>"."""
    return _lazy("%(actor)s %(action)s %(object)s") % {**params, "action": action.lower()}


def describe(events, *, registry: AuditRegistry = registry) -> list[EventLine]:
    """The sentences for a page of events (``select_related("actor")``), with one query per
    kind of record named on the page."""
    events = list(events)
    targets: dict[str, dict[str, Target]] = {}
    for model, ids in _wanted(events, registry).items():
        targets[model] = registry.kinds[model].load(sorted(ids))
    lines = []
    for event in events:
        kind = registry.kinds.get(event.object_type)
        target = targets.get(event.object_type, {}).get(event.object_id)
        if target is None:
            url = kind.url(event.object_id) if kind and kind.url and event.object_id else ""
            target = Target(event.object_repr or _words(event.object_type), "", url)
        name = actor_name(event.actor)
        obj = (
            format_html('<a href="{}">{}</a>', target.url, target.text)
            if target.url
            else target.text
        )
        who = conditional_escape(name)
        if event.actor_id is None:
            who = format_html('<span data-testid="system-actor">{}</span>', name)
        params = {"actor": who, "object": conditional_escape(obj)}
        params["owner"] = conditional_escape(target.owner)
        if target.owner_user is not None and target.owner_user == event.actor_id:
            params["whose"] = str(_lazy("their"))
        else:
            params["whose"] = conditional_escape(_lazy("%(name)s’s") % {"name": target.owner})
        verb = registry.verbs.get(event.verb)
        if verb is not None and verb.extra:
            params.update({k: conditional_escape(v) for k, v in verb.extra(event).items()})
        if verb is None:
            text = _generic(params, _words(event.verb.split(".", 1)[-1]))
        elif not target.owner and re.search(r"%\((owner|whose)\)", str(verb.sentence)):
            # A deleted record, or one whose owner is gone: no "'s goal" with no name.
            alone = verb.alone
            text = escape(str(alone)) % params if alone else _generic(params, str(verb.label))
        else:
            text = escape(str(verb.sentence)) % params
        lines.append(
            EventLine(
                event=event,
                actor=name,
                sentence=mark_safe(text),  # noqa: S308 - every part escaped above
                changes=_changes(event, targets),
                is_system=event.actor_id is None,
            )
        )
    return lines
