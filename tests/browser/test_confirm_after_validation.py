"""An irreversible action asks "are you sure?" only once its form is valid: a missing answer
is said at its field first, nothing is asked and nothing is sent (the server still checks)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from implementation.models import CheckIn, Deviation
from implementation.services import checkins
from perfcycle.models import Cycle, Participation
from tests.factories import enrol, make_cycle
from tests.goals.factories import make_goal
from tests.implementation.factories import make_deviation

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def running(org):
    today = timezone.localdate()
    start = (today.replace(day=1) - dt.timedelta(days=40)).replace(day=1)
    cycle = make_cycle("FY now", phase=Cycle.Phase.IMPLEMENTATION, start=start)
    enrol(cycle, org["employee"], org["peer"])
    return cycle


def open_checkin_form(page: Page, org, cycle) -> tuple[CheckIn, list[str]]:
    """The employee's open check-in, its form on screen, and the questions asked so far."""
    checkins.open_checkins(cycle=cycle, today=timezone.localdate())
    checkin = CheckIn.objects.get(participation__employee=org["employee"])
    asked = record_dialogs(page)
    sign_in(page, org["employee"])
    page.goto(f"/implementation/checkins/{checkin.pk}/edit/")
    return checkin, asked


def record_dialogs(page: Page) -> list[str]:
    asked: list[str] = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    return asked


def test_submitting_a_checkin_without_confidence_says_so_before_asking(
    page, org, running, results_dir
):
    """Submit with no confidence: the message is at the field, no dialog, nothing sent and
    the typed text is still there; with a confidence, the question comes, then it is sent."""
    checkin, asked = open_checkin_form(page, org, running)
    page.get_by_label("What went well").fill("Shipped the importer")
    page.get_by_test_id("submit-checkin").click()

    confidence = page.locator("#div_id_confidence")
    expect(confidence.locator("[data-client-error]")).to_have_text(
        "Say how confident you are (1 to 5) before you submit."
    )
    expect(page.locator("#id_confidence_0")).to_be_focused()
    expect(page.get_by_label("What went well")).to_have_value("Shipped the importer")
    page.screenshot(path=str(results_dir / "confirm-after-validation-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results_dir / "confirm-after-validation-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert asked == []
    checkin.refresh_from_db()
    assert (checkin.status, checkin.went_well) == ("pending", "")

    # Choosing a confidence clears the message; now the question comes and OK submits.
    page.get_by_text("4 – High").click()
    expect(confidence.locator("[data-client-error]")).to_have_count(0)
    page.get_by_test_id("submit-checkin").click()
    expect(page.get_by_role("status")).to_contain_text("Check-in submitted")
    assert asked == [
        "Submit this check-in? After submitting you can no longer change it; you can still comment."
    ]
    checkin.refresh_from_db()
    assert (checkin.status, checkin.confidence) == ("submitted", 4)


def test_saving_a_draft_needs_no_confidence_and_asks_nothing(page, org, running):
    """Only Submit needs a confidence: Save draft goes straight through."""
    checkin, asked = open_checkin_form(page, org, running)
    page.get_by_label("What went well").fill("Half done")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Draft saved")
    assert asked == []
    checkin.refresh_from_db()
    assert checkin.went_well == "Half done"


def test_closing_a_deviation_without_a_reason_says_so_before_asking(page, org, running):
    """Accepting a shortfall with no reason: the message is at the reason, no dialog; with
    a reason the question comes and OK closes it."""
    participation = Participation.objects.get(cycle=running, employee=org["employee"])
    goal = make_goal(org["employee"], cycle=running, status="approved", weight=100, target=10)
    deviation = make_deviation(goal, participation=participation)
    asked = record_dialogs(page)
    sign_in(page, org["manager"])
    page.goto(f"/implementation/deviations/{deviation.pk}/")
    accept = page.get_by_test_id("accept-form")
    accept.get_by_role("button", name="Accept the shortfall").click()
    expect(accept.locator("[data-client-error]")).to_be_visible()
    expect(accept.get_by_label("Why is the shortfall accepted?")).to_be_focused()
    assert asked == []
    deviation.refresh_from_db()
    assert deviation.status == Deviation.Status.OPEN

    accept.get_by_label("Why is the shortfall accepted?").fill("The product was dropped.")
    accept.get_by_role("button", name="Accept the shortfall").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert len(asked) == 1 and asked[0].startswith("Accept the shortfall")
    deviation.refresh_from_db()
    assert deviation.status == Deviation.Status.ACCEPTED
