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


def test_the_alignment_tree_buttons_open_and_close_every_branch(page, org):
    """ "Expand all" and "Collapse all" appear (their script ran) and open or close the tree."""
    cycle = make_cycle("FY now")
    enrol(cycle, org["employee"])
    company = make_goal(cycle=cycle, title="Grow", status="approved")
    make_goal(org["employee"], cycle=cycle, title="Sell more", parent=company, status="approved")

    sign_in(page, org["employee"])
    page.goto(f"/planning/cycles/{cycle.pk}/tree/")
    page.get_by_role("button", name="Collapse all").click()
    expect(page.locator(".pc-tree details[open]")).to_have_count(0)
    page.get_by_role("button", name="Expand all").click()
    expect(page.locator(".pc-tree details:not([open])")).to_have_count(0)
    tree = page.get_by_role("list", name="Alignment tree")
    expect(tree.get_by_role("link", name="Sell more")).to_be_visible()
