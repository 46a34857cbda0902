"""The team page and HR's planning progress: readiness per participant."""

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    Sum,
    TextChoices,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy

from goals.models import Goal, GoalLevel, GoalStatus
from goals.selectors.pages import HUNDRED, ZERO, _with_pending_adjustment
from perfcycle import access, rollups
from perfcycle.models import Cycle, Participation
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
    qs = _readiness(
        access.participations_related(user, access.Relation.REVIEWER)
        .filter(cycle=cycle)
        .select_related("employee__user", "employee__department"),
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


def team_goals(cycle: Cycle, owner_ids, *, status: str | None = None):
    """The goals of the given people in ``cycle`` (one query), for the team page."""
    qs = Goal.objects.filter(cycle=cycle, level=GoalLevel.INDIVIDUAL, owner_id__in=owner_ids)
    if status:
        qs = qs.filter(status=status)
    return _with_pending_adjustment(
        qs.select_related("cycle", "parent", "owner__user").order_by("owner_id", "title", "pk")
    )


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
