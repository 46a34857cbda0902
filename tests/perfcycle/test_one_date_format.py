"""Every date a person reads is in one format ("1 Dec 2026"), whatever language the
browser asks for: pages, form help and errors, notifications and the audit log."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from implementation.services import deviations
from perfcycle.models import Cycle
from tests.factories import enrol, make_cycle, version_of
from tests.goals.factories import make_goal
from tests.implementation.factories import make_checkin, make_deviation

pytestmark = pytest.mark.django_db

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
ONE_FORMAT = re.compile(rf"\b\d{{1,2}} {MONTH} \d{{4}}\b")
OTHER_FORMATS = [
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),  # (2027-05-01)
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"),  # 05/01/2027
    re.compile(rf"\b{MONTH}[a-z]*\.? \d{{1,2}}, \d{{4}}\b"),  # Dec. 17, 2026 / May 1, 2027
    re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"),
]
US_BROWSER = {"accept-language": "en-US,en;q=0.9"}


def visible_text(html: str) -> str:
    """What a person reads: tags (and so attribute values such as an ISO ``datetime`` or
    a date input's value) removed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def assert_one_format(response, *, at_least=1):
    text = visible_text(response.content.decode())
    for pattern in OTHER_FORMATS:
        assert not pattern.search(text), (pattern.pattern, pattern.search(text).group(0))
    found = ONE_FORMAT.findall(text)
    assert len(found) >= at_least, text[:2000]
    return found


@pytest.fixture
def setting(org):
    """A planning cycle with a drafted goal, and one in implementation with a deviation
    on which the manager agreed an action (the employee was told), and a check-in."""
    planning = make_cycle("FY2027", start=dt.date(2027, 5, 1), end_date=dt.date(2028, 4, 30))
    enrol(planning, org["employee"])
    make_goal(org["employee"], cycle=planning, title="Draft", due_date=dt.date(2027, 9, 30))
    running = make_cycle("FY2026", phase=Cycle.Phase.IMPLEMENTATION)
    (participation,) = enrol(running, org["employee"])
    goal = make_goal(org["employee"], cycle=running, status="approved", title="Cut churn")
    deviation = make_deviation(goal, participation=participation)
    deviations.agree_corrective_action(
        actor=org["manager"].user,
        deviation=deviation,
        action="Weekly review",
        follow_up_date=dt.date(2026, 12, 17),
        today=dt.date(2026, 12, 1),
        expected_version=version_of(deviation),
    )
    checkin = make_checkin(participation, period_start=dt.date(2026, 12, 1))
    return {"planning": planning, "running": running, "checkin": checkin, "deviation": deviation}


def test_the_goal_form_gives_the_cycle_as_one_range(org, setting, login):
    """The goal form's help reads "Within the cycle: 1 May 2027 – 30 Apr 2028", not
    "May 1, 2027 – April 30, 2028", even for a browser asking for US English."""
    client = login(org["employee"])
    url = reverse("goals:goal-create") + f"?cycle={setting['planning'].pk}"
    response = client.get(url, headers=US_BROWSER)
    assert "1 May 2027 \u2013 30 Apr 2028" in visible_text(response.content.decode())
    assert_one_format(response)
    response = client.post(
        url, {"title": "Late", "weight": "10", "due_date": "2030-01-01"}, headers=US_BROWSER
    )
    assert response.status_code == 400
    assert "within the cycle (1 May 2027 \u2013 30 Apr 2028)" in response.content.decode()
    assert_one_format(response)


def test_a_cycle_form_error_names_the_date_as_pages_do(org, login):
    """An out-of-order deadline says "(1 Feb 2027)", not "(2027-02-01)"."""
    data = {
        "name": "Order",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "planning_deadline": "01/02/2027",  # typed by hand, dd/mm/yyyy
        "implementation_deadline": "2027-01-15",
        "appraisal_deadline": "2027-11-30",
        "feedback_deadline": "2027-12-15",
        "application_deadline": "2027-12-31",
        "checkin_cadence": "monthly",
    }
    response = login(org["hr"]).post(reverse("cycle-create"), data, headers=US_BROWSER)
    assert response.status_code == 400
    assert "(1 Feb 2027)" in response.content.decode()
    assert_one_format(response)
    # Date inputs carry the ISO value, so the browser shows it in its own locale.
    assert 'type="date" name="planning_deadline" value="2027-02-01"' in (response.content.decode())


def test_notifications_use_the_one_format(org, setting, login):
    """The manager's action reached the employee as "…: follow up on 17 Dec 2026"."""
    response = login(org["employee"]).get(reverse("notification-list"), headers=US_BROWSER)
    assert "follow up on 17 Dec 2026" in visible_text(response.content.decode())
    assert_one_format(response, at_least=2)


@pytest.mark.parametrize(
    "who, page",
    [
        ("employee", "goals:my-goals"),
        ("employee", "implementation:my-checkins"),
        ("employee", "checkin"),
        ("employee", "deviation"),
        ("hr", "cycle-list"),
        ("hr", "cycle"),
        ("hr", "audit-list"),
    ],
)
def test_pages_show_every_date_in_the_one_format(org, setting, login, who, page):
    """Goals, check-ins, a check-in, a deviation, the cycles, a cycle and the audit log:
    each shows dates, all as "1 Dec 2026"."""
    urls = {
        "checkin": setting["checkin"].get_absolute_url(),
        "deviation": setting["deviation"].get_absolute_url(),
        "cycle": setting["running"].get_absolute_url(),
    }
    url = urls.get(page) or reverse(page)
    response = login(org[who]).get(url, headers=US_BROWSER, follow=True)
    assert response.status_code == 200
    assert_one_format(response)


def test_the_audit_log_shows_changed_dates_in_the_one_format(org, setting, login):
    """The follow-up date in the audit log's changes reads "17 Dec 2026"."""
    response = login(org["hr"]).get(reverse("audit-list"), headers=US_BROWSER)
    assert "Follow-up date: — → 17 Dec 2026" in visible_text(response.content.decode())
