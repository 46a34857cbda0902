"""Pure planning arithmetic (no ORM): achievement, sane actual values, scoring rules, weights,
roll-up, tree checks.

Kept free of Django models so it is tested without a database and reused by the
appraisal stage.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# gettext only marks and looks up strings; it needs no database, so the module stays pure.
from django.utils.translation import gettext as _

HUNDRED = Decimal("100")
CENT = Decimal("0.01")


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def achievement_percent(
    *, baseline: Decimal | None, target: Decimal, actual: Decimal, direction: str
) -> Decimal:
    """How much of the target was achieved, in % (100 = on target; may exceed 100).

    - ``higher``: progress from baseline (0 if none) towards a higher target.
    - ``lower``: progress from baseline towards a lower target (e.g. cost, defects).
    - ``target``: 100 % when on target, falling by the relative miss either way.
    """
    start = baseline if baseline is not None else Decimal("0")
    if direction == "target":
        if target == 0:
            return HUNDRED if actual == 0 else Decimal("0")
        miss = abs(actual - target) / abs(target) * HUNDRED
        return q2(max(Decimal("0"), HUNDRED - miss))
    if direction == "lower" and baseline is None:
        # Without a baseline, "lower is better" reads as target / actual.
        if actual <= 0:
            return q2(HUNDRED * 2)
        return q2(max(Decimal("0"), target / actual * HUNDRED))
    span = target - start
    if span == 0:
        reached = actual <= target if direction == "lower" else actual >= target
        return HUNDRED if reached else Decimal("0")
    return q2(max(Decimal("0"), (actual - start) / span * HUNDRED))


# A reported actual value may be up to this many times the larger of the goal's baseline
# and target (or 1): generous for real overachievement (100× the target), while a typo
# of eleven digits is refused. Without any reference the absolute cap applies.
VALUE_FACTOR = Decimal("100")
# The largest value the goal columns hold (max_digits=14, decimal_places=2).
VALUE_CAP = Decimal("999999999999.99")
UNREFERENCED_CAP = Decimal("1000000000")


def actual_value_bounds(
    *, baseline: Decimal | None, target: Decimal | None
) -> tuple[Decimal, Decimal]:
    """The sane range of an actual value reported on a goal, as (lowest, highest).

    Negative values are allowed only when the goal itself has a negative baseline or
    target (a quantity that can go below zero, e.g. a balance); a count, an amount or a
    percentage with a baseline and target of 0 or more cannot be negative."""
    known = [v for v in (baseline, target) if v is not None]
    if known:
        reference = max(max(abs(v) for v in known), Decimal("1"))
        highest = min(reference * VALUE_FACTOR, VALUE_CAP)
    else:
        highest = UNREFERENCED_CAP
    lowest = Decimal("0") if known and all(v >= 0 for v in known) else -highest
    return lowest, highest


def actual_value_in_bounds(
    value: Decimal, *, baseline: Decimal | None, target: Decimal | None
) -> bool:
    lowest, highest = actual_value_bounds(baseline=baseline, target=target)
    return lowest <= value <= highest


@dataclass(frozen=True)
class Threshold:
    min_achievement: Decimal
    level: int


def check_thresholds(thresholds: Sequence[Threshold], level_values: Iterable[int]) -> list[str]:
    """Problems with a scoring rule, in words; empty when the rule is sound."""
    problems: list[str] = []
    allowed = set(level_values)
    if not thresholds:
        return [_("A scoring rule needs at least one threshold.")]
    ordered = sorted(thresholds, key=lambda t: t.min_achievement)
    if ordered[0].min_achievement != 0:
        problems.append(_("The first threshold must start at 0 % so every result gets a rating."))
    starts = [t.min_achievement for t in ordered]
    if len(set(starts)) != len(starts):
        problems.append(_("Two thresholds start at the same achievement %."))
    for t in ordered:
        if t.min_achievement < 0:
            problems.append(
                _("%(value)s %%: thresholds cannot be negative.") % {"value": t.min_achievement}
            )
        if t.level not in allowed:
            problems.append(
                _("Level %(level)s is not a level of the chosen rating scale.") % {"level": t.level}
            )
    levels = [t.level for t in ordered]
    if any(b <= a for a, b in zip(levels, levels[1:], strict=False)):
        problems.append(_("Rating levels must increase as achievement increases."))
    return problems


def level_for(achievement: Decimal, thresholds: Sequence[Threshold]) -> int | None:
    """The rating level a given achievement % earns under a rule."""
    level = None
    for t in sorted(thresholds, key=lambda t: t.min_achievement):
        if achievement >= t.min_achievement:
            level = t.level
    return level


def weight_gap(weights: Iterable[Decimal]) -> Decimal:
    """How far a set of weights is from 100 % (positive = missing, negative = over)."""
    return HUNDRED - sum(weights, Decimal("0"))


def goal_progress(
    *, baseline: Decimal | None, target: Decimal | None, actual: Decimal | None, direction: str
) -> Decimal:
    """Progress of one goal in %, capped to 0–100 for roll-up purposes."""
    if target is None or actual is None:
        return Decimal("0")
    value = achievement_percent(
        baseline=baseline, target=target, actual=actual, direction=direction
    )
    return min(HUNDRED, max(Decimal("0"), value))


def weighted_mean(pairs: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """The progress of a goal from its contributing goals' ``(weight, progress)``: the
    weighted average, or the plain average when their weights total zero."""
    total = sum((w for w, _v in pairs), Decimal("0"))
    if total > 0:
        return q2(sum((w * v for w, v in pairs), Decimal("0")) / total)
    return q2(sum((v for _w, v in pairs), Decimal("0")) / len(pairs))


def roll_up(
    own_progress: Mapping[int, Decimal],
    children: Mapping[int | None, Sequence[int]],
    weights: Mapping[int, Decimal],
) -> dict[int, Decimal]:
    """Weighted progress of every goal in a tree.

    A leaf's progress is its own. A goal with contributing goals takes the weighted
    average of its children's rolled-up progress (weights as given, not a plain mean);
    children with zero total weight fall back to an equal share.
    """
    result: dict[int, Decimal] = {}

    def visit(goal_id: int, trail: frozenset[int]) -> Decimal:
        if goal_id in result:
            return result[goal_id]
        kids = [k for k in children.get(goal_id, ()) if k not in trail]
        if not kids:
            value = own_progress.get(goal_id, Decimal("0"))
        else:
            values = [visit(k, trail | {goal_id}) for k in kids]
            value = weighted_mean(
                [(weights.get(k, Decimal("0")), v) for k, v in zip(kids, values, strict=True)]
            )
        result[goal_id] = q2(value)
        return result[goal_id]

    for goal_id in list(own_progress):
        visit(goal_id, frozenset())
    return result


def would_create_cycle(
    goal_id: int | None, new_parent_id: int, parent_of: Mapping[int, int | None]
) -> bool:
    """True when aligning ``goal_id`` under ``new_parent_id`` makes a loop in the tree."""
    if goal_id is None:
        return False
    seen: set[int] = set()
    node: int | None = new_parent_id
    while node is not None and node not in seen:
        if node == goal_id:
            return True
        seen.add(node)
        node = parent_of.get(node)
    return False
