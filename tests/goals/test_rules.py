"""Pure planning arithmetic (goals/rules.py): no database, no Django models."""

from decimal import Decimal as D

import pytest

from goals.rules import (
    Threshold,
    achievement_percent,
    actual_value_bounds,
    actual_value_in_bounds,
    check_thresholds,
    goal_progress,
    level_for,
    roll_up,
    weight_gap,
    would_create_cycle,
)

RULE = [Threshold(D("0"), 2), Threshold(D("80"), 3), Threshold(D("100"), 4), Threshold(D("120"), 5)]
FIVE_LEVELS = [1, 2, 3, 4, 5]


# --- achievement_percent ---------------------------------------------------------------


def test_higher_is_better_measures_progress_from_baseline():
    """From 100 towards 200, reaching 150 is half way: 50 %."""
    assert achievement_percent(
        baseline=D("100"), target=D("200"), actual=D("150"), direction="higher"
    ) == D("50.00")


def test_higher_is_better_may_exceed_100():
    """Beating the target reads above 100 %."""
    assert achievement_percent(
        baseline=D("0"), target=D("200"), actual=D("250"), direction="higher"
    ) == D("125.00")


def test_higher_is_better_without_baseline_starts_at_zero():
    """No baseline means progress is counted from 0."""
    assert achievement_percent(
        baseline=None, target=D("80"), actual=D("60"), direction="higher"
    ) == D("75.00")


def test_higher_is_better_never_goes_below_zero():
    """Falling below the baseline is 0 %, not negative."""
    assert achievement_percent(
        baseline=D("100"), target=D("200"), actual=D("50"), direction="higher"
    ) == D("0")


def test_lower_is_better_measures_reduction_from_baseline():
    """Cutting defects from 40 towards 20, reaching 30 is half way."""
    assert achievement_percent(
        baseline=D("40"), target=D("20"), actual=D("30"), direction="lower"
    ) == D("50.00")


def test_lower_is_better_beating_target_exceeds_100():
    """Going below a lower-is-better target reads above 100 %."""
    assert achievement_percent(
        baseline=D("40"), target=D("20"), actual=D("10"), direction="lower"
    ) == D("150.00")


def test_lower_is_better_without_baseline_is_target_over_actual():
    """Without a baseline, lower-is-better reads as target / actual."""
    assert achievement_percent(
        baseline=None, target=D("5"), actual=D("10"), direction="lower"
    ) == D("50.00")


def test_lower_is_better_without_baseline_and_zero_actual_is_capped():
    """An actual of 0 (nothing left at all) is a capped 200 %, not a division by zero."""
    assert achievement_percent(baseline=None, target=D("5"), actual=D("0"), direction="lower") == D(
        "200.00"
    )


def test_on_target_is_100_and_falls_by_the_relative_miss_either_way():
    """Hit the target: 100 %; 10 % over or under both read 90 %."""
    on = achievement_percent(baseline=None, target=D("50"), actual=D("50"), direction="target")
    over = achievement_percent(baseline=None, target=D("50"), actual=D("55"), direction="target")
    under = achievement_percent(baseline=None, target=D("50"), actual=D("45"), direction="target")
    assert (on, over, under) == (D("100"), D("90.00"), D("90.00"))


def test_on_target_far_off_is_zero():
    """Missing by more than the target itself bottoms out at 0 %."""
    assert achievement_percent(
        baseline=None, target=D("10"), actual=D("30"), direction="target"
    ) == D("0")


def test_on_target_with_zero_target():
    """A zero target is met only by exactly zero."""
    assert (
        achievement_percent(baseline=None, target=D("0"), actual=D("0"), direction="target") == 100
    )
    assert achievement_percent(baseline=None, target=D("0"), actual=D("1"), direction="target") == 0


def test_target_below_baseline_measures_the_move_towards_the_target():
    """A target below the baseline counts progress downwards towards it; moving away is 0 %."""
    assert achievement_percent(
        baseline=D("100"), target=D("80"), actual=D("90"), direction="higher"
    ) == D("50.00")
    assert achievement_percent(
        baseline=D("100"), target=D("80"), actual=D("120"), direction="higher"
    ) == D("0")


def test_zero_span_counts_reached_or_not():
    """Baseline equal to target: reached is 100 %, not reached is 0 % (no division by zero)."""
    assert achievement_percent(
        baseline=D("50"), target=D("50"), actual=D("60"), direction="higher"
    ) == D("100")
    assert achievement_percent(
        baseline=D("50"), target=D("50"), actual=D("40"), direction="higher"
    ) == D("0")
    assert achievement_percent(
        baseline=D("50"), target=D("50"), actual=D("40"), direction="lower"
    ) == D("100")
    assert achievement_percent(
        baseline=D("50"), target=D("50"), actual=D("60"), direction="lower"
    ) == D("0")


def test_goal_progress_is_capped_to_0_100_and_zero_without_numbers():
    """Roll-up progress never exceeds 100 % and is 0 without a target or an actual."""
    assert goal_progress(baseline=None, target=D("10"), actual=D("30"), direction="higher") == 100
    assert goal_progress(baseline=None, target=None, actual=D("3"), direction="higher") == 0
    assert goal_progress(baseline=None, target=D("3"), actual=None, direction="higher") == 0


# --- level_for -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("achievement", "level"),
    [("0", 2), ("50", 2), ("79.99", 2), ("80", 3), ("99", 3), ("100", 4), ("120", 5), ("300", 5)],
)
def test_level_for_takes_the_highest_threshold_reached(achievement, level):
    """Each threshold applies from its achievement % upwards, boundary included."""
    assert level_for(D(achievement), RULE) == level


def test_level_for_ignores_threshold_order():
    """Thresholds may come in any order."""
    assert level_for(D("105"), list(reversed(RULE))) == 4


def test_level_for_below_every_threshold_is_none():
    """A rule not starting at 0 leaves low results unrated."""
    assert level_for(D("10"), [Threshold(D("50"), 3)]) is None


# --- check_thresholds ------------------------------------------------------------------


def test_sound_rule_has_no_problems():
    """The example rule 0→2, 80→3, 100→4, 120→5 on a 5-point scale is sound."""
    assert check_thresholds(RULE, FIVE_LEVELS) == []


def test_empty_rule_is_refused():
    """A rule needs at least one threshold."""
    assert check_thresholds([], FIVE_LEVELS) == ["A scoring rule needs at least one threshold."]


def test_rule_must_start_at_zero():
    """Without a threshold at 0 %, some results would get no rating."""
    problems = check_thresholds([Threshold(D("10"), 2), Threshold(D("80"), 3)], FIVE_LEVELS)
    assert problems == ["The first threshold must start at 0 % so every result gets a rating."]


def test_two_thresholds_at_the_same_start_are_refused():
    """Each threshold starts at its own achievement %."""
    problems = check_thresholds(
        [Threshold(D("0"), 2), Threshold(D("80"), 3), Threshold(D("80"), 4)], FIVE_LEVELS
    )
    assert "Two thresholds start at the same achievement %." in problems


def test_negative_threshold_is_refused():
    """Achievement % thresholds are never negative."""
    problems = check_thresholds([Threshold(D("-5"), 2), Threshold(D("0"), 3)], FIVE_LEVELS)
    assert "-5 %: thresholds cannot be negative." in problems


def test_level_outside_the_scale_is_refused():
    """Every level named must exist on the chosen scale."""
    problems = check_thresholds([Threshold(D("0"), 2), Threshold(D("100"), 7)], FIVE_LEVELS)
    assert problems == ["Level 7 is not a level of the chosen rating scale."]


def test_levels_must_increase_with_achievement():
    """A better result can never earn a lower (or the same) level."""
    problems = check_thresholds([Threshold(D("0"), 3), Threshold(D("100"), 2)], FIVE_LEVELS)
    assert problems == ["Rating levels must increase as achievement increases."]


# --- weight_gap ------------------------------------------------------------------------


def test_weight_gap_positive_when_missing_negative_when_over_zero_when_exact():
    """The gap to 100 %: positive is missing, negative is over."""
    assert weight_gap([D("60"), D("30")]) == D("10")
    assert weight_gap([D("60"), D("45")]) == D("-5")
    assert weight_gap([D("60"), D("30"), D("10")]) == 0
    assert weight_gap([]) == 100


# --- roll_up ---------------------------------------------------------------------------


def test_roll_up_weights_children_by_their_weights():
    """A parent takes the weighted (not plain) average of its contributing goals."""
    own = {1: D("0"), 2: D("100"), 3: D("0")}
    children = {1: [2, 3]}
    weights = {2: D("75"), 3: D("25")}
    assert roll_up(own, children, weights)[1] == D("75.00")


def test_roll_up_falls_back_to_equal_shares_when_weights_are_zero():
    """Children with zero total weight count equally."""
    own = {1: D("0"), 2: D("100"), 3: D("0")}
    assert roll_up(own, {1: [2, 3]}, {2: D("0"), 3: D("0")})[1] == D("50.00")


def test_roll_up_goes_through_several_levels():
    """Company ← department ← individual: progress climbs the whole tree."""
    own = {1: D("0"), 2: D("0"), 3: D("40"), 4: D("80")}
    children = {1: [2], 2: [3, 4]}
    weights = {2: D("100"), 3: D("50"), 4: D("50")}
    result = roll_up(own, children, weights)
    assert (result[2], result[1]) == (D("60.00"), D("60.00"))


def test_roll_up_leaf_keeps_its_own_progress_and_survives_a_loop():
    """A leaf is its own progress; a loop in bad data does not recurse forever."""
    own = {1: D("30"), 2: D("70")}
    result = roll_up(own, {1: [2], 2: [1]}, {1: D("50"), 2: D("50")})
    assert result == {1: D("70.00"), 2: D("70.00")}


# --- would_create_cycle ----------------------------------------------------------------


def test_aligning_under_own_descendant_makes_a_loop():
    """Goal 1 cannot align under 3 when 3 already sits below 1."""
    parent_of = {1: None, 2: 1, 3: 2}
    assert would_create_cycle(1, 3, parent_of) is True


def test_aligning_under_an_unrelated_goal_is_fine():
    """A goal may align under any goal outside its own subtree."""
    parent_of = {1: None, 2: 1, 3: None}
    assert would_create_cycle(2, 3, parent_of) is False


def test_aligning_under_itself_is_a_loop():
    """A goal is never its own parent."""
    assert would_create_cycle(5, 5, {5: None}) is True


def test_a_new_goal_cannot_make_a_loop():
    """A goal not saved yet (no id) has no descendants."""
    assert would_create_cycle(None, 1, {1: None}) is False


def test_existing_loop_in_data_does_not_hang():
    """Bad data with a loop above the new parent still answers."""
    assert would_create_cycle(9, 1, {1: 2, 2: 1}) is False


def test_actual_values_of_a_count_run_from_zero_to_a_hundred_times_the_target():
    """0 → 12 deals: 0 to 1,200; negatives and 11-digit typos are out."""
    assert actual_value_bounds(baseline=D("0"), target=D("12")) == (D("0"), D("1200"))
    assert actual_value_in_bounds(D("1200"), baseline=D("0"), target=D("12"))
    assert not actual_value_in_bounds(D("-1"), baseline=D("0"), target=D("12"))
    assert not actual_value_in_bounds(D("-12345678901.5"), baseline=D("0"), target=D("12"))


def test_actual_values_may_be_negative_when_the_goal_is():
    """A balance from −50 to 20 may be reported below zero, within 100× its size."""
    assert actual_value_bounds(baseline=D("-50"), target=D("20")) == (D("-5000"), D("5000"))


def test_lower_is_better_bounds_follow_the_larger_of_baseline_and_target():
    """Defects 40 → 5: up to 4,000 (100× the baseline), never negative."""
    assert actual_value_bounds(baseline=D("40"), target=D("5")) == (D("0"), D("4000"))


def test_small_targets_still_allow_a_sensible_range():
    """A target of 0.5 (or 0) counts as 1: values up to 100."""
    assert actual_value_bounds(baseline=None, target=D("0.5")) == (D("0"), D("100"))
    assert actual_value_bounds(baseline=D("0"), target=D("0")) == (D("0"), D("100"))


def test_a_goal_without_baseline_or_target_takes_a_billion_either_way():
    assert actual_value_bounds(baseline=None, target=None) == (D("-1000000000"), D("1000000000"))


def test_huge_goals_stop_at_what_the_column_holds():
    assert actual_value_bounds(baseline=None, target=D("900000000000"))[1] == D("999999999999.99")
