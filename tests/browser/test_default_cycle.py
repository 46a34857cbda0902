"""Next year's cycle does not hide the running one (issue 8, item 1), in a real browser:
with the running cycle in implementation and next year's in planning, the employee's
check-ins page shows the open check-in and its button, and the chooser switches cycles."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from implementation.services import checkins
from perfcycle.models import Cycle
from tests.factories import PASSWORD, enrol, make_cycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, person) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/me/**")


def test_the_running_cycle_stays_and_the_chooser_switches(page, org, results_dir):
    """The December check-in stays on top; choosing next year's cycle shows that one, on
    every page the same way."""
    today = timezone.localdate()
    start = (today.replace(day=1) - dt.timedelta(days=200)).replace(day=1)
    running = make_cycle("FY running", phase=Cycle.Phase.IMPLEMENTATION, start=start)
    upcoming = make_cycle("FY next", start=today + dt.timedelta(days=150))
    for cycle in (running, upcoming):
        enrol(cycle, org["employee"])
    checkins.open_checkins(cycle=running, today=today)

    sign_in(page, org["employee"])
    expect(page.get_by_test_id("cycle-name")).to_have_text("FY running")
    page.goto("/implementation/checkins/")
    expect(page.get_by_test_id("cycle-name")).to_have_text("FY running")
    expect(page.get_by_test_id("fill-in")).to_be_visible()
    page.screenshot(path=str(results_dir / "default-cycle-checkins.png"), full_page=True)

    picker = page.get_by_test_id("cycle-picker")
    picker.get_by_label("Cycle").select_option(str(upcoming.pk))
    picker.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("cycle-name")).to_have_text("FY next")
    expect(page.get_by_test_id("fill-in")).to_have_count(0)

    page.goto("/planning/my-goals/")
    expect(page.get_by_test_id("cycle-name")).to_have_text("FY running")
