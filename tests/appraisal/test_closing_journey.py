"""The whole end of an appraisal through the stage's own services: the manager's review
(lane review), HR's calibration, the breakdown showing the change, release (the employee
sees no score before it), close (the score frozen as calibrated), reopen and finalise
again."""

import pytest
from django.urls import reverse

from appraisal.models import AppraisalStatus
from appraisal.selectors.breakdown import breakdown_for
from appraisal.services import assessment, calibration, closing
from appraisal.services.opening import settings_for
from perfcycle.models import Cycle
from perfcycle.phases import advance_cycle_phase
from tests.appraisal.factories import appraisal_of, open_org
from tests.appraisal.review_factories import fresh, items_of, self_submitted
from tests.factories import version_of

pytestmark = pytest.mark.django_db


def reviewed(org, appraisal):
    appraisal = self_submitted(appraisal)
    data = {
        i.pk: assessment.ItemInput(rating=n % 5 + 1, override_reason="Judged on the evidence")
        for n, i in enumerate(items_of(appraisal))
    }
    assessment.submit_manager_review(
        actor=org.manager.user, appraisal=appraisal, data=data, expected_version=appraisal.version
    )
    return fresh(appraisal)


def test_review_calibrate_release_close_reopen(client):
    org = open_org()
    appraisal = reviewed(org, appraisal_of(org, org.employee))
    assert appraisal.status == AppraisalStatus.CALIBRATION
    proposed = appraisal.final_score
    session = calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    target = "4.50" if proposed < 4 else "2.00"
    calibration.adjust_score(
        appraisal_id=appraisal.pk,
        session_id=session.pk,
        to_score=target,
        reason="Calibrated against the department",
        expected_version=version_of(appraisal),
        actor=org.hr.user,
    )
    appraisal = fresh(appraisal)
    breakdown = breakdown_for(appraisal)
    assert str(breakdown.final_score) == target
    assert breakdown.proposed_score == proposed
    # Before release: the employee's breakdown is not found, the manager's is.
    url = reverse("appraisal:appraisal-breakdown", args=[appraisal.pk])
    client.force_login(org.employee.user)
    assert client.get(url).status_code == 404
    detail = client.get(appraisal.get_absolute_url()).content.decode()
    assert target not in detail and str(proposed) not in detail
    calibration.release_ratings(
        cycle=org.cycle, expected_version=settings_for(org.cycle).version, actor=org.hr.user
    )
    page = client.get(url)
    assert page.status_code == 200
    assert "Calibrated against the department" in page.content.decode()
    advance_cycle_phase(actor=org.hr.user, cycle_id=org.cycle.pk, to_phase=Cycle.Phase.FEEDBACK)
    appraisal = fresh(appraisal)
    assert appraisal.status == AppraisalStatus.FINALIZED
    assert str(appraisal.final_score) == target and appraisal.final_band
    assert appraisal.released_at is not None
    closing.reopen_appraisal(
        appraisal_id=appraisal.pk,
        reason="A late piece of evidence",
        expected_version=appraisal.version,
        actor=org.hr.user,
    )
    appraisal = fresh(appraisal)
    assert appraisal.released_at is None  # hidden again until finalised
    assert client.get(url).status_code == 404
    closing.refinalize_appraisal(
        appraisal_id=appraisal.pk, expected_version=appraisal.version, actor=org.hr.user
    )
    appraisal = fresh(appraisal)
    assert appraisal.status == AppraisalStatus.FINALIZED and str(appraisal.final_score) == target
    assert client.get(url).status_code == 200
