"""A running improvement plan in a real browser (plans lane): the plan shows in the
employee's check-in of the next cycle; the employee ticks off their action; the manager
records the check-point (a missing note is refused at the field) and then the outcome.
Screenshots at 1280 and 390 px of the active plan (manager, employee), the check-in with
the plan panel and the closed plan."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from feedback.models import PlanStatus
from perfcycle.models import Cycle
from tests.browser.conftest import sign_in
from tests.browser.test_layout_and_accessibility import axe_source
from tests.browser.test_plan_signing import _shots
from tests.factories import enrol, make_cycle
from tests.feedback.factories import released_org
from tests.feedback.plan_factories import active, required_plan
from tests.implementation.factories import make_checkin

__all__ = ["axe_source"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checkpoint_and_outcome_recorded_by_the_manager(page, results_dir, axe_source):
    org = released_org()
    plan = active(required_plan(org), org)
    point = plan.checkpoints.order_by("due_date").first()
    point.due_date = dt.date.today()
    point.save(update_fields=["due_date"])
    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=org.cycle.end_date)
    (participation,) = enrol(cycle, org.employee)
    checkin = make_checkin(participation, period_start=cycle.start_date)
    page.on("dialog", lambda dialog: dialog.accept())

    # The employee sees the plan in the next cycle's check-in and ticks off an action.
    sign_in(page, org.employee)
    page.goto(checkin.get_absolute_url())
    panel = page.locator('[data-panel="improvement-plan"]')
    expect(panel).to_contain_text("Next check-point")
    _shots(page, results_dir, "plan-checkin-panel", axe_source)
    panel.get_by_role("link").first.click()
    mine = plan.actions.get(owner="employee")
    page.get_by_test_id(f"tick-{mine.pk}").click()
    expect(page.get_by_test_id(f"tick-{mine.pk}")).to_have_text("Done")
    assert page.get_by_test_id(f"tick-{plan.actions.get(owner='manager').pk}").count() == 0
    _shots(page, results_dir, "plan-active-employee", axe_source)

    # The manager records the check-point: without a note it is refused at the field.
    sign_in(page, org.manager)
    page.goto(plan.get_absolute_url())
    form = page.get_by_test_id(f"record-{point.pk}")
    form.get_by_label("Behind").check()
    form.get_by_role("button", name="Record check-point").click()
    expect(page.get_by_test_id(f"record-{point.pk}").locator(".invalid-feedback")).to_be_visible()
    form = page.get_by_test_id(f"record-{point.pk}")
    form.get_by_label("Behind").check()
    form.get_by_label("What you found").fill("One release slipped; the plan holds.")
    form.get_by_role("button", name="Record check-point").click()
    expect(page.get_by_role("status")).to_contain_text("Check-point recorded")
    expect(page.locator(f'[data-checkpoint="{point.pk}"] [data-checkpoint-status]')).to_have_text(
        "Behind"
    )
    _shots(page, results_dir, "plan-active-manager", axe_source)

    # ... then the outcome: completed, with a note.
    close = page.get_by_test_id("close-form")
    close.get_by_label("Completed: the success criteria are met").check()
    close.get_by_label("Note on the outcome").fill("Both releases shipped on time.")
    page.get_by_test_id("close-plan").click()
    expect(page.get_by_role("status")).to_contain_text("Outcome recorded")
    expect(page.get_by_test_id("outcome-note")).to_have_text("Both releases shipped on time.")
    _shots(page, results_dir, "plan-completed", axe_source)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
