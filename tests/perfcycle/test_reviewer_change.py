"""HR changes the reviewer of a participation (perfcycle.services.change_reviewer): the
rules, the audit sentence, the notifications, and what follows the new reviewer in the
planning and implementation stages (through the access relations, nothing copied)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from goals import selectors as goal_selectors
from goals.models import GoalStatus
from goals.services import workflow as goal_workflow
from implementation import selectors as implementation_selectors
from implementation.models import CheckIn
from perfcycle import audit
from perfcycle.models import AuditEvent, Cycle, Notification, Participation
from perfcycle.services import change_reviewer
from perfcycle.stages import Viewer
from tests.factories import enrol, make_cycle, make_employee
from tests.goals.factories import make_goal
from tests.implementation.factories import make_checkin

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(org):
    cycle = make_cycle("FY2026")
    enrol(cycle, org["employee"], org["peer"], org["intern"], org["employee2"], org["manager"])
    return cycle


def part(cycle, person) -> Participation:
    return Participation.objects.select_related("reviewer").get(cycle=cycle, employee=person)


def titles(person) -> list[str]:
    return list(Notification.objects.filter(recipient=person.user).values_list("title", flat=True))


def test_hr_changes_a_reviewer_audited_and_everyone_told(org, cycle):
    """The reviewer moves; one audit event reads as a sentence with "before → after";
    the participant, the former and the new reviewer are each notified once."""
    p = part(cycle, org["employee"])
    changed = change_reviewer(
        actor=org["hr"].user, cycle=cycle, participation_ids=[p.pk], reviewer=org["manager2"]
    )
    assert changed == 1
    assert part(cycle, org["employee"]).reviewer == org["manager2"]

    event = AuditEvent.objects.get(verb="participation.reviewer_changed")
    (line,) = audit.describe(AuditEvent.objects.filter(pk=event.pk).select_related("actor"))
    hr_name = org["hr"].full_name
    assert str(line.sentence) == (
        f"{hr_name} changed the reviewer of {org['employee'].full_name} in FY2026"
    )
    assert [(c.label, c.before, c.after) for c in line.changes] == [
        ("Reviewer", org["manager"].full_name, org["manager2"].full_name)
    ]

    assert titles(org["employee"]) == [
        f"Your reviewer in FY2026 is now {org['manager2'].full_name}"
    ]
    assert titles(org["manager"]) == [f"You no longer review {org['employee'].full_name} in FY2026"]
    assert titles(org["manager2"]) == [f"You now review {org['employee'].full_name} in FY2026"]
    assert Notification.objects.filter(recipient=org["hr"].user).count() == 0


def test_a_selection_changes_at_once_with_one_message_per_person(org, cycle):
    ids = [part(cycle, org[name]).pk for name in ("employee", "peer", "intern")]
    changed = change_reviewer(
        actor=org["hr"].user, cycle=cycle, participation_ids=ids, reviewer=org["director"]
    )
    assert changed == 3
    assert set(Participation.objects.filter(pk__in=ids).values_list("reviewer_id", flat=True)) == {
        org["director"].pk
    }
    assert AuditEvent.objects.filter(verb="participation.reviewer_changed").count() == 3
    assert titles(org["director"]) == ["You now review 3 more people in FY2026"]
    # The manager reviewed two of them, the peer the intern: one message each.
    assert titles(org["manager"]) == ["You no longer review 2 people in FY2026"]
    assert sorted(titles(org["peer"])) == [
        f"You no longer review {org['intern'].full_name} in FY2026",
        "Your reviewer in FY2026 is now " + org["director"].full_name,
    ]


def test_the_same_reviewer_again_changes_nothing(org, cycle):
    p = part(cycle, org["employee"])
    assert (
        change_reviewer(
            actor=org["hr"].user, cycle=cycle, participation_ids=[p.pk], reviewer=org["manager"]
        )
        == 0
    )
    assert not AuditEvent.objects.filter(verb="participation.reviewer_changed").exists()
    assert not Notification.objects.exists()


def refused(org, cycle, ids, reviewer, match):
    before = dict(Participation.objects.values_list("pk", "reviewer_id"))
    with pytest.raises(ValidationError, match=match) as info:
        change_reviewer(actor=org["hr"].user, cycle=cycle, participation_ids=ids, reviewer=reviewer)
    assert dict(Participation.objects.values_list("pk", "reviewer_id")) == before
    assert not AuditEvent.objects.filter(verb="participation.reviewer_changed").exists()
    assert not Notification.objects.exists()
    return info.value


def test_a_reviewer_who_left_is_refused_at_the_field(org, cycle):
    gone = make_employee("gone", is_active=False)
    error = refused(org, cycle, [part(cycle, org["employee"]).pk], gone, "left the organisation")
    assert "reviewer" in error.error_dict


def test_nobody_reviews_themself_and_the_whole_selection_is_refused(org, cycle):
    """The manager is in the selection: nothing changes, not even for the others."""
    ids = [part(cycle, org["employee"]).pk, part(cycle, org["manager"]).pk]
    error = refused(org, cycle, ids, org["manager"], "cannot be their own reviewer")
    assert "reviewer" in error.error_dict


def test_other_cycles_participations_and_closed_cycles_are_refused(org, cycle):
    other = make_cycle("FY2027", start=dt.date(2027, 1, 1))
    (elsewhere,) = enrol(other, org["peer"])
    refused(org, cycle, [elsewhere.pk], org["director"], "no longer in this cycle")
    refused(org, cycle, [], org["director"], "at least one person")
    closed = make_cycle("FY2020", start=dt.date(2020, 1, 1), phase=Cycle.Phase.CLOSED)
    (old,) = enrol(closed, org["peer"])
    refused(org, closed, [old.pk], org["director"], "closed")


@pytest.mark.parametrize("role", ["employee", "manager"])
def test_only_hr_changes_reviewers(org, cycle, role):
    with pytest.raises(PermissionDenied):
        change_reviewer(
            actor=org[role].user,
            cycle=cycle,
            participation_ids=[part(cycle, org["peer"]).pk],
            reviewer=org[role],
        )
    assert part(cycle, org["peer"]).reviewer == org["manager"]


# --- What follows the new reviewer ----------------------------------------------------------


def approvals_waiting(person) -> list[str]:
    viewer = Viewer.of(person.user)
    return [t.title for t in goal_selectors.todos_for(viewer) if "approv" in t.title.lower()]


def test_a_waiting_goal_follows_the_new_reviewer_and_the_former_one_loses_it(org, cycle, login):
    """employee2 (manager2's report) was given the director as reviewer; a goal waits for
    approval. After HR gives the review back to manager2, the director (outside
    employee2's chain) gets 404 on it and no to-do; manager2 has the to-do and approves."""
    p = part(cycle, org["employee2"])
    Participation.objects.filter(pk=p.pk).update(reviewer=org["director"])
    goal = make_goal(org["employee2"], cycle=cycle, status=GoalStatus.SUBMITTED, title="Win 3")
    director = login(org["director"])
    assert director.get(goal.get_absolute_url()).status_code == 200
    assert approvals_waiting(org["director"])
    assert not approvals_waiting(org["manager2"])

    change_reviewer(
        actor=org["hr"].user, cycle=cycle, participation_ids=[p.pk], reviewer=org["manager2"]
    )

    assert director.get(goal.get_absolute_url()).status_code == 404
    assert director.post(reverse("goals:goal-approve", args=[goal.pk])).status_code == 404
    assert not approvals_waiting(org["director"])
    assert approvals_waiting(org["manager2"])
    goal_workflow.approve_goal(actor=org["manager2"].user, goal=goal)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.APPROVED


def test_a_former_reviewer_above_the_person_still_reads_but_no_longer_approves(org, cycle, login):
    """The manager stays above the employee in the chart: he keeps reading the goal
    (chain), but approving is the new reviewer's."""
    p = part(cycle, org["employee"])
    goal = make_goal(org["employee"], cycle=cycle, status=GoalStatus.SUBMITTED)
    change_reviewer(
        actor=org["hr"].user, cycle=cycle, participation_ids=[p.pk], reviewer=org["manager2"]
    )
    client = login(org["manager"])
    assert client.get(goal.get_absolute_url()).status_code == 200
    assert client.post(reverse("goals:goal-approve", args=[goal.pk])).status_code == 404
    goal.refresh_from_db()
    assert goal.status == GoalStatus.SUBMITTED
    assert goal in set(goal_selectors.goals_reviewable_by(org["manager2"].user))


def test_a_submitted_checkin_waits_for_the_new_reviewer(org):
    running = make_cycle("FY2026", phase=Cycle.Phase.IMPLEMENTATION)
    (p,) = enrol(running, org["employee2"])
    Participation.objects.filter(pk=p.pk).update(reviewer=org["director"])
    checkin = make_checkin(
        part(running, org["employee2"]),
        period_start=dt.date(2026, 3, 1),
        status=CheckIn.Status.SUBMITTED,
    )
    change_reviewer(
        actor=org["hr"].user, cycle=running, participation_ids=[p.pk], reviewer=org["manager2"]
    )
    assert list(
        implementation_selectors.checkins.checkins_awaiting_review(
            org["manager2"].user, running, before=None
        )
    ) == [checkin]
    assert not implementation_selectors.checkins.checkins_awaiting_review(
        org["director"].user, running, before=None
    )
    assert checkin not in set(implementation_selectors.checkins_visible_to(org["director"].user))
