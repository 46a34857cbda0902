"""The pages' own scripts run under the Content-Security-Policy (all from static files)."""

import pytest
from playwright.sync_api import Page, expect

from goals.models import Goal
from tests.factories import PASSWORD, enrol, make_cycle
from tests.goals.factories import make_goal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, person) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/me/**")


def test_a_destructive_button_asks_first_and_cancel_keeps_everything(page, org):
    """Deleting a draft goal asks "are you sure?"; Cancel deletes nothing, OK deletes it."""
    cycle = make_cycle("FY now")
    enrol(cycle, org["employee"])
    goal = make_goal(org["employee"], cycle=cycle, title="Learn Rust")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    sign_in(page, org["employee"])
    page.goto(f"/planning/goals/{goal.pk}/")
    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Learn Rust")).to_be_visible()
    assert questions == ["Delete this draft goal? It cannot be brought back."]
    assert Goal.objects.filter(pk=goal.pk).exists()

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/planning/**")
    assert len(questions) == 2
    assert not Goal.objects.filter(pk=goal.pk).exists()


def test_the_alignment_tree_expands_a_goal_by_fetching_its_contributing_goals(page, org):
    """HR's tree shows the company goal folded; its toggle (a button with aria-expanded)
    fetches the contributing goals and shows them, keeps the focus, and folds them again.
    An employee sees the way to their own goal already open."""
    cycle = make_cycle("FY now")
    enrol(cycle, org["employee"])
    company = make_goal(cycle=cycle, title="Grow", status="approved")
    make_goal(org["employee"], cycle=cycle, title="Sell more", parent=company, status="approved")

    page.goto("/accounts/login/")
    page.fill("#id_username", org["hr"].user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"/planning/cycles/{cycle.pk}/tree/")
    tree = page.get_by_role("list", name="Alignment tree")
    toggle = tree.get_by_role("button", name="Goals contributing to Grow")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(tree.get_by_role("link", name="Sell more")).to_have_count(0)
    toggle.focus()
    page.keyboard.press("Enter")
    expect(tree.get_by_role("link", name="Sell more")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_be_focused()
    page.keyboard.press("Space")
    expect(tree.get_by_role("link", name="Sell more")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    page.context.clear_cookies()
    sign_in(page, org["employee"])
    page.goto(f"/planning/cycles/{cycle.pk}/tree/")
    tree = page.get_by_role("list", name="Alignment tree")
    expect(tree.get_by_role("link", name="Sell more")).to_be_visible()
    toggle = tree.get_by_role("button", name="Goals contributing to Grow")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(tree.get_by_role("link", name="Sell more")).to_be_hidden()
