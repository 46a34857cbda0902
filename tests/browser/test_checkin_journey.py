"""The check-in journey in a real browser: the employee fills in this period's check-in
(progress, confidence, what went well, blockers), submits it and attaches evidence; the
manager replies and marks it reviewed; the employee reads the reply."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from goals.models import Goal
from implementation.models import CheckIn, Evidence, ProgressUpdate
from implementation.services import checkins
from perfcycle.models import Cycle
from tests.factories import PASSWORD, enrol, make_cycle
from tests.goals.factories import make_goal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, person) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/me/**" if not person.reports.exists() else "**/team/**")


def test_a_checkin_is_filled_submitted_evidenced_replied_and_reviewed(page, org, results_dir):
    """From the employee to the manager and back, with the reply shown to the employee."""
    today = timezone.localdate()
    start = (today.replace(day=1) - dt.timedelta(days=40)).replace(day=1)
    cycle = make_cycle("FY now", phase=Cycle.Phase.IMPLEMENTATION, start=start)
    enrol(cycle, org["employee"], org["peer"])
    goal = make_goal(
        org["employee"],
        cycle=cycle,
        status="approved",
        weight=100,
        title="Close deals",
        baseline=Decimal("0"),
        target=Decimal("12"),
        unit="deals",
    )
    checkins.open_checkins(cycle=cycle, today=today)
    page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" confirmations

    # The employee fills in and submits this period's check-in.
    sign_in(page, org["employee"])
    page.goto("/implementation/checkins/")
    expect(page.get_by_test_id("current-checkin")).to_contain_text("Due")
    page.get_by_test_id("fill-in").click()
    page.get_by_label("Actual value (deals)").fill("5")
    page.get_by_label("What went well").fill("Signed Acme and Globex")
    page.get_by_label("Blockers").fill("Legal review takes two weeks")
    page.get_by_text("4 – High").click()
    page.screenshot(path=str(results_dir / "checkin-1-form.png"), full_page=True)
    page.get_by_test_id("submit-checkin").click()
    expect(page.get_by_role("status")).to_contain_text("Check-in submitted")
    expect(page.get_by_test_id("went-well")).to_have_text("Signed Acme and Globex")
    expect(page.get_by_test_id("confidence")).to_have_text("4 of 5")

    # ...and attaches evidence to it.
    page.get_by_test_id("add-evidence").click()
    expect(page.get_by_test_id("from-checkin")).to_be_visible()
    page.get_by_label("Title").fill("Acme contract")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "acme.txt", "mimeType": "text/plain", "buffer": b"Signed 3 March.\n"}]
    )
    page.get_by_role("button", name="Record evidence").click()
    expect(page.get_by_role("status")).to_contain_text("recorded")
    expect(page.get_by_test_id("checkin-evidence")).to_contain_text("Acme contract")
    expect(page.get_by_test_id("checkin-evidence")).to_contain_text("1 file")
    page.screenshot(path=str(results_dir / "checkin-2-submitted.png"), full_page=True)

    # The manager replies and marks it reviewed.
    sign_in(page, org["manager"])
    page.goto("/implementation/team/checkins/")
    board = page.get_by_test_id("team-board")
    expect(board).to_contain_text("Submitted")
    board.get_by_role("link", name=f"Review {org['employee'].full_name}").click()
    expect(page.get_by_test_id("checkin-evidence")).to_contain_text("Acme contract")
    page.screenshot(path=str(results_dir / "checkin-3a-to-review.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results_dir / "checkin-3a-to-review-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Your reply").fill("Great pace. Ask legal for a fast lane.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent")
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_role("status")).to_contain_text("marked reviewed")
    page.screenshot(path=str(results_dir / "checkin-3-reviewed.png"), full_page=True)

    # The employee reads the reply.
    sign_in(page, org["employee"])
    page.goto("/implementation/checkins/")
    current = page.get_by_test_id("current-checkin")
    expect(current).to_contain_text("Reviewed")
    current.get_by_role("link", name="Open").click()
    expect(page.get_by_test_id("manager-reply")).to_contain_text("Ask legal for a fast lane.")

    checkin = CheckIn.objects.get(participation__employee=org["employee"])
    assert (checkin.status, checkin.is_late, checkin.confidence) == ("reviewed", False, 4)
    assert ProgressUpdate.objects.get().value == Decimal("5")
    assert Goal.objects.get(pk=goal.pk).current_value == Decimal("5")
    evidence = Evidence.objects.get()
    assert evidence.attachments.count() == 1
