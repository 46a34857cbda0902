"""The appraisal rules in a real browser: HR opens them from the cycle page, a guideline
that does not total 100 is refused at the field with what was typed kept, then saved."""

import pytest
from playwright.sync_api import expect

from appraisal.models import AppraisalSettings
from tests.appraisal.factories import open_org
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_sets_the_guideline_band_by_band(page, results_dir):
    org = open_org()
    sign_in(page, org.hr)
    page.goto(org.cycle.get_absolute_url())
    page.locator('[data-action="appraisal-settings"]').click()
    expect(page.get_by_role("heading", name="Appraisal rules")).to_be_visible()
    page.get_by_label("Outstanding").fill("15")
    page.get_by_role("button", name="Save rules").click()
    expect(page.get_by_test_id("guideline-error")).to_contain_text("total 100")
    expect(page.get_by_label("Outstanding")).to_have_value("15")
    page.screenshot(path=str(results_dir / "appraisal-settings-1-refused.png"), full_page=True)
    page.get_by_label("Exceeds").fill("15")
    page.get_by_role("button", name="Save rules").click()
    expect(page.locator(".alert").first).to_contain_text("Appraisal rules saved.")
    page.screenshot(path=str(results_dir / "appraisal-settings-2-saved.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results_dir / "appraisal-settings-3-phone.png"), full_page=True)
    assert AppraisalSettings.objects.get(cycle=org.cycle).guideline == [10, 20, 40, 15, 15]
