"""The whole feedback stage on the demo organisation, in Chromium, through the pages only.

The appraisal of ``employee`` is rated and released through the appraisal services (the
appraisal pages have their own journey, test_appraisal_cycle_journey.py); HR moves the
demo cycle to feedback on the cycle page. Then: ``manager`` schedules the interview (the
invitation's .ics parses as a calendar event), records it (achievements, deficiencies, a
root cause) and proposes a goal for the next cycle; ``employee`` disagrees with one item
and says why; the skip-level manager (``rajesh.iyer``, the manager's manager in the demo)
changes the rating; the employee reads the resolution and the new score in the breakdown.
The result is below the qualified level, so the required improvement plan is there: the
manager and the employee both sign it. HR creates the next cycle and enrols Engineering,
and the employee finds the agreed goal as a draft goal of the new cycle.

The database is read only to find rows' ids for the locators and to check what was written.
"""

import datetime as dt
from pathlib import Path

import icalendar
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appraisal.models import Appraisal
from appraisal.services.assessment import (
    ItemInput,
    rated_items,
    submit_manager_review,
    submit_self_assessment,
)
from appraisal.services.calibration import release_ratings
from appraisal.services.settings import settings_for
from feedback.demo import PROPOSALS
from feedback.models import Dispute, DisputeStatus, ImprovementPlan, Interview, PlanStatus
from feedback.services.settings import below_qualified
from feedback.services.settings import settings_for as feedback_settings_for
from goals.models import Goal, GoalStatus
from perfcycle.models import Cycle, Employee, Participation
from perfcycle.phases import advance_cycle_phase
from tests.browser.test_appraisal_cycle_journey import move_cycle, sign_in
from tests.browser.test_layout_and_accessibility import demo_org
from tests.feedback.carry_factories import ensure_root_causes

__all__ = ["demo_org"]  # the fixture, used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SKIP_LEVEL = "rajesh.iyer"  # the manager's manager in the demo (perfcycle/demo_data.py)
NEXT_GOAL = "Own the release checklist"
DISPUTE_REASON = "I ran the migration on my own while the team was away."
RESOLUTION = "The release log shows you led the migration."


def rate(appraisal: Appraisal, level: int, comment: str) -> dict:
    """Every rated item at ``level``, with a reason where the indicator suggests another."""
    return {
        item.pk: ItemInput(
            rating=level,
            comment=comment,
            override_reason=(
                "The numbers do not tell the whole story."
                if item.suggested_rating not in (None, level)
                else ""
            ),
        )
        for item in rated_items(appraisal)
    }


def released_appraisal(cycle: Cycle, employee: Employee, manager: Employee, hr) -> Appraisal:
    """The cycle into appraisal; the employee's self-assessment and the manager's review
    (every item at 2, below the qualified level); HR releases the ratings."""
    advance_cycle_phase(actor=hr, cycle_id=cycle.pk, to_phase=Cycle.Phase.APPRAISAL)
    appraisal = Appraisal.objects.get(participation__cycle=cycle, participation__employee=employee)
    appraisal = submit_self_assessment(
        actor=employee.user,
        appraisal=appraisal,
        data=rate(appraisal, 3, "What I did this year."),
        expected_version=appraisal.version,
    )
    appraisal = submit_manager_review(
        actor=manager.user,
        appraisal=appraisal,
        data=rate(appraisal, 2, "What I saw this year."),
        expected_version=appraisal.version,
    )
    release_ratings(cycle=cycle, expected_version=settings_for(cycle).version, actor=hr)
    return appraisal


def shoot(page, results_dir, name: str) -> None:
    """The page at 1280 and 390 px; nothing wider than the phone."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(
            path=str(results_dir / f"feedback-cycle-{name}-{width}.png"), full_page=True
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def day_ahead():
    """The interview is scheduled at 23:30 today and recorded at once (from the scheduled
    day on): late in the evening the server's clock moves on to 00:30."""
    now = timezone.localtime()
    if now.hour < 23:
        yield
        return
    tomorrow = now.date() + dt.timedelta(days=1)
    traveller = time_machine.travel(
        timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(0, 30))), tick=True
    )
    traveller.start()
    yield
    traveller.stop()


def test_the_demo_cycle_through_feedback_to_the_next_cycle(page, demo_org, results_dir, day_ahead):
    cycle = demo_org
    employee = Employee.objects.get(user__username="employee")
    manager = Employee.objects.get(user__username="manager")
    skip = Employee.objects.get(user__username=SKIP_LEVEL)
    hr = Employee.objects.get(user__username="hr").user
    assert employee.manager_id == manager.pk and manager.manager_id == skip.pk
    ensure_root_causes()  # migration rows, emptied by other transactional tests
    appraisal = released_appraisal(cycle, employee, manager, hr)
    page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" confirmations

    # HR moves the cycle to feedback on the cycle page (which finalises the appraisals).
    sign_in(page, "hr")
    move_cycle(page, cycle, "feedback")
    appraisal.refresh_from_db()
    first_score = appraisal.final_score
    assert first_score is not None

    # The manager schedules the interview from "Interviews", later today.
    sign_in(page, "manager")
    page.goto("/feedback/interviews/")
    row = page.locator("[data-group=to_schedule] tr", has_text=employee.full_name)
    row.get_by_role("link", name="Schedule").click()
    today = timezone.localdate()
    page.fill("#id_slot-date", today.isoformat())
    page.fill("#id_slot-time", "23:30")
    page.fill("#id_slot-location", "Room 4.12")
    page.get_by_role("button", name="Schedule and invite").click()
    expect(page.get_by_role("status")).to_contain_text("has been sent the invitation")
    expect(page.locator("[data-interview-status]").first).to_have_text("Scheduled")
    interview = Interview.objects.get(appraisal=appraisal)

    # The employee finds it under "My interview"; the calendar file is one event.
    sign_in(page, "employee")
    page.goto("/feedback/interview/")
    expect(page.get_by_test_id("interview-place")).to_have_text("Room 4.12")
    with page.expect_download() as download:
        page.get_by_test_id("add-to-calendar").click()
    calendar = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    assert str(events[0]["UID"]) == interview.ics_uid
    assert events[0].decoded("DTSTART") == interview.starts_at
    assert "Room 4.12" in str(events[0]["LOCATION"])

    # The manager records it (the scheduled day has come) and proposes a next-cycle goal.
    sign_in(page, "manager")
    page.goto(f"/feedback/interviews/{interview.pk}/")
    form = page.get_by_test_id("record-form")
    form.get_by_label("Achievements affirmed").fill("Kept the checkout service up all year.")
    form.get_by_label("Deficiencies found").fill("Releases slipped twice.")
    form.get_by_label("Skills").check()
    form.get_by_label("Expectations for the next cycle").fill("Releases on the agreed date.")
    page.get_by_role("button", name="Record as held").click()
    expect(page.get_by_role("status")).to_contain_text("Interview recorded")
    expect(page.locator("[data-interview-status]").first).to_have_text("Held")
    expect(page.get_by_test_id("record-causes")).to_contain_text("Skills")
    shoot(page, results_dir, "recorded")
    page.get_by_test_id("interview-link").filter(has_text="Next-cycle goals").click()
    page.locator("#id_title").fill(NEXT_GOAL)
    page.get_by_label("Weight %").fill("30")
    page.get_by_role("button", name="Add goal").click()
    expect(page.locator(".pc-messages")).to_contain_text(f"“{NEXT_GOAL}” added.")

    # The employee reads the record and disagrees with one item, saying why.
    item = rated_items(appraisal).first()
    sign_in(page, "employee")
    page.goto("/feedback/result/")
    expect(page.get_by_test_id("interview-record")).to_contain_text("checkout service")
    expect(page.get_by_test_id("result-summary")).to_contain_text(f"{first_score:.2f}")
    form = page.get_by_test_id("disagree-form")
    form.locator(f'[name="item_{item.pk}"]').check()
    form.locator(f'[name="reason_{item.pk}"]').fill(DISPUTE_REASON)
    page.get_by_test_id("disagree").click()
    expect(page.get_by_role("status")).to_contain_text("Your disagreement is recorded")
    expect(page.get_by_test_id("my-disputes")).to_contain_text(skip.full_name)
    shoot(page, results_dir, "disputed")

    # The skip-level manager finds it under "Disputes on my team" and changes the rating.
    sign_in(page, SKIP_LEVEL)
    page.goto("/feedback/disputes/team/")
    expect(page.get_by_test_id("to-decide")).to_contain_text(item.title)
    page.get_by_test_id("to-decide").get_by_role("link", name="Decide").click()
    expect(page.get_by_test_id("dispute-reason")).to_contain_text(DISPUTE_REASON)
    page.get_by_label("Change the rating").check()
    page.get_by_label("New rating").select_option("3")
    page.get_by_label("Resolution").fill(RESOLUTION)
    page.get_by_test_id("resolve").click()
    expect(page.get_by_test_id("decision")).to_contain_text("changed from 2 to 3")
    dispute = Dispute.objects.get(item=item)
    assert dispute.status == DisputeStatus.CHANGED
    appraisal.refresh_from_db()
    new_score = appraisal.final_score
    assert new_score > first_score

    # The employee reads the resolution and the new score, on the result and the breakdown.
    sign_in(page, "employee")
    page.goto("/feedback/result/")
    expect(page.get_by_test_id(f"resolution-{dispute.pk}")).to_contain_text(RESOLUTION)
    expect(page.locator(f'[data-revised="{item.pk}"]')).to_contain_text("changed after dispute")
    expect(page.get_by_test_id("result-summary")).to_contain_text(f"{new_score:.2f}")
    shoot(page, results_dir, "resolved")
    page.goto(f"/appraisal/appraisals/{appraisal.pk}/breakdown/")
    expect(page.get_by_test_id("final-score")).to_have_text(f"{new_score:.2f}")

    # Below the qualified level: the required plan is there. Otherwise the manager starts
    # one by choice from "Improvement plans". Both sign it.
    sign_in(page, "manager")
    page.goto("/feedback/plans/team/")
    if below_qualified(appraisal, feedback_settings_for(cycle)):
        plan = ImprovementPlan.objects.get(appraisal=appraisal, required=True)
        page.locator(f'tr[data-plan="{plan.pk}"] a').first.click()
        expect(page.locator("main")).to_contain_text("below the qualified level")
    else:
        page.get_by_test_id(f"start-{appraisal.pk}").click()
        expect(page.get_by_role("status")).to_be_visible()
        plan = ImprovementPlan.objects.get(appraisal=appraisal)
        page.goto(plan.get_absolute_url())
        expect(page.locator("main")).to_contain_text("Started by choice")
    page.get_by_label("Success criteria", exact=True).fill("Two releases on the agreed date.")
    page.get_by_label("Starts", exact=True).fill((today + dt.timedelta(days=1)).isoformat())
    page.get_by_label("Ends", exact=True).fill((today + dt.timedelta(days=90)).isoformat())
    actions = page.locator('[data-formset="actions"]')
    actions.locator('textarea[name="actions-0-description"]').fill("Plan each release")
    actions.locator('select[name="actions-0-owner"]').select_option("employee")
    actions.locator('input[name="actions-0-due_date"]').fill(
        (today + dt.timedelta(days=30)).isoformat()
    )
    page.locator('input[name="checkpoints-0-due_date"]').fill(
        (today + dt.timedelta(days=45)).isoformat()
    )
    page.get_by_test_id("save-plan").click()
    expect(page.get_by_role("status")).to_contain_text("Plan saved")
    page.get_by_test_id("sign-plan").click()
    expect(page.get_by_role("status")).to_contain_text("Signed")
    sign_in(page, "employee")
    page.goto("/feedback/plans/mine/")
    page.get_by_test_id("open-plan").click()
    page.get_by_test_id("sign-plan").click()
    expect(page.get_by_role("status")).to_contain_text("You both signed")
    expect(page.locator("[data-plan-status]").first).to_have_text("Agreed")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AGREED

    # HR creates the next cycle and enrols Engineering.
    sign_in(page, "hr")
    start = cycle.end_date + dt.timedelta(days=1)
    page.goto("/cycles/new/")
    page.get_by_label("Name").fill("Next year")
    for label, day in [
        ("Start date", start),
        ("End date", start + dt.timedelta(days=364)),
        ("Planning ends", start + dt.timedelta(days=45)),
        ("Implementation ends", start + dt.timedelta(days=300)),
        ("Appraisal ends", start + dt.timedelta(days=330)),
        ("Feedback ends", start + dt.timedelta(days=350)),
        ("Application ends", start + dt.timedelta(days=364)),
    ]:
        page.get_by_label(label).fill(day.isoformat())
    page.get_by_role("button", name="Create cycle").click()
    expect(page.get_by_role("status")).to_contain_text("Cycle “Next year” created.")
    later = Cycle.objects.get(name="Next year")
    page.locator("[data-action=cycle-people]").click()
    page.get_by_test_id("add-people").click()
    department = page.get_by_test_id("by-department")
    department.get_by_label("Department", exact=True).select_option(label="Engineering")
    department.get_by_role("button", name="Add this department").click()
    expect(page.get_by_role("status")).to_contain_text("added to the cycle")
    assert Participation.objects.filter(cycle=later, employee=employee).exists()

    # The employee finds the agreed goal as a draft of the new cycle.
    sign_in(page, "employee")
    page.goto("/feedback/my/next-cycle-goals/")
    # Last year's two (carried into this year's cycle when it was planned) and this one.
    expect(page.locator('[data-proposal-state="carried"]')).to_have_count(
        1 + len(PROPOSALS["employee"])
    )
    page.get_by_role("link", name=NEXT_GOAL).click()
    expect(page.get_by_test_id("goal-origin")).to_contain_text(
        f"Agreed in your feedback interview of {cycle.name}"
    )
    goal = Goal.objects.get(owner=employee, cycle=later, title=NEXT_GOAL)
    assert goal.status == GoalStatus.DRAFT
    page.goto(f"{reverse('goals:my-goals')}?cycle={later.pk}")
    drafts = page.locator('section[aria-labelledby="group-draft"]')
    expect(drafts).to_contain_text(NEXT_GOAL)
    shoot(page, results_dir, "next-cycle-drafts")
