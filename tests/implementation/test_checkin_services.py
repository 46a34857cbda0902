"""Check-in services: opening and missing check-ins in bulk, filling in and submitting,
the reviewer's side, the conversation, progress updates and HR's settings. Every
transition allowed and refused, audit rows and notifications to the other party."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals.models import Goal
from implementation.models import (
    CheckIn,
    CheckinAnswer,
    CheckinComment,
    CheckinGoalProgress,
    CheckinQuestion,
    CheckinSettings,
    ProgressUpdate,
)
from implementation.services import checkins as services
from perfcycle.models import AuditEvent, Cycle, Notification, Participation
from perfcycle.services import ConcurrentEditError
from tests.factories import enrol, make_cycle, make_employee, version_of
from tests.goals.factories import make_goal
from tests.implementation.factories import (
    make_checkin,
    make_question,
    make_settings,
)

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 1)
JAN = dt.date(2026, 1, 1)
FEB = dt.date(2026, 2, 1)
IN_FEB = dt.date(2026, 2, 10)


@pytest.fixture
def cycle(org):
    cycle = make_cycle("FY2026", phase=Cycle.Phase.IMPLEMENTATION, start=START)
    enrol(cycle, org["employee"], org["peer"], org["manager"], org["employee2"])
    return cycle


@pytest.fixture
def participation(org, cycle):
    return Participation.objects.get(cycle=cycle, employee=org["employee"])


@pytest.fixture
def goals(org, cycle):
    return [
        make_goal(
            org["employee"],
            cycle=cycle,
            status="approved",
            weight=60,
            title="Close deals",
            baseline=Decimal("0"),
            target=Decimal("10"),
        ),
        make_goal(org["employee"], cycle=cycle, status="approved", weight=40, title="Mentor"),
    ]


@pytest.fixture
def checkin(participation):
    return make_checkin(participation, period_start=FEB, period_end=dt.date(2026, 2, 28))


def content(goals=(), *, confidence=4, **extra):
    data = {
        "went_well": "Shipped the importer",
        "blockers": "Waiting for legal",
        "confidence": confidence,
        "progress": {
            g.pk: {"actual_value": Decimal("3") if i == 0 else None, "note": f"note {i}"}
            for i, g in enumerate(goals)
        },
        "answers": {},
    }
    data.update(extra)
    return data


def events(verb):
    return list(AuditEvent.objects.filter(verb=verb))


def titles(person):
    return list(Notification.objects.filter(recipient=person.user).values_list("title", flat=True))


# --- open_checkins --------------------------------------------------------------------------


def test_open_checkins_creates_the_current_period_for_every_active_participant(org, cycle):
    """Each active participant gets the check-in of the period containing today, due at
    its end; a leaver gets none."""
    leaver = make_employee("leaver", manager=org["manager"], is_active=False)
    enrol(cycle, leaver)
    created = services.open_checkins(cycle=cycle, today=IN_FEB)
    assert created == 4
    rows = CheckIn.objects.filter(participation__cycle=cycle)
    assert {(c.period_start, c.period_end, c.due_date, c.status) for c in rows} == {
        (FEB, dt.date(2026, 2, 28), dt.date(2026, 2, 28), "pending")
    }
    assert not rows.filter(participation__employee=leaver).exists()
    [event] = events("checkins.opened")
    assert event.after == {"period_start": "2026-02-01", "due_date": "2026-02-28", "count": 4}


def test_open_checkins_is_idempotent(cycle):
    """A second run (the task running twice) creates nothing and audits nothing more."""
    services.open_checkins(cycle=cycle, today=IN_FEB)
    assert services.open_checkins(cycle=cycle, today=dt.date(2026, 2, 20)) == 0
    assert CheckIn.objects.count() == 4
    assert len(events("checkins.opened")) == 1


def test_open_checkins_skips_people_who_already_have_the_period(participation, cycle):
    """Someone whose check-in exists keeps it as it is; only the others get one."""
    existing = make_checkin(participation, period_start=FEB, status="submitted")
    assert services.open_checkins(cycle=cycle, today=IN_FEB) == 3
    existing.refresh_from_db()
    assert existing.status == "submitted"


def test_open_checkins_opens_nothing_outside_implementation(org):
    """A cycle in planning or appraisal gets no check-ins."""
    for phase in [Cycle.Phase.PLANNING, Cycle.Phase.APPRAISAL]:
        cycle = make_cycle(phase=phase, start=START)
        enrol(cycle, org["employee2"])
        assert services.open_checkins(cycle=cycle, today=IN_FEB) == 0
    assert not CheckIn.objects.exists()


def test_open_checkins_opens_nothing_after_the_implementation_deadline(cycle):
    """Past the implementation deadline no period contains today."""
    late = cycle.implementation_deadline + dt.timedelta(days=1)
    assert services.open_checkins(cycle=cycle, today=late) == 0


def test_open_checkins_follows_the_cycle_cadence(org):
    """A weekly cycle's check-in is the week containing today."""
    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=START, checkin_cadence="weekly")
    enrol(cycle, org["employee2"])
    services.open_checkins(cycle=cycle, today=dt.date(2026, 1, 10))
    checkin = CheckIn.objects.get()
    assert (checkin.period_start, checkin.due_date) == (dt.date(2026, 1, 8), dt.date(2026, 1, 14))


def _open_queries(count: int) -> int:
    manager = make_employee()
    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=START)
    enrol(cycle, *[make_employee(manager=manager) for _ in range(count)])
    with CaptureQueriesContext(connection) as ctx:
        assert services.open_checkins(cycle=cycle, today=IN_FEB) == count
    return len(ctx.captured_queries)


def test_open_checkins_query_count_does_not_grow_with_participants(db):
    """Bulk: 3 or 30 participants take the same number of queries (no per-row work)."""
    assert _open_queries(3) == _open_queries(30)


def test_open_all_checkins_covers_every_cycle_in_implementation(org, cycle):
    """Every cycle in implementation is opened; others are left alone."""
    other = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=START)
    enrol(other, org["director"])
    make_cycle(phase=Cycle.Phase.PLANNING, start=START)
    assert services.open_all_checkins(today=IN_FEB) == 5


# --- mark_missed_checkins -----------------------------------------------------------------


def test_pending_checkins_are_missed_after_the_default_grace_of_three_days(checkin):
    """Without settings, a check-in due 28 Feb is still pending on 3 March and missed on
    4 March (due date + 3 days has passed)."""
    assert services.mark_missed_checkins(today=dt.date(2026, 3, 3)) == 0
    checkin.refresh_from_db()
    assert checkin.status == "pending"
    assert services.mark_missed_checkins(today=dt.date(2026, 3, 4)) == 1
    checkin.refresh_from_db()
    assert checkin.status == "missed"


def test_grace_days_come_from_each_cycles_settings(org, cycle, participation, checkin):
    """A cycle's own grace days apply to its check-ins; other cycles keep the default."""
    make_settings(cycle, grace_days=7)
    other = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=START)
    [other_part] = enrol(other, org["director"])
    other_checkin = make_checkin(other_part, period_start=FEB, period_end=dt.date(2026, 2, 28))
    strict = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=START)
    make_settings(strict, grace_days=0)
    [strict_part] = enrol(strict, org["employee2"])
    strict_checkin = make_checkin(strict_part, period_start=FEB, period_end=dt.date(2026, 2, 28))

    assert services.mark_missed_checkins(today=dt.date(2026, 3, 4)) == 2
    statuses = dict(CheckIn.objects.values_list("pk", "status"))
    assert statuses == {
        checkin.pk: "pending",
        other_checkin.pk: "missed",
        strict_checkin.pk: "missed",
    }
    assert services.mark_missed_checkins(today=dt.date(2026, 3, 8)) == 1
    checkin.refresh_from_db()
    assert checkin.status == "missed"


def test_mark_missed_leaves_submitted_and_reviewed_alone(participation):
    """Only pending check-ins can be missed."""
    submitted = make_checkin(participation, period_start=JAN, status="submitted")
    reviewed = make_checkin(participation, period_start=FEB, status="reviewed")
    assert services.mark_missed_checkins(today=dt.date(2026, 6, 1)) == 0
    assert {c.status for c in CheckIn.objects.filter(pk__in=[submitted.pk, reviewed.pk])} == {
        "submitted",
        "reviewed",
    }


def test_mark_missed_is_one_update_and_one_summary_event(participation):
    """However many are marked: one read of the settings, one UPDATE, one audit event."""
    for month in range(1, 5):
        make_checkin(participation, period_start=dt.date(2026, month, 1))
    with CaptureQueriesContext(connection) as ctx:
        assert services.mark_missed_checkins(today=dt.date(2026, 7, 1)) == 4
    updates = [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    [event] = events("checkins.marked_missed")
    assert event.after == {"count": 4, "today": "2026-07-01"}
    assert event.object_type == "implementation.checkin"
    assert services.mark_missed_checkins(today=dt.date(2026, 7, 2)) == 0
    assert len(events("checkins.marked_missed")) == 1


# --- filling in -------------------------------------------------------------------------------


def test_saving_a_draft_keeps_the_checkin_pending_and_does_not_move_goals(
    org, checkin, goals, cycle
):
    """A draft stores the text, confidence, progress and answers; the check-in stays
    pending and the goals' values do not change until submission."""
    question = make_question(cycle, "What did you learn?")
    data = content(goals, answers={question.pk: "Patience"})
    services.save_checkin_draft(
        actor=org["employee"].user, checkin=checkin, data=data, expected_version=1
    )
    checkin.refresh_from_db()
    assert (checkin.status, checkin.confidence, checkin.version) == ("pending", 4, 2)
    assert checkin.went_well == "Shipped the importer"
    progress = {p.goal_id: (p.actual_value, p.note) for p in checkin.goal_progress.all()}
    assert progress == {goals[0].pk: (Decimal("3"), "note 0"), goals[1].pk: (None, "note 1")}
    assert CheckinAnswer.objects.get(checkin=checkin).answer == "Patience"
    assert not ProgressUpdate.objects.exists()
    goals[0].refresh_from_db()
    assert goals[0].current_value is None
    [event] = events("checkin.draft_saved")
    assert event.after["progress"][str(goals[0].pk)] == {"actual_value": "3", "note": "note 0"}


def test_a_second_draft_updates_the_same_rows(org, checkin, goals):
    """Saving again overwrites the progress rows; it does not add new ones."""
    actor = org["employee"].user
    services.save_checkin_draft(
        actor=actor, checkin=checkin, data=content(goals), expected_version=1
    )
    data = content(goals)
    data["progress"][goals[0].pk] = {"actual_value": Decimal("5"), "note": "more"}
    services.save_checkin_draft(actor=actor, checkin=checkin, data=data, expected_version=2)
    assert CheckinGoalProgress.objects.filter(checkin=checkin).count() == 2
    assert CheckinGoalProgress.objects.get(goal=goals[0]).actual_value == Decimal("5")


def test_submitting_records_progress_and_tells_the_reviewer(org, checkin, goals):
    """pending → submitted on time: each reported value becomes a ProgressUpdate and the
    goal's current value; the reviewer is notified; an audit row is written."""
    services.submit_checkin(
        actor=org["employee"].user,
        checkin=checkin,
        data=content(goals),
        expected_version=1,
        today=dt.date(2026, 2, 27),
    )
    checkin.refresh_from_db()
    assert (checkin.status, checkin.is_late) == ("submitted", False)
    assert checkin.submitted_at is not None
    [update] = ProgressUpdate.objects.all()
    assert (update.goal_id, update.value, update.checkin_id) == (
        goals[0].pk,
        Decimal("3"),
        checkin.pk,
    )
    assert update.recorded_on == dt.date(2026, 2, 27)
    assert update.recorded_by == org["employee"].user
    goals[0].refresh_from_db()
    goals[1].refresh_from_db()
    assert (goals[0].current_value, goals[1].current_value) == (Decimal("3"), None)
    [event] = events("checkin.submitted")
    assert event.before["status"] == "pending"
    assert event.after["status"] == "submitted"
    assert any("submitted their check-in" in t for t in titles(org["manager"]))
    assert titles(org["employee"]) == []


def test_a_submission_after_the_due_date_is_marked_late_not_refused(org, checkin):
    """Submitting after the due date works and sets is_late."""
    services.submit_checkin(
        actor=org["employee"].user,
        checkin=checkin,
        data=content(),
        expected_version=1,
        today=dt.date(2026, 3, 1),
    )
    checkin.refresh_from_db()
    assert (checkin.status, checkin.is_late) == ("submitted", True)
    assert any("(late)" in t for t in titles(org["manager"]))


def test_a_missed_checkin_can_still_be_submitted_late(org, participation):
    """missed → submitted, marked late."""
    missed = make_checkin(participation, period_start=JAN, status="missed")
    services.submit_checkin(
        actor=org["employee"].user,
        checkin=missed,
        data=content(),
        expected_version=1,
        today=IN_FEB,
    )
    missed.refresh_from_db()
    assert (missed.status, missed.is_late) == ("submitted", True)


def test_a_checkin_is_submitted_once(org, checkin):
    """A second submission is refused with a message; nothing changes."""
    actor = org["employee"].user
    services.submit_checkin(actor=actor, checkin=checkin, data=content(), expected_version=1)
    with pytest.raises(ValidationError, match="submitted this check-in"):
        services.submit_checkin(actor=actor, checkin=checkin, data=content(), expected_version=2)
    assert len(events("checkin.submitted")) == 1


def test_submitting_needs_a_confidence(org, checkin):
    """Without a confidence the submission is refused, keyed to the field."""
    with pytest.raises(ValidationError) as error:
        services.submit_checkin(
            actor=org["employee"].user,
            checkin=checkin,
            data=content(confidence=None),
            expected_version=1,
        )
    assert "confidence" in error.value.error_dict
    checkin.refresh_from_db()
    assert checkin.status == "pending"


def test_a_draft_may_leave_the_confidence_empty(org, checkin):
    """Drafts are work in progress: no confidence yet is fine."""
    services.save_checkin_draft(
        actor=org["employee"].user,
        checkin=checkin,
        data=content(confidence=None),
        expected_version=1,
    )
    checkin.refresh_from_db()
    assert checkin.confidence is None


def test_the_employee_cannot_edit_after_submission(org, participation):
    """A submitted check-in no longer takes drafts."""
    submitted = make_checkin(participation, period_start=JAN, status="submitted")
    with pytest.raises(ValidationError, match="can no longer be changed"):
        services.save_checkin_draft(
            actor=org["employee"].user, checkin=submitted, data=content(), expected_version=1
        )


def test_nobody_edits_after_review(org, participation):
    """A reviewed check-in is final: no draft, no submission, no reply."""
    reviewed = make_checkin(participation, period_start=JAN, status="reviewed")
    with pytest.raises(ValidationError, match="reviewed"):
        services.save_checkin_draft(
            actor=org["employee"].user, checkin=reviewed, data=content(), expected_version=1
        )
    with pytest.raises(ValidationError, match="reviewed"):
        services.submit_checkin(
            actor=org["employee"].user, checkin=reviewed, data=content(), expected_version=1
        )
    with pytest.raises(ValidationError, match="reviewed"):
        services.reply_to_checkin(
            actor=org["manager"].user, checkin=reviewed, reply="Late words", expected_version=1
        )


def test_a_stale_version_is_a_concurrent_edit(org, checkin):
    """Saving with a version someone else already moved on is refused."""
    actor = org["employee"].user
    services.save_checkin_draft(actor=actor, checkin=checkin, data=content(), expected_version=1)
    with pytest.raises(ConcurrentEditError):
        services.save_checkin_draft(
            actor=actor, checkin=checkin, data=content(went_well="Other tab"), expected_version=1
        )
    with pytest.raises(ConcurrentEditError):
        services.submit_checkin(actor=actor, checkin=checkin, data=content(), expected_version=1)
    checkin.refresh_from_db()
    assert (checkin.went_well, checkin.status) == ("Shipped the importer", "pending")


@pytest.mark.parametrize("role", ["manager", "hr", "peer"])
def test_only_the_participant_fills_in_their_checkin(org, checkin, role):
    """The reviewer, HR and a peer cannot write someone else's check-in."""
    with pytest.raises(PermissionDenied):
        services.save_checkin_draft(
            actor=org[role].user, checkin=checkin, data=content(), expected_version=1
        )
    with pytest.raises(PermissionDenied):
        services.submit_checkin(
            actor=org[role].user, checkin=checkin, data=content(), expected_version=1
        )


def test_progress_only_on_the_participants_approved_goals(org, cycle, checkin):
    """A draft goal of theirs, or someone else's goal, cannot be reported on."""
    draft = make_goal(org["employee"], cycle=cycle, status="draft")
    others = make_goal(org["peer"], cycle=cycle, status="approved")
    for goal in [draft, others]:
        with pytest.raises(ValidationError, match="approved goals"):
            services.save_checkin_draft(
                actor=org["employee"].user,
                checkin=checkin,
                data=content([goal]),
                expected_version=1,
            )


def test_answers_only_to_active_questions_of_the_cycle(org, cycle, checkin):
    """An answer to a deactivated question is not stored."""
    active = make_question(cycle, "Active?")
    retired = make_question(cycle, "Retired?", is_active=False)
    services.save_checkin_draft(
        actor=org["employee"].user,
        checkin=checkin,
        data=content(answers={active.pk: "yes", retired.pk: "no"}),
        expected_version=1,
    )
    assert list(CheckinAnswer.objects.values_list("question_id", "answer")) == [(active.pk, "yes")]


def test_checkins_are_filled_in_only_during_implementation(org, cycle, checkin):
    """Once the cycle has moved on to appraisal the check-in can no longer be filled in."""
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.APPRAISAL)
    with pytest.raises(ValidationError, match="only during implementation"):
        services.submit_checkin(
            actor=org["employee"].user, checkin=checkin, data=content(), expected_version=1
        )


# --- the reviewer's side ---------------------------------------------------------------------


@pytest.fixture
def submitted(participation):
    return make_checkin(participation, period_start=JAN, status="submitted")


def test_the_reviewer_replies_and_the_employee_is_told(org, submitted):
    """The reply is saved (version bumped), audited and notified to the employee."""
    services.reply_to_checkin(
        actor=org["manager"].user, checkin=submitted, reply="Good work", expected_version=1
    )
    submitted.refresh_from_db()
    assert (submitted.manager_reply, submitted.version, submitted.status) == (
        "Good work",
        2,
        "submitted",
    )
    [event] = events("checkin.replied")
    assert event.after == {"manager_reply": "Good work"}
    assert any("replied to your check-in" in t for t in titles(org["employee"]))


def test_hr_may_reply_too(org, submitted):
    """HR responds like the reviewer."""
    services.reply_to_checkin(
        actor=org["hr"].user,
        checkin=submitted,
        reply="From HR",
        expected_version=version_of(submitted),
    )
    submitted.refresh_from_db()
    assert submitted.manager_reply == "From HR"


@pytest.mark.parametrize("role", ["employee", "peer", "manager2", "director"])
def test_others_cannot_reply_or_review(org, submitted, role):
    """The employee themself, a peer, another manager and the skip-level manager do not
    respond to a check-in."""
    with pytest.raises(PermissionDenied):
        services.reply_to_checkin(
            actor=org[role].user, checkin=submitted, reply="Hi", expected_version=None
        )
    with pytest.raises(PermissionDenied):
        services.review_checkin(
            actor=org[role].user, checkin=submitted, expected_version=version_of(submitted)
        )
    with pytest.raises(PermissionDenied):
        services.ask_follow_up(actor=org[role].user, checkin=submitted, body="Why?")


def test_a_reply_needs_a_submitted_checkin_and_some_text(org, checkin, submitted):
    """No reply to a check-in not yet submitted, nor an empty one."""
    with pytest.raises(ValidationError, match="once the check-in is submitted"):
        services.reply_to_checkin(
            actor=org["manager"].user,
            checkin=checkin,
            reply="Hi",
            expected_version=version_of(checkin),
        )
    with pytest.raises(ValidationError) as error:
        services.reply_to_checkin(
            actor=org["manager"].user,
            checkin=submitted,
            reply="  ",
            expected_version=version_of(submitted),
        )
    assert "manager_reply" in error.value.error_dict


def test_a_stale_reply_is_a_concurrent_edit(org, submitted):
    """Two replies from the same loaded page: the second one is refused."""
    actor = org["manager"].user
    services.reply_to_checkin(actor=actor, checkin=submitted, reply="One", expected_version=1)
    with pytest.raises(ConcurrentEditError):
        services.reply_to_checkin(actor=actor, checkin=submitted, reply="Two", expected_version=1)


def test_marking_reviewed_is_final_and_tells_the_employee(org, submitted):
    """submitted → reviewed with who and when, an optional last reply, audit and a
    notification to the employee."""
    services.review_checkin(
        actor=org["manager"].user,
        checkin=submitted,
        reply="Well done",
        expected_version=version_of(submitted),
    )
    submitted.refresh_from_db()
    assert (submitted.status, submitted.reviewed_by, submitted.manager_reply) == (
        "reviewed",
        org["manager"].user,
        "Well done",
    )
    assert submitted.reviewed_at is not None
    [event] = events("checkin.reviewed")
    assert (event.before["status"], event.after["status"]) == ("submitted", "reviewed")
    assert any("was reviewed" in t for t in titles(org["employee"]))
    with pytest.raises(ValidationError, match="cannot be marked reviewed"):
        services.review_checkin(
            actor=org["manager"].user, checkin=submitted, expected_version=version_of(submitted)
        )


def test_review_keeps_an_earlier_reply_when_no_new_one_is_given(org, submitted):
    """Reviewing without words leaves the reply as it was."""
    services.reply_to_checkin(
        actor=org["manager"].user, checkin=submitted, reply="Earlier", expected_version=1
    )
    services.review_checkin(
        actor=org["manager"].user, checkin=submitted, expected_version=version_of(submitted)
    )
    submitted.refresh_from_db()
    assert submitted.manager_reply == "Earlier"


@pytest.mark.parametrize("status", ["pending", "missed"])
def test_only_submitted_checkins_are_reviewed(org, participation, status):
    """A pending or missed check-in cannot be marked reviewed."""
    checkin = make_checkin(participation, period_start=JAN, status=status)
    with pytest.raises(ValidationError, match="cannot be marked reviewed"):
        services.review_checkin(
            actor=org["manager"].user, checkin=checkin, expected_version=version_of(checkin)
        )


def test_nobody_reviews_their_own_checkin_not_even_hr(org, cycle):
    """An HR admin taking part in the cycle cannot respond to their own check-in."""
    [hr_part] = enrol(cycle, org["hr"])
    own = make_checkin(hr_part, period_start=JAN, status="submitted")
    with pytest.raises(PermissionDenied):
        services.review_checkin(actor=org["hr"].user, checkin=own, expected_version=version_of(own))


# --- the conversation ---------------------------------------------------------------------------


def test_a_follow_up_question_is_flagged_and_emailed_to_the_employee(org, submitted):
    """The reviewer's follow-up is a flagged comment; the employee is notified by email."""
    comment = services.ask_follow_up(actor=org["manager"].user, checkin=submitted, body="Why?")
    assert comment.is_follow_up
    note = Notification.objects.get(recipient=org["employee"].user)
    assert "follow-up question" in note.title
    assert note.send_email
    assert events("checkin.follow_up_asked")


def test_follow_ups_wait_for_the_submission(org, checkin):
    """A pending check-in gets no follow-up question yet."""
    with pytest.raises(ValidationError, match="once the check-in is submitted"):
        services.ask_follow_up(actor=org["manager"].user, checkin=checkin, body="Why?")


def test_comments_go_to_the_other_side(org, submitted):
    """The employee's comment notifies the reviewer; the reviewer's the employee."""
    services.add_checkin_comment(actor=org["employee"].user, checkin=submitted, body="Context")
    services.add_checkin_comment(actor=org["manager"].user, checkin=submitted, body="Thanks")
    assert [c.is_follow_up for c in CheckinComment.objects.all()] == [False, False]
    assert any("commented" in t for t in titles(org["manager"]))
    assert any("commented" in t for t in titles(org["employee"]))
    assert len(events("checkin.commented")) == 2


def test_the_conversation_goes_on_after_review(org, participation):
    """Review freezes the check-in, not the thread."""
    reviewed = make_checkin(participation, period_start=JAN, status="reviewed")
    services.add_checkin_comment(actor=org["employee"].user, checkin=reviewed, body="One more")
    services.ask_follow_up(actor=org["manager"].user, checkin=reviewed, body="And then?")
    assert CheckinComment.objects.filter(checkin=reviewed).count() == 2


@pytest.mark.parametrize("role", ["peer", "manager2", "director"])
def test_outsiders_cannot_comment(org, submitted, role):
    """Only the employee, their reviewer and HR take part in the thread."""
    with pytest.raises(PermissionDenied):
        services.add_checkin_comment(actor=org[role].user, checkin=submitted, body="Hi")


def test_an_empty_comment_is_refused(org, submitted):
    """A blank comment is an error on the body field."""
    with pytest.raises(ValidationError) as error:
        services.add_checkin_comment(actor=org["employee"].user, checkin=submitted, body="  ")
    assert "body" in error.value.error_dict


# --- progress updates ----------------------------------------------------------------------


def test_a_progress_update_writes_the_series_and_the_current_value(org, goals):
    """The owner's update is a dated point and becomes the goal's current value; the
    reviewer is told in the app and the update is audited."""
    goal = goals[0]
    update = services.add_progress_update(
        actor=org["employee"].user,
        goal=goal,
        value=Decimal("4.5"),
        recorded_on=dt.date(2026, 2, 15),
        note="Two signed",
        today=IN_FEB + dt.timedelta(days=10),
    )
    assert (update.value, update.recorded_on, update.note) == (
        Decimal("4.5"),
        dt.date(2026, 2, 15),
        "Two signed",
    )
    goal.refresh_from_db()
    assert goal.current_value == Decimal("4.5")
    assert events("progress.recorded")[0].after["value"] == "4.5"
    note = Notification.objects.get(recipient=org["manager"].user)
    assert "Progress on" in note.title
    assert not note.send_email


def test_an_older_point_does_not_replace_the_current_value(org, goals):
    """Back-filling an earlier date adds to the series but keeps the latest value."""
    goal, actor = goals[0], org["employee"].user
    today = dt.date(2026, 3, 1)
    services.add_progress_update(
        actor=actor, goal=goal, value=Decimal("6"), recorded_on=today, today=today
    )
    services.add_progress_update(
        actor=actor, goal=goal, value=Decimal("2"), recorded_on=dt.date(2026, 1, 20), today=today
    )
    goal.refresh_from_db()
    assert goal.current_value == Decimal("6")
    assert ProgressUpdate.objects.filter(goal=goal).count() == 2


def test_the_reviewer_records_progress_and_the_owner_is_told(org, goals):
    """The owner's reviewer may record progress too; the owner is notified."""
    services.add_progress_update(actor=org["manager"].user, goal=goals[0], value=Decimal("1"))
    assert Notification.objects.filter(recipient=org["employee"].user).exists()


@pytest.mark.parametrize("role", ["peer", "manager2", "director", "hr"])
def test_others_cannot_record_progress(org, goals, role):
    """A peer, another manager, the skip-level manager and HR do not record progress."""
    with pytest.raises(PermissionDenied):
        services.add_progress_update(actor=org[role].user, goal=goals[0], value=Decimal("1"))


def test_progress_is_not_recorded_in_the_future_or_before_the_cycle(org, goals):
    """Dates after today or before the cycle's start are errors on the date field."""
    for day in [dt.date(2026, 2, 11), dt.date(2025, 12, 31)]:
        with pytest.raises(ValidationError) as error:
            services.add_progress_update(
                actor=org["employee"].user,
                goal=goals[0],
                value=Decimal("1"),
                recorded_on=day,
                today=IN_FEB,
            )
        assert "recorded_on" in error.value.error_dict
    assert not ProgressUpdate.objects.exists()


def test_progress_only_on_approved_goals_during_implementation(org, cycle, goals):
    """A draft goal takes no progress, nor does any goal once implementation is over."""
    draft = make_goal(org["employee"], cycle=cycle, status="draft")
    with pytest.raises(ValidationError, match="approved goals"):
        services.add_progress_update(actor=org["employee"].user, goal=draft, value=Decimal("1"))
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.APPRAISAL)
    with pytest.raises(ValidationError, match="only during implementation"):
        services.add_progress_update(actor=org["employee"].user, goal=goals[0], value=Decimal("1"))
    assert Goal.objects.get(pk=goals[0].pk).current_value is None


# --- HR: settings and questions --------------------------------------------------------------


def test_ensure_checkin_settings_creates_the_defaults_once(cycle):
    """The first call creates the row with the defaults (audited); later calls return it."""
    first = services.ensure_checkin_settings(cycle)
    again = services.ensure_checkin_settings(cycle)
    assert first.pk == again.pk
    assert (first.grace_days, first.reminder_days_before, first.deviation_margin) == (3, 2, 10)
    assert len(events("checkin_settings.created")) == 1


def test_hr_updates_the_settings_with_an_audit_of_what_changed(org, cycle):
    """Only changed values are in the audit event."""
    services.update_checkin_settings(
        actor=org["hr"].user,
        cycle=cycle,
        data={
            "grace_days": 5,
            "reminder_days_before": 2,
            "deviation_margin": Decimal("15"),
            "deviation_grace_days": 21,
        },
    )
    settings = CheckinSettings.objects.get(cycle=cycle)
    assert (settings.grace_days, settings.deviation_margin) == (5, Decimal("15"))
    assert settings.deviation_grace_days == 21
    [event] = events("checkin_settings.updated")
    assert event.before == {
        "grace_days": 3,
        "deviation_margin": "10.00",
        "deviation_grace_days": 14,
    }
    assert event.after == {"grace_days": 5, "deviation_margin": "15", "deviation_grace_days": 21}


@pytest.mark.parametrize("role", ["manager", "employee"])
def test_only_hr_manages_settings_and_questions(org, cycle, role):
    """Settings and questions are HR's."""
    actor = org[role].user
    question = make_question(cycle)
    with pytest.raises(PermissionDenied):
        services.update_checkin_settings(
            actor=actor,
            cycle=cycle,
            data={
                "grace_days": 5,
                "reminder_days_before": 2,
                "deviation_margin": 10,
                "deviation_grace_days": 14,
            },
        )
    with pytest.raises(PermissionDenied):
        services.add_checkin_question(actor=actor, cycle=cycle, text="Q?")
    with pytest.raises(PermissionDenied):
        services.move_checkin_question(actor=actor, question=question, up=False)
    with pytest.raises(PermissionDenied):
        services.set_checkin_question_active(actor=actor, question=question, active=False)


def test_questions_are_added_at_the_end_moved_and_deactivated(org, cycle):
    """HR adds questions in order, swaps neighbours, and deactivates one (kept, not
    asked); each step is audited."""
    actor = org["hr"].user
    first = services.add_checkin_question(actor=actor, cycle=cycle, text="First?")
    second = services.add_checkin_question(actor=actor, cycle=cycle, text="Second?")
    third = services.add_checkin_question(actor=actor, cycle=cycle, text="Third?")
    assert [first.position, second.position, third.position] == [0, 1, 2]

    services.move_checkin_question(actor=actor, question=third, up=True)
    order = list(CheckinQuestion.objects.filter(cycle=cycle).values_list("text", flat=True))
    assert order == ["First?", "Third?", "Second?"]
    with pytest.raises(ValidationError, match="already at that end"):
        services.move_checkin_question(actor=actor, question=first, up=True)

    services.set_checkin_question_active(actor=actor, question=second, active=False)
    second.refresh_from_db()
    assert not second.is_active
    assert {e.verb for e in AuditEvent.objects.filter(verb__startswith="checkin_question.")} == {
        "checkin_question.added",
        "checkin_question.moved",
        "checkin_question.deactivated",
    }


def test_an_empty_question_is_refused(org, cycle):
    """A blank question is an error on the text field."""
    with pytest.raises(ValidationError) as error:
        services.add_checkin_question(actor=org["hr"].user, cycle=cycle, text=" ")
    assert "text" in error.value.error_dict
