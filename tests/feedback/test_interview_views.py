"""The interview's pages for each role: who reaches which page (404 out of scope and
for the wrong role), what each shows, and bad input answered at its field."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from feedback.models import Interview
from feedback.services import interviews as services
from tests.appraisal.factories import appraisal_of
from tests.feedback.factories import released_org
from tests.feedback.interview_factories import causes, record, schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return released_org()


def client_for(person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def _slot_post(version, *, days=3, time="10:30", place="Room 1", link=""):
    day = timezone.localdate() + dt.timedelta(days=days)
    return {
        "slot-version": version,
        "slot-date": day.isoformat(),
        "slot-time": time,
        "slot-duration_minutes": "60",
        "slot-location": place,
        "slot-video_link": link,
    }


# --- Schedule ----------------------------------------------------------------------------------


def test_the_reviewer_schedules_from_the_form(org):
    appraisal = appraisal_of(org, org.employee)
    url = reverse("feedback:interview-schedule", args=[appraisal.pk])
    client = client_for(org.manager)
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="schedule-form"' in page.content
    response = client.post(url, _slot_post(0))
    interview = Interview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:interview-detail", args=[interview.pk])
    assert timezone.localtime(interview.starts_at).time() == dt.time(10, 30)
    # Once scheduled, the schedule URL leads to the interview page.
    assert client.get(url)["Location"] == reverse("feedback:interview-detail", args=[interview.pk])


@pytest.mark.parametrize("who", ["employee", "skip", "hr", "colleague", "outsider"])
def test_only_the_reviewer_reaches_the_schedule_form(org, who):
    url = reverse("feedback:interview-schedule", args=[appraisal_of(org, org.employee).pk])
    client = client_for(getattr(org, who))
    assert client.get(url).status_code == 404
    assert client.post(url, _slot_post(0)).status_code == 404
    assert not Interview.objects.exists()


def test_bad_input_is_shown_at_the_field(org):
    url = reverse("feedback:interview-schedule", args=[appraisal_of(org, org.employee).pk])
    client = client_for(org.manager)
    response = client.post(url, _slot_post(0, place="", link=""))
    assert response.status_code == 400
    assert response.context["form"].errors["location"] == [
        "Give a place or a video link (or both)."
    ]
    response = client.post(url, _slot_post(0, days=-2))
    assert response.status_code == 400
    assert "date" in response.context["form"].errors
    response = client.post(
        url, {**_slot_post(0), "slot-time": "25:99", "slot-video_link": "no link"}
    )
    assert response.status_code == 400
    assert {"time", "video_link"} <= set(response.context["form"].errors)
    assert b'value="Room 1"' in response.content  # nothing typed is lost
    far = client.post(url, {**_slot_post(0), "slot-date": "9999-12-31"})
    assert far.status_code == 400 and "within the next year" in far.content.decode()
    assert not Interview.objects.exists()


def test_an_unreleased_appraisal_says_so():
    from appraisal.models import Appraisal

    org = released_org()
    appraisal = appraisal_of(org, org.employee)
    Appraisal.objects.filter(pk=appraisal.pk).update(released_at=None)
    url = reverse("feedback:interview-schedule", args=[appraisal.pk])
    client = client_for(org.manager)
    assert b'data-testid="not-released"' in client.get(url).content
    response = client.post(url, _slot_post(0))
    assert response.status_code == 400
    assert "not released yet" in response.content.decode()


# --- The interview page --------------------------------------------------------------------------


def test_each_role_sees_its_own_page(org):
    interview = schedule(org)
    url = reverse("feedback:interview-detail", args=[interview.pk])
    mine = client_for(org.employee).get(url)
    assert mine.status_code == 200
    assert [t.name for t in mine.templates][0] == "feedback/interview_mine.html"
    assert b'data-testid="add-to-calendar"' in mine.content
    reviewer = client_for(org.manager).get(url)
    assert b'data-testid="reschedule-form"' in reviewer.content
    assert b'data-testid="cancel-form"' in reviewer.content
    assert b'data-testid="record-later"' in reviewer.content  # before the day
    for who in ("skip", "hr"):
        page = client_for(getattr(org, who)).get(url)
        assert page.status_code == 200
        assert b'data-testid="read-only"' in page.content
        assert b"reschedule-form" not in page.content and b"notes-form" not in page.content
    for who in ("colleague", "outsider"):
        assert client_for(getattr(org, who)).get(url).status_code == 404


@pytest.mark.parametrize("action", ["reschedule", "cancel", "record"])
@pytest.mark.parametrize("who", ["employee", "skip", "hr", "colleague"])
def test_wrong_role_actions_are_not_found(org, action, who):
    interview = schedule(org)
    url = reverse(f"feedback:interview-{action}", args=[interview.pk])
    assert client_for(getattr(org, who)).post(url, {}).status_code == 404
    interview.refresh_from_db()
    assert interview.version == 1


def test_hr_and_the_chain_keep_no_notes(org):
    interview = schedule(org)
    url = reverse("feedback:interview-notes", args=[interview.pk])
    for who in ("skip", "hr", "colleague"):
        response = client_for(getattr(org, who)).post(url, {"notes-version": 0, "notes-text": "x"})
        assert response.status_code == 404


def test_reschedule_and_a_stale_form(org):
    interview = schedule(org)
    url = reverse("feedback:interview-reschedule", args=[interview.pk])
    client = client_for(org.manager)
    assert client.post(url, _slot_post(1, days=5)).status_code == 302
    interview.refresh_from_db()
    assert (interview.status, interview.ics_sequence) == ("rescheduled", 1)
    stale = client.post(url, _slot_post(1, days=6))
    assert stale.status_code == 409
    assert "Someone else changed this interview" in stale.content.decode()


def test_cancel_needs_a_reason(org):
    interview = schedule(org)
    url = reverse("feedback:interview-cancel", args=[interview.pk])
    client = client_for(org.manager)
    response = client.post(url, {"cancel-version": 1, "cancel-reason": ""})
    assert response.status_code == 400
    assert "reason" in response.context["cancel_form"].errors
    assert client.post(url, {"cancel-version": 1, "cancel-reason": "Sick"}).status_code == 302
    page = client.get(reverse("feedback:interview-detail", args=[interview.pk]))
    assert b'data-testid="schedule-form"' in page.content  # schedule it again
    mine = client_for(org.employee).get(reverse("feedback:interview-mine"))
    assert b'data-testid="cancelled-note"' in mine.content and b"Sick" in mine.content


def _record_post(version, **kw):
    data = {
        "record-version": version,
        "record-held_on": timezone.localdate().isoformat(),
        "record-achievements": "Shipped billing.",
        "record-deficiencies": "Late reviews.",
        "record-expectations": "Reviews in two days.",
        "record-agreed_actions": "Daily review slot.",
        "record-root_cause_note": "",
    }
    data.update(kw)
    return data


def test_record_before_the_day_is_refused_and_on_the_day_accepted(org):
    interview = schedule(org)
    url = reverse("feedback:interview-record", args=[interview.pk])
    client = client_for(org.manager)
    early = client.post(url, _record_post(1))
    assert early.status_code == 400
    assert "record it from that day on" in early.content.decode()
    (skills,) = causes("Skills")
    with time_machine.travel(interview.starts_at + dt.timedelta(hours=2), tick=False):
        missing = client.post(url, _record_post(1, **{"record-achievements": ""}))
        assert missing.status_code == 400
        assert "achievements" in missing.context["record_form"].errors
        done = client.post(
            url,
            _record_post(
                1,
                **{
                    "record-held_on": timezone.localdate().isoformat(),
                    "record-root_causes": [str(skills.pk)],
                },
            ),
        )
        assert done.status_code == 302
        mine = client_for(org.employee).get(reverse("feedback:interview-mine"))
    interview.refresh_from_db()
    assert interview.status == "held"
    assert b'data-testid="interview-record"' in mine.content
    assert b"Shipped billing." in mine.content and b"Skills" in mine.content


def test_the_calendar_download_is_for_the_two_sides(org):
    interview = schedule(org)
    url = reverse("feedback:interview-calendar", args=[interview.pk])
    for who in ("employee", "manager"):
        response = client_for(getattr(org, who)).get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        assert b"METHOD:PUBLISH" in response.content
        assert interview.ics_uid.encode() in response.content
    for who in ("skip", "hr", "outsider"):
        assert client_for(getattr(org, who)).get(url).status_code == 404
    services.cancel_interview(
        actor=org.manager.user, interview=interview, reason="x", expected_version=1
    )
    assert b"METHOD:CANCEL" in client_for(org.employee).get(url).content


# --- Lists -------------------------------------------------------------------------------------


def test_my_interview_before_and_after_scheduling(org):
    client = client_for(org.employee)
    url = reverse("feedback:interview-mine")
    empty = client.get(url)
    assert b'data-testid="no-interview"' in empty.content
    schedule(org)
    assert b'data-testid="interview-when"' in client.get(url).content
    assert client_for(org.hr).get(url).status_code == 200  # HR has no released appraisal


def test_the_reviewer_list_groups_and_flags_overdue(org):
    from feedback.services.settings import settings_for

    schedule(org)
    client = client_for(org.manager)
    page = client.get(reverse("feedback:interview-team"))
    groups = page.context["team"].groups
    assert [a.participation.employee for a in groups["scheduled"]] == [org.employee]
    assert [a.participation.employee for a in groups["to_schedule"]] == [org.colleague]
    rules = settings_for(org.cycle)
    rules.interviews_due = timezone.localdate() - dt.timedelta(days=1)
    rules.save()
    page = client.get(reverse("feedback:interview-team"))
    assert page.content.count(b'data-overdue="1"') == 2
    assert re.search(rb'class="text-danger" data-testid="interviews-due"', page.content)
    # Once every interview is held, the date passed is simply over: not red.
    for person in (org.employee, org.colleague):
        interview = Interview.objects.filter(appraisal__participation__employee=person).first()
        interview = interview or schedule(org, person)
        with time_machine.travel(interview.starts_at + dt.timedelta(hours=1), tick=False):
            services.record_interview(
                actor=org.manager.user,
                interview=interview,
                record=record(),
                expected_version=interview.version,
            )
    page = client.get(reverse("feedback:interview-team"))
    assert b'data-overdue="1"' not in page.content
    assert b'data-testid="interviews-due"' in page.content
    assert not re.search(rb'class="text-danger" data-testid="interviews-due"', page.content)
    # People the user does not review see an empty page.
    assert (
        b'data-testid="no-interviews"'
        in client_for(org.skip).get(reverse("feedback:interview-team")).content
    )


def test_hr_completion_counts_per_department(org):
    interview = schedule(org)
    url = reverse("feedback:interview-completion")
    for who in ("employee", "manager", "skip"):
        assert client_for(getattr(org, who)).get(url).status_code == 404
    page = client_for(org.hr).get(url)
    assert page.status_code == 200
    (line,) = page.context["lines"]
    assert (line.total, line.to_schedule, line.scheduled, line.held) == (2, 1, 1, 0)
    with time_machine.travel(interview.starts_at + dt.timedelta(hours=1), tick=False):
        services.record_interview(
            actor=org.manager.user, interview=interview, record=record(), expected_version=1
        )
        page = client_for(org.hr).get(url + "?group=held")
    (line,) = page.context["lines"]
    assert (line.held, line.scheduled, line.percent_held) == (1, 0, 50)
    assert [a.participation.employee.full_name for a, _g in page.context["rows"]] == [
        org.employee.full_name
    ]


def test_the_nav_and_todos(org):
    from perfcycle.stages import Viewer, registry

    schedule(org)
    todos = registry.todos(Viewer.of(org.manager.user))
    assert any("to schedule" in t.title for t in todos)
    mine = registry.todos(Viewer.of(org.employee.user))
    assert any(t.title == "Prepare for your feedback interview" for t in mine)
    home = client_for(org.manager).get(reverse("team-home"))
    assert b'data-nav="teaminterviews"' in home.content


@pytest.mark.parametrize("role", ["employee", "manager", "hr"])
def test_the_compiled_todo_rows_are_the_orms(org, role):
    """The stage's to-do rows run SQL compiled once (perfcycle/compiled.py): the same SQL
    and rows as the queryset built with this viewer's participations and day."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from feedback.selectors import todos
    from perfcycle.stages import Viewer

    schedule(org)
    viewer = Viewer.of(getattr(org, role).user)
    ids = [*viewer.own_participation_ids(*todos.PHASES), *viewer.reviewed_ids(*todos.PHASES)]
    args = (ids, timezone.localdate() + dt.timedelta(days=7))
    with CaptureQueriesContext(connection) as orm_queries:
        expected = list(todos._todo_rows_queryset(*args))
    with CaptureQueriesContext(connection) as compiled_queries:
        got = todos._todo_rows(*args)
    assert len(compiled_queries) == 1  # one statement, prepared or not
    assert todos._todo_rows.statement(*args) == orm_queries[0]["sql"]
    assert got == expected
    assert len(got) == {"employee": 1, "manager": 2, "hr": 0}[role]


@pytest.mark.parametrize("role", ["employee", "colleague", "manager", "skip", "hr", "outsider"])
def test_the_interview_page_reads_the_interview_in_the_readers_scope_only(org, role):
    """``get_interview_for`` (SQL compiled once) finds an interview exactly when
    ``interviews_visible_to`` holds it, with the same people loaded; otherwise 404."""
    from django.http import Http404

    from feedback.selectors import interviews as selectors

    interview = schedule(org)
    user = getattr(org, role).user
    visible = selectors.interviews_visible_to(user).filter(pk=interview.pk).exists()
    assert visible == (role in ("employee", "manager", "skip", "hr"))
    if not visible:
        with pytest.raises(Http404):
            selectors.get_interview_for(user, interview.pk)
        return
    got = selectors.get_interview_for(user, interview.pk)
    expected = selectors.with_people(Interview.objects.all()).get(pk=interview.pk)
    assert vars(got) | {"_state": None} == vars(expected) | {"_state": None}
    assert got.participation.employee.full_name == org.employee.full_name
    assert got.manager.user.username == org.manager.user.username
    with pytest.raises(Http404):
        selectors.get_interview_for(user, interview.pk + 1000)


def test_hr_home_shows_the_interview_health_and_the_cycle_page_links(org):
    from feedback.selectors.interviews import interview_health

    interview = schedule(org)
    # On the due day (the cycle's feedback deadline) none is overdue yet, whatever the day
    # the test runs on.
    (line,) = interview_health(org.cycle, today=org.cycle.feedback_deadline)
    assert (line.done, line.total, line.overdue) == (0, 2, 0)
    with time_machine.travel(interview.starts_at + dt.timedelta(hours=1), tick=False):
        services.record_interview(
            actor=org.manager.user, interview=interview, record=record(), expected_version=1
        )
    late = org.cycle.feedback_deadline + dt.timedelta(days=1)
    (line,) = interview_health(org.cycle, today=late)
    assert (line.done, line.overdue) == (1, 1)
    home = client_for(org.hr).get(reverse("hr-home"))
    assert b"Feedback interviews held" in home.content
    cycle_page = client_for(org.hr).get(org.cycle.get_absolute_url())
    assert reverse("feedback:interview-completion").encode() in cycle_page.content


def test_the_audit_log_reads_the_interview_events(org):
    interview = schedule(org)
    services.save_note(actor=org.manager.user, interview=interview, text="x", expected_version=0)
    page = client_for(org.hr).get(reverse("audit-list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "scheduled" in text and "feedback interview in" in text
    assert "saved their preparation notes" in text


def test_other_parts_of_the_stage_link_from_the_interview_page(org):
    """A registered provider's link shows on both sides' pages (carry, plans, consensus
    add theirs without editing the interview's templates)."""
    from feedback.selectors import interviews as selectors

    interview = schedule(org)

    def proposals(user, interview):
        return ("Next-cycle goals", f"/feedback/interviews/{interview.pk}/goals/")

    selectors.register_interview_link(proposals)
    try:
        for who in ("employee", "manager"):
            page = client_for(getattr(org, who)).get(
                reverse("feedback:interview-detail", args=[interview.pk])
            )
            assert b'data-testid="interview-link"' in page.content
            assert b"Next-cycle goals" in page.content
    finally:
        selectors.INTERVIEW_LINKS.remove(proposals)
