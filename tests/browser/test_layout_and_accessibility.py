"""Every main page of each role on the seeded demo, in Chromium: axe-core finds no serious or
critical violation, nothing scrolls sideways on a 390 px phone, and the bar stays on one line
with the user menu in view at 1280 and 1366 px.

axe-core comes from the npm registry (package.json, installed by ``make test`` with ``npm ci``).
It is evaluated through the DevTools protocol, which the pages' Content-Security-Policy does not
apply to (a <script> tag with its text would be refused, as it should be). Screenshots of each
role's home at 1280 and 390 px, and of each open menu, go to test-results/.
"""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from goals.models import Goal, Indicator, RatingScale, Template
from implementation.models import CheckIn, Deviation
from perfcycle import demo
from perfcycle.models import Cycle, Employee

from .conftest import under_ci

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE, LAPTOP, DESKTOP = 390, 1280, 1366
HOMES = {"employee": "/me/", "manager": "/team/", "hr": "/hr/"}


@pytest.fixture
def axe_source():
    if not AXE.exists():
        reason = f"{AXE} is missing: run `make node-deps` (npm ci)"
        if under_ci():
            pytest.fail(f"CI must run the accessibility checks, but {reason}", pytrace=False)
        pytest.skip(reason)
    return AXE.read_text()


@pytest.fixture
def demo_org(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    return Cycle.objects.exclude(phase=Cycle.Phase.CLOSED).order_by("-start_date").first()


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def nav_links(page: Page) -> list[str]:
    """Every page the bar links to (menus included, open or not), in the bar's order."""
    hrefs = page.eval_on_selector_all(
        "nav a[data-nav]", "links => links.map(a => a.getAttribute('href'))"
    )
    return list(dict.fromkeys(h for h in hrefs if h and h != "#"))


def first_url(queryset) -> list[str]:
    item = queryset.first()
    return [item.get_absolute_url()] if item is not None else []


def detail_pages(role: str, cycle) -> list[str]:
    """The pages one step below the bar that each role opens daily."""
    person = Employee.objects.get(user__username=role)
    if role == "employee":
        return [
            *first_url(Goal.objects.filter(owner=person, cycle=cycle).order_by("pk")),
            *first_url(CheckIn.objects.filter(participation__employee=person).order_by("-pk")),
            *first_url(Deviation.objects.filter(participation__employee=person).order_by("pk")),
            reverse("implementation:evidence-create"),
            reverse("goals:tree", args=[cycle.pk]),
        ]
    if role == "manager":
        reports = Employee.objects.filter(manager=person)
        return [
            *first_url(Goal.objects.filter(owner__in=reports, cycle=cycle).order_by("pk")),
            *first_url(CheckIn.objects.filter(participation__employee__in=reports).order_by("pk")),
            *first_url(
                Deviation.objects.filter(participation__employee__in=reports).order_by("pk")
            ),
        ]
    return [
        cycle.get_absolute_url(),
        reverse("cycle-create"),
        reverse("goals:cycle-setup", args=[cycle.pk]),
        reverse("goals:cycle-setup-people", args=[cycle.pk]),
        reverse("goals:cycle-setup-people-add", args=[cycle.pk]),
        *[
            reverse("goals:participant-reviewer", args=[cycle.pk, pk])
            for pk in cycle.participations.order_by("pk").values_list("pk", flat=True)[:1]
        ],
        reverse("implementation:checkin-settings", args=[cycle.pk]),
        reverse("goals:indicator-list"),
        reverse("goals:scale-list"),
        reverse("goals:template-list"),
        *first_url(RatingScale.objects.order_by("pk")),
        *first_url(Indicator.objects.order_by("pk")),
        *first_url(Template.objects.order_by("pk")),
        reverse("goals:tree", args=[cycle.pk]),
    ]


def serious_violations(page: Page, axe_source: str) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source + "\n;0")
    found = page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']}).then(result =>
            result.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => `${v.impact} ${v.id}: ` + v.nodes.slice(0, 3)
                .map(n => n.target.join(' ') + ' (' + n.failureSummary.split('\\n')[1] + ')')
                .join('; ')))"""
    )
    return found


def page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def assert_bar_fits(page: Page, width: int) -> None:
    """One line: the brand, the menus and the user menu share a row inside the viewport."""
    page.set_viewport_size({"width": width, "height": 900})
    bar = page.locator("nav.navbar").bounding_box()
    brand = page.locator(".navbar-brand").bounding_box()
    user = page.locator("[data-nav=user-menu]")
    expect(user).to_be_visible()
    box = user.bounding_box()
    assert bar["height"] < 2 * brand["height"], f"the bar wraps at {width} px"
    assert abs(box["y"] + box["height"] / 2 - (brand["y"] + brand["height"] / 2)) < 8
    assert box["x"] + box["width"] <= width, f"the user menu is off the screen at {width} px"
    assert page_width(page) <= width, f"the page scrolls sideways at {width} px"


@pytest.mark.parametrize("role", ["employee", "manager", "hr"])
def test_every_main_page_is_accessible_and_fits_a_phone(
    page, live_server, demo_org, axe_source, results_dir, role
):
    """Each page of the role's bar and the pages below it that the role opens daily: no
    serious or critical axe-core violation at 1280 or 390 px, and at 390 px nothing is wider
    than the screen."""
    sign_in(page, role)
    page.goto(HOMES[role])
    pages = nav_links(page) + detail_pages(role, demo_org)
    assert len(pages) >= 6

    problems = []
    for url in pages:
        page.set_viewport_size({"width": LAPTOP, "height": 900})
        response = page.goto(url)
        assert response.status == 200, url
        problems += [f"{url} at {LAPTOP} px: {v}" for v in serious_violations(page, axe_source)]
        page.set_viewport_size({"width": PHONE, "height": 800})
        # Let the page's resize handlers run (scrolling tables become focusable regions)
        # before axe looks: two animation frames come after the resize event.
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        if page_width(page) > PHONE:
            problems.append(f"{url} is {page_width(page)} px wide at {PHONE} px")
        problems += [f"{url} at {PHONE} px: {v}" for v in serious_violations(page, axe_source)]

    assert problems == []


@pytest.mark.parametrize("role", ["employee", "manager", "hr"])
def test_the_bar_fits_on_one_line_and_folds_on_a_phone(page, demo_org, results_dir, role):
    """At 1280 and 1366 px the bar is one line with the user menu in view; each area menu
    opens with its stage headings; at 390 px the bar folds behind one button, which opens
    every menu. The current page is marked."""
    sign_in(page, role)
    page.goto(HOMES[role])
    for width in (DESKTOP, LAPTOP):
        assert_bar_fits(page, width)
    page.screenshot(path=str(results_dir / f"home-{role}-{LAPTOP}.png"), full_page=True)
    expect(page.locator("nav [aria-current=page]")).to_have_count(1)

    menus = page.locator("nav .dropdown-toggle[data-nav^=area-]")
    for index in range(menus.count()):
        menu = menus.nth(index)
        menu.click()
        items = page.locator(".pc-area-menu.show [data-nav]")
        expect(items.first).to_be_visible()
        box = page.locator(".pc-area-menu.show").bounding_box()
        assert box["x"] + box["width"] <= LAPTOP, "a menu is cut off at the right"
        key = menu.get_attribute("data-nav")
        page.screenshot(path=str(results_dir / f"menu-{role}-{key}-{LAPTOP}.png"))
        page.keyboard.press("Escape")

    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto(HOMES[role])
    assert page_width(page) <= PHONE
    page.screenshot(path=str(results_dir / f"home-{role}-{PHONE}.png"), full_page=True)
    expect(page.locator("[data-nav=user-menu]")).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))  # opened
    expect(page.locator("[data-nav=user-menu]")).to_be_visible()
    page.locator("nav .dropdown-toggle[data-nav^=area-]").first.click()
    expect(page.locator(".pc-area-menu.show [data-nav]").first).to_be_visible()
    assert page_width(page) <= PHONE
    page.screenshot(path=str(results_dir / f"menu-{role}-{PHONE}.png"))


def test_hr_menu_groups_its_pages_by_stage_and_marks_the_current_one(page, demo_org, results_dir):
    """HR's menu has the core pages first, then a Planning and an Implementation section;
    on the Audit log page its entry is the current one and the HR toggle is active."""
    sign_in(page, "hr")
    page.goto(reverse("audit-list"))
    toggle = page.locator("[data-nav=area-hr]")
    expect(toggle).to_have_class("nav-link dropdown-toggle active")
    toggle.click()
    menu = page.locator(".pc-area-menu.show")
    expect(menu.get_by_role("list", name="Planning")).to_contain_text("Planning progress")
    expect(menu.get_by_role("list", name="Implementation")).to_contain_text(
        "Check-in participation"
    )
    expect(menu.locator("[aria-current=page]")).to_have_text("Audit log")
    menu.locator("[data-nav=participation]").click()
    page.wait_for_url("**/participation/**")
    expect(page.locator("nav [aria-current=page]")).to_have_attribute("data-nav", "participation")


@pytest.mark.parametrize(("role", "table"), [("manager", "team-table"), ("hr", "cycle-table")])
def test_home_tables_stack_instead_of_scrolling_at_phone_width(
    page, live_server, demo_org, results_dir, role, table
):
    """At 390 px the manager's reports and HR's cycles show each row as a block of labelled
    lines: nothing scrolls sideways inside the card, and every value says what it is."""
    sign_in(page, role)
    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto(HOMES[role])
    rows = page.get_by_test_id(table).locator("tbody tr")
    expect(rows.first).to_be_visible()
    box = page.get_by_test_id(table).evaluate(
        "t => { const b = t.closest('.table-responsive') || t.parentElement;"
        " return [b.scrollWidth, b.clientWidth]; }"
    )
    assert box[0] <= box[1], f"the {table} scrolls inside its card: {box}"
    assert rows.first.evaluate("r => getComputedStyle(r).display") == "block"
    labels = rows.first.locator("td[data-label]")
    assert labels.count() >= 2
    page.get_by_test_id(table).scroll_into_view_if_needed()
    page.screenshot(path=str(results_dir / f"home-table-{role}-{PHONE}.png"), full_page=True)
