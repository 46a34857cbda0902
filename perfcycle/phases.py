"""Phases that run themselves: the cycle's phase machine, the guards and hooks that the
stages register, and the scheduler that moves cycles on at their deadlines.

The machine itself stays in the core, as data on the model: ``Cycle.TRANSITIONS`` (each
phase may move to the next one only) and ``Cycle.DEADLINE_FIELDS`` (which date ends which
phase). The core never imports a stage: each stage app registers, in its
``AppConfig.ready()``, what it needs around a phase change.

- A **guard** answers "may this cycle leave ``phase``?": ``guard(cycle) -> list[str]``,
  the sentences HR reads (empty when ready). Any guard's problem keeps the cycle where it
  is: an HR user sees them as the error of the "Move to …" button; the scheduler tells
  the HR admins, at most once per cycle, phase and day.
- A **hook** does the work of a phase change: ``hook(*, cycle, actor) -> None``, on
  leaving a phase (the cycle is still in it) or on entering one (the cycle is already in
  it, saved). ``actor`` is the HR user who clicked, or ``SYSTEM`` for the scheduler.
  Hooks run in registration order (the order of ``INSTALLED_APPS``: earlier stages
  first) inside the advance's transaction, holding the cycle's row lock: each runs
  exactly once per committed transition, and if one raises, nothing of the move is kept
  (the phase, the other hooks' rows, the audit record, the notifications). A hook writes
  through its stage's services; anything outside the database (a broker call) goes in
  ``transaction.on_commit``. Raise a ``DomainError`` with a sentence for HR when the move
  must not happen; any other exception is logged and reported as a failed step.

A stage registers them like this (e.g. ``appraisal/apps.py``)::

    def ready(self):
        from appraisal.services import lock_goals_for_appraisal, open_appraisals
        from appraisal.selectors import appraisal_blockers
        from perfcycle import phases
        from perfcycle.models import Cycle

        phases.register_phase_hook(entering=Cycle.Phase.APPRAISAL, hook=open_appraisals)
        phases.register_phase_hook(leaving=Cycle.Phase.IMPLEMENTATION,
                                   hook=lock_goals_for_appraisal)
        phases.register_phase_guard(leaving=Cycle.Phase.APPRAISAL, guard=appraisal_blockers)

    # appraisal/services.py
    def open_appraisals(*, cycle, actor) -> None:
        '''One not-started appraisal per participation (idempotent, bulk).'''

An **enrolment hook** does a stage's work when people join a cycle:
``hook(*, cycle, participation_ids, actor) -> None`` (``register_enrolment_hook``), called
by ``perfcycle.services.enrol_employees`` inside its transaction with the ids of the
participations it created (e.g. feedback carries the goals agreed in last cycle's interview
into the new participations). Like a phase hook it writes through its stage's services, is
idempotent, and a failure undoes the enrolment.

A cycle whose ``auto_advance`` is set is moved on by ``advance_due_phases`` (Celery beat,
``perfcycle.tasks.advance_due_phases``, every 15 minutes) on the first run after the day
of its current phase's deadline, in the organisation's time zone (``TIME_ZONE``): one
phase per run, as ``SYSTEM``, through the same guards and hooks as a manual move.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.audit import record_event
from perfcycle.formatting import format_date
from perfcycle.models import Cycle
from perfcycle.notifications import claim_once, notify_many
from perfcycle.workflow import SYSTEM, DomainError, is_system, lock_for_update, require_hr

logger = logging.getLogger(__name__)

Guard = Callable[[Cycle], list]
Hook = Callable[..., None]

# phase → callables, in registration order. Filled by the stages' AppConfig.ready().
GUARDS: dict[str, list[Guard]] = {}
ENTER_HOOKS: dict[str, list[Hook]] = {}
LEAVE_HOOKS: dict[str, list[Hook]] = {}
ENROLMENT_HOOKS: list[Hook] = []

# Send-once kinds (perfcycle.SentReminder): HR hears of a stuck cycle once a day.
BLOCKED_KIND = "phase_advance_blocked"
FAILED_KIND = "phase_advance_failed"


class PhaseStepError(DomainError):
    """A guard or hook raised something other than a DomainError: the move is undone
    and HR is told which step failed (the traceback is in the server log)."""

    def __init__(self, step: str, error: BaseException):
        self.step = step
        self.error = error
        super().__init__(
            _(
                "The phase change could not be completed because one of its steps failed "
                "(%(step)s: %(error)s). Nothing was changed; the details are in the server log."
            )
            % {"step": step, "error": type(error).__name__}
        )


class PhaseBlocked(DomainError):
    """A guard says the cycle may not leave its phase yet; the messages say why."""


# --- Registration ----------------------------------------------------------------------


def _add(registry: dict[str, list], phase: str, fn) -> None:
    if phase not in Cycle.Phase.values:
        raise ValueError(f"unknown phase {phase!r}")
    items = registry.setdefault(phase, [])
    if fn not in items:  # ready() may run more than once (tests, reloads)
        items.append(fn)


def register_phase_guard(*, leaving: str, guard: Guard) -> None:
    """``guard(cycle) -> list[str]`` must return no problem before a cycle leaves
    ``leaving``."""
    _add(GUARDS, leaving, guard)


def register_phase_hook(*, hook: Hook, entering: str | None = None, leaving: str | None = None):
    """Run ``hook(cycle=..., actor=...)`` when a cycle enters ``entering`` or leaves
    ``leaving`` (exactly one of the two), inside the advance's transaction."""
    if (entering is None) == (leaving is None):
        raise TypeError("register_phase_hook needs exactly one of entering= or leaving=")
    if entering is not None:
        _add(ENTER_HOOKS, entering, hook)
    else:
        _add(LEAVE_HOOKS, leaving, hook)


def register_enrolment_hook(hook: Hook) -> None:
    """Run ``hook(cycle=..., participation_ids=..., actor=...)`` when people join a cycle,
    inside the enrolment's transaction (see the module docstring)."""
    if hook not in ENROLMENT_HOOKS:  # ready() may run more than once (tests, reloads)
        ENROLMENT_HOOKS.append(hook)


def run_enrolment_hooks(*, cycle: Cycle, participation_ids: list[int], actor) -> None:
    """Every stage's enrolment hook for the new ``participation_ids`` of ``cycle``, in
    registration order; the caller's transaction undoes the enrolment if one raises."""
    if not participation_ids:
        return
    for hook in ENROLMENT_HOOKS:
        hook(cycle=cycle, participation_ids=list(participation_ids), actor=actor)


def _step_name(fn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _run(fn, *args, **kwargs):
    """Call a guard or hook; a DomainError keeps its sentence, anything else becomes a
    PhaseStepError naming the step (the caller's transaction still rolls back)."""
    try:
        return fn(*args, **kwargs)
    except DomainError:
        raise
    except Exception as error:
        logger.exception("Phase step %s failed", _step_name(fn))
        raise PhaseStepError(_step_name(fn), error) from error


def phase_blockers(cycle: Cycle) -> list[str]:
    """Every registered guard's problems with ``cycle`` leaving its current phase."""
    return [str(p) for guard in GUARDS.get(cycle.phase, []) for p in _run(guard, cycle)]


# --- Moving a cycle on -----------------------------------------------------------------


def _next_phase(cycle: Cycle) -> str | None:
    following = Cycle.TRANSITIONS[Cycle.Phase(cycle.phase)]
    return following[0] if following else None


def _move(cycle: Cycle, to_phase: str, *, actor) -> None:
    """Guards, leave hooks, the move, enter hooks, audit and notices: the caller holds
    the row lock inside its transaction."""
    if to_phase not in Cycle.TRANSITIONS[Cycle.Phase(cycle.phase)]:
        raise DomainError(
            _("A cycle in %(phase)s cannot move to %(to)s.")
            % {"phase": cycle.get_phase_display(), "to": to_phase}
        )
    blockers = phase_blockers(cycle)
    if blockers:
        raise PhaseBlocked(blockers)
    from_phase = cycle.phase
    for hook in LEAVE_HOOKS.get(from_phase, []):
        _run(hook, cycle=cycle, actor=actor)
    cycle.phase = to_phase
    cycle.version += 1
    cycle.save(update_fields=["phase", "version"])
    for hook in ENTER_HOOKS.get(to_phase, []):
        _run(hook, cycle=cycle, actor=actor)
    after = {"phase": to_phase}
    if is_system(actor):
        after["automatic"] = True
    record_event(
        actor=actor,
        verb="cycle.phase_changed",
        obj=cycle,
        before={"phase": from_phase},
        after=after,
    )
    # In-app only: a phase change for thousands is no email flood.
    notify_many(
        recipients=list(cycle.participations.values_list("employee__user_id", flat=True)),
        title=_("%(cycle)s is now in the %(phase)s phase")
        % {"cycle": cycle.name, "phase": cycle.get_phase_display()},
        url=cycle.get_absolute_url(),
    )


def advance_cycle_phase(*, actor, cycle_id: int, to_phase: str) -> Cycle:
    """Move a cycle to its next phase, through the stages' guards and hooks, in one
    transaction. ``actor`` is an HR user or ``SYSTEM``; a guard's problems (or a failed
    hook) raise a DomainError and leave everything as it was."""
    require_hr(actor, allow_system=True)
    with transaction.atomic():
        cycle = lock_for_update(Cycle, cycle_id)
        _move(cycle, to_phase, actor=actor)
    return cycle


# --- The scheduler ---------------------------------------------------------------------


@dataclass
class AdvanceResult:
    advanced: list[int] = field(default_factory=list)
    blocked: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # a concurrent run was first

    def as_dict(self) -> dict:
        return {
            "advanced": len(self.advanced),
            "blocked": len(self.blocked),
            "failed": len(self.failed),
            "skipped": len(self.skipped),
        }


def _due(today: dt.date) -> Q:
    """Cycles whose current phase's deadline day is over."""
    due = Q(pk__in=[])
    for phase, deadline in Cycle.DEADLINE_FIELDS.items():
        due |= Q(phase=phase, **{f"{deadline}__lt": today})
    return due


def due_cycles(today: dt.date):
    return Cycle.objects.filter(_due(today), auto_advance=True).order_by("pk")


def advance_due_phases(*, today: dt.date | None = None) -> AdvanceResult:
    """Move every cycle set to advance automatically whose phase deadline has passed on
    ``today`` (default: today in the organisation's time zone) one phase on, as SYSTEM.

    Each cycle in its own transaction, under its row lock: a concurrent or repeated run
    finds the new phase (whose deadline has not passed) and does nothing. A cycle that a
    guard keeps, or whose move fails, stays where it is and the HR admins are told why
    (once per cycle, phase and day; the attempt is in the audit log)."""
    today = today or timezone.localdate()
    result = AdvanceResult()
    for cycle_id in due_cycles(today).values_list("pk", flat=True):
        outcome = advance_due_phase(cycle_id=cycle_id, today=today)
        getattr(result, outcome).append(cycle_id)
    if result.advanced or result.blocked or result.failed:
        logger.info("advance_due_phases %s: %s", today.isoformat(), result.as_dict())
    return result


def advance_due_phase(*, cycle_id: int, today: dt.date) -> str:
    """One cycle's scheduled move: "advanced", "blocked", "failed" or "skipped"."""
    from_phase = to_phase = None
    try:
        with transaction.atomic():
            cycle = lock_for_update(Cycle, cycle_id)
            # Re-read under the lock: a run that got here first has moved it on.
            if not _is_due(cycle, today):
                return "skipped"
            from_phase, to_phase = cycle.phase, _next_phase(cycle)
            _move(cycle, to_phase, actor=SYSTEM)
        return "advanced"
    except Cycle.DoesNotExist:
        return "skipped"  # deleted since it was listed
    except PhaseBlocked as blocked:
        logger.warning("Cycle %s cannot leave %s: %s", cycle_id, from_phase, blocked.messages)
        outcome, kind, reasons = "blocked", BLOCKED_KIND, blocked.messages
    except DomainError as error:  # a hook refused, or a step failed (logged by _run)
        logger.warning("Scheduled phase change of cycle %s refused: %s", cycle_id, error.messages)
        outcome, kind, reasons = "failed", FAILED_KIND, error.messages
    except Exception as error:
        logger.exception("Scheduled phase change of cycle %s failed", cycle_id)
        outcome, kind, reasons = "failed", FAILED_KIND, [_step_failed(error)]
    # The move rolled back; tell HR in a transaction of its own.
    with transaction.atomic():
        cycle = Cycle.objects.get(pk=cycle_id)
        from_phase = from_phase or cycle.phase
        _report(
            cycle,
            from_phase,
            to_phase or _next_phase(cycle),
            today=today,
            kind=kind,
            reasons=reasons,
        )
    return outcome


def _is_due(cycle: Cycle, today: dt.date) -> bool:
    deadline = cycle.current_deadline
    return cycle.auto_advance and deadline is not None and deadline < today


def _step_failed(error: BaseException) -> str:
    return _(
        "The phase change failed (%(error)s). Nothing was changed; the details are in the "
        "server log."
    ) % {"error": type(error).__name__}


def hr_admins():
    """Active users who hold the HR permission (through the HR group, directly, or as
    superusers): who hears of a stuck cycle."""
    perm = Permission.objects.get(
        codename="manage_performance", content_type__app_label="perfcycle"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions=perm) | Q(user_permissions=perm) | Q(is_superuser=True))
        .distinct()
        .order_by("pk")
    )


def _report(cycle: Cycle, from_phase: str, to_phase, *, today, kind: str, reasons) -> bool:
    """Tell the HR admins why ``cycle`` did not move on, at most once per cycle, phase and
    day, with an audit record of the attempt. Returns whether this call told them."""
    key = f"{cycle.pk}:{from_phase}:{today.isoformat()}"
    if not claim_once(kind, [key]):
        return False
    reasons = [str(r) for r in reasons]
    record_event(
        actor=SYSTEM,
        verb="cycle.advance_blocked" if kind == BLOCKED_KIND else "cycle.advance_failed",
        obj=cycle,
        before={"phase": from_phase},
        after={"to_phase": to_phase, "reasons": reasons, "date": today.isoformat()},
    )
    labels = dict(Cycle.Phase.choices)
    context = {
        "cycle": cycle.name,
        "phase": labels.get(from_phase, from_phase),
        "to": labels.get(to_phase, to_phase),
    }
    if kind == BLOCKED_KIND:
        title = _("%(cycle)s could not move from %(phase)s to %(to)s automatically") % context
    else:
        title = _("Moving %(cycle)s from %(phase)s to %(to)s automatically failed") % context
    deadline = (
        getattr(cycle, Cycle.DEADLINE_FIELDS[from_phase])
        if from_phase in Cycle.DEADLINE_FIELDS
        else None
    )
    intro = (
        _("The %(phase)s phase ended on %(date)s, but:")
        % {"phase": context["phase"], "date": format_date(deadline)}
        if deadline
        else ""
    )
    outro = _(
        "PerfCycle tries again every 15 minutes. Resolve the problems above, or move the "
        "cycle by hand on its page."
    )
    body = "\n".join([intro, *(f"- {r}" for r in reasons), "", outro]).strip()
    notify_many(
        recipients=list(hr_admins()),
        title=title,
        body=body,
        url=cycle.get_absolute_url(),
        email=True,
    )
    return True
