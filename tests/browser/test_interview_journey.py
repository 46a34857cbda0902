"""The feedback interview in Chromium: the manager schedules it from the interview list,
keeps private notes; the employee finds it under "My interview" with the calendar file
and their own notes (never the manager's); on the day the manager records it and the
employee reads the record; HR sees the completion. Screenshots at 1280 and 390 px
(nothing wider than the phone)."""

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from feedback.models import Interview
from tests.browser.conftest import sign_in
from tests.feedback.factories import released_org
from tests.feedback.interview_factories import causes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE, LAPTOP = 390, 1280
PRIVATE = "Private: push harder on code review turnaround"


def shoot(page, results_dir, name):
    for width in (LAPTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(50)
        page.screenshot(path=str(results_dir / f"interview-{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    page.set_viewport_size({"width": LAPTOP, "height": 900})


class Clock:
    """The server's clock (the browser's is not used), moved by the test; put back after."""

    def __init__(self):
        self.traveller = None

    def move_to(self, when):
        self.stop()
        self.traveller = time_machine.travel(when, tick=True)
        self.traveller.start()

    def stop(self):
        if self.traveller is not None:
            self.traveller.stop()
            self.traveller = None


@pytest.fixture
def clock():
    clock = Clock()
    yield clock
    clock.stop()


def test_manager_schedules_and_records_an_interview(page, results_dir, clock):
    morning = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(8, 0)))
    clock.move_to(morning)
    org = released_org()
    causes("Skills", "Workload")
    page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" confirmations

    # The manager schedules it from the list.
    sign_in(page, org.manager)
    page.goto("/feedback/interviews/")
    expect(page.locator("[data-count=to_schedule]")).to_have_text("2")
    shoot(page, results_dir, "team-list")
    row = page.locator("[data-group=to_schedule] tr", has_text=org.employee.full_name)
    row.get_by_role("link", name="Schedule").click()
    page.fill("#id_slot-date", morning.date().isoformat())
    page.fill("#id_slot-time", "11:00")
    page.select_option("#id_slot-duration_minutes", "90")
    page.get_by_role("button", name="Schedule and invite").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("Give a place or a video link")
    page.fill("#id_slot-location", "Room 4.12")
    page.fill("#id_slot-video_link", "https://meet.example.com/abc-defg")
    page.get_by_role("button", name="Schedule and invite").click()
    expect(page.get_by_role("status")).to_contain_text("has been sent the invitation")
    expect(page.locator("[data-interview-status]").first).to_have_text("Scheduled")
    page.fill("#id_notes-text", PRIVATE)
    page.get_by_test_id("save-notes").click()
    expect(page.get_by_role("status")).to_contain_text("Only you can read them")
    shoot(page, results_dir, "manager-scheduled")
    interview = Interview.objects.get()

    # The employee finds it, with the calendar file, and prepares.
    sign_in(page, org.employee)
    page.goto("/feedback/interview/")
    expect(page.get_by_test_id("interview-place")).to_have_text("Room 4.12")
    expect(page.get_by_test_id("add-to-calendar")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("add-to-calendar").click()
    assert interview.ics_uid in Path(download.value.path()).read_text(encoding="utf-8")
    page.fill("#id_notes-text", "Ask about the React course")
    page.get_by_test_id("save-notes").click()
    expect(page.get_by_role("status")).to_contain_text("Notes saved")
    assert PRIVATE not in page.content()
    shoot(page, results_dir, "employee-prepares")

    # On the day, after the meeting, the manager records it.
    clock.move_to(interview.starts_at + dt.timedelta(minutes=100))
    sign_in(page, org.manager)
    page.goto(f"/feedback/interviews/{interview.pk}/")
    form = page.get_by_test_id("record-form")
    form.get_by_label("Achievements affirmed").fill("Shipped the billing migration on time.")
    form.get_by_label("Deficiencies found").fill("Code reviews were often late.")
    form.get_by_label("Skills").check()
    form.get_by_label("Workload").check()
    form.get_by_label("Agreed actions").fill("Block review time every morning.")
    page.get_by_role("button", name="Record as held").click()  # a required field left empty
    expect(form.get_by_label("Achievements affirmed")).to_have_value(
        "Shipped the billing migration on time."
    )
    assert Interview.objects.get().status == "scheduled"
    form.get_by_label("Expectations for the next cycle").fill("Reviews within two working days.")
    page.get_by_role("button", name="Record as held").click()
    expect(page.get_by_role("status")).to_contain_text("Interview recorded")
    expect(page.locator("[data-interview-status]").first).to_have_text("Held")
    expect(page.get_by_test_id("record-causes")).to_contain_text("Skills")
    shoot(page, results_dir, "manager-recorded")

    # The employee reads the record, never the manager's notes.
    sign_in(page, org.employee)
    page.goto("/feedback/interview/")
    expect(page.get_by_test_id("record-expectations")).to_have_text(
        "Reviews within two working days."
    )
    assert PRIVATE not in page.content()
    shoot(page, results_dir, "employee-record")

    # HR sees the completion per department.
    sign_in(page, org.hr)
    page.goto("/feedback/hr/interviews/")
    expect(page.locator("[data-count=held]")).to_have_text("50\u00a0%")
    shoot(page, results_dir, "hr-completion")
