"""Consensus services: the answer asked after the interview, agreement, disputes per item
and their routing, decisions (upheld, or changed through the appraisal's own services),
and the deadlines."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from appraisal.models import CalibrationAdjustment, RatingRevision
from appraisal.selectors.breakdown import breakdown_for
from appraisal.services.revision import RevisionError, revise_rating
from feedback.models import AcknowledgementStatus, Dispute, DisputeStatus
from feedback.services import consensus as services
from feedback.services.settings import settings_for
from perfcycle.models import AuditEvent, Employee, Notification, SentReminder
from perfcycle.services import hr_group
from perfcycle.workflow import ConcurrentEditError, DomainError
from tests.appraisal.factories import appraisal_of
from tests.feedback.consensus_factories import hold_interview, items_of
from tests.feedback.factories import released_org

pytestmark = pytest.mark.django_db

A = AcknowledgementStatus
TODAY = timezone.localdate  # called when used: a run may cross midnight


def titles(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def disagree(org, ack, items, reason="I led the release myself.", **kw):
    ack.refresh_from_db()
    return services.disagree_with_items(
        actor=org.employee.user,
        acknowledgement_id=ack.pk,
        reasons={item.pk: reason for item in items},
        expected_version=ack.version,
        **kw,
    )


def decide(actor, dispute, *, change=False, rating=None, resolution="Looked at the evidence."):
    dispute.refresh_from_db()
    return services.resolve_dispute(
        actor=actor,
        dispute_id=dispute.pk,
        decision=services.Decision(change=change, resolution=resolution, rating=rating),
        expected_version=dispute.version,
    )


# --- Asked after the interview ---------------------------------------------------------------


def test_recording_the_interview_asks_the_employee_once_due_after_the_response_days():
    org = released_org()
    rules = settings_for(org.cycle)
    rules.response_days = 5
    rules.save()
    ack = hold_interview(org)
    assert ack.status == A.PENDING
    assert ack.due_date == TODAY() + dt.timedelta(days=5)
    assert any("do you agree" in t for t in titles(org.employee.user))
    assert AuditEvent.objects.filter(verb="feedback.agreement_asked").count() == 1
    # Announced again (a retried listener), nothing new is asked.
    from feedback.services.events import interview_recorded

    interview = ack.appraisal.interview
    assert services.ask_for_agreement(interview=interview, actor=org.manager.user) is None
    interview_recorded(interview=interview, actor=org.manager.user)
    assert AuditEvent.objects.filter(verb="feedback.agreement_asked").count() == 1


# --- Agree ---------------------------------------------------------------------------------------


def test_the_employee_agrees_once_and_the_reviewer_is_told():
    org = released_org()
    ack = hold_interview(org)
    services.agree_with_result(
        actor=org.employee.user,
        acknowledgement_id=ack.pk,
        comment="  Fair.  ",
        expected_version=ack.version,
    )
    ack.refresh_from_db()
    assert (ack.status, ack.comment) == (A.AGREED, "Fair.")
    assert ack.responded_at is not None
    assert any("agrees with their result" in t for t in titles(org.manager.user))
    with pytest.raises(DomainError, match="recorded already"):
        services.agree_with_result(
            actor=org.employee.user, acknowledgement_id=ack.pk, expected_version=ack.version
        )
    with pytest.raises(DomainError, match="recorded already"):
        disagree(org, ack, items_of(org)[:1])


def test_only_the_employee_answers():
    org = released_org()
    ack = hold_interview(org)
    for person in (org.manager, org.skip, org.hr):
        with pytest.raises(PermissionDenied):
            services.agree_with_result(
                actor=person.user, acknowledgement_id=ack.pk, expected_version=ack.version
            )


def test_a_stale_answer_form_is_a_conflict_and_changes_nothing():
    org = released_org()
    ack = hold_interview(org)
    with pytest.raises(ConcurrentEditError):
        services.agree_with_result(
            actor=org.employee.user, acknowledgement_id=ack.pk, expected_version=ack.version - 1
        )
    ack.refresh_from_db()
    assert ack.status == A.PENDING


# --- Disagree: one dispute per item, routed ----------------------------------------------------


def test_disagreeing_opens_one_dispute_per_item_routed_to_the_skip_level_manager():
    org = released_org()
    ack = hold_interview(org)
    first, second, *_rest = items_of(org)
    disputes = disagree(org, ack, [first, second])
    ack.refresh_from_db()
    assert ack.status == A.DISAGREED
    assert [d.item_id for d in disputes] == [first.pk, second.pk]
    rules = settings_for(org.cycle)
    for dispute in disputes:
        assert dispute.resolver == org.skip
        assert dispute.due_date == TODAY() + dt.timedelta(days=rules.dispute_days)
        assert dispute.rating_before == 2
        assert dispute.status == DisputeStatus.OPEN
    assert any("disputes 2 ratings" in t for t in titles(org.skip.user))
    assert any("disagrees with 2 of your ratings" in t for t in titles(org.manager.user))
    assert AuditEvent.objects.filter(verb="feedback.dispute_opened").count() == 2


def test_a_reviewer_without_a_manager_routes_the_dispute_to_hr():
    org = released_org()
    Employee.objects.filter(pk=org.manager.pk).update(manager=None)
    ack = hold_interview(org)
    (dispute,) = disagree(org, ack, items_of(org)[:1])
    assert dispute.resolver is None
    assert any("please decide" in t for t in titles(org.hr.user))
    assert not any("please decide" in t for t in titles(org.skip.user))


def test_an_inactive_skip_level_manager_routes_the_dispute_to_hr():
    org = released_org()
    Employee.objects.filter(pk=org.skip.pk).update(is_active=False)
    ack = hold_interview(org)
    (dispute,) = disagree(org, ack, items_of(org)[:1])
    assert dispute.resolver is None


def test_the_same_item_cannot_be_disputed_twice():
    org = released_org()
    ack = hold_interview(org)
    first, second, *_rest = items_of(org)
    disagree(org, ack, [first])
    with pytest.raises(DomainError) as refused:
        disagree(org, ack, [first])
    assert f"item_{first.pk}" in refused.value.message_dict
    # Another item may still be disputed before the deadline.
    (more,) = disagree(org, ack, [second])
    assert Dispute.objects.filter(appraisal=ack.appraisal).count() == 2
    assert more.item_id == second.pk


def test_no_more_disputes_after_the_answer_deadline():
    org = released_org()
    ack = hold_interview(org)
    first, second, *_rest = items_of(org)
    disagree(org, ack, [first])
    with pytest.raises(DomainError, match="deadline"):
        disagree(org, ack, [second], today=ack.due_date + dt.timedelta(days=1))


def test_each_disputed_item_needs_a_reason_and_an_item_of_this_result():
    org = released_org()
    ack = hold_interview(org)
    item = items_of(org)[0]
    with pytest.raises(DomainError) as refused:
        disagree(org, ack, [item], reason="   ")
    assert f"reason_{item.pk}" in refused.value.message_dict
    other = items_of(org, org.colleague)[0]
    with pytest.raises(DomainError, match="own result"):
        disagree(org, ack, [other])
    with pytest.raises(DomainError, match="at least one"):
        disagree(org, ack, [])
    assert not Dispute.objects.exists()
    ack.refresh_from_db()
    assert ack.status == A.PENDING


# --- Deciding ----------------------------------------------------------------------------------


def test_neither_the_employee_nor_the_rating_author_can_decide_even_as_hr():
    org = released_org()
    ack = hold_interview(org)
    (dispute,) = disagree(org, ack, items_of(org)[:1])
    for person in (org.employee, org.manager):
        person.user.groups.add(hr_group())
    for person in (org.employee, org.manager, org.colleague, org.outsider):
        with pytest.raises(PermissionDenied):
            decide(person.user, dispute)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_hr_may_decide_a_dispute_routed_to_the_skip_level_manager():
    org = released_org()
    ack = hold_interview(org)
    (dispute,) = disagree(org, ack, items_of(org)[:1])
    decided = decide(org.hr.user, dispute)
    assert decided.status == DisputeStatus.UPHELD


def test_upholding_keeps_the_rating_and_the_score_and_tells_the_employee():
    org = released_org()
    ack = hold_interview(org)
    (dispute,) = disagree(org, ack, items_of(org)[:1])
    before = appraisal_of(org, org.employee).final_score
    decided = decide(org.skip.user, dispute, resolution="The evidence supports a 2.")
    assert (decided.status, decided.rating_after) == (DisputeStatus.UPHELD, 2)
    assert decided.resolution == "The evidence supports a 2."
    assert appraisal_of(org, org.employee).final_score == before
    assert not RatingRevision.objects.exists()
    assert any("rating stays 2" in t for t in titles(org.employee.user))
    assert AuditEvent.objects.filter(verb="feedback.dispute_upheld").count() == 1
    with pytest.raises(DomainError, match="decided already"):
        decide(org.skip.user, dispute)


def test_changing_the_rating_rescores_through_the_appraisal_with_history_and_audit():
    org = released_org()
    ack = hold_interview(org)
    item = items_of(org)[0]
    (dispute,) = disagree(org, ack, [item])
    appraisal = appraisal_of(org, org.employee)
    assert appraisal.final_score == Decimal("2.00")
    decided = decide(org.skip.user, dispute, change=True, rating=4, resolution="You led it.")
    assert (decided.status, decided.rating_after) == (DisputeStatus.CHANGED, 4)
    appraisal.refresh_from_db()
    item.refresh_from_db()
    assert item.manager_rating == 4
    breakdown = breakdown_for(appraisal)
    assert appraisal.final_score == breakdown.final_score > Decimal("2.00")
    assert appraisal.final_band == breakdown.band.label
    # The lines still add up to the score.
    shown = [line.shown_contribution for line in breakdown.lines if line.shown_contribution]
    assert sum(shown) == breakdown.proposed_score
    (revision,) = RatingRevision.objects.all()
    assert (revision.from_rating, revision.to_rating, revision.reason) == (2, 4, "You led it.")
    assert revision.score_before == Decimal("2.00")
    assert revision.score_after == appraisal.final_score
    assert breakdown.revised[item.pk].reason == "You led it."
    event = AuditEvent.objects.get(verb="appraisal.rating_revised")
    assert event.before["rating"] == 2 and event.after["rating"] == 4
    assert any("changed to 4" in t for t in titles(org.employee.user))


def test_a_change_keeps_the_calibration_delta():
    """Calibrated +0.30 before release; after the dispute the final score is the new score
    from the ratings plus the same 0.30."""
    org = released_org()
    appraisal = appraisal_of(org, org.employee)
    CalibrationAdjustment.objects.create(
        appraisal=appraisal,
        from_score=Decimal("2.00"),
        to_score=Decimal("2.30"),
        reason="Harder goals than the team's.",
        changed_by=org.hr.user,
        changed_at=timezone.now() - dt.timedelta(days=3),
    )
    type(appraisal).objects.filter(pk=appraisal.pk).update(final_score=Decimal("2.30"))
    ack = hold_interview(org)
    (dispute,) = disagree(org, ack, items_of(org)[:1])
    decide(org.skip.user, dispute, change=True, rating=4)
    appraisal.refresh_from_db()
    breakdown = breakdown_for(appraisal)
    assert appraisal.final_score == breakdown.proposed_score + Decimal("0.30")
    assert breakdown.calibration[0].delta == Decimal("0.30")


def test_a_change_needs_a_level_of_the_scale_a_different_rating_and_a_resolution():
    org = released_org()
    ack = hold_interview(org)
    (dispute,) = disagree(org, ack, items_of(org)[:1])
    for rating, resolution, field in (
        (None, "Why", "rating"),
        (9, "Why", "rating"),
        (2, "Why", "rating"),
        (4, "  ", "resolution"),
    ):
        with pytest.raises(DomainError) as refused:
            decide(org.skip.user, dispute, change=True, rating=rating, resolution=resolution)
        assert field in refused.value.message_dict
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    assert not RatingRevision.objects.exists()


def test_revise_rating_refuses_an_unreleased_result_and_the_wrong_people():
    org = released_org()
    item = items_of(org)[0]
    for person in (org.employee, org.manager, org.outsider):
        with pytest.raises(PermissionDenied):
            revise_rating(actor=person.user, item_id=item.pk, rating=4, reason="Because.")
    type(item.appraisal).objects.filter(pk=item.appraisal_id).update(released_at=None)
    with pytest.raises(RevisionError, match="released"):
        revise_rating(actor=org.hr.user, item_id=item.pk, rating=4, reason="Because.")


def test_a_stale_decision_is_a_conflict():
    org = released_org()
    ack = hold_interview(org)
    (dispute,) = disagree(org, ack, items_of(org)[:1])
    with pytest.raises(ConcurrentEditError):
        services.resolve_dispute(
            actor=org.skip.user,
            dispute_id=dispute.pk,
            decision=services.Decision(change=False, resolution="Stays."),
            expected_version=dispute.version + 1,
        )


# --- Deadlines ---------------------------------------------------------------------------------


def test_the_employee_is_reminded_once_then_no_answer_is_recorded_as_no_response():
    org = released_org()
    ack = hold_interview(org)
    assert services.remind_answers(today=ack.due_date - dt.timedelta(days=5)) == 0
    assert services.remind_answers(today=ack.due_date - dt.timedelta(days=1)) == 1
    assert services.remind_answers(today=ack.due_date) == 0
    assert sum("Reminder" in t for t in titles(org.employee.user)) == 1
    assert services.record_no_responses(today=ack.due_date) == 0
    assert services.record_no_responses(today=ack.due_date + dt.timedelta(days=1)) == 1
    assert services.record_no_responses(today=ack.due_date + dt.timedelta(days=1)) == 0
    ack.refresh_from_db()
    assert ack.status == A.NO_RESPONSE
    assert ack.responded_at is None
    assert AuditEvent.objects.filter(verb="feedback.no_response").count() == 1


def test_resolvers_are_reminded_once_and_overdue_disputes_told_to_hr_once():
    org = released_org()
    ack = hold_interview(org)
    (dispute,) = disagree(org, ack, items_of(org)[:1])
    due = dispute.due_date
    assert services.remind_resolvers(today=due - dt.timedelta(days=1)) == 1
    assert services.remind_resolvers(today=due) == 0
    assert sum("Reminder" in t for t in titles(org.skip.user)) == 1
    assert services.escalate_overdue_disputes(today=due) == 0
    assert services.escalate_overdue_disputes(today=due + dt.timedelta(days=1)) == 1
    assert services.escalate_overdue_disputes(today=due + dt.timedelta(days=2)) == 0
    assert sum("overdue" in t for t in titles(org.hr.user)) == 1
    assert SentReminder.objects.filter(kind=services.DISPUTE_OVERDUE_KIND).count() == 1
