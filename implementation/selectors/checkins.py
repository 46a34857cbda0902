"""Check-ins and progress: periods, who may act, my check-ins, the team board, HR's
participation, a goal's progress chart and the home to-dos."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BooleanField, Count, Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from goals import rules
from goals.models import Direction, Goal, GoalLevel, GoalStatus
from implementation import trajectory
from implementation.models import (
    CheckIn,
    CheckinComment,
    CheckinGoalProgress,
    CheckinQuestion,
    CheckinSettings,
    CheckinStatus,
    Deviation,
    Evidence,
    ProgressUpdate,
)
from implementation.policies import CHECKIN, PROGRESS
from implementation.selectors import get_checkin_for
from perfcycle import access, rollups
from perfcycle.charts import (
    ProgressChart,
    Sparkline,
    progress_chart,
    sparkline,
)
from perfcycle.compiled import CompiledQuery
from perfcycle.formatting import format_date_range
from perfcycle.lookups import in_id_list
from perfcycle.models import Cycle, Employee, Participation
from perfcycle.selectors import Todo, current_participation, due_after
from perfcycle.stages import running_first

CHECKIN_EDITABLE = (CheckinStatus.PENDING, CheckinStatus.MISSED)
CONFIDENCE_TREND_LENGTH = 6


def checkin_period(cycle: Cycle, day: dt.date) -> tuple[dt.date, dt.date] | None:
    """The check-in period of ``cycle`` containing ``day``: periods run at the cycle's
    cadence from its start date and stop at its implementation deadline."""
    return trajectory.period_containing(
        day, cycle.start_date, cycle.implementation_deadline, cycle.checkin_cadence
    )


def checkin_periods_started(cycle: Cycle, day: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The check-in periods of ``cycle`` that have begun by ``day``, oldest first."""
    return [
        period
        for period in trajectory.periods(
            cycle.start_date, cycle.implementation_deadline, cycle.checkin_cadence
        )
        if period[0] <= day
    ]


def checkin_settings_for(cycle: Cycle) -> CheckinSettings:
    """The cycle's check-in settings; the defaults (unsaved) when HR never set them."""
    return CheckinSettings.objects.filter(cycle=cycle).first() or CheckinSettings(cycle=cycle)


def checkin_questions(cycle: Cycle, *, active_only: bool = True):
    qs = CheckinQuestion.objects.filter(cycle=cycle)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("position", "pk")


def checkin_goals(checkin: CheckIn):
    """The goals a check-in reports on: the participant's approved individual goals in
    the check-in's cycle, heaviest first."""
    return Goal.objects.filter(
        cycle_id=checkin.participation.cycle_id,
        owner_id=checkin.participation.employee_id,
        level=GoalLevel.INDIVIDUAL,
        status=GoalStatus.APPROVED,
    ).order_by("-weight", "title", "pk")


def is_checkin_participant(user, checkin: CheckIn) -> bool:
    employee = access.employee_of(user)
    return employee is not None and checkin.participation.employee_id == employee.pk


def is_checkin_reviewer(user, checkin: CheckIn) -> bool:
    employee = access.employee_of(user)
    return employee is not None and checkin.participation.reviewer_id == employee.pk


def may_respond_to_checkin(user, checkin: CheckIn) -> bool:
    """The participation's reviewer or HR reply, follow up and review; never the
    participant themself (not even an HR admin on their own check-in)."""
    if is_checkin_participant(user, checkin):
        return False
    return CHECKIN.may(user, "respond", checkin.participation)


def may_comment_on_checkin(user, checkin: CheckIn) -> bool:
    """The participant, the reviewer and HR write in the thread; the chain above only
    reads it."""
    return is_checkin_participant(user, checkin) or may_respond_to_checkin(user, checkin)


@dataclass(frozen=True)
class CheckinActions:
    """Which buttons a check-in's page offers this user; the services enforce the same
    rules."""

    edit: bool = False
    reply: bool = False
    review: bool = False
    comment: bool = False
    follow_up: bool = False


def checkin_actions(user, checkin: CheckIn) -> CheckinActions:
    phase = checkin.participation.cycle.phase
    mine = is_checkin_participant(user, checkin)
    responder = may_respond_to_checkin(user, checkin)
    submitted = checkin.status == CheckinStatus.SUBMITTED
    is_open = phase != Cycle.Phase.CLOSED
    return CheckinActions(
        edit=mine and checkin.status in CHECKIN_EDITABLE and phase == Cycle.Phase.IMPLEMENTATION,
        reply=responder and submitted and is_open,
        review=responder and submitted and is_open,
        comment=may_comment_on_checkin(user, checkin) and is_open,
        follow_up=responder and is_open and checkin.status not in CHECKIN_EDITABLE,
    )


def may_record_progress(user, goal: Goal) -> bool:
    """The goal's owner, or the owner's reviewer in the goal's cycle, record its progress."""
    if goal.level != GoalLevel.INDIVIDUAL or goal.owner_id is None:
        return False
    participation = access.participation_of(goal.cycle_id, goal.owner_id)
    return PROGRESS.may(user, "record", participation)


def checkin_thread(checkin: CheckIn) -> dict:
    """What a check-in's page shows besides the check-in: progress per goal, answers,
    comments and the evidence dated in its period (four queries)."""
    return {
        "progress": list(
            CheckinGoalProgress.objects.filter(checkin=checkin)
            .select_related("goal")
            .order_by("-goal__weight", "goal__title", "goal_id")
        ),
        "answers": list(
            checkin.answers.select_related("question").order_by("question__position", "question_id")
        ),
        "comments": list(CheckinComment.objects.filter(checkin=checkin).select_related("author")),
        "evidence": list(
            Evidence.objects.filter(
                participation_id=checkin.participation_id,
                occurred_on__range=(checkin.period_start, checkin.period_end),
            )
            .select_related("goal")
            .annotate(attachment_count=Count("attachments"))
            .order_by("occurred_on", "pk")
        ),
    }


def checkin_for_form(user, checkin_id: int) -> CheckIn:
    """The user's own check-in for the form, with its saved progress and answers."""
    checkin = get_checkin_for(user, checkin_id)
    if not is_checkin_participant(user, checkin):
        raise Http404
    return checkin


# --- My check-ins -------------------------------------------------------------------------


def my_checkin_participation(
    user, cycle_id: int | None = None, *, viewer=None
) -> Participation | None:
    """The participation of the my-check-ins page: the cycle asked for (404 unless the user
    takes part in it; a closed one too, for its history), else the default open one. With
    the request's ``viewer`` (perfcycle.stages.Viewer), its open participations serve."""
    employee = access.employee_of(user)
    try:
        if viewer is not None:
            return viewer.participation_for(cycle_id)
        return current_participation(employee, cycle_id)
    except Http404:
        if employee is None:
            raise
        return get_object_or_404(
            Participation.objects.with_people(), employee=employee, cycle_id=cycle_id
        )


def my_checkin_cycles(user):
    """The cycle chooser's cycles: the user's open cycles and any with check-ins of theirs,
    in the order of the default-cycle rule (``stages.running_first``)."""
    employee = access.employee_of(user)
    if employee is None:
        return []
    return running_first(_my_checkin_cycles(employee.pk))


def _my_checkin_cycles_queryset(employee_id):
    theirs = Participation.objects.filter(employee_id=employee_id).filter(
        ~Q(cycle__phase=Cycle.Phase.CLOSED)
        | Exists(CheckIn.objects.filter(participation=OuterRef("pk")))
    )
    return Cycle.objects.filter(pk__in=theirs.values("cycle_id"))


def _my_checkins_queryset(participation_id):
    return (
        CheckIn.objects.filter(participation_id=participation_id)
        .annotate(comment_count=Count("comments"))
        .order_by("-period_start")
    )


# The two queries of my check-ins, their SQL built once per process (perfcycle/compiled.py).
_my_checkin_cycles = CompiledQuery(_my_checkin_cycles_queryset)
_my_checkins = CompiledQuery(_my_checkins_queryset)


def my_checkins(participation: Participation, *, today: dt.date):
    """A participant's check-ins, newest first, and the one to show on top: the current
    period's, else the newest still open (pending or missed). One query."""
    checkins = _my_checkins(participation.pk)
    period = checkin_period(participation.cycle, today)
    current = None
    if period is not None:
        current = next((c for c in checkins if c.period_start == period[0]), None)
    if current is None:
        current = next((c for c in checkins if c.status in CHECKIN_EDITABLE), None)
    history = [c for c in checkins if c is not current]
    return current, history


# --- The team board -----------------------------------------------------------------------


def checkin_reviewing_cycles(user):
    """Open cycles in which the user reviews somebody: implementation first, then newest."""
    employee = access.employee_of(user)
    return _reviewing_cycles(employee.pk) if employee is not None else []


def _reviewing_cycles_queryset(employee_id):
    reviewed = Participation.objects.filter(
        access.held_by_q(Employee(pk=employee_id), access.Relation.REVIEWER)
    )
    return (
        Cycle.objects.exclude(phase=Cycle.Phase.CLOSED)
        .filter(pk__in=reviewed.values("cycle_id"))
        .order_by("-start_date", "-pk")
    )


# Every request of the team board asks it: its SQL built once per process.
_reviewing_cycles = CompiledQuery(_reviewing_cycles_queryset)


@dataclass
class BoardRow:
    participation: Participation
    current: CheckIn | None
    trend: Sparkline
    open_deviations: int
    no_update: int = 0  # approved goals with a target and nothing reported yet


@dataclass
class TeamBoard:
    """The board of one reviewer in one cycle: the rows shown (all of them, or those whose
    current check-in is in the status asked for) and the counts of the status cards."""

    rows: list[BoardRow]
    counts: dict


def _board_people_queryset(employee_id, cycle_id):
    """The participations ``employee_id`` reviews in ``cycle_id``, with their people, their
    open deviation count and their goals with no update yet."""
    deviations = (
        Deviation.objects.unresolved()
        .filter(participation=OuterRef("pk"))
        .order_by()
        .values("participation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    no_update = (
        Goal.objects.filter(
            cycle=OuterRef("cycle"),
            owner=OuterRef("employee"),
            level=GoalLevel.INDIVIDUAL,
            status=GoalStatus.APPROVED,
            target__isnull=False,
            current_value__isnull=True,
        )
        .order_by()
        .values("owner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Participation.objects.filter(
            access.held_by_q(Employee(pk=employee_id), access.Relation.REVIEWER),
            cycle_id=cycle_id,
        )
        .select_related("employee__user", "employee__department")
        .annotate(
            open_deviations=Coalesce(Subquery(deviations), 0),
            no_update=Coalesce(Subquery(no_update), 0),
        )
        .order_by("employee__user__last_name", "employee__user__first_name", "pk")
    )


def _newest_checkins_queryset(participation_ids):
    """The six newest check-ins of each of these participations (an array of ids), oldest
    first per person: a window function keeps each person's six."""
    return (
        CheckIn.objects.filter(
            RawSQL(
                in_id_list(f'"{CheckIn._meta.db_table}"."participation_id"'),
                [participation_ids],
                BooleanField(),
            )
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("participation_id")],
                order_by=F("period_start").desc(),
            )
        )
        .filter(rank__lte=CONFIDENCE_TREND_LENGTH)
        .order_by("participation_id", "period_start")
    )


# Built once per process (perfcycle/compiled.py): building these two querysets' SQL (two
# subqueries, a window) cost more CPU than PostgreSQL takes to answer them.
_board_people = CompiledQuery(_board_people_queryset, arguments=2)
_newest_checkins = CompiledQuery(_newest_checkins_queryset)


def team_board(user, cycle: Cycle, *, period_start: dt.date | None, status: str = "") -> TeamBoard:
    """The people the user reviews in ``cycle``, one row each: the current period's
    check-in, the confidence of the last six check-ins, the open deviations; with
    ``status``, only those whose current check-in is in it; and how many are in each status
    this period (people whose check-in is not open yet count as ``not_open``). Two queries
    for any number of people: the people, then their six newest check-ins (the current
    period's is among them: check-ins open at the start of their period), from which the
    filter and the counts are taken."""
    employee = access.employee_of(user)
    people = _board_people(employee.pk, cycle.pk) if employee is not None else []
    by_person: dict[int, list[CheckIn]] = {}
    if people:
        for checkin in _newest_checkins([p.pk for p in people]):
            by_person.setdefault(checkin.participation_id, []).append(checkin)
    counts = dict.fromkeys(CheckinStatus.values, 0)
    rows = []
    for person in people:
        checkins = by_person.get(person.pk, [])
        this_period = next((c for c in checkins if c.period_start == period_start), None)
        if this_period is not None:
            counts[this_period.status] += 1
        if status and (this_period is None or this_period.status != status):
            continue
        # Between periods (e.g. after implementation) the row shows the latest check-in.
        current = this_period if period_start is not None else (checkins[-1] if checkins else None)
        rows.append(
            BoardRow(
                participation=person,
                current=current,
                trend=sparkline([c.confidence for c in checkins]),
                open_deviations=person.open_deviations,
                no_update=person.no_update,
            )
        )
    counts["total"] = len(people)
    counts["not_open"] = counts["total"] - sum(counts[s] for s in CheckinStatus.values)
    return TeamBoard(rows=rows, counts=counts)


def checkins_awaiting_review(user, cycle: Cycle, *, before: dt.date | None):
    """Submitted check-ins of earlier periods still waiting for this reviewer (one
    query), so nothing slips off the board when a new period starts. The query reads the
    reviewer's submitted check-ins of the cycle (a handful: those waiting), the period is
    cut here, so its SQL is built once per process."""
    employee = access.employee_of(user)
    if employee is None:
        return []
    waiting = _awaiting_review(employee.pk, cycle.pk)
    if before is None:
        return waiting
    return [checkin for checkin in waiting if checkin.period_start < before]


def _awaiting_review_queryset(employee_id, cycle_id):
    reviewer = Employee(pk=employee_id)
    return (
        CheckIn.objects.filter(
            access.held_by_q(reviewer, access.Relation.REVIEWER, "participation"),
            participation__cycle_id=cycle_id,
            status=CheckinStatus.SUBMITTED,
        )
        .exclude(access.held_by_q(reviewer, access.Relation.SELF, "participation"))
        .select_related("participation__employee__user")
        .order_by("period_start", "pk")
    )


_awaiting_review = CompiledQuery(_awaiting_review_queryset, arguments=2)


# --- HR: participation per department ---------------------------------------------------------


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


@dataclass
class ShareRow:
    """Check-ins of a group: how many, and the share submitted (reviewed included),
    reviewed and missed."""

    total: int = 0
    submitted: int = 0
    reviewed: int = 0
    missed: int = 0

    @property
    def submitted_percent(self):
        return _percent(self.submitted, self.total)

    @property
    def reviewed_percent(self):
        return _percent(self.reviewed, self.total)

    @property
    def missed_percent(self):
        return _percent(self.missed, self.total)

    @property
    def waiting_percent(self):
        """Submitted and not yet reviewed: the middle part of the bar."""
        return _percent(self.submitted - self.reviewed, self.total)


@dataclass
class DepartmentParticipation:
    name: str
    participants: int
    period: ShareRow
    cycle: ShareRow


# The tables the participation roll-up reads (each tracked: perfcycle's migrations 0006 and
# 0007_track_department_changes, implementation's 0006).
PARTICIPATION_SOURCES = (
    "perfcycle_participation",
    "perfcycle_employee",
    "perfcycle_department",
    "implementation_checkin",
)
SHARES = ["total", "submitted", "reviewed", "missed"]


def _participation_counts(cycle: Cycle, *, period_start: dt.date | None) -> list[dict]:
    """Per department of the cycle's participants: its id and name, the participants, and
    the check-in counts of the whole cycle and of the period (``p_…``). Two queries over
    every participation and check-in of the cycle."""
    people = (
        Participation.objects.filter(cycle=cycle)
        .values("employee__department_id", "employee__department__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    done = [CheckinStatus.SUBMITTED, CheckinStatus.REVIEWED]
    this_period = Q(period_start=period_start)
    shares = (
        CheckIn.objects.filter(participation__cycle=cycle)
        .values("participation__employee__department_id")
        .annotate(
            total=Count("pk"),
            submitted=Count("pk", filter=Q(status__in=done)),
            reviewed=Count("pk", filter=Q(status=CheckinStatus.REVIEWED)),
            missed=Count("pk", filter=Q(status=CheckinStatus.MISSED)),
            p_total=Count("pk", filter=this_period),
            p_submitted=Count("pk", filter=this_period & Q(status__in=done)),
            p_reviewed=Count("pk", filter=this_period & Q(status=CheckinStatus.REVIEWED)),
            p_missed=Count("pk", filter=this_period & Q(status=CheckinStatus.MISSED)),
        )
        .order_by()
    )
    by_department = {row.pop("participation__employee__department_id"): row for row in shares}
    return [
        {
            "name": group["employee__department__name"],
            "participants": group["n"],
            **by_department.get(group["employee__department_id"], {}),
        }
        for group in people
    ]


def checkin_participation(cycle: Cycle, *, period_start: dt.date | None):
    """Per department: participants, and the check-in shares of the current period and of
    the whole cycle so far; returns (rows, total row). A stored roll-up of the cycle and
    period (perfcycle/rollups.py: computed again after any write to the participations,
    people, departments or check-ins; one query while nothing changed)."""
    groups = rollups.cached(
        f"checkin-participation:{cycle.pk}:{period_start.isoformat() if period_start else ''}",
        lambda: _participation_counts(cycle, period_start=period_start),
        sources=PARTICIPATION_SOURCES,
    )
    rows = []
    total = DepartmentParticipation(_("All departments"), 0, ShareRow(), ShareRow())
    for counts in groups:
        row = DepartmentParticipation(
            name=counts["name"] or _("No department"),
            participants=counts["participants"],
            period=ShareRow(*(counts.get(f"p_{k}", 0) for k in SHARES)),
            cycle=ShareRow(*(counts.get(k, 0) for k in SHARES)),
        )
        rows.append(row)
        total.participants += row.participants
        for part in ["period", "cycle"]:
            for name in SHARES:
                setattr(
                    getattr(total, part),
                    name,
                    getattr(getattr(total, part), name) + getattr(getattr(row, part), name),
                )
    rows.sort(key=lambda r: str(r.name).lower())
    return rows, total


# --- A goal's progress ----------------------------------------------------------------------


def progress_updates_of(goals) -> dict[int, list[ProgressUpdate]]:
    """{goal id: its ProgressUpdates, oldest first} for these goals, in one query."""
    found: dict[int, list[ProgressUpdate]] = {goal.pk: [] for goal in goals}
    for update in (
        ProgressUpdate.objects.filter(goal__in=list(found))
        .select_related("recorded_by", "checkin")
        .order_by("recorded_on", "pk")
    ):
        found[update.goal_id].append(update)
    return found


@dataclass(frozen=True)
class ProgressPoint:
    update: ProgressUpdate
    expected: Decimal | None
    achieved_percent: Decimal | None

    @property
    def gap(self) -> Decimal | None:
        if self.expected is None:
            return None
        return self.update.value - self.expected


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    start: dt.date
    due: dt.date
    points: list
    chart: ProgressChart | None
    expected_today: Decimal | None


def _expected_value(goal: Goal, *, start: dt.date, due: dt.date, day: dt.date) -> Decimal | None:
    return trajectory.expected_value(
        baseline=goal.baseline, target=goal.target, start=start, due=due, day=day
    )


def _achieved_percent(goal: Goal, value: Decimal, *, direction: str) -> Decimal | None:
    """Achievement % of the target, by the one rule the deviations and the tree use
    (goals.rules.achievement_percent: lower-is-better and on-target included)."""
    if goal.target is None:
        return None
    return rules.achievement_percent(
        baseline=goal.baseline, target=goal.target, actual=value, direction=direction
    ).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def goal_progress(goal: Goal, *, today: dt.date, updates=None) -> GoalProgress:
    """A goal's progress series (one query) with the expected linear trajectory from the
    cycle's start to the goal's due date (else the implementation deadline). ``updates``:
    the goal's ProgressUpdates in order, when the caller read several goals' at once (a
    page showing many goals: no query here)."""
    cycle = goal.cycle
    start = cycle.start_date
    due = goal.due_date or cycle.implementation_deadline
    if updates is None:
        updates = progress_updates_of([goal])[goal.pk]
    direction = goal.indicator.direction if goal.indicator_id else Direction.HIGHER
    points = [
        ProgressPoint(
            update=u,
            expected=_expected_value(goal, start=start, due=due, day=u.recorded_on),
            achieved_percent=_achieved_percent(goal, u.value, direction=direction),
        )
        for u in updates
    ]
    expected = trajectory.expected_line(
        baseline=goal.baseline,
        target=goal.target,
        start=start,
        due=due,
        last=max([today, *(u.recorded_on for u in updates)]),
    )
    chart = progress_chart(
        series=[(u.recorded_on, u.value) for u in updates], expected=expected, today=today
    )
    return GoalProgress(
        goal=goal,
        start=start,
        due=due,
        points=points,
        chart=chart,
        expected_today=_expected_value(goal, start=start, due=due, day=today),
    )


# --- Home to-dos --------------------------------------------------------------------------------


def _todo_checkins_queryset(own, reviewed):
    """The check-ins ``todos_for`` lists: the open ones of the ``own`` participations and
    the submitted ones of the ``reviewed``. The lists go to PostgreSQL as arrays, so the SQL
    is the same for every viewer and is compiled once (``_todo_checkins``; whole rows:
    CompiledQuery takes no deferred fields)."""
    column = f'"{CheckIn._meta.db_table}"."participation_id"'
    in_own = RawSQL(in_id_list(column), [own], BooleanField())
    in_reviewed = RawSQL(in_id_list(column), [reviewed], BooleanField())
    return CheckIn.objects.filter(
        Q(in_own, status__in=CHECKIN_EDITABLE) | Q(in_reviewed, status=CheckinStatus.SUBMITTED)
    ).order_by("due_date", "pk")


_todo_checkins = CompiledQuery(_todo_checkins_queryset, arguments=2)


def todos_for(viewer) -> list[Todo]:
    """Implementation to-dos for the home pages (registered in implementation/stage.py;
    ``viewer``: perfcycle.stages.Viewer). Check-ins: as a participant, the open check-in
    to fill in (and missed ones that can still be submitted late); as a reviewer,
    submitted check-ins awaiting review. One query for both, by participation ids (the
    viewer's own and ``Viewer.reviewed``); none for someone outside implementation who
    reviews nobody."""
    employee = viewer.employee
    if employee is None:
        return []
    own = viewer.own_participation_ids(Cycle.Phase.IMPLEMENTATION)
    reviewed = viewer.reviewed_ids(Cycle.Phase.IMPLEMENTATION, Cycle.Phase.APPRAISAL)
    if not own and not reviewed:
        return []
    rows = _todo_checkins(own, reviewed)
    own_ids = set(own)
    cycle_of = {r["pk"]: r["cycle_id"] for r in viewer.reviewed if r["employee_id"] != employee.pk}
    mine = [c for c in rows if c.participation_id in own_ids and c.status in CHECKIN_EDITABLE]
    theirs = [(c, cycle_of[c.participation_id]) for c in rows if c.participation_id in cycle_of]
    return _checkin_owner_todos(mine) + _checkin_reviewer_todos(theirs)


def _checkin_owner_todos(open_checkins) -> list[Todo]:
    todos = []
    pending = [c for c in open_checkins if c.status == CheckinStatus.PENDING]
    missed = [c for c in open_checkins if c.status == CheckinStatus.MISSED]
    for checkin in pending:
        todos.append(
            Todo(
                title=_("Fill in your check-in for %(period)s")
                % {"period": format_date_range(checkin.period_start, checkin.period_end)},
                url=reverse("implementation:checkin-edit", args=[checkin.pk]),
                action=_("Fill in"),
                due=checkin.due_date,
            )
        )
    if missed:
        todos.append(
            Todo(
                title=ngettext(
                    "%(count)s missed check-in can still be submitted (it will be marked late)",
                    "%(count)s missed check-ins can still be submitted (they will be marked late)",
                    len(missed),
                )
                % {"count": len(missed)},
                url=reverse("implementation:my-checkins"),
                action=_("Catch up"),
                due=missed[0].due_date,
            )
        )
    return todos


def review_due(checkin: CheckIn) -> dt.date | None:
    """When a submitted check-in should be reviewed by: ``checkin_review`` days after it
    was submitted (the policy setting PERFCYCLE_TODO_DUE_DAYS)."""
    return due_after("checkin_review", checkin.submitted_at)


def _checkin_reviewer_todos(submitted) -> list[Todo]:
    """From (check-in, cycle id) pairs, one to-do per cycle: "N check-ins await your
    review", due ``review_due`` of the earliest submitted."""
    rows = {}
    for checkin, cycle_id in submitted:
        row = rows.setdefault(
            cycle_id, {"participation__cycle_id": cycle_id, "count": 0, "due": None}
        )
        row["count"] += 1
        due = review_due(checkin)
        if due is not None and (row["due"] is None or due < row["due"]):
            row["due"] = due
    rows = [rows[key] for key in sorted(rows)]
    url = reverse("implementation:team-board")
    return [
        Todo(
            title=ngettext(
                "%(count)s check-in of your team awaits your review",
                "%(count)s check-ins of your team await your review",
                row["count"],
            )
            % {"count": row["count"]},
            url=f"{url}?cycle={row['participation__cycle_id']}&status={CheckinStatus.SUBMITTED}",
            action=_("Review check-ins"),
            due=row["due"],
        )
        for row in rows
    ]
