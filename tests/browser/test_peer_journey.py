"""Peer input in Chromium: the employee finds and nominates colleagues, the manager
approves and asks them, a peer answers with the scale's descriptors beside the ratings,
and once three have answered the employee reads only the aggregate. Screenshots of the
questionnaire and the employee's page at 1280 and 390 px (nothing wider than the phone)."""

import pytest
from playwright.sync_api import expect

from tests.appraisal.peer_factories import answer, peer_org
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE, LAPTOP = 390, 1280


def shoot(page, results_dir, name):
    for width in (LAPTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(50)
        page.screenshot(path=str(results_dir / f"peer-{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    page.set_viewport_size({"width": LAPTOP, "height": 900})


def test_nominate_approve_answer_and_read_the_aggregate(page, results_dir):
    org = peer_org(4)
    zelda, yusuf, xenia, _wanda = org.peers

    # The employee searches for colleagues and nominates three.
    sign_in(page, org.employee)
    page.goto("/appraisal/peers/")
    page.fill("#colleague-q", "Peerson")
    page.get_by_role("button", name="Search").click()
    for person in (zelda, yusuf, xenia):
        page.get_by_label(person.full_name, exact=False).check()
    page.get_by_role("button", name="Nominate").click()
    expect(page.get_by_role("status")).to_contain_text("3 nominated")
    expect(page.get_by_test_id("nominations")).to_contain_text("Waiting for approval")
    shoot(page, results_dir, "employee-nominated")

    # The manager approves them and asks.
    sign_in(page, org.manager)
    page.goto("/appraisal/peers/approvals/")
    expect(page.get_by_test_id("peer-limits")).to_contain_text("3 to 5")
    for _ in range(3):
        page.get_by_role("button", name="Approve", exact=True).first.click()
        expect(page.get_by_role("status")).to_contain_text("approved")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f'[data-appraisal="{org.appraisal.pk}"]').get_by_test_id("ask").click()
    expect(page.get_by_role("status")).to_contain_text("3 peers asked")

    # A peer answers from "Feedback asked of me", the descriptors beside the ratings.
    sign_in(page, zelda)
    page.goto("/appraisal/peers/asked/")
    page.get_by_role("link", name="Answer").click()
    expect(page.get_by_test_id("scale-levels")).to_contain_text("What outstanding looks like.")
    shoot(page, results_dir, "questionnaire")
    page.get_by_test_id("questionnaire").get_by_label("4 · Exceeds").check()
    page.locator("textarea").first.fill("Zero fuss in a crisis")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("status")).to_contain_text("your peer input is in")

    # Two more answer; the employee sees only the aggregate, no names beside it.
    for review in org.appraisal.peer_reviews.exclude(peer=zelda):
        answer(review, 3, "Always unblocks others")
    sign_in(page, org.employee)
    page.goto("/appraisal/peers/")
    result = page.get_by_test_id("peer-result")
    expect(result).to_contain_text("From 3 colleagues")
    expect(result).to_contain_text("3.33")
    for person in org.peers:
        expect(result).not_to_contain_text(person.user.first_name)
    expect(page.get_by_test_id("answer-count")).to_contain_text("3 of 3")
    shoot(page, results_dir, "employee-result")
