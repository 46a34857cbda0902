"""The pages whose forms were redesigned (issue 8, "forms that surprise"), in the state where
their forms show: the reviewer's check-in reply, the goal decision with "Return for
changes…" opened, the adjustment decision, the deviation's agree form for owner and
reviewer, the evidence form of an employee and of a manager in two cycles, and the cycle
setup's plan before and after it is saved. At 1280 and 390 px: no serious or critical
axe-core violation and nothing wider than the phone; screenshots go to test-results/."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from goals.models import CyclePlan, RatingLevel, RatingScale
from implementation.models import CheckIn
from perfcycle.models import Cycle, Participation
from tests.factories import enrol, make_cycle
from tests.goals.factories import make_adjustment, make_goal
from tests.implementation.factories import make_deviation

from .conftest import sign_in
from .test_layout_and_accessibility import (  # noqa: F401 (axe_source is a fixture)
    LAPTOP,
    PHONE,
    axe_source,
    page_width,
    serious_violations,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(org):
    today = timezone.localdate()
    start = (today.replace(day=1) - dt.timedelta(days=40)).replace(day=1)
    running = make_cycle("FY now", phase=Cycle.Phase.IMPLEMENTATION, start=start)
    planning = make_cycle("FY next", start=today + dt.timedelta(days=150))
    enrol(running, org["employee"], org["peer"], org["manager"])
    enrol(planning, org["employee"], org["peer"], org["manager"])
    part = Participation.objects.get(cycle=running, employee=org["employee"])
    approved = make_goal(
        org["employee"],
        cycle=running,
        status="approved",
        weight=100,
        title="Close deals",
        baseline=Decimal("0"),
        target=Decimal("12"),
    )
    make_adjustment(approved, by=org["employee"], new_target=Decimal("10"))
    submitted_goal = make_goal(
        org["employee"], cycle=planning, status="submitted", title="Open the Lyon office"
    )
    checkin = CheckIn.objects.create(
        participation=part,
        period_start=start,
        period_end=start + dt.timedelta(days=27),
        due_date=start + dt.timedelta(days=30),
        status="submitted",
        submitted_at=timezone.now(),
        went_well="Signed two customers",
        confidence=4,
    )
    deviation = make_deviation(approved, participation=part)
    scale = RatingScale.objects.create(name="Five levels", is_default=True)
    for value in range(1, 6):
        RatingLevel.objects.create(scale=scale, value=value, label=f"Level {value}")
    CyclePlan.objects.create(cycle=running, rating_scale=scale)
    return {
        "running": running,
        "planning": planning,
        "approved": approved,
        "goal": submitted_goal,
        "checkin": checkin,
        "deviation": deviation,
    }


def look(page: Page, url: str, name: str, results_dir, axe_js: str, *, before=None) -> list[str]:
    problems = []
    for width in (LAPTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        response = page.goto(url)
        assert response.status == 200, url
        if before:
            before(page)
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        page.screenshot(path=str(results_dir / f"forms-{name}-{width}.png"), full_page=True)
        if page_width(page) > width:
            problems.append(f"{name} is {page_width(page)} px wide at {width} px")
        problems += [f"{name} at {width} px: {v}" for v in serious_violations(page, axe_js)]
    return problems


def open_all_disclosures(page: Page) -> None:
    page.evaluate("() => document.querySelectorAll('details').forEach(d => (d.open = true))")


def test_the_redesigned_forms_are_accessible_and_fit_a_phone(
    page,
    org,
    world,
    results_dir,
    axe_source,  # noqa: F811 (the imported fixture)
):
    urls = {
        "checkin": world["checkin"].get_absolute_url(),
        "goal": world["goal"].get_absolute_url(),
        "approved": world["approved"].get_absolute_url(),
        "deviation": world["deviation"].get_absolute_url(),
        "evidence": reverse("implementation:evidence-create"),
        "setup-saved": reverse("goals:cycle-setup", args=[world["running"].pk]),
        "setup-unsaved": reverse("goals:cycle-setup", args=[world["planning"].pk]),
    }
    visits = [
        ("manager", "checkin", "checkin-review"),
        ("manager", "goal", "goal-decision"),
        ("manager", "approved", "adjustment-decision"),
        ("manager", "deviation", "deviation-reviewer"),
        ("manager", "evidence", "evidence-manager"),
        ("employee", "deviation", "deviation-owner"),
        ("employee", "evidence", "evidence-employee"),
        ("hr", "setup-saved", "setup-saved"),
        ("hr", "setup-unsaved", "setup-unsaved"),
    ]
    problems, signed_in = [], None
    for role, key, name in visits:
        if role != signed_in:
            sign_in(page, org[role])
            signed_in = role
        problems += look(
            page, urls[key], name, results_dir, axe_source, before=open_all_disclosures
        )
    assert problems == []
