"""The team page and HR's planning progress: readiness per participant."""

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    Sum,
    TextChoices,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy

from goals.models import Goal, GoalLevel, GoalStatus
from goals.selectors.pages import HUNDRED, ZERO, _with_pending_adjustment
from perfcycle import access, rollups
from perfcycle.compiled import CompiledQuery
from perfcycle.lookups import IdsIn, ids_in
from perfcycle.models import Cycle, Employee, Participation
from perfcycle.stages import Health


class Readiness(TextChoices):
    NO_GOALS = "no_goals", gettext_lazy("No goals")
    WEIGHTS_OFF = "weights_off", gettext_lazy("Weights not 100 %")
    PENDING = "pending", gettext_lazy("Awaiting approval")
    READY = "ready", gettext_lazy("Ready")


def _readiness(participations, cycle: Cycle):
    """Per participant: goals, drafts, pending approvals, planned and approved weight,
    and the readiness status. One query for any number of people."""
    goal = Q(employee__goals__cycle_id=cycle.pk, employee__goals__level=GoalLevel.INDIVIDUAL)
    status = "employee__goals__status"
    money = DecimalField(max_digits=9, decimal_places=2)
    return participations.annotate(
        goal_count=Count("employee__goals", filter=goal),
        draft_count=Count(
            "employee__goals",
            filter=goal & Q(**{f"{status}__in": [GoalStatus.DRAFT, GoalStatus.RETURNED]}),
        ),
        pending_count=Count("employee__goals", filter=goal & Q(**{status: GoalStatus.SUBMITTED})),
        planned_weight=Coalesce(
            Sum("employee__goals__weight", filter=goal), Value(ZERO), output_field=money
        ),
        approved_weight=Coalesce(
            Sum("employee__goals__weight", filter=goal & Q(**{status: GoalStatus.APPROVED})),
            Value(ZERO),
            output_field=money,
        ),
    ).annotate(
        readiness=Case(
            When(goal_count=0, then=Value(Readiness.NO_GOALS)),
            When(pending_count__gt=0, then=Value(Readiness.PENDING)),
            When(~Q(approved_weight=HUNDRED), then=Value(Readiness.WEIGHTS_OFF)),
            default=Value(Readiness.READY),
        )
    )


def planning_readiness(cycle: Cycle):
    """HR's view of planning: every participant of ``cycle`` with goal count, approved
    weight total, pending approvals and a status (no goals / weights off / pending /
    ready). A queryset, so the page filters, sorts and paginates it in the database."""
    return _readiness(
        Participation.objects.filter(cycle=cycle).select_related(
            "employee__user", "employee__department", "reviewer__user"
        ),
        cycle,
    )


# The tables readiness is worked out from (each tracked: perfcycle's migration 0006 and
# goals' 0005).
READINESS_SOURCES = ("goals_goal", "perfcycle_participation", "perfcycle_employee")


def readiness_counts(cycle: Cycle) -> dict[str, int]:
    """How many participants are in each readiness status, and in all: a stored roll-up
    of the cycle (perfcycle/rollups.py: one query while no goal, participation or person
    changed; else one over every goal of the cycle, stored)."""
    return rollups.cached(
        f"planning-readiness:{cycle.pk}",
        lambda: _count_readiness(cycle),
        sources=READINESS_SOURCES,
    )


def _count_readiness(cycle: Cycle) -> dict[str, int]:
    return planning_readiness(cycle).aggregate(
        **{s.value: Count("pk", filter=Q(readiness=s.value)) for s in Readiness},
        total=Count("pk"),
    )


def team_participants(user, cycle: Cycle, *, status: str | None = None):
    """The people the user reviews in ``cycle`` with their weight totals (one query);
    with ``status``, only those who have a goal in that status."""
    return _team_participants(
        access.participations_related(user, access.Relation.REVIEWER), cycle, status=status
    )


def _team_participants(participations, cycle: Cycle, *, status: str | None = None):
    qs = _readiness(
        participations.filter(cycle=cycle).select_related("employee__user", "employee__department"),
        cycle,
    )
    if status:
        qs = qs.filter(
            Exists(
                Goal.objects.filter(
                    cycle=cycle,
                    level=GoalLevel.INDIVIDUAL,
                    owner=OuterRef("employee_id"),
                    status=status,
                )
            )
        )
    return qs.order_by("employee__user__last_name", "employee__user__first_name", "pk")


def _reviewed_by(reviewer_id: int, cycle_id: int, status=None):
    # Only the reviewer's id is read (access.held_by_q), so the SQL is built once.
    reviewed = Participation.objects.filter(
        access.held_by_q(Employee(pk=reviewer_id), access.Relation.REVIEWER)
    )
    people = _team_participants(reviewed, Cycle(pk=cycle_id), status=status)
    return people.annotate(list_total=Window(Count("pk")))[:TEAM_PAGE_SIZE]


# The team page's first page with the length of the list (a window count: no COUNT query).
_first_people = CompiledQuery(_reviewed_by, arguments=2)
_first_people_in_status = CompiledQuery(_reviewed_by, arguments=3)

TEAM_PAGE_SIZE = 50


def _first_page(number) -> bool:
    # Paginator.get_page shows the first page for 1 and for what is not a number (0 or
    # less is past the end: the last page).
    try:
        return int(number) == 1
    except (TypeError, ValueError):
        return True


def team_page(user, cycle: Cycle, number, *, status: str | None = None) -> Page:
    """Page ``number`` (as ``Paginator.get_page`` takes it) of ``team_participants``.
    The first page, nearly always the only one, is one query compiled once; a later page
    the paginator's two."""
    employee = access.employee_of(user)
    if employee is not None and _first_page(number) and connection.vendor == "postgresql":
        if status:
            people = _first_people_in_status(employee.pk, cycle.pk, status)
        else:
            people = _first_people(employee.pk, cycle.pk)
        paginator = Paginator(people, TEAM_PAGE_SIZE)
        paginator.count = people[0].list_total if people else 0  # a cached_property
        return Page(people, 1, paginator)
    people = team_participants(user, cycle, status=status)
    return Paginator(people, TEAM_PAGE_SIZE).get_page(number)


def _goals_of(cycle_id: int, owner_ids: str, status=None):
    qs = Goal.objects.filter(cycle_id=cycle_id, level=GoalLevel.INDIVIDUAL).filter(
        IdsIn(F("owner_id"), owner_ids)
    )
    return _goal_rows(qs, status)


def _goal_rows(qs, status):
    if status is not None:
        qs = qs.filter(status=status)
    return (
        _with_pending_adjustment(qs).order_by("owner_id", "title", "pk").values(*TEAM_GOAL_VALUES)
    )


# What the team page shows of a goal (goals.templatetags.team_goals).
TEAM_GOAL_VALUES = (
    "pk",
    "owner_id",
    "title",
    "status",
    "weight",
    "due_date",
    "parent_id",
    "parent__title",
    "has_pending_adjustment",
)
_goal_values = CompiledQuery(_goals_of, arguments=2)
_goal_values_in_status = CompiledQuery(_goals_of, arguments=3)


def team_goal_rows(cycle: Cycle, owner_ids, *, status: str | None = None) -> list[dict]:
    """The goals of the given people in ``cycle``, for the team page, as values rows
    (TEAM_GOAL_VALUES), with SQL built once."""
    if not owner_ids:
        return []
    if connection.vendor != "postgresql":
        qs = Goal.objects.filter(cycle=cycle, level=GoalLevel.INDIVIDUAL).filter(
            ids_in("owner_id", owner_ids)
        )
        return list(_goal_rows(qs, status or None))
    ids = "{" + ",".join(str(int(pk)) for pk in owner_ids) + "}"
    if status:
        return _goal_values_in_status(cycle.pk, ids, status)
    return _goal_values(cycle.pk, ids)


def planning_health(cycle: Cycle, *, today) -> list[Health]:
    """HR home's planning line for a cycle in planning: participants whose plan is ready
    (goals approved, weights 100 %) of all, overdue once the planning deadline passed."""
    if cycle.phase != Cycle.Phase.PLANNING:
        return []
    counts = _count_readiness(cycle)  # HR home's health is a stored roll-up of its own
    url = f"{reverse('goals:planning-progress')}?cycle={cycle.pk}"
    late = cycle.planning_deadline is not None and cycle.planning_deadline < today
    open_count = counts["total"] - counts[Readiness.READY]
    return [
        Health(
            key="planning",
            label=gettext("Goals approved"),
            url=url,
            done=counts[Readiness.READY],
            total=counts["total"],
            overdue=open_count if late else 0,
            parts=tuple(
                (r.label, counts[r.value], f"{url}&status={r.value}")
                for r in Readiness
                if r != Readiness.READY and counts[r.value]
            ),
        )
    ]
