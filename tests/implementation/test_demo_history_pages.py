"""The demo in month eight, as its logins see it: each implementation page shows the
months behind the cycle (issue 8, item 9: "a demo without history")."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from goals.models import Goal
from implementation.models import Deviation, Evidence
from tests.demo_pages import page, person

pytestmark = pytest.mark.django_db


def test_every_demo_login_sees_the_months_behind_the_cycle(client):
    call_command("seed_demo", stdout=io.StringIO())

    # The employee: six earlier check-ins, reviewed ones, a late one and a missed one
    # that can still be submitted; this month's waits to be filled in.
    html = page(client, "employee", reverse("implementation:my-checkins"))
    history = html.split('data-testid="checkin-history"', 1)[1]
    assert history.count("<tr") - 1 == 6
    assert "Reviewed" in history and "Late" in history and "Missed" in history
    assert 'data-testid="fill-in"' in html

    # Their heaviest goal's progress: a row per update, a chart with as many points.
    goal = Goal.objects.filter(
        owner=person("employee"), level="individual", cycle__phase="implementation"
    ).order_by("-weight", "title")[0]
    html = page(client, "employee", reverse("implementation:goal-progress", args=[goal.pk]))
    assert goal.progress_updates.count() >= 4
    assert html.count("<circle") >= goal.progress_updates.count()

    # The manager's board: a confidence trend of several check-ins for each report.
    html = page(client, "manager", reverse("implementation:team-board"))
    trends = re.findall(r"((?:[1-5–] ){3,}[1-5–])", html)
    assert len(trends) >= 3

    # HR's participation: the cycle so far is neither 0 % nor 100 % submitted.
    html = page(client, "hr", reverse("implementation:checkin-participation"))
    total = html.split("All departments", 1)[1]
    shares = [int(n) for n in re.findall(r"(\d+)\s*%", total)]
    assert any(0 < share < 100 for share in shares[4:]), shares

    # Deviations at every status, and the employee's evidence over several months.
    statuses = set(Deviation.objects.values_list("status", flat=True))
    assert statuses == {"open", "action_agreed", "resolved", "accepted"}
    for username in ["employee", "employee2"]:
        html = page(client, username, reverse("implementation:my-deviations"))
        assert "Action agreed" in html or "Open" in html
    html = page(client, "manager", reverse("implementation:team-deviations"))
    assert "Action agreed" in html
    mine = Evidence.objects.filter(participation__employee=person("employee"))
    html = page(client, "employee", reverse("implementation:evidence-list"))
    assert len({e.occurred_on.month for e in mine}) >= 3
    assert 'data-verified="yes"' in html
    assert all(e.title in html for e in mine)
