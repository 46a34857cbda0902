"""The alignment tree of a cycle: company goals → department goals → individual goals,
with weighted rolled-up progress and each goal's share of its parent.

Two queries whatever the size of the organisation:

1. a *skeleton* of every goal in the cycle: ids, parent, weight and the numbers progress
   needs, plus whether the user may see it (``goals_visible_to`` as a subquery). No
   titles. The whole cycle is needed because a company goal's progress rolls up from
   every leaf below it, so its figure is the same for everyone who looks at it;
2. the *details* (title, owner, department, indicator) of only the goals that are
   rendered, again through ``goals_visible_to``, so another person's goal title cannot
   reach the page even if the shaping below had a bug.

The arithmetic is ``goals.rules`` (goal_progress, roll_up); this module only shapes.

Size: a 10,000-person organisation has ~35,000 goals, far more than a page can show.
The tree is expanded level by level while the next level fits in ``NODE_BUDGET`` rows;
the first level that does not fit stays collapsed, each goal with a link that opens its
subtree (``?root=<id>``). A goal lists at most ``CHILD_CAP`` contributing goals; the rest
are "and N more", paginated when that goal is the root. Other people's goals that the
user may not see are only counted ("+ 12 goals of other people"), with their combined
share. Small organisations see the whole tree at once; an employee of a large one sees
the whole path from the company goals down to their own goals, since only goals they may
see are listed.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q, Value

from goals import rules
from goals.models import Goal, GoalLevel
from goals.selectors import goals_visible_to
from perfcycle import access
from perfcycle.models import Cycle

NODE_BUDGET = 400
CHILD_CAP = 50
ZERO = Decimal("0")


class GoalNotInTree(LookupError):
    """The requested root is not a goal of this cycle that the user may see (or that
    leads down to one they may see)."""


@dataclass
class Node:
    id: int
    level: str
    weight: Decimal
    progress: Decimal  # weighted roll-up of the leaves below, or the goal's own progress
    share: Decimal | None  # % of the parent's weight, None for a top-level goal
    depth: int
    goal: Goal | None = None  # None: a goal of another person, shown only as a placeholder
    children: list["Node"] = field(default_factory=list)
    child_count: int = 0  # every direct contributing goal, visible or not
    descendant_count: int = 0
    hidden_count: int = 0  # direct contributing goals of other people: only counted
    hidden_share: Decimal = ZERO
    more_count: int = 0  # visible direct contributing goals not rendered here
    expanded: bool = False  # its contributing goals are rendered below it
    is_focus: bool = False
    is_mine: bool = False  # the user's own goal
    is_open: bool = False  # rendered unfolded (the reader may fold and unfold it)

    @property
    def is_placeholder(self) -> bool:
        return self.goal is None

    @property
    def collapsed(self) -> bool:
        """Has contributing goals that are not rendered here: open them via ``?root=``."""
        return self.child_count > 0 and not self.expanded

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

    kind: str  # "branch" (opens a nested list), "leaf", or "end" (closes a branch)
    node: Node


@dataclass
class AlignmentTree:
    cycle: Cycle
    roots: list[Node]
    unaligned: list[Node]
    unaligned_hidden: int
    unaligned_more: int
    focus: Node | None
    breadcrumbs: list[Node]
    page: Page | None  # of the focus goal's children, or of the unaligned goals
    total_goals: int
    overall_progress: Decimal | None
    unaligned_only: bool = False

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


def flatten(nodes: list[Node]) -> Iterator[Item]:
    stack: list[tuple[str, Node]] = [("visit", n) for n in reversed(nodes)]
    while stack:
        action, node = stack.pop()
        if action == "end":
            yield Item("end", node)
        elif node.expanded:
            yield Item("branch", node)
            stack.append(("end", node))
            stack.extend(("visit", c) for c in reversed(node.children))
        else:
            yield Item("leaf", node)


# --- Skeleton -----------------------------------------------------------------------


@dataclass
class Skeleton:
    """Every goal of a cycle as columns keyed by id: what roll-up and shaping need."""

    parent: dict[int, int | None] = field(default_factory=dict)
    level: dict[int, str] = field(default_factory=dict)
    weight: dict[int, Decimal] = field(default_factory=dict)
    progress: dict[int, Decimal] = field(default_factory=dict)  # the goal's own
    visible: set[int] = field(default_factory=set)


def skeleton(user, cycle: Cycle) -> Skeleton:
    """Every goal of the cycle, in display order, with its own progress and whether
    ``user`` may see it: one query, no text.

    Individual goals are ordered by owner, which keeps a person's goals together at no
    cost; ordering 35,000 goals by the owner's name would join the users to every one.
    """
    if access.is_hr(user):
        visible = Value(True, output_field=BooleanField())
    else:
        visible = ExpressionWrapper(
            Q(pk__in=goals_visible_to(user).filter(cycle=cycle).values("pk")),
            output_field=BooleanField(),
        )
    rows = (
        Goal.objects.in_cycle(cycle)
        # The display order, sorted by the database: company, department, individual
        # (alphabetical, as it happens), then department name, then owner, then age.
        .order_by("level", "department__name", "owner_id", "id")
        .annotate(is_visible=visible)
        .values_list(
            "id",
            "parent_id",
            "level",
            "weight",
            "baseline",
            "target",
            "current_value",
            "indicator__direction",
            "is_visible",
        )
    )
    sk = Skeleton()
    progress = rules.goal_progress
    for pk, parent, level, weight, baseline, target, actual, direction, seen in rows:
        sk.parent[pk] = parent
        sk.level[pk] = level
        sk.weight[pk] = weight
        if target is None or actual is None:
            sk.progress[pk] = ZERO
        else:
            sk.progress[pk] = progress(
                baseline=baseline, target=target, actual=actual, direction=direction or "higher"
            )
        if seen:
            sk.visible.add(pk)
    return sk


class _Shape:
    """The skeleton as a tree: children, roll-up, shares and what may be shown."""

    def __init__(self, sk: Skeleton):
        self.sk = sk
        self.children: dict[int | None, list[int]] = defaultdict(list)
        self.top: list[int] = []  # company goals at the top of the cascade
        self.unaligned: list[int] = []  # department and individual goals aligned to nothing
        for pk, parent in sk.parent.items():  # in display order
            if parent is not None and parent in sk.parent:
                self.children[parent].append(pk)
            elif sk.level[pk] == GoalLevel.COMPANY:
                self.top.append(pk)
            else:
                self.unaligned.append(pk)
        self.progress = rules.roll_up(sk.progress, self.children, sk.weight)
        self.shows_something, self.descendants, self.leads_to_people = self._walk()
        self._sibling_weight: dict[int, Decimal] = {}

    def _walk(self) -> tuple[dict[int, bool], dict[int, int], set[int]]:
        """For each goal: is it or anything below it visible; how many goals are below;
        and the goals that lead down to an individual goal the user may see.

        Children before parents: the reverse of a breadth-first order from the tops. A
        goal caught in a loop of bad data is never reached, so it shows as itself only.
        """
        order = [*self.top, *self.unaligned]
        for node in order:  # grows while it is read
            order.extend(self.children.get(node, ()))
        visible, level = self.sk.visible, self.sk.level
        shows = {pk: pk in visible for pk in self.sk.parent}
        below = dict.fromkeys(self.sk.parent, 0)
        to_people = {pk for pk in visible if level[pk] == GoalLevel.INDIVIDUAL}
        for node in reversed(order):
            kids = self.children.get(node)
            if kids:
                shows[node] = shows[node] or any(shows[k] for k in kids)
                below[node] = len(kids) + sum(below[k] for k in kids)
                if any(k in to_people for k in kids):
                    to_people.add(node)
        return shows, below, to_people

    def share(self, goal_id: int) -> Decimal | None:
        parent = self.sk.parent[goal_id]
        if parent is None or parent not in self.sk.parent:
            return None
        if parent not in self._sibling_weight:
            siblings = self.children[parent]
            self._sibling_weight[parent] = sum((self.sk.weight[s] for s in siblings), ZERO)
        total = self._sibling_weight[parent]
        if total > 0:
            return rules.q2(self.sk.weight[goal_id] / total * rules.HUNDRED)
        return rules.q2(rules.HUNDRED / len(self.children[parent]))

    def node(self, goal_id: int, depth: int) -> Node:
        return Node(
            id=goal_id,
            level=self.sk.level[goal_id],
            weight=self.sk.weight[goal_id],
            progress=self.progress[goal_id],
            share=self.share(goal_id),
            depth=depth,
            child_count=len(self.children.get(goal_id, ())),
            descendant_count=self.descendants[goal_id],
        )

    def listed_children(self, goal_id: int) -> list[int]:
        """Contributing goals that may be listed (visible, or leading to visible ones)."""
        return [k for k in self.children.get(goal_id, ()) if self.shows_something[k]]

    def count_hidden(self, node: Node) -> None:
        hidden = [k for k in self.children.get(node.id, ()) if not self.shows_something[k]]
        node.hidden_count = len(hidden)
        node.hidden_share = sum((self.share(k) or ZERO for k in hidden), ZERO)

    def ancestors(self, goal_id: int) -> list[int]:
        chain, node = [], self.sk.parent[goal_id]
        while node is not None and node in self.sk.parent and node not in chain:
            chain.append(node)
            node = self.sk.parent[node]
        return list(reversed(chain))

    def expand(self, frontier: list[Node], budget: int, first: dict[int, list[int]]) -> None:
        """Open the tree level by level while the next level fits in ``budget`` rows.

        ``first`` fixes the children of some goals (a page of the focus goal's children);
        other goals list their first ``CHILD_CAP``.
        """
        rendered = len(frontier)
        forced = bool(first)
        while frontier:
            plans = []
            for node in frontier:
                listed = self.listed_children(node.id)
                shown = first.get(node.id, listed[:CHILD_CAP])
                plans.append((node, listed, shown))
            needed = sum(len(shown) for _n, _l, shown in plans)
            if not forced and rendered + needed > budget:
                return
            forced = False
            next_frontier = []
            for node, listed, shown in plans:
                if not node.child_count:
                    continue
                node.expanded = True
                self.count_hidden(node)
                node.more_count = len(listed) - len(shown)
                node.children = [self.node(k, node.depth + 1) for k in shown]
                next_frontier.extend(node.children)
            rendered += needed
            frontier = next_frontier


def _attach_details(user, cycle: Cycle, nodes: list[Node]) -> None:
    """Titles, owners and departments of the rendered goals the user may see: one query."""
    wanted = {n.id for n in nodes}
    if not wanted:
        return
    goals = goals_visible_to(user).filter(cycle=cycle, pk__in=wanted).with_owner()
    by_id = {g.pk: g for g in goals}
    me = access.employee_of(user)
    for n in nodes:
        n.goal = by_id.get(n.id)
        n.is_mine = n.goal is not None and me is not None and n.goal.owner_id == me.pk


def _unfold(nodes: list[Node], shape: "_Shape", *, everything_visible: bool) -> None:
    """Which branches start unfolded: for HR the top two levels; for everyone else the
    company goals and the way down to the individual goals they may see (their own, their
    team's), so those are on screen without a click. The way to the user's own goals is
    always unfolded: the page links to them."""
    above_mine = {a for n in _walk_nodes(nodes) if n.is_mine for a in shape.ancestors(n.id)}
    for node in _walk_nodes(nodes):
        if everything_visible:
            node.is_open = node.depth < 2 or node.is_focus or node.id in above_mine
        else:
            node.is_open = node.depth == 0 or node.id in shape.leads_to_people


def _walk_nodes(nodes: list[Node]) -> Iterator[Node]:
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def _weighted_mean(nodes: list[Node]) -> Decimal | None:
    if not nodes:
        return None
    total = sum((n.weight for n in nodes), ZERO)
    if total > 0:
        return rules.q2(sum((n.weight * n.progress for n in nodes), ZERO) / total)
    return rules.q2(sum((n.progress for n in nodes), ZERO) / len(nodes))


def build_alignment_tree(
    *,
    user,
    cycle: Cycle,
    root_id: int | None = None,
    unaligned_only: bool = False,
    page: str | int | None = None,
    budget: int = NODE_BUDGET,
) -> AlignmentTree:
    """The tree as ``user`` may see it, from the company goals or from ``root_id``.

    Raises GoalNotInTree when ``root_id`` is not a goal of ``cycle`` the user may see or
    that leads down to one (then it shows as "a goal of another person").
    """
    shape = _Shape(skeleton(user, cycle))
    focus, breadcrumbs, paginated = None, [], None
    unaligned, unaligned_hidden, unaligned_more = [], 0, 0
    if root_id is not None:
        if root_id not in shape.sk.parent or not shape.shows_something[root_id]:
            raise GoalNotInTree(root_id)
        focus = shape.node(root_id, 0)
        focus.is_focus = True
        paginated = Paginator(shape.listed_children(root_id), CHILD_CAP).get_page(page)
        shape.expand([focus], budget, {root_id: list(paginated.object_list)})
        roots = [focus]
        breadcrumbs = [shape.node(a, 0) for a in shape.ancestors(root_id)]
    else:
        roots = [shape.node(k, 0) for k in shape.top if shape.shows_something[k]]
        listed = [k for k in shape.unaligned if shape.shows_something[k]]
        unaligned_hidden = len(shape.unaligned) - len(listed)
        if unaligned_only:
            roots = []
            paginated = Paginator(listed, CHILD_CAP).get_page(page)
            unaligned = [shape.node(k, 0) for k in paginated.object_list]
            shape.expand(unaligned, budget, {})
        else:
            shape.expand(roots, budget, {})
            unaligned = [shape.node(k, 0) for k in listed[:CHILD_CAP]]
            unaligned_more = len(listed) - len(unaligned)
            shape.expand(unaligned, budget // 4, {})
    _attach_details(user, cycle, [*_walk_nodes(roots), *_walk_nodes(unaligned), *breadcrumbs])
    _unfold([*roots, *unaligned], shape, everything_visible=access.is_hr(user))
    return AlignmentTree(
        cycle=cycle,
        roots=roots,
        unaligned=unaligned,
        unaligned_hidden=unaligned_hidden,
        unaligned_more=unaligned_more,
        focus=focus,
        breadcrumbs=breadcrumbs,
        page=paginated,
        total_goals=len(shape.sk.parent),
        overall_progress=_weighted_mean([shape.node(k, 0) for k in shape.top]),
        unaligned_only=unaligned_only,
    )
