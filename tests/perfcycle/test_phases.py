"""Phases that run themselves: the stages' guards and hooks around a phase change, and
the scheduler that moves cycles set to advance automatically on at their deadlines —
once, as the system, and telling HR (once a day) when something holds a cycle back."""

import datetime as dt
import logging
import time

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from goals import tasks as goal_tasks
from goals.models import CyclePlan
from implementation.models import CheckIn
from perfcycle import phases, tasks
from perfcycle.audit import record_event
from perfcycle.celery import app
from perfcycle.models import AuditEvent, Cycle, Notification, SentReminder, User
from perfcycle.workflow import SYSTEM, DomainError
from tests.appraisal.factories import make_scale
from tests.factories import enrol, make_cycle
from tests.goals.factories import make_goals
from tests.workers import run_at_once, worker_on_queue

START = dt.date(2026, 1, 1)
PLANNING_ENDS = dt.date(2026, 1, 31)
DAY_AFTER = PLANNING_ENDS + dt.timedelta(days=1)
# A queue of our own: other test runs share this Redis, and their workers must not take
# our messages (nor ours theirs).
QUEUE = "perfcycle-tests-phases"


@pytest.fixture
def registry():
    """The phase registries as the stages left them, restored after the test: a test's
    own guards and hooks never leak into the next test."""
    saved = [
        (registry, {phase: list(fns) for phase, fns in registry.items()})
        for registry in (phases.GUARDS, phases.ENTER_HOOKS, phases.LEAVE_HOOKS)
    ]
    yield phases
    for registry, items in saved:
        registry.clear()
        registry.update(items)


class Calls:
    """A hook that remembers each call: which cycle, in which phase, by whom."""

    def __init__(self):
        self.calls = []

    def __call__(self, *, cycle, actor):
        self.calls.append((cycle.pk, cycle.phase, actor))


@pytest.fixture
def cycle(org):
    """In planning until 31 Jan 2026, set to advance automatically; nobody has goals yet
    (which does not block planning from ending)."""
    cycle = make_cycle("FY2026", start=START, planning_deadline=PLANNING_ENDS, auto_advance=True)
    enrol(cycle, org["employee"], org["peer"])
    # The appraisal opens on the cycle's rating scale (its guard wants one).
    CyclePlan.objects.create(cycle=cycle, rating_scale=make_scale())
    return cycle


def phase_of(cycle) -> str:
    cycle.refresh_from_db()
    return cycle.phase


def hr_titles(org) -> list[str]:
    return list(
        Notification.objects.filter(recipient=org["hr"].user).values_list("title", flat=True)
    )


# --- Guards and hooks on a manual move -------------------------------------------------


@pytest.mark.django_db
def test_a_guard_keeps_the_cycle_and_says_why(org, cycle, registry):
    """HR's move is refused with the guard's sentence; the cycle stays in planning."""
    registry.register_phase_guard(
        leaving=Cycle.Phase.PLANNING, guard=lambda c: ["The rating scale is not chosen yet."]
    )
    with pytest.raises(ValidationError) as excinfo:
        phases.advance_cycle_phase(
            actor=org["hr"].user, cycle_id=cycle.pk, to_phase=Cycle.Phase.IMPLEMENTATION
        )
    assert excinfo.value.messages == ["The rating scale is not chosen yet."]
    assert phase_of(cycle) == Cycle.Phase.PLANNING
    assert not AuditEvent.objects.filter(verb="cycle.phase_changed").exists()


@pytest.mark.django_db
def test_hooks_run_once_on_leaving_and_on_entering(org, cycle, registry):
    """The leave hook sees the old phase, the enter hook the new one; each runs once,
    with the acting HR admin; a guard of another phase is not asked."""
    leaving, entering, elsewhere = Calls(), Calls(), Calls()
    registry.register_phase_hook(leaving=Cycle.Phase.PLANNING, hook=leaving)
    registry.register_phase_hook(entering=Cycle.Phase.IMPLEMENTATION, hook=entering)
    registry.register_phase_hook(entering=Cycle.Phase.APPRAISAL, hook=elsewhere)
    registry.register_phase_hook(leaving=Cycle.Phase.PLANNING, hook=leaving)  # twice: once
    phases.advance_cycle_phase(
        actor=org["hr"].user, cycle_id=cycle.pk, to_phase=Cycle.Phase.IMPLEMENTATION
    )
    assert leaving.calls == [(cycle.pk, "planning", org["hr"].user)]
    assert entering.calls == [(cycle.pk, "implementation", org["hr"].user)]
    assert elsewhere.calls == []


@pytest.mark.django_db
def test_a_failing_hook_undoes_the_whole_move(org, cycle, registry):
    """A hook that raises rolls back the phase, the other hooks' writes and the audit
    record; HR reads which step failed instead of a server error."""

    def writes(*, cycle, actor):
        record_event(actor=actor, verb="test.leave_hook", obj=cycle)

    def breaks(*, cycle, actor):
        raise RuntimeError("appraisal template missing")

    registry.register_phase_hook(leaving=Cycle.Phase.PLANNING, hook=writes)
    registry.register_phase_hook(entering=Cycle.Phase.IMPLEMENTATION, hook=breaks)
    with pytest.raises(phases.PhaseStepError) as excinfo:
        phases.advance_cycle_phase(
            actor=org["hr"].user, cycle_id=cycle.pk, to_phase=Cycle.Phase.IMPLEMENTATION
        )
    assert "breaks" in excinfo.value.messages[0]
    assert "Nothing was changed" in excinfo.value.messages[0]
    assert phase_of(cycle) == Cycle.Phase.PLANNING
    assert not AuditEvent.objects.filter(verb__in=["test.leave_hook", "cycle.phase_changed"])
    assert not CheckIn.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_the_actor_is_an_hr_admin_or_the_system(org, cycle):
    """None is refused outright; a manager may not move a cycle."""
    with pytest.raises(TypeError):
        phases.advance_cycle_phase(actor=None, cycle_id=cycle.pk, to_phase="implementation")
    with pytest.raises(PermissionDenied):
        phases.advance_cycle_phase(
            actor=org["manager"].user, cycle_id=cycle.pk, to_phase="implementation"
        )
    phases.advance_cycle_phase(actor=SYSTEM, cycle_id=cycle.pk, to_phase="implementation")
    assert phase_of(cycle) == Cycle.Phase.IMPLEMENTATION


@pytest.mark.django_db
def test_registration_names_a_real_phase_and_one_side():
    """A typo in a stage's registration fails at start-up, not silently."""
    with pytest.raises(ValueError):
        phases.register_phase_guard(leaving="planing", guard=lambda c: [])
    with pytest.raises(TypeError):
        phases.register_phase_hook(hook=Calls())


# --- The scheduler ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_due_cycle_moves_on_as_the_system(org, cycle, registry):
    """The day after planning ends the cycle is in implementation: recorded as the
    system's move, participants told, and the implementation stage's hook has opened the
    first check-ins."""
    entering = Calls()
    registry.register_phase_hook(entering=Cycle.Phase.IMPLEMENTATION, hook=entering)
    with time_machine.travel(dt.datetime(2026, 2, 1, 0, 15, tzinfo=dt.UTC), tick=False):
        result = phases.advance_due_phases()
    assert result.as_dict() == {"advanced": 1, "blocked": 0, "failed": 0, "skipped": 0}
    assert phase_of(cycle) == Cycle.Phase.IMPLEMENTATION
    assert entering.calls == [(cycle.pk, "implementation", SYSTEM)]
    event = AuditEvent.objects.get(verb="cycle.phase_changed")
    assert event.actor is None
    assert (event.before, event.after) == (
        {"phase": "planning"},
        {"phase": "implementation", "automatic": True},
    )
    assert Notification.objects.filter(
        recipient=org["employee"].user, title="FY2026 is now in the Implementation phase"
    ).exists()
    assert CheckIn.objects.filter(participation__cycle=cycle).count() == 2


@pytest.mark.django_db
def test_running_twice_changes_nothing(org, cycle, registry):
    """The second run finds implementation, whose deadline is months away: no second
    move, no second hook call, no second notice."""
    entering = Calls()
    registry.register_phase_hook(entering=Cycle.Phase.IMPLEMENTATION, hook=entering)
    assert phases.advance_due_phases(today=DAY_AFTER).as_dict()["advanced"] == 1
    assert phases.advance_due_phases(today=DAY_AFTER).as_dict() == {
        "advanced": 0,
        "blocked": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert len(entering.calls) == 1
    assert AuditEvent.objects.filter(verb="cycle.phase_changed").count() == 1
    assert Notification.objects.filter(recipient=org["employee"].user).count() == 1


@pytest.mark.django_db
def test_nothing_moves_on_the_deadline_day_or_without_the_setting(org, cycle):
    """The deadline day belongs to its phase; a cycle not set to advance waits for HR."""
    manual = make_cycle("By hand", start=START, planning_deadline=PLANNING_ENDS)
    assert phases.advance_due_phases(today=PLANNING_ENDS).as_dict()["advanced"] == 0
    assert phases.advance_due_phases(today=DAY_AFTER).advanced == [cycle.pk]
    assert phase_of(manual) == Cycle.Phase.PLANNING
    assert phase_of(cycle) == Cycle.Phase.IMPLEMENTATION


@pytest.mark.django_db
def test_the_deadline_passes_in_the_organisations_time_zone(org, cycle, settings):
    """At 23:30 UTC on the deadline day it is already the next day in Berlin: a Berlin
    organisation's cycle moves on, a UTC one's does not yet."""
    with time_machine.travel(dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        settings.TIME_ZONE = "UTC"
        assert phases.advance_due_phases().advanced == []
        settings.TIME_ZONE = "Europe/Berlin"
        assert phases.advance_due_phases().advanced == [cycle.pk]


@pytest.mark.django_db
def test_one_phase_per_run(org, cycle):
    """A cycle far behind moves one phase per run, through each phase's guards and hooks,
    and never past closed."""
    days_late = dt.date(2027, 6, 1)  # every deadline is over
    seen = []
    for _run in range(7):
        phases.advance_due_phases(today=days_late)
        seen.append(phase_of(cycle))
    assert seen == [
        "implementation",
        "appraisal",
        "feedback",
        "application",
        "closed",
        "closed",
        "closed",
    ]


@pytest.mark.django_db
def test_a_blocked_cycle_stays_and_hr_hears_once_a_day(org, cycle):
    """The planning guard holds the cycle (a plan at 60 %); HR admins get the reason,
    once per day however often the scheduler runs, and the attempt is in the audit log;
    the next day they hear again."""
    make_goals(org["employee"], cycle=cycle, weights=[60])
    for _run in range(3):
        assert phases.advance_due_phases(today=DAY_AFTER).blocked == [cycle.pk]
    assert phase_of(cycle) == Cycle.Phase.PLANNING
    assert hr_titles(org) == ["FY2026 could not move from Planning to Implementation automatically"]
    note = Notification.objects.get(recipient=org["hr"].user)
    assert "do not total 100 %" in note.body
    assert "31 Jan 2026" in note.body
    assert note.url == cycle.get_absolute_url()
    assert not Notification.objects.filter(recipient=org["employee"].user).exists()
    event = AuditEvent.objects.get(verb="cycle.advance_blocked")
    assert event.actor is None
    assert "do not total 100 %" in event.after["reasons"][0]
    assert phases.advance_due_phases(today=DAY_AFTER + dt.timedelta(days=1)).blocked == [cycle.pk]
    assert len(hr_titles(org)) == 2
    assert AuditEvent.objects.filter(verb="cycle.advance_blocked").count() == 2


@pytest.mark.django_db
def test_a_failing_hook_is_logged_and_reported_not_silent(org, cycle, registry, caplog):
    """A hook's exception on a scheduled move: nothing changes, the traceback is logged,
    and HR is told (once that day) which step failed."""

    def breaks(*, cycle, actor):
        raise RuntimeError("boom")

    registry.register_phase_hook(entering=Cycle.Phase.IMPLEMENTATION, hook=breaks)
    with caplog.at_level(logging.ERROR, logger="perfcycle.phases"):
        assert phases.advance_due_phases(today=DAY_AFTER).failed == [cycle.pk]
        assert phases.advance_due_phases(today=DAY_AFTER).failed == [cycle.pk]
    assert phase_of(cycle) == Cycle.Phase.PLANNING
    assert not CheckIn.objects.exists()
    assert "RuntimeError: boom" in caplog.text
    assert hr_titles(org) == ["Moving FY2026 from Planning to Implementation automatically failed"]
    assert "breaks" in Notification.objects.get(recipient=org["hr"].user).body
    assert AuditEvent.objects.filter(verb="cycle.advance_failed").count() == 1
    assert SentReminder.objects.filter(kind=phases.FAILED_KIND).count() == 1


@pytest.mark.django_db
def test_a_hook_that_refuses_tells_hr_its_sentence(org, cycle, registry):
    """A hook raising a DomainError is a refusal with a reason HR can act on."""

    def refuses(*, cycle, actor):
        raise DomainError("No appraisal template is assigned to Sales.")

    registry.register_phase_hook(leaving=Cycle.Phase.PLANNING, hook=refuses)
    assert phases.advance_due_phases(today=DAY_AFTER).failed == [cycle.pk]
    body = Notification.objects.get(recipient=org["hr"].user).body
    assert "- No appraisal template is assigned to Sales." in body


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_move_the_cycle_once(org, cycle, registry):
    """Two schedulers racing: the second waits for the row lock, then sees the new phase
    and does nothing; the hook ran exactly once."""
    entering = Calls()

    def slow(*, cycle, actor):
        entering(cycle=cycle, actor=actor)
        time.sleep(0.3)  # hold the lock while the other run arrives

    registry.register_phase_hook(entering=Cycle.Phase.IMPLEMENTATION, hook=slow)
    results = run_at_once(lambda: phases.advance_due_phases(today=DAY_AFTER).as_dict())
    assert sorted(r["advanced"] for r in results) == [0, 1]
    assert len(entering.calls) == 1
    assert AuditEvent.objects.filter(verb="cycle.phase_changed").count() == 1
    assert phase_of(cycle) == Cycle.Phase.IMPLEMENTATION


# --- Beat -------------------------------------------------------------------------------


def test_the_scheduler_and_planning_reminders_are_on_the_beat_schedule():
    """Both run from the one schedule in settings, naming registered tasks."""
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in ("perfcycle.tasks.advance_due_phases", "goals.tasks.send_all_planning_reminders"):
        assert name in scheduled
        assert name in app.tasks


@pytest.mark.django_db
def test_daily_planning_reminders_cover_every_cycle_in_planning(org, cycle):
    """The beat run reminds the people not ready in each cycle in planning, as the
    system, once a day; a cycle past planning is left alone."""
    later = make_cycle("FY2025", start=dt.date(2025, 1, 1), phase=Cycle.Phase.IMPLEMENTATION)
    enrol(later, org["employee2"])
    assert goal_tasks.send_all_planning_reminders() == 2
    assert goal_tasks.send_all_planning_reminders() == 0
    assert not Notification.objects.filter(recipient=org["employee2"].user).exists()
    events = AuditEvent.objects.filter(verb="planning.reminders_sent").order_by("id")
    assert [(e.object_id, e.actor, e.after["sent"]) for e in events] == [
        (str(cycle.pk), None, 2),
        (str(cycle.pk), None, 0),
    ]


# --- On a real worker -----------------------------------------------------------------


@pytest.fixture
def phase_worker(transactional_db):
    with worker_on_queue(QUEUE) as worker:
        yield worker


@pytest.mark.worker
def test_the_cycle_advances_at_its_deadline_on_a_real_worker(phase_worker, org, cycle, registry):
    """Through Redis to a worker, with the clock set: on the deadline day nothing moves;
    just after midnight the cycle is in implementation, its guards and hooks having run
    once (the stage's own hook opened the check-ins); a second run changes nothing."""
    User.objects.update(email="")  # no email tasks leave for the shared default queue
    guard, entering, leaving = [], Calls(), Calls()
    registry.register_phase_guard(
        leaving=Cycle.Phase.PLANNING, guard=lambda c: guard.append(c.pk) or []
    )
    registry.register_phase_hook(entering=Cycle.Phase.IMPLEMENTATION, hook=entering)
    registry.register_phase_hook(leaving=Cycle.Phase.PLANNING, hook=leaving)

    def run():
        return tasks.advance_due_phases.apply_async(queue=QUEUE).get(timeout=30)

    with time_machine.travel(dt.datetime(2026, 1, 31, 18, 0, tzinfo=dt.UTC)):
        assert run()["advanced"] == 0
    assert phase_of(cycle) == Cycle.Phase.PLANNING
    assert guard == []
    with time_machine.travel(dt.datetime(2026, 2, 1, 0, 15, tzinfo=dt.UTC)):
        assert run() == {"advanced": 1, "blocked": 0, "failed": 0, "skipped": 0}
        assert run() == {"advanced": 0, "blocked": 0, "failed": 0, "skipped": 0}
    assert phase_of(cycle) == Cycle.Phase.IMPLEMENTATION
    assert guard == [cycle.pk]
    assert entering.calls == [(cycle.pk, "implementation", SYSTEM)]
    assert leaving.calls == [(cycle.pk, "planning", SYSTEM)]
    assert CheckIn.objects.filter(participation__cycle=cycle).count() == 2
    assert AuditEvent.objects.filter(verb="cycle.phase_changed", actor=None).count() == 1
    assert Notification.objects.filter(recipient=org["employee"].user).count() == 1
