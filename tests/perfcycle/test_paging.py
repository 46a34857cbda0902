"""A list page's rows read with their SQL built once (perfcycle.paging.RowsOfIds) are the
rows the queryset reads, and the page keeps the lean list's order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perfcycle.models import Employee
from perfcycle.paging import RowsOfIds, get_page

pytestmark = pytest.mark.django_db

people_rows = RowsOfIds(lambda: Employee.objects.select_related("user", "department"))


def test_rows_of_ids_are_the_querysets_rows_with_their_relations(org):
    ids = [org["employee"].pk, org["manager"].pk, org["hr"].pk]
    expected = {
        e.pk: e for e in Employee.objects.select_related("user", "department").filter(pk__in=ids)
    }
    got = people_rows(ids)
    assert sorted(e.pk for e in got) == sorted(ids)
    with CaptureQueriesContext(connection) as queries:
        for employee in got:
            assert employee.user.username == expected[employee.pk].user.username
            assert employee.department == expected[employee.pk].department
    assert len(queries) == 0  # the relations came with the rows


def test_rows_of_no_ids_make_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert people_rows([]) == []
    assert len(queries) == 0


def test_a_page_read_through_rows_of_ids_keeps_the_lean_order(org):
    lean = Employee.objects.order_by("-user__username")
    page = get_page(lean, people_rows, "2", per_page=3)
    expected = list(lean)[3:6]
    assert page.number == 2
    assert [e.pk for e in page.object_list] == [e.pk for e in expected]
    assert page.paginator.count == Employee.objects.count()


def test_rows_of_ids_as_values_are_made_rows(org):
    """With ``row``, each values() dict becomes the page's row."""
    from types import SimpleNamespace

    names = RowsOfIds(
        lambda: Employee.objects.values("pk", "user__username"),
        row=lambda values: SimpleNamespace(pk=values["pk"], name=values["user__username"]),
    )
    lean = Employee.objects.order_by("user__username")
    page = get_page(lean, names, 1, per_page=2)
    assert [(e.pk, e.name) for e in page.object_list] == [
        (e.pk, e.user.username) for e in list(lean.select_related("user"))[:2]
    ]
