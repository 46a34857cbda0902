"""Improvement plans as each role reads them: the plan page, "My plan" (the employee),
"Plans I support" (the manager), HR's list by status and outcome, the to-dos, and the
panel on the person's check-in pages.

Every plan is fetched through ``plans_visible_to`` (feedback/policies.py PLAN: the
employee, the reviewer, the reviewer's manager, the chain above and HR): anything else is
a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from appraisal.models import Appraisal
from feedback.models import (
    RUNNING_PLAN_STATUSES,
    CheckpointStatus,
    ImprovementPlan,
    PlanAction,
    PlanCheckpoint,
    PlanStatus,
    RootCause,
)
from feedback.policies import PLAN
from feedback.selectors.todos import PHASES as TODO_PHASES
from feedback.selectors.todos import rows_for
from feedback.services import plans as services
from perfcycle import access
from perfcycle.access import Relation
from perfcycle.compiled import CompiledQuery
from perfcycle.models import Cycle, Employee
from perfcycle.paging import RowsOfIds
from perfcycle.reversing import url_with_id
from perfcycle.selectors import Todo
from perfcycle.stages import CheckinPanel, Health

S = PlanStatus
# A plan starts on a released appraisal: none exists in a cycle before its appraisal phase.
NO_PLANS_YET = (Cycle.Phase.PLANNING, Cycle.Phase.IMPLEMENTATION)
# Where the to-dos look without a query: the people in, or reviewing, a cycle from its
# appraisal phase on (see plan_todos).
PLAN_PHASES = (Cycle.Phase.APPRAISAL, Cycle.Phase.FEEDBACK, Cycle.Phase.APPLICATION)
OPEN = (S.DRAFT, S.AGREED, S.ACTIVE, S.EXTENDED)
CLOSED = (S.COMPLETED, S.NOT_MET)


def plans_visible_to(user):
    return ImprovementPlan.objects.filter(PLAN.readable(user))


# The plan page's row, its SQL built once (perfcycle/compiled.py): the plan with what the
# page shows (the person, the cycle, the manager, the result and the interview; not the
# reviewer's login nor the department: each join costs the planner more than the row).
_plan_page_row = CompiledQuery(
    lambda plan_id: ImprovementPlan.objects.select_related(
        "participation__cycle",
        "participation__employee__user",
        "manager__user",
        "appraisal",
        "interview",
    ).filter(pk=plan_id)
)


def get_plan_for(user, plan_id) -> ImprovementPlan:
    """A plan the user reads (``plans_visible_to``), else a 404: read by its id, then the
    read rule asked of its one participation (``PLAN.may_read``, the relations that cost
    no query first), without building every participation the user may read."""
    rows = _plan_page_row(int(plan_id))
    if not rows or not PLAN.may_read(user, rows[0].participation):
        raise Http404
    return rows[0]


def get_checkpoint_for(user, checkpoint_id) -> PlanCheckpoint:
    return get_object_or_404(
        PlanCheckpoint.objects.filter(plan__in=plans_visible_to(user)).select_related("plan"),
        pk=checkpoint_id,
    )


def get_action_for(user, action_id) -> PlanAction:
    return get_object_or_404(
        PlanAction.objects.filter(plan__in=plans_visible_to(user)).select_related("plan"),
        pk=action_id,
    )


def get_appraisal_for_plan(user, appraisal_id) -> Appraisal:
    """A released appraisal the user reviews (404 otherwise): where a plan may start."""
    qs = Appraisal.objects.filter(
        access.participation_q(user, Relation.REVIEWER, "participation"),
        released_at__isnull=False,
    )
    return get_object_or_404(qs, pk=appraisal_id)


# --- One plan ------------------------------------------------------------------------------


@dataclass
class PlanPage:
    """What the plan page shows about one plan, and what the viewer may do with it."""

    plan: ImprovementPlan
    causes: list
    actions: list
    checkpoints: list
    side: str | None  # "employee", "manager" or None (reading only)
    can_edit: bool
    can_sign: bool
    signed_by_me: bool
    can_start: bool
    can_close: bool
    can_record: set  # check-point ids the viewer may record now
    can_tick: set  # action ids the viewer may tick off
    missing: list  # what the plan lacks before it can be signed
    today: dt.date

    @property
    def next_checkpoint(self):
        return next((p for p in self.checkpoints if p.status == CheckpointStatus.UPCOMING), None)


# The plan page's three lists, their SQL built once (perfcycle/compiled.py): what
# plan.causes.all(), plan.actions and plan.checkpoints read, in the page's order.
_plan_causes = CompiledQuery(lambda plan_id: RootCause.objects.filter(plans__pk=plan_id))
_plan_actions = CompiledQuery(
    lambda plan_id: PlanAction.objects.filter(plan_id=plan_id).order_by(
        "position", "due_date", "pk"
    )
)
_plan_checkpoints = CompiledQuery(
    lambda plan_id: (
        PlanCheckpoint.objects.filter(plan_id=plan_id)
        .select_related("recorded_by")
        .order_by("due_date", "pk")
    )
)


def plan_page(user, plan: ImprovementPlan, *, today: dt.date | None = None) -> PlanPage:
    """The plan's causes, actions and check-points (three queries) and the viewer's
    possible actions."""
    today = today or timezone.localdate()
    side = services.side_of(user, plan)
    causes = _plan_causes(plan.pk)
    actions = _plan_actions(plan.pk)
    checkpoints = _plan_checkpoints(plan.pk)
    for point in checkpoints:
        point.plan = plan
    editable = side is not None and plan.status in services.EDITABLE
    signed_by_me = bool(
        (side == "employee" and plan.employee_signed_at)
        or (side == "manager" and plan.manager_signed_at)
    )
    missing = []
    if side is not None and plan.status == S.DRAFT:
        missing = _missing(plan, actions, checkpoints)
    running = plan.status in services.RUNNING
    return PlanPage(
        plan=plan,
        causes=causes,
        actions=actions,
        checkpoints=checkpoints,
        side=side,
        can_edit=editable,
        can_sign=side is not None and plan.status == S.DRAFT and not signed_by_me,
        signed_by_me=signed_by_me,
        can_start=side == "manager" and plan.status == S.AGREED,
        can_close=services.may_close(user, plan),
        can_record={
            p.pk for p in checkpoints if side == "manager" and services.may_record(p, today)
        },
        can_tick={
            a.pk
            for a in actions
            if running and (side == "manager" or (side == "employee" and a.owner == "employee"))
        },
        missing=missing,
        today=today,
    )


def _missing(plan, actions, checkpoints) -> list[str]:
    """``services.missing_for_signature`` on what the page already loaded (no query)."""
    missing = []
    if not plan.gap.strip():
        missing.append(_("Describe the gap."))
    if not plan.success_criteria.strip():
        missing.append(_("Write the success criteria."))
    if plan.starts_on is None or plan.ends_on is None:
        missing.append(_("Set the start and end dates."))
    if not actions:
        missing.append(_("Add at least one action."))
    if not checkpoints:
        missing.append(_("Add at least one check-point."))
    return missing


def cause_choices(plan: ImprovementPlan | None = None):
    """Active root causes, plus any the plan already names (a retired one stays)."""
    condition = Q(is_active=True)
    if plan is not None and plan.pk:
        condition |= Q(plans=plan)
    return RootCause.objects.filter(condition).distinct().order_by("position", "name")


# --- Lists ------------------------------------------------------------------------------


def plan_rows(qs=None, *, manager: bool = True):
    """What a list row shows: the person, cycle, manager (unless ``manager`` is False: a
    list without the column), the next check-point and how many actions are still open
    (each a subquery: no row multiplication)."""
    qs = ImprovementPlan.objects.all() if qs is None else qs
    # Only what a row shows (no appraisal, interview or reviewer: 5 objects a row fewer,
    # and not the appraisal's wide snapshot columns).
    qs = qs.select_related(
        "participation__cycle",
        "participation__employee__user",
        "participation__employee__department",
        *(["manager__user"] if manager else []),
    )
    open_actions = (
        PlanAction.objects.filter(plan=OuterRef("pk"), done_at__isnull=True)
        .order_by()
        .values("plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        next_checkpoint=_soonest_checkpoint(),
        open_actions=Coalesce(Subquery(open_actions, output_field=IntegerField()), 0),
    )


# A list row as values (perfcycle/paging.py RowsOfIds): what plan_rows.html reads of a
# plan, its person, cycle and manager, without the eight model instances a row.
_ROW_VALUES = (
    "pk",
    "status",
    "required",
    "starts_on",
    "ends_on",
    "participation__cycle__name",
    *(f"participation__employee__{name}" for name in Employee.NAME_VALUES),
    "participation__employee__department_id",
    "participation__employee__department__name",
)
_MANAGER_VALUES = ("manager__is_active", *(f"manager__{name}" for name in Employee.NAME_VALUES))


@dataclass
class _Named:
    name: str


@dataclass
class _Person:
    full_name: str
    department: _Named | None = None
    is_active: bool = True


@dataclass
class _Participation:
    cycle: _Named
    employee: _Person


@dataclass
class PlanRow:
    """One row of a list of plans, as plan_rows.html reads a plan."""

    pk: int
    status: str
    required: bool
    starts_on: dt.date | None
    ends_on: dt.date | None
    next_checkpoint: dt.date | None
    open_actions: int
    participation: _Participation
    manager: _Person | None
    url: str

    def get_absolute_url(self) -> str:
        return self.url

    def get_status_display(self):
        return S(self.status).label


def _plan_url(pk: int) -> str:
    return url_with_id("feedback:plan-detail", pk)


def _plan_row(values: dict) -> PlanRow:
    department_id = values["participation__employee__department_id"]
    manager = None
    if "manager__is_active" in values:
        manager = _Person(
            full_name=Employee.name_in(values, "manager"), is_active=values["manager__is_active"]
        )
    return PlanRow(
        pk=values["pk"],
        status=values["status"],
        required=values["required"],
        starts_on=values["starts_on"],
        ends_on=values["ends_on"],
        next_checkpoint=values["next_checkpoint"],
        open_actions=values["open_actions"],
        participation=_Participation(
            cycle=_Named(values["participation__cycle__name"]),
            employee=_Person(
                full_name=Employee.name_in(values, "participation__employee"),
                department=_Named(values["participation__employee__department__name"])
                if department_id is not None
                else None,
            ),
        ),
        manager=manager,
        url=_plan_url(values["pk"]),
    )


def _row_values(*, manager: bool):
    return plan_rows(manager=False).values(
        *_ROW_VALUES, *(_MANAGER_VALUES if manager else ()), "next_checkpoint", "open_actions"
    )


# The rows of a page of HR's list and of "Plans I support" (no manager column), their SQL
# built once (perfcycle/paging.py).
hr_plan_rows = RowsOfIds(lambda: _row_values(manager=True), row=_plan_row)
team_plan_rows = RowsOfIds(lambda: _row_values(manager=False), row=_plan_row)


# "My plan": the person's plans as list rows, SQL built once per process
# (perfcycle/compiled.py): building it (four joins, two subqueries) cost ~1 ms a request.
_my_plans = CompiledQuery(
    lambda employee_id: plan_rows(
        ImprovementPlan.objects.filter(participation__employee_id=employee_id)
    ).order_by("-created_at", "-pk")
)


def my_plans(user) -> list[ImprovementPlan]:
    """The person's own plans, running first, then newest (one query)."""
    employee = access.employee_of(user)
    if employee is None:
        return []
    return sorted(_my_plans(employee.pk), key=lambda p: p.status not in OPEN)


def _running_first():
    return Case(When(status__in=OPEN, then=Value(0)), default=Value(1))


def _soonest_checkpoint():
    return Subquery(
        PlanCheckpoint.objects.filter(plan=OuterRef("pk"), status=CheckpointStatus.UPCOMING)
        .order_by("due_date")
        .values("due_date")[:1]
    )


def supported_plans(user, *, status: str = ""):
    """The lean list of the plans the user supports (as the participation's reviewer),
    running first, then by next check-point."""
    qs = ImprovementPlan.objects.filter(PLAN.q(user, Relation.REVIEWER))
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(running=_running_first(), soonest=_soonest_checkpoint()).order_by(
        "running", F("soonest").asc(nulls_last=True), "-created_at", "pk"
    )


# How many plans an employee supports, by status, its SQL built once (perfcycle/compiled.py);
# the reviewer relation (PLAN's REVIEWER) joined directly, as in _startable.
_supported_counts = CompiledQuery(
    lambda employee_id: (
        ImprovementPlan.objects.filter(participation__reviewer_id=employee_id)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
)


def supported_counts(user) -> dict[str, int]:
    counts = dict.fromkeys(S.values, 0)
    employee = access.employee_of(user)
    if employee is None:
        return counts
    for row in _supported_counts(employee.pk):
        counts[row["status"]] = row["n"]
    return counts


# Released appraisals of open cycles an employee reviews that have no running plan, its
# SQL built once (perfcycle/compiled.py). The reviewer relation (PLAN's REVIEWER, as
# get_appraisal_for_plan asks it) joined directly: the participation is joined anyway for
# its cycle and person, and one relation fewer halves the planning (2.4 → 1.2 ms).
_startable = CompiledQuery(
    lambda employee_id: (
        Appraisal.objects.filter(participation__reviewer_id=employee_id, released_at__isnull=False)
        .exclude(participation__cycle__phase=Cycle.Phase.CLOSED)
        .exclude(participation__employee_id=employee_id)
        .exclude(
            Exists(
                ImprovementPlan.objects.filter(
                    appraisal=OuterRef("pk"), status__in=RUNNING_PLAN_STATUSES
                )
            )
        )
        .select_related("participation__employee__user", "participation__cycle")
        .order_by("participation__employee__user__last_name", "pk")[:100]
    )
)


def startable_appraisals(user) -> list[Appraisal]:
    """Released appraisals of open cycles the user reviews that have no running plan:
    where a plan by choice can start (one query)."""
    employee = access.employee_of(user)
    if employee is None:
        return []
    return _startable(employee.pk)


# --- HR ---------------------------------------------------------------------------------

STATUS_FILTERS = [("", gettext_lazy("All"))] + [(v, label) for v, label in S.choices]


def hr_plans(*, cycle_id: int | None = None, status: str = "", kind: str = ""):
    """HR's lean list (every plan), filtered; running first, newest first."""
    qs = ImprovementPlan.objects.all()
    if cycle_id:
        qs = qs.filter(participation__cycle_id=cycle_id)
    if status:
        qs = qs.filter(status=status)
    if kind == "required":
        qs = qs.filter(required=True)
    elif kind == "choice":
        qs = qs.filter(required=False)
    return qs.annotate(running=_running_first()).order_by("running", "-created_at", "-pk")


# Plans by status and required, of every cycle or of one, their SQL built once
# (perfcycle/compiled.py): building the eight filtered counts of one aggregate cost ~1.2 ms
# of CPU a request; at most twelve rows (six statuses, required or not) added up here.
def _counts_by_status(qs):
    return qs.order_by().values("status", "required").annotate(n=Count("pk"))


_all_counts = CompiledQuery(lambda: _counts_by_status(ImprovementPlan.objects.all()), arguments=0)
_cycle_counts = CompiledQuery(
    lambda cycle_id: _counts_by_status(
        ImprovementPlan.objects.filter(participation__cycle_id=cycle_id)
    )
)


def hr_counts(*, cycle_id: int | None = None) -> dict:
    """Counts by status, and required vs by choice, in one query."""
    rows = _cycle_counts(cycle_id) if cycle_id else _all_counts()
    figures = {"total": 0, "required": 0, **dict.fromkeys(S.values, 0)}
    for row in rows:
        figures["total"] += row["n"]
        if row["required"]:
            figures["required"] += row["n"]
        if row["status"] in figures:
            figures[row["status"]] += row["n"]
    return figures


def hr_total(counts: dict, *, status: str = "", kind: str = "") -> int | None:
    """How many plans ``hr_plans`` lists for these filters, when ``hr_counts`` tells it
    (then the list's paging counts nothing of its own); None for a status and a kind."""
    if status and kind:
        return None
    if status:
        return counts[status]
    if kind == "required":
        return counts["required"]
    if kind == "choice":
        return counts["total"] - counts["required"]
    return counts["total"]


# Its SQL built once (perfcycle/compiled.py).
_hr_cycles = CompiledQuery(
    lambda: Cycle.objects.filter(
        pk__in=ImprovementPlan.objects.values("participation__cycle_id")
    ).order_by("-start_date", "-pk"),
    arguments=0,
)


def hr_cycles() -> list[Cycle]:
    """The cycles that have plans, newest first (for the filter)."""
    return _hr_cycles()


# --- To-dos -------------------------------------------------------------------------------


def plan_todos(viewer) -> list[Todo]:
    """The employee's plan to sign; for the manager, plans to sign and check-points to
    record. One query, for the people in or reviewing a cycle from its appraisal on."""
    employee = viewer.employee
    if employee is None:
        return []
    # No query for the many who are in, or review, no cycle that can have plans yet (the
    # home pages' budget). A plan outliving its cycle's close is still reminded by the beat
    # and shown on the person's check-ins.
    own = set(viewer.own_participation_ids(*TODO_PHASES))
    reviewed = viewer.reviewed_ids(*TODO_PHASES)
    if not own and not reviewed:
        return []
    # The stage's one to-do query (feedback/selectors/todos.py): each released appraisal
    # with the plan on it that asks something.
    rows = [row for row in rows_for(viewer, [*own, *reviewed]) if row["plan_pk"] is not None]
    todos = []
    for row in rows:
        url = reverse("feedback:plan-detail", args=[row["plan_pk"]])
        mine = row["participation_id"] in own
        name = " ".join(part for part in (row["first_name"], row["last_name"]) if part)
        if row["plan_status"] == S.DRAFT:
            signed = row["plan_employee_signed"] if mine else row["plan_manager_signed"]
            if signed is None:
                todos.append(
                    Todo(
                        title=_("Write and sign your improvement plan")
                        if mine
                        else _("Write and sign the improvement plan of %(name)s") % {"name": name},
                        url=url,
                        action=_("Open plan"),
                    )
                )
        elif not mine and row["points_due"]:
            todos.append(
                Todo(
                    title=ngettext(
                        "Record %(count)s check-point of %(name)s's improvement plan",
                        "Record %(count)s check-points of %(name)s's improvement plan",
                        row["points_due"],
                    )
                    % {"count": row["points_due"], "name": name},
                    url=url,
                    action=_("Record"),
                    due=row["first_due"],
                )
            )
    return todos


# --- The check-in panel ----------------------------------------------------------------


def checkin_panels(participation, viewer) -> list[CheckinPanel]:
    """The person's running plans on their check-in pages (of any cycle: a plan agreed in
    one cycle runs into the next), with the next check-point and the open actions due
    soonest; only what the viewer may read. One query when there is none."""
    plans = list(
        ImprovementPlan.objects.filter(
            PLAN.readable(viewer.user),
            participation__employee_id=participation.employee_id,
            status__in=services.RUNNING,
        )
        .select_related("participation__cycle")
        .prefetch_related(
            Prefetch(
                "checkpoints",
                queryset=PlanCheckpoint.objects.filter(status=CheckpointStatus.UPCOMING).order_by(
                    "due_date", "pk"
                ),
                to_attr="upcoming",
            ),
            Prefetch(
                "actions",
                queryset=PlanAction.objects.filter(done_at__isnull=True).order_by("due_date", "pk"),
                to_attr="open_actions",
            ),
        )
        .order_by("ends_on", "pk")
    )
    if not plans:
        return []
    today = timezone.localdate()
    for plan in plans:
        plan.next_point = plan.upcoming[0] if plan.upcoming else None
        plan.due_actions = plan.open_actions[:3]
        plan.more_actions = len(plan.open_actions) - len(plan.due_actions)
    return [
        CheckinPanel(
            key="improvement-plan",
            title=_("Improvement plan"),
            template="feedback/plan_checkin_panel.html",
            context={"plans": plans, "today": today},
            order=50,
        )
    ]


# --- HR home -------------------------------------------------------------------------


def plan_health(cycle: Cycle, *, today: dt.date) -> list[Health]:
    """The cycle's improvement plans on HR's home: signed by both (of all plans), with
    those whose check-points go unrecorded as overdue, and the outcomes so far. One query;
    nothing for a cycle without plans, and no query before the ratings can be released
    (no plan can start before)."""
    if cycle.phase in NO_PLANS_YET:
        return []
    figures = ImprovementPlan.objects.filter(participation__cycle=cycle).aggregate(
        total=Count("pk"),
        signed=Count("pk", filter=~Q(status=S.DRAFT)),
        running=Count("pk", filter=Q(status__in=services.RUNNING)),
        completed=Count("pk", filter=Q(status=S.COMPLETED)),
        not_met=Count("pk", filter=Q(status=S.NOT_MET)),
        missed=Count(
            "pk",
            filter=Q(status__in=services.RUNNING, checkpoints__status=CheckpointStatus.MISSED),
            distinct=True,
        ),
    )
    if not figures["total"]:
        return []
    url = f"{reverse('feedback:plan-hr')}?cycle={cycle.pk}"
    return [
        Health(
            key="feedback_plans",
            label=_("Improvement plans signed by both"),
            url=url,
            done=figures["signed"],
            total=figures["total"],
            overdue=figures["missed"],
            parts=(
                (_("Running"), figures["running"], f"{url}&status=active"),
                (_("Completed"), figures["completed"], f"{url}&status=completed"),
                (_("Not met"), figures["not_met"], f"{url}&status=not_met"),
            ),
        )
    ]
