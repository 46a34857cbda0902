"""Who sees and who acts on which goals and adjustment requests.

Company and department goals are the organisation's strategy: every employee may read
them (they align their own goals to them). Individual goals, their comments and their
adjustments follow the goals stage's policies (goals/policies.py) over the relations of
perfcycle/access.py: the owner, this cycle's reviewer and the reviewer's manager, the
management chain above the owner, and HR. A reviewer of an earlier cycle has no say in
the person's later cycles.
"""

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404

from goals.models import AdjustmentRequest, AdjustmentStatus, Goal, GoalLevel
from goals.policies import ADJUSTMENT, GOAL
from perfcycle import access
from perfcycle.compiled import CompiledQuery
from perfcycle.models import Participation

STRATEGY = [GoalLevel.COMPANY, GoalLevel.DEPARTMENT]


def goals_visible_to(user):
    qs = Goal.objects.all()
    if access.is_hr(user):
        return qs
    if access.employee_of(user) is None:
        return qs.none()
    return qs.filter(Q(level__in=STRATEGY) | (Q(level=GoalLevel.INDIVIDUAL) & GOAL.readable(user)))


def goals_reviewable_by(user):
    """Individual goals this user may approve or return: as the owner's reviewer in
    that cycle (the manager at enrolment), or as HR."""
    return Goal.objects.filter(GOAL.acting(user, "review"), level=GoalLevel.INDIVIDUAL)


def goals_alignable_for(user):
    """Goals the user may align a goal of theirs below: the strategy, and the individual
    goals the "align" policy allows (never a former report's later goals)."""
    qs = Goal.objects.all()
    if access.employee_of(user) is None and not access.is_hr(user):
        return qs.none()
    return qs.filter(
        Q(level__in=STRATEGY) | (Q(level=GoalLevel.INDIVIDUAL) & GOAL.acting(user, "align"))
    )


def get_goal_for(user, goal_id, *, for_update=False):
    qs = goals_visible_to(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs.select_related("cycle"), pk=goal_id)


def adjustments_visible_to(user):
    return AdjustmentRequest.objects.filter(goal__in=goals_visible_to(user))


def goals_owned_by(user):
    """The user's own individual goals: only the owner drafts, edits and submits them."""
    return Goal.objects.filter(GOAL.acting(user, "own"), level=GoalLevel.INDIVIDUAL)


def goals_editable_by(user):
    """Goals whose content the user writes: their own individual goals; HR the company
    and department goals; a manager the goals of their own department."""
    employee = access.employee_of(user)
    condition = Q(level=GoalLevel.INDIVIDUAL) & GOAL.acting(user, "own")
    if access.is_hr(user):
        condition |= Q(level__in=STRATEGY)
    elif employee is not None and employee.department_id and access.is_manager(user):
        condition |= Q(level=GoalLevel.DEPARTMENT, department_id=employee.department_id)
    return Goal.objects.filter(condition)


def goals_adjustable_by(user):
    """Approved individual goals whose owner, or whose reviewer (or HR), may ask for an
    adjustment."""
    return Goal.objects.filter(GOAL.acting(user, "request_adjustment"), level=GoalLevel.INDIVIDUAL)


def _asked_by_reviewer(*, without_manager: bool = False):
    """Whether an adjustment was asked for by the reviewer of the goal's participation
    (optionally: a reviewer who has no manager, so HR decides)."""
    reviewer = Participation.objects.filter(
        cycle=OuterRef("goal__cycle"),
        employee=OuterRef("goal__owner"),
        reviewer__user=OuterRef("requested_by"),
    )
    if without_manager:
        reviewer = reviewer.filter(reviewer__manager__isnull=True)
    return Exists(reviewer.values("pk"))


def _not_mine(qs, user):
    """Four-eyes: never the requester, never the goal's owner."""
    employee = access.employee_of(user)
    if user.is_authenticated:
        qs = qs.exclude(requested_by_id=user.pk)
    if employee is not None:
        qs = qs.exclude(goal__owner=employee)
    return qs


def adjustments_decidable_by(user):
    """Requests the user may decide. Asked by the owner (or HR): the reviewer or HR.
    Asked by the reviewer: the reviewer's own manager or HR. Never the requester."""
    by_reviewer = _asked_by_reviewer()
    qs = AdjustmentRequest.objects.filter(goal__level=GoalLevel.INDIVIDUAL).filter(
        (~by_reviewer & ADJUSTMENT.acting(user, "decide"))
        | (by_reviewer & ADJUSTMENT.acting(user, "decide_reviewer_request"))
    )
    return _not_mine(qs, user)


def adjustments_routed_to(user):
    """Requests waiting on this user's to-do list: as this cycle's reviewer when the owner
    asked, one step up when the reviewer asked, and as HR when that reviewer has no
    manager. The requester's list never shows their own request."""
    by_reviewer = _asked_by_reviewer()
    routed = (~by_reviewer & ADJUSTMENT.q(user, access.Relation.REVIEWER)) | (
        by_reviewer & ADJUSTMENT.q(user, access.Relation.NEXT_UP)
    )
    if access.is_hr(user):
        routed |= _asked_by_reviewer(without_manager=True)
    qs = AdjustmentRequest.objects.filter(status=AdjustmentStatus.PENDING).filter(routed)
    return _not_mine(qs, user)


def get_goal_from(scope, goal_id):
    """One goal out of one of the scopes above; outside it is a 404, like a missing goal."""
    return get_object_or_404(scope.select_related("cycle", "owner__user"), pk=goal_id)


def get_adjustment_for(user, adjustment_id):
    """A pending or decided adjustment the user may decide; anything else is a 404 (the
    requester included: someone else decides)."""
    return get_object_or_404(
        adjustments_decidable_by(user).select_related("goal__cycle", "goal__owner__user"),
        pk=adjustment_id,
    )


def is_reviewer(user) -> bool:
    """Whether the team page is for this user: a manager, or a reviewer in some cycle."""
    employee = access.employee_of(user)
    if employee is None:
        return False
    return access.is_manager(user) or Participation.objects.filter(reviewer=employee).exists()


def pending_adjustments_for(user, cycle=None):
    """Adjustment requests waiting for this user's decision (the team page's list)."""
    if cycle is not None and not _may_have_pending(user, cycle):
        return []
    qs = adjustments_routed_to(user)
    if cycle is not None:
        qs = qs.filter(goal__cycle=cycle)
    return qs.select_related("goal__owner__user", "requested_by").order_by("requested_at")


def _pending_on_team(employee_id: int, cycle_id: int):
    # A request is routed to a reviewer or to the reviewer's manager (HR aside): one on a
    # goal of someone this person, or a report of theirs, reviews in the cycle.
    team = Participation.objects.filter(cycle_id=cycle_id).filter(
        Q(reviewer_id=employee_id) | Q(reviewer__manager_id=employee_id)
    )
    return AdjustmentRequest.objects.filter(
        status=AdjustmentStatus.PENDING,
        goal__cycle_id=cycle_id,
        goal__owner_id__in=team.values("employee_id"),
    ).values("pk")[:1]


_any_pending_on_team = CompiledQuery(_pending_on_team, arguments=2)


def _may_have_pending(user, cycle) -> bool:
    """Whether a request may wait on the user in ``cycle``: a lean query compiled once,
    before the routing rules' (whose planning alone costs PostgreSQL several ms)."""
    employee = access.employee_of(user)
    if employee is None or access.is_hr(user):
        return True
    return bool(_any_pending_on_team(employee.pk, cycle.pk))
