"""The cycle's participant pages (HR): changing reviewers per row and for a selection,
and adding people by department, from a searchable list or everyone not yet enrolled."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.models import AuditEvent, Cycle, Participation
from tests.factories import enrol, make_cycle, make_department, make_employee

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(org):
    cycle = make_cycle("FY2026")
    enrol(cycle, org["employee"], org["peer"], org["intern"], org["manager"])
    return cycle


def part(cycle, person) -> Participation:
    return Participation.objects.get(cycle=cycle, employee=person)


def people_url(cycle):
    return reverse("goals:cycle-setup-people", args=[cycle.pk])


def add_url(cycle):
    return reverse("goals:cycle-setup-people-add", args=[cycle.pk])


def reviewer_url(cycle, participation):
    return reverse("goals:participant-reviewer", args=[cycle.pk, participation.pk])


def bulk_url(cycle):
    return reverse("goals:cycle-reviewer-bulk", args=[cycle.pk])


# --- Who may ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["employee", "manager", "director"])
def test_the_pages_and_actions_are_not_found_for_others(org, cycle, login, role):
    client = login(org[role])
    p = part(cycle, org["employee"])
    for url in [add_url(cycle), reviewer_url(cycle, p), reverse("person-search") + "?q=man"]:
        assert client.get(url).status_code == 404, url
    posts = {
        reviewer_url(cycle, p): {"reviewer": org[role].employee_number},
        bulk_url(cycle): {"participations": [p.pk], "reviewer": org[role].employee_number},
        reverse("goals:cycle-enrol-chosen", args=[cycle.pk]): {"employees": [org["employee2"].pk]},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url
    assert part(cycle, org["employee"]).reviewer == org["manager"]
    assert not Participation.objects.filter(cycle=cycle, employee=org["employee2"]).exists()


# --- One participant's reviewer -----------------------------------------------------------


def test_hr_changes_one_reviewer_from_the_row(org, cycle, login):
    client = login(org["hr"])
    p = part(cycle, org["employee"])
    page = client.get(people_url(cycle)).content.decode()
    assert f'href="{reviewer_url(cycle, p)}"' in page  # the row's "Change" link
    response = client.get(reviewer_url(cycle, p))
    assert response.status_code == 200
    assert org["manager"].full_name in response.content.decode()

    response = client.post(
        reviewer_url(cycle, p),
        {"reviewer": org["manager2"].user.email, "current": org["manager"].pk},
    )
    assert response.status_code == 302
    assert part(cycle, org["employee"]).reviewer == org["manager2"]
    page = client.get(response["Location"]).content.decode()
    assert f"{org['manager2'].full_name} is now the reviewer of 1 person." in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Choose the reviewer."),
        ("E99999", "Nobody has the employee number or email"),
        ("self", "cannot be their own reviewer"),
        ("gone", "has left the organisation"),
    ],
)
def test_bad_reviewer_input_is_a_400_with_the_message_at_the_field(
    org, cycle, login, typed, message
):
    gone = make_employee("gone", is_active=False)
    typed = {"self": org["employee"].employee_number, "gone": gone.employee_number}.get(
        typed, typed
    )
    p = part(cycle, org["employee"])
    response = login(org["hr"]).post(
        reviewer_url(cycle, p), {"reviewer": typed, "current": org["manager"].pk}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_reviewer"' in page  # the summary links to the field
    assert 'id="id_reviewer"' in page and "is-invalid" in page
    assert message in page
    assert part(cycle, org["employee"]).reviewer == org["manager"]


def test_a_participant_of_another_cycle_is_not_found(org, cycle, login):
    other = make_cycle("FY2027")
    (elsewhere,) = enrol(other, org["employee2"])
    url = reverse("goals:participant-reviewer", args=[cycle.pk, elsewhere.pk])
    assert login(org["hr"]).get(url).status_code == 404


# --- A selection ----------------------------------------------------------------------


def test_hr_sets_the_reviewer_of_the_people_ticked(org, cycle, login):
    client = login(org["hr"])
    page = client.get(people_url(cycle)).content.decode()
    assert 'form="bulk-reviewer"' in page and 'id="bulk-reviewer"' in page
    ids = [part(cycle, org["employee"]).pk, part(cycle, org["intern"]).pk]
    response = client.post(
        bulk_url(cycle), {"participations": ids, "reviewer": org["director"].employee_number}
    )
    assert response.status_code == 302
    assert set(Participation.objects.filter(pk__in=ids).values_list("reviewer_id", flat=True)) == {
        org["director"].pk
    }
    assert part(cycle, org["peer"]).reviewer == org["manager"]
    assert AuditEvent.objects.filter(verb="participation.reviewer_changed").count() == 2


def test_a_selection_changed_meanwhile_is_refused_and_nothing_moves(org, cycle, login):
    """Two HR tabs: the page showed the manager as reviewer of both ticked people; another
    tab has since changed one of them. Setting the selection is refused with a 409 naming
    that person, and neither reviewer moves."""
    client = login(org["hr"])
    mine, changed = part(cycle, org["employee"]), part(cycle, org["intern"])
    page = client.get(people_url(cycle)).content.decode()
    assert f'name="shown-{mine.pk}" value="{org["manager"].pk}"' in page
    shown = {f"shown-{p.pk}": p.reviewer_id for p in (mine, changed)}
    Participation.objects.filter(pk=changed.pk).update(reviewer=org["manager2"])
    response = client.post(
        bulk_url(cycle),
        {
            "participations": [mine.pk, changed.pk],
            "reviewer": org["director"].employee_number,
            **shown,
        },
    )
    assert response.status_code == 409
    assert "while you were choosing" in response.content.decode()
    assert part(cycle, org["employee"]).reviewer == org["manager"]
    assert part(cycle, org["intern"]).reviewer == org["manager2"]
    assert not AuditEvent.objects.filter(verb="participation.reviewer_changed").exists()


def test_a_bad_selection_is_a_400_and_keeps_the_ticks(org, cycle, login):
    client = login(org["hr"])
    response = client.post(bulk_url(cycle), {"reviewer": org["director"].employee_number})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_participations"' in page and 'id="id_participations"' in page
    assert "Tick the people whose reviewer changes." in page

    ids = [part(cycle, org["employee"]).pk, part(cycle, org["manager"]).pk]
    response = client.post(
        bulk_url(cycle), {"participations": ids, "reviewer": org["manager"].employee_number}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be their own reviewer" in page and "is-invalid" in page
    assert page.count(" checked>") == 2  # the rows stay ticked for the next try
    assert part(cycle, org["employee"]).reviewer == org["manager"]

    response = client.post(bulk_url(cycle), {"participations": ["x"], "reviewer": "E1"})
    assert response.status_code == 400


def test_reviewers_are_fixed_once_the_cycle_is_closed(org, login):
    closed = make_cycle("FY2020", phase=Cycle.Phase.CLOSED)
    (p,) = enrol(closed, org["employee"])
    client = login(org["hr"])
    page = client.get(people_url(closed)).content.decode()
    assert 'id="bulk-reviewer"' not in page
    response = client.post(
        reverse("goals:participant-reviewer", args=[closed.pk, p.pk]),
        {"reviewer": org["manager2"].employee_number, "current": org["manager"].pk},
    )
    assert response.status_code == 400
    assert part(closed, org["employee"]).reviewer == org["manager"]


def test_the_search_suggests_active_people_by_name(org, login):
    make_employee("managerx", is_active=False)
    response = login(org["hr"]).get(reverse("person-search") + "?q=Manager")
    assert response.status_code == 200
    values = [r["value"] for r in response.json()["results"]]
    assert set(values) == {org["manager"].employee_number, org["manager2"].employee_number}


# --- Adding people --------------------------------------------------------------------


def test_the_add_page_lists_only_people_not_enrolled_with_the_count(org, cycle, login):
    response = login(org["hr"]).get(add_url(cycle))
    assert response.status_code == 200
    listed = {person.pk for person in response.context["rows"]}
    assert listed == {org["director"].pk, org["manager2"].pk, org["employee2"].pk, org["hr"].pk}
    assert "4 active people are not in this cycle yet." in response.content.decode()
    assert "SelectMultiple" not in response.content.decode()
    assert " multiple" not in response.content.decode()


def test_the_list_is_searched_and_filtered_in_the_database(org, cycle, login):
    client = login(org["hr"])
    response = client.get(add_url(cycle) + "?q=employee2")
    assert [p.pk for p in response.context["rows"]] == [org["employee2"].pk]
    sales = org["manager2"].department
    response = client.get(add_url(cycle) + f"?department={sales.pk}")
    assert {p.pk for p in response.context["rows"]} == {org["manager2"].pk, org["employee2"].pk}


def test_hr_adds_the_people_ticked_or_everyone_found(org, cycle, login):
    client = login(org["hr"])
    url = reverse("goals:cycle-enrol-chosen", args=[cycle.pk])
    response = client.post(url, {"employees": [org["director"].pk, org["employee"].pk]})
    assert response.status_code == 302
    assert response["Location"].startswith(add_url(cycle))
    assert part(cycle, org["director"]).reviewer is None  # the top of the chart
    sales = org["manager2"].department
    response = client.post(url, {"matching": "on", "department": sales.pk, "q": ""})
    assert response.status_code == 302
    enrolled = set(Participation.objects.filter(cycle=cycle).values_list("employee_id", flat=True))
    assert {org["manager2"].pk, org["employee2"].pk, org["director"].pk} <= enrolled
    assert org["hr"].pk not in enrolled
    assert AuditEvent.objects.filter(verb="cycle.people_enrolled").count() == 2


def test_nothing_ticked_is_a_400_with_the_message(org, cycle, login):
    response = login(org["hr"]).post(reverse("goals:cycle-enrol-chosen", args=[cycle.pk]), {})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_employees"' in page and "Tick the people to add" in page
    response = login(org["hr"]).post(
        reverse("goals:cycle-enrol-chosen", args=[cycle.pk]), {"employees": ["x"]}
    )
    assert response.status_code == 400


def test_hr_adds_a_department_with_or_without_sub_departments(org, login):
    cycle = make_cycle()
    engineering = org["manager"].department
    platform = make_department("Platform", parent=engineering)
    make_employee("builder", department=platform, manager=org["manager"])
    client = login(org["hr"])
    url = reverse("goals:cycle-enrol-population", args=[cycle.pk])
    assert client.post(url, {"department": engineering.pk}).status_code == 302
    assert Participation.objects.filter(cycle=cycle).count() == 5  # not Platform
    response = client.post(url, {"department": engineering.pk, "include_subdepartments": "on"})
    assert response.status_code == 302
    assert Participation.objects.filter(cycle=cycle).count() == 6
    response = client.post(url, {"everyone": "on"})
    assert Participation.objects.filter(cycle=cycle).count() == 9


def test_adding_is_refused_after_implementation(org, login):
    cycle = make_cycle(phase=Cycle.Phase.APPRAISAL)
    client = login(org["hr"])
    assert 'data-testid="enrol-closed"' in client.get(add_url(cycle)).content.decode()
    response = client.post(
        reverse("goals:cycle-enrol-chosen", args=[cycle.pk]), {"employees": [org["peer"].pk]}
    )
    assert response.status_code == 400
    assert not Participation.objects.filter(cycle=cycle).exists()


# --- Queries ------------------------------------------------------------------------------


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["people", "people-filtered", "add", "add-filtered", "reviewer"])
def test_the_pages_take_at_most_12_queries_whatever_the_size(org, cycle, login, page):
    client = login(org["hr"])
    search = f"?q=er&department={org['manager'].department_id}"

    def url():
        if page.startswith("people"):
            return people_url(cycle) + (search if page.endswith("filtered") else "")
        if page.startswith("add"):
            return add_url(cycle) + (search if page.endswith("filtered") else "")
        return reviewer_url(cycle, part(cycle, org["employee"]))

    queries(client, url())  # warm the per-process caches (permissions, content types)
    small = queries(client, url())
    team = [make_employee(manager=org["manager"]) for _ in range(60)]
    enrol(cycle, *team[:30])
    assert queries(client, url()) == small
    assert small <= 12


def test_a_reviewer_changed_meanwhile_is_not_overwritten(org, cycle, login):
    """The form carries the reviewer the page showed: a change made since is a 409 with
    a message, the other change stays, and the page shows the reviewer as it is now."""
    client = login(org["hr"])
    p = part(cycle, org["employee"])
    shown = org["manager"].pk
    Participation.objects.filter(pk=p.pk).update(reviewer=org["director"])  # someone else
    response = client.post(
        reviewer_url(cycle, p), {"reviewer": org["manager2"].employee_number, "current": shown}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone changed the reviewer" in page
    assert f'name="current" value="{org["director"].pk}"' in page
    assert part(cycle, org["employee"]).reviewer == org["director"]
    response = client.post(
        reviewer_url(cycle, p),
        {"reviewer": org["manager2"].employee_number, "current": org["director"].pk},
    )
    assert response.status_code == 302
    assert part(cycle, org["employee"]).reviewer == org["manager2"]


def test_a_form_without_the_reviewer_it_showed_is_refused(org, cycle, login):
    p = part(cycle, org["employee"])
    response = login(org["hr"]).post(
        reviewer_url(cycle, p), {"reviewer": org["manager2"].employee_number}
    )
    assert response.status_code == 409
    assert "This form is out of date" in response.content.decode()
    assert part(cycle, org["employee"]).reviewer == org["manager"]
    (p2,) = enrol(make_cycle("FY2030"), org["director"])  # nobody reviews the director
    page = login(org["hr"]).get(reviewer_url(p2.cycle, p2)).content.decode()
    assert 'name="current" value="none"' in page
    response = login(org["hr"]).post(
        reviewer_url(p2.cycle, p2), {"reviewer": org["hr"].employee_number, "current": "none"}
    )
    assert response.status_code == 302


def test_people_without_a_reviewer_are_found_with_one_tick(org, cycle, login):
    enrol(cycle, org["director"])  # the top of the chart: nobody reviews him
    response = login(org["hr"]).get(people_url(cycle) + "?reviewer=none")
    assert [p.employee_id for p in response.context["rows"]] == [org["director"].pk]
    assert "No reviewer" in response.content.decode()
