"""The goal pages: my goals by status, weight totals, alignment and the buttons a goal's page offers."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Exists,
    OuterRef,
)
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from goals import rules
from goals.models import AdjustmentRequest, AdjustmentStatus, Goal, GoalLevel, GoalStatus
from goals.selectors.scopes import (
    adjustments_decidable_by,
    goals_alignable_for,
    goals_editable_by,
    goals_reviewable_by,
    goals_visible_to,
)
from perfcycle import access
from perfcycle.models import Cycle

ZERO = Decimal("0")


HUNDRED = Decimal("100")


STATUS_ORDER = [GoalStatus.RETURNED, GoalStatus.DRAFT, GoalStatus.SUBMITTED, GoalStatus.APPROVED]


def percent_text(value: Decimal) -> str:
    """A weight for a sentence: "90", "12.5" (locale-formatted, no trailing zeros)."""
    value = value.normalize()
    places = max(0, -value.as_tuple().exponent)
    return number_format(value, decimal_pos=places)


def _with_pending_adjustment(qs):
    return qs.annotate(
        has_pending_adjustment=Exists(
            AdjustmentRequest.objects.filter(goal=OuterRef("pk"), status=AdjustmentStatus.PENDING)
        )
    )


def my_goals(employee, cycle: Cycle):
    """An owner's individual goals in a cycle, with what they align to (one query)."""
    qs = Goal.objects.filter(cycle=cycle, owner=employee, level=GoalLevel.INDIVIDUAL)
    return _with_pending_adjustment(
        qs.select_related("cycle", "parent", "indicator").order_by("title", "pk")
    )


@dataclass(frozen=True)
class StatusGroup:
    status: str
    label: str
    goals: list


def group_by_status(goals) -> list[StatusGroup]:
    """Goals in status groups, in the order the owner acts on them; empty groups left out."""
    by_status: dict[str, list] = {}
    for goal in goals:
        by_status.setdefault(goal.status, []).append(goal)
    return [
        StatusGroup(status=s.value, label=s.label, goals=by_status[s])
        for s in STATUS_ORDER
        if s in by_status
    ]


@dataclass(frozen=True)
class WeightSummary:
    """How a set of goal weights stands against 100 %, in words for the page."""

    total: Decimal
    gap: Decimal

    @property
    def complete(self) -> bool:
        return self.gap == 0

    @property
    def bar_percent(self) -> int:
        return int(min(self.total, HUNDRED))

    @property
    def text(self) -> str:
        values = {"total": percent_text(self.total), "gap": percent_text(abs(self.gap))}
        if self.gap > 0:
            return _("%(total)s %% of 100 %% — add %(gap)s %%") % values
        if self.gap < 0:
            return _("%(total)s %% of 100 %% — remove %(gap)s %%") % values
        return _("%(total)s %% of 100 %% — complete") % values


def weight_summary(goals) -> WeightSummary:
    weights = [goal.weight for goal in goals]
    return WeightSummary(total=sum(weights, ZERO), gap=rules.weight_gap(weights))


def alignment_chain(user, goal: Goal) -> list:
    """The goals above ``goal`` up to the top (a company goal, normally), nearest first.

    Two queries whatever the depth or the size of the cycle: the ids up the chain (a
    recursive walk by primary key), then the goals on it the user may see; a goal on the
    chain the user may not see shows as ``None``.
    """
    chain_ids: list[int] = []
    for node in _ids_up_from(goal.parent_id):
        if node in chain_ids or node == goal.pk:
            break  # a loop (the services refuse them): stop where it closes
        chain_ids.append(node)
    visible = (
        goals_visible_to(user).filter(pk__in=chain_ids).select_related("owner__user", "department")
    )
    by_id = {g.pk: g for g in visible}
    return [by_id.get(pk) for pk in chain_ids]


CHAIN_SQL = """
WITH RECURSIVE chain (id, parent_id, depth) AS (
    SELECT id, parent_id, 1 FROM {table} WHERE id = %s
    UNION ALL
    SELECT g.id, g.parent_id, chain.depth + 1
    FROM {table} g JOIN chain ON g.id = chain.parent_id
    WHERE chain.depth < %s
)
SELECT id FROM chain ORDER BY depth
"""
MAX_DEPTH = 50  # far deeper than any cascade; bounds the walk should a loop exist


def _ids_up_from(goal_id: int | None) -> list[int]:
    """``goal_id`` and the ids of the goals above it, nearest first (one query)."""
    if goal_id is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(CHAIN_SQL.format(table=Goal._meta.db_table), [goal_id, MAX_DEPTH])
        return [row[0] for row in cursor.fetchall()]


def aligned_children(user, goal: Goal):
    return (
        goals_visible_to(user)
        .filter(parent=goal)
        .select_related("owner__user", "department")
        .order_by("level", "title")
    )


def parent_choices(user, cycle: Cycle, goal: Goal | None = None) -> list[Goal]:
    """Goals of ``cycle`` the user may see and align to: never the goal itself or one
    already aligned below it (that would make a loop). Two queries."""
    goals = list(
        goals_alignable_for(user)
        .filter(cycle=cycle)
        .select_related("owner__user", "department")
        .order_by("level", "title", "pk")
    )
    if goal is None or goal.pk is None:
        return goals
    parent_of = dict(Goal.objects.filter(cycle=cycle).values_list("id", "parent_id"))
    return [g for g in goals if not rules.would_create_cycle(goal.pk, g.pk, parent_of)]


@dataclass(frozen=True)
class GoalActions:
    """Which buttons a goal's page offers this user; the services enforce the same rules."""

    edit: bool = False
    submit: bool = False
    delete: bool = False
    review: bool = False
    request_adjustment: bool = False
    decide_adjustment: bool = False
    comment: bool = True


def goal_actions(user, goal: Goal, *, pending_adjustment: AdjustmentRequest | None) -> GoalActions:
    planning = goal.cycle.phase == Cycle.Phase.PLANNING
    is_open = goal.cycle.phase != Cycle.Phase.CLOSED
    individual = goal.level == GoalLevel.INDIVIDUAL
    employee = access.employee_of(user)
    own = employee is not None and goal.owner_id == employee.pk
    reviewer = individual and not own and goals_reviewable_by(user).filter(pk=goal.pk).exists()
    editable = goals_editable_by(user).filter(pk=goal.pk).exists()
    open_statuses = [GoalStatus.DRAFT, GoalStatus.RETURNED]
    if individual:
        can_edit = editable and planning and goal.status in open_statuses
    else:
        can_edit = editable and planning
    return GoalActions(
        edit=can_edit,
        submit=own and planning and goal.status in open_statuses,
        delete=editable and planning and goal.status == GoalStatus.DRAFT,
        review=reviewer and planning and goal.status == GoalStatus.SUBMITTED,
        request_adjustment=(
            individual
            and is_open
            and goal.status == GoalStatus.APPROVED
            and pending_adjustment is None
            and (own or reviewer)
        ),
        decide_adjustment=(
            is_open
            and pending_adjustment is not None
            and adjustments_decidable_by(user).filter(pk=pending_adjustment.pk).exists()
        ),
    )
