"""The floor of every page behind login: the session, the viewer's employee row, open
participations and reviewed rows from SQL compiled once (perfcycle/compiled.py), and the
navigation bar rendered once per layout, current page and badge count
(StageRegistry.bar_html). Each must answer exactly what building it on every request
answered."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models.expressions import RawSQL
from django.template import engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from perfcycle import access, notifications
from perfcycle.compiled import CompiledQuery, plain_sql
from perfcycle.models import Cycle, Department, Employee, Participation
from perfcycle.sessions import SessionStore
from perfcycle.stages import Area, NavEntry, StageRegistry, Viewer, _reviewed_queryset, registry
from tests.factories import enrol, make_cycle


def orm_employee_row(user):
    """What employee_of ran before: the queryset built and compiled on each call."""
    return (
        Employee.objects.select_related("department")
        .annotate(
            manages_anyone=RawSQL(access._MANAGES_ANYONE_SQL, []),
            holds_hr=RawSQL(access._HOLDS_HR_SQL, access.HR_PERMISSION.split(".") * 2),
            unread_count=RawSQL(access._UNREAD_SQL, []),
        )
        .filter(user=user)
        .first()
    )


def fields(obj) -> dict:
    return {name: value for name, value in vars(obj).items() if name != "_state"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["employee", "manager", "hr", "director"])
def test_the_compiled_employee_row_is_the_orm_row(org, role):
    user = get_user_model().objects.get(pk=org[role].user_id)
    notifications.notify(recipient=user, title="Unread")
    with CaptureQueriesContext(connection) as orm_queries:
        expected = orm_employee_row(user)
    with CaptureQueriesContext(connection) as compiled_queries:
        (got,) = access._employee_row(user.pk)
    assert len(compiled_queries) == 1  # one statement, prepared or not
    assert access._employee_row.statement(user.pk) == orm_queries[0]["sql"]
    assert fields(got) == fields(expected)
    assert (got.manages_anyone, got.holds_hr, got.unread_count) == (
        role in {"manager", "director"},
        role == "hr",
        1,
    )
    assert fields(got.department) == fields(expected.department)
    assert got._state.db == expected._state.db and not got._state.adding


@pytest.mark.django_db
def test_a_login_without_an_employee_record_has_none(org):
    user = get_user_model().objects.create_user("service", password="x")
    assert access._employee_row(user.pk) == []
    assert access.employee_of(user) is None


@pytest.mark.django_db
def test_a_compiled_query_is_built_once_and_run_with_each_argument(org):
    built = []

    def build(department_id):
        built.append(department_id)
        return Department.objects.filter(pk=department_id)

    departments = CompiledQuery(build)
    engineering, sales = org["manager"].department, org["manager2"].department
    assert departments(engineering.pk) == [engineering]
    assert departments(sales.pk) == [sales]
    assert departments(-1) == []
    assert len(built) == 1


@pytest.fixture
def cycles(org):
    people = [org[r] for r in ("director", "manager", "employee", "peer", "intern", "hr")]
    running = make_cycle("Running", phase=Cycle.Phase.IMPLEMENTATION)
    closed = make_cycle("Closed", phase=Cycle.Phase.CLOSED)
    enrol(running, *people)
    enrol(closed, *people)
    return running, closed


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["employee", "manager", "director", "hr", "employee2"])
def test_the_viewers_participations_and_reviewed_rows_are_the_orms(org, cycles, role):
    person = org[role]
    expected = list(
        Participation.objects.select_related("cycle", "reviewer__user")
        .filter(employee=person)
        .exclude(cycle__phase=Cycle.Phase.CLOSED)
    )
    viewer = Viewer.of(person.user)
    got = list(viewer.participations)
    assert [fields(p) for p in got] == [fields(p) for p in expected]
    assert all(p.employee is viewer.employee and p.employee_id == person.pk for p in got)
    assert [fields(p.cycle) for p in got] == [fields(p.cycle) for p in expected]
    assert [p.reviewer and fields(p.reviewer.user) for p in got] == [
        p.reviewer and fields(p.reviewer.user) for p in expected
    ]
    assert list(viewer.reviewed) == list(_reviewed_queryset(person.pk))
    assert len(viewer.reviewed) == {"manager": 3, "director": 3}.get(role, 0)


@pytest.mark.django_db
def test_a_compiled_query_is_a_prepared_statement_planned_once(org):
    departments = CompiledQuery(lambda department_id: Department.objects.filter(pk=department_id))
    engineering, sales = org["manager"].department, org["manager2"].department
    with CaptureQueriesContext(connection) as ctx:
        assert departments(engineering.pk) == [engineering]
        assert departments(sales.pk) == [sales]
    # The PREPARE is not among the page's queries; each run is one EXECUTE.
    assert [q["sql"].split("(")[0] for q in ctx.captured_queries] == [
        f"EXECUTE {departments._name}"
    ] * 2
    assert plain_sql(ctx.captured_queries[0]["sql"]).startswith('SELECT "perfcycle_department"')
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans FROM pg_prepared_statements WHERE name = %s",
            [departments._name],
        )
        assert cursor.fetchone() == (2,)  # PostgreSQL planned it once, for any id


@pytest.mark.django_db
def test_a_query_postgresql_will_not_prepare_runs_as_plain_sql(org):
    # "$1 + $2" has no inferable type: PREPARE fails. Inside the test's transaction the
    # refusal must not break it: the query answers as plain SQL, and so does the next one.
    sums = CompiledQuery(
        lambda n: (
            Department.objects.filter(pk=org["manager"].department_id)
            .annotate(total=RawSQL("%s + %s", (n, 1)))
            .values("total")
        )
    )
    assert sums(41) == [{"total": 42}]
    assert sums(1) == [{"total": 2}]
    assert Department.objects.filter(pk=org["manager"].department_id).exists()
    with CaptureQueriesContext(connection) as ctx:
        sums(2)
    assert not ctx.captured_queries[0]["sql"].startswith("EXECUTE")


@pytest.mark.django_db
def test_a_compiled_query_must_place_each_argument():
    ignoring = CompiledQuery(lambda department_id: Department.objects.filter(pk=1))
    with pytest.raises(ImproperlyConfigured):
        ignoring(1)


# --- The bar's HTML ------------------------------------------------------------------------

LOOPS = engines["django"].from_string(
    '{% for menu in menus %}{% include "components/nav_menu.html" %}{% endfor %}|'
    '{% for item in account %}{% include "components/nav_item.html" %}{% endfor %}'
)


def request_for(user, url):
    request = RequestFactory().get(url)
    request.user = user
    request.resolver_match = resolve(request.path_info)
    return request


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,url",
    [
        ("employee", "/me/"),
        ("manager", "/team/"),
        ("hr", "/hr/"),
        ("hr", "/implementation/evidence/?to_verify=1"),
        ("director", "/planning/team/"),
    ],
)
def test_the_stored_bar_is_what_the_includes_render(org, role, url):
    user = org[role].user
    notifications.notify(recipient=user, title="Unread")
    request = request_for(user, url)
    viewer = Viewer.of(user)
    view_name, query = request.resolver_match.view_name, request.GET
    bar = registry.menus(viewer, view_name=view_name, query=query)
    expected = LOOPS.render(bar).split("|")
    first = registry.bar_html(viewer, view_name=view_name, query=query)
    again = registry.bar_html(Viewer.of(user), view_name=view_name, query=query)
    assert list(first) == expected
    assert again is first
    assert 'aria-current="page"' in first[0] + first[1]


@pytest.mark.django_db
def test_the_bar_follows_the_unread_count(org, login):
    client = login(org["employee"])
    assert "data-unread=" not in client.get("/me/").content.decode()
    notifications.notify(recipient=org["employee"].user, title="One")
    assert 'data-unread="1"' in client.get("/me/").content.decode()
    notifications.notify(recipient=org["employee"].user, title="Two")
    assert 'data-unread="2"' in client.get("/me/").content.decode()


@pytest.mark.django_db
def test_a_new_entry_shows_in_a_bar_already_rendered(org):
    stages = StageRegistry()
    stages.register_nav(NavEntry("my", "My overview", "my-home", Area.MY, 10))
    viewer = Viewer.of(org["employee"].user)
    before = stages.bar_html(viewer, view_name="my-home", query={})
    stages.register_nav(NavEntry("cycles", "Cycles", "cycle-list", Area.MY, 20))
    after = stages.bar_html(viewer, view_name="my-home", query={})
    assert 'data-nav="cycles"' not in before[0]
    assert 'data-nav="cycles"' in after[0]


@pytest.mark.django_db
def test_the_store_of_bars_is_bounded(org):
    stages = StageRegistry()
    stages.register_nav(
        NavEntry("n", "Notifications", "notification-list", Area.ACCOUNT, 10, badge="count")
    )
    stages.BAR_HTML_LIMIT = 3

    class Counting(Viewer):
        count: int = 0

    for count in range(10):
        viewer = Counting(user=None, employee=object(), is_hr=False, is_manager=False)
        object.__setattr__(viewer, "count", count)
        html = stages.bar_html(viewer, view_name="", query={})
        assert f'data-unread="{count}"' in html[1] or count == 0
    assert len(stages._bar_html) <= 3


# --- Sessions (perfcycle/sessions.py) ------------------------------------------------------


@pytest.mark.django_db
def test_a_session_signs_in_until_it_expires(org, login):
    client = login(org["employee"])
    assert client.get("/me/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/me/")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_an_unknown_session_key_is_no_session(org, login):
    client = login(org["employee"])
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    response = client.get("/me/")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_the_session_store_reads_what_djangos_reads(org, login):
    client = login(org["manager"])
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert settings.SESSION_ENGINE == "perfcycle.sessions"
    assert SessionStore(key).load() == DjangoSessionStore(key).load() != {}
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore("y" * 32).load() == {}
    assert len(queries) == 1


@pytest.mark.django_db
def test_a_compiled_query_in_an_aborted_transaction_raises_djangos_error(org):
    from django.db import DatabaseError, transaction

    departments = CompiledQuery(lambda department_id: Department.objects.filter(pk=department_id))
    with transaction.atomic():
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        with pytest.raises(DatabaseError):  # not psycopg2's own error
            departments(org["manager"].department_id)
        transaction.set_rollback(True)
    assert departments(org["manager"].department_id) == [org["manager"].department]


@pytest.mark.parametrize(
    "name", ["feedback:interview-detail", "feedback:plan-detail", "implementation:evidence-detail"]
)
def test_url_with_id_is_reverse_under_any_script_prefix(name):
    from django.urls import set_script_prefix

    from perfcycle.reversing import url_with_id

    try:
        for prefix in ("/", "/perf/"):
            set_script_prefix(prefix)
            for pk in (1, 42, 987654321, 10**12):
                assert url_with_id(name, pk) == reverse(name, args=[pk])
    finally:
        set_script_prefix("/")
