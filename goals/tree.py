"""The alignment tree of a cycle: company goals → department goals → individual goals,
with weighted rolled-up progress and each goal's share of its parent.

A 10,000-person organisation has ~35,000 goals, far more than a page can show, so the
tree is loaded level by level: the page renders the company goals (and the goals aligned
to nothing), each goal with contributing goals gets an expander that fetches a fragment
with that goal's contributing goals (``children``), ``PAGE_SIZE`` at a time; without
JavaScript the same goal opens on its own page (``?root=<id>``). The way down to the
user's own goals is rendered open.

Nothing here walks the whole cycle: a goal's roll-up (its weighted progress and how many
goals are below it) is stored on the goal and kept by the goals services
(``goals.rollups``); the shares and the "+ N goals of other people" counts of the goals
on screen are one indexed aggregate over their parents' children. Each load is a fixed
number of queries whatever the size of the organisation:

1. the rows to render (ids, parent, weight, stored roll-up, number of contributing
   goals) — only goals the user may see, or goals of other people that lead down to one
   they may see, which show as placeholders without their text;
2. per parent: how many contributing goals, their total weight, and those of the goals
   the user may not see (only counted);
3. the details (title, owner, department, indicator) of the rendered goals, through
   ``goals_visible_to``, so another person's goal title cannot reach the page even if
   the shaping had a bug.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse

from goals import rules
from goals.models import Goal, GoalLevel
from goals.selectors import goals_visible_to
from goals.selectors.scopes import STRATEGY
from perfcycle import access
from perfcycle.lookups import ids_in
from perfcycle.models import Cycle

PAGE_SIZE = 50  # contributing goals per fragment (and per goal page)
UNALIGNED_CAP = 10
ZERO = Decimal("0")
ORDER = ("level", "department__name", "owner_id", "id")


class GoalNotInTree(LookupError):
    """The requested goal is not a goal of this cycle that the user may see (or that
    leads down to one they may see)."""


@dataclass
class Node:
    id: int
    parent_id: int | None
    level: str
    weight: Decimal
    progress: Decimal  # stored weighted roll-up of the goals below, or its own progress
    child_count: int  # every direct contributing goal, visible or not
    descendant_count: int
    share: Decimal | None = None  # % of the parent's weight, None for a top-level goal
    goal: Goal | None = None  # None: a goal of another person, shown only as a placeholder
    children: list["Node"] = field(default_factory=list)
    loaded: bool = False  # its contributing goals are rendered below it
    hidden_count: int = 0  # direct contributing goals of other people: only counted
    hidden_share: Decimal = ZERO
    more_count: int = 0  # listed contributing goals after the rendered page
    next_page: int | None = None
    partial: bool = False  # only the way to the user's goals is rendered below it
    is_focus: bool = False
    is_mine: bool = False  # the user's own goal
    page: Page | None = None  # of its contributing goals, once loaded
    children_url: str = ""  # the fragment of its contributing goals
    open_url: str = ""  # the goal on its own page (without JavaScript)
    goal_url: str = ""

    @property
    def is_placeholder(self) -> bool:
        return self.goal is None

    @property
    def collapsed(self) -> bool:
        """Has contributing goals that are not rendered here (the expander loads them)."""
        return self.child_count > 0 and not self.loaded

    @property
    def level_label(self) -> str:
        return GoalLevel(self.level).label

    @property
    def unit(self) -> str:
        if self.goal is None:
            return ""
        if self.goal.unit:
            return self.goal.unit
        return self.goal.indicator.unit if self.goal.indicator else ""

    @property
    def shows_measure(self) -> bool:
        """A leaf with a target: show its current value and target beside its progress."""
        return self.goal is not None and self.goal.target is not None and not self.child_count


@dataclass(frozen=True)
class Item:
    """One step of the flattened tree the template renders without recursion."""

    kind: str  # "branch" (its children follow), "leaf", or "end" (closes a branch)
    node: Node


def flatten(nodes: list[Node]) -> Iterator[Item]:
    stack: list[tuple[str, Node]] = [("visit", n) for n in reversed(nodes)]
    while stack:
        action, node = stack.pop()
        if action == "end":
            yield Item("end", node)
        elif node.loaded:
            yield Item("branch", node)
            stack.append(("end", node))
            stack.extend(("visit", c) for c in reversed(node.children))
        else:
            yield Item("leaf", node)


def _walk(nodes: list[Node]) -> Iterator[Node]:
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


@dataclass
class AlignmentTree:
    cycle: Cycle
    roots: list[Node]
    unaligned: list[Node]
    unaligned_total: int  # every goal aligned to nothing, visible or not
    unaligned_listed: int
    focus: Node | None
    breadcrumbs: list[Node]
    page: Page | None  # of the focus goal's children, or of the unaligned goals
    total_goals: int
    overall_progress: Decimal | None
    unaligned_only: bool = False

    @property
    def unaligned_hidden(self) -> int:
        return self.unaligned_total - self.unaligned_listed

    @property
    def unaligned_more(self) -> int:
        return 0 if self.unaligned_only else self.unaligned_listed - len(self.unaligned)

    @property
    def items(self) -> list[Item]:
        return list(flatten(self.roots))

    @property
    def unaligned_items(self) -> list[Item]:
        return list(flatten(self.unaligned))

    @property
    def mine(self) -> list[Node]:
        """The user's own goals on this page, in page order, for the "jump to" links."""
        items = flatten([*self.roots, *self.unaligned])
        return [i.node for i in items if i.kind != "end" and i.node.is_mine]


@dataclass
class Children:
    """One page of a goal's contributing goals: what a fragment renders."""

    node: Node
    page: Page


# --- What the user may see -----------------------------------------------------------


def _table() -> str:
    return Goal._meta.db_table


@dataclass
class Scope:
    """What ``user`` may have listed: ``q`` filters goals (None: everything, for HR);
    ``parent`` and ``owner`` hold every listed goal's parent and owner (None for HR)."""

    q: Q | None
    parent: dict[int, int | None] | None = None
    owner: dict[int, int | None] | None = None


def _listed(user, cycle: Cycle) -> Scope:
    """Strategy goals, individual goals the user may see, and individual goals of other
    people with one of those below (placeholders): one query, whose ids the later
    queries reuse (the visibility rule is costly to evaluate more than once)."""
    if access.is_hr(user):
        return Scope(q=None)
    seen = goals_visible_to(user).filter(cycle=cycle, level=GoalLevel.INDIVIDUAL)
    sql, params = seen.order_by().values_list("pk", "parent_id", "owner_id").query.sql_with_params()
    table = _table()
    query = (
        f"WITH RECURSIVE up(id, parent_id, owner_id) AS ({sql}"
        f" UNION SELECT p.id, p.parent_id, p.owner_id FROM {table} p"
        f" JOIN up ON p.id = up.parent_id WHERE p.level = %s)"
        f" SELECT id, parent_id, owner_id, FALSE FROM up"
        f" UNION ALL SELECT id, parent_id, owner_id, TRUE FROM {table}"
        f" WHERE cycle_id = %s AND level IN (%s, %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, (*params, GoalLevel.INDIVIDUAL, cycle.pk, *STRATEGY))
        rows = cursor.fetchall()
    individual = [pk for pk, _p, _o, strategy in rows if not strategy]
    return Scope(
        q=Q(level__in=STRATEGY) | Q(ids_in("pk", individual)),
        parent={pk: up for pk, up, _o, _s in rows},
        owner={pk: owner for pk, _u, owner, _s in rows},
    )


def _ancestors_sql(start_sql: str) -> str:
    table = _table()
    return (
        f"WITH RECURSIVE up(id, parent_id, depth) AS ("
        f" SELECT g.id, g.parent_id, 0 FROM {table} g WHERE g.id IN ({start_sql})"
        f" UNION SELECT p.id, p.parent_id, up.depth + 1 FROM {table} p"
        f" JOIN up ON p.id = up.parent_id WHERE up.depth < 64) SELECT id FROM up"
    )


# --- Rows ----------------------------------------------------------------------------


def _rows(queryset) -> list[Node]:
    rows = queryset.values_list(
        "pk", "parent_id", "level", "weight", "rollup_progress", "rollup_children", "rollup_goals"
    )
    return [Node(*row) for row in rows]


def _in_cycle(cycle: Cycle, listed: Q | None):
    goals = Goal.objects.filter(cycle=cycle)
    return goals if listed is None else goals.filter(listed)


def _children_pages(
    cycle: Cycle, listed: Q | None, parents: list[Node], page=None, only: set[int] | None = None
) -> None:
    """Attach to each of ``parents`` a page of its listed contributing goals (the first,
    or ``page`` when there is one parent) and the counts of the others: two queries.
    ``only``: render just these of them (the way to the user's goals)."""
    if not parents:
        return
    ids = [p.id for p in parents]
    totals = Goal.objects.filter(parent_id__in=ids).values("parent_id")
    sums = {"total": Count("pk"), "total_weight": Sum("weight")}
    if listed is not None:
        sums |= {
            "hidden": Count("pk", filter=~listed),
            "hidden_weight": Sum("weight", filter=~listed),
        }
    figures = {row["parent_id"]: row for row in totals.order_by().annotate(**sums)}
    pages = {}
    for parent in parents:
        row = figures.get(parent.id, {})
        hidden = row.get("hidden") or 0
        parent.hidden_count = hidden
        parent.hidden_share = _share(row.get("hidden_weight"), hidden, row)
        listed_count = (row.get("total") or 0) - hidden
        pages[parent.id] = Paginator(range(listed_count), PAGE_SIZE).get_page(
            page if len(parents) == 1 else 1
        )
    numbered = _in_cycle(cycle, listed).filter(parent_id__in=ids)
    if only is not None:
        numbered = numbered.filter(pk__in=only)
    numbered = numbered.annotate(
        rn=Window(RowNumber(), partition_by=[F("parent_id")], order_by=[F(f) for f in ORDER])
    )
    if len(parents) == 1:
        first = pages[ids[0]]
        start = first.start_index() - 1 if first.paginator.count else 0
        numbered = numbered.filter(rn__gt=start, rn__lte=start + PAGE_SIZE)
    else:
        numbered = numbered.filter(rn__lte=PAGE_SIZE)
    by_parent = defaultdict(list)
    for child in _rows(numbered.order_by("parent_id", "rn")):
        by_parent[child.parent_id].append(child)
    for parent in parents:
        row, kids, paged = figures.get(parent.id, {}), by_parent[parent.id], pages[parent.id]
        for kid in kids:
            kid.share = _share(kid.weight, 1, row)
        parent.children = kids
        parent.loaded = True
        shown_to = (paged.start_index() - 1 if paged.paginator.count else 0) + len(kids)
        parent.more_count = paged.paginator.count - shown_to
        parent.next_page = paged.next_page_number() if paged.has_next() else None
        parent.page = paged
        if only is not None:
            parent.more_count = paged.paginator.count - len(kids)
            parent.partial, parent.next_page = parent.more_count > 0, None


def _share(weight: Decimal | None, count: int, figures: dict) -> Decimal:
    """``count`` goals weighing ``weight`` as a % of all their siblings ``figures``."""
    if not count:
        return ZERO
    total_weight, total = figures.get("total_weight") or ZERO, figures.get("total") or 0
    if total_weight > 0:
        return rules.q2((weight or ZERO) / total_weight * rules.HUNDRED)
    return rules.q2(rules.HUNDRED * count / total) if total else ZERO


def _attach_details(user, cycle: Cycle, nodes: list[Node]) -> None:
    """Titles, owners and departments of the rendered goals the user may see: one query."""
    wanted = {n.id for n in nodes}
    if not wanted:
        return
    goals = goals_visible_to(user).filter(cycle=cycle, pk__in=wanted).with_owner()
    by_id = {g.pk: g for g in goals}
    me = access.employee_of(user)
    # One reverse() each, not three a row: the rows differ only by the goal's id.
    page = reverse("goals:tree", args=[cycle.pk])
    fragment = reverse("goals:tree-children", args=[cycle.pk, 0]).split("/0/")
    detail = reverse("goals:goal-detail", args=[0]).split("/0/")
    for n in nodes:
        n.goal = by_id.get(n.id)
        n.is_mine = n.goal is not None and me is not None and n.goal.owner_id == me.pk
        n.children_url = f"{fragment[0]}/{n.id}/{fragment[1]}"
        n.open_url = f"{page}?root={n.id}"
        n.goal_url = f"{detail[0]}/{n.id}/{detail[1]}" if n.goal is not None else ""


def _open_to_my_goals(user, cycle: Cycle, scope: Scope, roots: list[Node]) -> None:
    """Render open the way from the top down to the user's own goals: one query for the
    goals above them, then one load of all their children."""
    me = access.employee_of(user)
    if me is None:
        return
    listed = scope.q
    if scope.parent is not None:  # known already: walk up from my goals
        path = {}
        for pk in [pk for pk, owner in scope.owner.items() if owner == me.pk]:
            step = 0
            while pk is not None and pk in scope.owner and pk not in path and step < 64:
                path[pk] = scope.owner[pk]
                pk, step = scope.parent[pk], step + 1
    else:
        mine = Goal.objects.filter(cycle=cycle, owner=me).values("pk")
        sql, params = mine.query.sql_with_params()
        path = dict(
            Goal.objects.filter(
                cycle=cycle, pk__in=RawSQL(_ancestors_sql(sql), params)
            ).values_list("pk", "owner_id")
        )
    above = {pk for pk, owner in path.items() if owner != me.pk}
    if not above:
        return
    # Every goal on the way is loaded at once (one pair of queries), then hung in place;
    # below each, only the goals on the way are rendered, the others a click away.
    loaded = {pk: Node(pk, None, "", ZERO, ZERO, 1, 0) for pk in above}
    _children_pages(cycle, listed, list(loaded.values()), only=set(path))
    frontier, opened = [n for n in roots if n.id in above], set()
    while frontier:
        nxt = []
        for node in frontier:
            source = loaded[node.id]
            node.children, node.loaded, node.partial = source.children, True, source.partial
            node.hidden_count, node.hidden_share = source.hidden_count, source.hidden_share
            node.more_count, node.next_page = source.more_count, None
            opened.add(node.id)
            nxt.extend(c for c in node.children if c.id in above and c.id not in opened)
        frontier = nxt


# --- Entry points --------------------------------------------------------------------


def build_alignment_tree(
    *,
    user,
    cycle: Cycle,
    root_id: int | None = None,
    unaligned_only: bool = False,
    page: str | int | None = None,
) -> AlignmentTree:
    """The top level of the tree as ``user`` may see it, or the page of ``root_id``.

    Raises GoalNotInTree when ``root_id`` is not a goal of ``cycle`` the user may see or
    that leads down to one (then it shows as "a goal of another person").
    """
    scope = _listed(user, cycle)
    listed = scope.q
    if root_id is not None:
        return _goal_page(user, cycle, listed, root_id, page)
    tops = Goal.objects.filter(cycle=cycle, parent__isnull=True)
    loose = Q(parent__isnull=True) & ~Q(level=GoalLevel.COMPANY)
    stats = tops.aggregate(
        total=Coalesce(Sum(F("rollup_goals") + 1), 0),
        unaligned=Count("pk", filter=loose),
        **({} if listed is None else {"unaligned_listed": Count("pk", filter=loose & listed)}),
    )
    unaligned_listed = stats.get("unaligned_listed", stats["unaligned"])
    paginated = None
    first_loose = _in_cycle(cycle, listed).filter(loose).order_by(*ORDER)
    if unaligned_only:
        paginated = Paginator(range(unaligned_listed), UNALIGNED_CAP).get_page(page)
        start = paginated.start_index() - 1 if unaligned_listed else 0
        shown = Q(pk__in=first_loose[start : start + UNALIGNED_CAP].values("pk"))
    else:
        shown = Q(level=GoalLevel.COMPANY) | Q(pk__in=first_loose[:UNALIGNED_CAP].values("pk"))
    rows = _rows(tops.filter(shown).order_by(*ORDER))  # company goals sort first
    roots = [n for n in rows if n.level == GoalLevel.COMPANY]
    unaligned = [n for n in rows if n.level != GoalLevel.COMPANY]
    if not unaligned_only:
        _open_to_my_goals(user, cycle, scope, [*roots, *unaligned])
    _attach_details(user, cycle, [*_walk(roots), *_walk(unaligned)])
    return AlignmentTree(
        cycle=cycle,
        roots=roots,
        unaligned=unaligned,
        unaligned_total=stats["unaligned"],
        unaligned_listed=unaligned_listed,
        focus=None,
        breadcrumbs=[],
        page=paginated,
        total_goals=stats["total"],
        overall_progress=(
            rules.weighted_mean([(n.weight, n.progress) for n in roots]) if roots else None
        ),
        unaligned_only=unaligned_only,
    )


def _node(user, cycle: Cycle, listed: Q | None, goal_id: int) -> Node:
    found = _rows(_in_cycle(cycle, listed).filter(pk=goal_id))
    if not found:
        raise GoalNotInTree(goal_id)
    return found[0]


def _goal_page(user, cycle, listed, root_id, page) -> AlignmentTree:
    """One goal with a page of what contributes to it and the way up to the top."""
    focus = _node(user, cycle, listed, root_id)
    focus.is_focus = True
    _children_pages(cycle, listed, [focus], page)
    chain = _ancestors_sql("%s")
    above = _rows(
        _in_cycle(cycle, listed).filter(pk__in=RawSQL(chain, (root_id,))).exclude(pk=root_id)
    )
    by_id = {n.id: n for n in above}
    breadcrumbs, step = [], by_id.get(focus.parent_id)
    while step is not None and step not in breadcrumbs:
        breadcrumbs.append(step)
        step = by_id.get(step.parent_id)
    breadcrumbs.reverse()
    _attach_details(user, cycle, [*_walk([focus]), *breadcrumbs])
    return AlignmentTree(
        cycle=cycle,
        roots=[focus],
        unaligned=[],
        unaligned_total=0,
        unaligned_listed=0,
        focus=focus,
        breadcrumbs=breadcrumbs,
        page=focus.page,
        total_goals=focus.descendant_count + 1,
        overall_progress=None,
    )


def children(*, user, cycle: Cycle, goal_id: int, page: str | int | None = None) -> Children:
    """A page of the contributing goals of ``goal_id``, for the expander's fragment."""
    listed = _listed(user, cycle).q
    node = _node(user, cycle, listed, goal_id)
    _children_pages(cycle, listed, [node], page)
    _attach_details(user, cycle, [node, *node.children])
    return Children(node=node, page=node.page)
