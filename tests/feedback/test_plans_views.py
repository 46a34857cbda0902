"""Improvement-plan pages per role: who reads which page (404 out of scope, 404 for a
wrong role's action), the forms' bad input (errors at the field, 4xx, nothing saved),
conflicts (409, nothing overwritten), and privacy: the manager's private interview notes
never reach any page, notification or email of the employee's plan."""

import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from feedback.models import ImprovementPlan, NoteRole, PlanStatus, PreparationNote
from perfcycle.models import Notification
from perfcycle.services import deliver_notification_email
from tests.feedback.factories import released_org
from tests.feedback.plan_factories import active, held_interview, record, required_plan, written

pytestmark = pytest.mark.django_db
PRIVATE = "PRIVATE-MANAGER-NOTE-7f3a: considering a move to another team"


def _plan_post(plan, **changes):
    """The plan form as the page posts it: the saved content with one action and one
    check-point row, then ``changes``."""
    today = timezone.localdate()
    data = {
        "version": plan.version,
        "gap": plan.gap or "The gap.",
        "causes": [c.pk for c in plan.causes.all()],
        "success_criteria": "Two releases on time.",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=60)).isoformat(),
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-description": "Plan each release",
        "actions-0-owner": "employee",
        "actions-0-due_date": (today + dt.timedelta(days=20)).isoformat(),
        "checkpoints-TOTAL_FORMS": "1",
        "checkpoints-INITIAL_FORMS": "0",
        "checkpoints-0-due_date": (today + dt.timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return data


@pytest.fixture
def org():
    return released_org()


@pytest.fixture
def plan(org):
    return required_plan(org)


# --- Reading -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("employee", 200),
        ("manager", 200),
        ("skip", 200),
        ("hr", 200),
        ("colleague", 404),
        ("outsider", 404),
    ],
)
def test_who_reads_the_plan_page(client, org, plan, who, status):
    client.force_login(getattr(org, who).user)
    assert client.get(plan.get_absolute_url()).status_code == status


def test_the_chain_above_the_skip_level_reads_the_plan_a_manager_elsewhere_does_not(
    client, org, plan
):
    """The read rule's CHAIN (above the reviewer's manager, no other relation) reads the
    plan page; the outsider's manager, outside the chain, gets a 404."""
    from perfcycle.models import Employee
    from tests.factories import make_employee

    vp = make_employee(department=org.skip.department, job_title="VP")
    Employee.objects.filter(pk=org.skip.pk).update(manager=vp)
    elsewhere = make_employee(department=org.outsider.department, job_title="Head of sales")
    Employee.objects.filter(pk=org.outsider.pk).update(manager=elsewhere)
    client.force_login(vp.user)
    page = client.get(plan.get_absolute_url())
    assert page.status_code == 200 and 'data-testid="plan-form"' not in page.content.decode()
    client.force_login(elsewhere.user)
    assert client.get(plan.get_absolute_url()).status_code == 404


def test_the_employee_and_the_manager_get_the_form_readers_do_not(client, org, plan):
    for who, form in (("employee", True), ("manager", True), ("skip", False), ("hr", False)):
        client.force_login(getattr(org, who).user)
        page = client.get(plan.get_absolute_url()).content.decode()
        assert ('data-testid="plan-form"' in page) is form, who


@pytest.mark.parametrize(
    ("who", "mine", "team", "hr"),
    [
        ("employee", 200, 404, 404),
        ("manager", 200, 200, 404),
        ("hr", 200, 404, 200),
        ("outsider", 200, 404, 404),
    ],
)
def test_who_reaches_the_lists(client, org, plan, who, mine, team, hr):
    client.force_login(getattr(org, who).user)
    assert client.get(reverse("feedback:plan-mine")).status_code == mine
    assert client.get(reverse("feedback:plan-team")).status_code == team
    assert client.get(reverse("feedback:plan-hr")).status_code == hr


def test_my_plan_shows_the_running_plan_and_an_empty_state(client, org, plan):
    client.force_login(org.employee.user)
    page = client.get(reverse("feedback:plan-mine")).content.decode()
    assert 'data-testid="current-plan"' in page and plan.get_absolute_url() in page
    client.force_login(org.colleague.user)
    page = client.get(reverse("feedback:plan-mine")).content.decode()
    assert 'data-testid="no-plan"' in page


def test_plans_i_support_lists_the_plan_and_offers_a_plan_by_choice(client, org, plan):
    client.force_login(org.manager.user)
    page = client.get(reverse("feedback:plan-team")).content.decode()
    assert f'data-plan="{plan.pk}"' in page
    # The colleague's released appraisal has no plan: one can be started by choice.
    assert 'data-testid="startable"' in page and org.colleague.full_name in page


def test_hr_sees_counts_by_status_and_filters(client, org, plan):
    active(plan, org)
    client.force_login(org.hr.user)
    page = client.get(reverse("feedback:plan-hr")).content.decode()
    assert 'data-count="active">1<' in page and 'data-count="total">1<' in page
    page = client.get(reverse("feedback:plan-hr"), {"status": "draft"}).content.decode()
    assert 'data-testid="no-plans"' in page
    assert client.get(reverse("feedback:plan-hr"), {"cycle": 999999}).status_code == 404
    # Bad filter values are ignored, never a 500.
    assert (
        client.get(reverse("feedback:plan-hr"), {"status": "bogus", "page": "x"}).status_code == 200
    )


@override_settings(DEBUG=False)
def test_the_lists_tables_rendered_once_show_a_change_at_once(client, org, plan):
    """With the tables kept per what their rows show (DEBUG off), HR's list and Plans I
    support read the same as rendering them, and a plan that moves on shows its new
    status and manager column at once; the plan page's forms too."""
    urls = ((org.hr, reverse("feedback:plan-hr")), (org.manager, reverse("feedback:plan-team")))
    for person, url in urls:
        client.force_login(person.user)
        page = client.get(url).content.decode()
        assert f'data-plan="{plan.pk}"' in page and 'data-plan-status="draft"' in page
    plan = active(plan, org)
    for person, url in urls:
        client.force_login(person.user)
        page = client.get(url).content.decode()
        assert 'data-plan-status="active"' in page and 'data-plan-status="draft"' not in page
    client.force_login(org.manager.user)
    detail = client.get(reverse("feedback:plan-detail", args=[plan.pk])).content.decode()
    assert 'data-testid="close-form"' in detail
    assert f'name="version" value="{plan.version}"' in detail


# --- Writing ---------------------------------------------------------------------------


def test_the_employee_saves_the_draft(client, org, plan):
    client.force_login(org.employee.user)
    response = client.post(reverse("feedback:plan-save", args=[plan.pk]), _plan_post(plan))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.success_criteria == "Two releases on time."
    assert plan.actions.count() == 1 and plan.checkpoints.count() == 1


def test_bad_input_comes_back_at_the_fields_and_nothing_is_saved(client, org, plan):
    client.force_login(org.employee.user)
    data = _plan_post(
        plan,
        ends_on="2000-01-01",
        **{"actions-0-due_date": "not a date", "actions-0-owner": "boss"},
    )
    response = client.post(reverse("feedback:plan-save", args=[plan.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="form-errors"' in page
    assert "Enter a valid date." in page
    assert "Select a valid choice." in page
    # What was typed is still there.
    assert "Plan each release" in page
    plan.refresh_from_db()
    assert plan.actions.count() == 0


def test_an_end_before_the_start_is_refused_at_the_field(client, org, plan):
    client.force_login(org.employee.user)
    response = client.post(
        reverse("feedback:plan-save", args=[plan.pk]), _plan_post(plan, ends_on="2000-01-01")
    )
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_a_stale_form_is_a_conflict_and_overwrites_nothing(client, org, plan):
    client.force_login(org.employee.user)
    stale = _plan_post(plan, success_criteria="Mine.")
    written(plan, org, success_criteria="The manager's.")
    response = client.post(reverse("feedback:plan-save", args=[plan.pk]), stale)
    assert response.status_code == 409
    assert "Someone else changed" in response.content.decode()
    plan.refresh_from_db()
    assert plan.success_criteria == "The manager's."


@pytest.mark.parametrize("who", ["skip", "hr", "colleague", "outsider"])
def test_a_wrong_role_cannot_write_or_sign(client, org, plan, who):
    client.force_login(getattr(org, who).user)
    assert (
        client.post(reverse("feedback:plan-save", args=[plan.pk]), _plan_post(plan)).status_code
        == 404
    )
    sign = client.post(reverse("feedback:plan-sign", args=[plan.pk]), {"version": plan.version})
    assert sign.status_code == 404


def test_signing_an_incomplete_plan_says_what_is_missing(client, org, plan):
    client.force_login(org.employee.user)
    response = client.post(reverse("feedback:plan-sign", args=[plan.pk]), {"version": plan.version})
    assert response.status_code == 400
    assert "Add at least one action." in response.content.decode()


def test_both_sign_through_the_pages(client, org, plan):
    plan = written(plan, org)
    for who in ("employee", "manager"):
        client.force_login(getattr(org, who).user)
        response = client.post(
            reverse("feedback:plan-sign", args=[plan.pk]), {"version": plan.version}
        )
        assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AGREED


def test_the_employee_cannot_start_close_or_record(client, org, plan):
    plan = active(plan, org)
    point = plan.checkpoints.first()
    client.force_login(org.employee.user)
    assert client.post(reverse("feedback:plan-start-now", args=[plan.pk])).status_code == 404
    close = {"version": plan.version, "outcome": "completed", "note": "Done."}
    assert client.post(reverse("feedback:plan-close", args=[plan.pk]), close).status_code == 404
    record_url = reverse("feedback:plan-checkpoint-record", args=[point.pk])
    assert client.post(record_url, {}).status_code == 404


def test_the_outcome_form_refuses_bad_input_at_the_fields(client, org, plan):
    plan = active(plan, org)
    client.force_login(org.manager.user)
    url = reverse("feedback:plan-close", args=[plan.pk])
    response = client.post(url, {"version": plan.version, "outcome": "extended", "note": "x"})
    assert response.status_code == 400
    assert "Give the new end date." in response.content.decode()
    response = client.post(url, {"version": plan.version, "outcome": "nonsense"})
    assert response.status_code == 400
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE


def test_the_manager_records_a_checkpoint_through_the_page(client, org, plan):
    plan = active(plan, org)
    point = plan.checkpoints.order_by("due_date").first()
    point.due_date = timezone.localdate()
    point.save(update_fields=["due_date"])
    client.force_login(org.manager.user)
    url = reverse("feedback:plan-checkpoint-record", args=[point.pk])
    prefix = f"cp{point.pk}"
    response = client.post(
        url, {f"{prefix}-version": point.version, f"{prefix}-status": "on_track"}
    )
    assert response.status_code == 400
    response = client.post(
        url,
        {
            f"{prefix}-version": point.version,
            f"{prefix}-status": "on_track",
            f"{prefix}-note": "Good progress.",
        },
    )
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.status == "on_track"


def test_the_manager_starts_a_plan_by_choice_through_the_page(client, org):
    from tests.appraisal.factories import appraisal_of

    appraisal = appraisal_of(org, org.colleague)
    client.force_login(org.employee.user)
    assert client.post(reverse("feedback:plan-start", args=[appraisal.pk])).status_code == 404
    client.force_login(org.manager.user)
    response = client.post(reverse("feedback:plan-start", args=[appraisal.pk]))
    assert response.status_code == 302
    again = client.post(reverse("feedback:plan-start", args=[appraisal.pk]), follow=True)
    assert "already running" in again.content.decode()


# --- Privacy -----------------------------------------------------------------------------


def test_the_managers_private_notes_never_reach_the_employee(client, org):
    """The manager's private preparation notes are in none of the plan pages the employee
    reaches, nor in any notification (the email outbox) they receive, through the plan's
    whole life."""
    interview = held_interview(org, org.employee)
    PreparationNote.objects.create(
        interview=interview, role=NoteRole.MANAGER, author=org.manager, text=PRIVATE
    )
    record(interview)
    plan = active(ImprovementPlan.objects.get(interview=interview), org)
    client.force_login(org.employee.user)
    urls = [
        reverse("feedback:plan-mine"),
        plan.get_absolute_url(),
        reverse("notification-list"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert PRIVATE not in response.content.decode(), url
    mine = Notification.objects.filter(recipient=org.employee.user)
    assert mine.exists()
    for note in mine:
        assert PRIVATE not in note.title and PRIVATE not in note.body
    # The emails the outbox sends from them.
    mail.outbox.clear()
    for note in mine.filter(send_email=True):
        deliver_notification_email(notification_id=note.pk)
    assert mail.outbox, "the employee is emailed about the plan"
    for message in mail.outbox:
        assert PRIVATE not in message.subject and PRIVATE not in message.body
        for alternative, _type in getattr(message, "alternatives", []):
            assert PRIVATE not in alternative


def test_hr_reads_the_plans_history_in_the_audit_log(client, org, plan):
    plan = active(plan, org)
    client.force_login(org.hr.user)
    page = client.get(reverse("audit-list")).content.decode()
    assert "started" in page and "signed last" in page
    assert "improvement plan (" in page
    assert "%(" not in page


def test_hr_home_shows_the_plans_of_the_cycle(client, org, plan):
    active(plan, org)
    client.force_login(org.hr.user)
    page = client.get(reverse("hr-home")).content.decode()
    assert "Improvement plans signed by both" in page
    assert f"{reverse('feedback:plan-hr')}?cycle={org.cycle.pk}" in page


def test_a_participant_with_a_plan_cannot_leave_the_cycle(org, plan):
    from perfcycle.stages import registry

    reasons = registry.removal_blockers(plan.participation)
    assert "has an improvement plan" in reasons


def test_the_home_pages_ask_both_to_sign_then_the_manager_to_record(client, org, plan):
    """To-dos: a draft waits for each side's signature; a running plan's check-point due
    within a week waits for the manager."""
    client.force_login(org.employee.user)
    assert "Write and sign your improvement plan" in client.get(reverse("my-home")).content.decode()
    client.force_login(org.manager.user)
    page = client.get(reverse("team-home")).content.decode()
    assert f"Write and sign the improvement plan of {org.employee.full_name}" in page
    plan = active(plan, org)
    point = plan.checkpoints.order_by("due_date").first()
    point.due_date = timezone.localdate() + dt.timedelta(days=2)
    point.save(update_fields=["due_date"])
    page = client.get(reverse("team-home")).content.decode()
    assert "Record 1 check-point of" in page
    client.force_login(org.employee.user)
    assert "improvement plan" not in client.get(reverse("my-home")).content.decode().lower()
