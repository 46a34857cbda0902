"""Who sees which goals, and the read queries of the planning pages.

Company and department goals are the organisation's strategy: every employee may read
them (they align their own goals to them). Individual goals follow the people scope of
perfcycle/access.py: the owner, their managers up the chain, their reviewer in the
cycle, and HR.
"""

from django.db.models import F, Q
from django.shortcuts import get_object_or_404

from goals.models import AdjustmentRequest, Goal, GoalLevel
from perfcycle import access
from perfcycle.models import Participation


def goals_visible_to(user):
    qs = Goal.objects.all()
    if access.is_hr(user):
        return qs
    employee = access.employee_of(user)
    if employee is None:
        return qs.none()
    reviewed = Participation.objects.filter(reviewer=employee).values("employee_id")
    return qs.filter(
        Q(level__in=[GoalLevel.COMPANY, GoalLevel.DEPARTMENT])
        | Q(owner=employee)
        | Q(owner__in=access.report_ids(employee))
        | Q(owner__in=reviewed)
    )


def goals_reviewable_by(user):
    """Individual goals this user may approve or return: as the owner's reviewer in
    that cycle (the manager at enrolment), or as HR."""
    qs = Goal.objects.filter(level=GoalLevel.INDIVIDUAL)
    if access.is_hr(user):
        return qs
    employee = access.employee_of(user)
    if employee is None:
        return qs.none()
    return qs.filter(
        owner__participations__reviewer=employee,
        owner__participations__cycle=F("cycle"),
    )


def get_goal_for(user, goal_id, *, for_update=False):
    qs = goals_visible_to(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs.select_related("cycle"), pk=goal_id)


def adjustments_visible_to(user):
    return AdjustmentRequest.objects.filter(goal__in=goals_visible_to(user))
