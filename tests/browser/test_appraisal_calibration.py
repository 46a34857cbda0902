"""Calibration in a real browser: HR opens the calibration board, starts the session,
changes one rating with a reason (a missing reason is refused at the field first), locks
the session and releases the ratings after confirming."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from appraisal.models import Appraisal, AppraisalSettings, CalibrationAdjustment, CalibrationStatus
from perfcycle.models import Notification
from tests.appraisal.calib_factories import calibrated_org_appraisals
from tests.appraisal.factories import open_org
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_calibrates_one_rating_with_a_reason_and_releases(page, results_dir):
    org = open_org()
    appraisal, _other = calibrated_org_appraisals(org, ("3.40", "4.20"))
    sign_in(page, org.hr)
    page.goto(f"/appraisal/hr/calibration/?cycle={org.cycle.pk}")
    page.get_by_test_id("session-start").click()
    expect(page.get_by_test_id("session-status")).to_contain_text("Session open")
    row = page.locator(f'tr[data-appraisal="{appraisal.pk}"]')
    # No reason: refused at the field, nothing changed.
    row.get_by_label("New score").fill("4.1")
    row.get_by_role("button", name="Adjust").click()
    row = page.locator(f'tr[data-appraisal="{appraisal.pk}"]')
    expect(row.get_by_test_id("reason-error")).to_contain_text("Give the reason")
    expect(row.get_by_label("New score")).to_have_value("4.1")
    row.get_by_label("Reason").fill("Led the platform migration")
    row.get_by_role("button", name="Adjust").click()
    expect(page.locator(".alert-success, [role=status], .alert").first).to_contain_text("changed")
    expect(
        page.locator(f'tr[data-appraisal="{appraisal.pk}"]').get_by_test_id("final-score")
    ).to_contain_text("4.1")
    expect(page.get_by_test_id("distribution-table")).to_contain_text("Exceeds")
    page.screenshot(path=str(results_dir / "calibration-1-board.png"), full_page=True)
    page.get_by_test_id("session-toggle").click()
    expect(page.get_by_test_id("session-status")).to_contain_text("Locked")
    expect(page.get_by_test_id("adjust-form")).to_have_count(0)

    page.goto(f"/appraisal/hr/release/?cycle={org.cycle.pk}")
    expect(page.get_by_test_id("not-released")).to_be_visible()
    page.get_by_label("I understand").check()
    page.get_by_test_id("release-button").click()
    expect(page.get_by_test_id("released-at")).to_be_visible()
    page.screenshot(path=str(results_dir / "calibration-2-released.png"), full_page=True)

    adjustment = CalibrationAdjustment.objects.get()
    assert adjustment.to_score == Decimal("4.10")
    assert adjustment.reason == "Led the platform migration"
    assert adjustment.session.status == CalibrationStatus.LOCKED
    assert AppraisalSettings.objects.get(cycle=org.cycle).released_at is not None
    assert Appraisal.objects.get(pk=appraisal.pk).released_at is not None
    assert Notification.objects.filter(
        recipient=org.employee.user, title__contains="rating for"
    ).exists()
