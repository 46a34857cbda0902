"""Evidence pages: each URL's happy path and wrong-role 404 (a peer, another manager and a
skip-level manager see nothing), HR reading, upload errors next to the field, download
headers, list filters and constant query counts."""

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from implementation.models import CheckIn, Evidence, EvidenceAttachment
from implementation.selectors import evidence as selectors
from implementation.services import evidence as services
from perfcycle.models import Cycle
from tests.factories import enrol, version_of
from tests.goals.factories import make_goal
from tests.implementation import evidence_factories as files
from tests.implementation.evidence_factories import make_evidence, open_cycle, upload

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when used: a run may cross midnight
YESTERDAY = TODAY() - dt.timedelta(days=1)
OUTSIDERS = ["peer", "manager2", "director"]  # director: reads, never acts
STRANGERS = ["peer", "manager2"]  # neither read nor act


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def cycle(org):
    return open_cycle("FY now")


@pytest.fixture
def parts(org, cycle):
    people = ["employee", "peer", "manager", "employee2", "intern"]
    return dict(zip(people, enrol(cycle, *(org[p] for p in people)), strict=True))


@pytest.fixture
def evidence(org, parts):
    """The employee's record with one PDF, stored through the service."""
    return services.create_evidence(
        actor=org["employee"].user,
        participation=parts["employee"],
        data={"title": "Shipped billing v2", "occurred_on": YESTERDAY},
        files=[upload("Résumé of the launch.pdf", files.PDF)],
    )


def url(name, *args, **query):
    path = reverse(f"implementation:{name}", args=args)
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return path


def download_url(evidence):
    return url("attachment-download", evidence.pk, evidence.attachments.get().pk)


def form_data(**values):
    return {"title": "Wrote the runbook", "occurred_on": YESTERDAY.isoformat(), **values}


def field_error(html: str, field: str) -> str:
    """The text of the invalid-feedback element that crispy renders under ``field``."""
    found = re.findall(
        rf'id="error_\d+_id_{field}"[^>]*>\s*<strong>(.*?)</strong>', html, flags=re.DOTALL
    )
    return " ".join(m.strip() for m in found)


def count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- evidence-list -----------------------------------------------------------------------------


def test_employee_lists_their_own_evidence_only(org, parts, evidence, login):
    """My evidence: mine, not my peer's; no person column or verify tab."""
    make_evidence(parts["peer"], title="Peer work")
    response = login(org["employee"]).get(url("evidence-list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "My evidence" in html
    assert "Shipped billing v2" in html and "Peer work" not in html
    assert 'data-testid="to-verify-tab"' not in html
    assert response.context["page"].paginator.count == 1


def test_manager_lists_the_evidence_of_people_they_review(org, parts, evidence, login):
    """A manager sees the records of everyone below them (a skip-level report's too),
    not another team's; the to-verify count is only what they verify."""
    make_evidence(parts["peer"], title="Peer work")
    make_evidence(parts["intern"], title="Intern work")  # reviewed by peer
    make_evidence(parts["employee2"], title="Sales work")
    response = login(org["manager"]).get(url("evidence-list"))
    html = response.content.decode()
    assert "Shipped billing v2" in html and "Peer work" in html
    assert "Intern work" in html and "Sales work" not in html
    assert 'data-to-verify="2"' in html


def test_manager_to_verify_filter_and_inline_verify(org, parts, evidence, login):
    """?to_verify=1 lists only unverified records of people they review, each with Verify."""
    make_evidence(parts["peer"], title="Already checked", verified_by=org["manager"])
    make_evidence(parts["manager"], title="My own")
    response = login(org["manager"]).get(url("evidence-list", to_verify=1))
    rows = list(response.context["page"].object_list)
    assert [r.title for r in rows] == ["Shipped billing v2"]
    assert url("evidence-verify", evidence.pk) in response.content.decode()


def test_hr_lists_all_evidence(org, parts, evidence, login):
    """HR reads everyone's records and can filter by person."""
    make_evidence(parts["employee2"], title="Sales work")
    client = login(org["hr"])
    response = client.get(url("evidence-list"))
    assert response.context["page"].paginator.count == 2
    assert "All evidence" in response.content.decode()
    filtered = client.get(url("evidence-list", person=org["employee2"].pk))
    assert [r.title for r in filtered.context["page"].object_list] == ["Sales work"]


def test_list_search_and_filters(org, parts, cycle, login):
    """Search title and description; filter by goal, verified, cycle and dates."""
    goal = make_goal(org["employee"], cycle=cycle, status="approved")
    make_evidence(parts["employee"], title="Alpha", description="latency work", goal=goal)
    make_evidence(
        parts["employee"],
        title="Beta",
        occurred_on=TODAY() - dt.timedelta(days=30),
        verified_by=org["manager"],
    )
    client = login(org["employee"])

    def titles(**query):
        response = client.get(url("evidence-list", **query))
        assert response.status_code == 200
        return sorted(r.title for r in response.context["page"].object_list)

    assert titles(q="LATENCY") == ["Alpha"]
    assert titles(goal=goal.pk) == ["Alpha"]
    assert titles(verified="yes") == ["Beta"]
    assert titles(verified="no") == ["Alpha"]
    assert titles(cycle=cycle.pk) == ["Alpha", "Beta"]
    assert titles(date_to=(TODAY() - dt.timedelta(days=10)).isoformat()) == ["Beta"]
    assert titles(date_from=(TODAY() - dt.timedelta(days=10)).isoformat()) == ["Alpha"]


def test_list_sorts_by_date_both_ways(org, parts, login):
    """Newest first by default; ?sort=date oldest first."""
    make_evidence(parts["employee"], title="Old", occurred_on=TODAY() - dt.timedelta(days=20))
    make_evidence(parts["employee"], title="New", occurred_on=TODAY() - dt.timedelta(days=2))
    client = login(org["employee"])
    newest = client.get(url("evidence-list")).context["page"].object_list
    oldest = client.get(url("evidence-list", sort="date")).context["page"].object_list
    assert [r.title for r in newest] == ["New", "Old"]
    assert [r.title for r in oldest] == ["Old", "New"]
    assert [r.title for r in client.get(url("evidence-list", sort="bogus")).context["page"]] == [
        "New",
        "Old",
    ]


def test_bad_dates_are_400_with_the_error_next_to_the_field(org, parts, evidence, login):
    """An unparsable date and a range backwards are errors on their fields."""
    client = login(org["employee"])
    response = client.get(url("evidence-list", date_from="31-02-2026"))
    assert response.status_code == 400
    assert "Enter a valid date." in field_error(response.content.decode(), "date_from")
    backwards = client.get(
        url("evidence-list", date_from=TODAY().isoformat(), date_to=YESTERDAY.isoformat())
    )
    assert backwards.status_code == 400
    assert "must be on or after" in field_error(backwards.content.decode(), "date_to")


def test_list_is_paginated_with_a_count(org, parts, login):
    """50 rows a page, the total shown."""
    Evidence.objects.bulk_create(
        Evidence(
            participation=parts["employee"],
            title=f"Item {i}",
            occurred_on=YESTERDAY,
            created_by=org["employee"].user,
        )
        for i in range(55)
    )
    response = login(org["employee"]).get(url("evidence-list"))
    assert len(response.context["page"].object_list) == 50
    assert 'data-testid="evidence-count">(55)' in response.content.decode()


def test_empty_list_says_what_to_do(org, parts, login):
    """No evidence yet: the page invites the first record."""
    html = login(org["employee"]).get(url("evidence-list")).content.decode()
    assert "No evidence yet" in html
    assert url("evidence-create") in html


@pytest.mark.parametrize("role", ["employee", "manager", "hr"])
def test_list_query_count_does_not_grow_with_records(org, parts, cycle, login, role):
    """3 records or 30, with goals, indicators and files: the same number of queries."""
    client = login(org[role])
    goal = make_goal(org["employee"], cycle=cycle, status="approved")

    def add(n):
        for _ in range(n):
            record = make_evidence(parts["employee"], goal=goal)
            EvidenceAttachment.objects.create(
                evidence=record,
                file="evidence/x",
                original_name="a.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                uploaded_by=org["employee"].user,
            )

    add(3)
    few = count_queries(client, url("evidence-list"))
    add(27)
    assert count_queries(client, url("evidence-list")) == few


# --- evidence-create ---------------------------------------------------------------------------


def test_employee_records_evidence_with_several_files(org, parts, login, media):
    """The form takes several files under "attachments" and opens the new record."""
    client = login(org["employee"])
    page = client.get(url("evidence-create"))
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<input type="file" name="attachments"[^>]*multiple', html)
    assert 'enctype="multipart/form-data"' in html
    assert 'name="participation"' not in html  # one participation: nothing to choose
    response = client.post(
        url("evidence-create"),
        form_data(attachments=[upload("a.pdf", files.PDF), upload("b.csv", files.CSV)]),
    )
    evidence = Evidence.objects.get()
    assert response.status_code == 302 and response.url == evidence.get_absolute_url()
    assert sorted(a.original_name for a in evidence.attachments.all()) == ["a.pdf", "b.csv"]


def test_a_disguised_upload_is_a_400_next_to_the_field_and_nothing_is_saved(
    org, parts, login, media
):
    """HTML renamed .pdf: the message is under the file field, the text is kept."""
    response = login(org["employee"]).post(
        url("evidence-create"),
        form_data(title="Keep me", attachments=[upload("invoice.pdf", files.HTML)]),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "“invoice.pdf” is not a file type that can be attached" in field_error(
        html, "attachments"
    )
    assert 'value="Keep me"' in html
    assert 'data-testid="reselect-files"' in html
    assert not Evidence.objects.exists()
    assert not any(p.is_file() for p in media.rglob("*"))


def test_an_oversized_upload_is_refused_without_keeping_it(org, parts, login, settings):
    """Over PERFCYCLE_MAX_ATTACHMENT_MB: a 400 saying the limit."""
    settings.PERFCYCLE_MAX_ATTACHMENT_MB = 1
    big = files.PDF + b"0" * (1024 * 1024 + 10)
    response = login(org["employee"]).post(
        url("evidence-create"), form_data(attachments=[upload("big.pdf", big)])
    )
    assert response.status_code == 400
    assert "the limit is 1.0\xa0MB per file" in field_error(
        response.content.decode(), "attachments"
    )
    assert not Evidence.objects.exists()


def test_an_empty_upload_is_refused_by_name(org, parts, login):
    """An empty file is named in the error."""
    response = login(org["employee"]).post(
        url("evidence-create"), form_data(attachments=[upload("blank.txt", b"")])
    )
    assert response.status_code == 400
    assert "“blank.txt” is empty." in field_error(response.content.decode(), "attachments")


def test_future_date_is_a_400_next_to_the_field(org, parts, login):
    """The service's date rule lands under the date field."""
    response = login(org["employee"]).post(
        url("evidence-create"),
        form_data(occurred_on=(TODAY() + dt.timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 400
    assert "cannot be in the future" in field_error(response.content.decode(), "occurred_on")


def test_manager_chooses_among_the_people_they_review(org, parts, login):
    """The person choice holds the manager and the people they review, nobody else."""
    client = login(org["manager"])
    form = client.get(url("evidence-create")).context["form"]
    offered = {value for value, _label in form.fields["participation"].choices if value}
    assert offered == {parts["manager"].pk, parts["employee"].pk, parts["peer"].pk}
    response = client.post(url("evidence-create"), form_data(participation=parts["employee"].pk))
    assert response.status_code == 302
    assert Evidence.objects.get().participation == parts["employee"]
    refused = client.post(url("evidence-create"), form_data(participation=parts["intern"].pk))
    assert refused.status_code == 400
    assert Evidence.objects.count() == 1


@pytest.fixture
def next_cycle(org, parts):
    """Next year's cycle, in planning and starting in five months: its people are in two
    open cycles."""
    from tests.factories import make_cycle

    cycle = make_cycle("FY next", start=TODAY() + dt.timedelta(days=150))
    enrol(cycle, org["employee"], org["manager"], org["peer"])
    return cycle


def _select(html: str, name: str) -> str:
    match = re.search(rf'<select name="{name}".*?</select>', html, re.DOTALL)
    return match.group(0) if match else ""


def test_an_employee_in_two_cycles_chooses_a_cycle_not_a_person(
    org, parts, cycle, next_cycle, login
):
    """No reports: no person field; the cycle is chosen (the running one by default) and
    the goals are grouped under their cycle's name."""
    make_goal(org["employee"], cycle=cycle, status="approved", title="Cut churn")
    make_goal(org["employee"], cycle=next_cycle, title="Grow abroad")
    html = login(org["employee"]).get(url("evidence-create")).content.decode()
    assert "Choose a person" not in html and ">For<" not in html
    chooser = _select(html, "participation")
    assert re.search(r'<label\s+for="id_participation"[^>]*>\s*Cycle', html)
    selected = re.search(r'<option value="(\d+)" selected>([^<]*)<', chooser)
    assert selected.groups() == (str(parts["employee"].pk), "FY now")
    assert "FY next" in chooser
    goals = _select(html, "goal")
    assert re.search(r'<optgroup label="FY now">\s*<option[^>]*>Cut churn<', goals)
    assert re.search(r'<optgroup label="FY next">\s*<option[^>]*>Grow abroad<', goals)


def test_an_employee_in_one_cycle_chooses_nothing_and_sees_the_cycle(org, parts, cycle, login):
    """One cycle, no reports: neither a person nor a cycle to choose; the cycle is named."""
    html = login(org["employee"]).get(url("evidence-create")).content.decode()
    assert 'name="participation"' not in html and "Choose a person" not in html
    assert "FY now" in re.search(r'data-testid="form-cycle">(.*?)</p>', html, re.DOTALL).group(1)


def test_a_manager_in_two_cycles_chooses_a_person_grouped_by_cycle(
    org, parts, cycle, next_cycle, login
):
    """A reviewer chooses a person, grouped by cycle, themself in the running cycle by
    default; the goals are grouped by person and cycle."""
    make_goal(org["employee"], cycle=cycle, status="approved", title="Cut churn")
    make_goal(org["employee"], cycle=next_cycle, title="Grow abroad")
    response = login(org["manager"]).get(url("evidence-create"))
    html = response.content.decode()
    chooser = _select(html, "participation")
    assert '<optgroup label="FY now">' in chooser and '<optgroup label="FY next">' in chooser
    assert response.context["form"].initial["participation"] == parts["manager"].pk
    assert "Choose a person" not in chooser  # the manager themself is the default
    goals = _select(html, "goal")
    employee = org["employee"].full_name
    assert f'<optgroup label="{employee} — FY now">' in goals
    assert f'<optgroup label="{employee} — FY next">' in goals


def test_the_goal_help_says_your_goals_only_to_their_owner(org, parts, login):
    """Editing a record made for someone else speaks of "the person's" goals; the owner
    editing their own reads "your own goals"."""
    theirs = services.create_evidence(
        actor=org["manager"].user,
        participation=parts["employee"],
        data={"title": "Demo for the board", "occurred_on": YESTERDAY},
        files=[],
    )
    mine = services.create_evidence(
        actor=org["employee"].user,
        participation=parts["employee"],
        data={"title": "Runbook", "occurred_on": YESTERDAY},
        files=[],
    )
    manager = login(org["manager"]).get(url("evidence-edit", theirs.pk)).content.decode()
    assert "One of the person's own goals" in manager and "your own goals" not in manager
    owner = login(org["employee"]).get(url("evidence-edit", mine.pk)).content.decode()
    assert "One of your own goals in the same cycle." in owner


def test_recording_in_the_chosen_cycle_and_its_query_budget(org, parts, cycle, next_cycle, login):
    """The employee records in the cycle chosen; a goal of the other cycle is refused at
    the goal field; the form is within 12 queries."""
    other = make_goal(org["employee"], cycle=next_cycle, title="Grow abroad")
    client = login(org["employee"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url("evidence-create")).status_code == 200
    assert len(ctx.captured_queries) <= 12
    refused = client.post(
        url("evidence-create"), form_data(participation=parts["employee"].pk, goal=other.pk)
    )
    assert refused.status_code == 400
    assert "FY now" in field_error(refused.content.decode(), "goal")
    response = client.post(url("evidence-create"), form_data(participation=parts["employee"].pk))
    assert response.status_code == 302
    assert Evidence.objects.get().participation == parts["employee"]


def test_the_goal_pages_evidence_link_works_for_a_goal_without_evidence(org, parts, cycle, login):
    """The goal page's "Evidence" button lists that goal's evidence, none yet, instead of
    refusing the goal as a bad filter (400); a goal the user cannot read is still refused."""
    goal = make_goal(org["employee"], cycle=cycle, status="approved", title="Cut churn")
    make_evidence(parts["employee"], title="Unrelated")
    response = login(org["employee"]).get(url("evidence-list", goal=goal.pk))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    elsewhere = make_goal(org["employee2"], cycle=cycle, status="approved")
    assert login(org["employee"]).get(url("evidence-list", goal=elsewhere.pk)).status_code == 400


def test_create_prefills_from_a_goal(org, parts, cycle, login):
    """?goal=<id> preselects the goal and its owner."""
    goal = make_goal(org["employee"], cycle=cycle, status="approved", title="Cut churn")
    form = login(org["manager"]).get(url("evidence-create", goal=goal.pk)).context["form"]
    assert form.initial["goal"] == goal.pk
    assert form.initial["participation"] == parts["employee"].pk


def test_create_with_a_goal_of_someone_else_is_not_found(org, parts, cycle, login):
    """?goal= of a goal outside the user's people is a 404."""
    goal = make_goal(org["employee2"], cycle=cycle, status="approved")
    assert login(org["manager"]).get(url("evidence-create", goal=goal.pk)).status_code == 404


def test_create_prefills_from_a_checkin(org, parts, cycle, login):
    """?checkin=<id> preselects the person and dates the work in the check-in's period."""
    checkin = CheckIn.objects.create(
        participation=parts["employee"],
        period_start=TODAY() - dt.timedelta(days=40),
        period_end=TODAY() - dt.timedelta(days=10),
        due_date=TODAY() - dt.timedelta(days=7),
    )
    client = login(org["manager"])
    response = client.get(url("evidence-create", checkin=checkin.pk))
    form = response.context["form"]
    assert form.initial["participation"] == parts["employee"].pk
    assert form.initial["occurred_on"] == checkin.period_end
    assert 'data-testid="from-checkin"' in response.content.decode()
    assert login(org["manager2"]).get(url("evidence-create", checkin=checkin.pk)).status_code == 404


def test_create_from_a_checkin_returns_to_it(org, parts, login):
    """After saving, the person is back on the check-in they came from."""
    checkin = CheckIn.objects.create(
        participation=parts["employee"],
        period_start=TODAY() - dt.timedelta(days=20),
        period_end=TODAY() + dt.timedelta(days=10),
        due_date=TODAY() + dt.timedelta(days=12),
    )
    response = login(org["employee"]).post(url("evidence-create", checkin=checkin.pk), form_data())
    assert response.status_code == 302
    assert response.url == checkin.get_absolute_url()
    assert Evidence.objects.get().participation == parts["employee"]


def test_create_without_an_open_cycle_explains(org, login):
    """Someone in no open cycle is sent to the list with a message."""
    response = login(org["director"]).get(url("evidence-create"), follow=True)
    assert "no cycle in planning, implementation or appraisal" in response.content.decode()


# --- evidence-detail ----------------------------------------------------------------------------


def test_detail_shows_fields_files_and_no_verify_for_the_employee(org, evidence, login):
    """The creator sees the record, its file with size, Edit and Delete, no Verify."""
    html = login(org["employee"]).get(evidence.get_absolute_url()).content.decode()
    assert "Shipped billing v2" in html
    assert "Résumé of the launch.pdf" in html
    assert f'data-size="{len(files.PDF)}"' in html
    assert url("evidence-edit", evidence.pk) in html
    assert url("evidence-delete", evidence.pk) in html
    assert 'data-testid="verify"' not in html
    assert "Not verified yet" in html


def test_detail_offers_verify_to_the_reviewer_and_shows_who_verified(org, evidence, login):
    """The reviewer gets Verify; after it, who verified when, and the withdraw form."""
    client = login(org["manager"])
    html = client.get(evidence.get_absolute_url()).content.decode()
    assert 'data-testid="verify"' in html
    assert url("evidence-edit", evidence.pk) not in html
    client.post(url("evidence-verify", evidence.pk), {"version": evidence.version})
    html = client.get(evidence.get_absolute_url()).content.decode()
    assert "Verified by Manager" in html
    assert 'data-testid="unverify-form"' in html


def test_hr_reads_the_detail(org, evidence, login):
    """HR reads any record and may verify it."""
    response = login(org["hr"]).get(evidence.get_absolute_url())
    assert response.status_code == 200
    assert 'data-testid="verify"' in response.content.decode()


@pytest.mark.parametrize("role", STRANGERS)
def test_detail_is_not_found_for_outsiders(org, evidence, login, role):
    """A peer and another team's manager get 404."""
    assert login(org[role]).get(evidence.get_absolute_url()).status_code == 404


def test_skip_level_reads_the_evidence_but_does_not_act(org, evidence, login):
    """The skip-level manager reads the record and its files but gets no button."""
    client = login(org["director"])
    response = client.get(evidence.get_absolute_url())
    assert response.status_code == 200
    assert response.context["actions"] == selectors.EvidenceActions()
    assert client.get(download_url(evidence)).status_code == 200


# --- evidence-edit ---------------------------------------------------------------------------


def test_creator_edits_and_removes_a_file(org, evidence, login):
    """The edit form saves changes and removes ticked attachments."""
    client = login(org["employee"])
    page = client.get(url("evidence-edit", evidence.pk))
    assert page.status_code == 200
    attachment = evidence.attachments.get()
    response = client.post(
        url("evidence-edit", evidence.pk),
        form_data(
            title="Shipped billing v2.1",
            version=evidence.version,
            remove_attachments=[attachment.pk],
            attachments=[upload("shot.png", files.PNG)],
        ),
    )
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.title == "Shipped billing v2.1"
    assert [a.original_name for a in evidence.attachments.all()] == ["shot.png"]


def test_edit_with_a_stale_version_is_a_409(org, evidence, login):
    """Someone changed it meanwhile: the form says so and keeps the input."""
    response = login(org["employee"]).post(
        url("evidence-edit", evidence.pk), form_data(title="Mine", version=evidence.version - 1)
    )
    assert response.status_code == 409
    assert "Someone else changed this evidence" in response.content.decode()
    assert 'value="Mine"' in response.content.decode()


def test_verified_evidence_is_no_longer_editable(org, evidence, login):
    """After verification the edit page sends the creator back with a message."""
    services.verify_evidence(
        actor=org["manager"].user, evidence=evidence, expected_version=version_of(evidence)
    )
    response = login(org["employee"]).get(url("evidence-edit", evidence.pk), follow=True)
    assert "can no longer be edited" in response.content.decode()


@pytest.mark.parametrize("role", [*OUTSIDERS, "manager", "hr"])
def test_edit_is_not_found_for_anyone_but_the_creator(org, evidence, login, role):
    """Outsiders, and the reviewer or HR who only read it, get 404."""
    assert login(org[role]).get(url("evidence-edit", evidence.pk)).status_code == 404


# --- evidence-delete ---------------------------------------------------------------------------


def test_delete_asks_once_then_deletes(org, evidence, login, django_capture_on_commit_callbacks):
    """GET says what will happen; POST deletes and returns to the list."""
    client = login(org["employee"])
    page = client.get(url("evidence-delete", evidence.pk))
    assert page.status_code == 200
    assert "will be deleted for good" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("evidence-delete", evidence.pk))
    assert response.status_code == 302 and response.url == url("evidence-list")
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("role", [*OUTSIDERS, "manager"])
def test_delete_is_not_found_for_anyone_but_the_creator(org, evidence, login, role):
    """Nobody else may delete, nor see the confirmation."""
    client = login(org[role])
    assert client.get(url("evidence-delete", evidence.pk)).status_code == 404
    assert client.post(url("evidence-delete", evidence.pk)).status_code == 404
    assert Evidence.objects.exists()


# --- evidence-verify / evidence-unverify -------------------------------------------------------


def test_reviewer_verifies_from_the_list_and_returns_there(org, evidence, login):
    """The inline button verifies and goes back to the page it came from."""
    back = url("evidence-list", to_verify=1)
    response = login(org["manager"]).post(
        url("evidence-verify", evidence.pk), {"version": evidence.version, "next": back}
    )
    assert response.status_code == 302 and response.url == back
    evidence.refresh_from_db()
    assert evidence.verified_by == org["manager"].user


def test_verify_is_post_only(org, evidence, login):
    """GET is not allowed."""
    assert login(org["manager"]).get(url("evidence-verify", evidence.pk)).status_code == 405


@pytest.mark.parametrize("role", [*OUTSIDERS, "employee"])
def test_verify_is_not_found_for_others(org, evidence, login, role):
    """The employee, a peer, another manager and a skip-level manager get 404."""
    response = login(org[role]).post(url("evidence-verify", evidence.pk))
    assert response.status_code == 404
    evidence.refresh_from_db()
    assert evidence.verified_at is None


def test_unverify_needs_a_reason_next_to_the_field(org, evidence, login):
    """No reason: a 400 with the error under the reason; with one, done."""
    services.verify_evidence(
        actor=org["manager"].user, evidence=evidence, expected_version=version_of(evidence)
    )
    client = login(org["manager"])
    version = version_of(evidence)
    response = client.post(
        url("evidence-unverify", evidence.pk), {"reason": "", "version": version}
    )
    assert response.status_code == 400
    assert "Say why" in field_error(response.content.decode(), "reason")
    done = client.post(
        url("evidence-unverify", evidence.pk), {"reason": "Wrong date", "version": version}
    )
    assert done.status_code == 302
    evidence.refresh_from_db()
    assert evidence.verified_at is None
    html = login(org["employee"]).get(evidence.get_absolute_url()).content.decode()
    assert "Verification withdrawn" in html and "Wrong date" in html


@pytest.mark.parametrize("role", [*OUTSIDERS, "employee"])
def test_unverify_is_not_found_for_others(org, evidence, login, role):
    """Only the reviewer or HR reaches it."""
    services.verify_evidence(
        actor=org["manager"].user, evidence=evidence, expected_version=version_of(evidence)
    )
    response = login(org[role]).post(url("evidence-unverify", evidence.pk), {"reason": "x"})
    assert response.status_code == 404


# --- attachment-download ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["employee", "manager", "hr"])
def test_download_streams_the_file_as_an_attachment(org, evidence, login, role):
    """Attachment disposition with a safe name, nosniff, the sniffed type, the bytes."""
    response = login(org[role]).get(download_url(evidence))
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == files.PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        'attachment; filename="Resume of the launch.pdf"; '
        f"filename*=UTF-8''{quote('Résumé of the launch.pdf', safe='')}"
    )
    assert response["Content-Length"] == str(len(files.PDF))


def test_text_downloads_as_utf8_text(org, parts, login):
    """A text file keeps its sniffed type, with the charset."""
    record = services.create_evidence(
        actor=org["employee"].user,
        participation=parts["employee"],
        data={"title": "Notes", "occurred_on": YESTERDAY},
        files=[upload("notes.txt", files.TEXT, content_type="text/html")],
    )
    response = login(org["employee"]).get(download_url(record))
    assert response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("role", STRANGERS)
def test_download_is_not_found_for_outsiders(org, evidence, login, role):
    """A peer and another team's manager cannot download."""
    assert login(org[role]).get(download_url(evidence)).status_code == 404


def test_download_of_a_file_of_another_record_is_not_found(org, parts, evidence, login):
    """The attachment id must belong to the record in the URL."""
    other = services.create_evidence(
        actor=org["peer"].user,
        participation=parts["peer"],
        data={"title": "Peer", "occurred_on": YESTERDAY},
        files=[upload("secret.pdf", files.PDF)],
    )
    secret = other.attachments.get()
    path = url("attachment-download", evidence.pk, secret.pk)
    assert login(org["employee"]).get(path).status_code == 404


def test_download_of_a_missing_file_is_not_found(org, evidence, login, media):
    """A file gone from the disk is a 404, not a 500."""
    (media / evidence.attachments.get().file.name).unlink()
    assert login(org["employee"]).get(download_url(evidence)).status_code == 404


def test_closed_cycle_evidence_stays_readable_but_frozen(org, evidence, cycle, login):
    """After the cycle closes the record and its files are still there; no actions."""
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.CLOSED)
    client = login(org["manager"])
    html = client.get(evidence.get_absolute_url()).content.decode()
    assert 'data-testid="verify"' not in html
    assert client.get(download_url(evidence)).status_code == 200
