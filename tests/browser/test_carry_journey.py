"""Next-cycle goals in a real browser: the reviewer notes two goals with the interview (a
bad weight refused at its field first, what was typed kept), the employee reads them;
the next cycle opens and they are drafts on the employee's planning page, the goal page
saying where they came from. HR's rules, root-cause list and report, at 1280 and 390 px."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from perfcycle.models import Employee
from perfcycle.services import enrol_employees
from tests.browser.conftest import sign_in
from tests.feedback.carry_factories import (
    ensure_root_causes,
    interview_for,
    interviewed_people,
    next_cycle,
)
from tests.feedback.factories import released_org

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def shots(page, results_dir, name):
    page.screenshot(path=str(results_dir / f"carry-{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results_dir / f"carry-{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_goals_agreed_in_the_interview_become_drafts_of_the_next_cycle(page, results_dir):
    ensure_root_causes()
    org = released_org()
    interview = interview_for(org, org.employee, causes=["Skills"])
    url = reverse("feedback:carry-proposals", args=[interview.pk])
    sign_in(page, org.manager)
    page.goto(url)
    expect(page.get_by_test_id("no-proposals")).to_be_visible()
    page.locator("#id_title").fill("Ship the mobile app")
    page.get_by_label("Description").fill("Both stores, with the release notes.")
    page.get_by_label("Target").fill("2")
    page.get_by_label("Unit").fill("apps")
    page.get_by_label("Weight %").fill("140")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("Weight %")
    expect(page.locator("#id_title")).to_have_value("Ship the mobile app")
    page.get_by_label("Weight %").fill("40")
    page.get_by_role("button", name="Add goal").click()
    expect(page.locator(".pc-messages")).to_contain_text("“Ship the mobile app” added.")
    page.locator("#id_title").fill("Mentor two new joiners")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_test_id("proposals").locator("li")).to_have_count(2)
    shots(page, results_dir, "proposals-manager")

    sign_in(page, org.employee)
    page.goto(reverse("feedback:carry-mine"))
    expect(page.get_by_test_id("proposals")).to_contain_text("Ship the mobile app")
    expect(page.get_by_test_id("proposals")).to_contain_text("Waiting for the next cycle")
    shots(page, results_dir, "mine-waiting")

    later = next_cycle(name="Cycle of 2027")
    enrol_employees(
        actor=org.hr.user, cycle=later, employees=Employee.objects.filter(pk=org.employee.pk)
    )
    page.goto(reverse("feedback:carry-mine"))
    expect(page.locator('[data-proposal-state="carried"]')).to_have_count(2)
    shots(page, results_dir, "mine-carried")
    page.get_by_role("link", name="Ship the mobile app").click()
    expect(page.get_by_test_id("goal-origin")).to_contain_text(
        f"Agreed in your feedback interview of {org.cycle.name}"
    )
    expect(page.get_by_role("button", name="Submit for approval")).to_be_visible()
    shots(page, results_dir, "goal-page")
    page.goto(f"{reverse('goals:my-goals')}?cycle={later.pk}")
    expect(page.locator("main")).to_contain_text("Mentor two new joiners")


def test_hr_sets_the_rules_and_keeps_the_root_causes(page, results_dir):
    ensure_root_causes()
    org = released_org()
    sign_in(page, org.hr)
    page.goto(org.cycle.get_absolute_url())
    page.locator('[data-action="feedback-rules"]').click()
    expect(page.get_by_role("heading", name="Feedback rules")).to_be_visible()
    page.get_by_label("Days to resolve a dispute").fill("0")
    page.get_by_role("button", name="Save rules").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("Days to resolve a dispute")
    shots(page, results_dir, "rules-refused")
    page.get_by_label("Days to resolve a dispute").fill("21")
    page.get_by_role("button", name="Save rules").click()
    expect(page.locator(".pc-messages")).to_contain_text("Feedback rules saved.")

    page.goto(reverse("feedback:carry-root-causes"))
    page.get_by_label("Name").fill("Unclear priorities")
    page.get_by_role("button", name="Add cause").click()
    expect(page.locator(".pc-messages")).to_contain_text("“Unclear priorities” added")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retire Workload").click()
    expect(page.locator('[data-cause-state="retired"]')).to_have_count(1)
    shots(page, results_dir, "root-causes")


def test_the_root_cause_report_hides_small_groups(page, results_dir):
    ensure_root_causes()
    data = interviewed_people(
        departments={
            "Finance": [["Skills"], ["Skills", "Workload"]],
            "Support": [["Workload"], ["Workload", "Process"], ["Skills"]],
            "Engineering": [["Skills"], ["Resources"], ["Skills", "Goal clarity"], []],
        }
    )
    sign_in(page, data["hr"])
    page.goto(f"{reverse('feedback:carry-root-cause-report')}?cycle={data['cycle'].pk}")
    expect(page.get_by_test_id("by-department")).to_contain_text("Support")
    expect(page.get_by_test_id("by-department")).not_to_contain_text("Finance")
    expect(page.get_by_test_id("hidden-note")).to_be_visible()
    shots(page, results_dir, "root-cause-report")
