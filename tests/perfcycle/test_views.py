"""Core pages: every URL has a happy path and a wrong-role test."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from perfcycle import phases, services
from perfcycle.models import AuditEvent, Cycle, Notification
from tests.factories import PASSWORD, enrol, make_cycle, make_employee

pytestmark = pytest.mark.django_db

EMPLOYEE_NAV = {
    "my",
    "goals",
    "checkins",
    "evidence",
    "deviations",
    "appraisal",
    "notifications",
    "peerinput",
    "peerasked",
    "myresult",
    "myinterview",
    "nextcyclegoals",
    "myplan",
}
MANAGER_NAV = {
    "teamhome",
    "teamgoals",
    "teamcheckins",
    "teamdeviations",
    "verify",
    "teamappraisals",
    "peerapprovals",
    "teamdisputes",
    "teaminterviews",
    "teamplans",
}
HR_NAV = {
    "hr",
    "cycles",
    "progress",
    "library",
    "participation",
    "alldeviations",
    "allevidence",
    "people",
    "import",
    "audit",
    "appraisalprogress",
    "calibration",
    "appraisaloverdue",
    "appraisalrelease",
    "allpeerapprovals",
    "opendisputes",
    "interviewcompletion",
    "rootcausereport",
    "rootcauselist",
    "hrplans",
}

HR_ONLY_GET = ["hr-home", "cycle-list", "cycle-create", "employee-list", "audit-list"]


def nav_items(response) -> set[str]:
    return set(re.findall(r'data-nav="([a-z]+)"', response.content.decode()))


def test_login_page_and_wrong_password(client, employee):
    """The login page renders; a wrong password keeps the user out with a message."""
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "employee", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    response = client.post(reverse("login"), {"username": "employee", "password": PASSWORD})
    assert response.status_code == 302


def test_pages_require_login(client):
    """Anonymous visitors are sent to the login page."""
    response = client.get(reverse("my-home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("employee", EMPLOYEE_NAV),
        ("manager", EMPLOYEE_NAV | MANAGER_NAV),
        ("hr", EMPLOYEE_NAV | HR_NAV),
    ],
)
def test_navigation_shows_each_role_only_what_it_may_use(org, login, role, expected):
    """The bar lists only the sections the role can open."""
    client = login(org[role])
    response = client.get(reverse("home"), follow=True)
    assert nav_items(response) == expected


@pytest.mark.parametrize("url_name", HR_ONLY_GET)
@pytest.mark.parametrize("role", ["employee", "manager"])
def test_hr_pages_are_not_found_for_others(org, login, url_name, role):
    """HR-only pages are a 404 for employees and managers."""
    assert login(org[role]).get(reverse(url_name)).status_code == 404


@pytest.mark.parametrize("url_name", HR_ONLY_GET)
def test_hr_pages_open_for_hr(org, login, url_name):
    """HR admins open every HR page."""
    assert login(org["hr"]).get(reverse(url_name)).status_code == 200


def test_team_page_is_for_managers_only(org, login):
    """The team page lists a manager's direct reports; a non-manager gets 404."""
    response = login(org["manager"]).get(reverse("team-home"))
    assert response.status_code == 200
    names = {m.full_name for m in response.context["team"]}
    assert names == {org["employee"].full_name, org["peer"].full_name}
    assert response.context["all_reports"] == 3  # employee, peer and the intern below peer
    assert login(org["employee"]).get(reverse("team-home")).status_code == 404


def test_my_home_shows_my_open_cycle(org, login):
    """The employee's page names their current cycle, its phase deadline and reviewer."""
    cycle = make_cycle("FY2026", phase=Cycle.Phase.IMPLEMENTATION)
    enrol(cycle, org["employee"])
    page = login(org["employee"]).get(reverse("my-home")).content.decode()
    assert "FY2026" in page
    assert "Implementation phase ends" in page
    assert org["manager"].full_name in page


def test_my_home_empty_state(org, login):
    """Without a cycle the page says what happens next."""
    page = login(org["employee"]).get(reverse("my-home")).content.decode()
    assert "not in an open performance cycle yet" in page


def test_hr_creates_a_cycle_in_the_browser_form(org, login):
    """HR fills in the cycle form and lands on the new cycle's page."""
    data = {
        "name": "FY2027",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "planning_deadline": "2027-02-01",
        "implementation_deadline": "2027-10-31",
        "appraisal_deadline": "2027-11-30",
        "feedback_deadline": "2027-12-15",
        "application_deadline": "2027-12-31",
        "checkin_cadence": "fortnightly",
    }
    response = login(org["hr"]).post(reverse("cycle-create"), data)
    cycle = Cycle.objects.get(name="FY2027")
    assert response.status_code == 302
    assert response.url == cycle.get_absolute_url()
    assert cycle.checkin_cadence == "fortnightly"


def test_bad_cycle_form_shows_errors_next_to_fields_and_keeps_input(org, login):
    """Bad dates give a 400 with the error beside the field and the typed values kept."""
    data = {
        "name": "Broken",
        "start_date": "2027-01-01",
        "end_date": "2026-12-31",
        "planning_deadline": "2027-02-01",
        "implementation_deadline": "2027-01-15",
        "appraisal_deadline": "not a date",
        "feedback_deadline": "2027-12-15",
        "application_deadline": "2027-12-31",
        "checkin_cadence": "monthly",
    }
    response = login(org["hr"]).post(reverse("cycle-create"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert "appraisal_deadline" in form.errors
    assert 'value="Broken"' in response.content.decode()
    assert not Cycle.objects.exists()


def test_service_rule_errors_land_on_the_field(org, login):
    """Out-of-order deadlines (a service rule) are shown on the offending field."""
    data = {
        "name": "Order",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "planning_deadline": "2027-02-01",
        "implementation_deadline": "2027-01-15",
        "appraisal_deadline": "2027-11-30",
        "feedback_deadline": "2027-12-15",
        "application_deadline": "2027-12-31",
        "checkin_cadence": "monthly",
    }
    response = login(org["hr"]).post(reverse("cycle-create"), data)
    assert response.status_code == 400
    assert "implementation_deadline" in response.context["form"].errors


def test_stale_edit_is_refused_with_a_message(org, login):
    """Two HR admins edit one cycle: the second save is refused, not silently applied."""
    cycle = make_cycle("Shared")
    client = login(org["hr"])
    form = client.get(reverse("cycle-edit", args=[cycle.pk])).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data["start_date"], data["end_date"] = "2026-01-01", "2026-12-31"
    for field in Cycle.DEADLINE_FIELDS.values():
        data[field] = getattr(cycle, field).isoformat()
    services.update_cycle(
        actor=org["hr"].user,
        cycle_id=cycle.pk,
        data={**{f: getattr(cycle, f) for f in services.CYCLE_FIELDS}, "name": "Theirs"},
        expected_version=cycle.version,
    )
    data["name"] = "Mine"
    response = client.post(reverse("cycle-edit", args=[cycle.pk]), data)
    assert response.status_code == 409
    assert "Someone else changed this cycle" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.name == "Theirs"


def test_cycle_actions_are_post_only_and_hr_only(org, login):
    """Advancing and enrolling are POST-only HR actions; others get 404."""
    cycle = make_cycle()
    advance = reverse("cycle-advance", args=[cycle.pk])
    assert login(org["hr"]).get(advance).status_code == 405
    assert login(org["manager"]).post(advance, {"to_phase": "implementation"}).status_code == 404
    response = login(org["hr"]).post(advance, {"to_phase": "implementation"})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.phase == "implementation"
    response = login(org["hr"]).post(advance, {"to_phase": "closed"}, follow=True)
    assert "cannot move" in response.content.decode()
    # The page sends HR to the Participants page to add people (no blanket button).
    empty = login(org["hr"]).get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    assert "Add all active employees" not in empty
    assert "Use “Participants” above to add people" in empty
    enrol_url = reverse("cycle-enrol", args=[cycle.pk])
    assert login(org["employee"]).post(enrol_url).status_code == 404
    login(org["hr"]).post(enrol_url)
    assert cycle.participations.count() == len(org)


def test_hr_turns_automatic_advance_on_and_others_cannot(org, login):
    """HR ticks "advance automatically" in the cycle form and the cycle page and timeline
    say so; a manager or employee posting the same form gets 404 and changes nothing."""
    cycle = make_cycle("Auto")
    enrol(cycle, org["employee"])
    client = login(org["hr"])
    form = client.get(reverse("cycle-edit", args=[cycle.pk])).context["form"]
    assert "day after each phase ends" in str(form["auto_advance"].help_text)
    data = {name: form[name].value() for name in form.fields}
    for name in ["start_date", "end_date", *Cycle.DEADLINE_FIELDS.values()]:
        data[name] = getattr(cycle, name).isoformat()
    for role in ("manager", "employee"):
        response = login(org[role]).post(
            reverse("cycle-edit", args=[cycle.pk]), {**data, "auto_advance": "on"}
        )
        assert response.status_code == 404
    cycle.refresh_from_db()
    assert cycle.auto_advance is False
    response = login(org["hr"]).post(
        reverse("cycle-edit", args=[cycle.pk]), {**data, "auto_advance": "on"}, follow=True
    )
    cycle.refresh_from_db()
    assert cycle.auto_advance is True
    page = response.content.decode()
    assert "Moves to the next phase automatically after each deadline" in page
    assert "Planning ends on 31 Jan 2026; the cycle then moves to the next phase" in page
    event = AuditEvent.objects.get(verb="cycle.updated")
    assert (event.before, event.after) == ({"auto_advance": False}, {"auto_advance": True})
    del data["auto_advance"]  # an unticked checkbox is not posted
    login(org["hr"]).post(reverse("cycle-edit", args=[cycle.pk]), {**data, "version": 2})
    cycle.refresh_from_db()
    assert cycle.auto_advance is False
    page = login(org["employee"]).get(cycle.get_absolute_url()).content.decode()
    assert "Moved to the next phase by HR" in page


def test_a_failing_phase_hook_is_a_message_not_a_server_error(org, login):
    """When a stage's hook breaks during HR's move, the page says nothing was changed;
    the cycle stays where it was."""

    def breaks(*, cycle, actor):
        raise RuntimeError("boom")

    cycle = make_cycle()
    phases.register_phase_hook(entering=Cycle.Phase.IMPLEMENTATION, hook=breaks)
    try:
        response = login(org["hr"]).post(
            reverse("cycle-advance", args=[cycle.pk]), {"to_phase": "implementation"}, follow=True
        )
    finally:
        phases.ENTER_HOOKS[Cycle.Phase.IMPLEMENTATION].remove(breaks)
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.phase == Cycle.Phase.PLANNING


def test_cycle_detail_is_scoped(org, login):
    """A participant's manager can open the cycle; someone outside it gets 404."""
    cycle = make_cycle()
    enrol(cycle, org["employee"])
    assert login(org["manager"]).get(cycle.get_absolute_url()).status_code == 200
    assert login(org["manager2"]).get(cycle.get_absolute_url()).status_code == 404
    assert login(org["hr"]).get(cycle.get_absolute_url()).status_code == 200


def test_people_directory_filters(org, login):
    """HR filters the people list by text and by department."""
    client = login(org["hr"])
    response = client.get(reverse("employee-list"), {"q": "employee2"})
    assert [e.user.username for e in response.context["page"]] == ["employee2"]
    response = client.get(reverse("employee-list"), {"department": org["manager2"].department_id})
    assert {e.user.username for e in response.context["page"]} == {"manager2", "employee2"}


def test_notifications_inbox_and_unread_count(org, login):
    """The bar shows the unread count; opening a notification marks it read and follows it."""
    note = services.notify(recipient=org["employee"].user, title="Goal approved", url="/me/")
    services.notify(recipient=org["peer"].user, title="Not yours")
    client = login(org["employee"])
    response = client.get(reverse("notification-list"))
    assert [n.title for n in response.context["page"]] == ["Goal approved"]
    assert 'data-unread="1"' in response.content.decode()
    response = client.post(reverse("notification-open", args=[note.pk]))
    assert response.url == "/me/"
    note.refresh_from_db()
    assert note.read_at is not None
    other = Notification.objects.get(title="Not yours")
    assert client.post(reverse("notification-open", args=[other.pk])).status_code == 404


def test_notification_never_redirects_off_site(org, login):
    """A notification link to another host is not followed."""
    note = services.notify(recipient=org["employee"].user, title="x", url="https://evil.example/")
    response = login(org["employee"]).post(reverse("notification-open", args=[note.pk]))
    assert response.url == reverse("notification-list")


def test_mark_all_read(org, login):
    """Mark all as read clears the unread count."""
    for n in range(3):
        services.notify(recipient=org["employee"].user, title=f"n{n}")
    login(org["employee"]).post(reverse("notification-read-all"))
    assert not Notification.objects.filter(recipient=org["employee"].user, read_at=None).exists()


def test_audit_log_filters(org, login):
    """HR browses the audit log and filters by kind of event and person; bad dates are a
    400."""
    cycle = make_cycle()
    phases.advance_cycle_phase(actor=org["hr"].user, cycle_id=cycle.pk, to_phase="implementation")
    services.record_event(actor=org["manager"].user, verb="goal.approved", obj=cycle)
    client = login(org["hr"])
    response = client.get(reverse("audit-list"), {"kind": "cycle.phase_changed"})
    assert [line.event.verb for line in response.context["lines"]] == ["cycle.phase_changed"]
    response = client.get(reverse("audit-list"), {"person": "manager"})
    assert [line.event.verb for line in response.context["lines"]] == ["goal.approved"]
    response = client.get(
        reverse("audit-list"), {"date_from": "2026-05-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "before the start date" in response.content.decode()
    assert AuditEvent.objects.count() == 2


def test_password_reset_by_email(client, employee):
    """A reset request emails a link that lets the user choose a new password."""
    response = client.post(reverse("password_reset"), {"email": employee.user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "a-much-better-pass-42", "new_password2": "a-much-better-pass-42"},
    )
    assert response.status_code == 302
    signed_in = client.post(
        reverse("login"), {"username": "employee", "password": "a-much-better-pass-42"}
    )
    assert signed_in.status_code == 302


def test_password_change(login, employee):
    """A signed-in user changes their password; a mismatch is shown next to the field."""
    client = login(employee)
    bad = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "x-long-pass-91",
            "new_password2": "different-91",
        },
    )
    assert bad.status_code == 200
    assert "new_password2" in bad.context["form"].errors
    ok = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "x-long-pass-91",
            "new_password2": "x-long-pass-91",
        },
    )
    assert ok.status_code == 302


def test_error_pages_keep_the_house_look(login, employee, client, settings):
    """An unknown page is a friendly 404 with a way home."""
    response = login(employee).get("/no/such/page/")
    assert response.status_code == 404
    assert "Go to my home page" in response.content.decode()


def test_server_error_page_renders_without_database(rf):
    """The 500 page renders without touching the database or the session."""
    from perfcycle.error_views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "url_name"), [("employee", "my-home"), ("manager", "team-home"), ("hr", "hr-home")]
)
def test_landing_page_queries_do_not_grow_with_headcount(
    org, login, role, url_name, django_assert_num_queries
):
    """Each landing page costs the same number of queries for 5 or 50 more employees."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION)
    enrol(cycle, *org.values())
    client = login(org[role])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(url_name)).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(5):
        enrol(cycle, make_employee(manager=org["manager"]))
        make_cycle(phase=Cycle.Phase.CLOSED)
    small = count()
    for _ in range(45):
        enrol(cycle, make_employee(manager=org["manager"]))
        make_cycle(phase=Cycle.Phase.CLOSED)
    assert count() == small
    assert small <= 20


def test_every_page_names_a_favicon_that_exists(client, db):
    """Browsers ask for an icon on every page: PerfCycle names its own (no 404 in the log)."""
    from django.contrib.staticfiles import finders

    html = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in html and "img/favicon.svg" in html
    assert finders.find("img/favicon.svg")
