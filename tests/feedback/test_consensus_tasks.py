"""The consensus deadlines task: reminds once before the answer deadline, records "no
response" after it, reminds each dispute's decider once and tells HR once of an overdue
dispute; run twice, nothing more happens. Once on a real Celery worker over Redis."""

import datetime as dt

import pytest

from feedback import tasks_consensus as tasks
from feedback.models import AcknowledgementStatus
from feedback.services import consensus as services
from perfcycle.models import AuditEvent, Notification, User
from tests.feedback.consensus_factories import hold_interview, items_of
from tests.feedback.factories import released_org
from tests.workers import worker_on_queue

QUEUE = "perfcycle-tests-feedback-consensus"
NOTHING = {"reminded": 0, "no_response": 0, "dispute_reminders": 0, "escalated": 0}


def _org_with_a_dispute():
    """The employee's answer pending; the colleague's disagreement with one item open."""
    org = released_org()
    mine = hold_interview(org)
    theirs = hold_interview(org, org.colleague)
    (dispute,) = services.disagree_with_items(
        actor=org.colleague.user,
        acknowledgement_id=theirs.pk,
        reasons={items_of(org, org.colleague)[0].pk: "I did more."},
        expected_version=theirs.version,
    )
    return org, mine, dispute


def _run(today, **options):
    return tasks.consensus_deadlines_task.apply_async(
        kwargs={"today": today.isoformat()}, **options
    )


@pytest.mark.django_db
def test_the_task_reminds_records_no_response_escalates_and_is_idempotent():
    org, ack, dispute = _org_with_a_dispute()
    eve = ack.due_date - dt.timedelta(days=1)
    after = max(ack.due_date, dispute.due_date) + dt.timedelta(days=1)
    reminded = {**NOTHING, "reminded": 1}
    assert tasks.consensus_deadlines_task.apply(kwargs={"today": eve.isoformat()}).get() == reminded
    assert tasks.consensus_deadlines_task.apply(kwargs={"today": eve.isoformat()}).get() == NOTHING
    later = {**NOTHING, "no_response": 1, "escalated": 1}
    assert tasks.consensus_deadlines_task.apply(kwargs={"today": after.isoformat()}).get() == later
    assert (
        tasks.consensus_deadlines_task.apply(kwargs={"today": after.isoformat()}).get() == NOTHING
    )
    ack.refresh_from_db()
    assert ack.status == AcknowledgementStatus.NO_RESPONSE


@pytest.fixture
def consensus_worker(transactional_db):
    with worker_on_queue(QUEUE) as worker:
        yield worker


@pytest.mark.worker
def test_no_response_at_the_deadline_on_a_real_worker(consensus_worker):
    """Through Redis to a worker: the pending answer becomes no response once, never
    agreement; the overdue dispute reaches HR once; a second run changes nothing."""
    org, ack, dispute = _org_with_a_dispute()
    User.objects.update(email="")
    after = max(ack.due_date, dispute.due_date) + dt.timedelta(days=1)
    first = _run(after, queue=QUEUE).get(timeout=30)
    assert first == {**NOTHING, "no_response": 1, "escalated": 1}
    assert _run(after, queue=QUEUE).get(timeout=30) == NOTHING
    ack.refresh_from_db()
    assert ack.status == AcknowledgementStatus.NO_RESPONSE
    assert AuditEvent.objects.filter(verb="feedback.no_response").count() == 1
    assert (
        Notification.objects.filter(recipient=org.hr.user, title__contains="is overdue").count()
        == 1
    )
