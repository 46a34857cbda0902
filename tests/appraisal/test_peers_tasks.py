"""The peer-deadline beat task: reminds each peer once before the due date and closes what
is unanswered after it; run twice, nothing more happens. Once on a real Celery worker
over Redis."""

import datetime as dt

import pytest

from appraisal import tasks
from appraisal.models import PeerReview, PeerStatus
from perfcycle.models import Notification, SentReminder, User
from tests.appraisal.peer_factories import answer, asked, peer_org
from tests.workers import worker_on_queue

QUEUE = "perfcycle-tests-appraisal-peers"


def reminders():
    return Notification.objects.filter(title__startswith="Reminder").count()


@pytest.mark.django_db
def test_the_task_reminds_then_expires_and_is_idempotent():
    org = peer_org(3, deadline_in=5)
    reviews = asked(org)
    answer(reviews[0])
    due = reviews[0].due_date
    before = (due - dt.timedelta(days=1)).isoformat()
    after = (due + dt.timedelta(days=1)).isoformat()
    assert tasks.peer_deadlines_task.apply(kwargs={"today": before}).get() == {
        "reminded": 2,
        "expired": 0,
    }
    assert tasks.peer_deadlines_task.apply(kwargs={"today": before}).get() == {
        "reminded": 0,
        "expired": 0,
    }
    assert tasks.peer_deadlines_task.apply(kwargs={"today": after}).get() == {
        "reminded": 0,
        "expired": 2,
    }
    assert tasks.peer_deadlines_task.apply(kwargs={"today": after}).get() == {
        "reminded": 0,
        "expired": 0,
    }
    assert reminders() == 2
    assert SentReminder.objects.filter(kind="appraisal.peer_due").count() == 2
    assert PeerReview.objects.filter(status=PeerStatus.EXPIRED).count() == 2


@pytest.fixture
def appraisal_worker(transactional_db):
    with worker_on_queue(QUEUE) as worker:
        yield worker


@pytest.mark.worker
def test_peer_deadlines_on_a_real_worker(appraisal_worker):
    """Through Redis to a worker: one reminder each, then none; expiry once, then none."""
    org = peer_org(3, deadline_in=2)
    User.objects.update(email="")
    reviews = asked(org)
    due = reviews[0].due_date
    for today, expected in (
        (due, {"reminded": 3, "expired": 0}),
        (due, {"reminded": 0, "expired": 0}),
        (due + dt.timedelta(days=1), {"reminded": 0, "expired": 3}),
        (due + dt.timedelta(days=1), {"reminded": 0, "expired": 0}),
    ):
        result = tasks.peer_deadlines_task.apply_async(
            kwargs={"today": today.isoformat()}, queue=QUEUE
        )
        assert result.get(timeout=30) == expected
    assert reminders() == 3
    assert set(PeerReview.objects.values_list("status", flat=True)) == {PeerStatus.EXPIRED}
