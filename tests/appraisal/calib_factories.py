"""Helpers of the calibration and close tests: put an appraisal where the review lane's
services would leave it (self submitted, manager submitted with a proposed score),
written directly since those services live in another part of the stage."""

from decimal import Decimal

from django.utils import timezone

from appraisal.models import Appraisal, AppraisalStatus
from tests.appraisal.factories import appraisal_of


def in_review(appraisal: Appraisal) -> Appraisal:
    Appraisal.objects.filter(pk=appraisal.pk).update(
        status=AppraisalStatus.MANAGER_REVIEW, self_submitted_at=timezone.now()
    )
    appraisal.refresh_from_db()
    return appraisal


def in_calibration(appraisal: Appraisal, score="3.40") -> Appraisal:
    """Manager submitted: proposed = final score, as the review lane sets them."""
    now = timezone.now()
    Appraisal.objects.filter(pk=appraisal.pk).update(
        status=AppraisalStatus.CALIBRATION,
        self_submitted_at=now,
        manager_submitted_at=now,
        proposed_score=Decimal(score),
        final_score=Decimal(score),
    )
    appraisal.refresh_from_db()
    return appraisal


def calibrated_org_appraisals(org, scores=("3.40", "4.20")):
    """The employee's and the colleague's appraisals in calibration."""
    return [
        in_calibration(appraisal_of(org, person), score)
        for person, score in zip((org.employee, org.colleague), scores, strict=False)
    ]
