"""Explainable scoring (appraisal/scoring.py): pure functions, no database.

Examples a user would recognise (Frappe's 5 + 5 + nothing, OrangeHRM's 5.9 on a 5-point
scale), then properties over generated appraisals (hypothesis)."""

from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from appraisal.scoring import (
    Band,
    CalibrationChange,
    GoalFacts,
    RatedItem,
    RatedSection,
    Scale,
    allocate,
    band_for,
    band_problems,
    bands,
    calibrate,
    default_bands,
    distribution,
    guideline_problem,
    item_score,
    proposed_score,
    rating_tendencies,
    score_breakdown,
    section_score,
    spread,
    suggested_rating,
    validate_rating,
)
from goals.rules import Threshold
from perfcycle.workflow import DomainError

LABELS = ("Unsatisfactory", "Needs improvement", "Meets", "Exceeds", "Outstanding")
FIVE = Scale.of(
    [{"value": v, "label": label, "descriptor": ""} for v, label in enumerate(LABELS, start=1)]
)
# The rule of tests/appraisal/factories.make_indicator.
RULE = [
    Threshold(D(start), level) for start, level in ((0, 1), (60, 2), (90, 3), (110, 4), (130, 5))
]
PROPERTY = settings(max_examples=200, deadline=None)


def item(label, weight, rating, key=None):
    return RatedItem(label=label, weight=D(weight), rating=rating, key=key)


def section(kind, weight, *items, label=None):
    return RatedSection(kind=kind, label=label or kind.title(), weight=D(weight), items=items)


def shown_lines_total(breakdown):
    return sum(
        (
            line.shown_contribution
            for line in breakdown.lines
            if line.shown_contribution is not None
        ),
        D("0"),
    )


# --- Ratings are levels -------------------------------------------------------------------


@pytest.mark.parametrize("value", [D("5.9"), D("0"), D("6"), 0, 6, -1, D("4.5"), D("NaN")])
def test_a_rating_between_or_outside_the_levels_is_refused(value):
    """OrangeHRM takes 5.9 on a 5-point KPI; here 5.9, 0 and 6 are refused, naming the
    levels to choose from."""
    with pytest.raises(DomainError) as refused:
        validate_rating(value, FIVE)
    assert "1, 2, 3, 4, 5" in refused.value.messages[0]


@pytest.mark.parametrize("value", ["4", 4.0, True, None])
def test_a_rating_that_is_not_a_number_the_caller_parsed_is_refused(value):
    """Text, floats, booleans and no value are refused, not guessed at."""
    with pytest.raises(DomainError):
        validate_rating(value, FIVE)


def test_a_whole_decimal_names_its_level():
    assert validate_rating(D("4.0"), FIVE) == 4
    assert validate_rating(1, FIVE) == 1
    assert validate_rating(D(5), FIVE) == 5


def test_a_scale_with_gaps_in_its_values_accepts_only_its_own_values():
    scale = Scale.of([{"value": v, "label": str(v)} for v in (5, 1, 3)])
    assert scale.values == (1, 3, 5)
    assert validate_rating(3, scale) == 3
    with pytest.raises(DomainError):
        validate_rating(2, scale)


# --- Suggested rating ---------------------------------------------------------------------


def quantitative(target="100", actual="95", baseline=None, kind="quantitative"):
    return GoalFacts(
        indicator_kind=kind,
        direction="higher",
        target=D(target) if target is not None else None,
        actual=D(actual) if actual is not None else None,
        baseline=D(baseline) if baseline is not None else None,
    )


def test_a_quantitative_goal_is_suggested_the_level_its_achievement_earns():
    """95 of a target of 100 is 95 %: from 90 % the rule gives 3, "Meets"."""
    suggestion = suggested_rating(quantitative(), RULE, FIVE)
    assert suggestion.achievement == D("95.00")
    assert suggestion.value == 3
    assert suggestion.level.label == "Meets"


def test_overachievement_reaches_the_top_level():
    assert suggested_rating(quantitative(actual="140"), RULE, FIVE).value == 5


@pytest.mark.parametrize(
    "goal",
    [
        quantitative(kind="qualitative"),
        quantitative(kind="behavioural"),
        quantitative(kind=None),
        quantitative(actual=None),
        quantitative(target=None),
    ],
)
def test_no_suggestion_without_a_measurable_result(goal):
    """Qualitative goals, goals without an indicator, a target or an actual yet: the
    manager rates them, nothing is suggested."""
    suggestion = suggested_rating(goal, RULE, FIVE)
    assert suggestion.level is None and suggestion.achievement is None


def test_no_suggestion_without_a_rule_or_from_a_level_the_scale_lacks():
    assert suggested_rating(quantitative(), [], FIVE).value is None
    three = Scale.of([{"value": v, "label": str(v)} for v in (1, 2)])
    suggestion = suggested_rating(quantitative(), RULE, three)
    assert suggestion.value is None
    assert suggestion.achievement == D("95.00")


# --- Composition and re-weighting -----------------------------------------------------------


def test_frappe_5_plus_5_plus_nothing_is_5_not_3_33():
    """Frappe HRMS averages goal, self and feedback scores counting a missing one as 0
    (its #2023: 5 + 5 + nothing = 3.33). A section without input is re-weighted away."""
    sections = [
        section("goals", "33.33", item("Ship the roadmap", 100, 5)),
        section("competencies", "33.33", item("Teamwork", 100, 5)),
        section("peer", "33.34", item("Peer view", 100, None), label="Peer input"),
    ]
    breakdown = score_breakdown(sections, scale=FIVE)
    assert breakdown.proposed_score == D("5.00")
    assert breakdown.final_score == D("5.00")
    [note] = breakdown.reweighted
    assert note.section == "Peer input" and note.item is None
    assert "Peer input has no ratings" in note.message
    assert "33.34 %" in note.message
    peer_total = breakdown.sections[2]
    assert peer_total.score is None and peer_total.shown_contribution is None


def test_an_unrated_item_shares_its_weight_within_its_section():
    sections = [
        section(
            "goals",
            100,
            item("Revenue", 50, 4),
            item("Churn", 25, None),
            item("Hiring", 25, 2),
        )
    ]
    breakdown = score_breakdown(sections, scale=FIVE)
    # (50 × 4 + 25 × 2) / 75 = 3.333…
    assert breakdown.proposed_score == D("3.33")
    revenue, churn, hiring = breakdown.lines
    assert churn.rating is None and churn.contribution is None and churn.shown_weight is None
    assert revenue.shown_weight + hiring.shown_weight == D("100.00")
    assert (revenue.shown_weight, hiring.shown_weight) == (D("66.67"), D("33.33"))
    assert revenue.shown_contribution + hiring.shown_contribution == D("3.33")
    [note] = breakdown.reweighted
    assert note.item == "Churn" and "“Churn” was not rated" in note.message


def test_nothing_rated_gives_no_score():
    sections = [section("goals", 60, item("A", 100, None)), section("peer", 40)]
    breakdown = score_breakdown(sections, scale=FIVE)
    assert breakdown.proposed_score is None and breakdown.final_score is None
    assert proposed_score(sections, FIVE) is None
    assert all(line.shown_contribution is None for line in breakdown.lines)
    assert len(breakdown.reweighted) == 2


def test_weights_not_totalling_100_count_in_proportion_and_say_so():
    sections = [section("goals", 90, item("A", 60, 5), item("B", 30, 2))]
    breakdown = score_breakdown(sections, scale=FIVE)
    assert breakdown.proposed_score == D("4.00")  # (60 × 5 + 30 × 2) / 90
    assert [note.kind for note in breakdown.notes] == ["scaled", "scaled"]
    assert "total 90 %" in breakdown.notes[0].message
    assert not breakdown.reweighted


def test_peer_input_is_the_mean_of_the_answers_given():
    assert item_score([3, 4, None, 5]) == D("4")
    assert item_score([None, None]) is None
    peer = section("peer", 100, item("Collaboration", 100, item_score([4, 5])))
    assert section_score(peer, FIVE) == D("4.5")


def test_a_rating_outside_the_scale_cannot_enter_a_score():
    with pytest.raises(DomainError):
        score_breakdown([section("goals", 100, item("A", 100, D("5.9")))], scale=FIVE)
    with pytest.raises(DomainError):
        score_breakdown([section("goals", 100, item("A", -10, 3))], scale=FIVE)


def test_the_breakdown_lines_add_up_to_the_score_shown_on_a_three_way_tie():
    """Thirds: the exact contributions are 1.333… + 1.333… + 1.666…, rounded 1.33 +
    1.33 + 1.67 = 4.33, which is the score shown (4.333… → 4.33)."""
    sections = [
        section("goals", 100, item("A", "33.33", 4), item("B", "33.33", 4), item("C", "33.34", 5))
    ]
    breakdown = score_breakdown(sections, scale=FIVE)
    assert breakdown.proposed_score == D("4.33")
    assert [line.shown_contribution for line in breakdown.lines] == [
        D("1.33"),
        D("1.33"),
        D("1.67"),
    ]
    assert shown_lines_total(breakdown) == breakdown.proposed_score


def test_the_largest_remainder_gets_the_missing_cent():
    """Two halves of 3.75 (1.875 each) show as 1.88 + 1.87: the cent goes to the first."""
    assert allocate([D("1.875"), D("1.875")], D("3.75")) == [D("1.88"), D("1.87")]
    assert allocate([D("0.004"), D("0.004"), D("0.002")], D("0.01")) == [D("0.01"), D("0"), D("0")]


# --- Calibration ----------------------------------------------------------------------------


def test_hr_sets_a_level_and_the_breakdown_shows_from_to_and_the_change():
    sections = [section("goals", 100, item("A", 50, 3), item("B", 50, 4))]
    proposed = score_breakdown(sections, scale=FIVE).proposed_score
    assert proposed == D("3.50")
    change = calibrate(proposed, scale=FIVE, reason="Led the migration", to_level=4, by="HR")
    breakdown = score_breakdown(
        sections, scale=FIVE, calibration=[change], bands=default_bands(FIVE)
    )
    [line] = breakdown.calibration
    assert (line.from_score, line.delta, line.to_score) == (D("3.50"), D("0.50"), D("4.00"))
    assert line.reason == "Led the migration" and line.by == "HR"
    assert breakdown.proposed_score == D("3.50") and breakdown.final_score == D("4.00")
    assert breakdown.band.label == "Exceeds"


def test_a_delta_applies_to_the_score_shown():
    change = calibrate(D("3.47"), scale=FIVE, reason="Calibrated", delta=D("-0.22"))
    assert change.to_score == D("3.25")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "", "delta": D("0.5")}, "reason"),
        ({"reason": "x"}, "delta"),
        ({"reason": "x", "delta": D("0.5"), "to_level": 4}, "delta"),
        ({"reason": "x", "delta": D("0.005")}, "delta"),
        ({"reason": "x", "delta": D("2")}, "delta"),
        ({"reason": "x", "delta": D("0")}, "delta"),
        ({"reason": "x", "to_level": 6}, "to_level"),
        ({"reason": "x", "to_level": D("4.5")}, "to_level"),
    ],
)
def test_a_calibration_change_is_refused_at_its_field(kwargs, field):
    """No reason, neither or both of change and level, steps finer than 0.01, a result
    off the scale (3.50 + 2 = 5.50) or a change that changes nothing."""
    with pytest.raises(DomainError) as refused:
        calibrate(D("3.50"), scale=FIVE, **kwargs)
    assert field in refused.value.message_dict


def test_nothing_rated_cannot_be_calibrated():
    with pytest.raises(DomainError):
        calibrate(None, scale=FIVE, reason="x", to_level=3)


def test_changes_chain_from_the_score_before_each():
    sections = [section("goals", 100, item("A", 100, 3))]
    changes = [CalibrationChange(D("3.50"), "first"), CalibrationChange(D("3.25"), "second")]
    breakdown = score_breakdown(sections, scale=FIVE, calibration=changes)
    assert [line.delta for line in breakdown.calibration] == [D("0.50"), D("-0.25")]
    assert breakdown.final_score == D("3.25")


# --- Bands ----------------------------------------------------------------------------------


def test_default_bands_are_the_levels_between_midpoints():
    made = default_bands(FIVE)
    assert [(b.low, b.high, b.label) for b in made] == [
        (D("1"), D("1.5"), "Unsatisfactory"),
        (D("1.5"), D("2.5"), "Needs improvement"),
        (D("2.5"), D("3.5"), "Meets"),
        (D("3.5"), D("4.5"), "Exceeds"),
        (D("4.5"), D("5"), "Outstanding"),
    ]
    assert band_for(D("1"), made).level == 1
    assert band_for(D("3.49"), made).level == 3
    assert band_for(D("3.50"), made).level == 4  # halves round up, as scores do
    assert band_for(D("5"), made).level == 5
    assert band_for(None, made) is None
    with pytest.raises(DomainError):
        band_for(D("5.01"), made)


def test_configured_bands_with_a_gap_or_an_overlap_are_refused():
    gap = [Band(D(1), D("2.5"), "Low"), Band(D("2.6"), D(5), "High")]
    overlap = [Band(D(1), D("3"), "Low"), Band(D("2.5"), D(5), "High")]
    short = [Band(D("1.5"), D("4"), "Middle")]
    assert band_problems(gap, FIVE) == ["No band covers scores from 2.5 to 2.6."]
    assert band_problems(overlap, FIVE) == ["“Low” and “High” overlap from 2.5 to 3."]
    assert band_problems(short, FIVE) == [
        "The lowest band must start at the bottom of the scale, 1.",
        "The highest band must end at the top of the scale, 5.",
    ]
    with pytest.raises(DomainError) as refused:
        bands(FIVE, gap)
    assert refused.value.messages == ["No band covers scores from 2.5 to 2.6."]


def test_configured_bands_that_fit_are_used_in_order():
    three = [Band(D("4"), D(5), "Top"), Band(D(1), D("2"), "Low"), Band(D(2), D(4), "Solid")]
    assert [b.label for b in bands(FIVE, three)] == ["Low", "Solid", "Top"]
    assert bands(FIVE) == default_bands(FIVE)


# --- Tendency and distribution --------------------------------------------------------------


def test_spread_is_the_population_standard_deviation():
    result = spread([D(2), D(4), D(4), D(4), D(5), D(5), D(7), D(9)])
    assert (result.count, result.mean, result.std_dev) == (8, D(5), D(2))
    assert spread([None]).mean is None


def test_a_lenient_manager_with_enough_people_is_flagged():
    """The organisation averages 3.2 (σ ≈ 0.75); a manager at 4.33 is over 1 point
    above: flagged. One rating 2 people far off is not judged (fewer than 3)."""
    org, tendencies = rating_tendencies(
        {
            "lenient": [D(4), D(4), D(5)],
            "middle": [D(3), D(3), D(3), D("3.5")],
            "few": [D(1), D(2)],
        }
    )
    flags = {t.manager: t.flagged for t in tendencies}
    assert flags == {"lenient": True, "middle": False, "few": False}
    assert org.count == 9
    lenient = tendencies[0]
    assert lenient.difference == lenient.spread.mean - org.mean > D("0.5")


def test_distribution_against_the_guideline():
    scores = [D("1.2"), D("3"), D("3.1"), D("3.4"), D("4.6"), None]
    result = distribution(scores, default_bands(FIVE), [10, 20, 40, 20, 10])
    assert (result.scored, result.unscored) == (5, 1)
    assert [row.count for row in result.rows] == [1, 0, 3, 0, 1]
    assert [row.percent for row in result.rows] == [
        D("20.0"),
        D("0.0"),
        D("60.0"),
        D("0.0"),
        D("20.0"),
    ]
    assert [row.difference for row in result.rows] == [D(10), D(-20), D(20), D(-20), D(10)]
    assert result.guideline_problem is None


def test_a_guideline_that_does_not_fit_still_shows_the_counts():
    result = distribution([D(3)], default_bands(FIVE), [25, 50, 25])
    assert result.guideline_problem.startswith("The guideline gives 3 bands but the scale has 5")
    assert [row.guideline for row in result.rows] == [None] * 5
    assert result.rows[2].count == 1
    assert guideline_problem([10, 20, 40, 20, 20], default_bands(FIVE)) is not None
    assert guideline_problem([10, 20, 40, 20, 10], default_bands(FIVE)) is None


# --- Properties (hypothesis) ----------------------------------------------------------------


@st.composite
def scales(draw):
    values = draw(st.sets(st.integers(1, 10), min_size=2, max_size=7))
    return Scale.of([{"value": v, "label": f"Level {v}"} for v in values])


@st.composite
def weights_totalling_100(draw, count):
    """``count`` weights of 2 places (some may be 0) totalling exactly 100."""
    cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=count - 1, max_size=count - 1)))
    edges = [0, *cuts, 10000]
    return [D(b - a) / 100 for a, b in zip(edges, edges[1:], strict=False)]


@st.composite
def appraisals(draw, scale=None, rated=0.8):
    """A scale and sections (weights totalling 100) of items (weights totalling 100),
    most of them rated with a level of the scale, some not."""
    scale = scale or draw(scales())
    levels = st.sampled_from([D(v) for v in scale.values])
    section_weights = draw(weights_totalling_100(draw(st.integers(1, 4))))
    sections = []
    for s, section_weight in enumerate(section_weights):
        item_weights = draw(weights_totalling_100(draw(st.integers(1, 4))))
        items = tuple(
            RatedItem(
                label=f"Item {s}.{i}",
                weight=weight,
                rating=draw(levels) if rated >= 1 or draw(st.floats(0, 1)) < rated else None,
            )
            for i, weight in enumerate(item_weights)
        )
        sections.append(RatedSection(f"kind{s}", f"Section {s}", section_weight, items))
    return scale, sections


def positions(sections):
    return [(s, i) for s, sec in enumerate(sections) for i in range(len(sec.items))]


def with_rating(sections, at, rating):
    s, i = at
    items = list(sections[s].items)
    items[i] = RatedItem(items[i].label, items[i].weight, rating)
    changed = list(sections)
    changed[s] = RatedSection(sections[s].kind, sections[s].label, sections[s].weight, tuple(items))
    return changed


def without_item(sections, at):
    s, i = at
    items = tuple(x for n, x in enumerate(sections[s].items) if n != i)
    changed = list(sections)
    changed[s] = RatedSection(sections[s].kind, sections[s].label, sections[s].weight, items)
    return changed


@PROPERTY
@given(appraisals())
def test_property_weights_totalling_100_keep_the_score_within_the_scale(case):
    scale, sections = case
    breakdown = score_breakdown(sections, scale=scale)
    if breakdown.proposed_exact is None:
        assert all(
            item.rating is None or item.weight == 0 or sec.weight == 0
            for sec in sections
            for item in sec.items
        )
        return
    assert scale.lowest <= breakdown.proposed_exact <= scale.highest
    assert scale.lowest <= breakdown.proposed_score <= scale.highest
    assert breakdown.final_score == breakdown.proposed_score


@PROPERTY
@given(appraisals(rated=1.0), st.data())
def test_property_the_score_never_falls_when_a_rating_rises(case, data):
    scale, sections = case
    at = data.draw(st.sampled_from(positions(sections)))
    s, i = at
    current = sections[s].items[i].rating
    higher = data.draw(st.sampled_from([D(v) for v in scale.values if v >= current]))
    before = proposed_score(sections, scale)
    after = proposed_score(with_rating(sections, at, higher), scale)
    if before is not None:
        assert after >= before
        assert score_breakdown(with_rating(sections, at, higher), scale=scale).proposed_score >= (
            score_breakdown(sections, scale=scale).proposed_score
        )


@PROPERTY
@given(appraisals(rated=1.0), st.data())
def test_property_a_missing_item_is_reweighted_away_never_counted_as_zero(case, data):
    """Leaving one item unrated gives exactly the score of the same appraisal without that
    item; and within its section the score is at least what counting it as 0 would give
    (Σ rated weight × rating / Σ all weights), strictly more when the item carries weight
    and another weighted item of the section is rated (levels are at least 1)."""
    scale, sections = case
    at = data.draw(st.sampled_from(positions(sections)))
    missing = with_rating(sections, at, None)
    assert proposed_score(missing, scale) == proposed_score(without_item(sections, at), scale)

    s, i = at
    sec = missing[s]
    reweighted = section_score(sec, scale)
    all_weights = sum((x.weight for x in sec.items), D(0))
    as_zero = sum((x.weight * (x.rating or 0) for x in sec.items), D(0)) / all_weights
    others = sum((x.weight for x in sec.items if x.rating is not None), D(0))
    if reweighted is None:
        assert others == 0
        return
    assert reweighted >= as_zero
    if sec.items[i].weight > 0:
        assert reweighted > as_zero
    names = [(n.section, n.item) for n in score_breakdown(missing, scale=scale).reweighted]
    if sec.weight > 0 and sec.items[i].weight > 0:
        assert (sec.label, sec.items[i].label) in names


@PROPERTY
@given(appraisals(rated=0.5))
def test_property_a_section_without_input_counts_as_if_absent(case):
    scale, sections = case
    present = [s for s in sections if section_score(s, scale) is not None]
    assert proposed_score(sections, scale) == proposed_score(present, scale)


@PROPERTY
@given(appraisals(), st.lists(st.integers(-400, 400), min_size=1, max_size=4))
def test_property_calibration_deltas_are_reflected_exactly(case, cents):
    scale, sections = case
    proposed = score_breakdown(sections, scale=scale).proposed_score
    assume(proposed is not None)
    changes, applied, current = [], [], proposed
    for c in cents:
        delta = D(c) / 100
        try:
            change = calibrate(current, scale=scale, reason="calibrated", delta=delta)
        except DomainError:
            assert delta == 0 or not scale.lowest <= current + delta <= scale.highest
            continue
        changes.append(change)
        applied.append(delta)
        current = change.to_score
    breakdown = score_breakdown(sections, scale=scale, calibration=changes)
    assert [line.delta for line in breakdown.calibration] == applied
    assert breakdown.final_score == breakdown.proposed_score + sum(applied, D(0))
    assert scale.lowest <= breakdown.final_score <= scale.highest


@PROPERTY
@given(appraisals(rated=0.7))
def test_property_the_breakdown_shown_adds_up_to_the_score_shown(case):
    """Σ of the lines shown = Σ of the section subtotals shown = the score shown; each
    shown line is within a cent of its exact value; shown weights total 100.00 %."""
    scale, sections = case
    breakdown = score_breakdown(sections, scale=scale)
    if breakdown.proposed_score is None:
        return
    assert shown_lines_total(breakdown) == breakdown.proposed_score
    subtotals = [
        t.shown_contribution for t in breakdown.sections if t.shown_contribution is not None
    ]
    assert sum(subtotals, D(0)) == breakdown.proposed_score
    counted = [line for line in breakdown.lines if line.contribution is not None]
    assert all(abs(line.shown_contribution - line.contribution) < D("0.01") for line in counted)
    assert sum((line.shown_weight for line in counted), D(0)) == D("100.00")
    assert all(line.shown_contribution.as_tuple().exponent == -2 for line in counted)


@PROPERTY
@given(scales(), st.data())
def test_property_default_bands_cover_the_scale_once(scale, data):
    made = default_bands(scale)
    assert band_problems(made, scale) == []
    cents = data.draw(st.integers(int(scale.lowest * 100), int(scale.highest * 100)))
    score = D(cents) / 100
    holding = [b for b in made if b.low <= score < b.high or (b is made[-1] and score == b.high)]
    assert len(holding) == 1
    assert band_for(score, made) is holding[0]
    for level in scale.values:
        assert band_for(D(level), made).level == level


@PROPERTY
@given(scales(), st.data())
def test_property_configured_bands_fit_exactly_or_are_refused(scale, data):
    low, high = int(scale.lowest * 100), int(scale.highest * 100)
    cuts = sorted(data.draw(st.sets(st.integers(low + 1, high - 1), max_size=5)))
    edges = [D(c) / 100 for c in (low, *cuts, high)]
    fitting = [Band(a, b, f"B{n}") for n, (a, b) in enumerate(zip(edges, edges[1:], strict=False))]
    assert band_problems(fitting, scale) == []
    if len(fitting) > 1:
        n = data.draw(st.integers(0, len(fitting) - 2))
        shift = data.draw(st.sampled_from([D("-0.01"), D("0.01")]))
        moved = list(fitting)
        moved[n] = Band(fitting[n].low, fitting[n].high + shift, fitting[n].label)
        assume(moved[n].high > moved[n].low)
        problems = band_problems(moved, scale)
        assert problems
        assert ("No band covers" if shift < 0 else "overlap") in problems[0]


@PROPERTY
@given(scales(), st.decimals(-1, 12, places=1, allow_nan=False))
def test_property_only_the_scales_levels_are_accepted(scale, value):
    integral = value == value.to_integral_value()
    if integral and int(value) in scale.values:
        assert validate_rating(value, scale) == int(value)
    else:
        with pytest.raises(DomainError):
            validate_rating(value, scale)


@PROPERTY
@given(st.lists(st.decimals(0, 50, places=4), max_size=12), st.data())
def test_property_allocation_adds_up_and_stays_within_a_cent(values, data):
    total = sum(values, D(0)).quantize(D("0.01"))
    shown = allocate(values, total)
    assert sum(shown, D(0)) == total
    assert all(abs(s - v) < D("0.01") for s, v in zip(shown, values, strict=True))


@PROPERTY
@given(scales(), st.data())
def test_property_the_distribution_counts_everyone_and_totals_100(scale, data):
    made = default_bands(scale)
    low, high = int(scale.lowest * 100), int(scale.highest * 100)
    scores = data.draw(
        st.lists(st.one_of(st.none(), st.integers(low, high).map(lambda c: D(c) / 100)))
    )
    result = distribution(scores, made)
    assert result.scored + result.unscored == len(scores)
    assert sum(row.count for row in result.rows) == result.scored
    assert sum((row.percent for row in result.rows), D(0)) == (D(100) if result.scored else 0)


def test_a_scale_reads_the_snapshot_or_level_rows_alike():
    """The appraisal's ``scale_levels`` snapshot (dicts) and RatingLevel-like rows give
    the same scale, lowest first."""
    rows = [
        SimpleNamespace(value=v, label=label, descriptor="") for v, label in ((2, "B"), (1, "A"))
    ]
    snapshot = [{"value": 1, "label": "A", "descriptor": ""}, {"value": 2, "label": "B"}]
    assert Scale.of(rows) == Scale.of(snapshot)
    assert Scale.of(rows).lowest == D(1) and Scale.of(rows).level(2).label == "B"
    with pytest.raises(ValueError):
        Scale.of([{"value": 1, "label": "A"}, {"value": 1, "label": "B"}])
