"""HR's feedback configuration: the cycle's feedback rules (each bad input a 400 at its
field, a stale form a 409, saved rules audited), the root-cause list (add, rename,
retire, offer again; a cause in use is never deleted), the root-cause report (groups of
fewer than 3 interviewed people never shown). Nobody but HR finds these pages (404)."""

import datetime as dt

import pytest
from django.urls import reverse

from feedback.models import FeedbackSettings, RootCause
from feedback.services.settings import settings_for
from perfcycle.models import AuditEvent, Cycle
from tests.factories import version_of
from tests.feedback.carry_factories import ensure_root_causes, interview_for, interviewed_people
from tests.feedback.factories import released_org

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _root_causes(db):
    ensure_root_causes()


@pytest.fixture
def org():
    return released_org()


def as_user(client, person):
    client.force_login(person.user)
    return client


def rules_url(cycle):
    return reverse("feedback:carry-rules", args=[cycle.pk])


def valid_rules(settings, **changes):
    # The cycle's appraisal phase ends 2026-11-27, feedback 2026-12-12.
    data = {
        "version": version_of(settings),
        "interviews_due": "2026-12-05",
        "response_days": "10",
        "dispute_days": "21",
        "qualified_level": "2",
        "plan_required": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- Feedback rules --------------------------------------------------------------------------


def test_hr_saves_the_rules_stored_and_audited(client, org):
    settings = settings_for(org.cycle)
    as_user(client, org.hr)
    page = client.get(rules_url(org.cycle))
    assert page.status_code == 200
    html = page.content.decode()
    assert ">3 · Meets</option>" in html
    assert "Interviews are due by" in html
    response = client.post(rules_url(org.cycle), valid_rules(settings))
    assert response.status_code == 302
    row = FeedbackSettings.objects.get(pk=settings.pk)
    assert row.interviews_due == dt.date(2026, 12, 5)
    assert (row.response_days, row.dispute_days, row.qualified_level) == (10, 21, 2)
    assert row.plan_required is False
    assert row.version == settings.version + 1
    event = AuditEvent.objects.get(verb="feedback.settings_changed")
    assert event.before["response_days"] == 7 and event.after["response_days"] == 10
    assert "Feedback rules saved." in client.get(rules_url(org.cycle)).content.decode()
    log = client.get(reverse("audit-list")).content.decode()
    assert "changed the feedback rules" in log
    # The same rules again change nothing.
    client.post(rules_url(org.cycle), valid_rules(row))
    assert AuditEvent.objects.filter(verb="feedback.settings_changed").count() == 1


BAD = [
    ({"response_days": "0"}, "response_days", "greater than or equal to 1"),
    ({"response_days": "many"}, "response_days", "Enter a whole number."),
    ({"dispute_days": "91"}, "dispute_days", "less than or equal to 90"),
    ({"dispute_days": ""}, "dispute_days", "This field is required."),
    ({"qualified_level": "9"}, "qualified_level", "valid choice"),
    ({"interviews_due": "2026-11-01"}, "interviews_due", "Choose a day in the feedback phase"),
    ({"interviews_due": "2027-02-01"}, "interviews_due", "Choose a day in the feedback phase"),
    ({"interviews_due": "31/31/2026"}, "interviews_due", "Enter a valid date."),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD)
def test_bad_rules_are_a_400_at_the_field_and_nothing_saved(client, org, changes, field, message):
    settings = settings_for(org.cycle)
    response = as_user(client, org.hr).post(rules_url(org.cycle), valid_rules(settings, **changes))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert 'data-testid="form-errors"' in response.content.decode()
    assert version_of(settings) == settings.version


def test_a_stale_rules_form_is_a_409_and_overwrites_nothing(client, org):
    settings = settings_for(org.cycle)
    as_user(client, org.hr)
    client.post(rules_url(org.cycle), valid_rules(settings, response_days="9"))
    stale = client.post(
        rules_url(org.cycle), valid_rules(settings, response_days="5", version=settings.version)
    )
    assert stale.status_code == 409
    assert FeedbackSettings.objects.get(pk=settings.pk).response_days == 9


def test_the_rules_of_a_cycle_that_does_not_exist_are_not_found(client, org):
    response = as_user(client, org.hr).get(reverse("feedback:carry-rules", args=[999_999]))
    assert response.status_code == 404


def test_a_closed_cycle_keeps_its_rules(client, org):
    settings = settings_for(org.cycle)
    Cycle.objects.filter(pk=org.cycle.pk).update(phase=Cycle.Phase.CLOSED)
    response = as_user(client, org.hr).post(rules_url(org.cycle), valid_rules(settings))
    assert response.status_code == 400
    assert "The cycle is closed" in response.content.decode()


def test_the_cycle_page_links_the_rules_for_hr_only(client, org):
    url = rules_url(org.cycle)
    assert url in as_user(client, org.hr).get(org.cycle.get_absolute_url()).content.decode()
    client.logout()
    page = as_user(client, org.manager).get(org.cycle.get_absolute_url())
    assert url not in page.content.decode()


# --- Root-cause list -------------------------------------------------------------------------


def causes_url():
    return reverse("feedback:carry-root-causes")


def test_hr_adds_renames_retires_and_offers_a_cause_again(client, org):
    as_user(client, org.hr)
    page = client.get(causes_url())
    assert page.status_code == 200
    assert page.content.decode().count('data-cause-state="offered"') == 7
    added = client.post(causes_url(), {"name": "  Unclear   priorities ", "description": ""})
    assert added.status_code == 302
    cause = RootCause.objects.get(name="Unclear priorities")
    assert cause.is_active and cause.position > RootCause.objects.get(name="Other").position
    edit = reverse("feedback:carry-root-cause-edit", args=[cause.pk])
    renamed = client.post(edit, {"name": "Shifting priorities", "version": cause.version})
    assert renamed.status_code == 302
    cause.refresh_from_db()
    retire = reverse("feedback:carry-root-cause-retire", args=[cause.pk])
    client.post(retire, {"version": cause.version})
    cause.refresh_from_db()
    assert not cause.is_active
    html = client.get(causes_url()).content.decode()
    assert 'data-cause-state="retired"' in html and "Offer again" in html
    offer = reverse("feedback:carry-root-cause-offer", args=[cause.pk])
    client.post(offer, {"version": cause.version})
    cause.refresh_from_db()
    assert cause.is_active and cause.name == "Shifting priorities"
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="feedback.root_cause")
        .order_by("pk")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "feedback.root_cause_added",
        "feedback.root_cause_changed",
        "feedback.root_cause_retired",
        "feedback.root_cause_offered",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "This field is required."), ("skills", "“Skills” is already on the list (offered).")],
)
def test_a_bad_or_taken_name_is_a_400_at_the_field(client, org, name, message):
    response = as_user(client, org.hr).post(causes_url(), {"name": name})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["name"])
    assert RootCause.objects.count() == 7


def test_renaming_to_a_taken_name_or_from_a_stale_form_is_refused(client, org):
    cause = RootCause.objects.get(name="Workload")
    edit = reverse("feedback:carry-root-cause-edit", args=[cause.pk])
    as_user(client, org.hr)
    taken = client.post(edit, {"name": "MOTIVATION", "version": cause.version})
    assert taken.status_code == 400
    assert "already on the list" in taken.content.decode()
    stale = client.post(edit, {"name": "Too much work", "version": cause.version - 1})
    assert stale.status_code == 409
    assert RootCause.objects.get(pk=cause.pk).name == "Workload"


def test_a_cause_in_use_is_never_removed_an_unused_one_may_be(client, org):
    used = RootCause.objects.get(name="Skills")
    interview_for(org, org.employee, causes=["Skills"])
    as_user(client, org.hr)
    html = client.get(causes_url()).content.decode()
    assert reverse("feedback:carry-root-cause-remove", args=[used.pk]) not in html
    assert "Named in 1 interview" in html
    refused = client.post(
        reverse("feedback:carry-root-cause-remove", args=[used.pk]),
        {"version": used.version},
        follow=True,
    )
    assert "stays on the list: retire it instead" in refused.content.decode()
    assert RootCause.objects.filter(pk=used.pk).exists()
    unused = RootCause.objects.get(name="Other")
    client.post(
        reverse("feedback:carry-root-cause-remove", args=[unused.pk]), {"version": unused.version}
    )
    assert not RootCause.objects.filter(pk=unused.pk).exists()
    assert AuditEvent.objects.get(verb="feedback.root_cause_removed").before["name"] == "Other"


# --- Root-cause report -----------------------------------------------------------------------


def report(client, cycle):
    return client.get(reverse("feedback:carry-root-cause-report"), {"cycle": cycle.pk})


def test_a_department_of_two_is_hidden_one_of_three_shown(client):
    data = interviewed_people(
        departments={
            "Finance": [["Skills"], ["Skills", "Workload"]],
            "Support": [["Workload"], ["Workload", "Process"], []],
        }
    )
    response = report(as_user(client, data["hr"]), data["cycle"])
    assert response.status_code == 200
    result = response.context["report"]
    assert [(g.label, g.people) for g in result.groups] == [("Support", 3)]
    assert result.hidden_people == 2 and result.hidden_departments == 1
    html = response.content.decode()
    assert 'data-group="Support"' in html
    assert "Finance" not in html
    assert 'data-testid="hidden-note"' in html
    # Only what the shown group named, most frequent first; the total leaves Finance out.
    assert [c.name for c in result.causes] == ["Workload", "Process"]
    assert result.total.people == 3
    assert [(c.name, n, share) for c, n, share in result.total_cells] == [
        ("Workload", 2, 67),
        ("Process", 1, 33),
    ]


def test_small_departments_together_show_as_other_departments(client):
    data = interviewed_people(
        departments={
            "Legal": [["Skills"], ["Skills"]],
            "Design": [["Skills", "Resources"]],
            "Support": [["Workload"], ["Workload"], ["Resources"]],
        }
    )
    result = report(as_user(client, data["hr"]), data["cycle"]).context["report"]
    assert [(g.label, g.people) for g in result.groups] == [
        ("Support", 3),
        ("Other departments", 3),
    ]
    assert result.hidden_people == 0
    other = result.groups[1]
    assert other.count(RootCause.objects.get(name="Skills").pk) == 3
    assert [c.name for c in result.causes] == ["Skills", "Resources", "Workload"]


def test_a_cycle_without_enough_interviews_says_so(client, org):
    Cycle.objects.filter(pk=org.cycle.pk).update(phase=Cycle.Phase.FEEDBACK)
    interview_for(org, org.employee, causes=["Skills"])
    response = report(as_user(client, org.hr), org.cycle)
    html = response.content.decode()
    assert 'data-testid="nothing-shown"' in html
    assert "Too few interviews" in html
    assert "Skills</th>" not in html


def test_the_report_without_a_cycle_in_feedback(client):
    from tests.factories import make_employee

    hr = make_employee(hr=True)
    response = as_user(client, hr).get(reverse("feedback:carry-root-cause-report"))
    assert response.status_code == 200
    assert 'data-testid="no-cycle"' in response.content.decode()


# --- Only HR ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["employee", "manager", "skip", "outsider"])
def test_nobody_but_hr_finds_the_hr_pages(client, org, who):
    cause = RootCause.objects.first()
    as_user(client, getattr(org, who))
    for url in (
        rules_url(org.cycle),
        causes_url(),
        reverse("feedback:carry-root-cause-edit", args=[cause.pk]),
        reverse("feedback:carry-root-cause-report"),
    ):
        assert client.get(url).status_code == 404, url
    for name in ("retire", "offer", "remove"):
        url = reverse(f"feedback:carry-root-cause-{name}", args=[cause.pk])
        assert client.post(url, {"version": cause.version}).status_code == 404
    assert client.post(causes_url(), {"name": "Sneaky"}).status_code == 404
    assert client.post(rules_url(org.cycle), {"response_days": "1"}).status_code == 404
    assert RootCause.objects.count() == 7
    assert AuditEvent.objects.filter(verb__startswith="feedback.").count() == 0
