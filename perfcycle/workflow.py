"""The workflow vocabulary every stage uses: one error base, one allowed-move check, one
row lock, one versioned save (optimistic locking that fails closed) and an explicit
system actor for changes nobody clicked (beat tasks, the phase scheduler).

A stage's service reads like::

    with transaction.atomic():
        checkin = lock_for_update(CheckIn.objects.with_people(), checkin.pk)
        check_version(checkin, expected_version, noun=_("check-in"))
        require_move(checkin, CheckinStatus.SUBMITTED, error=CheckinError, message=...)
        ...
        save_versioned(checkin, ["status", "submitted_at"])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _


class DomainError(ValidationError):
    """A business rule refused the change. Views show its message(s) next to the form;
    it is a ValidationError so field-keyed errors attach to fields."""


class ConcurrentEditError(DomainError):
    """Somebody else saved the object since this user loaded it (or the form carried no
    version at all, which is treated the same: we never overwrite blindly)."""


class SystemActor:
    """The actor of changes made by the scheduler rather than a person.

    It is never authenticated, has no permissions and no primary key; the audit log
    records it as "PerfCycle (scheduled)". Services that accept it say so; passing
    ``None`` as an actor is a programming error, never a synonym for the scheduler."""

    pk = None
    id = None
    is_authenticated = False
    is_anonymous = False
    is_active = True
    is_system = True
    email = ""
    username = "perfcycle"

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def get_full_name(self) -> str:
        return _("PerfCycle (scheduled)")

    def __str__(self) -> str:
        return self.get_full_name()

    def __repr__(self) -> str:
        return "SYSTEM"

    def __reduce__(self):
        return "SYSTEM"


SYSTEM = SystemActor()


def is_system(actor) -> bool:
    return actor is SYSTEM


def require_actor(actor) -> None:
    """Refuse ``None`` as an actor: every change has a person or SYSTEM behind it."""
    if actor is None:
        raise TypeError("actor is required: pass the acting user or perfcycle.workflow.SYSTEM")


def user_of(actor):
    """The login to store in a "who did it" column: the user, or None for SYSTEM."""
    require_actor(actor)
    return None if is_system(actor) else actor


def require_hr(actor, *, allow_system: bool = False) -> None:
    """HR admins only (``PermissionDenied`` otherwise). ``allow_system``: the scheduler
    and the demo seed may also make this change. ``None`` is never an actor."""
    # Imported here: the access rules may use this module's vocabulary (SYSTEM) too.
    from perfcycle import access

    require_actor(actor)
    if allow_system and is_system(actor):
        return
    if not access.is_hr(actor):
        raise PermissionDenied


def allowed_moves(obj, *, transitions: dict | None = None, field: str = "status") -> list:
    transitions = transitions if transitions is not None else type(obj).TRANSITIONS
    return list(transitions.get(getattr(obj, field), []))


def may_move(obj, to_status, *, transitions: dict | None = None, field: str = "status") -> bool:
    return to_status in allowed_moves(obj, transitions=transitions, field=field)


def require_move(
    obj,
    to_status,
    *,
    transitions: dict | None = None,
    field: str = "status",
    error: type[DomainError] = DomainError,
    message: str | Callable[[], str] | None = None,
    action: str | None = None,
    noun: str | None = None,
) -> None:
    """Raise ``error`` unless ``obj`` may move from its current state to ``to_status``.

    ``transitions`` defaults to the model's ``TRANSITIONS`` map (state → allowed next
    states). The user reads ``message`` if given, else "This goal is approved, so it
    cannot be ``action``" ("submitted", "marked reviewed"…), else a generic sentence;
    ``noun`` overrides the model's verbose name in them ("check-in")."""
    if may_move(obj, to_status, transitions=transitions, field=field):
        return
    if callable(message):
        message = message()
    if message is None:
        display = getattr(obj, f"get_{field}_display", lambda: getattr(obj, field))()
        words = {"noun": noun or obj._meta.verbose_name, "state": str(display).lower()}
        if action is not None:
            message = _("This %(noun)s is %(state)s, so it cannot be %(action)s.") % {
                **words,
                "action": action,
            }
        else:
            message = _("This %(noun)s is %(state)s, so it cannot move on as asked.") % words
    raise error(message)


def lock_for_update(queryset_or_model, pk, *, of_self: bool = True):
    """Fetch one row with ``SELECT … FOR UPDATE`` (only this table's row is locked, not the
    rows it joins), inside the caller's transaction. Missing → ``DoesNotExist``."""
    qs = (
        queryset_or_model.objects.all()
        if hasattr(queryset_or_model, "objects")
        else queryset_or_model
    )
    qs = qs.select_for_update(of=("self",)) if of_self else qs.select_for_update()
    return qs.get(pk=pk)


def check_version(obj, expected_version, *, noun: str | None = None) -> None:
    """Optimistic locking, failing closed: a missing or stale version is a conflict.

    ``expected_version`` is what the form was rendered with. ``None`` (a POST without the
    field, a client that forgot it) is refused like a stale one, so nothing is ever
    overwritten silently."""
    noun = noun or str(obj._meta.verbose_name)
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        expected = None
    if expected is None or expected != obj.version:
        raise ConcurrentEditError(
            _(
                "Someone else changed this %(noun)s while you were editing, or the page is "
                "out of date. Reload the page to see the latest version, then make your "
                "change again."
            )
            % {"noun": noun}
        )


def save_versioned(obj, fields: Iterable[str]) -> None:
    """Save ``fields`` and bump ``version`` so that other open forms become stale. A model
    with an ``updated_at`` column has it set to now as well."""
    fields = [*dict.fromkeys(fields), "version"]
    obj.version += 1
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        obj.updated_at = timezone.now()
        fields = [*dict.fromkeys([*fields, "updated_at"])]
    obj.save(update_fields=fields)


# --- Insert once (idempotent bulk inserts) ---------------------------------------------

INSERT_BATCH = 1000


def insert_new(objs: Sequence[models.Model], *, key: str) -> list[models.Model]:
    """Insert ``objs``, skipping any that break a unique constraint, and return the ones
    this call inserted (with their primary keys). ``key`` names the attribute that tells
    the objects of one call apart (e.g. ``goal_id``).

    On PostgreSQL: one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` per batch, so two
    concurrent callers never both get the same row (the second waits for the first to
    commit). Elsewhere (the SQLite development default): one savepoint per row.
    """
    if not objs:
        return []
    if connection.vendor != "postgresql":
        return _insert_one_by_one(objs)
    model = type(objs[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    key_column = next(f.column for f in fields if f.attname == key)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    inserted = []
    with connection.cursor() as cursor:
        for start in range(0, len(objs), INSERT_BATCH):
            batch = objs[start : start + INSERT_BATCH]
            by_key = {getattr(obj, key): obj for obj in batch}
            params = [
                f.get_db_prep_save(f.pre_save(obj, True), connection)
                for obj in batch
                for f in fields
            ]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) "
                f"VALUES {', '.join([row] * len(batch))} "
                f"ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}, {quote(key_column)}",
                params,
            )
            for pk, value in cursor.fetchall():
                obj = by_key[value]
                obj.pk = pk
                obj._state.adding = False
                inserted.append(obj)
    return inserted


def _insert_one_by_one(objs: Iterable[models.Model]) -> list[models.Model]:
    inserted = []
    for obj in objs:
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
        except IntegrityError:
            continue
        inserted.append(obj)
    return inserted
