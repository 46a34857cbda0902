"""Deviations: the lists, counts, history, actions and to-dos."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Case, Count, F, Q, When
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from implementation.models import Deviation, DeviationStatus, Severity
from implementation.policies import DEVIATION
from implementation.selectors import deviations_visible_to
from perfcycle import access, rollups
from perfcycle.compiled import CompiledQuery
from perfcycle.lookups import in_id_list
from perfcycle.models import AuditEvent, Cycle
from perfcycle.selectors import Todo, due_after
from perfcycle.workflow import may_move

DEVIATION_TODO_LIMIT = 3


def reviews_anyone(user) -> bool:
    """Is this user anyone's reviewer in a cycle (the manager at enrolment)?"""
    return access.participations_related(user, access.Relation.REVIEWER).exists()


def my_deviations(user):
    """The user's own deviations, newest first."""
    employee = access.employee_of(user)
    if employee is None:
        return Deviation.objects.none()
    return deviations_visible_to(user).filter(owner=employee)


def team_deviations(user):
    """HR: every deviation. A reviewer: those of the people they review, not their own."""
    qs = deviations_visible_to(user)
    if not access.is_hr(user):
        qs = qs.filter(DEVIATION.q(user, access.Relation.REVIEWER)).exclude(
            DEVIATION.q(user, access.Relation.SELF)
        )
    return qs


def deviation_rows():
    """What a row of the lists shows (read for one page of ids: perfcycle.paging)."""
    return Deviation.objects.with_people().select_related("owner__department")


def filter_deviations(qs, *, status: str = "", severity: str = "", department=None):
    """Narrow a deviation list: ``status`` "unresolved" (open or action agreed), a status,
    or anything else for all; a severity; the owner's department."""
    if status == "unresolved":
        qs = qs.unresolved()
    elif status in DeviationStatus.values:
        qs = qs.filter(status=status)
    if severity in Severity.values:
        qs = qs.filter(severity=severity)
    if department is not None:
        qs = qs.filter(owner__department=department)
    return qs


DEVIATION_SORTS = {
    "detected": ["-detected_on", "-pk"],
    "severity": ["severity_rank", "-detected_on", "-pk"],
    "owner": ["owner__user__last_name", "owner__user__first_name", "-detected_on", "-pk"],
    "goal": ["goal__title", "pk"],
    "follow_up": [F("follow_up_date").asc(nulls_last=True), "-detected_on", "-pk"],
}


def sort_deviations(qs, sort: str):
    """Order a deviation list by a column; unknown sorts fall back to newest first."""
    if sort == "severity":
        qs = qs.annotate(
            severity_rank=Case(
                When(severity=Severity.HIGH, then=0),
                When(severity=Severity.MEDIUM, then=1),
                default=2,
            )
        )
    return qs.order_by(*DEVIATION_SORTS.get(sort, DEVIATION_SORTS["detected"]))


def deviation_counts(qs) -> dict:
    """How many per status and per severity (unresolved only), in one query."""
    unresolved = Q(status__in=[DeviationStatus.OPEN, DeviationStatus.ACTION_AGREED])
    aggregates = {"all": Count("pk"), "unresolved": Count("pk", filter=unresolved)}
    for value in DeviationStatus.values:
        aggregates[value] = Count("pk", filter=Q(status=value))
    for value in Severity.values:
        aggregates[f"severity_{value}"] = Count("pk", filter=unresolved & Q(severity=value))
    return qs.order_by().aggregate(**aggregates)


def list_counts(qs, *, everyone: bool, department=None) -> dict:
    """``deviation_counts`` of a list (narrowed to ``department``). HR's whole list
    (``everyone``: ``qs`` is every deviation) with no department chosen is a stored
    roll-up: one query while no deviation changes (perfcycle/rollups.py)."""
    narrowed = filter_deviations(qs, department=department)
    if everyone and department is None:
        return rollups.cached(
            "deviation-counts:all",
            lambda: deviation_counts(narrowed),
            sources=("implementation_deviation",),
        )
    return deviation_counts(narrowed)


def list_total(counts: dict, *, status: str, severity: str) -> int | None:
    """How many rows the list filtered by ``status`` and ``severity`` has (as
    ``filter_deviations`` reads them), if the list's ``counts`` (same department) say it
    exactly, else None: no severity, or a severity among the unresolved."""
    if not severity:
        return counts[status if status in ("unresolved", *DeviationStatus.values) else "all"]
    if status == "unresolved":
        return counts[f"severity_{severity}"]
    return None


def deviation_history(deviation: Deviation):
    """The audit trail of one deviation, oldest first: detected, action agreed or revised,
    resolved, accepted or back on track."""
    return (
        AuditEvent.objects.filter(
            object_type=Deviation._meta.label_lower, object_id=str(deviation.pk)
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class DeviationActions:
    """Which buttons a deviation's page offers; the services enforce the same rules."""

    agree: bool = False
    resolve: bool = False
    accept: bool = False


def deviation_actions(user, deviation: Deviation) -> DeviationActions:
    from implementation.services import deviations as rules

    phase = deviation.participation.cycle.phase
    if phase == Cycle.Phase.CLOSED:
        return DeviationActions()
    deciding = rules.may_decide(user, deviation)
    return DeviationActions(
        agree=phase == Cycle.Phase.IMPLEMENTATION
        and rules.may_agree(user, deviation)
        and may_move(deviation, DeviationStatus.ACTION_AGREED),
        resolve=deciding and may_move(deviation, DeviationStatus.RESOLVED),
        accept=deciding and may_move(deviation, DeviationStatus.ACCEPTED),
    )


def action_due(deviation: Deviation):
    """When a corrective action on an open deviation should be agreed by:
    ``deviation_action`` days after it was detected (PERFCYCLE_TODO_DUE_DAYS)."""
    return due_after("deviation_action", deviation.detected_on)


def _each_or_summary(deviations, *, each, summary) -> list[Todo]:
    """One to-do per deviation, or one summary to-do when there are more than a home page
    should list (DEVIATION_TODO_LIMIT)."""
    if len(deviations) > DEVIATION_TODO_LIMIT:
        return [summary(len(deviations))]
    return [each(d) for d in deviations]


def _todo_rows_queryset(own, reviewed, employee_id, today):
    """The open deviations ``deviation_todos`` lists: the viewer's own (``own``
    participations) and their reports' (``reviewed``). The participation lists go to
    PostgreSQL as arrays and ``today`` as a parameter, so the SQL is the same for every
    viewer and day and is compiled once (``_todo_rows``; whole rows: CompiledQuery
    takes no deferred fields)."""
    table = Deviation._meta.db_table
    day = "%s::date" if connection.vendor == "postgresql" else "%s"  # SQLite: ISO text
    in_own = RawSQL(in_id_list(f'"{table}"."participation_id"'), [own], BooleanField())
    in_reviewed = RawSQL(in_id_list(f'"{table}"."participation_id"'), [reviewed], BooleanField())
    owner_q = Q(in_own, owner_id=employee_id, status=DeviationStatus.OPEN)
    reviewer_q = Q(in_reviewed) & ~Q(owner_id=employee_id)
    reviewer_q &= Q(status=DeviationStatus.OPEN) | Q(
        RawSQL(f'"{table}"."follow_up_date" <= {day}', [today], BooleanField()),
        status=DeviationStatus.ACTION_AGREED,
    )
    return (
        Deviation.objects.filter(owner_q | reviewer_q)
        .select_related("goal", "owner__user")
        .order_by(F("follow_up_date").asc(nulls_last=True), "detected_on", "pk")[:150]
    )


_todo_rows = CompiledQuery(_todo_rows_queryset, arguments=4)


def deviation_todos(viewer) -> list[Todo]:
    """For an owner: each open deviation needs a corrective action. For a reviewer, named
    by whose goal it is: each report's open deviation (no action yet) and each agreed action
    whose follow-up date has come. Many become one to-do linking the filtered list.
    Registered in implementation/stage.py; ``viewer``: perfcycle.stages.Viewer. One
    query for both roles."""
    employee = viewer.employee
    if employee is None:
        return []
    own = viewer.own_participation_ids(Cycle.Phase.IMPLEMENTATION)
    reviewed = viewer.reviewed_ids(Cycle.Phase.IMPLEMENTATION)
    if not own and not reviewed:
        return []
    todos: list[Todo] = []
    rows = _todo_rows(own, reviewed, employee.pk, timezone.localdate().isoformat())
    mine = [d for d in rows if d.owner_id == employee.pk]
    theirs = [d for d in rows if d.owner_id != employee.pk]
    needing_action = [d for d in theirs if d.status == DeviationStatus.OPEN]
    follow_ups = [d for d in theirs if d.status == DeviationStatus.ACTION_AGREED]
    todos += _each_or_summary(
        mine,
        each=lambda d: Todo(
            title=_("“%(goal)s” is behind: agree a corrective action") % {"goal": d.goal.title},
            url=d.get_absolute_url(),
            action=_("Agree an action"),
            due=action_due(d),
        ),
        summary=lambda count: Todo(
            title=ngettext(
                "%(count)s goal is behind: agree a corrective action",
                "%(count)s goals are behind: agree a corrective action for each",
                count,
            )
            % {"count": count},
            url=f"{reverse('implementation:my-deviations')}?status=open",
            action=_("Agree actions"),
            due=action_due(mine[0]),
        ),
    )
    todos += _each_or_summary(
        needing_action,
        each=lambda d: Todo(
            title=_("%(name)s: “%(goal)s” is behind, no corrective action yet")
            % {"name": d.owner.full_name, "goal": d.goal.title},
            url=d.get_absolute_url(),
            action=_("Review"),
            due=action_due(d),
        ),
        summary=lambda count: Todo(
            title=ngettext(
                "%(count)s goal of your team is behind with no corrective action yet",
                "%(count)s goals of your team are behind with no corrective action yet",
                count,
            )
            % {"count": count},
            url=f"{reverse('implementation:team-deviations')}?status=open",
            action=_("Review"),
            due=min(action_due(d) for d in needing_action),
        ),
    )
    todos += _each_or_summary(
        follow_ups,
        each=lambda d: Todo(
            title=_("%(name)s: follow up on “%(goal)s”")
            % {"name": d.owner.full_name, "goal": d.goal.title},
            url=d.get_absolute_url(),
            action=_("Follow up"),
            due=d.follow_up_date,
        ),
        summary=lambda count: Todo(
            title=ngettext(
                "%(count)s corrective action to follow up",
                "%(count)s corrective actions to follow up",
                count,
            )
            % {"count": count},
            url=f"{reverse('implementation:team-deviations')}?status=action_agreed",
            action=_("Follow up"),
            due=follow_ups[0].follow_up_date,
        ),
    )
    return todos
