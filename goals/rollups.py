"""The alignment tree's stored roll-ups: each goal's weighted progress of everything
below it (``Goal.rollup_progress``; its own progress when nothing contributes to it) and
how many goals are below it (``Goal.rollup_goals``) and directly below it
(``Goal.rollup_children``).

The tree page shows them for the goals it renders without walking the cycle's ~35,000
goals per request. They change only when a goal's numbers, weight, parent or existence
change, and every such write goes through the goals services, which call ``refresh`` in
the same transaction:

- ``refresh(ids)`` recomputes the given goals and then their ancestors, level by level,
  from their direct children's stored figures (two queries a level). The goals are
  locked first, so two transactions changing siblings cannot both write a parent from
  stale children: the second waits, then reads the first one's committed change.
- ``rebuild(cycle_ids)`` recomputes whole cycles from scratch (the bulk seeds, an
  indicator whose direction changed, the migration that added the columns).

The arithmetic is ``goals.rules`` (goal_progress, weighted_mean, roll_up).
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from goals import rules

# A chain of contributing goals is never this deep; the bound only stops a loop of bad
# data from running forever.
MAX_DEPTH = 64
BATCH_SIZE = 2000
ZERO = Decimal("0")
FIELDS = ["rollup_progress", "rollup_goals", "rollup_children"]
INPUTS = ["baseline", "target", "current_value", "indicator__direction"]  # own progress


def _goal_model():
    from goals.models import Goal

    return Goal


def own_progress(baseline, target, current, direction) -> Decimal:
    return rules.goal_progress(
        baseline=baseline, target=target, actual=current, direction=direction or "higher"
    )


def refresh(goal_ids: Iterable[int | None]) -> None:
    """Recompute the roll-ups of ``goal_ids`` and of every goal above them.

    Pass every goal whose own figures changed and every goal whose set of contributing
    goals (or their weights) changed: a new goal and its parent, an edited goal and its
    old and new parent, the parent of a deleted goal. Call inside the writing transaction.
    """
    with transaction.atomic():
        _refresh({pk for pk in goal_ids if pk is not None})


def _refresh(pending: set[int]) -> None:
    Goal = _goal_model()
    for _round in range(MAX_DEPTH):
        if not pending:
            return
        rows = list(
            Goal.objects.select_for_update(of=("self",))
            .filter(pk__in=pending)
            .order_by("pk")
            .values_list("pk", "parent_id", *INPUTS, *FIELDS)
        )
        kids: dict[int, list[tuple[Decimal, Decimal, int]]] = defaultdict(list)
        for parent, weight, progress, below in Goal.objects.filter(
            parent_id__in=pending
        ).values_list("parent_id", "weight", "rollup_progress", "rollup_goals"):
            kids[parent].append((weight, progress, below))
        changed, pending = [], set()
        for pk, parent, baseline, target, current, direction, *old in rows:
            below_me = kids.get(pk)
            if below_me:
                value = rules.weighted_mean([(w, p) for w, p, _n in below_me])
                below = sum(1 + n for _w, _p, n in below_me)
            else:
                value, below = own_progress(baseline, target, current, direction), 0
            direct = len(below_me or ())
            if tuple(old) != (value, below, direct):
                changed.append(
                    Goal(pk=pk, rollup_progress=value, rollup_goals=below, rollup_children=direct)
                )
                if parent is not None:
                    pending.add(parent)
        if changed:
            Goal.objects.bulk_update(changed, FIELDS)


def rebuild(cycle_ids: Iterable[int] | None = None, *, goal_model=None) -> int:
    """Recompute every roll-up of the given cycles (all cycles when None) from scratch;
    returns how many goals changed. ``goal_model`` lets a migration pass its own."""
    Goal = goal_model or _goal_model()
    goals = Goal.objects.all()
    if cycle_ids is not None:
        goals = goals.filter(cycle_id__in=list(cycle_ids))
    rows = goals.order_by().values_list("pk", "parent_id", "weight", *INPUTS, *FIELDS)
    parent, weight, own, stored = {}, {}, {}, {}
    for pk, up, w, baseline, target, current, direction, *figures in rows.iterator(
        chunk_size=BATCH_SIZE
    ):
        parent[pk], weight[pk], stored[pk] = up, w, tuple(figures)
        own[pk] = own_progress(baseline, target, current, direction)
    children: dict[int, list[int]] = defaultdict(list)
    for pk, up in parent.items():
        if up is not None and up in parent:
            children[up].append(pk)
    progress = rules.roll_up(own, children, weight)
    below = _descendant_counts(parent, children)
    direct = {pk: len(children.get(pk, ())) for pk in parent}
    changed = [
        Goal(
            pk=pk,
            rollup_progress=progress[pk],
            rollup_goals=below[pk],
            rollup_children=direct[pk],
        )
        for pk in parent
        if stored[pk] != (progress[pk], below[pk], direct[pk])
    ]
    Goal.objects.bulk_update(changed, FIELDS, batch_size=BATCH_SIZE)
    return len(changed)


def _descendant_counts(parent: dict, children: dict) -> dict[int, int]:
    """Goals below each goal; children before parents (the reverse of a breadth-first
    order from the tops); a goal in a loop of bad data counts nothing below it."""
    order = [pk for pk, up in parent.items() if up is None or up not in parent]
    for node in order:  # grows while it is read
        order.extend(children.get(node, ()))
    below = dict.fromkeys(parent, 0)
    for node in reversed(order):
        below[node] = sum(1 + below[k] for k in children.get(node, ()))
    return below


def rebuild_for_indicator(indicator_id: int) -> None:
    """An indicator's direction changes the progress of every goal measured by it."""
    Goal = _goal_model()
    cycles = set(
        Goal.objects.filter(Q(indicator_id=indicator_id)).values_list("cycle_id", flat=True)
    )
    if cycles:
        rebuild(cycles)
