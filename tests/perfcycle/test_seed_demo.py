import datetime as dt
import io
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from perfcycle import access, demo
from perfcycle.models import AuditEvent, Cycle, Department, Employee, Participation

pytestmark = pytest.mark.django_db

LOGINS = ["hr", "manager", "employee", "peer", "manager2", "employee2"]


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def person(username: str) -> Employee:
    return Employee.objects.select_related("user", "department", "manager__user").get(
        user__username=username
    )


def counts() -> dict:
    from goals.models import Goal, GoalVersion
    from implementation.models import (
        CheckIn,
        CheckinComment,
        CheckinGoalProgress,
        Deviation,
        Evidence,
        ProgressUpdate,
    )

    models = [get_user_model(), Employee, Department, Cycle, Participation, AuditEvent, Goal]
    models += [GoalVersion, CheckIn, CheckinGoalProgress, CheckinComment, ProgressUpdate]
    models += [Deviation, Evidence]
    return {model.__name__: model.objects.count() for model in models}


def chain_length(managers: dict, pk: int) -> int:
    """How many people from ``pk`` up to the top of the chart, the top included."""
    length = 1
    while managers[pk] is not None and length <= len(managers):
        pk, length = managers[pk], length + 1
    return length


def current_cycle() -> Cycle:
    return Cycle.objects.get(phase=Cycle.Phase.IMPLEMENTATION)


def test_seed_demo_creates_the_six_logins_with_their_roles():
    """hr is an HR admin; manager leads employee and peer; manager2 leads employee2 elsewhere."""
    seed()

    hr, manager, manager2 = person("hr"), person("manager"), person("manager2")
    assert access.is_hr(hr.user)
    assert hr.department.name == "People"
    assert not any(access.is_hr(person(u).user) for u in LOGINS if u != "hr")
    assert {"employee", "peer"} <= set(manager.reports.values_list("user__username", flat=True))
    assert person("employee").department == person("peer").department == manager.department
    assert access.is_manager(manager.user)
    assert person("employee2").manager == manager2
    assert manager2.department != manager.department
    assert all(person(u).job_title and person(u).department for u in LOGINS)


def test_demo_password_logs_everyone_in():
    """Every demo login, and the rest of the demo people, use the password perfcycle-demo."""
    seed()

    for username in [*LOGINS, "olivia.bennett"]:
        assert authenticate(username=username, password=demo.DEMO_PASSWORD) is not None
    assert authenticate(username="employee", password="wrong") is None


def test_seed_demo_prints_the_logins():
    """The command ends with a table of the logins, their roles and the password."""
    output = seed()

    assert "Demo organisation created" in output
    for username in LOGINS:
        assert f"\n{username} " in output
    assert "HR admin" in output
    assert demo.DEMO_PASSWORD in output


def test_demo_org_is_a_realistic_chart():
    """One CEO at the top, six departments plus leadership, about 40 people, 4 levels."""
    seed()

    assert Employee.objects.filter(manager__isnull=True).count() == 1
    assert 35 <= Employee.objects.count() <= 45
    names = set(Department.objects.values_list("name", flat=True))
    assert {"Engineering", "Sales", "Marketing", "Finance", "Operations", "People"} <= names
    managers = dict(Employee.objects.values_list("pk", "manager_id"))
    assert max(chain_length(managers, pk) for pk in managers) == 4


def test_current_cycle_is_in_implementation_with_every_active_person_enrolled():
    """Planning ended in the past, implementation ends in the future; reviewers are managers."""
    seed()

    today = timezone.localdate()
    cycle = current_cycle()
    assert cycle.planning_deadline < today < cycle.implementation_deadline
    participations = Participation.objects.filter(cycle=cycle).select_related("employee")
    assert participations.count() == Employee.objects.filter(is_active=True).count()
    assert all(p.reviewer_id == p.employee.manager_id for p in participations)
    assert not Participation.objects.filter(cycle=cycle, employee__is_active=False).exists()


def test_previous_cycle_is_closed_history():
    """Last year's cycle is closed, a year earlier, and holds the leaver too."""
    seed()

    previous = Cycle.objects.get(phase=Cycle.Phase.CLOSED)
    assert previous.end_date < current_cycle().start_date
    assert Participation.objects.filter(cycle=previous, employee__is_active=False).exists()


def test_cycle_creation_is_audited_as_the_system():
    """Each cycle's creation is one audit event with no actor (the system)."""
    seed()

    created = AuditEvent.objects.filter(verb="cycle.created")
    assert created.count() == 2
    assert not created.exclude(actor=None).exists()


def test_cycles_are_named_after_their_fiscal_year():
    """Seeded on 23 November 2026, the cycles are FY2026 (running) and FY2025 (closed)."""
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC), tick=False):
        seed()

    assert current_cycle().name == "FY2026 performance cycle"
    assert Cycle.objects.get(phase=Cycle.Phase.CLOSED).name == "FY2025 performance cycle"


def test_cycle_dates_stay_sensible_whatever_the_day():
    """On any day (leap years too), planning is over and implementation still runs."""
    day = dt.date(2026, 1, 1)
    while day < dt.date(2029, 1, 1):
        dates = demo.cycle_dates(day)
        assert dates["planning_deadline"] < day < dates["implementation_deadline"]
        day += dt.timedelta(days=1)


def test_seed_demo_twice_changes_nothing():
    """A second run finds the demo org, says so and creates nothing."""
    seed()
    before = counts()

    output = seed()

    assert counts() == before
    assert "already there" in output
    assert "employee2" in output


def test_seed_demo_refuses_a_database_with_clashing_users():
    """If a real user already has a demo username, the command stops before writing."""
    get_user_model().objects.create_user(username="manager", password="x")

    with pytest.raises(CommandError, match="manager"):
        seed()
    assert not Employee.objects.exists()


def test_large_seed_builds_a_tree_and_enrols_everyone():
    """--employees 300: 300+ people, one top, no loops, everyone active enrolled."""
    seed("--employees", "300")

    managers = dict(Employee.objects.values_list("pk", "manager_id"))
    assert len(managers) >= 300
    tops = [pk for pk, manager_id in managers.items() if manager_id is None]
    assert len(tops) == 1
    assert all(chain_length(managers, pk) <= 10 for pk in managers)  # no loops
    generated = set(
        Employee.objects.filter(employee_number__startswith=demo.LARGE_PREFIX).values_list(
            "pk", flat=True
        )
    )
    spans = Counter(m for pk, m in managers.items() if pk in generated and m in generated)
    assert max(spans.values()) <= demo.SPAN_OF_CONTROL
    enrolled = Participation.objects.filter(cycle=current_cycle())
    assert enrolled.count() == Employee.objects.filter(is_active=True).count()
    assert all(p.reviewer_id == managers[p.employee_id] for p in enrolled)
    assert Department.objects.filter(parent__isnull=False).count() >= 40
    for username in LOGINS:
        assert authenticate(username=username, password=demo.DEMO_PASSWORD) is not None


def test_large_seed_grows_an_existing_demo_and_is_then_idempotent():
    """The small demo can grow to a large one; repeating the large run changes nothing."""
    seed()
    small = Employee.objects.count()

    output = seed("--employees", "300")
    after_growth = counts()
    seed("--employees", "300")

    assert "added" in output
    assert after_growth["Employee"] >= 300 > small
    assert counts() == after_growth
    assert Participation.objects.filter(cycle=current_cycle()).count() == (
        Employee.objects.filter(is_active=True).count()
    )


def test_plan_large_org_promotes_people_who_get_their_first_reports():
    """Growing a team gives leaves who now manage people a manager's title."""
    small, _ = demo.plan_large_org(44 * 9, {})
    existing = {}
    for p in small:
        team, _index = demo.parse_large_number(p.number)
        existing[team] = existing.get(team, 0) + 1

    people, promotions = demo.plan_large_org(44 * 30, existing)

    assert promotions
    assert len(people) == 44 * 30 - len(small)
    assert {p.number for p in people}.isdisjoint(p.number for p in small)
    staff_titles = {t for plan in demo.DEPARTMENTS for t in plan.staff_titles}
    assert not staff_titles & set(promotions.values())


def test_seed_demo_gives_everyone_a_weighted_goal_plan(db):
    """The demo cycle comes with a goal cascade: each person's goals total 100 % (last
    year's as well)."""
    from django.db.models import Sum

    from goals.models import Goal

    call_command("seed_demo", stdout=io.StringIO())
    totals = (
        Goal.objects.filter(level=Goal.Level.INDIVIDUAL, status=Goal.Status.APPROVED)
        .values("cycle_id", "owner__user__username")
        .annotate(total=Sum("weight"))
    )
    by_user = {
        row["owner__user__username"]: row["total"]
        for row in totals
        if row["cycle_id"] == current_cycle().pk
    }
    assert by_user["employee"] == 100
    assert {row["total"] for row in totals} == {100}
    assert set(by_user.values()) == {100}
    assert Goal.objects.filter(level=Goal.Level.COMPANY).exists()


def test_the_demo_cycle_moves_to_appraisal_by_itself_after_implementation_ends():
    """The current demo cycle is set to advance automatically: the scheduler leaves it in
    implementation until its deadline, and on the day after moves it to appraisal, once;
    last year's closed cycle is never touched."""
    from perfcycle import phases

    seed()
    cycle = current_cycle()
    assert cycle.auto_advance is True
    assert not Cycle.objects.get(phase=Cycle.Phase.CLOSED).auto_advance
    assert phases.advance_due_phases(today=cycle.implementation_deadline).advanced == []
    day_after = cycle.implementation_deadline + dt.timedelta(days=1)
    assert phases.advance_due_phases(today=day_after).advanced == [cycle.pk]
    assert phases.advance_due_phases(today=day_after).advanced == []
    cycle.refresh_from_db()
    assert cycle.phase == Cycle.Phase.APPRAISAL
    assert Cycle.objects.filter(phase=Cycle.Phase.CLOSED).count() == 1


# --- Month eight: the history behind the running cycle ---------------------------------------


def past_periods(cycle: Cycle, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    from implementation import trajectory
    from implementation.services.deviations import implementation_started_on

    started = implementation_started_on(cycle)
    return [
        (first, last)
        for first, last in trajectory.periods(
            cycle.start_date, cycle.implementation_deadline, cycle.checkin_cadence
        )
        if last >= started and last < today
    ]


def test_the_demo_is_in_month_eight_with_six_months_of_check_ins_behind_it():
    """Seeded on any day, the cycle started seven months before this month began; each
    monthly period since implementation started has its check-ins (one per person, on
    the cycle's cadence, due on the period's last day) and this period's is open."""
    from implementation import trajectory
    from implementation.models import CheckIn

    seed()

    today = timezone.localdate()
    cycle = current_cycle()
    months = (today.year - cycle.start_date.year) * 12 + today.month - cycle.start_date.month
    assert months == 7 and cycle.start_date.day == 1
    assert cycle.checkin_cadence == Cycle.Cadence.MONTHLY
    periods = trajectory.periods(
        cycle.start_date, cycle.implementation_deadline, cycle.checkin_cadence
    )
    assert len(past_periods(cycle, today)) == 6
    people = Participation.objects.filter(cycle=cycle, employee__is_active=True).count()
    seen = Counter()
    for checkin in CheckIn.objects.filter(participation__cycle=cycle):
        assert (checkin.period_start, checkin.period_end) in periods
        assert checkin.due_date == checkin.period_end
        seen[checkin.period_start] += 1
    assert len(seen) == 7 and set(seen.values()) == {people}


def test_participation_of_past_periods_is_high_but_not_everyone_and_some_are_late():
    """HR's participation page: every past period has check-ins in, the cycle as a whole
    between half and all of them; some were submitted late and some missed; the period
    just past may still have a few pending, inside their grace days."""
    from implementation.models import CheckIn, CheckinStatus
    from implementation.selectors.checkins import checkin_participation

    seed()

    today = timezone.localdate()
    cycle = current_cycle()
    below_all = 0
    for first, _last in past_periods(cycle, today):
        _rows, total = checkin_participation(cycle, period_start=first)
        assert 0 < total.period.submitted_percent <= 100
        assert total.period.reviewed_percent > 0
        below_all += total.period.submitted_percent < 100
    assert below_all >= 3
    _rows, total = checkin_participation(cycle, period_start=None)
    past = CheckIn.objects.filter(participation__cycle=cycle, due_date__lt=today)
    assert (
        50 < (100 * past.filter(status__in=["submitted", "reviewed"]).count() / past.count()) < 100
    )
    assert past.filter(is_late=True, status__in=["submitted", "reviewed"]).count() >= 5
    assert past.filter(status=CheckinStatus.MISSED).count() >= 3
    # Submitted check-ins carry what people wrote; reviewed ones the reviewer's reply.
    for checkin in past.filter(status=CheckinStatus.REVIEWED)[:20]:
        assert checkin.confidence and checkin.went_well and checkin.manager_reply
        assert checkin.submitted_at < checkin.reviewed_at <= timezone.now()
        assert checkin.is_late == (timezone.localdate(checkin.submitted_at) > checkin.due_date)
        assert checkin.version == 3
    # The reviewer has check-ins waiting (a to-do), the employee this period's to fill in.
    assert CheckIn.objects.filter(
        participation__reviewer=person("manager"), status=CheckinStatus.SUBMITTED
    ).exists()
    current = CheckIn.objects.get(
        participation__cycle=cycle, participation__employee=person("employee"), due_date__gte=today
    )
    assert current.status == CheckinStatus.PENDING


def test_each_goal_of_the_demo_employee_has_a_progress_series():
    """Every goal of the employee login has at least four points over at least four
    months, the chart shows them, and the goal's current value is the latest point; all
    values are within what the goal measures and none is in the future."""
    from goals import rules
    from goals.models import Goal
    from implementation.models import ProgressUpdate
    from implementation.selectors.checkins import goal_progress

    seed()

    today = timezone.localdate()
    goals = Goal.objects.filter(
        owner=person("employee"), level=Goal.Level.INDIVIDUAL, cycle=current_cycle()
    )
    assert goals.count() >= 3
    for goal in goals:
        points = list(goal.progress_updates.order_by("recorded_on", "pk"))
        assert len(points) >= 4, goal.title
        assert len({(p.recorded_on.year, p.recorded_on.month) for p in points}) >= 4
        assert goal.current_value == points[-1].value
        assert len(goal_progress(goal, today=today).points) == len(points)
    for update in ProgressUpdate.objects.select_related("goal"):
        assert update.recorded_on < today
        assert rules.actual_value_in_bounds(
            update.value, baseline=update.goal.baseline, target=update.goal.target
        )


def test_deviations_exist_in_every_status_with_their_history():
    """Open, action agreed, resolved and accepted deviations, each with what the workflow
    would have left: an agreed action has its check-in and follow-up date, a closed one
    its reason; each has its audit trail from detection on. The nightly detection run
    again today finds nothing new to raise or close."""
    from implementation.models import Deviation, DeviationStatus
    from implementation.selectors.deviations import deviation_history
    from implementation.services.deviations import detect_deviations

    seed()

    deviations = list(Deviation.objects.select_related("agreed_in"))
    assert {d.status for d in deviations} == set(DeviationStatus.values)
    for deviation in deviations:
        history = [e.verb for e in deviation_history(deviation)]
        assert history[0] == "deviation.detected"
        assert len(history) == deviation.version
        if deviation.status == DeviationStatus.ACTION_AGREED:
            assert deviation.corrective_action and deviation.follow_up_date
            assert deviation.agreed_in.participation_id == deviation.participation_id
        if deviation.status in (DeviationStatus.RESOLVED, DeviationStatus.ACCEPTED):
            assert deviation.resolution and deviation.closed_at
    # The demo logins see their own: an action agreed for the employee, an open one for
    # employee2 (their manager's to-do).
    mine = Counter(Deviation.objects.filter(owner=person("employee")).values_list("status"))
    assert mine[(DeviationStatus.ACTION_AGREED,)] >= 1
    assert Deviation.objects.filter(owner=person("employee2"), status=DeviationStatus.OPEN).exists()

    again = detect_deviations(today=timezone.localdate())

    assert (again.raised, again.back_on_track) == (0, 0)


def test_evidence_is_spread_over_the_months_some_verified_some_pending():
    """Each person has several records dated across the cycle; the older ones are
    verified by their reviewer (never by whoever recorded them), the recent ones wait."""
    from implementation.models import Evidence

    seed()

    evidence = Evidence.objects.select_related("participation__reviewer")
    assert len({(e.occurred_on.year, e.occurred_on.month) for e in evidence}) >= 6
    assert evidence.filter(verified_at__isnull=False).exists()
    assert evidence.filter(verified_at__isnull=True).exists()
    for record in evidence.filter(verified_at__isnull=False):
        assert record.verified_by_id != record.created_by_id
        assert record.created_at < record.verified_at <= timezone.now()
        assert record.version == 2
    mine = evidence.filter(participation__employee=person("employee"))
    assert mine.count() >= 4
    assert len({(e.occurred_on.year, e.occurred_on.month) for e in mine}) >= 3


def test_goal_approvals_happened_during_planning():
    """Each person's goal was submitted by its owner and approved by their reviewer before
    the planning deadline (the goal's version history shows it), so none is waiting."""
    from goals.models import Goal

    seed()

    cycle = current_cycle()
    goals = Goal.objects.filter(cycle=cycle, level=Goal.Level.INDIVIDUAL)
    assert not goals.exclude(status=Goal.Status.APPROVED).exists()
    approved = {
        int(e.object_id): e
        for e in AuditEvent.objects.filter(verb="goal.approved", object_type="goals.goal")
    }
    # The goals agreed in last year's feedback interviews were drafted for their owners
    # by the system (the carry), the others by the owners themselves.
    drafted_for = set(
        AuditEvent.objects.filter(verb="goal.drafted_for").values_list("object_id", flat=True)
    )
    assert drafted_for
    for goal in goals.select_related("owner__manager__user", "owner__user"):
        event = approved[goal.pk]
        assert timezone.localdate(event.created_at) < cycle.planning_deadline
        if goal.owner.manager is not None:
            assert event.actor_id == goal.owner.manager.user_id
        if str(goal.pk) in drafted_for:
            assert goal.created_by_id is None
        else:
            assert goal.created_by_id == goal.owner.user_id
        assert goal.version == 3 and goal.versions.count() == 1


def test_the_nightly_tasks_find_the_demo_consistent():
    """Marking missed check-ins today changes nothing (those past their grace days are
    already missed) and nothing seeded is dated in the future."""
    from implementation.models import CheckIn, Evidence
    from implementation.services.checkins import mark_missed_checkins

    seed()

    assert mark_missed_checkins(today=timezone.localdate()) == 0
    now = timezone.now()
    assert not AuditEvent.objects.filter(created_at__gt=now).exists()
    assert not CheckIn.objects.filter(submitted_at__gt=now).exists()
    assert not Evidence.objects.filter(occurred_on__gt=timezone.localdate()).exists()


@pytest.mark.parametrize("day", [dt.date(2027, 3, 1), dt.date(2028, 2, 29), dt.date(2026, 7, 31)])
def test_the_demo_looks_like_month_eight_whatever_the_day(day):
    """On the first or last day of a month, or 29 February, the seed succeeds, with six
    past periods of check-ins and deviations in every status."""
    from implementation.models import CheckIn, Deviation

    with time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), tick=False):
        seed()
        cycle = current_cycle()
        assert len(past_periods(cycle, day)) == 6
        assert CheckIn.objects.filter(status="reviewed").exists()
        assert Deviation.objects.values("status").distinct().count() == 4


def test_a_large_org_writes_history_for_the_demo_company_only():
    """--employees 300: the 41 people of the demo company get their months of history;
    the generated people get approved goals, this period's check-in and two evidence
    records (their history would make the 10,000-person seed take minutes)."""
    from goals.models import Goal
    from implementation.models import CheckIn, Evidence

    seed("--employees", "300")

    cycle = current_cycle()
    today = timezone.localdate()
    generated = Participation.objects.filter(
        cycle=cycle, employee__employee_number__startswith=demo.LARGE_PREFIX
    )
    assert generated.count() > 200
    earlier = CheckIn.objects.filter(participation__cycle=cycle, period_end__lt=today)
    assert not earlier.filter(participation__in=generated).exists()
    assert earlier.filter(participation__employee=person("employee")).count() == 6
    assert CheckIn.objects.filter(participation__in=generated).count() == generated.count()
    assert Evidence.objects.filter(participation__in=generated).count() == 2 * generated.count()
    approved = set(
        AuditEvent.objects.filter(verb="goal.approved").values_list("object_id", flat=True)
    )
    goals = Goal.objects.filter(cycle=cycle, level=Goal.Level.INDIVIDUAL)
    assert (
        not {
            str(pk)
            for pk in goals.filter(owner__in=generated.values("employee")).values_list(
                "pk", flat=True
            )
        }
        & approved
    )
    assert {
        str(pk) for pk in goals.filter(owner=person("employee")).values_list("pk", flat=True)
    } <= approved


# --- Last year: appraised and closed ---------------------------------------------------------


def last_year() -> Cycle:
    return Cycle.objects.get(phase=Cycle.Phase.CLOSED)


def test_last_years_cycle_was_appraised_and_closed_for_everyone_in_the_demo_company():
    """Each of the 41 people of the demo company has a finalised, released appraisal with a
    score its breakdown adds up to; the scores spread from below "Meets expectations" to
    "Outstanding", a couple at each end."""
    from appraisal.models import Appraisal, AppraisalStatus
    from appraisal.selectors.breakdown import breakdown_for

    seed()

    cycle = last_year()
    appraisals = list(
        Appraisal.objects.filter(participation__cycle=cycle).select_related(
            "participation__employee"
        )
    )
    assert len(appraisals) == len(demo.PEOPLE) == Participation.objects.filter(cycle=cycle).count()
    for appraisal in appraisals:
        assert appraisal.status == AppraisalStatus.FINALIZED
        assert appraisal.released_at is not None and appraisal.final_score is not None
        breakdown = breakdown_for(appraisal)
        assert breakdown.final_score == appraisal.final_score
        assert breakdown.band.label == appraisal.final_band
        assert breakdown.lines
    scores = sorted(a.final_score for a in appraisals)
    assert 2 <= sum(score < Decimal("2.5") for score in scores) <= 4
    assert 2 <= sum(score >= Decimal("4.5") for score in scores) <= 4
    assert len({a.final_band for a in appraisals}) >= 4
    # The CEO has no manager: HR reviewed her.
    ceo = next(a for a in appraisals if a.participation.employee.employee_number == "DEMO-C001")
    assert ceo.reviewer == person("hr")


def test_last_years_appraisal_went_through_every_step_of_the_product():
    """Evidence cited on both sides, one suggested rating overridden with a reason, peer
    input from at least three colleagues for a few people (one nomination declined, one
    questionnaire expired), one self-assessment locked at its deadline, one calibration
    change with a reason in a locked session, the ratings released, the cycle closed by
    its phase changes."""
    from appraisal.models import (
        AppraisalItem,
        CalibrationAdjustment,
        CalibrationSession,
        CitedBy,
        ItemEvidence,
        PeerReview,
        PeerStatus,
    )

    seed()

    cycle = last_year()
    in_cycle = {"appraisal__participation__cycle": cycle}
    items = AppraisalItem.objects.filter(**in_cycle)
    overridden = items.exclude(override_reason="")
    assert overridden.count() == 1
    item = overridden.get()
    assert item.manager_rating != item.suggested_rating
    assert item.appraisal.participation.employee == person("employee")
    cited = ItemEvidence.objects.filter(item__in=items)
    assert cited.filter(cited_by=CitedBy.SELF).exists()
    assert cited.filter(cited_by=CitedBy.MANAGER).count() >= 41
    answered = Counter(
        PeerReview.objects.filter(**in_cycle, status=PeerStatus.ANSWERED).values_list(
            "appraisal_id", flat=True
        )
    )
    assert len(answered) >= 3 and min(answered.values()) >= 3
    statuses = set(PeerReview.objects.filter(**in_cycle).values_list("status", flat=True))
    assert {PeerStatus.DECLINED, PeerStatus.EXPIRED} <= statuses
    assert items.filter(appraisal__self_locked_at_deadline=True).exists()
    (adjustment,) = CalibrationAdjustment.objects.filter(**in_cycle)
    assert adjustment.reason and adjustment.to_score != adjustment.from_score
    assert adjustment.appraisal.participation.employee == person("employee2")
    assert CalibrationSession.objects.get(cycle=cycle).status == "locked"
    phases = AuditEvent.objects.filter(
        verb="cycle.phase_changed", object_type="perfcycle.cycle", object_id=str(cycle.pk)
    )
    assert [e.after["phase"] for e in phases.order_by("created_at")] == [
        "implementation",
        "appraisal",
        "feedback",
        "application",
        "closed",
    ]


def test_last_year_is_dated_last_year_and_sends_nothing_now():
    """What the services wrote for last year carries last year's days (the audit log too);
    its notifications are read history, none waiting in the email outbox."""
    from appraisal.models import Appraisal
    from perfcycle.models import Notification

    seed()

    cycle = last_year()
    start, end = cycle.implementation_deadline, cycle.appraisal_deadline + dt.timedelta(days=1)
    for appraisal in Appraisal.objects.filter(participation__cycle=cycle):
        if appraisal.self_submitted_at is not None:
            assert start < timezone.localdate(appraisal.self_submitted_at) <= end
        assert start < timezone.localdate(appraisal.manager_submitted_at) <= end
        assert start < timezone.localdate(appraisal.released_at) <= end
        assert timezone.localdate(appraisal.finalized_at) == end
    # A rating revised by a dispute's resolution is the feedback phase's (feedback/demo.py).
    events = AuditEvent.objects.filter(verb__startswith="appraisal.")
    in_feedback = events.filter(verb="appraisal.rating_revised")
    assert events.exists()
    assert all(
        start < timezone.localdate(e.created_at) <= end for e in events.difference(in_feedback)
    )
    assert all(
        end < timezone.localdate(e.created_at) <= cycle.feedback_deadline for e in in_feedback
    )
    history = Notification.objects.filter(created_at__date__lte=cycle.end_date + dt.timedelta(1))
    assert history.count() >= 41
    assert not history.filter(read_at__isnull=True).exists()
    assert not history.filter(send_email=True).exists()


def test_last_year_follows_the_day_the_demo_is_seeded_and_the_large_org_gets_none():
    """--today moves last year with it; the generated people of a large org take part in
    last year's cycle (as history) without an appraisal."""
    from appraisal.models import Appraisal

    seed("--today", "2026-03-10", "--employees", "120")

    cycle = last_year()
    assert cycle.name == "FY2024 performance cycle"
    assert cycle.end_date < current_cycle().start_date
    assert Participation.objects.filter(cycle=cycle).count() == Employee.objects.count()
    assert Appraisal.objects.filter(participation__cycle=cycle).count() == len(demo.PEOPLE)
