"""The check-in to-dos run SQL compiled once (perfcycle/compiled.py): the same SQL and rows
as the queryset built with the viewer's participation lists."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from implementation.models import CheckIn
from implementation.selectors import checkins
from perfcycle.models import Cycle
from perfcycle.stages import Viewer
from tests.factories import enrol, make_cycle
from tests.implementation.factories import make_checkin


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["employee", "manager", "hr"])
def test_the_compiled_checkin_todo_rows_are_the_orms(org, role):
    cycle = make_cycle("Running", phase=Cycle.Phase.IMPLEMENTATION)
    (mine,) = enrol(cycle, org["employee"])
    start = dt.date(2026, 3, 1)
    make_checkin(mine, period_start=start)
    make_checkin(mine, period_start=start + dt.timedelta(days=30), status=CheckIn.Status.SUBMITTED)
    viewer = Viewer.of(org[role].user)
    args = (
        viewer.own_participation_ids(Cycle.Phase.IMPLEMENTATION),
        viewer.reviewed_ids(Cycle.Phase.IMPLEMENTATION, Cycle.Phase.APPRAISAL),
    )
    with CaptureQueriesContext(connection) as orm_queries:
        expected = list(checkins._todo_checkins_queryset(*args))
    with CaptureQueriesContext(connection) as compiled_queries:
        got = checkins._todo_checkins(*args)
    assert len(compiled_queries) == 1  # one statement, prepared or not
    assert checkins._todo_checkins.statement(*args) == orm_queries[0]["sql"]
    assert [vars(c) | {"_state": None} for c in got] == [
        vars(c) | {"_state": None} for c in expected
    ]
    assert len(got) == {"employee": 1, "manager": 1}.get(role, 0)
