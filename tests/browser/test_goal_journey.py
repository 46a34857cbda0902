"""The planning journey in a real browser: an employee drafts and submits two goals, the
manager approves one and returns the other with a comment, and the employee reads it."""

import pytest
from playwright.sync_api import Page, expect

from goals.models import Goal
from tests.factories import PASSWORD, enrol, make_cycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, person) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/me/**" if not person.reports.exists() else "**/team/**")


def draft_and_submit(page: Page, title: str, weight: str) -> None:
    page.goto("/planning/my-goals/")
    page.get_by_test_id("draft-goal").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Weight %").fill(weight)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("status")).to_contain_text("was sent for approval")


def test_goals_are_drafted_submitted_approved_and_returned(page, org, results_dir):
    """Two goals go from the employee to the manager and back, with the comment shown."""
    cycle = make_cycle("FY2026")
    enrol(cycle, org["employee"], org["peer"])

    sign_in(page, org["employee"])
    page.goto("/planning/my-goals/")
    expect(page.get_by_text("No goals yet — draft your first goal")).to_be_visible()
    draft_and_submit(page, "Cut onboarding time", "60")
    draft_and_submit(page, "Write the API guide", "40")
    page.goto("/planning/my-goals/")
    expect(page.get_by_test_id("goals-submitted").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("weight-total")).to_have_text("100 % of 100 % — complete")
    page.screenshot(path=str(results_dir / "journey-1-employee-submitted.png"), full_page=True)

    sign_in(page, org["manager"])
    page.goto("/planning/team/")
    team = page.get_by_test_id("team-goals")
    expect(team).to_contain_text("Cut onboarding time")
    page.screenshot(path=str(results_dir / "journey-2-team-goals.png"), full_page=True)
    team.get_by_role("link", name="Cut onboarding time", exact=True).click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("approved")

    page.goto("/planning/team/")
    page.get_by_test_id("team-goals").get_by_role(
        "link", name="Write the API guide", exact=True
    ).click()
    page.get_by_text("Return for changes…").click()  # opens the return form under Approve
    page.get_by_role("button", name="Return for changes").click()  # without a comment first
    expect(page.locator("#error_1_id_comment")).to_contain_text("Say what needs to change")
    page.get_by_label("What needs to change?").fill("Name the three endpoints it covers.")
    page.get_by_role("button", name="Return for changes").click()
    expect(page.get_by_role("status")).to_contain_text("returned with your comment")

    sign_in(page, org["employee"])
    page.goto("/planning/my-goals/")
    expect(page.get_by_test_id("goals-approved")).to_contain_text("Cut onboarding time")
    returned = page.get_by_test_id("goals-returned")
    expect(returned).to_contain_text("Write the API guide")
    returned.get_by_role("link", name="Write the API guide", exact=True).click()
    expect(page.get_by_test_id("returned-note")).to_be_visible()
    expect(page.get_by_test_id("comments")).to_contain_text("Name the three endpoints it covers.")
    page.screenshot(path=str(results_dir / "journey-3-employee-reads-comment.png"), full_page=True)

    statuses = dict(Goal.objects.values_list("title", "status"))
    assert statuses == {"Cut onboarding time": "approved", "Write the API guide": "returned"}
