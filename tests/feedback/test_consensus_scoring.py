"""Calibration changes after a rating is revised keep their delta (pure, no database)."""

import datetime as dt
from decimal import Decimal

from appraisal import scoring
from appraisal.scoring import CalibrationChange, Revision, Scale, carry_calibration

D = Decimal
SCALE = Scale.of([{"value": v, "label": str(v)} for v in range(1, 6)])
T0 = dt.datetime(2026, 1, 1)


def revision(at, before, after):
    return Revision(
        key=1,
        label="Ship",
        from_rating=2,
        to_rating=4,
        reason="Why",
        at=at,
        proposed_before=D(before),
        proposed_after=D(after),
    )


def test_a_change_before_a_revision_moves_with_it():
    changes = [(T0, CalibrationChange(to_score=D("3.60"), reason="Calibrated"))]
    carried = carry_calibration(
        changes, [revision(T0 + dt.timedelta(days=1), "3.40", "3.80")], SCALE
    )
    assert carried[0].to_score == D("4.00")


def test_a_change_after_the_revision_stands_and_without_revisions_nothing_moves():
    changes = [(T0, CalibrationChange(to_score=D("3.60"), reason="Calibrated"))]
    assert carry_calibration(changes, [revision(T0 - dt.timedelta(days=1), "3.40", "3.80")], SCALE)[
        0
    ].to_score == D("3.60")
    assert carry_calibration(changes, [], SCALE) == [changes[0][1]]


def test_the_moved_score_stays_within_the_scale():
    changes = [(T0, CalibrationChange(to_score=D("4.90"), reason="Calibrated"))]
    carried = carry_calibration(
        changes, [revision(T0 + dt.timedelta(days=1), "4.50", "5.00")], SCALE
    )
    assert carried[0].to_score == D("5.00")


def test_the_breakdown_adds_up_with_the_carried_change():
    sections = [
        scoring.RatedSection(
            kind="goals",
            label="Goals",
            weight=D(100),
            items=(
                scoring.RatedItem("A", D(50), 4, key=1),
                scoring.RatedItem("B", D(50), 3, key=2),
            ),
        )
    ]
    changes = carry_calibration(
        [(T0, CalibrationChange(to_score=D("3.00"), reason="Calibrated"))],
        [revision(T0 + dt.timedelta(days=1), "2.50", "3.50")],
        SCALE,
    )
    breakdown = scoring.score_breakdown(sections, scale=SCALE, calibration=changes)
    assert breakdown.proposed_score == D("3.50")
    assert breakdown.calibration[0].delta == D("0.50")
    assert breakdown.final_score == D("4.00")
