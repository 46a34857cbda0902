"""The interview's moves: who may make them, in which state, and what each leaves
behind (audit, notifications, the iCalendar identity)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from appraisal.models import Appraisal
from feedback.models import Interview, NoteRole, PreparationNote, RootCause
from feedback.services import events
from feedback.services import interviews as services
from perfcycle.models import AuditEvent, Notification
from perfcycle.workflow import ConcurrentEditError, DomainError
from tests.appraisal.factories import appraisal_of
from tests.feedback.factories import released_org
from tests.feedback.interview_factories import causes as root_causes
from tests.feedback.interview_factories import record, schedule, slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return released_org()


def _day_of(interview, hours=1):
    return time_machine.travel(interview.starts_at + dt.timedelta(hours=hours), tick=False)


# --- Schedule -------------------------------------------------------------------------------


def test_the_reviewer_schedules_and_the_employee_is_invited(org):
    interview = schedule(org)
    assert interview.status == Interview.Status.SCHEDULED
    assert interview.manager == org.manager
    assert interview.ics_sequence == 0 and interview.ics_uid.endswith("@perfcycle")
    note = Notification.objects.get(
        recipient=org.employee.user, title__startswith="Feedback interview on "
    )
    assert "Room 4.12" in note.body
    assert note.attachments.get().filename == "interview.ics"
    assert AuditEvent.objects.filter(verb="interview.scheduled").count() == 1


@pytest.mark.parametrize("who", ["employee", "skip", "hr", "colleague", "outsider"])
def test_only_the_reviewer_schedules(org, who):
    """The employee, the skip-level manager, HR and others may not schedule."""
    actor = getattr(org, who).user
    with pytest.raises(PermissionDenied):
        services.schedule_interview(
            actor=actor, appraisal=appraisal_of(org, org.employee), slot=slot()
        )
    assert not Interview.objects.exists()


def test_an_unreleased_appraisal_cannot_have_an_interview():
    org = released_org()
    appraisal = appraisal_of(org, org.employee)
    Appraisal.objects.filter(pk=appraisal.pk).update(released_at=None)
    with pytest.raises(DomainError, match="not released yet"):
        schedule(org)
    assert not Interview.objects.exists()


def test_a_place_or_a_link_is_needed_and_the_time_is_in_the_future(org):
    with pytest.raises(DomainError) as refused:
        schedule(org, location="", link="")
    assert "location" in refused.value.error_dict
    with pytest.raises(DomainError) as refused:
        schedule(org, days=-1)
    assert "date" in refused.value.error_dict


def test_a_video_link_alone_is_enough(org):
    interview = schedule(org, location="", link="https://meet.example.com/abc")
    assert interview.video_link == "https://meet.example.com/abc"


def test_scheduling_twice_is_refused(org):
    schedule(org)
    with pytest.raises(DomainError, match="already scheduled"):
        services.schedule_interview(
            actor=org.manager.user,
            appraisal=appraisal_of(org, org.employee),
            slot=slot(days=3),
            expected_version=1,
        )


# --- Reschedule and cancel ---------------------------------------------------------------------


def test_rescheduling_keeps_the_uid_and_raises_the_sequence(org):
    interview = schedule(org)
    uid = interview.ics_uid
    moved = services.reschedule_interview(
        actor=org.manager.user,
        interview=interview,
        slot=slot(days=4),
        expected_version=interview.version,
    )
    assert moved.status == Interview.Status.RESCHEDULED
    assert (moved.ics_uid, moved.ics_sequence) == (uid, 1)
    moved = services.reschedule_interview(
        actor=org.manager.user,
        interview=moved,
        slot=slot(days=5),
        expected_version=moved.version,
    )
    assert (moved.ics_uid, moved.ics_sequence) == (uid, 2)
    titles = list(
        Notification.objects.filter(recipient=org.employee.user).values_list("title", flat=True)
    )
    assert sum(t.startswith("Feedback interview moved to") for t in titles) == 2


def test_a_stale_form_does_not_overwrite(org):
    interview = schedule(org)
    services.reschedule_interview(
        actor=org.manager.user, interview=interview, slot=slot(days=4), expected_version=1
    )
    with pytest.raises(ConcurrentEditError):
        services.reschedule_interview(
            actor=org.manager.user, interview=interview, slot=slot(days=6), expected_version=1
        )
    interview.refresh_from_db()
    assert timezone.localdate(interview.starts_at) == timezone.localdate() + dt.timedelta(days=4)


def test_a_reschedule_that_changes_nothing_is_refused(org):
    interview = schedule(org)
    with pytest.raises(DomainError, match="Nothing changed"):
        services.reschedule_interview(
            actor=org.manager.user, interview=interview, slot=slot(), expected_version=1
        )


def test_cancel_needs_a_reason_and_raises_the_sequence(org):
    interview = schedule(org)
    with pytest.raises(DomainError) as refused:
        services.cancel_interview(
            actor=org.manager.user, interview=interview, reason="  ", expected_version=1
        )
    assert "reason" in refused.value.error_dict
    cancelled = services.cancel_interview(
        actor=org.manager.user, interview=interview, reason="I am ill.", expected_version=1
    )
    assert cancelled.status == Interview.Status.CANCELLED
    assert cancelled.ics_sequence == 1 and cancelled.ics_uid == interview.ics_uid
    with pytest.raises(DomainError, match="cannot be cancelled"):
        services.cancel_interview(
            actor=org.manager.user,
            interview=cancelled,
            reason="Again",
            expected_version=cancelled.version,
        )
    with pytest.raises(DomainError, match="cannot change"):
        services.reschedule_interview(
            actor=org.manager.user,
            interview=cancelled,
            slot=slot(days=5),
            expected_version=cancelled.version,
        )


def test_scheduling_again_after_a_cancel_is_a_new_invitation(org):
    interview = schedule(org)
    old_uid = interview.ics_uid
    cancelled = services.cancel_interview(
        actor=org.manager.user, interview=interview, reason="Clash", expected_version=1
    )
    again = services.schedule_interview(
        actor=org.manager.user,
        appraisal=appraisal_of(org, org.employee),
        slot=slot(days=6),
        expected_version=cancelled.version,
    )
    assert again.pk == interview.pk
    assert again.status == Interview.Status.SCHEDULED
    assert again.ics_uid != old_uid and again.ics_sequence == 0
    assert again.cancel_reason == "" and again.cancelled_at is None


def test_others_cannot_move_or_cancel(org):
    interview = schedule(org)
    for actor in (org.employee.user, org.skip.user, org.hr.user):
        with pytest.raises(PermissionDenied):
            services.reschedule_interview(
                actor=actor, interview=interview, slot=slot(days=4), expected_version=1
            )
        with pytest.raises(PermissionDenied):
            services.cancel_interview(
                actor=actor, interview=interview, reason="x", expected_version=1
            )


# --- Record ------------------------------------------------------------------------------------


def test_recording_before_the_day_is_refused(org):
    interview = schedule(org)
    with pytest.raises(DomainError, match="record it from that day on"):
        services.record_interview(
            actor=org.manager.user, interview=interview, record=record(), expected_version=1
        )
    interview.refresh_from_db()
    assert interview.status == Interview.Status.SCHEDULED


def test_recording_on_the_day_holds_it_and_runs_the_next_steps(org):
    interview = schedule(org)
    heard = []
    events.on_interview_recorded(lambda *, interview, actor: heard.append(interview.pk))
    causes = root_causes("Skills", "Workload")
    try:
        with _day_of(interview):
            held = services.record_interview(
                actor=org.manager.user,
                interview=interview,
                record=record(held_on=timezone.localdate(), root_causes=causes),
                expected_version=1,
            )
    finally:
        events.INTERVIEW_RECORDED.pop()
    assert held.status == Interview.Status.HELD
    assert held.held_at is not None
    assert set(held.root_causes.values_list("name", flat=True)) == {"Skills", "Workload"}
    assert heard == [interview.pk]
    event = AuditEvent.objects.get(verb="interview.recorded")
    assert sorted(event.after["root_causes"]) == sorted(c.pk for c in causes)
    assert Notification.objects.filter(
        recipient=org.employee.user, title="Your feedback interview is recorded"
    ).exists()


def test_a_listener_that_fails_undoes_the_record(org):
    interview = schedule(org)

    def broken(*, interview, actor):
        raise RuntimeError("next step failed")

    events.on_interview_recorded(broken)
    try:
        with _day_of(interview), pytest.raises(RuntimeError):
            services.record_interview(
                actor=org.manager.user, interview=interview, record=record(), expected_version=1
            )
    finally:
        events.INTERVIEW_RECORDED.remove(broken)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.SCHEDULED


def test_the_record_needs_achievements_expectations_and_a_past_day(org):
    interview = schedule(org)
    with _day_of(interview), pytest.raises(DomainError) as refused:
        services.record_interview(
            actor=org.manager.user,
            interview=interview,
            record=record(
                achievements="",
                expectations="",
                held_on=timezone.localdate() + dt.timedelta(days=1),
            ),
            expected_version=1,
        )
    assert set(refused.value.error_dict) == {"achievements", "expectations", "held_on"}


def test_a_retired_root_cause_is_refused(org):
    interview = schedule(org)
    (retired,) = root_causes("Motivation")
    RootCause.objects.filter(pk=retired.pk).update(is_active=False)
    retired.refresh_from_db()
    with _day_of(interview), pytest.raises(DomainError) as refused:
        services.record_interview(
            actor=org.manager.user,
            interview=interview,
            record=record(root_causes=[retired]),
            expected_version=1,
        )
    assert "root_causes" in refused.value.error_dict


def test_a_held_or_cancelled_interview_cannot_be_recorded_again(org):
    interview = schedule(org)
    with _day_of(interview):
        held = services.record_interview(
            actor=org.manager.user, interview=interview, record=record(), expected_version=1
        )
        with pytest.raises(DomainError, match="cannot be recorded"):
            services.record_interview(
                actor=org.manager.user,
                interview=held,
                record=record(),
                expected_version=held.version,
            )
        with pytest.raises(DomainError, match="cannot be cancelled"):
            services.cancel_interview(
                actor=org.manager.user, interview=held, reason="x", expected_version=held.version
            )


def test_only_the_reviewer_records(org):
    interview = schedule(org)
    with _day_of(interview):
        for actor in (org.employee.user, org.skip.user, org.hr.user):
            with pytest.raises(PermissionDenied):
                services.record_interview(
                    actor=actor, interview=interview, record=record(), expected_version=1
                )


# --- Preparation notes ---------------------------------------------------------------------------


def test_each_side_keeps_its_own_notes(org):
    interview = schedule(org)
    mine = services.save_note(
        actor=org.employee.user, interview=interview, text="Ask about training", expected_version=0
    )
    theirs = services.save_note(
        actor=org.manager.user, interview=interview, text="Be frank on reviews", expected_version=0
    )
    assert (mine.role, mine.author) == (NoteRole.EMPLOYEE, org.employee)
    assert (theirs.role, theirs.author) == (NoteRole.MANAGER, org.manager)
    updated = services.save_note(
        actor=org.employee.user, interview=interview, text="Ask about a course", expected_version=1
    )
    assert updated.version == 2 and PreparationNote.objects.count() == 2
    with pytest.raises(ConcurrentEditError):
        services.save_note(
            actor=org.employee.user, interview=interview, text="Stale", expected_version=1
        )
    for actor in (org.skip.user, org.hr.user):
        with pytest.raises(PermissionDenied):
            services.save_note(actor=actor, interview=interview, text="x", expected_version=0)


def test_the_audit_says_notes_were_saved_never_what_they_say(org):
    interview = schedule(org)
    services.save_note(
        actor=org.manager.user, interview=interview, text="SECRET-ABC", expected_version=0
    )
    event = AuditEvent.objects.get(verb="interview.notes_saved")
    assert "SECRET-ABC" not in str(event.before) + str(event.after) + event.object_repr


def test_notes_are_kept_as_they_are_once_held(org):
    interview = schedule(org)
    with _day_of(interview):
        held = services.record_interview(
            actor=org.manager.user, interview=interview, record=record(), expected_version=1
        )
    with pytest.raises(DomainError, match="kept as they are"):
        services.save_note(actor=org.employee.user, interview=held, text="x", expected_version=0)
