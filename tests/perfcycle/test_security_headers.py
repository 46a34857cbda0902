"""Content-Security-Policy, no inline script, and pages behind sign-in never stored."""

import io
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from perfcycle import demo

pytestmark = pytest.mark.django_db

# Links a crawler must not follow: they act (sign out) or leave PerfCycle's pages.
SKIP_PREFIXES = ("/admin/", "/accounts/logout/", "/static/")
PAGES_PER_VIEW = 2  # two pages of each view (two goals, two check-ins...) are enough


class PageScan(HTMLParser):
    """What CSP would refuse to run on a page, and the links to follow from it."""

    def __init__(self):
        super().__init__()
        self.inline_scripts = []
        self.handlers = []
        self.style_elements = 0
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self.inline_scripts.append(self.getpos())
        if tag == "style":
            self.style_elements += 1
        self.handlers += [(tag, name) for name in attrs if name.startswith("on")]
        for name in ("href", "src", "action"):
            if (attrs.get(name) or "").lower().startswith("javascript:"):
                self.handlers.append((tag, name))
        if tag == "a" and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"])


def scan(response) -> PageScan:
    page = PageScan()
    page.feed(response.content.decode())
    return page


def crawl(client, start, limit=80):
    """GET every page reachable by links from `start`, a few per view; yield (url, response)."""
    seen, per_view, queue = set(), Counter(), [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or path.startswith(SKIP_PREFIXES):
            continue
        try:
            view = resolve(path).view_name
        except Resolver404:
            continue
        if per_view[view] >= PAGES_PER_VIEW:
            continue
        seen.add(url)
        per_view[view] += 1
        response = client.get(url)
        yield url, response
        if response.status_code == 302:
            queue.append(response["Location"])
        elif response.status_code == 400:
            print("400:", url)
        elif response.status_code == 200 and "text/html" in response["Content-Type"]:
            queue += scan(response).links


def assert_policy(url, response):
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"], url
    assert directives["style-src"] == ["'self'"], url
    assert directives["object-src"] == ["'none'"], url
    assert directives["frame-ancestors"] == ["'none'"], url


@pytest.fixture
def demo_org():
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.parametrize("login", ["employee", "manager", "hr"])
def test_every_page_of_each_role_has_the_policy_and_no_inline_script(demo_org, login):
    """Every page an employee, a manager or HR reaches by its links carries the CSP header, runs
    no inline script (no <script> body, no on…= handler, no <style> element) and tells browsers
    and proxies not to store it."""
    client = Client()
    client.post(reverse("login"), {"username": login, "password": demo.DEMO_PASSWORD})
    pages = 0
    for url, response in crawl(client, reverse("home")):
        # Error pages (a 400 for a filter, a 404) are pages too: they are checked the same way.
        if "text/html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        assert_policy(url, response)
        page = scan(response)
        assert page.inline_scripts == [], url
        assert page.handlers == [], url
        assert page.style_elements == 0, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url
    assert pages >= 15


def test_sign_in_pages_have_the_policy_too(client):
    """The pages before sign-in carry the policy and run no inline script either."""
    for name in ("login", "password_reset"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert_policy(name, response)
        assert scan(response).inline_scripts == []


def test_static_files_stay_cacheable_for_a_signed_in_person(login, employee, settings):
    """Style sheets and scripts are the same for everyone: no private/no-store on them."""
    settings.WHITENOISE_USE_FINDERS = True  # serve from the source folders, as in development
    settings.WHITENOISE_AUTOREFRESH = True
    response = login(employee).get("/static/css/perfcycle.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_every_answer_to_a_signed_in_person_is_private(login, employee):
    """Whatever a signed-in person gets (a page, a redirect, a 404) is marked private, no-store."""
    client = login(employee)
    for url in (reverse("home"), reverse("my-home"), "/no-such-page/"):
        response = client.get(url)
        parts = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= parts, url
