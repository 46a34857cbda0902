"""Goal factories shared by every stage's tests (no services, no magic: each call makes
exactly what it says, straight in the database)."""

import itertools
from decimal import Decimal

from goals import rollups
from goals.models import AdjustmentRequest, Goal, GoalLevel, GoalStatus
from perfcycle.models import Cycle, Department, Employee

_seq = itertools.count(1)


def make_goal(
    owner: Employee | None = None,
    *,
    cycle: Cycle,
    level: str | None = None,
    status: str = GoalStatus.DRAFT,
    weight: Decimal | int | str = 50,
    title: str | None = None,
    department: Department | None = None,
    parent: Goal | None = None,
    **fields,
) -> Goal:
    """A goal in ``cycle``: individual when it has an owner, department when it has a
    department, else company."""
    if level is None:
        if owner is not None:
            level = GoalLevel.INDIVIDUAL
        elif department is not None:
            level = GoalLevel.DEPARTMENT
        else:
            level = GoalLevel.COMPANY
    goal = Goal.objects.create(
        cycle=cycle,
        level=level,
        owner=owner,
        department=department,
        parent=parent,
        title=title or f"Goal {next(_seq)}",
        weight=Decimal(str(weight)),
        status=status,
        created_by=owner.user if owner is not None else None,
        **fields,
    )
    rollups.refresh([goal.pk, goal.parent_id])  # as the goals services do
    return goal


def make_goals(owner: Employee, *, cycle: Cycle, weights, status=GoalStatus.APPROVED) -> list[Goal]:
    """One goal per weight, e.g. ``weights=[60, 40]`` for a complete plan."""
    return [make_goal(owner, cycle=cycle, weight=w, status=status) for w in weights]


def make_adjustment(goal: Goal, *, by, reason: str = "Market changed", **values):
    return AdjustmentRequest.objects.create(
        goal=goal, requested_by=by.user, reason=reason, **values
    )
