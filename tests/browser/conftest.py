"""Headless Chromium for the browser tests, driven by Playwright against pytest-django's live server.

The browser is Debian's ``/usr/bin/chromium`` (``make browser-deps`` installs it); Playwright's
own browser download is never used (it fails offline). Without Chromium the tests are skipped on
a developer's machine, but fail under CI, so that CI can never pass by skipping them.
"""

import contextlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an asyncio event loop in this thread; Django's ORM would otherwise
# refuse to run the fixtures' queries ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # The machine's network is closed: without these Chromium keeps dialling Google's hosts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
TIMEOUT_MS = 10_000


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: run `make browser-deps` (Debian's chromium package)"
        if under_ci():
            pytest.fail(f"CI must run the browser tests, but {reason}", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so `page` can tell if the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(browser, live_server, request):
    """A page in a fresh browser context (own cookies) per test, based at the live server."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # Anything the Content-Security-Policy blocks (an inline script, handler or <style>) is a
    # console error in Chromium: a page that would silently lose its behaviour fails the test.
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        # A crashed browser must not hide the test's own failure behind a screenshot error.
        with contextlib.suppress(PlaywrightError):
            page.screenshot(path=str(RESULTS_DIR / f"FAILED-{name}.png"), full_page=True)
    context.close()
    assert refused == [], "the Content-Security-Policy blocked something on a page"


@pytest.fixture
def results_dir():
    """Where screenshots go (gitignored)."""
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR


def sign_in(page, person) -> None:
    """Sign ``person`` in (a factory-made Employee, password tests.factories.PASSWORD) and wait
    until the home page they land on has loaded."""
    from tests.factories import PASSWORD

    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", person.user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
