"""The appraisal journey in a real browser (review lane): the employee self-assesses with
the scale's descriptors in view, cites evidence and submits; the manager opens the review
side by side, sees the suggested rating pre-selected, overrides it with a reason and
submits. Screenshots of both pages at 1280 and 390 px; no sideways scroll on a phone."""

import pytest
from playwright.sync_api import expect

from appraisal.models import AppraisalItem, AppraisalStatus, ItemEvidence
from tests.appraisal.factories import appraisal_of, open_org
from tests.appraisal.review_factories import fresh, items_of, make_evidence
from tests.browser.conftest import sign_in
from tests.browser.test_layout_and_accessibility import axe_source, serious_violations

__all__ = ["axe_source"]  # the fixture, used by the journey below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _shots(page, results_dir, name, axe_source):
    assert serious_violations(page, axe_source) == [], name
    page.screenshot(path=str(results_dir / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results_dir / f"{name}-390.png"), full_page=True)
    assert _no_sideways_scroll(page), f"{name} scrolls sideways at 390 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_self_assessment_then_manager_review_with_an_override(page, results_dir, axe_source):
    org = open_org()
    appraisal = appraisal_of(org, org.employee)
    evidence = make_evidence(appraisal.participation, title="Roadmap launch notes")
    items = items_of(appraisal)
    suggested = next(i for i in items if i.suggested_rating is not None)
    page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" confirmations

    # The employee rates every item, citing evidence on the first, and submits.
    sign_in(page, org.employee)
    page.goto("/appraisal/mine/")
    form = page.get_by_test_id("self-assessment-form")
    expect(form).to_contain_text("What exceeds looks like.")  # descriptors while rating
    _shots(page, results_dir, "appraisal-my-appraisal", axe_source)
    # Submitting with nothing rated: the browser names the first unrated item, nothing sent.
    page.get_by_test_id("submit-self").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    assert fresh(appraisal).status == AppraisalStatus.NOT_STARTED
    for item in items:
        section = page.locator(f'section[data-item="{item.pk}"]')
        section.get_by_text("4 · Exceeds").click()
        section.get_by_label("Your comment").fill(f"What I did on {item.title}")
    page.locator(f'section[data-item="{suggested.pk}"]').get_by_label(
        "Roadmap launch notes"
    ).check()
    page.get_by_test_id("submit-self").click()
    expect(page.get_by_role("status")).to_contain_text("Self-assessment submitted")
    expect(page.get_by_test_id("self-submitted")).to_be_visible()
    assert fresh(appraisal).status == AppraisalStatus.MANAGER_REVIEW
    assert ItemEvidence.objects.filter(item=suggested, evidence=evidence).exists()

    # The manager opens the review: the self rating, the evidence, the suggestion.
    sign_in(page, org.manager)
    page.goto(f"/appraisal/appraisals/{appraisal.pk}/")
    entry = page.locator(f'section[data-item="{suggested.pk}"]')
    expect(entry.get_by_test_id(f"self-rating-{suggested.pk}")).to_have_text("4 · Exceeds")
    expect(entry.get_by_test_id(f"self-cited-{suggested.pk}")).to_contain_text(
        "Roadmap launch notes"
    )
    expect(entry.get_by_test_id(f"suggested-{suggested.pk}")).to_be_visible()
    expect(entry.locator(f'input[data-level="{suggested.suggested_rating}"]')).to_be_checked()
    _shots(page, results_dir, "appraisal-review", axe_source)

    # Overriding without a reason is refused at the field; with one it goes through.
    override = suggested.suggested_rating + 1
    entry.locator(f'input[data-level="{override}"]').check()
    for item in items:
        if item.pk != suggested.pk:
            page.locator(f'section[data-item="{item.pk}"] input[data-level="3"]').check()
    page.get_by_test_id("submit-review").click()
    expect(entry).to_contain_text("say why")
    assert fresh(appraisal).status == AppraisalStatus.MANAGER_REVIEW
    entry = page.locator(f'section[data-item="{suggested.pk}"]')
    expect(entry.locator(f'input[data-level="{override}"]')).to_be_checked()  # nothing lost
    entry.get_by_label("Why not the suggested rating").fill("Landed two extra markets")
    page.get_by_test_id("submit-review").click()
    expect(page.get_by_role("status")).to_contain_text("goes to calibration")
    appraisal = fresh(appraisal)
    assert appraisal.status == AppraisalStatus.CALIBRATION
    assert appraisal.final_score is not None
    item = AppraisalItem.objects.get(pk=suggested.pk)
    assert (item.manager_rating, item.override_reason) == (override, "Landed two extra markets")

    # The breakdown adds up to the score the review proposed, line by line.
    page.get_by_test_id("open-breakdown").click()
    expect(page.get_by_test_id("final-score")).to_have_text(f"{appraisal.final_score:.2f}")
    expect(page.get_by_test_id("lines-total")).to_have_text(f"{appraisal.proposed_score:.2f}")
    _shots(page, results_dir, "appraisal-breakdown", axe_source)
    page.goto("/appraisal/team/")
    expect(page.get_by_test_id("team-appraisals")).to_contain_text(org.employee.full_name)
    _shots(page, results_dir, "appraisal-team", axe_source)
