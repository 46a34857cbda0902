"""Peer input that arrives after the manager submitted is not lost: an appraisal in
calibration is scored again when enough peers have answered by their due date, and a score
HR calibrated stays as HR set it."""

from decimal import Decimal

import pytest

from appraisal.models import AppraisalItem, ItemKind
from appraisal.selectors.breakdown import breakdown_for
from appraisal.services import calibration
from appraisal.services.assessment import rescore_with_peer_input
from perfcycle.models import AuditEvent
from tests.appraisal.calib_factories import in_calibration
from tests.appraisal.peer_factories import answer, asked, peer_org

pytestmark = pytest.mark.django_db


def _rated_by_manager(appraisal, rating=3):
    AppraisalItem.objects.filter(appraisal=appraisal).exclude(kind=ItemKind.PEER).update(
        manager_rating=rating
    )


def test_peers_answering_in_calibration_move_the_proposed_score():
    org = peer_org(4)
    reviews = asked(org)
    _rated_by_manager(org.appraisal, 3)
    appraisal = in_calibration(org.appraisal, "3.00")
    # Without peer input every rated item is 3: the peer section is re-weighted away.
    assert breakdown_for(appraisal).final_score == Decimal("3.00")
    # Two answers are fewer than the anonymity threshold: they change no score.
    for review in reviews[:2]:
        answer(review, rating=5)
    appraisal.refresh_from_db()
    assert appraisal.proposed_score == Decimal("3.00")
    rescored = AuditEvent.objects.filter(verb="appraisal.rescored_with_peer_input")
    seen = rescored.count()
    for review in reviews[2:3]:
        answer(review, rating=5)
    appraisal.refresh_from_db()
    # Peer section (20 %) at 5, the rest (80 %) at 3: 0.8 × 3 + 0.2 × 5 = 3.40.
    assert appraisal.proposed_score == Decimal("3.40")
    assert appraisal.final_score == Decimal("3.40")
    assert rescored.count() == seen + 1
    assert rescored.order_by("pk").last().after["proposed_score"] == "3.40"
    # The fourth answer moves it again (mean of 5, 5, 5, 1 = 4 → 0.8 × 3 + 0.2 × 4 = 3.20).
    answer(reviews[3], rating=1)
    appraisal.refresh_from_db()
    assert appraisal.proposed_score == Decimal("3.20")


def test_a_calibrated_final_score_stays_as_hr_set_it():
    org = peer_org(4)
    reviews = asked(org)
    _rated_by_manager(org.appraisal, 3)
    appraisal = in_calibration(org.appraisal, "3.00")
    session = calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    calibration.adjust_score(
        appraisal_id=appraisal.pk,
        session_id=session.pk,
        to_score=Decimal("3.80"),
        reason="Carried the team through the migration",
        actor=org.hr.user,
        expected_version=appraisal.version,
    )
    for review in reviews[:3]:
        answer(review, rating=5)
    appraisal.refresh_from_db()
    assert appraisal.proposed_score == Decimal("3.40")
    assert appraisal.final_score == Decimal("3.80")


def test_rescoring_outside_calibration_changes_nothing():
    org = peer_org(3)
    assert rescore_with_peer_input(org.appraisal) is False
