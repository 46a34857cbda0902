"""Sign-in throttling (django-axes) and password-reset rate limits."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from perfcycle.throttling import client_ip
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

OFFICE = "192.0.2.10"
HOME = "198.51.100.20"
LOCKED = "Too many failed sign-in attempts. Try again in 15 minutes."


def sign_in(client, username, password, address=OFFICE):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def form_errors(response):
    """The messages in the error summary at the top of the form, as the visitor reads them."""
    summary = re.search(r'data-testid="form-errors">(.*?)</div>', response.content.decode(), re.S)
    return re.findall(r"<li>(.*?)</li>", summary.group(1), re.S) if summary else []


def what_a_visitor_sees(client, response):
    """Status, page and messages: everything of a sign-in answer except the CSRF token."""
    return (
        response.status_code,
        response.templates[0].name,
        form_errors(response),
        "_auth_user_id" in client.session,
    )


def test_bad_passwords_lock_the_account_from_any_address(client, employee, settings):
    """Five wrong passwords lock the account: even the right password from elsewhere is refused
    with a clear message on the sign-in page."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "employee", "wrong").status_code == 200
    locked = sign_in(client, "employee", "wrong")
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()
    assert locked.templates[0].name == "registration/login.html"

    again = sign_in(client, "employee", PASSWORD, address=HOME)
    assert again.status_code == 429
    assert LOCKED in again.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unknown_account_answers_exactly_like_a_known_one(client, employee, settings):
    """Attempts on a login that does not exist are counted and answered the same way, so the
    page tells nobody which logins exist."""
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        known = what_a_visitor_sees(client, sign_in(client, "employee", "wrong", address=OFFICE))
        unknown = what_a_visitor_sees(client, sign_in(client, "nobody", "wrong", address=HOME))
        assert known == unknown, attempt
    assert known[0] == 429
    assert unknown[2] == [LOCKED]


def test_one_address_is_locked_across_accounts(client, employee, settings):
    """Guessing one password each for many logins from one address locks that address; the
    same person signing in from another address is not affected."""
    for n in range(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS):
        assert sign_in(client, f"user{n}", "wrong").status_code in (200, 429)
    from_office = sign_in(client, "employee", PASSWORD)
    assert from_office.status_code == 429
    assert LOCKED in from_office.content.decode()

    assert sign_in(client, "employee", PASSWORD, address=HOME).status_code == 302


def test_signing_in_clears_the_account_count(client, employee, settings):
    """After a successful sign-in the earlier failures no longer count against the account."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "employee", "wrong")
    assert sign_in(client, "employee", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "employee", "wrong").status_code == 200
    assert sign_in(client, "employee", PASSWORD).status_code == 302


def test_signing_in_to_one_account_does_not_clear_another(client, employee, peer, settings):
    """Someone guessing a colleague's password cannot reset the count by signing in to their own
    account from the same address."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "employee", "wrong")
    assert sign_in(client, "peer", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert sign_in(client, "employee", "wrong").status_code == 429


def test_the_lockout_ends_after_the_minutes_it_announced(client, employee, settings):
    """The page promises 15 minutes, counts down, and the account opens when they are over."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, "employee", "wrong")
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        waiting = sign_in(client, "employee", PASSWORD)
        assert waiting.status_code == 429
        assert "Try again in 5 minutes." in waiting.content.decode()
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert sign_in(client, "employee", PASSWORD).status_code == 302


def test_client_address_behind_the_trusted_proxy(settings):
    """Behind one trusted proxy the address it appended counts; what the client wrote further
    left, or garbage, does not."""
    settings.TRUSTED_PROXY_COUNT = 1
    factory = RequestFactory()
    proxied = factory.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert client_ip(proxied) == "198.51.100.7"
    garbage = factory.get("/", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="192.0.2.1")
    assert client_ip(garbage) == "192.0.2.1"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(proxied) == "127.0.0.1"


def request_reset(client, email, address=OFFICE):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_reset_requests_are_limited_per_email(client, employee, settings):
    """A fourth reset request within the hour for one address is refused with a message, and the
    answers are the same whether or not the email belongs to anyone."""
    limit = settings.PASSWORD_RESET_LIMIT_PER_EMAIL
    known = [request_reset(client, employee.user.email, address=OFFICE) for _ in range(limit + 1)]
    unknown = [request_reset(client, "nobody@example.com", address=HOME) for _ in range(limit + 1)]
    assert [r.status_code for r in known] == [302] * limit + [429]
    assert [r.status_code for r in unknown] == [r.status_code for r in known]
    refusals = [form_errors(r) for r in (known[-1], unknown[-1])]
    assert refusals == [["Too many password-reset requests. Try again in an hour."]] * 2
    assert "Too many password-reset requests" in known[-1].content.decode()
    assert len(mail.outbox) == limit


def test_password_reset_requests_are_limited_per_address(client, employee, settings):
    """One address asking for resets of many different emails is stopped too."""
    limit = settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
    for n in range(limit):
        assert request_reset(client, f"someone{n}@example.com").status_code == 302
    assert request_reset(client, employee.user.email).status_code == 429
    assert mail.outbox == []
    assert request_reset(client, employee.user.email, address=HOME).status_code == 302
    assert len(mail.outbox) == 1
