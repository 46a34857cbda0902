"""Demo data of the appraisal stage: last year's cycle, appraised and closed.

``seed_last_year(cycle)`` takes last year's demo cycle (created in planning by
``perfcycle.demo`` with the 41 people of the demo company) through its whole year, the
way the product does it, so that everyone has a finalised, released appraisal whose
breakdown explains the score:

- planning: the goal cascade and approvals (``goals.demo.seed_planning``); HR makes
  itself the reviewer of the CEO, who has no manager (``change_reviewer``);
- the year's results, as a data load like the implementation demo's: each goal's final
  value (its achievement gives the suggested rating, so a person's goals land where
  their year went), a mid-year and a final progress update, three to four evidence
  records per person verified by the reviewer, the first check-in reviewed;
- the appraisal, through the services, each step on its day of last year's appraisal
  phase (``perfcycle.demo.clock``): HR's rules (evidence at the ends of the scale,
  deadlines), peer input for four people (nominated, one declined, asked, answered by
  three or four, one left to expire), self-assessments citing evidence (one locked at
  its deadline), manager reviews citing evidence (one suggested rating overridden with
  a reason), one calibration adjustment with a reason, the session locked, the ratings
  released; then the phase moves on to closed, the close finalising every appraisal.

Ratings scatter around a level per person (``LEVELS``, else a stable pseudo-random one):
two people end below "Meets expectations", two in "Outstanding". The notifications
these steps sent are last year's news: read, and never emailed. Idempotent: only a
last year's cycle still in planning is taken through (all in one transaction, so an
interrupted run leaves it there and the next run starts again).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Max, OuterRef, Subquery

from appraisal.models import (
    Appraisal,
    AppraisalItem,
    CalibrationAdjustment,
    CalibrationSession,
    CitedBy,
    ItemEvidence,
    PeerReview,
    PeerStatus,
)
from appraisal.services import assessment, calibration, closing, peers
from appraisal.services import settings as rules
from appraisal.services.opening import settings_for
from goals import rollups as goal_rollups
from goals.demo import seed_planning
from goals.models import Goal, GoalLevel, GoalStatus, SectionKind
from implementation.demo import EVIDENCE_TITLES
from implementation.models import CheckIn, CheckinStatus, Evidence, ProgressUpdate
from perfcycle import phases
from perfcycle import services as core
from perfcycle.demo import clock, moment, pseudo_random
from perfcycle.models import Cycle, Employee, Notification, Participation
from perfcycle.workflow import SYSTEM

CENT = Decimal("0.01")
# A later stage's demo step for one phase of last year: ``step(cycle, hr)``.
DemoStep = Callable[[Cycle, object], None]
# Where last year went for some people (1–5); everyone else gets a stable level between
# 2.6 and 4.0. Their ratings scatter up to 0.6 around it.
LEVELS = {
    "peer": 4.85,
    "laura.kim": 4.8,
    "peter.hall": 1.8,
    "oliver.grant": 2.05,
    "employee": 3.8,
    "employee2": 3.1,
    "manager": 3.7,
    "manager2": 3.4,
    "hr": 3.6,
    "olivia.bennett": 3.9,
}
# Achievement (% of target) that gives each suggested level on the demo's thresholds.
ACHIEVED = {1: 40, 2: 72, 3: 92, 4: 110, 5: 130}
# Peer input: appraisee → the colleagues they nominate; the manager declines the marked
# one, and one asked peer never answers (the questionnaire expires).
PEERS = {
    "employee": ("peer", "lucas.moreau", "leo.martin", "sofia.rossi"),
    "peer": ("employee", "lucas.moreau", "jonas.berg", "daniel.okafor"),
    "employee2": ("ethan.brooks", "chloe.dubois", "laura.kim", "diego.alvarez"),
    "sofia.rossi": ("daniel.okafor", "jonas.berg", "employee"),
}
DECLINED = {("employee", "sofia.rossi")}
SILENT = {("peer", "daniel.okafor")}
# Whose self-assessment was not submitted in time (locked as it was at the deadline).
LATE = "ethan.brooks"
# The suggested rating the manager overrode: the employee's heaviest goal.
OVERRIDDEN = "employee"
OVERRIDE_REASON = (
    "The customer postponed half of the scope in the autumn; against the re-planned scope "
    "Tom delivered everything, early, and took on the migration nobody had planned."
)
CALIBRATED = "employee2"
CALIBRATION_REASON = (
    "Calibrated with the Sales leads: the two EMEA renewals Priya closed in the last "
    "quarter weigh more than her revenue goal shows, in line with peers of the same scope."
)

SELF_COMMENTS = {
    1: "A hard year: I did not get to what I had planned.",
    2: "Some of it worked, too much of it slipped; I know what to change.",
    3: "Delivered what I committed to, on time.",
    4: "Went beyond the plan here and helped others get there too.",
    5: "My best year: well past the target, and it changed how we work.",
}
MANAGER_COMMENTS = {
    1: "Well short of what the role needs; we agreed a development plan.",
    2: "Parts delivered, but the results were uneven and needed a lot of support.",
    3: "Solid and reliable: met what we agreed.",
    4: "Clearly above what we agreed, with a visible effect on the team.",
    5: "Outstanding: far beyond the target, and others now work the way they showed.",
}
PEER_COMMENTS = {
    1: "Hard to rely on this year.",
    2: "Helpful when asked, but often late with their part.",
    3: "A dependable colleague to work with.",
    4: "Makes the people around them better.",
    5: "The person everyone wants on their project.",
}


@dataclass(frozen=True)
class AppraisalSeed:
    appraisals: int = 0
    finalised: int = 0
    peer_answers: int = 0


@dataclass
class Person:
    participation: int
    employee: int
    username: str
    user: object
    reviewer: object | None  # the reviewer's user
    level: float
    # The pseudo-random draws' key: from the login, never a database id (ids differ
    # from one database to the next, the demo must not).
    key: int = 0


def stable_key(username: str) -> int:
    return zlib.crc32(username.encode())


def level_of(username: str) -> float:
    if username in LEVELS:
        return LEVELS[username]
    return 2.6 + 1.4 * pseudo_random(stable_key(username), 71)


def rating(level: float, *keys: int, bias: float = 0.0) -> int:
    """A level of the 1–5 scale up to 0.6 around ``level`` (stable for ``keys``)."""
    value = Decimal(str(level + bias + 1.2 * (pseudo_random(*keys) - 0.5)))
    return max(1, min(5, int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))))


def seed_last_year(cycle: Cycle, *, steps: Mapping[str, DemoStep] | None = None) -> AppraisalSeed:
    """Take last year's demo cycle, still in planning, through to closed (see the module
    docstring); a cycle in any other phase is left as it is.

    ``steps`` are later stages' demo steps, by phase: each runs as ``step(cycle, hr)``
    right after the cycle has moved into its phase, in the same transaction (so the
    feedback stage writes its interviews between "released" and "closed" without this
    stage importing it; ``manage.py seed_demo`` composes them)."""
    steps = steps or {}
    hr = core.hr_group().user_set.filter(is_active=True).order_by("pk").first()
    if cycle.phase != Cycle.Phase.PLANNING or hr is None:
        return AppraisalSeed()
    with transaction.atomic():
        first_note = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
        year = Year(cycle, hr)
        year.plan()
        year.results()
        year.move(Cycle.Phase.IMPLEMENTATION, cycle.planning_deadline)
        year.first_checkins()
        year.move(Cycle.Phase.APPRAISAL, cycle.implementation_deadline)
        year.appraise()
        for phase, deadline in (
            (Cycle.Phase.FEEDBACK, cycle.appraisal_deadline),
            (Cycle.Phase.APPLICATION, cycle.feedback_deadline),
            (Cycle.Phase.CLOSED, cycle.application_deadline),
        ):
            year.move(phase, deadline)
            if phase in steps:
                steps[phase](year.cycle, hr)
        # Last year's news: read a few hours after it came, and never in the email outbox.
        Notification.objects.filter(pk__gt=first_note).update(
            read_at=F("created_at") + dt.timedelta(hours=5), send_email=False
        )
        finalised = Appraisal.objects.filter(
            participation__cycle=cycle, status=Appraisal.Status.FINALIZED
        ).count()
    return AppraisalSeed(
        appraisals=len(year.people), finalised=finalised, peer_answers=year.peer_answers
    )


def _into_next_band(score: Decimal) -> Decimal:
    """Just past the next band's lower edge (bands change at the halves of the scale)."""
    edge = int(score + Decimal("0.5")) + Decimal("0.5")
    return min(edge + Decimal("0.05"), Decimal(5))


class Year:
    """Last year, step by step: each step runs the services on its day."""

    def __init__(self, cycle: Cycle, hr):
        self.cycle = cycle
        self.hr = hr
        self.people: list[Person] = []
        self.peer_answers = 0

    def day(self, n: int, minutes: int = 0) -> dt.datetime:
        """A moment on the n-th day of the appraisal phase (day 1: the day after
        implementation ended)."""
        return moment(self.cycle.implementation_deadline + dt.timedelta(days=n), minutes)

    def move(self, phase: str, deadline: dt.date) -> None:
        """HR moves the cycle on, the morning after the phase's deadline."""
        with clock(moment(deadline + dt.timedelta(days=1), hour=8)):
            self.cycle = phases.advance_cycle_phase(
                actor=self.hr, cycle_id=self.cycle.pk, to_phase=phase
            )

    # --- Planning and the year's results ---------------------------------------------------

    def plan(self) -> None:
        top = Participation.objects.filter(cycle=self.cycle, reviewer__isnull=True).exclude(
            employee__user=self.hr
        )
        hr_employee = Employee.objects.filter(user=self.hr).first()
        if hr_employee is not None and top.exists():
            with clock(moment(self.cycle.start_date, hour=10)):
                core.change_reviewer(
                    actor=self.hr,
                    cycle=self.cycle,
                    participation_ids=list(top.values_list("pk", flat=True)),
                    reviewer=hr_employee,
                )
        # Its audit records on the last evening of planning, after the approvals it dates.
        with clock(moment(self.cycle.planning_deadline - dt.timedelta(days=1), hour=20)):
            seed_planning(self.cycle, actor=SYSTEM)
        users = get_user_model().objects.in_bulk(
            Participation.objects.filter(cycle=self.cycle).values_list(
                "employee__user_id", flat=True
            )
        )
        reviewers = get_user_model().objects.in_bulk(
            Participation.objects.filter(cycle=self.cycle, reviewer__isnull=False).values_list(
                "reviewer__user_id", flat=True
            )
        )
        for pk, employee, user_id, username, reviewer_user in (
            Participation.objects.filter(cycle=self.cycle)
            .order_by("employee_id")
            .values_list(
                "pk",
                "employee_id",
                "employee__user_id",
                "employee__user__username",
                "reviewer__user_id",
            )
        ):
            self.people.append(
                Person(
                    participation=pk,
                    employee=employee,
                    username=username,
                    user=users[user_id],
                    reviewer=reviewers.get(reviewer_user),
                    level=level_of(username),
                    key=stable_key(username),
                )
            )

    def results(self) -> None:
        """Each goal's final value, two progress points, and the evidence of the year."""
        cycle = self.cycle
        by_employee = {p.employee: p for p in self.people}
        goals = list(
            Goal.objects.filter(cycle=cycle, level=GoalLevel.INDIVIDUAL, status=GoalStatus.APPROVED)
            .select_related("indicator")
            .order_by("owner_id", "-weight", "title", "pk")
        )
        final_day = cycle.implementation_deadline - dt.timedelta(days=6)
        mid_day = cycle.planning_deadline + (final_day - cycle.planning_deadline) / 2
        updates, heaviest, nth = [], {}, {}
        for goal in goals:
            person = by_employee.get(goal.owner_id)
            if person is None or goal.target is None:
                continue
            first = heaviest.setdefault(goal.owner_id, goal.pk) == goal.pk
            index = nth[goal.owner_id] = nth.get(goal.owner_id, -1) + 1
            level = rating(person.level, person.key, index, 81)
            if first and person.username == OVERRIDDEN:
                level = 3  # the manager rates it 4, with a reason
            achieved = Decimal(ACHIEVED[level]) + Decimal(
                int(6 * pseudo_random(person.key, index, 82)) - 3
            )
            start = goal.baseline if goal.baseline is not None else Decimal(0)
            final = (start + (goal.target - start) * achieved / 100).quantize(CENT)
            goal.current_value = final
            for day, value in (
                (mid_day, (start + (final - start) / 2).quantize(CENT)),
                (final_day, final),
            ):
                updates.append(
                    ProgressUpdate(
                        goal=goal,
                        value=value,
                        recorded_on=day,
                        recorded_by=person.user,
                        created_at=moment(day, goal.pk),
                    )
                )
        Goal.objects.bulk_update(goals, ["current_value"])
        ProgressUpdate.objects.bulk_create(updates)
        goal_rollups.rebuild([cycle.pk])
        self.heaviest = heaviest
        self._evidence(goals)

    def _evidence(self, goals) -> None:
        own: dict[int, list[int]] = {}
        for goal in goals:
            own.setdefault(goal.owner_id, []).append(goal.pk)
        first_day = self.cycle.planning_deadline + dt.timedelta(days=10)
        span = (self.cycle.implementation_deadline - first_day).days - 10
        rows = []
        for n, person in enumerate(self.people):
            count = 3 + (pseudo_random(person.key, 83) < 0.5)
            goal_ids = own.get(person.employee, [])
            for k in range(count):
                title, description = EVIDENCE_TITLES[(n * 3 + k) % len(EVIDENCE_TITLES)]
                occurred = first_day + dt.timedelta(days=span * (k + 0.5) // count)
                evidence = Evidence(
                    participation_id=person.participation,
                    title=title,
                    description=description,
                    occurred_on=occurred,
                    goal_id=goal_ids[k % len(goal_ids)] if goal_ids else None,
                    created_by=person.user,
                    created_at=moment(occurred + dt.timedelta(days=2), person.employee + k),
                )
                if person.reviewer is not None:
                    evidence.verified_by = person.reviewer
                    evidence.verified_at = moment(occurred + dt.timedelta(days=6), 90 + k)
                    evidence.version = 2
                rows.append(evidence)
        Evidence.objects.bulk_create(rows)

    def first_checkins(self) -> None:
        """The check-ins the move into implementation opened: submitted and reviewed."""
        pending = CheckIn.objects.filter(
            participation__cycle=self.cycle, status=CheckinStatus.PENDING
        )
        due = pending.aggregate(due=Max("due_date"))["due"]
        if due is None:
            return
        pending.update(
            status=CheckinStatus.REVIEWED,
            confidence=4,
            went_well="Goals agreed and the first milestones under way.",
            submitted_at=moment(due - dt.timedelta(days=2)),
            reviewed_at=moment(due + dt.timedelta(days=2)),
            reviewed_by_id=Subquery(
                Participation.objects.filter(pk=OuterRef("participation_id")).values(
                    "reviewer__user_id"
                )[:1]
            ),
            manager_reply="Good start, thanks.",
            version=3,
        )

    # --- The appraisal -----------------------------------------------------------------

    def appraise(self) -> None:
        cycle = self.cycle
        Appraisal.objects.filter(participation__cycle=cycle).update(
            created_at=self.day(1, -60), updated_at=self.day(1, -60)
        )
        with clock(self.day(1)):
            current = settings_for(cycle)
            rules.update_settings(
                actor=self.hr,
                cycle=cycle,
                data={
                    "evidence_required_at_or_below": 2,
                    "evidence_required_at_or_above": 5,
                    "peer_min": 3,
                    "peer_max": 5,
                    "peer_deadline": cycle.implementation_deadline + dt.timedelta(days=16),
                    "peer_anonymity_threshold": 3,
                    "peers_attributed_to_manager": False,
                    "guideline": current.guideline,
                    "self_assessment_deadline": cycle.implementation_deadline
                    + dt.timedelta(days=12),
                    "review_deadline": cycle.implementation_deadline + dt.timedelta(days=26),
                },
                expected_version=current.version,
            )
        self.evidence: dict[int, list[Evidence]] = {}
        for evidence in Evidence.objects.filter(participation__cycle=cycle).order_by(
            "occurred_on", "pk"
        ):
            self.evidence.setdefault(evidence.participation_id, []).append(evidence)
        self._peer_input()
        for n, person in enumerate(self.people):
            self._self_assess(person, n)
        with clock(self.day(13, 5)):
            closing.lock_due_self_assessments(
                today=cycle.implementation_deadline + dt.timedelta(13)
            )
        with clock(self.day(17, 5)):
            peers.expire_peer_reviews(today=cycle.implementation_deadline + dt.timedelta(days=17))
        for n, person in enumerate(self.people):
            self._review(person, n)
        self._calibrate()

    def _fresh(self, person: Person) -> Appraisal:
        return Appraisal.objects.with_people().get(participation_id=person.participation)

    def _peer_input(self) -> None:
        by_name = {p.username: p for p in self.people}
        employees = {
            e.user.username: e
            for e in Employee.objects.select_related("user").filter(
                user__username__in={n for names in PEERS.values() for n in names}
            )
        }
        start = self.cycle.implementation_deadline
        for n, (username, names) in enumerate(PEERS.items()):
            person = by_name.get(username)
            if person is None or person.reviewer is None:
                continue
            with clock(self.day(2, n * 40)):
                asked = peers.nominate_peers(
                    appraisal=self._fresh(person),
                    peers=[employees[name] for name in names if name in employees],
                    actor=person.user,
                )
            with clock(self.day(3, n * 40)):
                for review in asked:
                    peers.decide_nomination(
                        review=PeerReview.objects.get(pk=review.pk),
                        approve=(username, review.peer.user.username) not in DECLINED,
                        actor=person.reviewer,
                        expected_version=review.version,
                    )
            with clock(self.day(4, n * 40)):
                peers.ask_peers(
                    appraisal=self._fresh(person),
                    actor=person.reviewer,
                    today=start + dt.timedelta(days=4),
                )
            items = list(
                AppraisalItem.objects.filter(
                    appraisal__participation_id=person.participation, section=SectionKind.PEER
                )
            )
            for k, review in enumerate(
                PeerReview.objects.filter(
                    appraisal__participation_id=person.participation,
                    status=PeerStatus.APPROVED,
                )
                .select_related("peer__user")
                .order_by("pk")
            ):
                if (username, review.peer.user.username) in SILENT:
                    continue
                given = {item.pk: rating(person.level, person.key, k, 84) for item in items}
                with clock(self.day(5 + k * 2, n * 30)):
                    peers.answer_peer_review(
                        review=review,
                        ratings=given,
                        comments={pk: PEER_COMMENTS[value] for pk, value in given.items()},
                        actor=review.peer.user,
                        expected_version=review.version,
                        today=start + dt.timedelta(days=5 + k * 2),
                    )
                self.peer_answers += 1

    def _self_assess(self, person: Person, n: int) -> None:
        appraisal = self._fresh(person)
        evidence = self.evidence.get(person.participation, [])
        late = person.username == LATE
        data = {}
        for item in assessment.rated_items(appraisal):
            if late and item.goal_id is None:
                data[item.pk] = assessment.ItemInput()  # a draft: the goals only
                continue
            value = rating(person.level, person.key, item.position, 85, bias=0.3)
            cited = [e.pk for e in evidence if e.goal_id and e.goal_id == item.goal_id][:1]
            data[item.pk] = assessment.ItemInput(
                rating=value, comment=SELF_COMMENTS[value], evidence=cited
            )
        when = self.day(8 if late else 3 + n % 9, n * 13)
        with clock(when):
            # The late one saves a draft and never submits: locked at the deadline.
            save = assessment.save_self_assessment if late else assessment.submit_self_assessment
            save(
                actor=person.user,
                appraisal=appraisal,
                data=data,
                expected_version=appraisal.version,
            )
        ItemEvidence.objects.filter(item__appraisal_id=appraisal.pk, cited_by=CitedBy.SELF).update(
            created_at=when
        )

    def _review(self, person: Person, n: int) -> None:
        if person.reviewer is None:
            return
        appraisal = self._fresh(person)
        evidence = self.evidence.get(person.participation, [])
        data = {}
        for k, item in enumerate(assessment.rated_items(appraisal)):
            value = item.suggested_rating or rating(person.level, person.key, item.position, 86)
            reason = ""
            if person.username == OVERRIDDEN and item.goal_id == self.heaviest.get(person.employee):
                value, reason = item.suggested_rating + 1, OVERRIDE_REASON
            cited = []
            if evidence and (value <= 2 or value >= 5 or reason or k == 0):
                # Another record than the one the person cited, where there is one.
                own = [e for e in evidence if item.goal_id and e.goal_id == item.goal_id]
                others = own[1:] or [e for e in evidence if e not in own[:1]] or evidence
                cited = [others[k % len(others)].pk]
            data[item.pk] = assessment.ItemInput(
                rating=value,
                comment=MANAGER_COMMENTS[value],
                evidence=cited,
                override_reason=reason,
            )
        when = self.day(14 + n % 11, n * 17)
        with clock(when):
            assessment.submit_manager_review(
                actor=person.reviewer,
                appraisal=appraisal,
                data=data,
                expected_version=appraisal.version,
            )
        ItemEvidence.objects.filter(
            item__appraisal_id=appraisal.pk, cited_by=CitedBy.MANAGER
        ).update(created_at=when)

    def _calibrate(self) -> None:
        cycle, hr = self.cycle, self.hr
        with clock(self.day(26)):
            session = calibration.open_session(cycle=cycle, department=None, actor=hr)
        CalibrationSession.objects.filter(pk=session.pk).update(created_at=self.day(26))
        target = next((p for p in self.people if p.username == CALIBRATED), None)
        if target is not None:
            appraisal = self._fresh(target)
            if appraisal.final_score is not None:
                when = self.day(27, 30)
                with clock(when):
                    calibration.adjust_score(
                        appraisal_id=appraisal.pk,
                        session_id=session.pk,
                        to_score=_into_next_band(appraisal.final_score),
                        reason=CALIBRATION_REASON,
                        expected_version=appraisal.version,
                        actor=hr,
                    )
                CalibrationAdjustment.objects.filter(appraisal=appraisal).update(changed_at=when)
        session.refresh_from_db()
        with clock(self.day(28)):
            calibration.lock_session(
                session_id=session.pk, expected_version=session.version, actor=hr
            )
        with clock(self.day(29)):
            calibration.release_ratings(
                cycle=cycle, expected_version=settings_for(cycle).version, actor=hr
            )
