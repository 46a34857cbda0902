"""The alignment tree: weighted roll-up, shares, unaligned goals, visibility, size."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals import rollups
from goals import tree as tree_module
from goals.models import Direction, Goal, GoalLevel, GoalStatus, Indicator, RatingScale
from goals.tree import GoalNotInTree, build_alignment_tree, children
from perfcycle.models import Cycle
from tests.factories import enrol, make_cycle, make_department

pytestmark = pytest.mark.django_db

D = Decimal


def make_goal(
    cycle,
    title,
    *,
    level=GoalLevel.INDIVIDUAL,
    parent=None,
    owner=None,
    department=None,
    weight=0,
    baseline=None,
    target=None,
    current=None,
    indicator=None,
    status=GoalStatus.APPROVED,
):
    goal = Goal.objects.create(
        cycle=cycle,
        title=title,
        level=level,
        parent=parent,
        owner=owner,
        department=department,
        weight=D(weight),
        baseline=None if baseline is None else D(baseline),
        target=None if target is None else D(target),
        current_value=None if current is None else D(current),
        indicator=indicator,
        status=status,
    )
    rollups.refresh([goal.pk, goal.parent_id])  # as the goals services do
    return goal


def company_goal(cycle, title, **kw):
    return make_goal(cycle, title, level=GoalLevel.COMPANY, **kw)


def department_goal(cycle, title, department, **kw):
    return make_goal(cycle, title, level=GoalLevel.DEPARTMENT, department=department, **kw)


def tree_url(cycle, **params):
    url = reverse("goals:tree", args=[cycle.pk])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def whole_tree(client, cycle, url=None):
    """The page and every fragment its expanders would fetch, one after the other."""
    response = client.get(url or tree_url(cycle))
    assert response.status_code == 200
    html = response.content.decode()
    for fragment in re.findall(r'data-children-url="([^"]+)"', html):
        if f'data-children-url="{fragment}" hidden' in html:
            html += whole_tree(client, cycle, fragment)
    return html


def subtree(user, cycle, goal):
    """A goal with its first page of contributing goals, as its expander loads it."""
    return children(user=user, cycle=cycle, goal_id=goal.pk).node


def by_id(nodes):
    found = {}
    stack = list(nodes)
    while stack:
        node = stack.pop()
        found[node.id] = node
        stack.extend(node.children)
    return found


@pytest.fixture
def cycle(org):
    cycle = make_cycle("FY2026")
    enrol(cycle, *org.values())
    return cycle


@pytest.fixture
def cascade(cycle, org, engineering):
    """Company → two department goals → three individual goals, with known progress.

    Leaves: employee 100 % (weight 60), peer 0 % (weight 40) under "Ship"; intern 20 %
    under "Quality". Department goals weigh 75 and 25 under the company goal.
    """
    top = company_goal(cycle, "Grow the business", weight=100)
    ship = department_goal(cycle, "Ship the platform", engineering, parent=top, weight=75)
    quality = department_goal(cycle, "Raise quality", engineering, parent=top, weight=25)
    mine = make_goal(
        cycle,
        "Employee launch",
        parent=ship,
        owner=org["employee"],
        weight=60,
        baseline=0,
        target=10,
        current=10,
    )
    peers = make_goal(
        cycle,
        "Peer secret project",
        parent=ship,
        owner=org["peer"],
        weight=40,
        baseline=0,
        target=10,
        current=0,
    )
    interns = make_goal(
        cycle,
        "Intern study",
        parent=quality,
        owner=org["intern"],
        weight=50,
        baseline=0,
        target=50,
        current=10,
    )
    return {
        "top": top,
        "ship": ship,
        "quality": quality,
        "mine": mine,
        "peers": peers,
        "interns": interns,
    }


def test_progress_rolls_up_by_weight_not_as_a_plain_average(cycle, cascade, hr_admin):
    """A parent's progress is the weighted mean of its children's, level by level."""
    result = build_alignment_tree(user=hr_admin.user, cycle=cycle)
    nodes = by_id([*result.roots, *subtree(hr_admin.user, cycle, cascade["top"]).children])
    assert nodes[cascade["ship"].pk].progress == D("60.00")  # 0.6 × 100 + 0.4 × 0
    assert nodes[cascade["quality"].pk].progress == D("20.00")
    # 0.75 × 60 + 0.25 × 20 = 50, where a plain mean of the leaves would be 40.
    assert nodes[cascade["top"].pk].progress == D("50.00")
    assert result.overall_progress == D("50.00")


def test_lower_is_better_goals_use_their_indicator_direction(cycle, hr_admin, engineering):
    """A "lower is better" goal progresses as its value falls from baseline to target."""
    scale = RatingScale.objects.create(name="Scale")
    defects = Indicator.objects.create(name="Defects", direction=Direction.LOWER, scale=scale)
    top = company_goal(cycle, "Quality", weight=100)
    department_goal(
        cycle,
        "Fewer defects",
        engineering,
        parent=top,
        weight=100,
        indicator=defects,
        baseline=10,
        target=2,
        current=6,
    )
    result = build_alignment_tree(user=hr_admin.user, cycle=cycle)
    assert result.roots[0].progress == D("50.00")


def test_shares_of_a_parent_total_100_percent(cycle, org, hr_admin, engineering):
    """Each contributing goal's share is its weight over its siblings' total weight."""
    top = company_goal(cycle, "Top", weight=100)
    department_goal(cycle, "A", engineering, parent=top, weight=1)
    department_goal(cycle, "B", engineering, parent=top, weight=1)
    department_goal(cycle, "C", engineering, parent=top, weight=2)
    root = subtree(hr_admin.user, cycle, top)
    shares = sorted(child.share for child in root.children)
    assert shares == [D("25.00"), D("25.00"), D("50.00")]
    assert sum(shares) == 100
    assert root.share is None


def test_hidden_shares_and_listed_shares_total_100_for_an_employee(cycle, cascade, org):
    """An employee's own share and the counted share of others' goals make up the whole."""
    result = build_alignment_tree(user=org["employee"].user, cycle=cycle)
    ship = by_id(result.roots)[cascade["ship"].pk]
    assert [c.id for c in ship.children] == [cascade["mine"].pk]
    assert ship.children[0].share + ship.hidden_share == 100
    assert ship.hidden_count == 1


def test_unaligned_goals_are_listed_in_their_own_section(cycle, cascade, org, hr_admin, login):
    """Goals aligned to nothing are listed apart from the cascade."""
    loose = make_goal(cycle, "Learn Rust", owner=org["employee"], weight=10)
    result = build_alignment_tree(user=hr_admin.user, cycle=cycle)
    assert [n.id for n in result.unaligned] == [loose.pk]
    assert loose.pk not in by_id(result.roots)
    page = login(hr_admin).get(tree_url(cycle)).content.decode()
    section = page[page.index('data-testid="unaligned"') :]
    assert "Learn Rust" in section


def test_tree_goes_to_any_depth(cycle, org, hr_admin, engineering, login):
    """Company → department → sub-department → individual → individual: all shown."""
    platform = make_department("Platform", parent=engineering)
    top = company_goal(cycle, "Top goal", weight=100)
    dept = department_goal(cycle, "Dept goal", engineering, parent=top, weight=100)
    sub = department_goal(cycle, "Sub-dept goal", platform, parent=dept, weight=100)
    lead = make_goal(cycle, "Lead goal", owner=org["manager"], parent=sub, weight=50)
    leaf = make_goal(
        cycle,
        "Leaf goal",
        owner=org["employee"],
        parent=lead,
        weight=50,
        baseline=0,
        target=4,
        current=1,
    )
    result = build_alignment_tree(user=hr_admin.user, cycle=cycle)
    assert result.roots[0].progress == D("25.00")
    assert result.roots[0].descendant_count == 4
    assert subtree(hr_admin.user, cycle, lead).children[0].id == leaf.pk
    page = whole_tree(login(hr_admin), cycle)
    for title in ["Top goal", "Dept goal", "Sub-dept goal", "Lead goal", "Leaf goal"]:
        assert title in page
    assert page.count("data-tree-toggle") == 4  # every goal with contributing goals folds


def test_page_shows_weights_statuses_progress_text_and_shares(cycle, cascade, hr_admin, login):
    """Each node shows level, owner, weight, status, share and progress as text."""
    cascade["mine"].status = GoalStatus.SUBMITTED
    cascade["mine"].save()
    page = whole_tree(login(hr_admin), cycle)
    assert 'data-progress="50.00"' in page and "50 %" in page
    assert 'aria-valuenow="50"' in page
    assert 'data-share="75.00"' in page and 'data-share="25.00"' in page
    assert 'data-status="submitted"' in page
    assert "Weight 60 %" in page
    assert "Tester" in page  # owners' names (factory last names)
    assert "Department" in page and "Individual" in page and "Company" in page
    assert f'href="{cascade["mine"].get_absolute_url()}"' in page  # each title opens its goal


def test_a_leaf_with_nothing_reported_reads_no_update_yet(cycle, cascade, org, login):
    """An approved goal with a target and no value yet: "No update yet", not a 0 % bar; a
    reported 0 keeps its bar."""
    new = make_goal(cycle, "Employee new", owner=org["employee"], weight=40, target=5)
    page = login(org["employee"]).get(tree_url(cycle)).content.decode()
    node = page.split(f'id="goal-{new.pk}"', 1)[1].split('class="pc-node-progress"', 1)[1][:300]
    assert 'data-testid="no-update"' in node and "data-progress" not in node
    assert page.count('data-testid="no-update"') == 1


# --- Visibility ----------------------------------------------------------------------


def test_employee_sees_own_goal_but_only_counts_a_peers(cycle, cascade, org, login):
    """An employee never gets a peer's individual goal title, only a count."""
    page = login(org["employee"]).get(tree_url(cycle)).content.decode()
    assert "Employee launch" in page
    assert "Grow the business" in page and "Ship the platform" in page
    assert "Peer secret project" not in page
    assert "Intern study" not in page
    assert re.search(r"\+ 1 goal of another person", page)


def test_manager_sees_direct_and_indirect_reports_goals(cycle, cascade, org, login):
    """A manager's tree lists every report's goal, the intern below peer included."""
    page = whole_tree(login(org["manager"]), cycle)
    for title in ["Employee launch", "Peer secret project", "Intern study"]:
        assert title in page
    assert "goal of another person" not in page


def test_hr_sees_everything(cycle, cascade, org, hr_admin, login):
    """HR sees every goal of the cycle."""
    page = whole_tree(login(hr_admin), cycle)
    for goal in cascade.values():
        assert goal.title in page


def test_others_goal_above_mine_is_a_placeholder_without_title(cycle, org, login, engineering):
    """A goal of someone I may not see, with mine aligned to it, shows without its text."""
    top = company_goal(cycle, "Top", weight=100)
    dept = department_goal(cycle, "Dept", engineering, parent=top, weight=100)
    bosses = make_goal(
        cycle, "Director private plan", owner=org["director"], parent=dept, weight=100
    )
    make_goal(cycle, "My contribution", owner=org["employee"], parent=bosses, weight=50)
    client = login(org["employee"])
    page = client.get(tree_url(cycle)).content.decode()
    assert "My contribution" in page
    assert "Director private plan" not in page
    assert "data-placeholder" in page
    assert bosses.get_absolute_url() not in page
    # It can be opened on its own (it leads to my goal), still without its text.
    page = client.get(tree_url(cycle, root=bosses.pk)).content.decode()
    assert "My contribution" in page and "Director private plan" not in page


def test_employee_cannot_open_a_peers_goal_as_root(cycle, cascade, org, login):
    """?root= on a goal the user may not see is a 404, like a missing goal."""
    client = login(org["employee"])
    assert client.get(tree_url(cycle, root=cascade["peers"].pk)).status_code == 404
    assert client.get(tree_url(cycle, root=cascade["mine"].pk)).status_code == 200
    assert client.get(tree_url(cycle, root="abc")).status_code == 404


def test_root_of_another_cycle_is_not_found(cycle, cascade, hr_admin, login):
    """A goal id from another cycle is not a root of this one."""
    other = make_cycle("Other")
    assert login(hr_admin).get(tree_url(other, root=cascade["top"].pk)).status_code == 404


def test_people_outside_the_cycle_do_not_see_its_tree(org, login):
    """Somebody with no part in the cycle gets a 404."""
    cycle = make_cycle("Sales only")
    enrol(cycle, org["employee2"])
    assert login(org["employee"]).get(tree_url(cycle)).status_code == 404
    assert login(org["employee2"]).get(tree_url(cycle)).status_code == 200


def test_root_shows_the_subtree_with_breadcrumbs(cycle, cascade, hr_admin, login):
    """Opening a department goal shows it, what contributes to it, and the way up."""
    response = login(hr_admin).get(tree_url(cycle, root=cascade["ship"].pk))
    page = response.content.decode()
    tree = response.context["tree"]
    assert tree.focus.id == cascade["ship"].pk
    assert [c.goal.title for c in tree.breadcrumbs] == ["Grow the business"]
    assert "Employee launch" in page and "Peer secret project" in page
    assert "Intern study" not in page


# --- Size ------------------------------------------------------------------------------


def test_children_beyond_the_page_are_summarised_and_paginated(
    cycle, org, hr_admin, engineering, login, monkeypatch
):
    """A goal's fragment lists PAGE_SIZE contributors, then "and N more" that loads the
    next page (a fragment) or, without JavaScript, opens the goal's page at page 2."""
    monkeypatch.setattr(tree_module, "PAGE_SIZE", 2)
    top = company_goal(cycle, "Top", weight=100)
    dept = department_goal(cycle, "Dept", engineering, parent=top, weight=100)
    for n in range(5):
        make_goal(cycle, f"Goal {n}", owner=org["employee"], parent=dept, weight=20)
    client = login(hr_admin)
    fragment = client.get(reverse("goals:tree-children", args=[cycle.pk, dept.pk])).content
    fragment = fragment.decode()
    assert 'data-more="3"' in fragment
    assert f"?root={dept.pk}&amp;page=2" in fragment
    assert "Goal 0" in fragment and "Goal 1" in fragment and "Goal 2" not in fragment
    url = reverse("goals:tree-children", args=[cycle.pk, dept.pk])
    assert f'data-more-url="{url}?page=2"' in fragment
    second = client.get(url + "?page=2").content.decode()
    assert "Goal 2" in second and "Goal 3" in second and "Goal 1" not in second
    assert 'data-more="1"' in second
    response = client.get(tree_url(cycle, root=dept.pk, page=3))
    assert [c.goal.title for c in response.context["tree"].focus.children] == ["Goal 4"]
    assert "Page 3 of 3" in response.content.decode()


def test_top_level_shows_company_goals_with_expanders(cycle, org, hr_admin, engineering, login):
    """The page renders the company goals; a goal with contributing goals gets a toggle
    for its fragment and a plain link to its own page, with its stored figures."""
    top = company_goal(cycle, "Top", weight=100)
    dept = department_goal(cycle, "Dept", engineering, parent=top, weight=100)
    for n in range(4):
        make_goal(
            cycle, f"Goal {n}", owner=org["employee"], parent=dept, weight=25, target=4, current=n
        )
    result = build_alignment_tree(user=hr_admin.user, cycle=cycle)
    (root,) = result.roots
    assert root.collapsed and root.child_count == 1 and root.descendant_count == 5
    assert root.progress == D("37.50")  # (0 + 25 + 50 + 75) / 4, stored, not walked
    assert result.total_goals == 6
    page = login(hr_admin).get(tree_url(cycle)).content.decode()
    assert "Dept" not in page and "Goal 0" not in page
    children_url = reverse("goals:tree-children", args=[cycle.pk, top.pk])
    assert f'data-children-url="{children_url}"' in page
    assert 'aria-expanded="false"' in page and f'aria-controls="kids-{top.pk}"' in page
    assert f"?root={top.pk}" in page  # works without JavaScript
    with pytest.raises(GoalNotInTree):
        build_alignment_tree(user=hr_admin.user, cycle=cycle, root_id=10**9)


def test_fragments_keep_the_access_rules(cycle, cascade, org, login):
    """An employee's fragment of a department goal lists their goal and only counts the
    peer's; a peer's goal or another cycle's goal has no fragment for them."""
    client = login(org["employee"])
    url = reverse("goals:tree-children", args=[cycle.pk, cascade["ship"].pk])
    fragment = client.get(url).content.decode()
    assert "Employee launch" in fragment and "Peer secret project" not in fragment
    assert "+ 1 goal of another person" in fragment
    peer_url = reverse("goals:tree-children", args=[cycle.pk, cascade["peers"].pk])
    assert client.get(peer_url).status_code == 404
    other = make_cycle("Other")
    enrol(other, org["employee"])
    wrong = reverse("goals:tree-children", args=[other.pk, cascade["ship"].pk])
    assert client.get(wrong).status_code == 404
    elsewhere = make_cycle("Sales only")
    enrol(elsewhere, org["employee2"])
    top = company_goal(elsewhere, "Sales top", weight=100)
    department_goal(elsewhere, "Sales dept", make_department("Field sales"), parent=top)
    hidden = reverse("goals:tree-children", args=[elsewhere.pk, top.pk])
    assert client.get(hidden).status_code == 404  # not taking part in that cycle
    assert login(org["employee2"]).get(hidden).status_code == 200


def test_stored_rollups_follow_the_goals_services(cycle, org, engineering, hr_admin):
    """Creating, editing, re-aligning, reporting progress on and deleting goals through the
    services keeps every stored roll-up equal to a full recomputation."""
    from goals.services import workflow
    from goals.services.progress import set_goal_current_value

    top = company_goal(cycle, "Top", weight=100)
    a = department_goal(cycle, "A", engineering, parent=top, weight=50)
    b = department_goal(cycle, "B", engineering, parent=top, weight=50)
    leaf = make_goal(
        cycle, "Leaf", owner=org["employee"], parent=a, weight=100, target=10, status="draft"
    )

    def check():
        before = {
            g.pk: (g.rollup_progress, g.rollup_goals) for g in Goal.objects.filter(cycle=cycle)
        }
        assert rollups.rebuild([cycle.pk]) == 0, "a stored roll-up was stale"
        return before

    set_goal_current_value(goal_id=leaf.pk, value=D("5"))
    assert check()[top.pk] == (D("25.00"), 3)
    leaf.refresh_from_db()
    workflow.update_goal(
        actor=org["employee"].user,
        goal=leaf,
        data={"title": "Leaf", "parent": b, "weight": D("100"), "target": D("10")},
        expected_version=leaf.version,
    )
    figures = check()
    assert figures[a.pk] == (D("0.00"), 0) and figures[b.pk] == (D("50.00"), 1)
    leaf.refresh_from_db()
    workflow.delete_goal(actor=org["employee"].user, goal=leaf)
    assert check()[b.pk] == (D("0.00"), 0)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["hr", "manager", "employee"])
def test_tree_query_count_does_not_grow_with_goals(cycle, org, login, engineering, role):
    """10 or 200 goals: the top level, a goal's page and a fragment each cost the same
    number of queries, at most 12."""
    top = company_goal(cycle, "Top", weight=100)
    dept = department_goal(cycle, "Dept", engineering, parent=top, weight=100)
    owners = [org["employee"], org["peer"], org["intern"], org["employee2"]]

    def add_goals(n, parent):
        for i in range(n):
            make_goal(
                cycle,
                f"G{i}",
                owner=owners[i % 4],
                parent=parent,
                weight=10,
                target=10,
                current=i % 10,
            )

    add_goals(8, dept)
    assert Goal.objects.filter(cycle=cycle).count() == 10
    client = login(org[role])
    fragment = reverse("goals:tree-children", args=[cycle.pk, dept.pk])
    urls = [tree_url(cycle), tree_url(cycle, root=dept.pk), fragment, fragment + "?page=2"]
    small = [_count_queries(client, url) for url in urls]
    add_goals(150, dept)
    for n in range(10):
        sub = department_goal(cycle, f"Sub {n}", engineering, parent=top, weight=1)
        add_goals(4, sub)
    assert Goal.objects.filter(cycle=cycle).count() == 210
    assert [_count_queries(client, url) for url in urls] == small
    assert max(small) <= 12


def test_empty_cycle_says_what_to_do(cycle, hr_admin, login):
    """Without goals the page explains where to start; a closed cycle without goals is not
    told to start with the company goals."""
    page = login(hr_admin).get(tree_url(cycle)).content.decode()
    assert 'data-testid="tree-empty"' in page
    assert "Start with the company goals" in page
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.CLOSED)
    page = login(hr_admin).get(tree_url(cycle)).content.decode()
    assert "This cycle is closed; nobody set goals in it." in page
    assert "Start with the company goals" not in page


def test_unaligned_goals_are_capped_and_paginated(cycle, org, hr_admin, login, monkeypatch):
    """The unaligned section lists UNALIGNED_CAP goals, then pages through the rest."""
    monkeypatch.setattr(tree_module, "UNALIGNED_CAP", 2)
    for n in range(5):
        make_goal(cycle, f"Loose {n}", owner=org["employee"], weight=20)
    client = login(hr_admin)
    page = client.get(tree_url(cycle)).content.decode()
    assert "?unaligned=1&amp;page=2" in page and "and 3 more goals" in page
    response = client.get(tree_url(cycle, unaligned=1, page=2))
    assert [n.goal.title for n in response.context["tree"].unaligned] == ["Loose 2", "Loose 3"]
    assert "Page 2 of 3" in response.content.decode()


def test_others_unaligned_goals_are_only_counted(cycle, org, login):
    """An employee sees their own unaligned goal and a count of other people's."""
    make_goal(cycle, "My side quest", owner=org["employee"], weight=10)
    make_goal(cycle, "Peer side quest", owner=org["peer"], weight=10)
    page = login(org["employee"]).get(tree_url(cycle)).content.decode()
    assert "My side quest" in page and "Peer side quest" not in page
    assert "+ 1 unaligned goal of another person" in page
    assert 'data-testid="my-goals"' in page


def test_the_way_to_my_goals_is_open_and_its_siblings_a_click_away(cycle, org, engineering, login):
    """Below each goal on the way to mine, only the way is rendered; "and N other
    contributing goals" loads the rest (a fragment) or opens the goal's page."""
    top = company_goal(cycle, "Top", weight=100)
    dept = department_goal(cycle, "Dept", engineering, parent=top, weight=100)
    make_goal(cycle, "Manager plan", owner=org["manager"], parent=dept, weight=50)
    for n in range(2):
        department_goal(cycle, f"Sibling {n}", engineering, parent=dept, weight=25)
    client = login(org["manager"])
    page = client.get(tree_url(cycle)).content.decode()
    assert "Dept" in page and "Manager plan" in page and "Sibling 0" not in page
    fragment = reverse("goals:tree-children", args=[cycle.pk, dept.pk])
    assert f'data-replace-url="{fragment}"' in page and 'data-more="2"' in page
    assert "Sibling 0" in client.get(fragment).content.decode()
