"""Stored roll-ups (perfcycle/rollups.py): HR home's whole-table figures are read stored,
and any write to a table they come from, by any route, makes them computed afresh."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from implementation.models import Deviation, Severity
from perfcycle import rollups
from perfcycle.models import Cycle, DataChange, Notification, Rollup
from tests.factories import enrol, make_cycle, make_employee
from tests.goals.factories import make_goal

pytestmark = pytest.mark.django_db


def _counter():
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    return calls, compute


def test_a_roll_up_is_computed_once_while_nothing_it_reads_changes(employee):
    calls, compute = _counter()
    assert rollups.cached("test:key", compute) == {"n": 1}
    assert rollups.cached("test:key", compute) == {"n": 1}
    assert len(calls) == 1
    with CaptureQueriesContext(connection) as ctx:
        rollups.cached("test:key", compute)
    assert len(ctx.captured_queries) == 1


@pytest.mark.parametrize(
    "write",
    [
        lambda e: make_employee("newcomer"),  # the ORM
        lambda e: Cycle.objects.filter(pk__gt=0).update(name="Renamed"),  # a bulk update
        lambda e: connection.cursor().execute(  # raw SQL, as from psql
            "UPDATE perfcycle_employee SET job_title = 'x' WHERE id = %s", [e.pk]
        ),
    ],
    ids=["orm", "bulk", "raw-sql"],
)
def test_any_write_to_a_tracked_table_computes_it_again(employee, write):
    make_cycle("FY 2026")
    calls, compute = _counter()
    rollups.cached("test:key", compute)
    write(employee)
    assert rollups.cached("test:key", compute) == {"n": 2}


def test_writes_elsewhere_keep_it_stored(employee):
    calls, compute = _counter()
    rollups.cached("test:key", compute)
    Notification.objects.create(recipient=employee.user, title="Hello")
    rollups.cached("test:key", compute)
    assert len(calls) == 1


def test_pruning_the_change_log_computes_everything_again_once(employee):
    calls, compute = _counter()
    rollups.cached("test:key", compute)
    DataChange.objects.update(at=timezone.now() - dt.timedelta(hours=2))
    assert rollups.prune() >= 1
    rollups.cached("test:key", compute)
    rollups.cached("test:key", compute)
    assert len(calls) == 2
    Rollup.objects.update(computed_at=timezone.now() - dt.timedelta(days=3))
    rollups.prune()
    assert not Rollup.objects.exists()


def test_hr_home_shows_a_new_deviation_and_person_at_once(
    hr_admin, manager, employee, login, client
):
    """Stored, and never stale: the page after a change shows it."""
    cycle = make_cycle(
        "FY 2026",
        phase=Cycle.Phase.IMPLEMENTATION,
        start=timezone.localdate() - dt.timedelta(days=100),
    )
    (participation,) = enrol(cycle, employee)
    login(hr_admin)
    url = reverse("hr-home")
    first = client.get(url)
    with CaptureQueriesContext(connection) as stored:
        again = client.get(url)
    assert again.context["counts"] == first.context["counts"]
    assert len(stored.captured_queries) < 10

    Deviation.objects.create(
        goal=make_goal(employee, cycle=cycle, title="Ship billing"),
        participation=participation,
        owner=employee,
        detected_on=timezone.localdate(),
        expected_percent=50,
        actual_percent=10,
        severity=Severity.HIGH,
    )
    make_employee("newcomer", manager=manager)
    after = client.get(url)
    assert after.context["counts"]["active"] == first.context["counts"]["active"] + 1
    assert after.context["not_enrolled"] == first.context["not_enrolled"] + 1
    (lines,) = [lines for c, lines in after.context["health"] if c == cycle]
    assert {line.key: line.done for line in lines}["deviations"] == 1
    assert after.context["cycles"][0].participant_count == 1


def test_a_pruned_log_never_comes_back_to_a_stored_stamp(employee):
    """Stored on an empty log, then a write, then pruning removes that write's row: the
    stamp must not read as the empty log's again (the value would be stale)."""
    DataChange.objects.all().delete()
    calls, compute = _counter()
    rollups.cached("test:key", compute)
    make_employee("newcomer")
    DataChange.objects.update(at=timezone.now() - dt.timedelta(hours=2))
    rollups.prune()
    assert rollups.cached("test:key", compute) == {"n": 2}


def test_a_roll_up_of_some_tables_ignores_writes_to_others(employee, manager):
    """A manager's people below them are counted again after a write to the employee table
    only, not after every check-in or deviation."""
    calls, compute = _counter()
    rollups.cached("test:key", compute, sources=("perfcycle_employee",))
    make_cycle("FY 2026")  # the cycle table
    assert rollups.cached("test:key", compute, sources=("perfcycle_employee",)) == {"n": 1}
    make_employee("newcomer", manager=manager)
    assert rollups.cached("test:key", compute, sources=("perfcycle_employee",)) == {"n": 2}


def test_the_people_below_a_manager_are_counted_afresh_after_a_change(manager, employee, login):
    client = login(manager)
    assert client.get(reverse("team-home")).context["all_reports"] == 1
    newcomer = make_employee("newcomer", manager=employee)
    assert client.get(reverse("team-home")).context["all_reports"] == 2
    newcomer.is_active = False
    newcomer.save()
    assert client.get(reverse("team-home")).context["all_reports"] == 1
