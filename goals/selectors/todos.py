"""The planning phase guard and the home pages' planning to-dos."""

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    F,
    Min,
    Q,
    Sum,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from goals.models import AdjustmentRequest, AdjustmentStatus, Goal, GoalLevel, GoalStatus
from goals.selectors.pages import HUNDRED, ZERO, percent_text
from goals.selectors.scopes import adjustments_routed_to
from goals.selectors.team import planning_readiness
from perfcycle.compiled import CompiledQuery
from perfcycle.models import Cycle
from perfcycle.selectors import Todo, due_after

GUARD_NAMES_SHOWN = 5


def planning_blockers(cycle: Cycle) -> list[str]:
    """Why ``cycle`` cannot leave planning yet; empty when it can. Registered as the
    planning phase guard in goals/apps.py. Three queries whatever the size.

    People with no goals at all do not block: their template may have no goals section.
    Everyone who has goals needs approved weights totalling exactly 100 %, and no goal
    may still be waiting for approval.
    """
    problems = []
    off = (
        planning_readiness(cycle)
        .filter(goal_count__gt=0)
        .exclude(approved_weight=HUNDRED)
        .order_by("employee__user__last_name", "employee__user__first_name", "pk")
    )
    first = list(off.annotate(off_count=Window(Count("pk")))[:GUARD_NAMES_SHOWN])
    off_count = first[0].off_count if first else 0
    if off_count:
        shown = [
            _("%(name)s %(weight)s %%")
            % {"name": p.employee.full_name, "weight": percent_text(p.approved_weight)}
            for p in first
        ]
        if off_count > GUARD_NAMES_SHOWN:
            shown.append("…")
        problems.append(
            ngettext(
                "%(count)s person has approved goal weights that do not total 100 %% (%(names)s).",
                "%(count)s people have approved goal weights that do not total 100 %% (%(names)s).",
                off_count,
            )
            % {"count": off_count, "names": ", ".join(shown)}
        )
    pending = Goal.objects.filter(
        cycle=cycle, level=GoalLevel.INDIVIDUAL, status=GoalStatus.SUBMITTED
    ).count()
    if pending:
        problems.append(
            ngettext(
                "%(count)s goal is still awaiting approval.",
                "%(count)s goals are still awaiting approval.",
                pending,
            )
            % {"count": pending}
        )
    return problems


def todos_for(viewer) -> list[Todo]:
    """Planning to-dos for the home pages (``viewer``: perfcycle.stages.Viewer). As an
    owner: goals to submit or revise and weights to fix in a cycle in planning; as a
    reviewer (or the next person up, for four-eyes): goals awaiting approval and
    adjustment requests to decide. None of the reviewer queries for a person who
    reviews nobody and has no reviewer below them (``Viewer.reviewed``), and no query for
    goals awaiting approval unless someone they review is in a cycle in planning."""
    todos: list[Todo] = []
    employee = viewer.employee
    if employee is None:
        return todos
    for participation in viewer.participations_in(Cycle.Phase.PLANNING):
        todos += _owner_todos(employee, participation.cycle)
    if viewer.reviewed or viewer.is_hr:
        todos += _reviewer_todos(viewer)
    return todos


def _owner_todos(employee, cycle: Cycle) -> list[Todo]:
    counts = Goal.objects.filter(cycle=cycle, owner=employee, level=GoalLevel.INDIVIDUAL).aggregate(
        total=Count("pk"),
        drafts=Count("pk", filter=Q(status=GoalStatus.DRAFT)),
        returned=Count("pk", filter=Q(status=GoalStatus.RETURNED)),
        weight=Coalesce(Sum("weight"), Value(ZERO), output_field=DecimalField()),
    )
    my_goals_url = f"{reverse('goals:my-goals')}?cycle={cycle.pk}"
    due = cycle.planning_deadline
    todos = []
    if counts["total"] == 0:
        todos.append(
            Todo(
                title=_("Draft your goals for %(cycle)s") % {"cycle": cycle.name},
                url=f"{reverse('goals:goal-create')}?cycle={cycle.pk}",
                action=_("Draft a goal"),
                due=due,
            )
        )
        return todos
    if counts["returned"]:
        todos.append(
            Todo(
                title=ngettext(
                    "%(count)s goal was returned to you: revise and resubmit it",
                    "%(count)s goals were returned to you: revise and resubmit them",
                    counts["returned"],
                )
                % {"count": counts["returned"]},
                url=my_goals_url,
                action=_("Revise goals"),
                due=due,
            )
        )
    if counts["drafts"]:
        todos.append(
            Todo(
                title=ngettext(
                    "%(count)s draft goal to submit for approval",
                    "%(count)s draft goals to submit for approval",
                    counts["drafts"],
                )
                % {"count": counts["drafts"]},
                url=my_goals_url,
                action=_("Submit goals"),
                due=due,
            )
        )
    if counts["weight"] != HUNDRED:
        todos.append(
            Todo(
                title=_("Your goal weights total %(total)s %%; they must total 100 %%")
                % {"total": percent_text(counts["weight"])},
                url=my_goals_url,
                action=_("Fix weights"),
                due=due,
            )
        )
    return todos


def _awaiting_approval(in_planning):
    """Submitted goals of the people with these participations, per cycle (one query)."""
    return (
        Goal.objects.filter(
            level=GoalLevel.INDIVIDUAL,
            status=GoalStatus.SUBMITTED,
            cycle__phase=Cycle.Phase.PLANNING,
            owner__participations__in=in_planning,
            owner__participations__cycle=F("cycle"),
        )
        .values("cycle_id", "cycle__planning_deadline")
        .annotate(count=Count("pk"))
        .order_by("cycle__planning_deadline", "cycle_id")
    )


def _adjustment_counts(routed):
    """Per open cycle: how many of the ``routed`` requests wait, the first goal and the
    oldest request."""
    return (
        routed.filter(goal__cycle__in=Cycle.objects.exclude(phase=Cycle.Phase.CLOSED))
        .values("goal__cycle_id")
        .annotate(count=Count("pk"), goal_id=Min("goal_id"), oldest=Min("requested_at"))
        .order_by("goal__cycle_id")
    )


def _routed_counts_queryset(cycle_ids, owner_ids, askers, user_id, employee_id):
    """``_adjustment_counts(_adjustments_routed(viewer))`` for anyone but HR, with the
    (cycle, person, asker) triples of ``Viewer.reviewed`` as three PostgreSQL arrays (the
    asker NULL where the owner asks and the viewer decides as the reviewer), so the SQL is
    the same for every viewer and built once per process (``_routed_counts``): the ORM's
    OR of one condition per (cycle, asker) cost 1.5-4 ms of CPU on a manager's home page."""
    request, goal = AdjustmentRequest._meta.db_table, Goal._meta.db_table
    if connection.vendor == "postgresql":
        triples = "unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS r(cycle_id, owner_id, asker)"
    else:  # SQLite (make run's default): the three lists as JSON arrays, joined by position
        triples = (
            "(SELECT c.value AS cycle_id, o.value AS owner_id, a.value AS asker"
            " FROM json_each(%s) AS c JOIN json_each(%s) AS o ON o.key = c.key"
            " JOIN json_each(%s) AS a ON a.key = c.key) AS r"
        )
    routed = RawSQL(
        f"EXISTS (SELECT 1 FROM {triples}"
        f' WHERE r.cycle_id = "{goal}"."cycle_id" AND r.owner_id = "{goal}"."owner_id"'
        f' AND (r.asker IS NULL OR r.asker = "{request}"."requested_by_id"))',
        [cycle_ids, owner_ids, askers],
        BooleanField(),
    )
    qs = AdjustmentRequest.objects.filter(routed, status=AdjustmentStatus.PENDING)
    return _adjustment_counts(
        qs.exclude(requested_by_id=user_id).exclude(goal__owner_id=employee_id)
    )


_routed_counts = CompiledQuery(_routed_counts_queryset, arguments=5)


def _routed_counts_of(viewer) -> list[dict]:
    if viewer.is_hr:
        return list(_adjustment_counts(adjustments_routed_to(viewer.user)))
    mine = viewer.employee.pk
    rows = viewer.reviewed
    return _routed_counts(
        [row["cycle_id"] for row in rows],
        [row["employee_id"] for row in rows],
        [None if row["reviewer_id"] == mine else row["reviewer_user_id"] for row in rows],
        viewer.user.pk,
        mine,
    )


def _reviewer_todos(viewer) -> list[Todo]:
    todos = []
    team_url = reverse("goals:team-goals")
    in_planning = viewer.reviewed_ids(Cycle.Phase.PLANNING)
    awaiting = _awaiting_approval(in_planning) if in_planning else ()
    for row in awaiting:
        todos.append(
            Todo(
                title=ngettext(
                    "%(count)s goal of your team awaits your approval",
                    "%(count)s goals of your team await your approval",
                    row["count"],
                )
                % {"count": row["count"]},
                url=f"{team_url}?cycle={row['cycle_id']}&status={GoalStatus.SUBMITTED}",
                action=_("Review goals"),
                due=row["cycle__planning_deadline"],
            )
        )
    for row in _routed_counts_of(viewer):
        # One request: straight to the goal, where the decider may not be anyone's
        # reviewer (HR, or one step up); several: the team page lists them.
        if row["count"] == 1:
            url = reverse("goals:goal-detail", args=[row["goal_id"]])
        else:
            url = f"{team_url}?cycle={row['goal__cycle_id']}#adjustments"
        todos.append(
            Todo(
                title=ngettext(
                    "%(count)s goal adjustment request awaits your decision",
                    "%(count)s goal adjustment requests await your decision",
                    row["count"],
                )
                % {"count": row["count"]},
                url=url,
                action=_("Decide"),
                due=due_after("adjustment_decision", row["oldest"]),
            )
        )
    return todos
