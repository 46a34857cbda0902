"""Two saves of the same appraisal at the same moment, from two database connections: the
row lock orders them, the version check refuses the second (review lane)."""

import threading

import pytest
from django.db import connection

from appraisal.models import AppraisalItem
from appraisal.services import assessment as services
from perfcycle.workflow import ConcurrentEditError
from tests.appraisal.factories import appraisal_of, open_org
from tests.appraisal.review_factories import items_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_saves_one_wins_one_conflicts_nothing_lost():
    org = open_org()
    appraisal = appraisal_of(org, org.employee)
    first = items_of(appraisal)[0]
    barrier = threading.Barrier(2)
    outcomes = {}

    def save(name, rating):
        try:
            barrier.wait()
            services.save_self_assessment(
                actor=org.employee.user,
                appraisal=appraisal,
                data={first.pk: services.ItemInput(rating=rating, comment=name)},
                expected_version=1,
            )
            outcomes[name] = "saved"
        except ConcurrentEditError:
            outcomes[name] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n, r)) for n, r in (("one", 2), ("two", 4))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    item = AppraisalItem.objects.get(pk=first.pk)
    assert item.self_comment == winner
    assert item.self_rating == {"one": 2, "two": 4}[winner]
