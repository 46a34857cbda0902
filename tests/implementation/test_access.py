"""Who reads and acts on implementation records (implementation/policies.py over the
perfcycle.access relations), per role and per view: the chain above reads check-ins as
it reads the goal progress page, and four-eyes on evidence verification."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from implementation.models import CheckinGoalProgress, ProgressUpdate
from implementation.selectors import evidence as evidence_selectors
from implementation.services import evidence as services
from perfcycle.models import Cycle
from perfcycle.stages import Viewer
from tests.factories import enrol, make_cycle, version_of
from tests.goals.factories import make_goal
from tests.implementation.evidence_factories import make_evidence, open_cycle
from tests.implementation.factories import make_checkin

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"implementation:{name}", args=args)


# --- The skip-level manager: check-in and goal progress agree --------------------------------


@pytest.fixture
def reported(org):
    """The employee's submitted check-in reporting 7 on a goal, noted "Halfway there",
    which is also on the goal's progress page."""
    cycle = open_cycle("FY now")
    [participation] = enrol(cycle, org["employee"])
    goal = make_goal(org["employee"], cycle=cycle, status="approved", weight=100, target=14)
    start = timezone.localdate() - dt.timedelta(days=40)
    checkin = make_checkin(
        participation, period_start=start, period_end=start + dt.timedelta(days=29)
    )
    checkin.status = "submitted"
    checkin.save(update_fields=["status"])
    CheckinGoalProgress.objects.create(
        checkin=checkin, goal=goal, actual_value=Decimal("7"), note="Halfway there"
    )
    ProgressUpdate.objects.create(
        goal=goal,
        value=Decimal("7"),
        recorded_on=start + dt.timedelta(days=20),
        recorded_by=org["employee"].user,
        checkin=checkin,
        note="Halfway there",
    )
    return {"checkin": checkin, "goal": goal}


@pytest.mark.parametrize("role", ["employee", "manager", "director", "hr"])
def test_readers_see_the_checkin_and_the_goal_progress_alike(org, login, reported, role):
    """The participant, the reviewer, the skip-level manager and HR read both pages, and
    both show the reported note."""
    client = login(org[role])
    checkin = client.get(url("checkin-detail", reported["checkin"].pk))
    progress = client.get(url("goal-progress", reported["goal"].pk))
    assert (checkin.status_code, progress.status_code) == (200, 200)
    assert "Halfway there" in checkin.content.decode()
    assert "Halfway there" in progress.content.decode()


@pytest.mark.parametrize("role", ["peer", "manager2", "intern"])
def test_outsiders_see_neither_the_checkin_nor_the_goal_progress(org, login, reported, role):
    """A peer, another team's manager and someone below get 404 on both pages."""
    client = login(org[role])
    assert client.get(url("checkin-detail", reported["checkin"].pk)).status_code == 404
    assert client.get(url("goal-progress", reported["goal"].pk)).status_code == 404


def test_skip_level_reads_but_neither_reviews_nor_comments_nor_records(org, login, reported):
    """Reading is not acting: the director's review, comment and progress posts are 404s."""
    client = login(org["director"])
    checkin = reported["checkin"]
    assert client.post(url("checkin-comment", checkin.pk), {"body": "Hi"}).status_code == 404
    response = client.post(
        url("goal-progress", reported["goal"].pk),
        {"value": "9", "recorded_on": timezone.localdate().isoformat(), "note": ""},
    )
    assert response.status_code == 404
    assert not checkin.comments.exists()


def test_former_reviewer_does_not_read_the_later_checkins(org, login):
    """After the person moved to another manager, the old reviewer gets 404 on the check-in
    of the later cycle but still reads the one of the cycle he reviewed."""
    earlier = make_cycle("FY2026", start=dt.date(2026, 1, 1), phase=Cycle.Phase.IMPLEMENTATION)
    [old] = enrol(earlier, org["employee"])
    old_checkin = make_checkin(old, period_start=dt.date(2026, 2, 1))
    org["employee"].manager = org["manager2"]
    org["employee"].save(update_fields=["manager"])
    later = make_cycle("FY2027", start=dt.date(2027, 1, 1), phase=Cycle.Phase.IMPLEMENTATION)
    [new] = enrol(later, org["employee"])
    new_checkin = make_checkin(new, period_start=dt.date(2027, 2, 1))
    client = login(org["manager"])
    assert client.get(url("checkin-detail", new_checkin.pk)).status_code == 404
    assert client.get(url("checkin-detail", old_checkin.pk)).status_code == 200


# --- Four-eyes on evidence --------------------------------------------------------------------


@pytest.fixture
def parts(org):
    cycle = open_cycle("FY now")
    people = ["employee", "manager", "employee2"]
    return dict(zip(people, enrol(cycle, *(org[p] for p in people)), strict=True))


@pytest.fixture
def by_manager(org, parts):
    """Evidence the reviewer (manager) recorded for his report."""
    return services.create_evidence(
        actor=org["manager"].user,
        participation=parts["employee"],
        data={"title": "Led the migration", "occurred_on": timezone.localdate()},
        files=[],
    )


def test_reviewer_cannot_verify_what_he_recorded(org, by_manager):
    """Service: the recording reviewer is refused; the record stays unverified."""
    with pytest.raises(PermissionDenied):
        services.verify_evidence(
            actor=org["manager"].user, evidence=by_manager, expected_version=version_of(by_manager)
        )
    by_manager.refresh_from_db()
    assert by_manager.verified_at is None


def test_reviewers_record_is_verified_one_step_up(org, by_manager):
    """Service: the reviewer's own manager verifies it."""
    services.verify_evidence(
        actor=org["director"].user, evidence=by_manager, expected_version=version_of(by_manager)
    )
    by_manager.refresh_from_db()
    assert by_manager.verified_by == org["director"].user


def test_participants_record_is_still_verified_by_the_reviewer_not_one_step_up(org, parts):
    """Service: what the participant recorded, the reviewer verifies; the director not."""
    record = make_evidence(parts["employee"])
    record = type(record).objects.with_people().get(pk=record.pk)
    with pytest.raises(PermissionDenied):
        services.verify_evidence(
            actor=org["director"].user, evidence=record, expected_version=version_of(record)
        )
    services.verify_evidence(
        actor=org["manager"].user, evidence=record, expected_version=version_of(record)
    )


def test_reviewer_without_a_manager_leaves_verification_to_hr(org, parts):
    """Manager2 has no manager: HR's to-do lists his record and HR verifies it."""
    record = make_evidence(parts["employee2"], by=org["manager2"])
    [todo] = evidence_selectors.evidence_todos(Viewer.of(org["hr"].user))
    assert todo.title == "1 evidence record to verify"
    assert evidence_selectors.evidence_todos(Viewer.of(org["manager2"].user)) == []
    services.verify_evidence(
        actor=org["hr"].user, evidence=record, expected_version=version_of(record)
    )


def test_verification_todo_goes_one_step_up_not_to_the_recorder(org, by_manager):
    """The director's list shows it; the recording manager's and HR's do not."""
    [todo] = evidence_selectors.evidence_todos(Viewer.of(org["director"].user))
    assert todo.title == "1 evidence record to verify"
    assert evidence_selectors.evidence_todos(Viewer.of(org["manager"].user)) == []
    assert evidence_selectors.evidence_todos(Viewer.of(org["hr"].user)) == []


def test_verify_view_refuses_the_recorder_and_serves_the_next_up(org, login, by_manager):
    """View: the manager gets no Verify button and 404 on the POST; the director gets the
    button, and his POST verifies it."""
    manager = login(org["manager"])
    assert not manager.get(by_manager.get_absolute_url()).context["actions"].verify
    assert manager.post(url("evidence-verify", by_manager.pk)).status_code == 404
    director = login(org["director"])
    assert director.get(by_manager.get_absolute_url()).context["actions"].verify
    listed = director.get(url("evidence-list") + "?to_verify=1").context["page"].object_list
    assert [row.pk for row in listed] == [by_manager.pk]
    assert (
        director.post(
            url("evidence-verify", by_manager.pk), {"version": version_of(by_manager)}
        ).status_code
        == 302
    )
    by_manager.refresh_from_db()
    assert by_manager.verified_by == org["director"].user
