"""Removing a participant never takes their records with it (issue 7, defect 1).

Every stage registers a removal guard (perfcycle/stages.py); the removal is refused with
all their reasons and nothing deleted, or done when nothing of the person's is there.
Stage foreign keys to core rows are PROTECT, so a guard that misses something makes the
delete fail rather than cascade."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.urls import reverse

from goals.models import Goal, GoalComment, GoalLevel, GoalStatus
from goals.services import setup
from goals.services.workflow import delete_goal
from implementation.models import CheckIn, Evidence
from perfcycle import stages
from perfcycle.models import AuditEvent, Participation
from tests.factories import enrol, make_cycle
from tests.goals.factories import make_goal
from tests.implementation.evidence_factories import make_evidence
from tests.implementation.factories import (
    make_checkin,
    make_checkins,
    make_comment,
    make_deviation,
    make_progress,
)

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 1)


@pytest.fixture
def cycle(org):
    cycle = make_cycle("FY2026")
    enrol(cycle, *org.values())
    return cycle


@pytest.fixture
def participation(cycle, org):
    return Participation.objects.get(cycle=cycle, employee=org["employee"])


def remove(org, cycle, participation):
    setup.remove_participant(actor=org["hr"].user, cycle=cycle, participation_id=participation.pk)


def test_participant_with_evidence_is_not_removed_and_keeps_it(org, cycle, participation, login):
    """HR removing someone with 3 evidence records is refused on the setup page with
    "has 3 evidence records", next to the person; the participation and all 3 records
    stay. (Before: the participation was deleted and the evidence cascaded with it.)"""
    records = [make_evidence(participation) for _ in range(3)]
    client = login(org["hr"])

    response = client.post(
        reverse("goals:cycle-participant-remove", args=[cycle.pk, participation.pk])
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "has 3 evidence records" in page
    assert 'data-testid="removal-refused"' in page
    assert org["employee"].full_name in page
    assert Participation.objects.filter(pk=participation.pk).exists()
    assert Evidence.objects.filter(pk__in=[r.pk for r in records]).count() == 3
    assert not AuditEvent.objects.filter(verb="participation.removed").exists()


def test_every_stage_reason_is_given_at_once(org, cycle, participation):
    """Goals, evidence, submitted check-ins, a written draft and deviations: each stage
    says what it holds, counted with the right plural."""
    goal = make_goal(org["employee"], cycle=cycle, status=GoalStatus.APPROVED)
    make_goal(org["employee"], cycle=cycle)
    make_evidence(participation)
    make_checkins(participation, first=START, count=4, status=CheckIn.Status.SUBMITTED)
    make_checkin(participation, period_start=dt.date(2026, 6, 1), blockers="Waiting on legal")
    make_deviation(goal, participation=participation)

    with pytest.raises(setup.RemovalRefused) as refused:
        remove(org, cycle, participation)

    assert refused.value.reasons == [
        "has 2 goals",
        "has 1 evidence record",
        "has 4 submitted check-ins",
        "has 1 check-in filled in but not submitted",
        "has 1 deviation record",
    ]
    assert "cannot be removed" in refused.value.messages[0]
    assert CheckIn.objects.filter(participation=participation).count() == 5


def test_untouched_check_ins_are_removed_explicitly_and_audited(org, cycle, participation):
    """Check-ins the system opened and nobody wrote in do not keep a person in: the
    implementation stage's cleanup deletes them with its own audit record, and the
    removal's audit record lists them."""
    opened = make_checkins(participation, first=START, count=2)
    opened[1].status = CheckIn.Status.MISSED
    opened[1].save(update_fields=["status"])

    remove(org, cycle, participation)

    assert not Participation.objects.filter(pk=participation.pk).exists()
    assert not CheckIn.objects.filter(pk__in=[c.pk for c in opened]).exists()
    cleanup = AuditEvent.objects.get(verb="checkins.removed_with_participant")
    assert [c["id"] for c in cleanup.before["checkins"]] == [c.pk for c in opened]
    removal = AuditEvent.objects.get(verb="participation.removed")
    assert removal.before["employee"] == org["employee"].pk
    assert len(removal.before["removed"]["implementation"]["checkins"]) == 2


def test_a_commented_check_in_is_not_untouched(org, cycle, participation):
    """A pending check-in with a manager's comment on it is the people's, not the
    system's: it blocks the removal."""
    checkin = make_checkin(participation, period_start=START)
    make_comment(checkin, by=org["manager"])

    with pytest.raises(ValidationError, match="check-in filled in"):
        remove(org, cycle, participation)
    assert CheckIn.objects.filter(pk=checkin.pk).exists()


@pytest.mark.parametrize("record", ["evidence", "checkin", "deviation"])
def test_deleting_a_participation_with_stage_records_is_refused_by_the_database_layer(
    org, cycle, participation, record
):
    """Whatever deletes a Participation (admin, a script), PROTECT refuses it while a
    stage row points at it."""
    if record == "evidence":
        make_evidence(participation)
    elif record == "checkin":
        make_checkin(participation, period_start=START)
    else:
        goal = make_goal(org["employee"], cycle=cycle, status=GoalStatus.APPROVED)
        make_deviation(goal, participation=participation)

    with pytest.raises(ProtectedError):
        participation.delete()
    assert Participation.objects.filter(pk=participation.pk).exists()


def test_a_goal_with_progress_cannot_be_deleted_by_cascade(org, cycle):
    """Progress reported on a goal protects the goal."""
    goal = make_goal(org["employee"], cycle=cycle, status=GoalStatus.APPROVED)
    make_progress(goal, 10, by=org["employee"], recorded_on=START)

    with pytest.raises(ProtectedError):
        goal.delete()


def test_a_cycle_with_stage_records_cannot_be_deleted(org, cycle):
    """Deleting a cycle does not take its goals with it."""
    make_goal(org["employee"], cycle=cycle)

    with pytest.raises(ProtectedError):
        cycle.delete()


def test_deleting_a_draft_goal_keeps_its_comments_in_the_audit_record(org, cycle):
    """A draft's comment thread is removed explicitly with it, and the audit record of
    the deletion keeps the comments (the goal's comments no longer cascade)."""
    goal = Goal.objects.create(
        cycle=cycle, level=GoalLevel.INDIVIDUAL, owner=org["employee"], title="Draft"
    )
    GoalComment.objects.create(goal=goal, author=org["manager"].user, body="Make it measurable")

    delete_goal(actor=org["employee"].user, goal=goal)

    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert not GoalComment.objects.exists()
    event = AuditEvent.objects.get(verb="goal.deleted")
    assert [c["body"] for c in event.before["comments"]] == ["Make it measurable"]


@pytest.fixture
def without_implementation_guard():
    """As if the implementation stage had forgotten to register its guard."""
    guard = stages.registry._guards.pop("implementation")
    yield
    stages.registry.register_removal_guard(guard)


def test_protect_catches_what_a_missing_guard_would_lose(
    org, cycle, participation, without_implementation_guard
):
    """With no guard asking about evidence, the delete still fails on PROTECT: the
    removal is refused with a message and the evidence stays."""
    record = make_evidence(participation)

    with pytest.raises(ValidationError, match="already has records"):
        remove(org, cycle, participation)

    assert Evidence.objects.filter(pk=record.pk).exists()
    assert Participation.objects.filter(pk=participation.pk).exists()
    assert not AuditEvent.objects.filter(verb="participation.removed").exists()
