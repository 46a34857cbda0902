"""Check-in pages: each URL's happy path and wrong-role 404 (peer, another manager,
skip-level manager), bad input back at 400 with the error next to its field and the
typed values kept, and constant query counts on the list pages."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import Direction, Indicator, RatingScale
from implementation.models import (
    CheckIn,
    CheckinComment,
    CheckinQuestion,
    CheckinSettings,
    ProgressUpdate,
)
from perfcycle.formatting import format_date_range
from perfcycle.models import Cycle, Participation
from tests.factories import enrol, make_cycle, make_employee
from tests.goals.factories import make_goal
from tests.implementation.evidence_factories import make_evidence
from tests.implementation.factories import (
    make_checkin,
    make_checkins,
    make_deviation,
    make_progress,
    make_question,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when used: a run may cross midnight
# A monthly cycle that started on the first of the month two months ago: the current
# period is this calendar month, and there are two months of history before it.
START = (TODAY().replace(day=1) - dt.timedelta(days=40)).replace(day=1)
OUTSIDERS = ["peer", "manager2", "director"]  # director: reads, never acts
STRANGERS = ["peer", "manager2"]  # neither read nor act


def month_start(months_ago: int) -> dt.date:
    day = TODAY().replace(day=1)
    for _ in range(months_ago):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day


def month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


@pytest.fixture
def cycle(org):
    cycle = make_cycle("FY now", phase=Cycle.Phase.IMPLEMENTATION, start=START)
    enrol(cycle, org["employee"], org["peer"], org["manager"], org["employee2"])
    return cycle


@pytest.fixture
def participation(org, cycle):
    return Participation.objects.get(cycle=cycle, employee=org["employee"])


@pytest.fixture
def goal(org, cycle):
    return make_goal(
        org["employee"],
        cycle=cycle,
        status="approved",
        weight=100,
        title="Close deals",
        baseline=Decimal("0"),
        target=Decimal("12"),
        unit="deals",
    )


@pytest.fixture
def current(participation):
    first = month_start(0)
    return make_checkin(participation, period_start=first, period_end=month_end(first))


@pytest.fixture
def submitted(participation):
    first = month_start(1)
    return make_checkin(
        participation,
        period_start=first,
        period_end=month_end(first),
        status="submitted",
        went_well="Closed two",
        confidence=4,
    )


def client_for(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def login_as(org, role) -> Client:
    return client_for(org[role])


def url(name, *args):
    return reverse(f"implementation:{name}", args=args)


def count_queries(client, address) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(address)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def field_error(html: str, field: str) -> str:
    """The text of the invalid-feedback element that crispy renders under ``field``."""
    match = re.search(
        rf'id="error_1_id_{field}"[^>]*>\s*<strong>(.*?)</strong>', html, flags=re.DOTALL
    )
    return match.group(1).strip() if match else ""


# --- my-checkins ----------------------------------------------------------------------------


def test_my_checkins_shows_the_current_checkin_first_then_history(org, current, participation):
    """The current check-in comes first with a big Fill in button and its due date; the
    history shows each status, a late one flagged."""
    make_checkin(
        participation,
        period_start=month_start(1),
        period_end=month_end(month_start(1)),
        status="reviewed",
        is_late=True,
    )
    make_checkin(
        participation,
        period_start=month_start(2),
        period_end=month_end(month_start(2)),
        status="missed",
    )
    response = login_as(org, "employee").get(url("my-checkins"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["current"] == current
    assert html.index('data-testid="current-checkin"') < html.index('data-testid="checkin-history"')
    assert 'data-testid="fill-in"' in html
    assert url("checkin-edit", current.pk) in html
    assert current.due_date.strftime("%Y") in html
    assert [c.status for c in response.context["history"]] == ["reviewed", "missed"]
    assert 'data-late="1"' in html
    assert "Submit late" in html


def test_my_checkins_empty_state_says_what_happens_next(org, cycle):
    """No check-in yet: the page says when one will appear."""
    html = login_as(org, "employee").get(url("my-checkins")).content.decode()
    assert "No check-in is open for you right now" in html
    assert "No earlier check-ins yet" in html


def test_my_checkins_without_a_cycle(org):
    """Someone in no open cycle is told so."""
    html = login_as(org, "intern").get(url("my-checkins")).content.decode()
    assert "not in an open performance cycle" in html


def test_my_checkins_of_a_cycle_that_is_not_mine_is_404(org, cycle):
    """Asking for a cycle one does not take part in is not found."""
    other = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=START)
    response = login_as(org, "employee").get(url("my-checkins") + f"?cycle={other.pk}")
    assert response.status_code == 404


def _my_checkins_queries(org, participation, months: int) -> int:
    CheckIn.objects.filter(participation=participation).delete()
    make_checkins(participation, first=START - dt.timedelta(days=30 * months), count=months)
    return count_queries(login_as(org, "employee"), url("my-checkins"))


def test_my_checkins_query_count_does_not_grow_with_history(org, participation):
    """3 or 30 check-ins in the history: the same number of queries."""
    assert _my_checkins_queries(org, participation, 3) == _my_checkins_queries(
        org, participation, 30
    )


# --- checkin-detail -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["employee", "manager", "hr"])
def test_the_checkin_is_read_by_the_employee_the_reviewer_and_hr(org, submitted, role):
    """The participant, their reviewer and HR read it; the reviewer and HR get the
    response forms, the employee does not."""
    response = login_as(org, role).get(url("checkin-detail", submitted.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Closed two" in html
    assert ('data-testid="reply-form"' in html) is (role != "employee")


@pytest.mark.parametrize("role", STRANGERS)
def test_outsiders_do_not_find_the_checkin(org, submitted, role):
    """A peer and another team's manager get 404 (the skip-level manager reads it: see
    test_skip_level_reads_the_checkin_but_does_not_act)."""
    assert login_as(org, role).get(url("checkin-detail", submitted.pk)).status_code == 404


def test_skip_level_reads_the_checkin_but_does_not_act(org, submitted):
    """The skip-level manager reads the check-in (as on the goal progress page) but gets
    no reply, review or comment button."""
    response = login_as(org, "director").get(url("checkin-detail", submitted.pk))
    assert response.status_code == 200
    actions = response.context["actions"]
    assert not (actions.reply or actions.review or actions.comment or actions.follow_up)


def test_the_detail_shows_progress_answers_and_the_thread(org, cycle, submitted, goal):
    """Progress per goal, HR's questions with answers, and the comments, follow-ups
    flagged."""
    submitted.goal_progress.create(goal=goal, actual_value=Decimal("5"), note="On track")
    question = make_question(cycle, "What did you learn?")
    submitted.answers.create(question=question, answer="Patience")
    CheckinComment.objects.create(
        checkin=submitted, author=org["manager"].user, body="Why so?", is_follow_up=True
    )
    html = login_as(org, "employee").get(url("checkin-detail", submitted.pk)).content.decode()
    assert "On track" in html
    assert "What did you learn?" in html and "Patience" in html
    assert 'data-follow-up="1"' in html and "Why so?" in html


def test_the_detail_lists_the_evidence_dated_in_the_period(org, submitted, participation):
    """Evidence of the period is listed with its files; evidence of other months is not;
    the employee gets a button to add more for this check-in."""
    make_evidence(participation, title="Signed contract", occurred_on=submitted.period_start)
    make_evidence(
        participation, title="Older work", occurred_on=submitted.period_start - dt.timedelta(days=1)
    )
    html = login_as(org, "employee").get(url("checkin-detail", submitted.pk)).content.decode()
    assert "Signed contract" in html and "Older work" not in html
    assert f"{reverse('implementation:evidence-create')}?checkin={submitted.pk}" in html
    manager_html = (
        login_as(org, "manager").get(url("checkin-detail", submitted.pk)).content.decode()
    )
    assert "Signed contract" in manager_html
    assert 'data-testid="add-evidence"' not in manager_html


# --- checkin-edit and checkin-submit ------------------------------------------------------------


def form_data(checkin, goal=None, **values):
    data = {
        "version": checkin.version,
        "went_well": "Signed Acme",
        "blockers": "Legal review",
        "confidence": "4",
    }
    if goal is not None:
        data[f"goal_{goal.pk}_value"] = "5"
        data[f"goal_{goal.pk}_note"] = "Two more in the pipeline"
    data.update(values)
    return data


def test_the_employee_fills_in_and_saves_a_draft(org, current, goal):
    """The form lists the approved goals; saving keeps the check-in pending."""
    client = login_as(org, "employee")
    response = client.get(url("checkin-edit", current.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Close deals" in html and f'name="goal_{goal.pk}_value"' in html
    response = client.post(url("checkin-edit", current.pk), form_data(current, goal))
    assert response.status_code == 302
    current.refresh_from_db()
    assert (current.status, current.went_well, current.confidence) == ("pending", "Signed Acme", 4)
    assert current.goal_progress.get().actual_value == Decimal("5")


def test_the_form_asks_hrs_active_questions(org, cycle, current):
    """Active questions appear in the form; deactivated ones do not."""
    make_question(cycle, "Anything to celebrate?")
    make_question(cycle, "Retired question?", is_active=False)
    html = login_as(org, "employee").get(url("checkin-edit", current.pk)).content.decode()
    assert "Anything to celebrate?" in html
    assert "Retired question?" not in html


def test_the_employee_submits_and_the_goal_moves(org, current, goal):
    """Submitting from the form: submitted, the goal's value recorded, back to the page."""
    response = login_as(org, "employee").post(
        url("checkin-submit", current.pk), form_data(current, goal)
    )
    assert response.status_code == 302
    assert response["Location"] == current.get_absolute_url()
    current.refresh_from_db()
    assert current.status == "submitted"
    goal.refresh_from_db()
    assert goal.current_value == Decimal("5")


def test_bad_input_comes_back_with_errors_next_to_the_fields(org, current, goal):
    """Confidence 9 and text in the actual value: 400, each error under its field, the
    typed values kept, nothing saved."""
    data = form_data(current, goal, confidence="9", **{f"goal_{goal.pk}_value": "about five"})
    response = login_as(org, "employee").post(url("checkin-submit", current.pk), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, f"goal_{goal.pk}_value") == "Enter a number."
    assert field_error(html, "confidence") == "Choose a confidence from 1 to 5."
    assert 'data-testid="form-errors"' in html
    assert 'value="about five"' in html
    assert "Signed Acme" in html and "Two more in the pipeline" in html
    current.refresh_from_db()
    assert (current.status, current.went_well) == ("pending", "")


@pytest.mark.parametrize("value", ["-12345678901.5", "-1", "1201"])
def test_an_absurd_actual_value_is_refused_at_the_field(org, current, goal, value):
    """A goal of 0 → 12 deals takes 0 to 1,200: −12,345,678,901.5 (once shown as
    "−123456789015 % of target"), a negative count or 100× the target plus one is refused
    at the value field, 400, the typed text kept, nothing saved or submitted."""
    data = form_data(current, goal, **{f"goal_{goal.pk}_value": value})
    response = login_as(org, "employee").post(url("checkin-submit", current.pk), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, f"goal_{goal.pk}_value") == (
        "Enter a value from 0 to 1,200 deals: this is far outside what this goal measures "
        "(target 12)."
    )
    assert f'value="{value}"' in html and "Signed Acme" in html
    current.refresh_from_db()
    assert (current.status, current.went_well) == ("pending", "")
    assert not current.goal_progress.exists()
    goal.refresh_from_db()
    assert goal.current_value is None


def test_the_largest_sane_value_is_accepted(org, current, goal):
    """1,200 deals (100× the target) is still a value the goal takes."""
    data = form_data(current, goal, **{f"goal_{goal.pk}_value": "1200"})
    response = login_as(org, "employee").post(url("checkin-submit", current.pk), data)
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.current_value == Decimal("1200")


def test_the_progress_form_refuses_an_absurd_value_at_the_field(org, goal):
    """The goal progress page's own form applies the same bounds."""
    client = login_as(org, "employee")
    response = client.post(url("goal-progress", goal.pk), {"value": "-12345678901.5"})
    assert response.status_code == 400
    assert "Enter a value from 0 to 1,200 deals" in field_error(response.content.decode(), "value")
    assert not ProgressUpdate.objects.exists()


def test_submitting_without_confidence_says_so_at_the_field(org, current):
    """A draft may skip confidence; a submission may not."""
    client = login_as(org, "employee")
    response = client.post(url("checkin-submit", current.pk), form_data(current, confidence=""))
    assert response.status_code == 400
    assert "Say how confident you are" in response.content.decode()
    response = client.post(url("checkin-edit", current.pk), form_data(current, confidence=""))
    assert response.status_code == 302


def test_a_stale_form_is_a_conflict_error_not_a_lost_update(org, current):
    """Saving a form loaded before someone else's save: 409 with the conflict message."""
    CheckIn.objects.filter(pk=current.pk).update(version=5, went_well="Saved elsewhere")
    response = login_as(org, "employee").post(
        url("checkin-edit", current.pk), form_data(current, version="1")
    )
    assert response.status_code == 409
    assert "Someone else changed this check-in" in response.content.decode()
    current.refresh_from_db()
    assert current.went_well == "Saved elsewhere"


def test_a_submitted_checkin_cannot_be_opened_for_editing(org, submitted):
    """After submission the form redirects to the check-in with a message."""
    client = login_as(org, "employee")
    response = client.get(url("checkin-edit", submitted.pk))
    assert response.status_code == 302
    response = client.post(url("checkin-submit", submitted.pk), form_data(submitted))
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.went_well == "Closed two"


@pytest.mark.parametrize("role", ["manager", "hr", *OUTSIDERS])
def test_only_the_participant_reaches_the_form(org, current, role):
    """The reviewer and HR read the check-in but do not get its form; outsiders do not
    find it at all."""
    client = login_as(org, role)
    assert client.get(url("checkin-edit", current.pk)).status_code == 404
    assert client.post(url("checkin-submit", current.pk), form_data(current)).status_code == 404
    current.refresh_from_db()
    assert current.status == "pending"


def test_submit_is_post_only(org, current):
    """GET on a workflow action is not allowed."""
    assert login_as(org, "employee").get(url("checkin-submit", current.pk)).status_code == 405


# --- checkin-reply, checkin-review, checkin-comment -------------------------------------------


def test_the_reviewer_replies(org, submitted):
    """A reply is saved and the page says so."""
    response = login_as(org, "manager").post(
        url("checkin-reply", submitted.pk),
        {"manager_reply": "Great progress", "version": submitted.version},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.manager_reply == "Great progress"


def test_an_empty_reply_comes_back_with_the_error_at_the_field(org, submitted):
    """400 with the error under the reply box."""
    response = login_as(org, "manager").post(
        url("checkin-reply", submitted.pk), {"manager_reply": "", "version": submitted.version}
    )
    assert response.status_code == 400
    assert field_error(response.content.decode(), "manager_reply") == "Write your reply."


def test_a_stale_reply_is_a_conflict_at_409(org, submitted):
    """A reply from a page loaded before another reply is refused with the reason."""
    CheckIn.objects.filter(pk=submitted.pk).update(version=3)
    response = login_as(org, "manager").post(
        url("checkin-reply", submitted.pk), {"manager_reply": "Late", "version": "1"}
    )
    assert response.status_code == 409
    assert "Someone else changed this check-in" in response.content.decode()


def test_the_reviewer_marks_it_reviewed(org, submitted):
    """Mark reviewed moves it on and tells the employee."""
    response = login_as(org, "manager").post(
        url("checkin-review", submitted.pk),
        {"manager_reply": "Well done", "version": submitted.version},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.manager_reply) == ("reviewed", "Well done")


def test_reviewing_a_pending_checkin_is_refused_with_a_message(org, current):
    """The service's refusal comes back as a message, not a silent no-op."""
    response = login_as(org, "manager").post(
        url("checkin-review", current.pk), {"version": current.version}, follow=True
    )
    assert "cannot be marked reviewed" in response.content.decode()
    current.refresh_from_db()
    assert current.status == "pending"


def _outside_details(html: str) -> str:
    return re.sub(r"<details.*?</details>", "", html, flags=re.DOTALL)


def test_the_reviewer_gets_one_reply_box_with_send_and_mark_reviewed(org, submitted):
    """One text box (the reply) in one form with "Send reply" and "Mark reviewed"; no
    "Last word"; the comment box is folded away while the review is pending; the reply
    comes after the employee's check-in."""
    html = login_as(org, "manager").get(url("checkin-detail", submitted.pk)).content.decode()
    assert _outside_details(html).count("<textarea") == 1
    assert "Last word" not in html
    form = re.search(r'<form[^>]*data-testid="reply-form".*?</form>', html, re.DOTALL).group(0)
    assert form.count("<textarea") == 1
    assert "Send reply" in form and "Mark reviewed" in form
    assert 'data-confirm="Mark this check-in reviewed?' in form
    assert html.index('id="how-heading"') < html.index('id="respond-heading"')
    assert 'data-testid="comment-details"' in html


def test_the_reviewer_marks_it_reviewed_with_the_reply_in_the_box(org, submitted):
    """The reply typed in the one box goes with Mark reviewed: audited, and the employee
    is told with the reply's text."""
    from perfcycle.models import AuditEvent, Notification

    response = login_as(org, "manager").post(
        url("checkin-review", submitted.pk),
        {"manager_reply": "Keep it up", "version": submitted.version},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.manager_reply) == ("reviewed", "Keep it up")
    event = AuditEvent.objects.get(verb="checkin.reviewed")
    assert event.after["manager_reply"] == "Keep it up"
    note = Notification.objects.get(recipient=org["employee"].user)
    assert "was reviewed" in note.title and note.body == "Keep it up"


def test_mark_reviewed_with_an_empty_box_keeps_the_reply_already_sent(org, submitted):
    """Clearing the box and marking reviewed never loses the reply the employee has."""
    CheckIn.objects.filter(pk=submitted.pk).update(manager_reply="Sent before")
    response = login_as(org, "manager").post(
        url("checkin-review", submitted.pk), {"manager_reply": "", "version": submitted.version}
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.status, submitted.manager_reply) == ("reviewed", "Sent before")


def test_a_refused_review_keeps_the_typed_reply_on_the_page(org, submitted):
    """Someone reviewed it meanwhile: 409, the reason, and what was typed is still shown."""
    CheckIn.objects.filter(pk=submitted.pk).update(version=5, status="reviewed")
    response = login_as(org, "manager").post(
        url("checkin-review", submitted.pk), {"manager_reply": "My words", "version": "1"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this check-in" in html
    assert 'data-testid="unsent-reply"' in html and "My words" in html


def test_the_employee_reads_the_reply_and_the_reviewer_sees_it_as_theirs(org, submitted):
    """After review the employee sees "Reply from <reviewer>"; the reviewer, "Your reply";
    neither gets a reply box."""
    CheckIn.objects.filter(pk=submitted.pk).update(status="reviewed", manager_reply="Nice work")
    employee = login_as(org, "employee").get(url("checkin-detail", submitted.pk)).content.decode()
    manager = login_as(org, "manager").get(url("checkin-detail", submitted.pk)).content.decode()
    assert f"Reply from {org['manager'].full_name}" in employee and "Nice work" in employee
    assert "Your reply</h2>" in manager and "Reply from" not in manager
    assert 'data-testid="reply-form"' not in employee + manager


def test_the_checkin_page_stays_within_its_query_budget(org, submitted, goal):
    """The reviewer's page, with the reply box, is a daily page: at most 12 queries."""
    assert count_queries(login_as(org, "manager"), url("checkin-detail", submitted.pk)) <= 12
    assert count_queries(login_as(org, "employee"), url("checkin-detail", submitted.pk)) <= 12


@pytest.mark.parametrize("role", ["employee", *OUTSIDERS])
def test_only_the_reviewer_or_hr_reply_and_review(org, submitted, role):
    """The employee and outsiders get 404 on the reviewer's actions."""
    client = login_as(org, role)
    reply = client.post(url("checkin-reply", submitted.pk), {"manager_reply": "x", "version": 1})
    review = client.post(url("checkin-review", submitted.pk))
    assert (reply.status_code, review.status_code) == (404, 404)
    submitted.refresh_from_db()
    assert (submitted.status, submitted.manager_reply) == ("submitted", "")


def test_hr_reviews_too(org, submitted):
    """HR may mark any check-in reviewed."""
    response = login_as(org, "hr").post(
        url("checkin-review", submitted.pk), {"version": submitted.version}
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.reviewed_by == org["hr"].user


def test_comments_and_follow_up_questions(org, submitted):
    """The employee comments; the reviewer asks a flagged follow-up."""
    response = login_as(org, "employee").post(
        url("checkin-comment", submitted.pk), {"body": "More context"}
    )
    assert response.status_code == 302
    response = login_as(org, "manager").post(
        url("checkin-comment", submitted.pk), {"body": "What helped?", "follow_up": "on"}
    )
    assert response.status_code == 302
    assert list(CheckinComment.objects.values_list("body", "is_follow_up")) == [
        ("More context", False),
        ("What helped?", True),
    ]


def test_an_empty_comment_comes_back_with_the_error(org, submitted):
    """400 with the error under the comment box."""
    response = login_as(org, "employee").post(url("checkin-comment", submitted.pk), {"body": ""})
    assert response.status_code == 400
    assert field_error(response.content.decode(), "body") == "This field is required."


def test_the_employee_cannot_flag_a_follow_up(org, submitted):
    """Follow-up questions are the reviewer's."""
    response = login_as(org, "employee").post(
        url("checkin-comment", submitted.pk), {"body": "Q", "follow_up": "on"}
    )
    assert response.status_code == 404
    assert not CheckinComment.objects.exists()


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_cannot_comment(org, submitted, role):
    """Outsiders get 404 on the thread."""
    response = login_as(org, role).post(url("checkin-comment", submitted.pk), {"body": "Hi"})
    assert response.status_code == 404


# --- team-board ---------------------------------------------------------------------------------


def test_the_team_board_has_a_row_per_report_with_status_trend_and_deviations(
    org, cycle, participation, goal, current
):
    """One row per person reviewed, with the current status, late flag, confidence trend
    as numbers, open deviations and counts per status."""
    for months_ago, confidence in [(3, 2), (2, 3), (1, 5)]:
        first = month_start(months_ago)
        if first < START:
            continue
        make_checkin(
            participation,
            period_start=first,
            period_end=month_end(first),
            status="reviewed",
            confidence=confidence,
        )
    CheckIn.objects.filter(pk=current.pk).update(
        status="submitted", is_late=True, confidence=4, submitted_at=timezone.now()
    )
    make_deviation(goal, participation=participation)
    peer = Participation.objects.get(cycle=cycle, employee=org["peer"])
    make_checkin(peer, period_start=month_start(0), period_end=month_end(month_start(0)))

    response = login_as(org, "manager").get(url("team-board"))
    assert response.status_code == 200
    rows = {r.participation.employee.user.username: r for r in response.context["rows"]}
    assert set(rows) == {"employee", "peer"}
    employee = rows["employee"]
    assert employee.current.status == "submitted" and employee.current.is_late
    assert employee.open_deviations == 1
    assert employee.trend.values[-1] == 4
    html = response.content.decode()
    assert employee.trend.text in html
    assert 'data-late="1"' in html
    counts = response.context["counts"]
    assert (counts["total"], counts["submitted"], counts["pending"]) == (2, 1, 1)


def test_the_team_board_marks_people_with_goals_with_no_update_yet(org, cycle, current):
    """Two approved goals with nothing reported: "No update yet · 2 goals" by the name;
    a goal with a value, a draft or a colleague's goal do not count."""
    for title in ["Hire", "Train"]:
        make_goal(org["employee"], cycle=cycle, status="approved", target=Decimal("5"), title=title)
    make_goal(
        org["employee"],
        cycle=cycle,
        status="approved",
        target=Decimal("5"),
        current_value=Decimal("1"),
    )
    make_goal(org["employee"], cycle=cycle, status="draft", target=Decimal("5"))
    response = login_as(org, "manager").get(url("team-board"))
    rows = {r.participation.employee.user.username: r for r in response.context["rows"]}
    assert (rows["employee"].no_update, rows["peer"].no_update) == (2, 0)
    html = response.content.decode()
    assert html.count('data-testid="no-update"') == 1
    assert "No update yet · 2 goals" in html


def test_earlier_checkins_waiting_for_review_stay_on_the_board(org, submitted, current):
    """Last period's submitted check-in is listed for review even though a new period
    has started."""
    response = login_as(org, "manager").get(url("team-board"))
    assert response.context["earlier"] == [submitted]
    assert 'data-testid="earlier-to-review"' in response.content.decode()


def test_the_team_board_filters_by_status(org, cycle, current):
    """?status=pending shows only those whose current check-in is pending."""
    peer = Participation.objects.get(cycle=cycle, employee=org["peer"])
    make_checkin(
        peer,
        period_start=month_start(0),
        period_end=month_end(month_start(0)),
        status="submitted",
    )
    response = login_as(org, "manager").get(url("team-board") + "?status=pending")
    assert [r.participation.employee_id for r in response.context["rows"]] == [org["employee"].pk]


def test_after_implementation_the_board_shows_each_persons_latest_checkin(org):
    """With no period running (the cycle is in appraisal), each row shows the latest
    check-in instead of an empty status."""
    start = TODAY() - dt.timedelta(days=400)
    cycle = make_cycle(phase=Cycle.Phase.APPRAISAL, start=start)
    [part] = enrol(cycle, org["employee"])
    make_checkins(part, first=start + dt.timedelta(days=40), count=2, status="reviewed")
    response = login_as(org, "manager").get(url("team-board") + f"?cycle={cycle.pk}")
    assert response.status_code == 200
    assert response.context["period"] is None
    [row] = response.context["rows"]
    assert row.current.period_start == start + dt.timedelta(days=70)
    assert "No check-in period is running" in response.content.decode()


def test_someone_who_reviews_nobody_has_no_team_board(org, cycle):
    """An employee without reviewees gets 404."""
    assert login_as(org, "employee").get(url("team-board")).status_code == 404


def test_the_team_board_of_someone_elses_cycle_is_404(org, cycle):
    """A cycle in which the manager reviews nobody is not found."""
    other = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=START)
    enrol(other, org["employee2"])
    response = login_as(org, "manager").get(url("team-board") + f"?cycle={other.pk}")
    assert response.status_code == 404


def test_the_team_board_pages_its_rows_and_counts_the_whole_team(db):
    """51 reports: 50 rows on the first page, one on the second, and the cards count all
    51 (a status filter counts within the page's list, the cards stay the team's)."""
    lead = make_employee()
    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=START)
    people = enrol(cycle, *[make_employee(manager=lead) for _ in range(51)])
    first = month_start(0)
    for index, part in enumerate(people):
        make_checkin(
            part,
            period_start=first,
            period_end=month_end(first),
            status="submitted" if index % 3 == 0 else "pending",
        )
    client = client_for(lead)
    one, two = client.get(url("team-board")), client.get(url("team-board") + "?page=2")
    assert (len(one.context["rows"]), len(two.context["rows"])) == (50, 1)
    assert one.context["page"].paginator.count == 51
    counts = one.context["counts"]
    assert (counts["total"], counts["submitted"], counts["pending"], counts["not_open"]) == (
        51,
        17,
        34,
        0,
    )
    submitted = client.get(url("team-board") + "?status=submitted")
    assert len(submitted.context["rows"]) == 17
    assert submitted.context["counts"] == counts


def _board_queries(size: int) -> int:
    lead = make_employee()
    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION, start=START)
    people = enrol(cycle, *[make_employee(manager=lead) for _ in range(size)])
    for index, part in enumerate(people):
        make_checkins(part, first=START, count=3, status="submitted", confidence=index % 5 + 1)
        make_checkin(part, period_start=month_start(0), period_end=month_end(month_start(0)))
        goal = make_goal(part.employee, cycle=cycle, status="approved")
        make_deviation(goal, participation=part)
    return count_queries(client_for(lead), url("team-board"))


def test_the_team_board_query_count_does_not_grow_with_the_team(db):
    """3 or 30 reports: the same number of queries."""
    assert _board_queries(3) == _board_queries(30)


# --- checkin-participation ----------------------------------------------------------------------


def test_hr_sees_participation_per_department(org, cycle, participation, current):
    """Per department: participants and the shares of the period and the cycle."""
    CheckIn.objects.filter(pk=current.pk).update(status="reviewed")
    make_checkin(
        participation,
        period_start=month_start(1),
        period_end=month_end(month_start(1)),
        status="missed",
    )
    peer = Participation.objects.get(cycle=cycle, employee=org["peer"])
    make_checkin(peer, period_start=month_start(0), period_end=month_end(month_start(0)))
    response = login_as(org, "hr").get(url("checkin-participation"))
    assert response.status_code == 200
    rows = {r.name: r for r in response.context["rows"]}
    engineering = rows["Engineering"]
    assert engineering.participants == 3
    assert (engineering.period.total, engineering.period.submitted_percent) == (2, 50)
    assert engineering.period.reviewed_percent == 50
    assert (engineering.cycle.total, engineering.cycle.missed_percent) == (3, 33)
    assert rows["Sales"].period.submitted_percent is None
    html = response.content.decode()
    assert 'class="num" data-share="submitted">50 %' in html
    assert response.context["total"].participants == 4


def test_hr_chooses_an_earlier_period_of_participation(org, cycle, participation, current):
    """Early in a period its shares are empty: HR picks last month from the chooser and
    sees that month's shares under its dates; a period not of the cycle shows this one."""
    last_start = month_start(1)
    make_checkin(
        participation, period_start=last_start, period_end=month_end(last_start), status="reviewed"
    )
    client = login_as(org, "hr")
    page = client.get(url("checkin-participation")).content.decode()
    assert 'data-testid="period-select"' in page
    assert f'value="{last_start:%Y-%m-%d}"' in page
    response = client.get(url("checkin-participation"), {"period": f"{last_start:%Y-%m-%d}"})
    assert response.status_code == 200
    assert response.context["period"][0] == last_start
    engineering = {r.name: r for r in response.context["rows"]}["Engineering"]
    assert (engineering.period.total, engineering.period.reviewed_percent) == (1, 100)
    assert format_date_range(last_start, month_end(last_start)) in response.content.decode()
    response = client.get(url("checkin-participation"), {"period": "1999-01-01"})
    assert response.status_code == 200
    assert response.context["period"] == response.context["current"]


@pytest.mark.parametrize("role", ["manager", "employee"])
def test_participation_is_hrs(org, cycle, role):
    """Managers and employees do not find it."""
    assert login_as(org, role).get(url("checkin-participation")).status_code == 404


# --- checkin-settings and questions ---------------------------------------------------------------


def test_hr_edits_the_settings(org, cycle):
    """The settings page shows the defaults, saves new values and redirects."""
    client = login_as(org, "hr")
    response = client.get(url("checkin-settings", cycle.pk))
    assert response.status_code == 200
    assert 'value="3"' in response.content.decode()
    assert 'name="deviation_grace_days" value="14"' in response.content.decode()
    response = client.post(
        url("checkin-settings", cycle.pk),
        {
            "grace_days": "5",
            "reminder_days_before": "1",
            "deviation_margin": "12.5",
            "deviation_grace_days": "7",
        },
    )
    assert response.status_code == 302
    settings = CheckinSettings.objects.get(cycle=cycle)
    assert (settings.grace_days, settings.deviation_margin) == (5, Decimal("12.5"))
    assert settings.deviation_grace_days == 7


def test_bad_settings_come_back_with_errors_and_values(org, cycle):
    """A negative grace period or a margin over 100: 400 with the errors at the fields."""
    response = login_as(org, "hr").post(
        url("checkin-settings", cycle.pk),
        {
            "grace_days": "-1",
            "reminder_days_before": "2",
            "deviation_margin": "150",
            "deviation_grace_days": "1000",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "grace_days")
    assert field_error(html, "deviation_margin")
    assert field_error(html, "deviation_grace_days")
    assert 'value="150"' in html
    assert not CheckinSettings.objects.exists()


def test_hr_adds_moves_and_deactivates_questions(org, cycle):
    """Each question action redirects back to the list."""
    client = login_as(org, "hr")
    response = client.post(url("checkin-question-create", cycle.pk), {"text": "First?"})
    assert response.status_code == 302
    client.post(url("checkin-question-create", cycle.pk), {"text": "Second?"})
    second = CheckinQuestion.objects.get(text="Second?")
    assert (
        client.post(url("checkin-question-move", second.pk), {"direction": "up"}).status_code == 302
    )
    assert list(CheckinQuestion.objects.values_list("text", flat=True)) == ["Second?", "First?"]
    assert client.post(url("checkin-question-toggle", second.pk)).status_code == 302
    second.refresh_from_db()
    assert not second.is_active
    html = client.get(url("checkin-settings", cycle.pk)).content.decode()
    assert "Not asked" in html and "Ask again" in html


def test_an_empty_question_comes_back_with_the_error(org, cycle):
    """400 with the error under the question box."""
    response = login_as(org, "hr").post(url("checkin-question-create", cycle.pk), {"text": ""})
    assert response.status_code == 400
    assert field_error(response.content.decode(), "text") == "This field is required."


@pytest.mark.parametrize("role", ["manager", "employee"])
def test_settings_and_questions_are_hrs(org, cycle, role):
    """Everyone else gets 404 on the settings page and the question actions."""
    question = make_question(cycle)
    client = login_as(org, role)
    assert client.get(url("checkin-settings", cycle.pk)).status_code == 404
    assert client.post(url("checkin-question-create", cycle.pk), {"text": "Q"}).status_code == 404
    assert client.post(url("checkin-question-move", question.pk)).status_code == 404
    assert client.post(url("checkin-question-toggle", question.pk)).status_code == 404


# --- goal-progress ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["employee", "manager", "director", "hr"])
def test_whoever_sees_the_goal_sees_its_progress(org, goal, role):
    """The series as a table and a chart against the expected line; the form only for
    the owner and their reviewer."""
    make_progress(goal, 2, by=org["employee"], recorded_on=START + dt.timedelta(days=20))
    make_progress(goal, 5, by=org["employee"], recorded_on=TODAY())
    response = login_as(org, role).get(url("goal-progress", goal.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="progress-chart"' in html
    assert 'data-line="expected"' in html and 'data-line="actual"' in html
    assert len(response.context["progress"].points) == 2
    assert ('data-testid="progress-form"' in html) is (role in ["employee", "manager"])


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "actual", "shown"),
    [
        (Direction.LOWER, None, "5", "10", "50 %"),  # was 200 %: direction ignored
        (Direction.LOWER, "40", "20", "30", "50 %"),
        (Direction.HIGHER, None, "12", "3", "25 %"),
        (Direction.TARGET, None, "50", "55", "90 %"),
    ],
)
def test_the_progress_page_says_the_same_achievement_as_the_deviations(
    org, cycle, direction, baseline, target, actual, shown
):
    """The goal progress page computes achievement with goals.rules, by the indicator's
    direction: lower-is-better with target 5 and actual 10 is 50 %, as the deviation and
    the tree say."""
    indicator = Indicator.objects.create(
        name="Defects", direction=direction, scale=RatingScale.objects.create(name="Five")
    )
    goal = make_goal(
        org["employee"],
        cycle=cycle,
        status="approved",
        weight=100,
        baseline=Decimal(baseline) if baseline else None,
        target=Decimal(target),
        indicator=indicator,
    )
    make_progress(goal, Decimal(actual), by=org["employee"], recorded_on=TODAY())
    response = login_as(org, "employee").get(url("goal-progress", goal.pk))
    [point] = response.context["progress"].points
    assert f"{point.achieved_percent} %" == shown
    assert f'<td class="num">{shown}</td>' in response.content.decode()


def test_a_goal_with_nothing_reported_shows_no_update_yet(org, cycle):
    """No value yet: the latest actual reads "No update yet", not a number or 0 %."""
    goal = make_goal(
        org["employee"], cycle=cycle, status="approved", weight=100, target=Decimal("10")
    )
    html = login_as(org, "employee").get(url("goal-progress", goal.pk)).content.decode()
    stat = html.split('data-testid="current-value">', 1)[1].split("</div>", 1)[0]
    assert 'data-testid="no-update"' in stat and "No update yet" in stat


@pytest.mark.parametrize("role", ["peer", "manager2"])
def test_those_who_cannot_see_the_goal_do_not_find_its_progress(org, goal, role):
    """404 for a peer and another manager."""
    assert login_as(org, role).get(url("goal-progress", goal.pk)).status_code == 404


def test_the_owner_records_progress_from_the_page(org, goal):
    """A valid update is recorded and the goal's current value follows."""
    response = login_as(org, "employee").post(
        url("goal-progress", goal.pk), {"value": "7", "recorded_on": "", "note": "Signed"}
    )
    assert response.status_code == 302
    assert ProgressUpdate.objects.get().value == Decimal("7")
    goal.refresh_from_db()
    assert goal.current_value == Decimal("7")


def test_bad_progress_comes_back_with_the_error_and_the_typed_value(org, goal):
    """Text in the value or a future date: 400, errors at the fields, values kept."""
    client = login_as(org, "employee")
    response = client.post(url("goal-progress", goal.pk), {"value": "seven", "note": "Keep me"})
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "value") == "Enter a number."
    assert 'value="seven"' in html and "Keep me" in html
    tomorrow = (TODAY() + dt.timedelta(days=1)).isoformat()
    response = client.post(url("goal-progress", goal.pk), {"value": "3", "recorded_on": tomorrow})
    assert response.status_code == 400
    assert "future" in field_error(response.content.decode(), "recorded_on")
    assert not ProgressUpdate.objects.exists()


@pytest.mark.parametrize("role", ["director", "hr"])
def test_readers_who_may_not_record_get_404_on_post(org, goal, role):
    """The skip-level manager and HR may read the progress but not add to it."""
    response = login_as(org, role).post(url("goal-progress", goal.pk), {"value": "1"})
    assert response.status_code == 404
    assert not ProgressUpdate.objects.exists()


# --- home to-dos ---------------------------------------------------------------------------------


def test_the_employee_is_asked_to_fill_in_the_checkin(org, current, participation):
    """The home page lists the open check-in with its due date, and missed ones to catch up."""
    make_checkin(
        participation,
        period_start=month_start(1),
        period_end=month_end(month_start(1)),
        status="missed",
    )
    html = login_as(org, "employee").get(reverse("my-home")).content.decode()
    assert "Fill in your check-in for" in html
    assert url("checkin-edit", current.pk) in html
    assert "1 missed check-in can still be submitted" in html


def test_the_reviewer_is_asked_to_review_submitted_checkins(org, submitted):
    """Submitted check-ins of the team appear as one to-do, linked to the board."""
    html = login_as(org, "manager").get(reverse("team-home")).content.decode()
    assert "1 check-in of your team awaits your review" in html
    assert (
        f"{url('team-board')}?cycle={submitted.participation.cycle_id}&amp;status=submitted" in html
    )
