"""Deviation pages: each URL's happy path and its wrong-role 404 (a peer, another
manager), errors next to the field with a 400, and a team list whose query count does
not grow with the deviations."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.models import Deviation, DeviationStatus
from implementation.selectors import deviations as selectors
from perfcycle.models import AuditEvent, Cycle
from tests.factories import enrol, make_cycle, make_employee
from tests.goals.factories import make_goal

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 1)
TODAY = dt.date(2026, 6, 10)
D = Decimal


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 6, 10, 9, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def cycle(org):
    cycle = make_cycle("FY2026", start=START, phase=Cycle.Phase.IMPLEMENTATION)
    enrol(cycle, org["employee"], org["peer"], org["employee2"])
    return cycle


def behind(cycle, person, *, title="Ship billing", severity="high", **fields):
    goal = make_goal(
        person,
        cycle=cycle,
        status="approved",
        title=title,
        baseline=D("0"),
        target=D("100"),
        current_value=D("10"),
    )
    values = {
        "goal": goal,
        "participation": cycle.participations.get(employee=person),
        "owner": person,
        "detected_on": TODAY - dt.timedelta(days=3),
        "expected_percent": D("52.33"),
        "actual_percent": D("10"),
        "severity": severity,
    }
    values.update(fields)
    deviation = Deviation.objects.create(**values)
    AuditEvent.objects.create(
        verb="deviation.detected",
        object_type="implementation.deviation",
        object_id=str(deviation.pk),
        object_repr=str(deviation),
    )
    return deviation


@pytest.fixture
def deviation(cycle, org):
    return behind(cycle, org["employee"])


def field_error(html: str, field: str) -> str:
    """The text of the invalid-feedback element that crispy renders under ``field``."""
    match = re.search(
        rf'id="error_1_id_{field}"[^>]*>\s*<strong>(.*?)</strong>', html, flags=re.DOTALL
    )
    return match.group(1).strip() if match else ""


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- my-deviations ----------------------------------------------------------------------------


def test_my_deviations_lists_only_mine(org, cycle, deviation, login):
    """The owner sees their deviation with its figures; a peer's list does not show it."""
    behind(cycle, org["peer"], title="Peer goal")
    html = login(org["employee"]).get(reverse("implementation:my-deviations")).content.decode()
    assert "Ship billing" in html and "Peer goal" not in html
    assert "52.3 %" in html and 'data-severity="high"' in html
    peer_html = login(org["peer"]).get(reverse("implementation:my-deviations")).content.decode()
    assert "Ship billing" not in peer_html


def test_my_deviations_empty_state_says_what_to_do(org, cycle, login):
    """Nobody behind: the page says so."""
    response = login(org["employee"]).get(reverse("implementation:my-deviations"))
    assert "None of your goals is behind" in response.content.decode()


def test_my_deviations_needs_an_employee_record(client, db):
    """A login without an employee record (a service account) has no such page."""
    from perfcycle.models import User

    user = User.objects.create_user("robot", password="x")
    client.force_login(user)
    assert client.get(reverse("implementation:my-deviations")).status_code == 404


# --- team-deviations --------------------------------------------------------------------------


def test_team_deviations_show_my_reviewees_with_counts_and_filters(org, cycle, login):
    """The manager sees their people's deviations (not manager2's), counts per status,
    and filters by status and severity."""
    behind(cycle, org["employee"], title="Ship billing", severity="high")
    behind(cycle, org["peer"], title="Cut costs", severity="low")
    behind(cycle, org["peer"], title="Old one", status=DeviationStatus.RESOLVED)
    behind(cycle, org["employee2"], title="Sales goal")
    client = login(org["manager"])
    url = reverse("implementation:team-deviations")
    html = client.get(url).content.decode()
    assert "Ship billing" in html and "Cut costs" in html
    assert "Old one" not in html  # resolved: not in "needs attention"
    assert "Sales goal" not in html
    assert '<div class="pc-stat" data-count="open">2</div>' in html
    low = client.get(url, {"severity": "low"}).content.decode()
    assert "Cut costs" in low and "Ship billing" not in low
    everything = client.get(url, {"status": "all"}).content.decode()
    assert "Old one" in everything


def test_team_deviations_sort_by_severity(org, cycle, login):
    """Sorted by severity, high comes first whatever the detection date."""
    behind(cycle, org["employee"], title="Low one", severity="low")
    behind(cycle, org["peer"], title="High one", severity="high", detected_on=dt.date(2026, 5, 1))
    behind(cycle, org["peer"], title="Medium one", severity="medium")
    url = reverse("implementation:team-deviations")
    html = login(org["manager"]).get(url, {"sort": "severity"}).content.decode()
    assert html.index("High one") < html.index("Medium one") < html.index("Low one")
    assert 'aria-sort="descending"><a class="link-body-emphasis" href="?&amp;sort=severity"' in html


def test_hr_sees_every_deviation_and_filters_by_department(org, cycle, login, sales):
    """HR's list spans the organisation, with a department filter."""
    behind(cycle, org["employee"], title="Ship billing")
    behind(cycle, org["employee2"], title="Sales goal")
    client = login(org["hr"])
    url = reverse("implementation:team-deviations")
    html = client.get(url).content.decode()
    assert "Ship billing" in html and "Sales goal" in html and 'name="department"' in html
    only_sales = client.get(url, {"department": sales.pk}).content.decode()
    assert "Sales goal" in only_sales and "Ship billing" not in only_sales


def test_team_deviations_are_not_found_for_an_employee(org, cycle, login):
    """Someone who reviews nobody has no team page."""
    response = login(org["employee"]).get(reverse("implementation:team-deviations"))
    assert response.status_code == 404


def test_team_deviations_query_count_does_not_grow(org, cycle, login):
    """3 deviations or 30: the same number of queries."""
    client = login(org["manager"])
    url = reverse("implementation:team-deviations")
    for n in range(3):
        behind(cycle, org["employee"], title=f"Goal {n}")
    few = count_queries(client, url)
    for n in range(9):
        person = make_employee(f"report{n}", manager=org["manager"])
        enrol(cycle, person)
        for m in range(3):
            behind(cycle, person, title=f"Goal {n}.{m}")
    assert Deviation.objects.count() == 30
    assert count_queries(client, url) == few


def test_a_deviation_on_a_goal_with_no_update_reads_no_update_yet(org, cycle, login):
    """Due and nothing reported: the list and the page say "No update yet", not 0 %."""
    deviation = behind(cycle, org["employee"], actual_percent=D("0"), expected_percent=D("100"))
    type(deviation.goal).objects.filter(pk=deviation.goal_id).update(current_value=None)
    client = login(org["employee"])
    listing = client.get(reverse("implementation:my-deviations")).content.decode()
    assert 'data-testid="no-update"' in listing and ">0 %" not in listing
    page = client.get(deviation.get_absolute_url()).content.decode()
    assert page.count('data-testid="no-update"') == 2  # when detected and today
    assert ">0.00 %" not in page


# --- deviation-detail -------------------------------------------------------------------------


def test_detail_shows_the_numbers_history_and_the_owners_form(org, deviation, login):
    """Expected vs actual when detected and today, severity, owner, history, and the
    form to agree an action; no resolve/accept for the owner."""
    html = login(org["employee"]).get(deviation.get_absolute_url()).content.decode()
    assert "52.33 %" in html and "42.33 points" in html
    assert 'data-row="today"' in html
    assert 'data-verb="deviation.detected"' in html
    assert 'data-testid="agree-form"' in html
    assert 'data-testid="resolve-form"' not in html and 'data-testid="accept-form"' not in html


def test_detail_reads_today_against_the_plan_of_the_latest_report(org, deviation, login):
    """Reported on 1 June (still current on 10 June): today's row compares it with the plan
    of 1 June (50.33 %), and says so."""
    from tests.implementation.factories import make_progress

    make_progress(deviation.goal, 10, by=org["employee"], recorded_on=dt.date(2026, 6, 1))
    html = login(org["employee"]).get(deviation.get_absolute_url()).content.decode()
    today = html[html.index('data-row="today"') :]
    assert "Latest report against the plan of 1 Jun 2026" in today
    assert "50.33 %" in today and "40.33 points" in today


def test_detail_offers_the_reviewer_accept_and_the_hr_admin_too(org, deviation, login):
    """The reviewer may agree or accept (resolve only after an action); HR may accept."""
    html = login(org["manager"]).get(deviation.get_absolute_url()).content.decode()
    assert 'data-testid="agree-form"' in html and 'data-testid="accept-form"' in html
    assert 'data-testid="resolve-form"' not in html
    hr_html = login(org["hr"]).get(deviation.get_absolute_url()).content.decode()
    assert 'data-testid="accept-form"' in hr_html and 'data-testid="agree-form"' not in hr_html


@pytest.mark.parametrize("who", ["peer", "manager2"])
def test_detail_is_not_found_for_others(org, deviation, login, who):
    """A peer and another team's manager get 404."""
    assert login(org[who]).get(deviation.get_absolute_url()).status_code == 404


def test_skip_level_reads_a_deviation_but_does_not_act(org, deviation, login):
    """The skip-level manager reads the deviation but may not agree, resolve or accept."""
    response = login(org["director"]).get(deviation.get_absolute_url())
    assert response.status_code == 200
    assert response.context["actions"] == selectors.DeviationActions()


# --- deviation-agree ----------------------------------------------------------------------------


def test_owner_agrees_an_action(org, deviation, login):
    """A valid form saves the action and returns to the page with a message."""
    response = login(org["employee"]).post(
        reverse("implementation:deviation-agree", args=[deviation.pk]),
        {
            "corrective_action": "Pair with peer",
            "follow_up_date": "2026-06-24",
            "version": deviation.version,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == deviation.get_absolute_url()
    assert "Corrective action saved" in response.content.decode()
    deviation.refresh_from_db()
    assert deviation.status == DeviationStatus.ACTION_AGREED
    assert deviation.follow_up_date == dt.date(2026, 6, 24)


def test_agree_with_bad_input_is_a_400_with_the_error_by_the_field(org, deviation, login):
    """Missing action and a past date: 400, each error next to its field, input kept."""
    response = login(org["employee"]).post(
        reverse("implementation:deviation-agree", args=[deviation.pk]),
        {"corrective_action": "", "follow_up_date": "2026-06-01", "version": deviation.version},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "corrective_action") == "This field is required."
    assert field_error(html, "follow_up_date") == "The follow-up date cannot be in the past."
    assert 'value="2026-06-01"' in html
    past = login(org["employee"]).post(
        reverse("implementation:deviation-agree", args=[deviation.pk]),
        {"corrective_action": "Try", "follow_up_date": "2026-06-01"},
    )
    assert past.status_code == 400
    assert field_error(past.content.decode(), "follow_up_date") == (
        "The follow-up date cannot be in the past."
    )


def test_a_stale_agree_comes_back_as_a_message(org, deviation, login):
    """Somebody changed it meanwhile: nothing saved, the page says why."""
    response = login(org["employee"]).post(
        reverse("implementation:deviation-agree", args=[deviation.pk]),
        {"corrective_action": "Try", "follow_up_date": "2026-06-24", "version": 0},
        follow=True,
    )
    assert "Someone else changed this deviation" in response.content.decode()
    deviation.refresh_from_db()
    assert deviation.status == DeviationStatus.OPEN


@pytest.mark.parametrize("who", ["peer", "manager2", "hr"])
def test_agree_is_not_found_for_others(org, deviation, login, who):
    """A peer, another manager and HR cannot agree an action (404)."""
    response = login(org[who]).post(
        reverse("implementation:deviation-agree", args=[deviation.pk]),
        {"corrective_action": "Try", "follow_up_date": "2026-06-24"},
    )
    assert response.status_code == 404


def test_agree_is_post_only(org, deviation, login):
    response = login(org["employee"]).get(
        reverse("implementation:deviation-agree", args=[deviation.pk])
    )
    assert response.status_code == 405


# --- deviation-resolve --------------------------------------------------------------------------


@pytest.fixture
def agreed(cycle, org):
    return behind(
        cycle,
        org["employee"],
        status=DeviationStatus.ACTION_AGREED,
        corrective_action="Pair with peer",
        follow_up_date=TODAY,
    )


def test_reviewer_resolves(org, agreed, login):
    response = login(org["manager"]).post(
        reverse("implementation:deviation-resolve", args=[agreed.pk]),
        {"note": "Caught up", "version": agreed.version},
    )
    assert response.status_code == 302
    agreed.refresh_from_db()
    assert (agreed.status, agreed.resolution) == (DeviationStatus.RESOLVED, "Caught up")


def test_resolve_without_a_note_is_a_400(org, agreed, login):
    response = login(org["manager"]).post(
        reverse("implementation:deviation-resolve", args=[agreed.pk]), {"note": ""}
    )
    assert response.status_code == 400
    assert field_error(response.content.decode(), "note") == "This field is required."


def test_resolving_an_open_deviation_is_refused_with_a_message(org, deviation, login):
    """Resolve comes after an agreed action: the refusal is a message, not a silent no-op."""
    response = login(org["manager"]).post(
        reverse("implementation:deviation-resolve", args=[deviation.pk]),
        {"note": "Fine", "version": deviation.version},
        follow=True,
    )
    assert "cannot be resolved" in response.content.decode()


def test_the_reviewer_is_prompted_on_the_follow_up_date(org, agreed, login):
    """On the follow-up date the page asks the reviewer to decide."""
    html = login(org["manager"]).get(agreed.get_absolute_url()).content.decode()
    assert 'data-testid="follow-up-due"' in html and 'data-testid="resolve-form"' in html


@pytest.mark.parametrize("who", ["employee", "peer", "manager2"])
def test_resolve_is_not_found_for_owner_and_others(org, agreed, login, who):
    """The owner, a peer and another manager cannot resolve (404)."""
    response = login(org[who]).post(
        reverse("implementation:deviation-resolve", args=[agreed.pk]), {"note": "Done"}
    )
    assert response.status_code == 404


# --- deviation-accept ---------------------------------------------------------------------------


def test_hr_accepts_with_a_reason(org, deviation, login):
    response = login(org["hr"]).post(
        reverse("implementation:deviation-accept", args=[deviation.pk]),
        {"reason": "Goal obsolete", "version": deviation.version},
        follow=True,
    )
    assert "Shortfall accepted" in response.content.decode()
    deviation.refresh_from_db()
    assert (deviation.status, deviation.resolution) == (DeviationStatus.ACCEPTED, "Goal obsolete")
    assert 'data-verb="deviation.accepted"' in response.content.decode()


def test_accept_without_a_reason_is_a_400(org, deviation, login):
    response = login(org["manager"]).post(
        reverse("implementation:deviation-accept", args=[deviation.pk]), {"reason": "  "}
    )
    assert response.status_code == 400
    assert field_error(response.content.decode(), "reason") == "This field is required."


@pytest.mark.parametrize("who", ["employee", "peer", "manager2"])
def test_accept_is_not_found_for_owner_and_others(org, deviation, login, who):
    """The owner, a peer and another manager cannot accept (404)."""
    response = login(org[who]).post(
        reverse("implementation:deviation-accept", args=[deviation.pk]), {"reason": "Meh"}
    )
    assert response.status_code == 404


# --- texts addressed to whoever reads them ------------------------------------------------------


def _note(html: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">(.*?)</div>', html, re.DOTALL).group(1)


def test_the_agree_texts_name_the_other_side_for_owner_and_reviewer(org, deviation, login):
    """The owner agrees "with <reviewer>" and "between you and <reviewer>"; the reviewer
    "with <owner>" and "between you and <owner>": nobody is told about "your manager" when
    they are the manager."""
    owner, manager = org["employee"].full_name, org["manager"].full_name
    mine = login(org["employee"]).get(deviation.get_absolute_url()).content.decode()
    assert f"Your goal is behind its expected progress. Agree with {manager}" in _note(
        mine, "agree-note"
    )
    assert f"Agreed between you and {manager}." in mine
    theirs = login(org["manager"]).get(deviation.get_absolute_url()).content.decode()
    assert f"Agree with {owner} what will be done" in _note(theirs, "agree-note")
    assert f"Agreed between you and {owner}." in theirs
    assert "your manager" not in theirs


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("employee", "talk with Manager Tester{m} about how the action went"),
        ("manager", "Resolve the deviation, revise the action, or accept the shortfall."),
        ("hr", "Resolve the deviation, revise the action, or accept the shortfall."),
        ("director", "Employee Tester{e} and Manager Tester{m} look at how the action went."),
    ],
)
def test_the_follow_up_note_is_addressed_to_each_reader(org, agreed, login, role, expected):
    """Owner, reviewer, HR and the next one up each read the follow-up prompt meant for
    them: only the owner hears about their manager."""
    expected = expected.replace("Employee Tester{e}", org["employee"].full_name).replace(
        "Manager Tester{m}", org["manager"].full_name
    )
    html = login(org[role]).get(agreed.get_absolute_url()).content.decode()
    note = _note(html, "follow-up-due")
    assert expected in note
    if role != "employee":
        assert "your manager" not in note
