"""Each role signs in through the real login form and lands on its own home page, with only
the navigation it may use. Full-page screenshots of each landing page go to test-results/."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HR_ITEMS = {"area-hr", "hr", "cycles", "progress", "participation", "people", "import", "audit"}
EVERYONE = {"area-my", "my", "goals", "checkins", "evidence", "deviations", "notifications"}
MANAGER_ITEMS = {"area-team", "teamhome", "teamcheckins"}


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form button[type=submit]").click()


def visible_nav_items(page: Page) -> set[str]:
    """What the bar shows, with each area menu opened in turn."""

    def visible(links):
        return {
            links.nth(i).get_attribute("data-nav")
            for i in range(links.count())
            if links.nth(i).is_visible()
        }

    shown = visible(page.locator("[data-nav]"))
    menus = page.locator("[data-nav^=area-]")
    for i in range(menus.count()):
        menus.nth(i).click()
        shown |= visible(page.locator(".pc-area-menu.show [data-nav]"))
        page.keyboard.press("Escape")
    return shown


@pytest.mark.parametrize(
    ("role", "path", "heading", "allowed", "forbidden"),
    [
        pytest.param(
            "employee", "/me/", "Hello, Employee", EVERYONE, HR_ITEMS | MANAGER_ITEMS, id="employee"
        ),
        pytest.param(
            "manager", "/team/", "My team", EVERYONE | MANAGER_ITEMS, HR_ITEMS, id="manager"
        ),
        pytest.param("hr", "/hr/", "HR overview", EVERYONE | HR_ITEMS, set(), id="hr"),
    ],
)
def test_role_lands_on_its_home_with_only_its_navigation(
    page, org, results_dir, role, path, heading, allowed, forbidden
):
    """Signing in takes each role to its own home page, whose navigation shows what the role may
    use and nothing it may not."""
    person = org[role]

    sign_in(page, person.user.username, PASSWORD)

    page.wait_for_url(f"**{path}")
    assert page.url.endswith(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    shown = visible_nav_items(page)
    assert allowed <= shown, f"{role} should see {sorted(allowed - shown)}"
    assert not (forbidden & shown), f"{role} must not see {sorted(forbidden & shown)}"
    page.screenshot(path=str(results_dir / f"landing-{role}.png"), full_page=True)


def test_wrong_password_shows_an_error_on_the_login_page(page, employee, results_dir):
    """A wrong password keeps the visitor on the login page with an error and no navigation."""
    sign_in(page, employee.user.username, "not-the-password")

    expect(page.locator("[data-testid=form-errors]")).to_be_visible()
    expect(page.locator("[data-testid=form-errors]")).to_contain_text(
        "correct username and password"
    )
    assert "/accounts/login/" in page.url
    assert page.locator("[data-nav]").count() == 0
    page.screenshot(path=str(results_dir / "login-error.png"), full_page=True)
