"""The stage registry (perfcycle/stages.py): navigation, cycle-page actions, to-do
providers with one viewer per request, removal guards."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.compiled import plain_sql
from perfcycle.models import Cycle
from perfcycle.selectors import Todo
from perfcycle.stages import (
    Area,
    CycleAction,
    Export,
    NavEntry,
    NavGroup,
    Place,
    RemovalGuard,
    Role,
    StageRegistry,
    Viewer,
    registry,
)
from tests.factories import enrol, make_cycle

EMPLOYEE_ONLY = Viewer(user=None, employee=object(), is_hr=False, is_manager=False)
HR_ONLY = Viewer(user=None, employee=None, is_hr=True, is_manager=False)
MANAGER = Viewer(user=None, employee=object(), is_hr=False, is_manager=True)


def keys(areas, area):
    return [(item.key, [child.key for child in item.children]) for item in areas[area]]


# --- Registry, without a database ------------------------------------------------------------


def test_an_entry_registered_twice_is_kept_once():
    """ready() may run twice: the same entry, action, provider or guard stays single."""
    reg = StageRegistry()
    entry = NavEntry("my", "My work", "my-home", Area.MY, 10)
    action = CycleAction("tree", "Tree", "goals:tree", 10)
    guard = RemovalGuard(stage="goals", guard=lambda p: ["has 1 goal"])
    for _ in range(2):
        reg.register_nav(entry)
        reg.register_cycle_action(action)
        reg.register_todo_provider(len)
        reg.register_removal_guard(guard)
    assert [e.key for e in reg.nav_entries(EMPLOYEE_ONLY)] == ["my"]
    assert (
        len(reg.cycle_actions(EMPLOYEE_ONLY, Cycle(pk=1, phase="planning"), Place.CYCLE_PAGE)) == 1
    )
    assert reg._todo_providers["person"] == [len]
    assert reg.removal_blockers(None) == ["has 1 goal"]


def test_two_stages_cannot_claim_one_key():
    """A different entry under a taken key is a configuration error, not a silent swap."""
    reg = StageRegistry()
    reg.register_nav(NavEntry("evidence", "Evidence", "implementation:evidence-list", Area.MY, 40))
    with pytest.raises(ImproperlyConfigured):
        reg.register_nav(NavEntry("evidence", "Proof", "goals:my-goals", Area.MY, 40))


def test_entries_are_ordered_by_area_then_stage_section_then_order():
    """Areas come in their fixed order whatever the registration order; inside an area the
    core's entries open the menu under no heading, then each stage's entries under its
    heading (the group of their stage), in the groups' order, each by its own order."""
    reg = StageRegistry()
    reg.register_nav(NavEntry("audit", "Audit", "audit-list", Area.HR, 100, roles=frozenset(Role)))
    reg.register_nav(
        NavEntry(
            "lib", "Library", "goals:library", Area.HR, 20, stage="goals", roles=frozenset(Role)
        )
    )
    reg.register_nav(
        NavEntry(
            "prog",
            "Progress",
            "goals:planning-progress",
            Area.HR,
            10,
            stage="goals",
            roles=frozenset(Role),
        )
    )
    reg.register_nav_group(NavGroup("plan", "Planning", 30, stage="goals"))
    reg.register_nav_group(NavGroup("impl", "Implementation", 40, stage="implementation"))
    reg.register_nav(
        NavEntry(
            "checkins",
            "Check-ins",
            "implementation:my-checkins",
            Area.MY,
            30,
            stage="implementation",
        )
    )
    reg.register_nav(NavEntry("hr", "HR", "hr-home", Area.HR, 10, roles=frozenset(Role)))
    reg.register_nav(NavEntry("goals", "Goals", "goals:my-goals", Area.MY, 20, stage="goals"))
    reg.register_nav(NavEntry("my", "My work", "my-home", Area.MY, 10))
    viewer = Viewer(user=None, employee=object(), is_hr=True, is_manager=True)

    areas = reg.navigation(viewer, view_name="", query=QueryDict())

    assert keys(areas, Area.MY) == [("", ["my"]), ("plan", ["goals"]), ("impl", ["checkins"])]
    assert keys(areas, Area.HR) == [("", ["hr", "audit"]), ("plan", ["prog", "lib"])]
    assert [section.label for section in areas[Area.HR]] == ["", "Planning"]


def test_the_bar_has_one_menu_per_area_of_the_viewer():
    """The bar renders "My work", "My team" and "HR" as menus, only those the viewer has,
    the one holding the current page marked; the account links stay flat."""
    reg = StageRegistry()
    reg.register_nav(NavEntry("my", "My work", "my-home", Area.MY, 10))
    reg.register_nav(NavEntry("teamhome", "Team", "team-home", Area.TEAM, 10))
    reg.register_nav(NavEntry("hr", "HR", "hr-home", Area.HR, 10))
    reg.register_nav(NavEntry("note", "Notes", "notification-list", Area.ACCOUNT, 10))

    bar = reg.menus(MANAGER, view_name="team-home", query=QueryDict())

    assert [(m.key, str(m.label), m.current) for m in bar["menus"]] == [
        ("area-my", "My work", False),
        ("area-team", "My team", True),
    ]
    assert [link.key for link in bar["menus"][1].links] == ["teamhome"]
    assert [item.key for item in bar["account"]] == ["note"]
    assert [m.key for m in reg.menus(HR_ONLY, view_name="", query=QueryDict())["menus"]] == [
        "area-hr"
    ]


def test_an_entry_naming_an_unknown_group_is_a_configuration_error():
    """A typo in ``group`` fails loudly instead of dropping the entry from the bar."""
    reg = StageRegistry()
    reg.register_nav(NavEntry("goals", "Goals", "goals:my-goals", Area.MY, 20, group="nope"))
    with pytest.raises(ImproperlyConfigured):
        reg.navigation(EMPLOYEE_ONLY, view_name="", query=QueryDict())


def test_entries_show_only_to_their_roles():
    """The area's role is the default; an employee-only login sees no manager or HR
    entries; an HR account without an employee record sees no "My work" ones."""
    reg = StageRegistry()
    reg.register_nav(NavEntry("my", "My work", "my-home", Area.MY, 10))
    reg.register_nav(NavEntry("team", "Team", "team-home", Area.TEAM, 10))
    reg.register_nav(NavEntry("hr", "HR", "hr-home", Area.HR, 10))
    reg.register_nav(NavEntry("note", "Notes", "notification-list", Area.ACCOUNT, 10))
    assert [e.key for e in reg.nav_entries(EMPLOYEE_ONLY)] == ["my", "note"]
    assert [e.key for e in reg.nav_entries(MANAGER)] == ["my", "team", "note"]
    assert [e.key for e in reg.nav_entries(HR_ONLY)] == ["hr", "note"]


def test_the_entry_with_a_matching_query_is_the_current_one():
    """Two entries on one URL: with ?to_verify=1 the "to verify" one is current, else
    the plain one; their dropdown is marked when a child is."""
    reg = StageRegistry()
    url = "implementation:evidence-list"
    reg.register_nav(NavEntry("evidence", "Evidence", url, Area.MY, 40))
    reg.register_nav(NavEntry("verify", "To verify", url, Area.TEAM, 50, query="to_verify=1"))

    def current(query):
        bar = reg.menus(MANAGER, view_name=url, query=QueryDict(query))
        menus = bar["menus"]
        return {m.key for m in menus if m.current} | {
            link.key for m in menus for link in m.links if link.current
        }

    assert current("to_verify=1") == {"area-team", "verify"}
    assert current("") == {"area-my", "evidence"}
    assert current("page=2") == {"area-my", "evidence"}


def test_cycle_actions_follow_roles_and_phases():
    """An HR-only action during open phases: shown to HR in planning, not when closed,
    never to an employee; the cycle id goes into the URL or the query."""
    reg = StageRegistry()
    hr = frozenset({Role.HR})
    open_phases = frozenset(Cycle.Phase) - {Cycle.Phase.CLOSED}
    reg.register_cycle_action(
        CycleAction("edit", "Edit", "cycle-edit", 20, roles=hr, phases=open_phases)
    )
    reg.register_cycle_action(
        CycleAction("list", "List", "cycle-list", 10, with_cycle=False, query="cycle={cycle}")
    )
    planning = Cycle(pk=7, phase=Cycle.Phase.PLANNING)
    closed = Cycle(pk=7, phase=Cycle.Phase.CLOSED)

    def shown(viewer, cycle):
        return [(a["key"], a["url"]) for a in reg.cycle_actions(viewer, cycle, Place.CYCLE_PAGE)]

    assert shown(HR_ONLY, planning) == [
        ("list", reverse("cycle-list") + "?cycle=7"),
        ("edit", reverse("cycle-edit", args=[7])),
    ]
    assert shown(HR_ONLY, closed) == [("list", reverse("cycle-list") + "?cycle=7")]
    assert [key for key, _ in shown(EMPLOYEE_ONLY, planning)] == ["list"]


def test_exports_are_listed_for_their_roles():
    """A later stage's export is offered to HR only unless it says otherwise."""
    reg = StageRegistry()
    reg.register_export(Export("payroll", "Payroll CSV", "cycle-list"))
    assert [e.key for e in reg.exports(HR_ONLY)] == ["payroll"]
    assert reg.exports(EMPLOYEE_ONLY) == []


def test_core_templates_name_no_stage_url():
    """The core's templates (templates/) render stage links from the registry: no
    'goals:…' or 'implementation:…' URL name is left in them."""
    stage_url = re.compile(r"""['"](goals|implementation|appraisal|feedback|application):""")
    root = Path(settings.BASE_DIR) / "templates"
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if stage_url.search(line)
    ]
    assert offenders == []


# --- Navigation as each role sees it ---------------------------------------------------------


def current_links(page: str) -> list[str]:
    return re.findall(r'data-nav="([a-z]+)" aria-current="page"', page)


@pytest.mark.django_db
def test_employee_sees_no_hr_entries_and_my_work_is_current(org, login):
    """An employee's bar has no HR or team entries; on their home "My work" is the one
    current link, marked for screen readers and styled active."""
    page = login(org["employee"]).get(reverse("my-home")).content.decode()
    nav = set(re.findall(r'data-nav="([a-z]+)"', page))
    assert nav == {
        "my",
        "goals",
        "checkins",
        "evidence",
        "deviations",
        "appraisal",
        "notifications",
        "peerinput",
        "peerasked",
        "myresult",
        "myinterview",
        "nextcyclegoals",
        "myplan",
    }
    assert current_links(page) == ["my"]
    assert 'class="dropdown-item active" href="/me/" data-nav="my" aria-current="page"' in page
    assert (
        'dropdown-toggle active" href="#" role="button" data-bs-toggle="dropdown" aria-expanded="false" data-nav="area-my"'
        in page
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("audit-list", "audit"),
        ("cycle-list", "cycles"),
        ("employee-list", "people"),
        ("org-import", "import"),
        ("notification-list", "notifications"),
        ("hr-home", "hr"),
    ],
)
def test_hr_sees_the_page_they_are_on_marked_current(org, login, url, key):
    """Audit log, Cycles, People and Import are marked current on their pages (they
    never were before), like every other entry."""
    page = login(org["hr"]).get(reverse(url)).content.decode()
    assert current_links(page) == [key]


@pytest.mark.django_db
def test_cycles_stays_current_on_a_cycle_page(org, login):
    """A cycle's own page belongs to "Cycles"."""
    cycle = make_cycle()
    page = login(org["hr"]).get(cycle.get_absolute_url()).content.decode()
    assert current_links(page) == ["cycles"]


@pytest.mark.django_db
def test_manager_on_evidence_to_verify_sees_that_entry_and_my_team_marked(org, login):
    """The menu item is current and its "My team" toggle is styled active."""
    client = login(org["manager"])
    page = client.get(reverse("implementation:evidence-list") + "?to_verify=1").content.decode()
    assert current_links(page) == ["verify"]
    assert (
        'dropdown-toggle active" href="#" role="button" data-bs-toggle="dropdown" aria-expanded="false" data-nav="area-team"'
        in page
    )
    plain = client.get(reverse("implementation:evidence-list")).content.decode()
    assert current_links(plain) == ["evidence"]


# --- Cycle-page actions ----------------------------------------------------------------------


def action_keys(page: str) -> list[str]:
    return re.findall(r'data-action="([a-z-]+)"', page)


@pytest.mark.django_db
def test_cycle_page_actions_come_from_the_stages(org, login):
    """HR sees each stage's buttons in order on an open cycle; on a closed one only the
    read-only ones; an employee only the alignment tree."""
    cycle = make_cycle()
    enrol(cycle, org["employee"])
    hr = login(org["hr"])
    page = hr.get(cycle.get_absolute_url()).content.decode()
    assert action_keys(page) == [
        "tree",
        "planning-progress",
        "cycle-setup",
        "cycle-people",
        "checkin-settings",
        "appraisal-settings",
        "feedback-rules",
        "cycle-edit",
    ]
    assert f'href="{reverse("goals:planning-progress")}?cycle={cycle.pk}"' in page
    closed = make_cycle(phase=Cycle.Phase.CLOSED)
    assert action_keys(hr.get(closed.get_absolute_url()).content.decode()) == [
        "tree",
        "planning-progress",
        "cycle-people",
    ]
    employee_page = login(org["employee"]).get(cycle.get_absolute_url()).content.decode()
    assert action_keys(employee_page) == ["tree"]


@pytest.mark.django_db
def test_my_cycle_card_links_come_from_the_stages(org, login):
    """The employee's "My cycle" card links to their goals and the alignment tree."""
    cycle = make_cycle()
    enrol(cycle, org["employee"])
    page = login(org["employee"]).get(reverse("my-home")).content.decode()
    assert action_keys(page) == ["my-goals", "my-tree"]
    assert reverse("goals:tree", args=[cycle.pk]) in page


@pytest.fixture
def timeline_action():
    action = CycleAction(
        "test-timeline",
        "Look back",
        "cycle-list",
        10,
        place=Place.TIMELINE,
        phases=frozenset({Cycle.Phase.IMPLEMENTATION}),
        with_cycle=False,
    )
    registry.register_cycle_action(action)
    yield action
    registry._actions.pop(action.key)


@pytest.mark.django_db
def test_a_timeline_action_shows_under_its_phase(org, login, timeline_action):
    """An action registered for the timeline sits under the phase it names."""
    cycle = make_cycle()
    page = login(org["hr"]).get(cycle.get_absolute_url()).content.decode()
    steps = re.findall(
        r"<li class=\"[a-z]*\"[^>]*>(.*?)</li>", page.split('class="pc-timeline"')[1]
    )
    assert 'data-action="test-timeline"' in steps[1]
    assert not any('data-action="test-timeline"' in step for i, step in enumerate(steps) if i != 1)


# --- One viewer per request and the home pages' cost -----------------------------------------


def page_queries(client, url) -> list[str]:
    client.get(url)  # warm the session and the translation machinery
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [plain_sql(q["sql"]) for q in ctx.captured_queries]


@pytest.fixture
def running(org):
    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION)
    enrol(cycle, *org.values())
    return cycle


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "url_name", "most"),
    # Before the registry: 17, 19 and 11 queries. HR's home also counts the failed
    # emails (one query on a partial index).
    [("employee", "my-home", 11), ("manager", "team-home", 18), ("hr", "hr-home", 12)],
)
def test_home_pages_stay_within_their_query_budget(org, login, running, role, url_name, most):
    """Each home page, to-dos and navigation included, costs at most this many queries."""
    assert len(page_queries(login(org[role]), reverse(url_name))) <= most


@pytest.mark.django_db
def test_the_persons_participations_are_looked_up_once_per_page(org, login, running):
    """The home page, the navigation and every stage's to-dos share one viewer: the
    person's participations are read once, unread notifications counted once."""
    queries = page_queries(login(org["manager"]), reverse("team-home"))
    # A query that reads participations themselves (FROM them before its first WHERE),
    # not one that only filters other records by a subquery of them.
    own = [
        q
        for q in queries
        if 'FROM "perfcycle_participation"' in q.split(" WHERE ", 1)[0]
        and '"perfcycle_participation"."employee_id" =' in q
    ]
    unread = [q for q in queries if "perfcycle_notification" in q]  # with the person
    assert len(own) == 1
    assert len(unread) == 1


@pytest.fixture
def extra_provider():
    """A new stage's to-do provider asking the viewer the usual questions."""

    def provider(viewer):
        if viewer.current_participation and viewer.reviews_anyone and viewer.is_manager:
            return [Todo(title=f"{viewer.unread_notifications} things", url="/", action="Go")]
        return []

    registry.register_todo_provider(provider)
    yield provider
    registry._todo_providers["person"].remove(provider)


@pytest.mark.django_db
def test_a_new_stage_adds_no_repeated_lookups(org, login, running, request):
    """Registering one more provider that reads the viewer adds no query to the home
    page: the answers were already looked up once for this request."""
    client = login(org["manager"])
    before = len(page_queries(client, reverse("team-home")))
    request.getfixturevalue("extra_provider")
    response_queries = page_queries(client, reverse("team-home"))
    assert len(response_queries) == before
    assert "0 things" in client.get(reverse("team-home")).content.decode()
