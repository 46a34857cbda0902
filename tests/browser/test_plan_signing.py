"""Both sign an improvement plan in a real browser (plans lane): the interview recorded a
result below the qualified level, so the required plan waits as a draft prefilled with the
gap; the manager writes the success criteria, dates, actions (adding a row) and a
check-point, saves and signs; the employee reads it from "My plan" and signs: the plan is
agreed. Screenshots of the plan page and the three lists at 1280 and 390 px; no sideways
scroll on a phone; no serious accessibility violation."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from feedback.models import ImprovementPlan, PlanStatus
from tests.browser.conftest import sign_in
from tests.browser.test_layout_and_accessibility import axe_source, serious_violations
from tests.feedback.factories import released_org
from tests.feedback.plan_factories import DEFICIENCIES, required_plan

__all__ = ["axe_source"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shots(page, results_dir, name, axe_source):
    assert serious_violations(page, axe_source) == [], name
    page.screenshot(path=str(results_dir / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results_dir / f"{name}-390.png"), full_page=True)
    wide = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert wide, f"{name} scrolls sideways at 390 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_manager_and_employee_both_sign_the_plan(page, results_dir, axe_source):
    org = released_org()
    plan = required_plan(org)
    today = timezone.localdate()
    page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" confirmations

    # The manager finds the plan among the plans they support and writes it.
    sign_in(page, org.manager)
    page.goto("/feedback/plans/team/")
    page.locator(f'tr[data-plan="{plan.pk}"] a').first.click()
    expect(page.get_by_label("The gap", exact=True)).to_have_value(DEFICIENCIES)
    expect(page.get_by_label("Skills", exact=True)).to_be_checked()
    page.get_by_label("Success criteria", exact=True).fill(
        "Two releases in a row on the agreed date."
    )
    page.get_by_label("Starts", exact=True).fill((today + dt.timedelta(days=1)).isoformat())
    page.get_by_label("Ends", exact=True).fill((today + dt.timedelta(days=90)).isoformat())
    actions = page.locator('[data-formset="actions"]')
    actions.locator('textarea[name="actions-0-description"]').fill(
        "Plan each release with the team"
    )
    actions.locator('select[name="actions-0-owner"]').select_option("employee")
    actions.locator('input[name="actions-0-due_date"]').fill(
        (today + dt.timedelta(days=30)).isoformat()
    )
    actions.get_by_role("button", name="Add an action").click()
    actions.locator('textarea[name="actions-1-description"]').fill("Weekly one-to-one on delivery")
    actions.locator('select[name="actions-1-owner"]').select_option("manager")
    actions.locator('input[name="actions-1-due_date"]').fill(
        (today + dt.timedelta(days=14)).isoformat()
    )
    page.locator('input[name="checkpoints-0-due_date"]').fill(
        (today + dt.timedelta(days=45)).isoformat()
    )
    page.get_by_test_id("save-plan").click()
    expect(page.get_by_role("status")).to_contain_text("Plan saved")
    _shots(page, results_dir, "plan-detail-manager", axe_source)
    page.get_by_test_id("sign-plan").click()
    expect(page.get_by_role("status")).to_contain_text("Signed")
    expect(page.get_by_test_id("waiting-other")).to_be_visible()
    page.goto("/feedback/plans/team/")
    _shots(page, results_dir, "plan-team", axe_source)

    # The employee opens it from "My plan", reads it and signs: it is agreed.
    sign_in(page, org.employee)
    page.goto("/feedback/plans/mine/")
    expect(page.get_by_test_id("current-plan")).to_contain_text("Write and sign")
    _shots(page, results_dir, "plan-mine", axe_source)
    page.get_by_test_id("open-plan").click()
    expect(page.locator('[data-signed="manager"]')).to_be_visible()
    page.get_by_test_id("sign-plan").click()
    expect(page.get_by_role("status")).to_contain_text("You both signed")
    expect(page.locator("[data-plan-status]").first).to_have_text("Agreed")
    _shots(page, results_dir, "plan-detail-employee-agreed", axe_source)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AGREED
    assert plan.actions.count() == 2 and plan.checkpoints.count() == 1

    # HR sees it among the plans, by status.
    sign_in(page, org.hr)
    page.goto("/feedback/plans/all/")
    expect(page.locator('[data-count="agreed"]')).to_have_text("1")
    _shots(page, results_dir, "plan-hr", axe_source)
    assert ImprovementPlan.objects.count() == 1
