"""Consensus in Chromium: after the interview the employee reads the result, disagrees
with one item (the reason missing first, asked for at the field, nothing lost), the
skip-level manager decides it by changing the rating, and the employee reads the
resolution and the changed line of the breakdown. Screenshots at 1280 and 390 px
(nothing wider than the phone)."""

import pytest
from playwright.sync_api import expect

from feedback.models import Dispute, DisputeStatus
from tests.browser.conftest import sign_in
from tests.browser.test_layout_and_accessibility import axe_source, serious_violations
from tests.feedback.consensus_factories import hold_interview, items_of
from tests.feedback.factories import released_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE, LAPTOP = 390, 1280
__all__ = ["axe_source"]  # the fixture, shared with the layout tests


def shoot(page, results_dir, name, axe_source):
    """Screenshots at both widths; nothing wider than the phone; no serious or critical
    axe-core violation at either width."""
    for width in (LAPTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        page.screenshot(path=str(results_dir / f"consensus-{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        assert serious_violations(page, axe_source) == [], (name, width)
    page.set_viewport_size({"width": LAPTOP, "height": 900})


def test_employee_disagrees_with_one_item_and_the_skip_level_resolves_it(
    page, results_dir, axe_source
):
    org = released_org()
    hold_interview(org)
    item = items_of(org)[0]

    # The employee reads the result and the interview record, then disputes one item.
    sign_in(page, org.employee)
    page.goto("/feedback/result/")
    expect(page.get_by_test_id("interview-record")).to_contain_text("Shipped the roadmap")
    expect(page.get_by_test_id("breakdown-table")).to_contain_text(item.title)
    shoot(page, results_dir, "my-result", axe_source)
    form = page.get_by_test_id("disagree-form")
    form.locator(f'[name="item_{item.pk}"]').check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("disagree").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("Say why you disagree")
    expect(form.locator(f'[name="item_{item.pk}"]')).to_be_checked()
    form.locator(f'[name="reason_{item.pk}"]').fill("I shipped the release myself.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("disagree").click()
    expect(page.get_by_role("status")).to_contain_text("Your disagreement is recorded")
    expect(page.get_by_test_id("my-disputes")).to_contain_text(org.skip.full_name)
    shoot(page, results_dir, "disputed", axe_source)

    # HR sees it among the open disputes, with its age and who decides.
    sign_in(page, org.hr)
    page.goto("/feedback/disputes/open/")
    expect(page.get_by_test_id("open-disputes")).to_contain_text(org.skip.full_name)
    expect(page.locator('[data-count="open"]')).to_have_text("1")
    shoot(page, results_dir, "hr-open", axe_source)

    # The skip-level manager finds it under "Disputes on my team" and changes the rating.
    sign_in(page, org.skip)
    page.goto("/feedback/disputes/team/")
    expect(page.get_by_test_id("to-decide")).to_contain_text(item.title)
    shoot(page, results_dir, "team-disputes", axe_source)
    page.get_by_test_id("to-decide").get_by_role("link", name="Decide").click()
    expect(page.get_by_test_id("dispute-reason")).to_contain_text("I shipped the release")
    page.get_by_label("Change the rating").check()
    page.get_by_label("New rating").select_option("4")
    page.get_by_label("Resolution").fill("The release log shows you led it.")
    shoot(page, results_dir, "decide", axe_source)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("resolve").click()
    expect(page.get_by_test_id("decision")).to_contain_text("changed from 2 to 4")
    dispute = Dispute.objects.get()
    assert dispute.status == DisputeStatus.CHANGED

    # HR sees no open dispute left; the employee reads the resolution and the new line.
    sign_in(page, org.hr)
    page.goto("/feedback/disputes/open/")
    expect(page.get_by_test_id("no-open-disputes")).to_be_visible()
    sign_in(page, org.employee)
    page.goto("/feedback/result/")
    expect(page.get_by_test_id(f"resolution-{dispute.pk}")).to_contain_text("you led it")
    expect(page.locator(f'[data-revised="{item.pk}"]')).to_contain_text("changed after dispute")
    expect(page.get_by_test_id("revisions-table")).to_contain_text("The release log shows")
    shoot(page, results_dir, "resolved", axe_source)
