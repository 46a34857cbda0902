"""Sign-in related views that differ from django.contrib.auth's: a rate-limited password reset."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext as _

from perfcycle.throttling import client_ip, over_rate_limit

RESET_PERIOD = timedelta(hours=1)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, with requests per email and per client address limited per hour.

    Both counts grow whether or not the email belongs to anyone, and the answer under the limit
    is the same "check your inbox" either way, so the page tells nobody who has an account."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        email_key = hashlib.sha256(email.encode()).hexdigest()  # a safe cache key of any address
        # Both counters move on every request, so neither can be used to probe the other.
        over_email = over_rate_limit(
            f"password-reset:email:{email_key}",
            limit=settings.PASSWORD_RESET_LIMIT_PER_EMAIL,
            period=RESET_PERIOD,
        )
        over_address = over_rate_limit(
            f"password-reset:ip:{client_ip(self.request)}",
            limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
            period=RESET_PERIOD,
        )
        if over_email or over_address:
            form.add_error(None, _("Too many password-reset requests. Try again in an hour."))
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)
