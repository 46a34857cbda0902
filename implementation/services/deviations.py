"""Deviations: goals falling behind their expected trajectory, and what is done about them.

Detection (``detect_deviations``, nightly) looks at every approved individual goal with a
target in the cycles in implementation. Rules decided here:

- Expected progress is linear (``trajectory.expected_percent``) from the cycle's start to
  the goal's due date, or to the cycle's implementation deadline when it has none; 100 %
  from that date on. Actual progress is ``goals.rules.goal_progress`` of the goal's
  current value in its indicator's direction (higher is better when it has no
  indicator; a target below the baseline then reads as "bring it down").
- "No update yet" is its own state, not 0 %: a goal without a reported value (its
  current value, kept by check-ins and progress updates) is judged only once its due
  date has passed; and no goal is judged during its grace period
  (``CheckinSettings.deviation_grace_days``, 14 days without a settings row, from the
  later of its approval and the start of implementation). Such a goal raises nothing
  and closes nothing (``trajectory.is_assessable``).
- The plan is read on the day of the goal's latest reported value (its latest
  ``ProgressUpdate.recorded_on``), not today: a value is not judged against plan growth
  that happened after it was reported, so a goal on plan at its monthly check-in is not
  behind the day before the next one. Once that report is overdue (older than one
  period of the cycle's check-in cadence plus ``CheckinSettings.grace_days``), and
  once the goal's due date has passed, today's plan applies again, as it does for a
  missing value once the due date has passed (``trajectory.judged_on``).
- A goal more than the cycle's ``CheckinSettings.deviation_margin`` (10 points without a
  settings row) behind raises one deviation, owned by the goal's owner, on their
  participation in the cycle. The figures are those of the day it was detected; the
  deviation's page shows today's beside them.
- After a closed deviation a goal still behind raises a new one only when something
  material changed (``trajectory.raises_again``): after a resolved one, a new report
  showing it behind; after an accepted shortfall, progress more than the margin below
  the accepted figure (``Deviation.closed_actual_percent``) or the due date passing.
  Such a goal counts as ``kept_closed``.
- A goal back within the margin closes its *open* deviation ("Back on track on <date>").
  One with an agreed action stays for the reviewer to resolve: somebody committed to a
  follow-up, and it is theirs to close.
- At most one unresolved deviation per goal (a partial unique constraint): a run that
  repeats, or races another, adds nothing.

The workflow (``Deviation.TRANSITIONS``): the owner or their reviewer agrees a corrective
action with a follow-up date (again to revise it); the reviewer or HR resolves it with a
note, or accepts the shortfall with a reason (e.g. the goal became obsolete). Nobody
resolves or accepts their own deviation. Each function locks the row, checks the actor,
the move and the version (optimistic lock), saves with ``update_fields``, writes an
audit event and notifies the other party.
"""

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from goals import rules as goal_rules
from goals.models import Goal, GoalLevel, GoalStatus, Indicator
from implementation import trajectory
from implementation.models import (
    CheckIn,
    CheckinSettings,
    Deviation,
    DeviationStatus,
    ProgressUpdate,
)
from perfcycle import access
from perfcycle.audit import Event, Subject, record_event, record_events, snapshot
from perfcycle.formatting import format_date
from perfcycle.models import AuditEvent, Cycle, Employee, Participation
from perfcycle.notifications import Message, notify, notify_messages
from perfcycle.workflow import (
    SYSTEM,
    DomainError,
    check_version,
    insert_new,
    lock_for_update,
    require_move,
    save_versioned,
)

DEFAULT_MARGIN = Decimal("10")
CHUNK = 5000
AUDIT_FIELDS = [
    "status",
    "severity",
    "expected_percent",
    "actual_percent",
    "corrective_action",
    "agreed_in",
    "follow_up_date",
    "resolution",
]


class DeviationWorkflowError(DomainError):
    """A deviation cannot move as asked (its state, or its cycle's phase)."""


# --- Assessment (the arithmetic is in implementation.trajectory) --------------------------

Assessment = trajectory.Assessment
assess = trajectory.assess


@dataclass(frozen=True)
class Rules:
    """A cycle's deviation settings (the defaults without a settings row)."""

    margin: Decimal = DEFAULT_MARGIN
    grace_days: int = CheckinSettings._meta.get_field("deviation_grace_days").default
    # A report is current for one cadence period plus the check-in grace days.
    checkin_grace_days: int = CheckinSettings._meta.get_field("grace_days").default


def rules_for(cycles) -> dict[int, Rules]:
    """Each cycle's margin, grace period and check-in grace days by cycle id (one query)."""
    return {
        cycle_id: Rules(margin, grace, checkin_grace)
        for cycle_id, margin, grace, checkin_grace in CheckinSettings.objects.filter(
            cycle__in=cycles
        ).values_list("cycle_id", "deviation_margin", "deviation_grace_days", "grace_days")
    }


def implementation_started_on(cycle: Cycle) -> dt.date:
    """When the cycle entered implementation: the day of its last phase change into it,
    else (a cycle created in that phase) the day after its planning deadline."""
    moved = (
        AuditEvent.objects.filter(
            object_type=Cycle._meta.label_lower,
            object_id=str(cycle.pk),
            verb="cycle.phase_changed",
            after__phase=Cycle.Phase.IMPLEMENTATION,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if moved is not None:
        return timezone.localdate(moved)
    return cycle.planning_deadline + dt.timedelta(days=1)


def _approved_at():
    """Subquery: when a goal was last approved (its ``goal.approved`` audit event)."""
    return Subquery(
        AuditEvent.objects.filter(
            object_type=Goal._meta.label_lower,
            object_id=Cast(OuterRef("pk"), CharField()),
            verb="goal.approved",
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )


def _reported_on():
    """Subquery: the date of a goal's latest reported value (its current value's)."""
    return Subquery(
        ProgressUpdate.objects.filter(goal=OuterRef("pk"))
        .order_by("-recorded_on", "-id")
        .values("recorded_on")[:1]
    )


def _last_report_at():
    """Subquery: when a value was last reported on a goal (whatever its date)."""
    return Subquery(
        ProgressUpdate.objects.filter(goal=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )


def _local_date(moment) -> dt.date | None:
    return None if moment is None else timezone.localdate(moment)


def grace_from(cycle: Cycle, approved_at, *, started_on: dt.date | None = None) -> dt.date:
    return trajectory.grace_start(
        approved_on=_local_date(approved_at),
        implementation_started_on=started_on or implementation_started_on(cycle),
    )


def assess_goal(goal: Goal, *, today: dt.date | None = None) -> Assessment:
    """Today's figures of one goal (for its deviation's page). The reported value is the
    goal's current value, kept by check-ins and progress updates: None is "No update yet"."""
    cycle = goal.cycle
    settings = rules_for([cycle]).get(cycle.pk, Rules())
    approved_at, reported_on = (
        Goal.objects.filter(pk=goal.pk).values_list(_approved_at(), _reported_on()).first()
    )
    return assess(
        baseline=goal.baseline,
        target=goal.target,
        current_value=goal.current_value,
        direction=goal.indicator.direction if goal.indicator_id else None,
        start=cycle.start_date,
        due=goal.due_date or cycle.implementation_deadline,
        today=today or timezone.localdate(),
        margin=settings.margin,
        grace_from=grace_from(cycle, approved_at),
        grace_days=settings.grace_days,
        reported_on=reported_on,
        cadence=cycle.checkin_cadence,
        report_grace_days=settings.checkin_grace_days,
    )


# --- Detection ----------------------------------------------------------------------------


@dataclass
class DetectionResult:
    checked: int = 0  # goals looked at
    raised: int = 0  # new deviations
    still_behind: int = 0  # behind, with an unresolved deviation already
    back_on_track: int = 0  # open deviations closed
    skipped: int = 0  # behind, but the owner does not take part in the cycle
    not_assessed: int = 0  # no update yet, or still in the grace period
    kept_closed: int = 0  # behind, but its closed deviation stands (trajectory.raises_again)

    def __iadd__(self, other: "DetectionResult") -> "DetectionResult":
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)
        return self

    def as_dict(self) -> dict:
        return asdict(self)


def detect_deviations(
    *, today: dt.date | None = None, cycle_ids: list[int] | None = None
) -> DetectionResult:
    """Raise deviations for goals behind their trajectory and close open ones back on
    track, in every cycle in implementation (or those of ``cycle_ids``). Bulk: a handful
    of queries per cycle whatever its size; one transaction per cycle."""
    today = today or timezone.localdate()
    cycles = Cycle.objects.filter(phase=Cycle.Phase.IMPLEMENTATION).order_by("pk")
    if cycle_ids is not None:
        cycles = cycles.filter(pk__in=cycle_ids)
    settings = rules_for(cycles)
    result = DetectionResult()
    for cycle in cycles:
        result += _detect_in_cycle(cycle, rules=settings.get(cycle.pk, Rules()), today=today)
    return result


def _detect_in_cycle(cycle: Cycle, *, rules: Rules, today: dt.date) -> DetectionResult:
    result = DetectionResult()
    started_on = implementation_started_on(cycle)
    with transaction.atomic():
        participation_of = dict(
            Participation.objects.filter(cycle=cycle).order_by().values_list("employee_id", "pk")
        )
        unresolved = dict(
            Deviation.objects.unresolved()
            .filter(participation__cycle=cycle)
            .order_by()
            .values_list("goal_id", "status")
        )
        closed = _latest_closed(cycle)
        goals = (
            Goal.objects.filter(
                cycle=cycle,
                level=GoalLevel.INDIVIDUAL,
                status=GoalStatus.APPROVED,
                target__isnull=False,
            )
            .order_by("pk")
            .values_list(
                "pk",
                "owner_id",
                "baseline",
                "target",
                "current_value",
                "due_date",
                "indicator__direction",
                _approved_at(),
                _reported_on(),
                _last_report_at(),
            )
        )
        new: list[Deviation] = []
        back_on_track: list[int] = []  # goal ids
        for (
            pk,
            owner_id,
            baseline,
            target,
            current,
            due,
            direction,
            approved_at,
            reported_on,
            last_report_at,
        ) in goals.iterator(chunk_size=CHUNK):
            result.checked += 1
            due = due or cycle.implementation_deadline
            assessment = trajectory.assess(
                baseline=baseline,
                target=target,
                current_value=current,
                direction=direction,
                start=cycle.start_date,
                due=due,
                today=today,
                margin=rules.margin,
                grace_from=grace_from(cycle, approved_at, started_on=started_on),
                grace_days=rules.grace_days,
                reported_on=reported_on,
                cadence=cycle.checkin_cadence,
                report_grace_days=rules.checkin_grace_days,
            )
            if not assessment.assessable:
                # No update yet, or still in its grace period: neither behind nor back.
                result.not_assessed += 1
                continue
            expected, actual, severity = (
                assessment.expected,
                assessment.actual,
                assessment.severity,
            )
            if severity is None:
                if unresolved.get(pk) == DeviationStatus.OPEN:
                    back_on_track.append(pk)
            elif pk in unresolved:
                result.still_behind += 1
            elif not trajectory.raises_again(
                closed.get(pk),
                actual=actual,
                last_report_at=last_report_at,
                due=due,
                today=today,
                margin=rules.margin,
            ):
                result.kept_closed += 1
            elif owner_id not in participation_of:
                result.skipped += 1
            else:
                new.append(
                    Deviation(
                        goal_id=pk,
                        participation_id=participation_of[owner_id],
                        owner_id=owner_id,
                        detected_on=today,
                        expected_percent=expected,
                        actual_percent=actual,
                        severity=severity,
                    )
                )
        raised = insert_new(new, key="goal_id")
        # A concurrent run may have raised the others first: they are its to report.
        result.raised = len(raised)
        result.still_behind += len(new) - len(raised)
        _announce_raised(raised)
        result.back_on_track = _close_back_on_track(back_on_track, today=today)
        record_event(
            actor=SYSTEM,
            verb="deviations.checked",
            obj=cycle,
            after={"date": today.isoformat(), **result.as_dict()},
        )
    return result


def _latest_closed(cycle: Cycle) -> dict[int, trajectory.ClosedDeviation]:
    """Each goal's latest closed (resolved or accepted) deviation in the cycle, by goal
    id: what ``trajectory.raises_again`` weighs before raising a new one (one query)."""
    rows = (
        Deviation.objects.filter(
            participation__cycle=cycle,
            status__in=[DeviationStatus.RESOLVED, DeviationStatus.ACCEPTED],
            closed_at__isnull=False,
        )
        .order_by("goal_id", "closed_at", "id")
        .values_list("goal_id", "status", "closed_at", "closed_actual_percent", "actual_percent")
    )
    latest = {}
    for goal_id, status, closed_at, closed_actual, detected_actual in rows.iterator(
        chunk_size=CHUNK
    ):
        latest[goal_id] = trajectory.ClosedDeviation(
            status=status,
            closed_at=closed_at,
            closed_on=timezone.localdate(closed_at),
            # Closed before the figure was kept: the shortfall detected is what was accepted.
            actual=closed_actual if closed_actual is not None else detected_actual,
        )
    return latest


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _audit_many(verb: str, rows: list[tuple[int, str, dict, dict]]) -> None:
    """The scheduler's events about many deviations: (id, repr, before, after) per row."""
    record_events(
        [
            Event(
                actor=SYSTEM,
                verb=verb,
                obj=Subject(Deviation, pk, text),
                before=before,
                after=after,
            )
            for pk, text, before, after in rows
        ],
        batch_size=1000,
    )


def _announce_raised(raised: list[Deviation]) -> None:
    """Audit each new deviation and tell its owner (in-app and, via the outbox, email)."""
    if not raised:
        return
    titles, people = {}, {}
    for chunk in _chunks([d.goal_id for d in raised]):
        titles.update(Goal.objects.filter(pk__in=chunk).values_list("pk", "title"))
    for chunk in _chunks(list({d.owner_id for d in raised})):
        people.update(
            (pk, (user_id, email))
            for pk, user_id, email in Employee.objects.filter(pk__in=chunk).values_list(
                "pk", "user_id", "user__email"
            )
        )
    _audit_many(
        "deviation.detected",
        [
            (
                d.pk,
                f"Deviation on {titles[d.goal_id]}",
                {},
                {
                    "status": DeviationStatus.OPEN,
                    "severity": d.severity,
                    "expected_percent": str(d.expected_percent),
                    "actual_percent": str(d.actual_percent),
                },
            )
            for d in raised
        ],
    )
    # The emails wait in the outbox for the sweep (a night's notices: no broker call).
    notify_messages(
        _raised_notice(owned, titles=titles, user_id=people[owner_id][0], email=people[owner_id][1])
        for owner_id, owned in _by_owner(raised).items()
    )


def _by_owner(raised: list[Deviation]) -> dict[int, list[Deviation]]:
    owned: dict[int, list[Deviation]] = {}
    for deviation in raised:
        owned.setdefault(deviation.owner_id, []).append(deviation)
    return owned


def _raised_notice(owned: list[Deviation], *, titles: dict, user_id: int, email: str):
    """One notification per owner and night, however many of their goals fell behind."""
    advice = _(
        "Agree a corrective action with your manager, with a date to follow up; you can "
        "do it on the deviation's page or in your next check-in."
    )

    def line(d: Deviation) -> str:
        return _("“%(goal)s”: %(actual)s %% done, %(expected)s %% expected") % {
            "goal": titles[d.goal_id],
            "actual": _percent(d.actual_percent),
            "expected": _percent(d.expected_percent),
        }

    if len(owned) == 1:
        title = _("“%(goal)s” is behind: %(actual)s %% done, %(expected)s %% expected") % {
            "goal": titles[owned[0].goal_id],
            "actual": _percent(owned[0].actual_percent),
            "expected": _percent(owned[0].expected_percent),
        }
        body, url = advice, reverse("implementation:deviation-detail", args=[owned[0].pk])
    else:
        title = ngettext(
            "%(count)s of your goals is behind its expected progress",
            "%(count)s of your goals are behind their expected progress",
            len(owned),
        ) % {"count": len(owned)}
        body = "\n".join([*(line(d) for d in owned), "", advice])
        url = reverse("implementation:my-deviations")
    return Message(user_id=user_id, email=email, title=title, body=body, url=url)


def _close_back_on_track(goal_ids: list[int], *, today: dt.date) -> int:
    """Close the open deviations of these goals; an action agreed meanwhile keeps one open."""
    resolution = _("Back on track on %(date)s.") % {"date": format_date(today)}
    now = timezone.now()
    closed = []
    for chunk in _chunks(goal_ids):
        rows = list(
            Deviation.objects.select_for_update(of=("self",))
            .filter(goal_id__in=chunk, status=DeviationStatus.OPEN)
            .values_list("pk", "goal__title", "owner__user_id")
        )
        Deviation.objects.filter(pk__in=[pk for pk, _t, _u in rows]).update(
            status=DeviationStatus.RESOLVED,
            resolution=resolution,
            closed_at=now,
            version=F("version") + 1,
        )
        closed += rows
    _audit_many(
        "deviation.back_on_track",
        [
            (
                pk,
                f"Deviation on {title}",
                {"status": DeviationStatus.OPEN},
                {"status": DeviationStatus.RESOLVED, "resolution": resolution},
            )
            for pk, title, _user in closed
        ],
    )
    notify_messages(  # in-app only
        Message(
            user_id=user_id,
            email="",
            title=_("“%(goal)s” is back on track") % {"goal": title},
            url=reverse("implementation:deviation-detail", args=[pk]),
        )
        for pk, title, user_id in closed
    )
    return len(closed)


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}".rstrip("0")


# --- Who may do what ------------------------------------------------------------------------


def is_owner(user, deviation: Deviation) -> bool:
    employee = access.employee_of(user)
    return employee is not None and employee.pk == deviation.owner_id


def is_reviewer(user, deviation: Deviation) -> bool:
    employee = access.employee_of(user)
    return employee is not None and employee.pk == deviation.participation.reviewer_id


def may_agree(user, deviation: Deviation) -> bool:
    """The owner and their reviewer in the cycle agree the action together."""
    return is_owner(user, deviation) or is_reviewer(user, deviation)


def may_decide(user, deviation: Deviation) -> bool:
    """Resolving and accepting: the reviewer or HR, never the owner themself."""
    if is_owner(user, deviation):
        return False
    return is_reviewer(user, deviation) or access.is_hr(user)


# --- Workflow -------------------------------------------------------------------------------


MOVE_WORDS = {
    DeviationStatus.ACTION_AGREED: gettext_lazy("given a corrective action"),
    DeviationStatus.RESOLVED: gettext_lazy("resolved"),
    DeviationStatus.ACCEPTED: gettext_lazy("accepted"),
}


def lock_deviation(deviation: Deviation) -> Deviation:
    """The deviation row, locked for this transaction, with its people and cycle."""
    return lock_for_update(Deviation.objects.with_people(), deviation.pk)


def _require_current_move(deviation: Deviation, *, to_status: str, expected_version: int) -> None:
    """The version the user saw, the move and the cycle: in that order."""
    check_version(deviation, expected_version)
    require_move(deviation, to_status, error=DeviationWorkflowError, action=MOVE_WORDS[to_status])
    if deviation.participation.cycle.phase == Cycle.Phase.CLOSED:
        raise DeviationWorkflowError(_("The cycle is closed: its deviations can no longer change."))


def _tell(recipient, *, actor, title: str, body: str, deviation: Deviation) -> None:
    if recipient is None or recipient.pk == actor.pk:
        return
    notify(recipient=recipient, title=title, body=body, url=deviation.get_absolute_url())


def _actor_name(actor) -> str:
    return actor.get_full_name() or actor.username


def agree_corrective_action(
    *,
    actor,
    deviation: Deviation,
    action: str,
    follow_up_date: dt.date | None,
    expected_version: int,
    checkin: CheckIn | None = None,
    today: dt.date | None = None,
) -> Deviation:
    """Record the corrective action the owner and reviewer agreed, and when to follow
    up; again to revise it. ``checkin``: the check-in it was agreed in, if any."""
    today = today or timezone.localdate()
    with transaction.atomic():
        deviation = lock_deviation(deviation)
        if not may_agree(actor, deviation):
            raise PermissionDenied
        _require_current_move(
            deviation, to_status=DeviationStatus.ACTION_AGREED, expected_version=expected_version
        )
        cycle = deviation.participation.cycle
        if cycle.phase != Cycle.Phase.IMPLEMENTATION:
            raise DeviationWorkflowError(
                _("%(cycle)s is in its %(phase)s phase: actions are agreed during implementation.")
                % {"cycle": cycle.name, "phase": cycle.get_phase_display()}
            )
        errors = {}
        action = (action or "").strip()
        if not action:
            errors["corrective_action"] = _("Say what will be done to catch up.")
        if follow_up_date is None:
            errors["follow_up_date"] = _("Choose a date to follow up.")
        elif follow_up_date < today:
            errors["follow_up_date"] = _("The follow-up date cannot be in the past.")
        elif follow_up_date > cycle.end_date:
            errors["follow_up_date"] = _(
                "The follow-up date must fall within the cycle (until %(date)s)."
            ) % {"date": format_date(cycle.end_date)}
        if checkin is not None and checkin.participation_id != deviation.participation_id:
            errors["agreed_in"] = _("Choose one of this person's check-ins in this cycle.")
        if errors:
            raise ValidationError(errors)
        revising = deviation.status == DeviationStatus.ACTION_AGREED
        fields = ["status", "corrective_action", "follow_up_date", "agreed_in"]
        before = snapshot(deviation, fields)
        deviation.status = DeviationStatus.ACTION_AGREED
        deviation.corrective_action = action
        deviation.follow_up_date = follow_up_date
        deviation.agreed_in = checkin
        save_versioned(deviation, fields)
        record_event(
            actor=actor,
            verb="deviation.action_revised" if revising else "deviation.action_agreed",
            obj=deviation,
            before=before,
            after=snapshot(deviation, fields),
        )
        if is_owner(actor, deviation):
            other = (
                deviation.participation.reviewer.user if deviation.participation.reviewer else None
            )
        else:
            other = deviation.owner.user
        _tell(
            other,
            actor=actor,
            title=_("%(name)s agreed a corrective action on “%(goal)s”: follow up on %(date)s")
            % {
                "name": _actor_name(actor),
                "goal": deviation.goal.title,
                "date": format_date(follow_up_date),
            },
            body=action,
            deviation=deviation,
        )
    return deviation


def _close(
    *,
    actor,
    deviation: Deviation,
    to_status: str,
    text: str,
    field_name: str,
    missing: str,
    expected_version: int,
) -> Deviation:
    with transaction.atomic():
        deviation = lock_deviation(deviation)
        if not may_decide(actor, deviation):
            raise PermissionDenied
        _require_current_move(deviation, to_status=to_status, expected_version=expected_version)
        text = (text or "").strip()
        if not text:
            raise ValidationError({field_name: missing})
        fields = ["status", "resolution"]
        before = snapshot(deviation, fields)
        deviation.status = to_status
        deviation.resolution = text
        deviation.closed_at = timezone.now()
        deviation.closed_actual_percent = _actual_now(deviation.goal)
        save_versioned(deviation, [*fields, "closed_at", "closed_actual_percent"])
        record_event(
            actor=actor,
            verb=f"deviation.{to_status}",
            obj=deviation,
            before=before,
            after=snapshot(deviation, fields),
        )
        if to_status == DeviationStatus.RESOLVED:
            title = _("%(name)s resolved the deviation on “%(goal)s”")
        else:
            title = _("%(name)s accepted the shortfall on “%(goal)s”")
        _tell(
            deviation.owner.user,
            actor=actor,
            title=title % {"name": _actor_name(actor), "goal": deviation.goal.title},
            body=text,
            deviation=deviation,
        )
    return deviation


def _actual_now(goal: Goal) -> Decimal:
    """The goal's actual progress (%) from its current value, as detection reads it."""
    direction = None
    if goal.indicator_id:
        direction = (
            Indicator.objects.filter(pk=goal.indicator_id)
            .values_list("direction", flat=True)
            .first()
        )
    return goal_rules.goal_progress(
        baseline=goal.baseline,
        target=goal.target,
        actual=goal.current_value,
        direction=direction or "higher",
    )


def resolve_deviation(
    *, actor, deviation: Deviation, note: str, expected_version: int
) -> Deviation:
    """The agreed action worked: the reviewer (or HR) closes the deviation with a note."""
    return _close(
        actor=actor,
        deviation=deviation,
        to_status=DeviationStatus.RESOLVED,
        text=note,
        field_name="note",
        missing=_("Say how the deviation was resolved."),
        expected_version=expected_version,
    )


def accept_deviation(
    *, actor, deviation: Deviation, reason: str, expected_version: int
) -> Deviation:
    """The shortfall is accepted (e.g. the goal became obsolete): the reviewer or HR
    closes the deviation, and must say why."""
    return _close(
        actor=actor,
        deviation=deviation,
        to_status=DeviationStatus.ACCEPTED,
        text=reason,
        field_name="reason",
        missing=_("Say why the shortfall is accepted."),
        expected_version=expected_version,
    )
