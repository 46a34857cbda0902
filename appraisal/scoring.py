"""Explainable scoring of an appraisal, in pure functions (no ORM, no database).

Inputs are plain frozen dataclasses and Decimals built by the services and selectors from
the appraisal's snapshot; outputs are frozen dataclasses a page renders as they are. The
planning rules underneath (achievement %, threshold → level) are ``goals.rules``'s.

The rules, as a reviewer (and an employee reading a breakdown) can check them:

- **Ratings are levels.** A rating given by a person is exactly one of the scale's level
  values (:func:`validate_rating`): 5.9 on a 1–5 scale, 0 and 6 are refused. An *item
  score* may be a mean of several raters' levels (peer input, :func:`item_score`).
- **Weights.** Items are weighted within their section and sections within the score, by
  the weights as configured (% meant to total 100). What counts is each weight's share of
  the weights of the components that have input, so weights totalling 90 % or 110 % count
  in proportion (and a note says so).
- **Missing input is re-weighted away, never counted as 0.** An item not rated, a section
  with no rated item (a peer section nobody answered) drops out, and the remaining weights
  are scaled up in proportion; the breakdown says which component dropped out and where its
  weight went. 5 + 5 + nothing is 5, not 3.33 (Frappe HRMS #2023). Nothing rated at all:
  no score (None). A component configured at 0 % counts for nothing either way.
- **Rounding.** Scores are computed exactly (Decimal, 28 digits) and shown to 2 decimal
  places, rounding half up (``goals.rules.q2``). The shown contributions of the lines are
  allocated by largest remainder: each line is its exact contribution cut down to the cent,
  and the cents still missing to reach the shown total go, one each, to the lines with the
  largest cut-off remainders (the earlier line on a tie). So the lines shown add up exactly
  to the score shown, and no line is off by a cent or more from its exact value. The same
  allocation makes the shown effective weights total 100.00 % and a distribution's shown
  percentages total 100.0 %.
- **Calibration** sets a new score (a change by a delta, or to a level) with a reason. The
  breakdown shows the proposed score (2 places), each change as "from → to (± delta)", and
  the final score: the proposed score plus the deltas shown, exactly.
- **Bands** cover the scale from its lowest to its highest level with no gap and no
  overlap. Each band holds the scores from its ``low`` up to but excluding its ``high``;
  the top band includes the top of the scale.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Any

# gettext only looks strings up; it needs no database, so the module stays pure.
from django.utils.translation import gettext as _

from goals.library_rules import LevelInput, percent
from goals.rules import HUNDRED, Threshold, achievement_percent, level_for, q2
from perfcycle.workflow import DomainError

CENT = Decimal("0.01")
# Note kinds: a component without input re-weighted away; weights counted in proportion.
MISSING, SCALED = "missing", "scaled"
TENTH = Decimal("0.1")
ZERO = Decimal("0")
QUANTITATIVE = "quantitative"  # goals.models.IndicatorKind.QUANTITATIVE


# --- The scale --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """A rating scale's levels, lowest first. Build it with :meth:`of` from the
    appraisal's ``scale_levels`` snapshot (dicts) or from RatingLevel rows."""

    levels: tuple[LevelInput, ...]

    def __post_init__(self):
        ordered = tuple(sorted(self.levels, key=lambda level: level.value))
        values = [level.value for level in ordered]
        if not ordered or len(set(values)) != len(values):
            raise ValueError("A scale needs levels with distinct values.")
        object.__setattr__(self, "levels", ordered)

    @classmethod
    def of(cls, levels: Iterable[Any]) -> "Scale":
        """From dicts (``{"value", "label", "descriptor"}``) or objects with those
        attributes (RatingLevel rows, LevelInput)."""

        def read(level, name, default=""):
            if isinstance(level, Mapping):
                return level.get(name, default)
            return getattr(level, name, default)

        return cls(
            tuple(
                LevelInput(
                    value=int(read(level, "value")),
                    label=str(read(level, "label")),
                    descriptor=str(read(level, "descriptor") or ""),
                )
                for level in levels
            )
        )

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.levels)

    @property
    def lowest(self) -> Decimal:
        return Decimal(self.levels[0].value)

    @property
    def highest(self) -> Decimal:
        return Decimal(self.levels[-1].value)

    def level(self, value: int | None) -> LevelInput | None:
        return next((level for level in self.levels if level.value == value), None)


def validate_rating(value: Any, scale: Scale) -> int:
    """The level ``value`` names, as an int; a DomainError for anything else.

    Accepted: an int, or a Decimal with no fractional part (``Decimal("4.0")`` is level 4),
    equal to one of the scale's level values. Refused, whatever a client sends: a value
    between levels (5.9), outside the scale (0, 6), not finite, a bool, a float or a
    string (forms parse text first, so a string reaching here is a programming error
    reported as bad input rather than guessed at), and None (a draft without a rating is
    the caller's to allow)."""
    allowed = ", ".join(str(v) for v in scale.values)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise DomainError(
            _("Choose one of the scale's levels: %(levels)s.") % {"levels": allowed},
            code="invalid_rating",
        )
    number = Decimal(value)
    if (
        not number.is_finite()
        or number != number.to_integral_value()
        or (int(number) not in scale.values)
    ):
        raise DomainError(
            _("%(value)s is not a level of this scale: choose one of %(levels)s.")
            % {"value": value, "levels": allowed},
            code="invalid_rating",
        )
    return int(number)


# --- Suggested rating of a quantitative goal --------------------------------------------


@dataclass(frozen=True)
class GoalFacts:
    """What the suggestion needs of a goal: its indicator's kind (None without an
    indicator) and direction, the target, the baseline and the actual value."""

    indicator_kind: str | None
    direction: str
    target: Decimal | None
    actual: Decimal | None
    baseline: Decimal | None = None


@dataclass(frozen=True)
class Suggestion:
    """The level the scoring rule gives (None when there is none) and the achievement %
    it was read at (None when nothing could be measured)."""

    level: LevelInput | None
    achievement: Decimal | None

    @property
    def value(self) -> int | None:
        return self.level.value if self.level else None


def suggested_rating(goal: GoalFacts, thresholds: Sequence[Threshold], scale: Scale) -> Suggestion:
    """The rating the indicator's scoring rule suggests for a quantitative goal.

    Achievement is ``goals.rules.achievement_percent`` of the actual against the target
    (from the baseline, in the indicator's direction); the level is the rule's
    (``goals.rules.level_for``). No suggestion — level None — for a goal without an
    indicator, a qualitative or behavioural one, no target or no actual value yet (then
    the achievement is None too), no rule, or a rule whose level is not on this scale
    (the indicator's scale may differ from the cycle's: the manager rates it)."""
    if goal.indicator_kind != QUANTITATIVE or goal.target is None or goal.actual is None:
        return Suggestion(level=None, achievement=None)
    achieved = achievement_percent(
        baseline=goal.baseline, target=goal.target, actual=goal.actual, direction=goal.direction
    )
    value = level_for(achieved, thresholds) if thresholds else None
    return Suggestion(level=scale.level(value), achievement=achieved)


# --- Composition: items, sections, the score ---------------------------------------------


@dataclass(frozen=True)
class RatedItem:
    """One thing rated: ``weight`` is its % within the section as configured, ``rating``
    its score (a level, or a mean of levels for peer input; None when not rated). ``key``
    is the caller's (an AppraisalItem pk, to link evidence)."""

    label: str
    weight: Decimal
    rating: Decimal | int | None
    key: Any = None


@dataclass(frozen=True)
class RatedSection:
    """A template section: ``weight`` is its % of the score as configured."""

    kind: str
    label: str
    weight: Decimal
    items: tuple[RatedItem, ...] = ()


def item_score(ratings: Iterable[Decimal | int | None]) -> Decimal | None:
    """The score of an item several people rated (peer input): the plain mean of the
    ratings given, skipping those not given; None when nobody rated it."""
    given = [Decimal(r) for r in ratings if r is not None]
    if not given:
        return None
    return sum(given, ZERO) / len(given)


def _weighted_mean(pairs: Sequence[tuple[Decimal, Decimal | None]]) -> Decimal | None:
    """Σ weight × value / Σ weight over the pairs with a value and a weight above 0; None
    when there are none. One division at the end keeps it within the values' range."""
    counted = [(w, v) for w, v in pairs if v is not None and w > 0]
    total = sum((w for w, _v in counted), ZERO)
    if total == 0:
        return None
    return sum((w * v for w, v in counted), ZERO) / total


def _checked(scale: Scale, rating: Decimal | int | None, label: str) -> Decimal | None:
    if rating is None:
        return None
    if isinstance(rating, bool) or not isinstance(rating, int | Decimal):
        raise DomainError(_("“%(item)s”: the rating is not a number.") % {"item": label})
    value = Decimal(rating)
    if not value.is_finite() or not scale.lowest <= value <= scale.highest:
        raise DomainError(
            _("“%(item)s”: %(value)s is outside the scale (%(low)s–%(high)s).")
            % {"item": label, "value": value, "low": scale.lowest, "high": scale.highest}
        )
    return value


def _weight(value: Decimal, label: str) -> Decimal:
    weight = Decimal(value)
    if not weight.is_finite() or weight < 0:
        raise DomainError(_("“%(item)s”: a weight cannot be negative.") % {"item": label})
    return weight


def section_score(section: RatedSection, scale: Scale) -> Decimal | None:
    """The section's score: the weighted mean of its rated items (by their weights
    within the section, missing ones re-weighted away); None when no item is rated."""
    return _weighted_mean(
        [
            (_weight(item.weight, item.label), _checked(scale, item.rating, item.label))
            for item in section.items
        ]
    )


def proposed_score(sections: Sequence[RatedSection], scale: Scale) -> Decimal | None:
    """The exact score the ratings give: the weighted mean of the section scores by
    section weight, sections without a score re-weighted away; None if nothing is rated.
    It lies within the scale's bounds and never decreases when a rating rises."""
    return _weighted_mean([(_weight(s.weight, s.label), section_score(s, scale)) for s in sections])


# --- Calibration ------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationChange:
    """A calibration decision: the score set (2 places), why and by whom. Stored as a
    CalibrationAdjustment's ``to_score``/``reason``; :func:`calibrate` makes a new one."""

    to_score: Decimal
    reason: str = ""
    by: str = ""


def calibrate(
    score: Decimal | None,
    *,
    scale: Scale,
    reason: str,
    delta: Decimal | None = None,
    to_level: Any = None,
    by: str = "",
) -> CalibrationChange:
    """HR's change of a score: by ``delta`` (a multiple of 0.01, ±) or to a level
    ``to_level`` of the scale — exactly one of the two — with a mandatory reason.

    Refused (DomainError keyed by field): no reason, neither or both of delta and level, a
    delta finer than 0.01, a result outside the scale, a change that changes nothing,
    and a score that does not exist yet (nothing rated: nothing to calibrate). ``score``
    is the score shown (2 places): what HR saw is what the delta applies to."""
    if score is None:
        raise DomainError(_("Nothing is rated yet, so there is no score to calibrate."))
    errors: dict[str, str] = {}
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason for the change.")
    if (delta is None) == (to_level is None):
        errors["delta"] = _("Give either a change (e.g. +0.25) or the level to set, not both.")
        raise DomainError(errors)
    if to_level is not None:
        try:
            new = Decimal(validate_rating(to_level, scale))
        except DomainError as error:
            errors["to_level"] = error.messages[0]
            raise DomainError(errors) from None
    else:
        delta = Decimal(delta)
        if not delta.is_finite() or delta != delta.quantize(CENT, rounding=ROUND_DOWN):
            errors["delta"] = _("A change is in steps of 0.01.")
            raise DomainError(errors)
        new = q2(Decimal(score)) + delta
        if not scale.lowest <= new <= scale.highest:
            errors["delta"] = _("%(score)s would be outside the scale (%(low)s–%(high)s).") % {
                "score": new,
                "low": scale.lowest,
                "high": scale.highest,
            }
    if not errors and q2(new) == q2(Decimal(score)):
        errors["delta" if delta is not None else "to_level"] = _(
            "The score is already %(score)s: this changes nothing."
        ) % {"score": q2(Decimal(score))}
    if errors:
        raise DomainError(errors)
    return CalibrationChange(to_score=q2(new), reason=reason.strip(), by=by)


# --- Rounding that adds up ----------------------------------------------------------------


def allocate(values: Sequence[Decimal], total: Decimal, quantum: Decimal = CENT) -> list[Decimal]:
    """Round ``values`` to ``quantum`` so that they sum exactly to ``total`` (a multiple
    of ``quantum``): largest remainder. Each value is cut down to the quantum; the
    quanta still missing go one each to the largest cut-off remainders (earlier first on
    a tie); a surplus (possible only through inexact input) is taken from the smallest."""
    floors = [
        ((v / quantum).to_integral_value(rounding=ROUND_FLOOR) * quantum).quantize(quantum)
        for v in values
    ]
    shown = list(floors)
    if not values:
        return shown
    missing = int((total - sum(floors, ZERO)) / quantum)
    by_remainder = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    step = quantum if missing > 0 else -quantum
    order = by_remainder if missing > 0 else list(reversed(by_remainder))
    for n in range(abs(missing)):
        shown[order[n % len(order)]] += step
    return shown


# --- The breakdown ----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One item of the breakdown. Weights in %: ``weight`` as configured within the
    section; ``weight_in_section`` its share of the section after re-weighting;
    ``effective_weight`` its share of the whole score (exact) and ``shown_weight`` that
    share as shown. ``contribution`` = rating × effective weight / 100 (exact);
    ``shown_contribution`` its allocated 2-place value. Unrated: all of those None."""

    section_kind: str
    section: str
    label: str
    key: Any
    weight: Decimal
    rating: Decimal | None
    weight_in_section: Decimal | None
    effective_weight: Decimal | None
    contribution: Decimal | None
    shown_weight: Decimal | None = None
    shown_contribution: Decimal | None = None


@dataclass(frozen=True)
class SectionTotal:
    """A section's subtotal: its configured weight, effective share of the score, score
    (weighted mean of its items; None without input) and shown contribution (the sum of
    its lines' shown contributions, so subtotals add up to the score too)."""

    kind: str
    label: str
    weight: Decimal
    effective_weight: Decimal | None
    score: Decimal | None
    shown_score: Decimal | None
    shown_contribution: Decimal | None


@dataclass(frozen=True)
class Note:
    """Why weights moved. ``kind`` is ``missing`` (a component without input, re-weighted
    away; ``item`` None when the whole section is missing) or ``scaled`` (configured
    weights not totalling 100 %, counted in proportion)."""

    kind: str
    section: str
    item: str | None
    weight: Decimal
    message: str


@dataclass(frozen=True)
class CalibrationLine:
    """One calibration change as shown: the score before it (None when nothing was
    rated), the score set, the difference (None without a score before) and why."""

    from_score: Decimal | None
    to_score: Decimal
    delta: Decimal | None
    reason: str
    by: str


@dataclass(frozen=True)
class Breakdown:
    """Everything an explained score shows, adding up: Σ lines' shown contributions =
    ``proposed_score``; ``proposed_score`` + Σ calibration deltas = ``final_score``."""

    lines: tuple[Line, ...]
    sections: tuple[SectionTotal, ...]
    notes: tuple[Note, ...]
    proposed_exact: Decimal | None
    proposed_score: Decimal | None
    calibration: tuple[CalibrationLine, ...]
    final_score: Decimal | None
    band: "Band | None" = None
    # Ratings changed after release (a dispute decided by a change), oldest first.
    revisions: tuple["Revision", ...] = ()

    @property
    def revised(self) -> dict:
        """{line key: its latest revision}: what a line shows as "changed after dispute"."""
        return {revision.key: revision for revision in self.revisions}

    @property
    def reweighted(self) -> tuple[Note, ...]:
        """The components that had no input and were re-weighted away."""
        return tuple(note for note in self.notes if note.kind == MISSING)


def _notes(sections: Sequence[RatedSection], scale: Scale) -> list[Note]:
    notes: list[Note] = []
    for section in sections:
        if _weight(section.weight, section.label) == 0:
            continue
        if section_score(section, scale) is None:
            notes.append(
                Note(
                    MISSING,
                    section.label,
                    None,
                    section.weight,
                    _(
                        "%(section)s has no ratings, so its %(weight)s %% of the score is "
                        "shared among the other sections in proportion to their weights."
                    )
                    % {"section": section.label, "weight": percent(section.weight)},
                )
            )
            continue
        for item in section.items:
            if item.rating is None and item.weight > 0:
                notes.append(
                    Note(
                        MISSING,
                        section.label,
                        item.label,
                        item.weight,
                        _(
                            "“%(item)s” was not rated, so its %(weight)s %% of %(section)s is "
                            "shared among the section's rated items in proportion to their "
                            "weights."
                        )
                        % {
                            "item": item.label,
                            "weight": percent(item.weight),
                            "section": section.label,
                        },
                    )
                )
        total = sum((item.weight for item in section.items), ZERO)
        if total != HUNDRED:
            notes.append(
                Note(
                    SCALED,
                    section.label,
                    None,
                    total,
                    _(
                        "The weights in %(section)s total %(total)s %%, so each counts in "
                        "proportion to that total."
                    )
                    % {"section": section.label, "total": percent(total)},
                )
            )
    total = sum((section.weight for section in sections), ZERO)
    if sections and total != HUNDRED:
        notes.append(
            Note(
                SCALED,
                "",
                None,
                total,
                _(
                    "The section weights total %(total)s %%, so each counts in proportion "
                    "to that total."
                )
                % {"total": percent(total)},
            )
        )
    return notes


def _lines(section: RatedSection, share: Decimal | None, scale: Scale) -> list[Line]:
    """A section's lines with their exact weights and contributions (shown values are
    allocated afterwards, across the whole score). ``share``: the section's effective %
    of the score, None when it does not count."""
    ratings = [_checked(scale, item.rating, item.label) for item in section.items]
    rated_total = sum(
        (item.weight for item, r in zip(section.items, ratings, strict=True) if r is not None),
        ZERO,
    )
    lines = []
    for item, rating in zip(section.items, ratings, strict=True):
        within = effective = contribution = None
        if share is not None and rating is not None:
            within = item.weight / rated_total * HUNDRED if rated_total else ZERO
            effective = share * within / HUNDRED
            contribution = rating * effective / HUNDRED
        lines.append(
            Line(
                section_kind=section.kind,
                section=section.label,
                label=item.label,
                key=item.key,
                weight=item.weight,
                rating=rating,
                weight_in_section=within,
                effective_weight=effective,
                contribution=contribution,
            )
        )
    return lines


def score_breakdown(
    sections: Sequence[RatedSection],
    *,
    scale: Scale,
    calibration: Sequence[CalibrationChange] = (),
    bands: Sequence["Band"] | None = None,
    revisions: Sequence["Revision"] = (),
) -> Breakdown:
    """The score explained line by line (see the module's rules).

    The proposed score is :func:`proposed_score` shown to 2 places. Calibration changes
    apply in order, each from the score before it: the final score is the last change's
    score (what HR decided), and each line shows its delta from the score before it, so
    the proposed score plus the deltas is the final score, exactly. (A change recorded
    before a reopening that altered the ratings therefore still stands; its delta is
    measured from the new proposed score.) Without ratings or changes the final score is
    None. ``bands``, when given, name the final score's band. ``revisions`` (ratings
    changed after release) are shown as they are: the items' ratings already carry them,
    and ``calibration`` comes through :func:`carry_calibration`."""
    scores = [section_score(s, scale) for s in sections]
    pairs = [(_weight(s.weight, s.label), sc) for s, sc in zip(sections, scores, strict=True)]
    exact = _weighted_mean(pairs)
    shown = q2(exact) if exact is not None else None
    counted_total = sum((w for w, sc in pairs if sc is not None and w > 0), ZERO)
    shares = [
        w / counted_total * HUNDRED if sc is not None and counted_total else None for w, sc in pairs
    ]
    per_section = [
        _lines(section, share, scale) for section, share in zip(sections, shares, strict=True)
    ]
    counted = [line for lines in per_section for line in lines if line.contribution is not None]
    if shown is not None:
        contributions = allocate([line.contribution for line in counted], shown)
        weights = allocate([line.effective_weight for line in counted], HUNDRED)
        settled = {
            id(line): replace(line, shown_contribution=c, shown_weight=w)
            for line, c, w in zip(counted, contributions, weights, strict=True)
        }
        per_section = [[settled.get(id(line), line) for line in lines] for lines in per_section]
    totals = tuple(
        SectionTotal(
            kind=section.kind,
            label=section.label,
            weight=section.weight,
            effective_weight=share,
            score=score,
            shown_score=q2(score) if score is not None else None,
            shown_contribution=(
                sum((line.shown_contribution or ZERO for line in lines), ZERO)
                if share is not None and shown is not None
                else None
            ),
        )
        for section, share, score, lines in zip(sections, shares, scores, per_section, strict=True)
    )

    steps: list[CalibrationLine] = []
    current = shown
    for change in calibration:
        to_score = q2(Decimal(change.to_score))
        delta = to_score - current if current is not None else None
        steps.append(CalibrationLine(current, to_score, delta, change.reason, change.by))
        current = to_score
    return Breakdown(
        lines=tuple(line for lines in per_section for line in lines),
        sections=totals,
        notes=tuple(_notes(sections, scale)),
        proposed_exact=exact,
        proposed_score=shown,
        calibration=tuple(steps),
        final_score=current,
        band=band_for(current, bands) if bands and current is not None else None,
        revisions=tuple(revisions),
    )


# --- Ratings revised after release ---------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """A manager rating changed after the result was released: the line ``key`` (an item),
    from → to, why, by whom, when (``at``: any comparable moment), and the score from the
    ratings before and after it (2 places)."""

    key: Any
    label: str
    from_rating: int | None
    to_rating: int
    reason: str
    by: str = ""
    at: Any = None
    proposed_before: Decimal | None = None
    proposed_after: Decimal | None = None

    @property
    def shift(self) -> Decimal:
        """How far this revision moved the score from the ratings."""
        if self.proposed_before is None or self.proposed_after is None:
            return ZERO
        return Decimal(self.proposed_after) - Decimal(self.proposed_before)


def carry_calibration(
    changes: Sequence[tuple[Any, CalibrationChange]],
    revisions: Sequence[Revision],
    scale: Scale,
) -> list[CalibrationChange]:
    """Calibration changes ``(at, change)`` as they stand after ratings were revised: a
    change made before a revision moves with the score that revision moved, so its delta
    — HR's judgement relative to the ratings — is kept (3.40 calibrated to 3.60, then a
    revision taking the ratings to 3.80, stands at 4.00), within the scale's bounds.
    Changes made after a revision stand as set. Without revisions: the changes as they are."""
    carried = []
    for at, change in changes:
        shift = sum((r.shift for r in revisions if r.at is not None and r.at > at), ZERO)
        if shift == 0:
            carried.append(change)
            continue
        moved = min(max(Decimal(change.to_score) + shift, scale.lowest), scale.highest)
        carried.append(replace(change, to_score=q2(moved)))
    return carried


# --- Rating bands -------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """Scores from ``low`` up to but excluding ``high`` (the top band includes its
    ``high``, the top of the scale). ``level`` is the scale level it is named after."""

    low: Decimal
    high: Decimal
    label: str
    level: int | None = None


def default_bands(scale: Scale) -> tuple[Band, ...]:
    """One band per level, named by its label: from the midpoint with the level below to
    the midpoint with the level above, clipped at the scale's ends. On 1–5: 1–1.5, 1.5–2.5,
    …, 4.5–5; a score of 3.5 is in the band of 4 (halves round up, as scores do)."""
    values = [Decimal(v) for v in scale.values]
    edges = [
        values[0],
        *((a + b) / 2 for a, b in zip(values, values[1:], strict=False)),
        values[-1],
    ]
    return tuple(
        Band(low=edges[i], high=edges[i + 1], label=level.label, level=level.value)
        for i, level in enumerate(scale.levels)
    )


def band_problems(bands: Sequence[Band], scale: Scale) -> list[str]:
    """What is wrong with a configured band list, in words; empty when the bands cover
    the scale's range exactly once (order of the list does not matter)."""
    if not bands:
        return [_("Give at least one band.")]
    problems: list[str] = []
    ordered = sorted(bands, key=lambda band: (band.low, band.high))
    single = scale.lowest == scale.highest
    for band in ordered:
        if not (band.label or "").strip():
            problems.append(_("Every band needs a label."))
        if band.high < band.low or (band.high == band.low and not single):
            problems.append(
                _("“%(band)s” must end above where it starts (%(low)s).")
                % {"band": band.label, "low": band.low}
            )
    if ordered[0].low != scale.lowest:
        problems.append(
            _("The lowest band must start at the bottom of the scale, %(low)s.")
            % {"low": scale.lowest}
        )
    if max(band.high for band in ordered) != scale.highest:
        problems.append(
            _("The highest band must end at the top of the scale, %(high)s.")
            % {"high": scale.highest}
        )
    for below, above in zip(ordered, ordered[1:], strict=False):
        if below.high < above.low:
            problems.append(
                _("No band covers scores from %(start)s to %(end)s.")
                % {"start": below.high, "end": above.low}
            )
        elif below.high > above.low:
            problems.append(
                _("“%(a)s” and “%(b)s” overlap from %(start)s to %(end)s.")
                % {
                    "a": below.label,
                    "b": above.label,
                    "start": above.low,
                    "end": min(below.high, above.high),
                }
            )
    return problems


def bands(scale: Scale, configured: Sequence[Band] | None = None) -> tuple[Band, ...]:
    """The bands in force, lowest first: the configured ones once checked (a DomainError
    listing every problem otherwise), else :func:`default_bands`."""
    if not configured:
        return default_bands(scale)
    problems = band_problems(configured, scale)
    if problems:
        raise DomainError(problems, code="invalid_bands")
    return tuple(sorted(configured, key=lambda band: band.low))


def band_for(score: Decimal | None, bands: Sequence[Band]) -> Band | None:
    """The band a score falls in (None for no score); a DomainError outside the bands."""
    if score is None:
        return None
    ordered = sorted(bands, key=lambda band: band.low)
    for band in ordered:
        if band.low <= score < band.high:
            return band
    if ordered and score == ordered[-1].high:
        return ordered[-1]
    raise DomainError(
        _("%(score)s is outside the rating bands.") % {"score": score}, code="out_of_bands"
    )


# --- Calibration aids: tendency and distribution ----------------------------------------


@dataclass(frozen=True)
class Spread:
    """How many scores, their mean and population standard deviation (None when none)."""

    count: int
    mean: Decimal | None
    std_dev: Decimal | None


def spread(scores: Iterable[Decimal | None]) -> Spread:
    """Mean and population standard deviation (√(Σ(x − mean)² / n)) of the given scores,
    skipping None."""
    given = [Decimal(s) for s in scores if s is not None]
    if not given:
        return Spread(0, None, None)
    mean = sum(given, ZERO) / len(given)
    variance = sum(((s - mean) ** 2 for s in given), ZERO) / len(given)
    return Spread(len(given), mean, variance.sqrt())


@dataclass(frozen=True)
class Tendency:
    """A manager's rating tendency against the organisation: ``difference`` = their mean
    − the organisation's; ``flagged`` when far off (see :func:`rating_tendencies`)."""

    manager: Any
    spread: Spread
    difference: Decimal | None
    flagged: bool


MIN_PEOPLE = 3
MAX_POINTS = Decimal("0.5")


def rating_tendencies(
    scores_by_manager: Mapping[Any, Sequence[Decimal | None]],
    *,
    organisation: Sequence[Decimal | None] | None = None,
    min_people: int = MIN_PEOPLE,
    max_points: Decimal = MAX_POINTS,
) -> tuple[Spread, list[Tendency]]:
    """Each manager's mean and spread against the organisation's.

    The organisation is ``organisation`` if given (every scored person), else everyone
    the managers rated, pooled. A manager is flagged when they rated at least
    ``min_people`` people (3) and their mean is further from the organisation's than one
    organisation standard deviation or than ``max_points`` (0.5 points), whichever is
    smaller: strictly further, so a manager exactly on the line is not flagged. Managers
    come back in the mapping's order."""
    org = spread(
        organisation
        if organisation is not None
        else [s for scores in scores_by_manager.values() for s in scores]
    )
    tendencies = []
    for manager, scores in scores_by_manager.items():
        own = spread(scores)
        difference = own.mean - org.mean if own.mean is not None else None
        limit = min(org.std_dev, max_points) if org.std_dev is not None else max_points
        flagged = difference is not None and own.count >= min_people and abs(difference) > limit
        tendencies.append(Tendency(manager, own, difference, flagged))
    return org, tendencies


@dataclass(frozen=True)
class DistributionRow:
    """One band: how many people, their % of the scored (1 place, allocated to total
    100.0), the guideline's % and the difference (None without a usable guideline)."""

    band: Band
    count: int
    percent: Decimal
    guideline: Decimal | None
    difference: Decimal | None


@dataclass(frozen=True)
class Distribution:
    rows: tuple[DistributionRow, ...]
    scored: int
    unscored: int
    guideline_problem: str | None = None


def guideline_problem(guideline: Sequence[Any] | None, bands: Sequence[Band]) -> str | None:
    """Why a guideline (% per band, lowest first) does not fit the bands, or None. It
    must give each band a % of 0 or more, totalling 100."""
    if guideline is None:
        return None
    try:
        values = [Decimal(str(g)) for g in guideline]
    except ArithmeticError:
        return _("The guideline must give a number for each band.")
    if len(values) != len(bands):
        return _(
            "The guideline gives %(given)s bands but the scale has %(bands)s: give one %% per band."
        ) % {"given": len(values), "bands": len(bands)}
    if any(not v.is_finite() or v < 0 for v in values) or sum(values, ZERO) != HUNDRED:
        return _("The guideline's percentages must be 0 or more and total 100.")
    return None


def distribution(
    scores: Iterable[Decimal | None],
    bands: Sequence[Band],
    guideline: Sequence[Any] | None = None,
) -> Distribution:
    """Counts and % per band (lowest first) of the scores given, against the guideline —
    a guide to discuss, not a quota. A guideline that does not fit is left out of the rows
    and its problem reported (the board still shows the counts)."""
    ordered = sorted(bands, key=lambda band: band.low)
    given = list(scores)
    counts = [0] * len(ordered)
    for score in given:
        if score is not None:
            counts[ordered.index(band_for(Decimal(score), ordered))] += 1
    scored = sum(counts)
    exact = [Decimal(c) * HUNDRED / scored if scored else ZERO for c in counts]
    shown = allocate(exact, HUNDRED if scored else ZERO, TENTH)
    problem = guideline_problem(guideline, ordered)
    guide = [Decimal(str(g)) for g in guideline] if guideline is not None and not problem else None
    rows = tuple(
        DistributionRow(
            band=band,
            count=counts[i],
            percent=shown[i],
            guideline=guide[i] if guide else None,
            difference=shown[i] - guide[i] if guide else None,
        )
        for i, band in enumerate(ordered)
    )
    return Distribution(rows, scored, len(given) - scored, problem)
