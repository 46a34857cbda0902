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


# --- Goal workflow: owner/author scopes, the planning pages, readiness and to-dos -------
# Appended by the "Stage 1 planning" workflow; its imports sit here so the section stays
# one self-contained block (this module is shared).

from dataclasses import dataclass  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.db.models import (  # noqa: E402
    Case,
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Sum,
    TextChoices,
    Value,
    When,
)
from django.db.models.functions import Coalesce  # noqa: E402
from django.http import Http404  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils.formats import number_format  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django.utils.translation import gettext_lazy, ngettext  # noqa: E402

from goals import rules  # noqa: E402
from goals.models import AdjustmentStatus, GoalStatus  # noqa: E402
from perfcycle.models import Cycle  # noqa: E402
from perfcycle.selectors import Todo, current_participation  # noqa: E402

ZERO = Decimal("0")
HUNDRED = Decimal("100")
# Owners act first on returned goals, then drafts; approved goals are settled.
STATUS_ORDER = [GoalStatus.RETURNED, GoalStatus.DRAFT, GoalStatus.SUBMITTED, GoalStatus.APPROVED]


def percent_text(value: Decimal) -> str:
    """A weight for a sentence: "90", "12.5" (locale-formatted, no trailing zeros)."""
    value = value.normalize()
    places = max(0, -value.as_tuple().exponent)
    return number_format(value, decimal_pos=places)


def goals_owned_by(user):
    """The user's own individual goals: only the owner drafts, edits and submits them."""
    employee = access.employee_of(user)
    if employee is None:
        return Goal.objects.none()
    return Goal.objects.filter(level=GoalLevel.INDIVIDUAL, owner=employee)


def goals_editable_by(user):
    """Goals whose content the user writes: their own individual goals; HR the company
    and department goals; a manager the goals of their own department."""
    employee = access.employee_of(user)
    condition = Q(pk__in=[])
    if employee is not None:
        condition |= Q(level=GoalLevel.INDIVIDUAL, owner=employee)
    if access.is_hr(user):
        condition |= Q(level__in=[GoalLevel.COMPANY, GoalLevel.DEPARTMENT])
    elif employee is not None and employee.department_id and access.is_manager(user):
        condition |= Q(level=GoalLevel.DEPARTMENT, department_id=employee.department_id)
    return Goal.objects.filter(condition)


def goals_adjustable_by(user):
    """Goals whose owner, or whose reviewer (or HR), may ask for an adjustment."""
    return Goal.objects.filter(
        Q(pk__in=goals_owned_by(user).values("pk"))
        | Q(pk__in=goals_reviewable_by(user).values("pk"))
    )


def adjustments_decidable_by(user):
    return AdjustmentRequest.objects.filter(goal__in=goals_reviewable_by(user))


def get_goal_from(scope, goal_id):
    """One goal out of one of the scopes above; outside it is a 404, like a missing goal."""
    return get_object_or_404(scope.select_related("cycle", "owner__user"), pk=goal_id)


def get_adjustment_for(user, adjustment_id):
    """A pending or decided adjustment the user may decide; anything else is a 404."""
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


# --- Which cycle a page is about -----------------------------------------------------------


def open_cycles_for(user):
    """Open cycles the user plans in: as a participant or a reviewer; HR all of them."""
    qs = Cycle.objects.exclude(phase=Cycle.Phase.CLOSED)
    if access.is_hr(user):
        return qs
    employee = access.employee_of(user)
    if employee is None:
        return qs.none()
    mine = Participation.objects.filter(Q(employee=employee) | Q(reviewer=employee))
    return qs.filter(pk__in=mine.values("cycle_id"))


def current_cycle_for(user, cycle_id: int | None = None) -> Cycle | None:
    """The cycle asked for (404 if the user has no part in it), else the newest open cycle
    in planning, else the newest open one."""
    qs = open_cycles_for(user).order_by("-start_date", "-pk")
    if cycle_id is not None:
        return get_object_or_404(qs, pk=cycle_id)
    return qs.filter(phase=Cycle.Phase.PLANNING).first() or qs.first()


def my_participation(user, cycle_id: int | None = None) -> Participation | None:
    """The user's participation in the cycle asked for (404 if not theirs), else in their
    current open cycle."""
    employee = access.employee_of(user)
    if cycle_id is None:
        return current_participation(employee)
    if employee is None:
        raise Http404
    return get_object_or_404(
        Participation.objects.with_people().exclude(cycle__phase=Cycle.Phase.CLOSED),
        employee=employee,
        cycle_id=cycle_id,
    )


def reviewing_cycles(user):
    """Open cycles in which the user reviews somebody, newest first."""
    employee = access.employee_of(user)
    if employee is None:
        return Cycle.objects.none()
    return (
        Cycle.objects.exclude(phase=Cycle.Phase.CLOSED)
        .filter(pk__in=Participation.objects.filter(reviewer=employee).values("cycle_id"))
        .order_by("-start_date", "-pk")
    )


def reviewing_cycle_for(user, cycle_id: int | None = None) -> Cycle | None:
    """The cycle of the team page: the one asked for (404 unless the user reviews someone
    in it), else the newest in planning, else the newest."""
    qs = reviewing_cycles(user)
    if cycle_id is not None:
        return get_object_or_404(qs, pk=cycle_id)
    return qs.filter(phase=Cycle.Phase.PLANNING).first() or qs.first()


def creatable_levels(user, cycle: Cycle) -> list[str]:
    """Goal levels the user may create in ``cycle``: individual for a participant,
    department for HR and managers, company for HR."""
    levels = []
    employee = access.employee_of(user)
    if (
        employee is not None
        and Participation.objects.filter(cycle=cycle, employee=employee).exists()
    ):
        levels.append(GoalLevel.INDIVIDUAL)
    hr = access.is_hr(user)
    if hr or (employee is not None and employee.department_id and access.is_manager(user)):
        levels.append(GoalLevel.DEPARTMENT)
    if hr:
        levels.append(GoalLevel.COMPANY)
    return levels


def assignable_participants(user, cycle: Cycle):
    """People the user may assign goals to in ``cycle``: those they review (HR: anyone)."""
    qs = Participation.objects.filter(cycle=cycle).select_related("employee__user")
    if access.is_hr(user):
        return qs.order_by("employee__user__last_name", "employee__user__first_name")
    employee = access.employee_of(user)
    return qs.filter(reviewer=employee).order_by(
        "employee__user__last_name", "employee__user__first_name"
    )


# --- Goal pages -------------------------------------------------------------------------


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

    Two queries whatever the depth: the cycle's parent map, then the goals on the chain
    the user may see; a goal on the chain the user may not see shows as ``None``.
    """
    parent_of = dict(Goal.objects.filter(cycle_id=goal.cycle_id).values_list("id", "parent_id"))
    chain_ids: list[int] = []
    node = goal.parent_id
    while node is not None and node not in chain_ids and node != goal.pk:
        chain_ids.append(node)
        node = parent_of.get(node)
    visible = (
        goals_visible_to(user).filter(pk__in=chain_ids).select_related("owner__user", "department")
    )
    by_id = {g.pk: g for g in visible}
    return [by_id.get(pk) for pk in chain_ids]


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
        goals_visible_to(user)
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
        decide_adjustment=reviewer and is_open and pending_adjustment is not None,
    )


# --- The team page --------------------------------------------------------------------


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


def readiness_counts(cycle: Cycle) -> dict[str, int]:
    """How many participants are in each readiness status (one query)."""
    counts = planning_readiness(cycle).aggregate(
        **{s.value: Count("pk", filter=Q(readiness=s.value)) for s in Readiness},
        total=Count("pk"),
    )
    return counts


def team_participants(user, cycle: Cycle, *, status: str | None = None):
    """The people the user reviews in ``cycle`` with their weight totals (one query);
    with ``status``, only those who have a goal in that status."""
    employee = access.employee_of(user)
    qs = _readiness(
        Participation.objects.filter(cycle=cycle, reviewer=employee).select_related(
            "employee__user", "employee__department"
        ),
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


def pending_adjustments_for(user, cycle: Cycle | None = None):
    """Adjustment requests waiting for this user's decision as reviewer (not as HR)."""
    employee = access.employee_of(user)
    qs = AdjustmentRequest.objects.filter(
        status=AdjustmentStatus.PENDING,
        goal__owner__participations__reviewer=employee,
        goal__owner__participations__cycle=F("goal__cycle"),
    )
    if cycle is not None:
        qs = qs.filter(goal__cycle=cycle)
    return qs.select_related("goal__owner__user", "requested_by").order_by("requested_at")


# --- The planning guard and the home pages' to-dos ------------------------------------

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
    off_count = off.count()
    if off_count:
        shown = [
            _("%(name)s %(weight)s %%")
            % {"name": p.employee.full_name, "weight": percent_text(p.approved_weight)}
            for p in off[:GUARD_NAMES_SHOWN]
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
    reviewer: goals awaiting approval and adjustment requests to decide. Three queries
    at most, none for a reviewer-free person outside planning."""
    todos: list[Todo] = []
    employee = viewer.employee
    if employee is None:
        return todos
    participation = viewer.current_participation
    if participation is not None and participation.cycle.phase == Cycle.Phase.PLANNING:
        todos += _owner_todos(employee, participation.cycle)
    if viewer.reviews_anyone:
        todos += _reviewer_todos(employee)
    return todos


def _owner_todos(employee, cycle: Cycle) -> list[Todo]:
    counts = Goal.objects.filter(cycle=cycle, owner=employee, level=GoalLevel.INDIVIDUAL).aggregate(
        total=Count("pk"),
        drafts=Count("pk", filter=Q(status=GoalStatus.DRAFT)),
        returned=Count("pk", filter=Q(status=GoalStatus.RETURNED)),
        weight=Coalesce(Sum("weight"), Value(ZERO), output_field=DecimalField()),
    )
    my_goals_url = reverse("goals:my-goals")
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


def _reviewer_todos(employee) -> list[Todo]:
    todos = []
    team_url = reverse("goals:team-goals")
    awaiting = (
        Goal.objects.filter(
            level=GoalLevel.INDIVIDUAL,
            status=GoalStatus.SUBMITTED,
            cycle__phase=Cycle.Phase.PLANNING,
            owner__participations__reviewer=employee,
            owner__participations__cycle=F("cycle"),
        )
        .values("cycle_id", "cycle__planning_deadline")
        .annotate(count=Count("pk"))
        .order_by("cycle__planning_deadline", "cycle_id")
    )
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
    adjustments = (
        AdjustmentRequest.objects.filter(
            status=AdjustmentStatus.PENDING,
            goal__cycle__in=Cycle.objects.exclude(phase=Cycle.Phase.CLOSED),
            goal__owner__participations__reviewer=employee,
            goal__owner__participations__cycle=F("goal__cycle"),
        )
        .values("goal__cycle_id")
        .annotate(count=Count("pk"))
        .order_by("goal__cycle_id")
    )
    for row in adjustments:
        todos.append(
            Todo(
                title=ngettext(
                    "%(count)s goal adjustment request awaits your decision",
                    "%(count)s goal adjustment requests await your decision",
                    row["count"],
                )
                % {"count": row["count"]},
                url=f"{team_url}?cycle={row['goal__cycle_id']}#adjustments",
                action=_("Decide"),
            )
        )
    return todos
