"""The carry-over sweep (beat): the goals of held interviews whose person is already in
the next cycle become draft goals once; a second run creates nothing. Once on a real
Celery worker over Redis."""

import pytest

from feedback import tasks_carry
from feedback.models import GoalProposal
from goals.models import Goal
from perfcycle.models import Participation, User
from tests.feedback.carry_factories import ensure_root_causes, interview_for, next_cycle, propose
from tests.feedback.factories import released_org
from tests.workers import worker_on_queue

QUEUE = "perfcycle-tests-feedback-carry"


def joined_next_cycle():
    """Two goals agreed in a held interview; the person joined the next cycle without the
    enrolment hook (e.g. added before the interview part recorded it)."""
    ensure_root_causes()
    org = released_org()
    interview = interview_for(org, org.employee)
    propose(interview, org.manager.user, title="Ship the mobile app")
    propose(interview, org.manager.user, title="Mentor two joiners")
    later = next_cycle()
    Participation.objects.create(cycle=later, employee=org.employee, reviewer=org.manager)
    return org, later


@pytest.mark.django_db
def test_the_sweep_carries_once_and_then_nothing():
    org, later = joined_next_cycle()
    assert tasks_carry.carry_over_sweep.apply().get() == {"carried": 2}
    assert tasks_carry.carry_over_sweep.apply().get() == {"carried": 0}
    assert Goal.objects.filter(cycle=later, owner=org.employee).count() == 2


@pytest.fixture
def carry_worker(transactional_db):
    with worker_on_queue(QUEUE) as worker:
        yield worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_sweep_on_a_real_worker(carry_worker):
    """Through Redis to a worker: the goals once, then nothing."""
    org, later = joined_next_cycle()
    User.objects.update(email="")
    for expected in ({"carried": 2}, {"carried": 0}):
        result = tasks_carry.carry_over_sweep.apply_async(queue=QUEUE)
        assert result.get(timeout=30) == expected
    assert Goal.objects.filter(cycle=later, owner=org.employee).count() == 2
    assert not GoalProposal.objects.filter(carried_at__isnull=True).exists()
