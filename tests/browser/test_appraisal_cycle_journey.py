"""The whole appraisal stage on the demo organisation, in Chromium, through the pages only.

HR moves the demo cycle to appraisal; ``employee`` self-assesses (every item rated, one
evidence item cited) and nominates three colleagues; ``manager`` approves and asks them; the
three answer; ``manager`` reviews (keeps one suggested rating, overrides another with a
reason) and submits; HR calibrates the score with a reason, releases the ratings and moves
the cycle on to feedback. The employee then reads the score breakdown: its lines add up to
the score from the ratings, the calibration line (with its reason) takes it to the final
score shown, and no peer's name is on the employee's appraisal pages.

The demo is loaded once (``seed_demo``, with the planning and implementation seeds); the
database is read only to find rows' ids for the locators and to check what was written.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from appraisal.models import Appraisal, AppraisalStatus, ItemEvidence, ItemKind
from perfcycle.models import Cycle, Employee
from tests.browser.test_layout_and_accessibility import demo_org
from tests.browser.test_layout_and_accessibility import sign_in as demo_sign_in

__all__ = ["demo_org"]  # the fixture, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEERS = ("peer", "leo.martin", "lucas.moreau")  # colleagues of `employee` under `manager`
CALIBRATION_REASON = "Carried the on-call rota through the outage"
OVERRIDE_REASON = "Delivered beyond what the indicator measures"


def sign_in(page, username: str) -> None:
    """Sign out whoever was signed in, then sign ``username`` in (the demo's password)."""
    page.context.clear_cookies()
    demo_sign_in(page, username)


def status_says(page, text: str) -> None:
    expect(page.get_by_role("status").first).to_contain_text(text)


def move_cycle(page, cycle, phase: str) -> None:
    """Press "Move to <phase>" on the cycle page (the confirmation is accepted) and wait
    until the page's heading shows the cycle in that phase."""
    page.goto(f"/cycles/{cycle.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(f"Move to {phase}", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(phase, re.I))


def number(text: str) -> Decimal:
    return Decimal(text.strip().replace(",", ""))


def test_the_demo_cycle_through_appraisal_to_the_employees_breakdown(page, demo_org):
    cycle = demo_org
    employee = Employee.objects.get(user__username="employee")
    peers = [Employee.objects.get(user__username=name) for name in PEERS]
    page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" confirmations

    # HR moves the demo cycle to appraisal on the cycle page.
    sign_in(page, "hr")
    move_cycle(page, cycle, "appraisal")
    assert Cycle.objects.get(pk=cycle.pk).phase == Cycle.Phase.APPRAISAL
    appraisal = Appraisal.objects.get(participation__cycle=cycle, participation__employee=employee)
    items = list(appraisal.items.order_by("pk"))
    rated = [item for item in items if item.kind != ItemKind.PEER]
    peer_item = next(item for item in items if item.kind == ItemKind.PEER)
    suggested = [item for item in rated if item.suggested_rating is not None]
    assert len(suggested) >= 2, "the demo has quantitative goals with a suggested rating"

    # The employee rates every item, cites one evidence item and submits.
    sign_in(page, "employee")
    page.goto("/appraisal/mine/")
    form = page.get_by_test_id("self-assessment-form")
    for item in rated:
        section = form.locator(f'section[data-item="{item.pk}"]')
        section.locator('input[data-level="4"]').check()
        section.get_by_label("Your comment").fill(f"What I did on {item.title}")
    cited_section = form.locator(f'section[data-item="{rated[0].pk}"]')
    cited = cited_section.locator('input[type="checkbox"]').first
    cited.check()
    cited_id = int(cited.get_attribute("value"))
    page.get_by_test_id("submit-self").click()
    status_says(page, "Self-assessment submitted")
    expect(page.get_by_test_id("self-submitted")).to_be_visible()
    assert ItemEvidence.objects.filter(item=rated[0], evidence_id=cited_id).exists()

    # ...and, from there, nominates three colleagues for peer input.
    page.get_by_test_id("open-peer-input").click()
    page.wait_for_url("**/appraisal/peers/**")
    page.fill("#colleague-q", employee.department.name)
    page.get_by_role("button", name="Search").click()
    nominate = page.get_by_test_id("nominate-form")
    for person in peers:
        nominate.get_by_label(person.full_name, exact=False).check()
    nominate.get_by_role("button", name="Nominate").click()
    status_says(page, "3 nominated")

    # The manager approves the nominations and asks the peers.
    sign_in(page, "manager")
    page.goto("/appraisal/peers/approvals/")
    card = page.locator(f'section[data-appraisal="{appraisal.pk}"]')
    for _ in peers:
        card.get_by_role("button", name="Approve", exact=True).first.click()
        status_says(page, "approved")
        card = page.locator(f'section[data-appraisal="{appraisal.pk}"]')
    card.get_by_test_id("ask").click()
    status_says(page, "3 peers asked")

    # The three peers answer.
    for n, name in enumerate(PEERS):
        sign_in(page, name)
        page.goto("/appraisal/peers/asked/")
        page.get_by_test_id("open-requests").get_by_role("link", name="Answer").first.click()
        questionnaire = page.get_by_test_id("questionnaire")
        questionnaire.locator(f'input[type="radio"][value="{3 + n % 2}"]').first.check()
        questionnaire.locator("textarea").first.fill("Always unblocks others")
        questionnaire.get_by_role("button", name="Send my answers").click()
        status_says(page, "your peer input is in")

    # The manager reads the peer input from the review page, then reviews: keeps one
    # suggested rating, overrides another with a reason.
    sign_in(page, "manager")
    page.goto(f"/appraisal/appraisals/{appraisal.pk}/")
    page.get_by_test_id("open-peer-result").click()
    page.wait_for_url(f"**/appraisal/appraisals/{appraisal.pk}/peers/")
    expect(page.get_by_test_id("answer-count")).to_contain_text("3 of 3")
    expect(page.get_by_test_id("peer-result")).to_contain_text("3.33")
    page.goto(f"/appraisal/appraisals/{appraisal.pk}/")
    review = page.get_by_test_id("review-form")
    kept, overridden = suggested[0], suggested[1]
    expect(
        review.locator(
            f'section[data-item="{kept.pk}"] input[data-level="{kept.suggested_rating}"]'
        )
    ).to_be_checked()
    level = overridden.suggested_rating
    override = level + 1 if level < 5 else level - 1
    entry = review.locator(f'section[data-item="{overridden.pk}"]')
    entry.locator(f'input[data-level="{override}"]').check()
    entry.get_by_label("Why not the suggested rating").fill(OVERRIDE_REASON)
    for item in rated:
        if item.suggested_rating is None:
            review.locator(f'section[data-item="{item.pk}"] input[data-level="3"]').check()
    page.get_by_test_id("submit-review").click()
    status_says(page, "goes to calibration")
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.CALIBRATION
    proposed = appraisal.proposed_score
    kept.refresh_from_db()
    overridden.refresh_from_db()
    assert kept.manager_rating == kept.suggested_rating
    assert (overridden.manager_rating, overridden.override_reason) == (override, OVERRIDE_REASON)

    # HR calibrates the organisation: the employee's score changes, with a reason.
    sign_in(page, "hr")
    page.goto(f"/appraisal/hr/calibration/?cycle={cycle.pk}")
    page.get_by_test_id("session-start").click()
    expect(page.get_by_test_id("session-status")).to_contain_text("Session open")
    calibrated = min(proposed + Decimal("0.30"), Decimal("5.00")).quantize(Decimal("0.01"))
    if calibrated == proposed:
        calibrated = proposed - Decimal("0.30")
    row = page.locator(f'tr[data-appraisal="{appraisal.pk}"]')
    row.get_by_label("New score").fill(str(calibrated))
    row.get_by_label("Reason").fill(CALIBRATION_REASON)
    row.get_by_role("button", name="Adjust").click()
    expect(
        page.locator(f'tr[data-appraisal="{appraisal.pk}"]').get_by_test_id("final-score")
    ).to_have_text(f"{calibrated:.2f}")

    # ...releases the ratings and moves the cycle on to feedback (which closes the appraisal).
    page.goto(f"/appraisal/hr/release/?cycle={cycle.pk}")
    page.get_by_label("I understand").check()
    page.get_by_test_id("release-button").click()
    expect(page.get_by_test_id("released-at")).to_be_visible()
    move_cycle(page, cycle, "feedback")
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.FINALIZED
    assert appraisal.final_score == calibrated

    # The employee reads the breakdown: the lines add up, calibration takes it to the final.
    sign_in(page, "employee")
    page.goto("/appraisal/mine/")
    pages_text = [page.locator("main").inner_text()]
    page.get_by_test_id("open-breakdown").click()
    page.wait_for_url(f"**/appraisal/appraisals/{appraisal.pk}/breakdown/")
    contributions = page.locator("td[data-contribution]")
    total = sum(
        (number(text) for text in contributions.all_inner_texts() if text.strip() != "—"),
        Decimal(0),
    )
    lines_total = number(page.get_by_test_id("lines-total").inner_text())
    assert total == lines_total == proposed
    # The peers' answers (3, 4 and 3) are in the score as their mean.
    expect(page.locator("tr[data-line]", has_text=peer_item.title)).to_contain_text("3.33")
    calibration = page.get_by_test_id("calibration-table")
    expect(calibration).to_contain_text(CALIBRATION_REASON)
    expect(calibration).to_contain_text(f"{calibrated - proposed:+.2f}")
    expect(page.get_by_test_id("calibrated-total")).to_have_text(f"{calibrated:.2f}")
    expect(page.get_by_test_id("final-score")).to_have_text(f"{calibrated:.2f}")
    assert lines_total + (calibrated - proposed) == number(
        page.get_by_test_id("final-score").inner_text()
    )
    pages_text.append(page.locator("main").inner_text())

    # No peer's name on the employee's appraisal pages (the peer result is anonymous).
    page.goto("/appraisal/mine/")
    page.get_by_test_id("open-peer-input").click()
    page.wait_for_url("**/appraisal/peers/**")
    expect(page.get_by_test_id("peer-result")).to_contain_text("From 3 colleagues")
    pages_text.append(page.get_by_test_id("peer-result").inner_text())
    for text in pages_text:
        for person in peers:
            assert person.full_name not in text
            assert person.user.first_name not in text
