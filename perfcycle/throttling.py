"""Throttling of sign-in and password-reset attempts.

Sign-in is django-axes, configured in settings (AXES_*) and adjusted here in three places:
failures count per account and per address against limits of their own, a success clears the
account's count only, and a locked-out person sees PerfCycle's sign-in page with "too many
attempts, try again in N minutes". Whether an account exists changes nothing a visitor can see.

Password-reset requests are counted in the cache, per email address and per client address.
"""

import ipaddress
import math
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.db.models import Max, Q
from django.forms.utils import ErrorDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext


def client_ip(request) -> str:
    """The address a request came from, as the nearest trusted proxy saw it.

    Each proxy appends the address it was contacted from to X-Forwarded-For, so with N trusted
    proxies the N-th entry from the right is the client; anything further left is whatever the
    client claimed. Without trusted proxies (local mode) it is REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            try:
                return str(ipaddress.ip_address(forwarded[-count]))
            except ValueError:
                pass
    return remote


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses sign-in while the account or the address is locked out.

    A call without a request (a script or a shell checking a password) has no address and no
    visitor to throttle, so it passes to the next backend instead of failing."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter.

    AXES_LOCKOUT_PARAMETERS is ["username", "ip_address"]: one account from anywhere is locked
    after AXES_FAILURE_LIMIT failures, one address across accounts after
    LOGIN_FAILURE_LIMIT_PER_ADDRESS (higher, since an office can share one address)."""

    def get_failures(self, request, credentials=None) -> int:
        per_account, per_address = (
            sum(attempt.failures_since_start for attempt in attempts)
            for attempts in self.get_user_attempts(request, credentials)
        )
        # Axes locks when this number reaches AXES_FAILURE_LIMIT: an address at its own limit
        # counts as the account limit reached.
        if per_address >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS:
            return max(per_account, settings.AXES_FAILURE_LIMIT)
        return per_account

    def reset_user_attempts(self, request, credentials=None) -> int:
        # Knowing one account's password says nothing about the other accounts tried from the
        # same address: clearing those too would let anyone with a login reset the count on
        # the account they are guessing.
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def lockout_minutes(request, credentials=None) -> int:
    """Whole minutes until the newest failure counting against this account or address expires."""
    username = get_client_username(request, credentials)
    latest = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=request.axes_ip_address)
    ).aggregate(latest=Max("attempt_time"))["latest"]
    if latest is None:
        return math.ceil(settings.AXES_COOLOFF_TIME / timedelta(minutes=1))
    left = latest + settings.AXES_COOLOFF_TIME - timezone.now()
    return max(1, math.ceil(left / timedelta(minutes=1)))


def too_many_attempts_message(minutes: int) -> str:
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LockedOutLoginForm(AuthenticationForm):
    """The sign-in form as a locked-out person sees it: what they typed, and one message.

    It never authenticates: its only error is the lockout message."""

    def __init__(self, request, *, message, data):
        self.lockout_message = message
        super().__init__(request, data=data)

    def full_clean(self):
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.add_error(None, self.lockout_message)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: PerfCycle's sign-in page with the lockout message, status 429."""
    message = too_many_attempts_message(lockout_minutes(request, credentials))
    form = LockedOutLoginForm(request, message=message, data=request.POST)
    context = {"form": form, "next": request.POST.get("next", "")}
    return render(
        request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )


def over_rate_limit(key: str, *, limit: int, period: timedelta) -> bool:
    """Count one more request under `key`; True once more than `limit` came within `period`.

    The window starts at the first request and does not slide: enough to stop a flood, cheap
    enough to run on every request."""
    seconds = int(period.total_seconds())
    cache.add(key, 0, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first of a new window
        cache.set(key, 1, timeout=seconds)
        count = 1
    return count > limit
