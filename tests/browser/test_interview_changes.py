"""A moved and a cancelled interview in Chromium: the manager changes the time (the
employee's page follows), cancels with a reason (asked once), schedules it again; the
skip-level manager reads it without forms or notes. Screenshots at 1280 and 390 px."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from feedback.models import Interview
from tests.browser.conftest import sign_in
from tests.browser.test_interview_journey import shoot
from tests.feedback.factories import released_org
from tests.feedback.interview_factories import schedule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_move_cancel_and_schedule_again(page, results_dir):
    org = released_org()
    interview = schedule(org, days=3)
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))

    sign_in(page, org.manager)
    page.goto(f"/feedback/interviews/{interview.pk}/")
    new_day = timezone.localdate() + dt.timedelta(days=5)
    form = page.get_by_test_id("reschedule-form")
    form.get_by_label("Date").fill(new_day.isoformat())
    form.get_by_label("Time").fill("15:30")
    page.get_by_role("button", name="Send the update").click()
    expect(page.get_by_role("status")).to_contain_text("updated invitation")
    expect(page.locator("[data-interview-status]").first).to_have_text("Rescheduled")
    expect(page.get_by_test_id("interview-starts")).to_contain_text("15:30")

    page.get_by_test_id("cancel-form").get_by_label("Why is it cancelled?").fill(
        "I am away that week."
    )
    page.get_by_role("button", name="Cancel interview").click()
    expect(page.get_by_role("status")).to_contain_text("Interview cancelled")
    assert asked and "Cancel the interview?" in asked[-1]
    expect(page.get_by_test_id("cancelled-note")).to_contain_text("I am away that week.")
    shoot(page, results_dir, "manager-cancelled")

    sign_in(page, org.employee)
    page.goto("/feedback/interview/")
    expect(page.get_by_test_id("cancelled-note")).to_contain_text("I am away that week.")
    expect(page.get_by_test_id("add-to-calendar")).to_contain_text("Remove from calendar")
    shoot(page, results_dir, "employee-cancelled")

    sign_in(page, org.manager)
    page.goto("/feedback/interviews/")
    row = page.locator("[data-group=to_schedule] tr", has_text=org.employee.full_name)
    expect(row.locator("[data-interview-status]")).to_have_text("Cancelled")
    row.get_by_role("link", name="Schedule").click()
    page.get_by_label("Date").fill((timezone.localdate() + dt.timedelta(days=6)).isoformat())
    page.get_by_label("Time").fill("09:00")
    page.get_by_label("Place").fill("Room 2")
    shoot(page, results_dir, "schedule-again")
    page.get_by_role("button", name="Schedule and invite").click()
    expect(page.get_by_role("status")).to_contain_text("has been sent the invitation")
    again = Interview.objects.get()
    assert again.ics_uid != interview.ics_uid and again.status == "scheduled"

    sign_in(page, org.skip)
    page.goto(f"/feedback/interviews/{again.pk}/")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_test_id("own-notes")).to_have_count(0)
    expect(page.get_by_test_id("reschedule-form")).to_have_count(0)
    shoot(page, results_dir, "skip-reads")
