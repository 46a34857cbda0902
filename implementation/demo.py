"""Demo data of the implementation stage: the months of a cycle already behind it.

``seed_implementation(cycle, today=...)`` gives every active participant who has no
check-in before the current period the history a company in month eight of its cycle
has (the current period's check-ins are opened by ``open_checkins`` beforehand):

- a check-in for each period of the cycle's cadence (``CheckinSettings`` and the cycle's
  ``checkin_cadence``) since implementation started: most submitted on time and reviewed
  by the reviewer with a reply, some late, some missed (the period just past, still in
  its grace days, is pending), a few with a follow-up question answered; this period's
  is submitted by the early birds only;
- the progress reported in them (``CheckinGoalProgress`` and the goal's
  ``ProgressUpdate`` series, plus a mid-period update now and then), along a plausible
  trajectory per goal: most ahead of or on their linear plan, some falling behind, some
  behind and catching up; one goal in twelve is never reported (it stays "No update
  yet"); the goal's current value is the latest point;
- the deviations the nightly detection raised on the way (the figures of the day they
  were detected) and what people did about them: actions agreed in a check-in with a
  follow-up date, resolved by the reviewer, accepted with a reason, or closed by the
  detection as back on track; today's detection (run last) raises the open ones;
- evidence spread over the months, the older records verified by the reviewer, the
  recent ones waiting.

It is a data load, not a workflow: rows are written in bulk, with the versions and the
audit events the services would have written (dated when it happened), so the pages'
histories and the audit log read as if people had done it. Stable pseudo-randomness
(``perfcycle.demo.pseudo_random``): the same demo every time. Idempotent: people who
already have history are left alone.
"""

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone, translation

from goals import rollups as goal_rollups
from goals.models import Goal, GoalLevel, GoalStatus
from implementation import trajectory
from implementation.models import (
    CheckIn,
    CheckinComment,
    CheckinGoalProgress,
    CheckinStatus,
    Deviation,
    DeviationStatus,
    Evidence,
    ProgressUpdate,
)
from implementation.services.checkins import CHECKIN_FIELDS, ensure_checkin_settings
from implementation.services.deviations import detect_deviations, implementation_started_on
from perfcycle import services
from perfcycle.audit import Event, Subject, record_events
from perfcycle.demo import UserRef, moment, pseudo_random
from perfcycle.formatting import format_date
from perfcycle.models import Cycle, Participation
from perfcycle.workflow import SYSTEM

BATCH_SIZE = 2000
CENT = Decimal("0.01")
HUNDRED = Decimal("100")

EVIDENCE_TITLES = [
    ("Shipped the quarterly release on time", "Release notes and the customer sign-off."),
    ("Customer workshop held", "Agenda, attendance and the follow-up actions agreed."),
    ("Process improvement adopted by the team", "Before/after cycle times for the last sprint."),
    ("Closed the renewal with a key account", "Signed order form and the account plan."),
    ("Mentored a new colleague through onboarding", "Onboarding checklist and their feedback."),
    ("Fixed the top customer-reported defect", "The ticket, the fix and the release it went in."),
    ("Presented the results at the all-hands", "Slides and the questions asked."),
    ("Customer survey results for the quarter", "The survey report and our action list."),
]
WENT_WELL = [
    "Delivered what I planned for the month and unblocked two colleagues.",
    "Good progress on my main goal; the customer feedback was positive.",
    "Finished the piece of work that slipped last month.",
    "The new process saves us a few hours a week already.",
    "Closed more than I expected; the pipeline looks healthy.",
    "Worked well with the other team on the shared release.",
]
BLOCKERS = [
    "",
    "",
    "Waiting on another team for a decision.",
    "Two people were off sick, so the team had less capacity.",
    "The tooling change took longer than planned.",
    "A large customer postponed their project.",
]
REPLIES = [
    "Thanks, good month. Keep the focus on your main goal.",
    "Nice work. Let's talk about the blocker in our one-to-one.",
    "Thanks for the update; I'll chase the decision with the other team.",
    "Good progress. Share the process change with the wider team?",
    "Thanks. Let's make sure the next milestone stays on track.",
]
FOLLOW_UPS = [
    ("What would help you most to unblock this?", "A decision on the scope by the 15th."),
    ("Can you share the numbers behind this?", "Added the spreadsheet to my evidence."),
    ("Is the new date realistic?", "Yes, the team has confirmed it."),
]
ACTIONS = [
    "Weekly review of the pipeline with the team lead until back on plan.",
    "Move two smaller commitments to next quarter and focus on this goal.",
    "Pair with a senior colleague on the remaining work for three weeks.",
    "Agree the missing inputs with the other team and re-plan the milestones.",
]
RESOLUTIONS = [
    "The agreed action worked: back on plan for two check-ins in a row.",
    "Caught up after the re-plan; the follow-up showed the goal on track.",
]
ACCEPTANCES = [
    "The customer postponed the project to next year; the shortfall is accepted.",
    "The priorities changed mid-year; agreed to accept the gap on this goal.",
]

# Each goal follows one of these shapes (share of goals, cumulative).
STEADY, SLIPPING, ACTED, RECOVERED, BOUNCED, ACCEPTED = (
    "steady",
    "slipping",
    "acted",
    "recovered",
    "bounced",
    "accepted",
)
SHAPES = ((0.62, STEADY), (0.72, SLIPPING), (0.80, ACTED), (0.88, RECOVERED), (0.95, BOUNCED))
# The fixed logins show a bit of everything: their goals, heaviest first, take these shapes.
LOGIN_SHAPES = {
    "employee": (ACTED, STEADY, RECOVERED, STEADY),
    "peer": (STEADY, BOUNCED, STEADY, STEADY),
    "employee2": (SLIPPING, STEADY, ACCEPTED, STEADY),
    "manager": (STEADY, RECOVERED, STEADY, STEADY),
    "manager2": (STEADY, ACTED, STEADY, STEADY),
    "hr": (STEADY, STEADY, BOUNCED, STEADY),
}
# The fixed logins' check-ins, oldest first (repeated if the cycle has more periods).
LOGIN_CHECKINS = {
    "employee": ("on_time", "on_time", "late", "missed", "on_time", "on_time"),
    "employee2": ("on_time", "late", "on_time", "missed", "on_time", "on_time"),
    "peer": ("on_time", "on_time", "on_time", "late", "on_time", "on_time"),
}


@dataclass(frozen=True)
class ImplementationSeed:
    people: int = 0
    checkins: int = 0
    progress_updates: int = 0
    deviations: int = 0
    evidence: int = 0


@dataclass(frozen=True)
class Person:
    participation: int
    employee: int
    user: int
    reviewer_user: int | None  # who reviews their check-ins (HR for someone without one)
    username: str


@dataclass
class GoalRow:
    pk: int
    owner: int
    title: str
    baseline: Decimal
    target: Decimal
    direction: str
    due: dt.date
    shape: str
    silent: bool  # never reported
    points: list = field(default_factory=list)  # (date, value, progress %) oldest first


@dataclass
class Plan:
    """Everything to write, built in memory first."""

    checkins: list = field(default_factory=list)
    progress: list = field(default_factory=list)  # CheckinGoalProgress
    updates: list = field(default_factory=list)  # ProgressUpdate
    comments: list = field(default_factory=list)
    events: list = field(default_factory=list)
    deviations: list = field(default_factory=list)  # (Deviation, [deferred events])
    evidence: list = field(default_factory=list)  # (Evidence, verifier user id or None)


def seed_implementation(cycle: Cycle, *, today: dt.date, history_for=None) -> ImplementationSeed:
    """The months behind ``cycle`` for everyone in it without history (of
    ``history_for``, employee ids, when given; the others get two evidence records);
    safe to rerun."""
    with transaction.atomic():
        settings = ensure_checkin_settings(cycle)
        started = implementation_started_on(cycle)
        periods = [
            (first, last)
            for first, last in trajectory.periods(
                cycle.start_date, cycle.implementation_deadline, cycle.checkin_cadence
            )
            if last >= started and first <= today
        ]
        current = trajectory.period_containing(
            today, cycle.start_date, cycle.implementation_deadline, cycle.checkin_cadence
        )
        people = _people_without_history(cycle, before=current[0] if current else today)
        if history_for is not None:
            wanted = set(history_for)
            others = [p for p in people if p.employee not in wanted]
            people = [p for p in people if p.employee in wanted]
        else:
            others = []
        plan = Plan()
        goals = _goals(cycle, people)
        checkins = _checkins(cycle, people, periods, settings, today, plan)
        _progress(cycle, people, goals, checkins, today, plan)
        _deviations(cycle, people, goals, checkins, settings, started, today, plan)
        evidence_people = _people_without_evidence(cycle, people)
        _evidence(cycle, evidence_people, goals, started, today, plan)
        light = _light_evidence(cycle, _people_without_evidence(cycle, others), today)
        _write(cycle, plan, periods, settings, today)
        _current_values([p.employee for p in people], cycle)
    detect_deviations(today=today, cycle_ids=[cycle.pk])
    # The progress written in bulk above bypasses the goals services' roll-up refresh.
    goal_rollups.rebuild([cycle.pk])
    return ImplementationSeed(
        people=len(people),
        checkins=len(plan.checkins),
        progress_updates=len(plan.updates),
        deviations=len(plan.deviations),
        evidence=len(plan.evidence) + light,
    )


# --- Who and what -------------------------------------------------------------------------


def _people_without_history(cycle: Cycle, *, before: dt.date) -> list[Person]:
    hr_user = services.hr_group().user_set.filter(is_active=True).order_by("pk").first()
    earlier = CheckIn.objects.filter(participation=OuterRef("pk"), period_start__lt=before)
    rows = (
        Participation.objects.filter(cycle=cycle, employee__is_active=True)
        .exclude(Exists(earlier))
        .order_by("employee_id")
        .values_list(
            "pk",
            "employee_id",
            "employee__user_id",
            "reviewer__user_id",
            "employee__user__username",
        )
    )
    people = []
    for pk, employee, user, reviewer, username in rows.iterator(chunk_size=BATCH_SIZE):
        if reviewer is None and hr_user is not None and hr_user.pk != user:
            reviewer = hr_user.pk
        people.append(Person(pk, employee, user, reviewer, username))
    return people


def _people_without_evidence(cycle: Cycle, people: list[Person]) -> list[Person]:
    with_evidence = set(
        Evidence.objects.filter(participation__cycle=cycle)
        .order_by()
        .values_list("participation_id", flat=True)
        .distinct()
    )
    return [p for p in people if p.participation not in with_evidence]


def _shape(goal: int, owner: Person, index: int) -> str:
    fixed = LOGIN_SHAPES.get(owner.username)
    if fixed:
        return fixed[index % len(fixed)]
    r = pseudo_random(goal, 31)
    return next((shape for limit, shape in SHAPES if r < limit), ACCEPTED)


def _goals(cycle: Cycle, people: list[Person]) -> dict[int, list[GoalRow]]:
    """Each person's approved goals with a target, heaviest first, with their shapes."""
    by_employee = {p.employee: p for p in people}
    goals: dict[int, list[GoalRow]] = defaultdict(list)
    rows = (
        Goal.objects.filter(
            cycle=cycle,
            level=GoalLevel.INDIVIDUAL,
            status=GoalStatus.APPROVED,
            target__isnull=False,
        )
        .order_by("owner_id", "-weight", "title", "pk")
        .values_list(
            "pk", "owner_id", "title", "baseline", "target", "indicator__direction", "due_date"
        )
    )
    for pk, owner, title, baseline, target, direction, due in rows.iterator(chunk_size=5000):
        person = by_employee.get(owner)
        if person is None:
            continue
        index = len(goals[owner])
        goals[owner].append(
            GoalRow(
                pk=pk,
                owner=owner,
                title=title,
                baseline=baseline if baseline is not None else Decimal("0"),
                target=target,
                direction=direction or "higher",
                due=due or cycle.implementation_deadline,
                shape=_shape(pk, person, index),
                silent=person.username not in LOGIN_SHAPES and pseudo_random(pk, 37) < 1 / 12,
            )
        )
    return goals


# --- Check-ins ---------------------------------------------------------------------------


@dataclass
class CheckinPlan:
    row: CheckIn
    index: int  # period number, oldest first
    submitted_on: dt.date | None
    reviewed_on: dt.date | None
    person: Person


def _habit(person: Person, index: int) -> str:
    """on_time, late or missed for one person and period: most people are reliable."""
    fixed = LOGIN_CHECKINS.get(person.username)
    if fixed:
        return fixed[index % len(fixed)]
    reliability = pseudo_random(person.employee, 20)
    missed, late = (0.03, 0.10) if reliability < 0.6 else (0.08, 0.2)
    if reliability >= 0.9:
        missed, late = 0.25, 0.3
    r = pseudo_random(person.employee, index, 21)
    return "missed" if r < missed else "late" if r < missed + late else "on_time"


def _checkins(cycle, people, periods, settings, today, plan) -> dict[int, list[CheckinPlan]]:
    """Each person's check-in of every period so far (the current period's exists)."""
    existing = {
        (c.participation_id, c.period_start): c
        for c in CheckIn.objects.filter(
            participation_id__in=[p.participation for p in people],
            period_start__in=[first for first, _last in periods],
        )
    }
    by_person: dict[int, list[CheckinPlan]] = {}
    for person in people:
        plans = []
        for index, (first, last) in enumerate(periods):
            checkin = existing.get((person.participation, first)) or CheckIn(
                participation_id=person.participation,
                period_start=first,
                period_end=last,
                due_date=last,
                created_at=moment(first, hour=2),  # opened by the nightly task
            )
            checkin.employee_user = person.user
            submitted_on = reviewed_on = None
            habit = _habit(person, index)
            r = pseudo_random(person.employee, index, 22)
            if habit == "on_time":
                submitted_on = last - dt.timedelta(days=int(6 * r))
            elif habit == "late":
                submitted_on = last + dt.timedelta(days=1 + int((settings.grace_days + 6) * r))
            current = last >= today
            if current and person.username in LOGIN_CHECKINS:
                submitted_on = None  # the logins' own check-in is theirs to fill in
            if submitted_on is not None and submitted_on >= today:
                submitted_on = None  # not yet
            if submitted_on is None:
                overdue = today > last + dt.timedelta(days=settings.grace_days)
                checkin.status = CheckinStatus.MISSED if overdue else CheckinStatus.PENDING
            else:
                checkin.status = CheckinStatus.SUBMITTED
                checkin.submitted_at = moment(submitted_on, person.employee + index * 37)
                checkin.is_late = submitted_on > last
                checkin.version = 2
                checkin.confidence = _confidence(person, index)
                checkin.went_well = WENT_WELL[(person.employee + index) % len(WENT_WELL)]
                checkin.blockers = BLOCKERS[(person.employee * 3 + index) % len(BLOCKERS)]
                # Older check-ins are reviewed; the latest ones may still be waiting.
                newest = index >= len(periods) - 2
                if person.reviewer_user and pseudo_random(person.employee, index, 23) < (
                    0.45 if newest else 0.93
                ):
                    reviewed_on = submitted_on + dt.timedelta(
                        days=1 + int(5 * pseudo_random(person.employee, index, 24))
                    )
                    if reviewed_on >= today:
                        reviewed_on = None
                if reviewed_on is not None:
                    checkin.status = CheckinStatus.REVIEWED
                    checkin.reviewed_at = moment(reviewed_on, person.employee * 5 + 120)
                    checkin.reviewed_by_id = person.reviewer_user
                    checkin.manager_reply = REPLIES[(person.employee + index) % len(REPLIES)]
                    checkin.version = 3
            plans.append(CheckinPlan(checkin, index, submitted_on, reviewed_on, person))
        by_person[person.employee] = plans
        plan.checkins.extend(c.row for c in plans)
    return by_person


def _confidence(person: Person, index: int) -> int:
    base = 3 + (pseudo_random(person.employee, 25) < 0.6)
    swing = round(2 * pseudo_random(person.employee, index, 26) - 1)
    return max(1, min(5, base + swing))


# --- Progress ------------------------------------------------------------------------------


def _pace(goal: GoalRow, index: int, count: int) -> float:
    """Share of the expected progress a goal has reached at check-in ``index`` of
    ``count``: steady goals run about on their linear plan (from a little behind to
    well ahead, never more than the margin behind: the detection reads a report against
    the plan of its own day); the others fall behind at some point, and some catch up."""
    r = pseudo_random(goal.pk, index, 41)
    ahead = 0.97 + 0.16 * r
    behind = 0.45 + 0.2 * r
    dip = 1 + int(2 * pseudo_random(goal.pk, 42))  # when the trouble starts
    last = count - 1
    if goal.shape == SLIPPING:
        return behind if index >= last - (pseudo_random(goal.pk, 43) < 0.5) else ahead
    if goal.shape == ACTED:
        return behind + 0.05 * max(0, index - (last - 2)) if index >= last - 2 else ahead
    if goal.shape in (RECOVERED, ACCEPTED):
        return behind if dip <= index <= dip + 1 else ahead
    if goal.shape == BOUNCED:
        return behind if index == dip + 1 else ahead
    return ahead


def _value(goal: GoalRow, percent: Decimal) -> Decimal:
    value = goal.baseline + (goal.target - goal.baseline) * percent / HUNDRED
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _progress(cycle, people, goals, checkins, today, plan) -> None:
    """What each submitted check-in reported, and the goals' series."""
    for person in people:
        own = checkins[person.employee]
        past = sum(1 for c in own if c.row.period_end < today)
        submitted = [c for c in own if c.submitted_on is not None]
        for goal in goals.get(person.employee, []):
            if goal.silent:
                continue
            for n, checkin in enumerate(submitted):
                day = checkin.submitted_on
                expected = trajectory.expected_percent(
                    start=cycle.start_date, due=goal.due, today=day
                )
                pace = Decimal(str(round(_pace(goal, checkin.index, past), 3)))
                value = _value(goal, min(expected * pace, Decimal("115")))
                note = "" if n % 3 else "On plan." if pace >= 1 else "Behind; see my blockers."
                plan.progress.append(
                    CheckinGoalProgress(
                        checkin=checkin.row, goal_id=goal.pk, actual_value=value, note=note
                    )
                )
                plan.updates.append(
                    ProgressUpdate(
                        goal_id=goal.pk,
                        value=value,
                        recorded_on=day,
                        recorded_by_id=person.user,
                        checkin=checkin.row,
                        note=note,
                        created_at=checkin.row.submitted_at,
                    )
                )
                goal.points.append((day, value, checkin))
                # Now and then a figure between two check-ins, from the goal's owner.
                mid = day + dt.timedelta(days=14)
                if pseudo_random(goal.pk, n, 44) < 0.15 and mid < today:
                    later = min(
                        expected * pace + Decimal("4"), Decimal("115")
                    )  # a little further along
                    mid_value = _value(goal, later)
                    update = ProgressUpdate(
                        goal_id=goal.pk,
                        value=mid_value,
                        recorded_on=mid,
                        recorded_by_id=person.user,
                        note="Mid-period figure.",
                        created_at=moment(mid, goal.pk),
                    )
                    plan.updates.append(update)
                    goal.points.append((mid, mid_value, None))
            goal.points.sort(key=lambda point: point[0])


# --- Deviations ---------------------------------------------------------------------------


def _deviations(cycle, people, goals, checkins, settings, started, today, plan) -> None:
    """Replay the nightly detection on the day after each reported value, and what the
    owner and reviewer did about a deviation in the check-ins that followed."""
    grace_end = started + dt.timedelta(days=settings.deviation_grace_days)
    margin = settings.deviation_margin
    for person in people:
        for goal in goals.get(person.employee, []):
            deviation = None
            for day, value, checkin in goal.points:
                night = day + dt.timedelta(days=1)
                if night >= today or night < grace_end:
                    continue
                assessment = trajectory.assess(
                    baseline=goal.baseline,
                    target=goal.target,
                    current_value=value,
                    direction=goal.direction,
                    start=cycle.start_date,
                    due=goal.due,
                    today=night,
                    margin=margin,
                    reported_on=day,
                    cadence=cycle.checkin_cadence,
                    report_grace_days=settings.grace_days,
                )
                behind = assessment.severity is not None
                if deviation is None or deviation.status in (
                    DeviationStatus.RESOLVED,
                    DeviationStatus.ACCEPTED,
                ):
                    # The detection's own rule for raising again after a closed one.
                    reported_at = checkin.row.submitted_at if checkin else moment(day, goal.pk)
                    if behind and trajectory.raises_again(
                        _closed(deviation),
                        actual=assessment.actual,
                        last_report_at=reported_at,
                        due=goal.due,
                        today=night,
                        margin=margin,
                    ):
                        deviation = _raise(goal, person, assessment, night, plan)
                    continue
                actual = assessment.actual
                if deviation.status == DeviationStatus.OPEN and not behind:
                    _back_on_track(deviation, night)
                elif deviation.status == DeviationStatus.OPEN and checkin is not None:
                    if goal.shape == ACCEPTED and checkin.reviewed_on:
                        _accept(deviation, person, checkin.reviewed_on, actual)
                    elif goal.shape in (ACTED, RECOVERED):
                        _agree(deviation, person, checkin, today, cycle)
                elif (
                    deviation.status == DeviationStatus.ACTION_AGREED
                    and not behind
                    and checkin is not None
                    and checkin.reviewed_on
                ):
                    _resolve(deviation, person, checkin.reviewed_on, actual)


def _closed(deviation: Deviation | None) -> trajectory.ClosedDeviation | None:
    if deviation is None:
        return None
    return trajectory.ClosedDeviation(
        status=deviation.status,
        closed_at=deviation.closed_at,
        closed_on=timezone.localdate(deviation.closed_at),
        actual=deviation.closed_actual_percent,
    )


def _raise(goal, person, assessment, night, plan) -> Deviation:
    deviation = Deviation(
        goal_id=goal.pk,
        participation_id=person.participation,
        owner_id=person.employee,
        detected_on=night,
        expected_percent=assessment.expected,
        actual_percent=assessment.actual,
        severity=assessment.severity,
    )
    deviation.title = goal.title
    deviation.history = [
        (
            SYSTEM,
            "deviation.detected",
            {},
            {
                "status": DeviationStatus.OPEN,
                "severity": assessment.severity,
                "expected_percent": str(assessment.expected),
                "actual_percent": str(assessment.actual),
            },
            moment(night, 30, hour=2),  # the nightly run
        )
    ]
    plan.deviations.append(deviation)
    return deviation


def _back_on_track(deviation, night) -> None:
    resolution = f"Back on track on {_day(night)}."
    deviation.status = DeviationStatus.RESOLVED
    deviation.resolution = resolution
    deviation.closed_at = moment(night, 31, hour=2)
    deviation.version += 1
    deviation.history.append(
        (
            SYSTEM,
            "deviation.back_on_track",
            {"status": DeviationStatus.OPEN},
            {"status": DeviationStatus.RESOLVED, "resolution": resolution},
            deviation.closed_at,
        )
    )


def _agree(deviation, person, checkin, today, cycle) -> None:
    before = {"status": DeviationStatus.OPEN, "corrective_action": "", "follow_up_date": None}
    day = checkin.reviewed_on or checkin.submitted_on
    follow_up = max(day + dt.timedelta(days=28), today + dt.timedelta(days=7))
    deviation.status = DeviationStatus.ACTION_AGREED
    deviation.corrective_action = ACTIONS[deviation.goal_id % len(ACTIONS)]
    deviation.follow_up_date = min(follow_up, cycle.end_date)
    deviation.agreed_in = checkin.row
    deviation.version += 1
    actor = UserRef(person.user)
    deviation.history.append(
        (
            actor,
            "deviation.action_agreed",
            {**before, "agreed_in": None},
            {
                "status": DeviationStatus.ACTION_AGREED,
                "corrective_action": deviation.corrective_action,
                "follow_up_date": deviation.follow_up_date.isoformat(),
                "agreed_in": "checkin",  # replaced by the check-in's id once it has one
            },
            moment(day, person.employee + 300),
        )
    )


def _close(deviation, person, day, status, text, actual) -> None:
    before = deviation.status
    deviation.status = status
    deviation.resolution = text
    deviation.closed_at = moment(day, person.employee * 5 + 150)
    deviation.closed_actual_percent = actual
    deviation.version += 1
    deviation.history.append(
        (
            UserRef(person.reviewer_user),
            f"deviation.{status}",
            {"status": before, "resolution": ""},
            {"status": status, "resolution": text},
            deviation.closed_at,
        )
    )


def _resolve(deviation, person, day, actual) -> None:
    if person.reviewer_user:
        text = RESOLUTIONS[deviation.goal_id % len(RESOLUTIONS)]
        _close(deviation, person, day, DeviationStatus.RESOLVED, text, actual)


def _accept(deviation, person, day, actual) -> None:
    if person.reviewer_user:
        text = ACCEPTANCES[deviation.goal_id % len(ACCEPTANCES)]
        _close(deviation, person, day, DeviationStatus.ACCEPTED, text, actual)


# --- Evidence ------------------------------------------------------------------------------


def _evidence(cycle, people, goals, started, today, plan) -> None:
    """Four to seven records per person over the months; older ones verified."""
    first_day = cycle.start_date + dt.timedelta(days=20)
    span = (today - first_day).days
    if span <= 0:
        return
    for n, person in enumerate(people):
        own = goals.get(person.employee, [])
        count = 4 + int(4 * pseudo_random(person.employee, 50))
        for k in range(count):
            title, description = EVIDENCE_TITLES[(n + k * 3) % len(EVIDENCE_TITLES)]
            occurred = first_day + dt.timedelta(
                days=int(span * (k + pseudo_random(person.employee, k, 51)) / count)
            )
            occurred = min(occurred, today - dt.timedelta(days=1))
            created = min(occurred + dt.timedelta(days=int(4 * pseudo_random(n, k, 52))), today)
            evidence = Evidence(
                participation_id=person.participation,
                title=title,
                description=description,
                occurred_on=occurred,
                goal_id=own[k % len(own)].pk if own else None,
                created_by_id=person.user,
                created_at=moment(created, person.employee + k * 41),
            )
            verified = created + dt.timedelta(days=2 + int(10 * pseudo_random(n, k, 53)))
            verifier = None
            if person.reviewer_user and verified < today and pseudo_random(n, k, 54) < 0.8:
                evidence.verified_at = moment(verified, person.employee * 3 + 200)
                evidence.verified_by_id = person.reviewer_user
                evidence.version = 2
                verifier = person.reviewer_user
            plan.evidence.append((evidence, verifier))


def _light_evidence(cycle, people: list[Person], today) -> int:
    """Two recent records each, unverified, for people without history (bulk)."""
    first_goal = {}
    for goal_id, owner_id in (
        Goal.objects.filter(cycle=cycle, level=GoalLevel.INDIVIDUAL, status=GoalStatus.APPROVED)
        .order_by("owner_id", "id")
        .values_list("id", "owner_id")
        .iterator(chunk_size=5000)
    ):
        first_goal.setdefault(owner_id, goal_id)
    rows = []
    for n, person in enumerate(people):
        for k in range(2):
            title, description = EVIDENCE_TITLES[(n + k) % 3]
            rows.append(
                Evidence(
                    participation_id=person.participation,
                    title=title,
                    description=description,
                    occurred_on=max(
                        cycle.start_date, today - dt.timedelta(days=7 + 17 * k + n % 11)
                    ),
                    goal_id=first_goal.get(person.employee),
                    created_by_id=person.user,
                )
            )
    Evidence.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


# --- Writing -------------------------------------------------------------------------------


def _checkin_subject(checkin: CheckIn) -> Subject:
    return Subject(CheckIn, checkin.pk, f"Check-in {_day(checkin.period_start)}")


def _day(day: dt.date) -> str:
    return _day_in(day, translation.get_language())


@functools.cache
def _day_in(day: dt.date, language) -> str:
    return format_date(day)  # the same few dates thousands of times


def _write(cycle, plan: Plan, periods, settings, today) -> None:
    new_checkins = [c for c in plan.checkins if c.pk is None]
    old_checkins = [c for c in plan.checkins if c.pk is not None]
    CheckIn.objects.bulk_create(new_checkins, batch_size=BATCH_SIZE)
    changed = [c for c in old_checkins if c.status != CheckinStatus.PENDING]
    CheckIn.objects.bulk_update(
        changed,
        [
            "status",
            "submitted_at",
            "is_late",
            "confidence",
            "went_well",
            "blockers",
            "manager_reply",
            "reviewed_at",
            "reviewed_by",
            "version",
        ],
        batch_size=500,
    )
    # bulk_create takes each row's check-in id from the check-in object it was given.
    CheckinGoalProgress.objects.bulk_create(plan.progress, batch_size=BATCH_SIZE)
    ProgressUpdate.objects.bulk_create(plan.updates, batch_size=BATCH_SIZE)

    events = _opening_events(cycle, plan, periods, settings, today)
    reported = defaultdict(dict)
    for item in plan.progress:
        reported[item.checkin_id][str(item.goal_id)] = {
            "actual_value": str(item.actual_value),
            "note": item.note,
        }
    for checkin in plan.checkins:
        if checkin.submitted_at is None:
            continue
        employee = UserRef(checkin.employee_user)
        before = {
            "status": CheckinStatus.MISSED
            if _was_missed(checkin, settings.grace_days)
            else CheckinStatus.PENDING,
            "went_well": "",
            "blockers": "",
            "confidence": None,
            "is_late": False,
            "manager_reply": "",
        }
        submitted = {name: getattr(checkin, name) for name in CHECKIN_FIELDS}
        submitted.update(status=CheckinStatus.SUBMITTED, manager_reply="")
        events.append(
            Event(
                employee,
                "checkin.submitted",
                _checkin_subject(checkin),
                before=before,
                after={**submitted, "progress": reported.get(checkin.pk, {}), "answers": {}},
                at=checkin.submitted_at,
            )
        )
        if checkin.reviewed_at is not None:
            events.append(
                Event(
                    UserRef(checkin.reviewed_by_id),
                    "checkin.reviewed",
                    _checkin_subject(checkin),
                    before=submitted,
                    after={name: getattr(checkin, name) for name in CHECKIN_FIELDS},
                    at=checkin.reviewed_at,
                )
            )
            if pseudo_random(checkin.pk, 60) < 0.15:
                plan.comments += _follow_up(checkin)
    CheckinComment.objects.bulk_create(plan.comments, batch_size=BATCH_SIZE)
    events += [
        Event(
            UserRef(comment.author_id),
            "checkin.follow_up_asked" if comment.is_follow_up else "checkin.commented",
            comment.subject,
            after={"comment": comment.pk, "body": comment.body},
            at=comment.created_at,
        )
        for comment in plan.comments
    ]

    deviations = plan.deviations
    Deviation.objects.bulk_create(deviations, batch_size=BATCH_SIZE)
    for deviation in deviations:
        subject = Subject(Deviation, deviation.pk, f"Deviation on {deviation.title}"[:255])
        for actor, verb, before, after, at in deviation.history:
            if after.get("agreed_in") == "checkin":
                after = {**after, "agreed_in": deviation.agreed_in_id}
            events.append(Event(actor, verb, subject, before=before, after=after, at=at))

    Evidence.objects.bulk_create([e for e, _v in plan.evidence], batch_size=BATCH_SIZE)
    for evidence, verifier in plan.evidence:
        subject = Subject(Evidence, evidence.pk, evidence.title)
        events.append(
            Event(
                UserRef(evidence.created_by_id),
                "evidence.created",
                subject,
                after={
                    "participation": evidence.participation_id,
                    "title": evidence.title,
                    "description": evidence.description,
                    "occurred_on": evidence.occurred_on.isoformat(),
                    "goal": evidence.goal_id,
                    "indicator": None,
                    "attachments": [],
                },
                at=evidence.created_at,
            )
        )
        if verifier is not None:
            events.append(
                Event(
                    UserRef(verifier),
                    "evidence.verified",
                    subject,
                    after={
                        "verified_at": evidence.verified_at.isoformat(),
                        "verified_by": verifier,
                    },
                    at=evidence.verified_at,
                )
            )
    record_events(events, batch_size=BATCH_SIZE)


def _was_missed(checkin: CheckIn, grace_days: int) -> bool:
    """Marked missed by the nightly task once its grace days were over (and perhaps
    submitted, late, afterwards)."""
    if checkin.status == CheckinStatus.MISSED:
        return True
    marked_on = checkin.due_date + dt.timedelta(days=grace_days + 1)
    return (
        checkin.submitted_at is not None and timezone.localdate(checkin.submitted_at) >= marked_on
    )


def _opening_events(cycle, plan, periods, settings, today) -> list[Event]:
    """The scheduler's summaries: each period's check-ins opened, the missed marked."""
    events = []
    opened = defaultdict(int)
    missed = defaultdict(int)
    for checkin in plan.checkins:
        if checkin.created_at < timezone.now() - dt.timedelta(hours=1):
            opened[checkin.period_start] += 1
        if _was_missed(checkin, settings.grace_days):
            missed[checkin.due_date] += 1
    for first, last in periods:
        if opened.get(first):
            events.append(
                Event(
                    SYSTEM,
                    "checkins.opened",
                    cycle,
                    after={
                        "period_start": first.isoformat(),
                        "due_date": last.isoformat(),
                        "count": opened[first],
                    },
                    at=moment(first, hour=2),
                )
            )
        if missed.get(last):
            day = last + dt.timedelta(days=settings.grace_days + 1)
            events.append(
                Event(
                    SYSTEM,
                    "checkins.marked_missed",
                    Subject(CheckIn, text=f"check-ins on {day.isoformat()}"),
                    after={"count": missed[last], "today": day.isoformat()},
                    at=moment(day, 10, hour=2),
                )
            )
    return events


def _follow_up(checkin: CheckIn) -> list[CheckinComment]:
    """The reviewer's follow-up question between submission and review, and the answer,
    in working hours when the days between allow it."""
    question, answer = FOLLOW_UPS[checkin.pk % len(FOLLOW_UPS)]
    start, end = checkin.submitted_at, checkin.reviewed_at
    asked = _working_hours(start + (end - start) / 3, start, end, checkin.pk)
    answered = _working_hours(start + (end - start) * 2 / 3, asked, end, checkin.pk + 240)
    comments = []
    for author, body, at, follow_up in [
        (checkin.reviewed_by_id, question, asked, True),
        (checkin.employee_user, answer, answered, False),
    ]:
        comment = CheckinComment(
            checkin_id=checkin.pk,
            author_id=author,
            body=body,
            is_follow_up=follow_up,
            created_at=at,
        )
        comment.subject = _checkin_subject(checkin)
        comments.append(comment)
    return comments


def _working_hours(at: dt.datetime, after: dt.datetime, before: dt.datetime, minutes: int):
    """``at`` moved into the working hours of its day, if that keeps it between."""
    candidate = moment(timezone.localdate(at), minutes)
    return candidate if after < candidate < before else at


def _current_values(employees: list[int], cycle: Cycle) -> None:
    """Each goal's current value is its latest point (goals.services.progress)."""
    latest = (
        ProgressUpdate.objects.filter(goal=OuterRef("pk"))
        .order_by("-recorded_on", "-id")
        .values("value")[:1]
    )
    for start in range(0, len(employees), BATCH_SIZE):
        Goal.objects.filter(
            cycle=cycle,
            level=GoalLevel.INDIVIDUAL,
            owner_id__in=employees[start : start + BATCH_SIZE],
        ).update(current_value=Subquery(latest), updated_at=timezone.now())
