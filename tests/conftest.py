"""Role fixtures shared by every stage's tests.

The organisation they build (one per test):

    director (Engineering)
    └── manager (Engineering)
        ├── employee
        └── peer
            └── intern           (indirect report of manager)
    manager2 (Sales)
    └── employee2
    hr_admin (People team, HR group)
"""

import datetime
import os

import pytest
import time_machine
from django.core.cache import cache
from pytest_django.plugin import blocking_manager_key

from tests.factories import make_department, make_employee


def pytest_configure(config):
    """``PERFCYCLE_TEST_TODAY=YYYY-MM-DD`` runs the whole session as if on that day (the clock
    starts there at 09:00 UTC and ticks on), from before the test database is set up, so a
    test that only passes in some months shows up today. Unset, the real clock runs.
    A worker process a test starts goes along through tests/travelling.py."""
    today = os.environ.get("PERFCYCLE_TEST_TODAY")
    if today:
        day = datetime.date.fromisoformat(today)
        traveller = time_machine.travel(
            datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC), tick=True
        )
        traveller.start()
        config.add_cleanup(traveller.stop)


def _restore_migration_rows():
    """Put back the rows the data migrations seed (HR's root causes, the HR group).

    A transactional test (browser, worker) ends with a flush that empties every table,
    these rows included; a reused test database (``--reuse-db``) would then start
    without them. The migrations' own functions are idempotent."""
    from importlib import import_module

    from django.apps import apps

    import_module("feedback.migrations.0002_root_causes").add_causes(apps, None)
    import_module("perfcycle.migrations.0002_hr_group_and_append_only_audit").create_hr_group(
        apps, None
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as migrations leave it, even when reused after a flush."""
    with django_db_blocker.unblock():
        _restore_migration_rows()


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        or (marker is not None and marker.kwargs.get("transaction", False))
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush (its fixtures are torn down by now), the seeded
    rows come back for the tests that follow."""
    result = yield
    if _is_transactional(item):
        with item.config.stash[blocking_manager_key].unblock():
            _restore_migration_rows()
    return result


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters (the test settings keep the cache in memory) start at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def engineering(db):
    return make_department("Engineering")


@pytest.fixture
def sales(db):
    return make_department("Sales")


@pytest.fixture
def director(engineering):
    return make_employee("director", department=engineering, job_title="Director")


@pytest.fixture
def manager(engineering, director):
    return make_employee("manager", manager=director, department=engineering, job_title="Team lead")


@pytest.fixture
def employee(engineering, manager):
    return make_employee("employee", manager=manager, department=engineering, job_title="Engineer")


@pytest.fixture
def peer(engineering, manager):
    return make_employee("peer", manager=manager, department=engineering, job_title="Engineer")


@pytest.fixture
def intern(engineering, peer):
    return make_employee("intern", manager=peer, department=engineering, job_title="Intern")


@pytest.fixture
def manager2(sales):
    return make_employee("manager2", department=sales, job_title="Sales lead")


@pytest.fixture
def employee2(sales, manager2):
    return make_employee("employee2", manager=manager2, department=sales, job_title="Account exec")


@pytest.fixture
def hr_admin(db):
    people = make_department("People team")
    return make_employee("hr", department=people, job_title="HR partner", hr=True)


@pytest.fixture
def org(director, manager, employee, peer, intern, manager2, employee2, hr_admin):
    """The whole organisation above, by role name."""
    return {
        "director": director,
        "manager": manager,
        "employee": employee,
        "peer": peer,
        "intern": intern,
        "manager2": manager2,
        "employee2": employee2,
        "hr": hr_admin,
    }


@pytest.fixture
def login(client):
    """Log the test client in as an Employee and return the client."""

    def _login(person):
        client.force_login(person.user)
        return client

    return _login
