"""Deadlines and close: self-assessments locked as they are at their deadline, reviewers
reminded once a day, overdue reviews escalated to HR, nudges once per person per day;
closing finalises every appraisal and freezes its score (idempotent, in chunks, on a
real worker too); HR reopens one with a reason and finalises it again."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisal import tasks
from appraisal.models import Appraisal, AppraisalStatus, Reopening
from appraisal.services import calibration, closing
from appraisal.services.closing import ClosingError
from appraisal.services.opening import settings_for
from perfcycle.models import AuditEvent, Cycle, Notification
from perfcycle.phases import advance_cycle_phase
from perfcycle.workflow import SYSTEM, ConcurrentEditError
from tests.appraisal.calib_factories import calibrated_org_appraisals, in_calibration, in_review
from tests.appraisal.factories import appraisal_of, open_org
from tests.factories import enrol, make_employee, version_of
from tests.workers import worker_on_queue

pytestmark = pytest.mark.django_db
D = Decimal
QUEUE = "perfcycle-tests-appraisal-calib"


@pytest.fixture
def org():
    return open_org()


def state(cycle):
    return list(
        Appraisal.objects.filter(participation__cycle=cycle)
        .order_by("pk")
        .values_list("pk", "status", "final_score", "final_band", "finalized_at", "version")
    )


def leave_appraisal(org):
    advance_cycle_phase(actor=org.hr.user, cycle_id=org.cycle.pk, to_phase=Cycle.Phase.FEEDBACK)


# --- Close ---------------------------------------------------------------------------------


def test_leaving_appraisal_finalises_every_appraisal_and_freezes_the_scores(org):
    """Calibrated ones keep their calibrated score, the others their proposed one; the
    ones never reviewed are finalised without a score, marked not reviewed."""
    adjusted, proposed = calibrated_org_appraisals(org, ("3.40", "4.20"))
    session = calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    calibration.adjust_score(
        appraisal_id=adjusted.pk,
        session_id=session.pk,
        to_score="2.60",
        reason="Below the team",
        expected_version=version_of(adjusted),
        actor=org.hr.user,
    )
    waiting = in_review(appraisal_of(org, org.outsider))
    leave_appraisal(org)
    rows = {a.pk: a for a in Appraisal.objects.filter(participation__cycle=org.cycle)}
    assert {a.status for a in rows.values()} == {AppraisalStatus.FINALIZED}
    assert all(a.finalized_at for a in rows.values())
    assert (rows[adjusted.pk].final_score, rows[adjusted.pk].final_band) == (D("2.60"), "Meets")
    assert (rows[proposed.pk].final_score, rows[proposed.pk].final_band) == (D("4.20"), "Exceeds")
    # Never reviewed: no score, no band (not a zero), and no manager submission.
    assert rows[waiting.pk].final_score is None and rows[waiting.pk].final_band == ""
    assert rows[waiting.pk].manager_submitted_at is None
    not_started = appraisal_of(org, org.skip)
    assert not_started.final_score is None and not_started.self_locked_at_deadline
    summary = AuditEvent.objects.get(verb="appraisals.finalized")
    assert summary.after == {"scored": 2, "not_reviewed": 3}
    assert AuditEvent.objects.filter(verb="appraisal.finalized").count() == 5


def test_closing_twice_changes_nothing(org):
    calibrated_org_appraisals(org)
    closing.finalize_appraisals(cycle=org.cycle, actor=SYSTEM)
    first = state(org.cycle)
    events = AuditEvent.objects.count()
    assert closing.finalize_appraisals(cycle=org.cycle, actor=SYSTEM) == {
        "scored": 0,
        "not_reviewed": 0,
    }
    assert state(org.cycle) == first
    assert AuditEvent.objects.count() == events


def test_close_works_in_chunks_of_a_fixed_number_of_queries(org, monkeypatch):
    """Two chunks or four: the queries per chunk are the same (read, update, audit)."""
    calibrated_org_appraisals(org)

    def count(chunk):
        monkeypatch.setattr(closing, "CHUNK", chunk)
        Appraisal.objects.filter(participation__cycle=org.cycle).update(
            status=AppraisalStatus.CALIBRATION, finalized_at=None
        )
        with CaptureQueriesContext(connection) as ctx:
            closing.finalize_appraisals(cycle=org.cycle, actor=SYSTEM)
        return len(ctx.captured_queries)

    three, two, one = count(3), count(2), count(1)  # 2, 3 and 5 chunks of 5 appraisals
    per_chunk = two - three
    assert one - two == 2 * per_chunk
    # Read, UPDATE … FROM (VALUES …), audit insert, and the chunk's savepoint (two).
    assert per_chunk == 5


def test_close_releases_the_scored_ones_when_ratings_were_released(org):
    appraisal, other = calibrated_org_appraisals(org)
    calibration.release_ratings(
        cycle=org.cycle, expected_version=settings_for(org.cycle).version, actor=org.hr.user
    )
    late = in_calibration(appraisal_of(org, org.outsider), "3.00")
    leave_appraisal(org)
    late.refresh_from_db()
    assert late.released_at is not None
    assert (
        Notification.objects.filter(
            recipient=org.outsider.user, title__contains="rating for"
        ).count()
        == 1
    )


def test_a_failing_close_leaves_the_cycle_in_appraisal(org, monkeypatch):
    calibrated_org_appraisals(org)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(closing, "_write_frozen", broken)
    with pytest.raises(Exception, match="could not be completed"):
        leave_appraisal(org)
    org.cycle.refresh_from_db()
    assert org.cycle.phase == Cycle.Phase.APPRAISAL
    assert not Appraisal.objects.filter(status=AppraisalStatus.FINALIZED).exists()


@pytest.fixture
def calib_worker(transactional_db):
    with worker_on_queue(QUEUE) as worker:
        yield worker


@pytest.mark.worker
def test_close_on_a_real_worker_is_idempotent(calib_worker):
    """Through Redis to a worker: the scheduler moves the cycle out of appraisal at its
    deadline (the close hook finalises), then the re-run task finds nothing to do."""
    from perfcycle import tasks as core_tasks

    org = open_org()
    calibrated_org_appraisals(org)
    Cycle.objects.filter(pk=org.cycle.pk).update(
        auto_advance=True, appraisal_deadline=dt.date(2026, 11, 1)
    )
    result = core_tasks.advance_due_phases.apply_async(
        kwargs={"today": "2026-11-02"}, queue=QUEUE
    ).get(timeout=60)
    assert result["advanced"] == 1
    first = state(org.cycle)
    assert {row[1] for row in first} == {AppraisalStatus.FINALIZED}
    again = tasks.finalize_appraisals_task.apply_async(args=[org.cycle.pk], queue=QUEUE)
    assert again.get(timeout=60) == {"scored": 0, "not_reviewed": 0}
    assert state(org.cycle) == first


# --- Reopen --------------------------------------------------------------------------------


def closed(org):
    calibrated_org_appraisals(org)
    leave_appraisal(org)
    return appraisal_of(org, org.employee)


def test_hr_reopens_with_a_reason_and_finalises_again_the_same_way(org):
    appraisal = closed(org)
    reopening = closing.reopen_appraisal(
        appraisal_id=appraisal.pk,
        reason="Missing evidence found",
        expected_version=version_of(appraisal),
        actor=org.hr.user,
    )
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.CALIBRATION
    assert appraisal.finalized_at is None and appraisal.reopened_count == 1
    assert reopening.score_before == D("3.40")
    assert AuditEvent.objects.filter(verb="appraisal.reopened").count() == 1
    assert Notification.objects.filter(
        recipient=org.manager.user, title__contains="reopened"
    ).exists()
    org.cycle.refresh_from_db()
    assert org.cycle.phase == Cycle.Phase.FEEDBACK
    session = calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    calibration.adjust_score(
        appraisal_id=appraisal.pk,
        session_id=session.pk,
        to_score="4.60",
        reason="Evidence of the migration",
        expected_version=version_of(appraisal),
        actor=org.hr.user,
    )
    closing.refinalize_appraisal(
        appraisal_id=appraisal.pk, expected_version=version_of(appraisal), actor=org.hr.user
    )
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.FINALIZED
    assert (appraisal.final_score, appraisal.final_band) == (D("4.60"), "Outstanding")
    assert AuditEvent.objects.filter(verb="appraisal.refinalized").count() == 1


def test_reopen_needs_a_reason_a_finalised_appraisal_hr_and_a_fresh_page(org):
    appraisal = closed(org)
    with pytest.raises(ClosingError) as refused:
        closing.reopen_appraisal(
            appraisal_id=appraisal.pk,
            reason=" ",
            expected_version=version_of(appraisal),
            actor=org.hr.user,
        )
    assert "reason" in refused.value.error_dict
    with pytest.raises(PermissionDenied):
        closing.reopen_appraisal(
            appraisal_id=appraisal.pk,
            reason="x",
            expected_version=version_of(appraisal),
            actor=org.manager.user,
        )
    with pytest.raises(ConcurrentEditError):
        closing.reopen_appraisal(
            appraisal_id=appraisal.pk, reason="x", expected_version=0, actor=org.hr.user
        )
    closing.reopen_appraisal(
        appraisal_id=appraisal.pk,
        reason="x",
        expected_version=version_of(appraisal),
        actor=org.hr.user,
    )
    with pytest.raises(ClosingError, match="Only a finalised appraisal"):
        closing.reopen_appraisal(
            appraisal_id=appraisal.pk,
            reason="x",
            expected_version=version_of(appraisal),
            actor=org.hr.user,
        )
    assert Reopening.objects.count() == 1


def test_only_a_reopened_appraisal_is_finalised_again(org):
    appraisal = in_calibration(appraisal_of(org, org.employee))
    with pytest.raises(ClosingError):
        closing.refinalize_appraisal(
            appraisal_id=appraisal.pk, expected_version=version_of(appraisal), actor=org.hr.user
        )


# --- Deadlines -----------------------------------------------------------------------------

DEADLINE = dt.date(2026, 11, 10)


def with_deadlines(org, *, self_due=DEADLINE, review_due=DEADLINE + dt.timedelta(days=7)):
    settings = settings_for(org.cycle)
    settings.self_assessment_deadline = self_due
    settings.review_deadline = review_due
    settings.save()


def test_unsubmitted_self_assessments_are_locked_as_they_are_after_the_deadline(org):
    with_deadlines(org)
    Appraisal.objects.filter(pk=appraisal_of(org, org.employee).pk).update(
        status=AppraisalStatus.SELF_ASSESSMENT
    )
    submitted = in_review(appraisal_of(org, org.colleague))
    assert closing.lock_due_self_assessments(today=DEADLINE) == 0  # the deadline day itself
    assert closing.lock_due_self_assessments(today=DEADLINE + dt.timedelta(days=1)) == 4
    employee = appraisal_of(org, org.employee)
    assert employee.status == AppraisalStatus.MANAGER_REVIEW and employee.self_locked_at_deadline
    assert employee.self_submitted_at is None
    submitted.refresh_from_db()
    assert not submitted.self_locked_at_deadline
    assert Notification.objects.filter(
        recipient=org.employee.user, title__contains="locked"
    ).exists()
    assert closing.lock_due_self_assessments(today=DEADLINE + dt.timedelta(days=2)) == 0


def test_reviewers_are_reminded_once_a_day(org):
    calibrated_org_appraisals(org)
    in_review(appraisal_of(org, org.employee))
    day = DEADLINE
    assert closing.remind_reviewers(today=day) == 1
    assert closing.remind_reviewers(today=day) == 0
    assert closing.remind_reviewers(today=day + dt.timedelta(days=1)) == 1
    notes = Notification.objects.filter(recipient=org.manager.user, title__contains="review")
    assert notes.count() == 2


def test_overdue_reviews_escalate_to_hr_once_a_day(org):
    with_deadlines(org)
    in_review(appraisal_of(org, org.employee))
    review_due = DEADLINE + dt.timedelta(days=7)
    assert closing.escalate_overdue_reviews(today=review_due) == 0
    after = review_due + dt.timedelta(days=1)
    assert closing.escalate_overdue_reviews(today=after) == 1
    assert closing.escalate_overdue_reviews(today=after) == 0
    note = Notification.objects.get(recipient=org.hr.user, title__contains="overdue")
    assert "1 manager review is overdue" in note.title


def test_the_deadline_task_runs_all_three(org):
    with_deadlines(org)
    result = tasks.appraisal_deadlines_task.apply(
        kwargs={"today": (DEADLINE + dt.timedelta(days=8)).isoformat()}
    ).get()
    assert result == {"locked": 5, "reminded": 2, "escalated": 1}
    assert "appraisal.tasks.appraisal_deadlines_task" in {
        entry["task"]
        for entry in __import__("django.conf").conf.settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_a_nudge_reaches_whoever_must_act_once_a_day(org):
    with_deadlines(org)
    self_late = appraisal_of(org, org.employee)
    review_late = in_review(appraisal_of(org, org.colleague))
    today = DEADLINE + dt.timedelta(days=10)
    assert closing.nudge(appraisal_id=self_late.pk, actor=org.hr.user, today=today)
    assert not closing.nudge(appraisal_id=self_late.pk, actor=org.hr.user, today=today)
    assert closing.nudge(appraisal_id=review_late.pk, actor=org.hr.user, today=today)
    assert (
        Notification.objects.filter(recipient=org.employee.user, title__contains="Please").count()
        == 1
    )
    assert (
        Notification.objects.filter(recipient=org.manager.user, title__contains="Please").count()
        == 1
    )
    with pytest.raises(PermissionDenied):
        closing.nudge(appraisal_id=self_late.pk, actor=org.manager.user, today=today)
    done = in_calibration(appraisal_of(org, org.outsider))
    with pytest.raises(ClosingError):
        closing.nudge(appraisal_id=done.pk, actor=org.hr.user, today=today)


def test_people_enrolled_late_are_finalised_too(org):
    late = make_employee(manager=org.manager, department=org.employee.department)
    enrol(org.cycle, late)
    from appraisal.services.opening import open_missing_appraisals

    open_missing_appraisals(cycle=org.cycle)
    leave_appraisal(org)
    assert not Appraisal.objects.exclude(status=AppraisalStatus.FINALIZED).exists()
