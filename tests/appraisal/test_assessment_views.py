"""Self-assessment, review, breakdown and team pages: what each role sees and may do,
bad input at the field (4xx, never 500), conflicts, and query counts that do not grow
with the team or the number of goals (review lane)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appraisal.models import Appraisal, AppraisalItem, AppraisalStatus, ItemEvidence
from appraisal.services.assessment import field_name
from appraisal.services.opening import open_missing_appraisals
from goals.models import GoalStatus, SectionKind
from implementation.models import ProgressUpdate
from tests.appraisal.factories import appraisal_of, open_org
from tests.appraisal.review_factories import fresh, items_of, make_evidence, self_submitted
from tests.factories import enrol, make_employee
from tests.goals.factories import make_goal

pytestmark = pytest.mark.django_db
S = AppraisalStatus
ROLES = ("employee", "colleague", "manager", "skip", "outsider", "hr")


@pytest.fixture
def org():
    return open_org()


@pytest.fixture
def appraisal(org):
    return appraisal_of(org, org.employee)


def as_(client, person):
    client.force_login(person.user)
    return client


def form_data(appraisal, *, rating=3, version=None, **per_item):
    data = {"version": fresh(appraisal).version if version is None else version}
    for item in items_of(appraisal):
        if rating is not None:
            data[field_name(item, "rating")] = str(rating)
        data[field_name(item, "comment")] = f"Comment on {item.title}"
    data.update(per_item)
    return data


def detail(appraisal):
    return reverse("appraisal:appraisal-detail", args=[appraisal.pk])


# --- My appraisal ---------------------------------------------------------------------------


def test_my_appraisal_shows_each_item_with_the_scale_descriptors_and_my_evidence(
    client, org, appraisal
):
    make_evidence(appraisal.participation, title="Launch retrospective")
    make_evidence(org.participations[org.colleague.pk], title="Not mine")
    response = as_(client, org.employee).get(reverse("appraisal:my-appraisal"))
    assert response.status_code == 200
    html = response.content.decode()
    for item in items_of(appraisal):
        assert item.title in html
    assert "What outstanding looks like." in html  # the level's descriptor, beside its radio
    assert "Launch retrospective" in html and "Not mine" not in html
    assert 'data-testid="submit-self"' in html
    assert "data-confirm" in html and "data-requires" in html


def test_someone_without_an_appraisal_is_told_what_happens_next(client, org):
    response = as_(client, org.hr).get(reverse("appraisal:my-appraisal"))
    assert response.status_code == 200
    assert b'data-testid="no-appraisal"' in response.content


def test_saving_a_draft_then_submitting(client, org, appraisal):
    client = as_(client, org.employee)
    evidence = make_evidence(appraisal.participation, title="Demo")
    first = items_of(appraisal)[0]
    response = client.post(
        reverse("appraisal:self-save", args=[appraisal.pk]),
        form_data(appraisal, **{field_name(first, "evidence"): [str(evidence.pk)]}),
    )
    assert response.status_code == 302
    assert fresh(appraisal).status == S.SELF_ASSESSMENT
    assert ItemEvidence.objects.filter(item=first, evidence=evidence).exists()

    response = client.post(
        reverse("appraisal:self-submit", args=[appraisal.pk]), form_data(appraisal)
    )
    assert response.status_code == 302
    assert fresh(appraisal).status == S.MANAGER_REVIEW
    page = client.get(reverse("appraisal:my-appraisal")).content.decode()
    assert 'data-testid="self-submitted"' in page
    assert 'data-testid="self-assessment-form"' not in page
    assert "Manager&#x27;s rating" not in page  # no manager rating before release


@pytest.mark.parametrize("bad", ["5.9", "0", "6", "four"])
def test_a_rating_off_the_scale_comes_back_at_its_field(client, org, appraisal, bad):
    first = items_of(appraisal)[0]
    data = form_data(appraisal, **{field_name(first, "rating"): bad})
    response = as_(client, org.employee).post(
        reverse("appraisal:self-save", args=[appraisal.pk]), data
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose one of the scale&#x27;s levels." in html
    assert f'id="{"id_" + field_name(first, "rating")}_error"' in html
    assert "Comment on" in html  # nothing typed is lost
    assert fresh(appraisal).status == S.NOT_STARTED


def test_submitting_with_items_unrated_names_them(client, org, appraisal):
    first = items_of(appraisal)[0]
    data = form_data(appraisal)
    del data[field_name(first, "rating")]
    response = as_(client, org.employee).post(
        reverse("appraisal:self-submit", args=[appraisal.pk]), data
    )
    assert response.status_code == 400
    assert "Rate this item before you submit." in response.content.decode()
    assert fresh(appraisal).status == S.NOT_STARTED


def test_a_stale_form_gets_a_conflict_and_overwrites_nothing(client, org, appraisal):
    client = as_(client, org.employee)
    url = reverse("appraisal:self-save", args=[appraisal.pk])
    assert client.post(url, form_data(appraisal, rating=4, version=1)).status_code == 302
    response = client.post(url, form_data(appraisal, rating=2, version=1))
    assert response.status_code == 409
    assert "Reload the page" in response.content.decode()
    assert {i.self_rating for i in items_of(appraisal)} == {4}


def test_citing_evidence_that_is_not_offered_is_refused_at_the_field(client, org, appraisal):
    first = items_of(appraisal)[0]
    theirs = make_evidence(org.participations[org.colleague.pk])
    data = form_data(appraisal, **{field_name(first, "evidence"): [str(theirs.pk)]})
    response = as_(client, org.employee).post(
        reverse("appraisal:self-save", args=[appraisal.pk]), data
    )
    assert response.status_code == 400
    assert "Cite only evidence from the list." in response.content.decode()


# --- Who sees what ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,status",
    [
        ("employee", 200),
        ("colleague", 404),
        ("manager", 200),
        ("skip", 200),
        ("outsider", 404),
        ("hr", 200),
    ],
)
def test_the_appraisal_page_per_role(client, org, appraisal, role, status):
    response = as_(client, getattr(org, role)).get(detail(appraisal))
    assert response.status_code == status


@pytest.mark.parametrize("role", ["employee", "colleague", "skip", "outsider", "hr"])
def test_only_the_reviewer_may_post_a_review(client, org, appraisal, role):
    appraisal = self_submitted(appraisal)
    response = as_(client, getattr(org, role)).post(
        reverse("appraisal:review-save", args=[appraisal.pk]), form_data(appraisal)
    )
    assert response.status_code == 404
    assert {i.manager_rating for i in items_of(appraisal)} == {None}


@pytest.mark.parametrize("role", ["colleague", "manager", "skip", "outsider", "hr"])
def test_only_the_person_may_post_a_self_assessment(client, org, appraisal, role):
    response = as_(client, getattr(org, role)).post(
        reverse("appraisal:self-save", args=[appraisal.pk]), form_data(appraisal)
    )
    assert response.status_code == 404
    assert fresh(appraisal).status == S.NOT_STARTED


@pytest.mark.parametrize("role", ["skip", "hr"])
def test_readers_up_the_chain_and_hr_see_the_review_without_a_form(client, org, appraisal, role):
    appraisal = self_submitted(appraisal)
    html = as_(client, getattr(org, role)).get(detail(appraisal)).content.decode()
    assert 'data-testid="read-only"' in html
    assert 'data-testid="review-form"' not in html


# --- The way to the peer input ----------------------------------------------------------------


def _link(html: str, test_id: str) -> str | None:
    found = re.search(rf'href="([^"]+)" data-testid="{test_id}"', html)
    return found and found.group(1).replace("&amp;", "&")


def test_the_person_and_the_manager_find_the_peer_input_from_the_appraisal(client, org, appraisal):
    html = as_(client, org.employee).get(reverse("appraisal:my-appraisal")).content.decode()
    mine = _link(html, "open-peer-input")
    assert mine == f"{reverse('appraisal:peer-input')}?cycle={org.cycle.pk}"
    response = client.get(mine)
    assert response.status_code == 200 and b'data-testid="nominate-form"' in response.content

    html = as_(client, org.manager).get(detail(appraisal)).content.decode()
    theirs = _link(html, "open-peer-result")
    assert theirs == reverse("appraisal:peer-result", args=[appraisal.pk])
    response = client.get(theirs)
    assert response.status_code == 200 and org.employee.full_name in response.content.decode()


def test_no_peer_input_link_when_the_template_has_no_peer_section(client):
    org = open_org(
        template_sections=[(SectionKind.GOALS, 70, 0), (SectionKind.COMPETENCIES, 30, 2)]
    )
    appraisal = appraisal_of(org, org.employee)
    html = as_(client, org.employee).get(reverse("appraisal:my-appraisal")).content.decode()
    assert "My appraisal" in html and 'data-testid="open-peer-input"' not in html
    html = as_(client, org.manager).get(detail(appraisal)).content.decode()
    assert org.employee.full_name in html and 'data-testid="open-peer-result"' not in html


# --- The review page --------------------------------------------------------------------------


def test_the_review_page_side_by_side_with_the_suggested_rating_preselected(client, org, appraisal):
    evidence = make_evidence(appraisal.participation, title="Roadmap demo")
    appraisal = self_submitted(appraisal)
    suggested = next(i for i in items_of(appraisal) if i.suggested_rating is not None)
    ItemEvidence.objects.create(item=suggested, evidence=evidence, cited_by="self")
    ProgressUpdate.objects.create(
        goal=suggested.goal, value=Decimal("95"), recorded_by=org.employee.user
    )
    response = as_(client, org.manager).get(detail(appraisal))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="review-form"' in html
    assert 'data-testid="progress-chart"' in html
    assert "Roadmap demo" in html
    assert f'data-testid="suggested-{suggested.pk}"' in html
    name = field_name(suggested, "rating")
    checked = re.search(rf'name="{name}"[^>]*value="(\d)" checked', html)
    assert checked and int(checked.group(1)) == suggested.suggested_rating


def test_the_manager_overrides_with_a_reason_and_submits(client, org, appraisal):
    appraisal = self_submitted(appraisal)
    client = as_(client, org.manager)
    suggested = next(i for i in items_of(appraisal) if i.suggested_rating is not None)
    data = form_data(appraisal, rating=None)
    for item in items_of(appraisal):
        data[field_name(item, "rating")] = str(item.suggested_rating or 3)
    data[field_name(suggested, "rating")] = str(suggested.suggested_rating + 1)
    response = client.post(reverse("appraisal:review-submit", args=[appraisal.pk]), data)
    assert response.status_code == 400
    assert "say why" in response.content.decode()

    data[field_name(suggested, "override_reason")] = "Delivered beyond the measure"
    response = client.post(reverse("appraisal:review-submit", args=[appraisal.pk]), data)
    assert response.status_code == 302
    appraisal = fresh(appraisal)
    assert appraisal.status == S.CALIBRATION and appraisal.final_score is not None


# --- The breakdown ----------------------------------------------------------------------------


def _reviewed(org, appraisal):
    from appraisal.services import assessment as services

    appraisal = self_submitted(appraisal)
    data = {
        i.pk: services.ItemInput(rating=n % 5 + 1, override_reason="Judged on the evidence")
        for n, i in enumerate(items_of(appraisal))
    }
    services.submit_manager_review(
        actor=org.manager.user, appraisal=appraisal, data=data, expected_version=appraisal.version
    )
    return fresh(appraisal)


@pytest.mark.parametrize(
    "role,status",
    [
        ("employee", 404),
        ("colleague", 404),
        ("manager", 200),
        ("skip", 200),
        ("outsider", 404),
        ("hr", 200),
    ],
)
def test_the_breakdown_per_role_before_release(client, org, appraisal, role, status):
    appraisal = _reviewed(org, appraisal)
    url = reverse("appraisal:appraisal-breakdown", args=[appraisal.pk])
    assert as_(client, getattr(org, role)).get(url).status_code == status


def test_the_breakdown_adds_up_to_the_final_score_and_the_employee_reads_it_once_released(
    client, org, appraisal
):
    appraisal = _reviewed(org, appraisal)
    type(appraisal).objects.filter(pk=appraisal.pk).update(released_at=timezone.now())
    response = as_(client, org.employee).get(
        reverse("appraisal:appraisal-breakdown", args=[appraisal.pk])
    )
    assert response.status_code == 200
    html = response.content.decode()
    contributions = [Decimal(v) for v in re.findall(r'data-contribution="\d+">([\d.]+)<', html)]
    final = Decimal(re.search(r'data-testid="final-score">([\d.]+)<', html).group(1))
    assert sum(contributions) == final == appraisal.final_score
    assert "Peer (360°) input has no ratings" in html  # re-weighted away, and said so


# --- Team appraisals --------------------------------------------------------------------------


def test_team_appraisals_lists_the_team_with_status_and_overdue(client, org, appraisal):
    response = as_(client, org.manager).get(reverse("appraisal:team-appraisals"))
    assert response.status_code == 200
    html = response.content.decode()
    assert org.employee.full_name in html and org.colleague.full_name in html
    assert org.outsider.full_name not in html
    assert 'data-overdue="1"' in html  # the factory cycle's appraisal deadline has passed


def test_team_appraisals_filters_by_status(client, org, appraisal):
    self_submitted(appraisal)
    url = reverse("appraisal:team-appraisals") + f"?status={S.MANAGER_REVIEW}"
    html = as_(client, org.manager).get(url).content.decode()
    assert org.employee.full_name in html and org.colleague.full_name not in html


def test_a_bad_filter_is_ignored_not_an_error(client, org):
    url = reverse("appraisal:team-appraisals") + "?status=nonsense&page=zz&cycle=abc"
    assert as_(client, org.manager).get(url).status_code == 200


def _grow_team(org, n):
    people = [
        make_employee(manager=org.manager, department=org.manager.department) for _ in range(n)
    ]
    enrol(org.cycle, *people)
    for person in people:
        make_goal(person, cycle=org.cycle, status=GoalStatus.APPROVED, weight=100)
    open_missing_appraisals(cycle=org.cycle)


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _computed_and_stored(client, url) -> tuple[int, int]:
    """The queries of the first request after a write to a table the team's scope reads
    (the scope computed and stored: perfcycle/rollups.py) and of the next (read back)."""
    Appraisal.objects.filter(pk=0).update(status=S.NOT_STARTED)  # moves the scope's stamp
    return _count(client, url), _count(client, url)


def test_team_appraisals_query_count_does_not_grow_with_the_team(client, org):
    """As many queries for a larger team, whether the team's scope is computed (the first
    request after a write) or read back stored (fewer), and within the budget."""
    client = as_(client, org.manager)
    url = reverse("appraisal:team-appraisals")
    _count(client, url)  # warm the per-process caches (nav layout)
    small = _computed_and_stored(client, url)
    _grow_team(org, 6)
    large = _computed_and_stored(client, url)
    computed, stored = large
    assert small == large and stored < computed <= 12


def test_the_team_list_follows_a_write_to_what_it_reads(client, org):
    """The stored scope is never stale: a status change, a new report and a renamed
    person (the order) are on the next request."""
    client = as_(client, org.skip)
    url = reverse("appraisal:team-appraisals")
    client.get(url)
    stored = _listed(client.get(url).content.decode())
    colleague = appraisal_of(org, org.colleague)
    Appraisal.objects.filter(pk=colleague.pk).update(status=S.MANAGER_REVIEW)
    html = client.get(url).content.decode()
    assert 'data-count="manager_review">1<' in html
    assert _listed(html)[0] == colleague.pk  # the most urgent first
    _grow_team(org, 1)
    assert len(_listed(client.get(url).content.decode())) == len(stored) + 1
    org.employee.user.last_name = "Aaaa"
    org.employee.user.save(update_fields=["last_name"])
    first = _listed(client.get(url, {"status": S.NOT_STARTED}).content.decode())[0]
    assert first == appraisal_of(org, org.employee).pk


def _listed(html) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-appraisal="(\d+)"', html)]


def test_a_draft_saved_keeps_the_stored_team_list_a_status_change_does_not(client, org):
    """The team's scope reads the appraisals' status only (its own change rows): a draft
    saved (a version bump) leaves it stored, a move to another status computes it again."""
    from django.db.models import F

    client = as_(client, org.skip)
    url = reverse("appraisal:team-appraisals")
    computed, stored = _computed_and_stored(client, url)
    mine = Appraisal.objects.filter(pk=appraisal_of(org, org.employee).pk)
    mine.update(version=F("version") + 1)
    assert _count(client, url) == stored
    mine.update(status=S.SELF_ASSESSMENT)
    assert _count(client, url) == computed
    assert _count(client, url) == stored


@pytest.mark.parametrize("role", ["hr", "skip", "manager", "employee", "colleague", "outsider"])
def test_the_team_list_is_the_access_rule_per_role(client, org, role):
    """Whom the team list shows is perfcycle.access's rule (REVIEWER, NEXT_UP or CHAIN,
    the person's own left out), computed or read back stored: checked per role against
    ``relations_of`` (the rule's form for one participation), with a reviewer from
    outside the chain (the outsider reviews the employee)."""
    from appraisal.selectors.assessment import TEAM
    from perfcycle import access
    from perfcycle.models import Participation

    Participation.objects.filter(pk=org.participations[org.employee.pk].pk).update(
        reviewer=org.outsider
    )
    person = getattr(org, role)
    expected = sorted(
        a.pk
        for a in Appraisal.objects.select_related("participation__reviewer")
        if a.participation.employee_id != person.pk
        and access.relations_of(person.user, a.participation, TEAM) & TEAM
    )
    client = as_(client, person)
    url = reverse("appraisal:team-appraisals")
    computed = sorted(_listed(client.get(url).content.decode()))
    stored = sorted(_listed(client.get(url).content.decode()))
    assert computed == stored == expected
    assert (appraisal_of(org, org.employee).pk in expected) == (
        role in ("skip", "manager", "outsider")
    )


def test_a_long_team_list_is_paged_in_its_order_with_the_counts_of_the_whole_team(
    client, org, monkeypatch
):
    """The skip-level manager's list (everyone below, the chain at any depth) a page at a
    time: most urgent first (by status, then last name), every appraisal on exactly one
    page, the counts and the size of the whole list, past the end the last page."""
    from appraisal.models import Appraisal
    from appraisal.views import assessment as views

    _grow_team(org, 3)
    # A team's list up to PAGE_SIZE is one page; longer, it pages by the organisation's
    # page size (both made small here).
    monkeypatch.setattr(views, "PAGE_SIZE", 6)
    monkeypatch.setattr(views, "ORGANISATION_PAGE_SIZE", 2)
    client = as_(client, org.skip)
    url = reverse("appraisal:team-appraisals")
    team = Appraisal.objects.filter(participation__cycle=org.cycle).exclude(
        participation__employee__in=[org.skip, org.outsider]
    )
    team.filter(participation__employee=org.colleague).update(status=S.MANAGER_REVIEW)
    expected = list(
        team.order_by("status", "participation__employee__user__last_name", "pk").values_list(
            "pk", flat=True
        )
    )
    assert len(expected) == 6  # the manager, their 2 reports and the 3 added
    one = client.get(url).content.decode()
    assert _listed(one) == expected and "Page 1 of" not in one
    _grow_team(org, 1)
    expected = list(
        team.order_by("status", "participation__employee__user__last_name", "pk").values_list(
            "pk", flat=True
        )
    )
    pages = [client.get(url, {"page": n}).content.decode() for n in (1, 2, 3, 4)]
    assert [pk for html in pages for pk in _listed(html)] == expected
    assert "Page 1 of 4" in pages[0] and "Page 4 of 4" in pages[3]
    for html in pages:
        assert "(7)" in html  # the size of the whole list
        assert 'data-count="manager_review">1<' in html
        assert 'data-count="not_started">6<' in html
    assert _listed(client.get(url, {"page": 9}).content.decode()) == expected[6:]


def test_the_team_list_filters_by_status_overdue_and_whom_i_review(client, org):
    _grow_team(org, 2)
    client = as_(client, org.skip)
    url = reverse("appraisal:team-appraisals")
    every = _listed(client.get(url).content.decode())
    assert len(every) == 5
    mine = client.get(url, {"mine": "1"}).content.decode()
    assert _listed(mine) == [appraisal_of(org, org.manager).pk]  # the skip reviews the manager
    assert "(1)" in mine
    overdue = _listed(client.get(url, {"overdue": "1"}).content.decode())
    assert overdue == every  # past the factory cycle's deadline, none calibrated yet
    none = client.get(url, {"status": S.CALIBRATION}).content.decode()
    assert _listed(none) == [] and "(0)" in none
    # The manager's own appraisal is in the skip's list, not in the manager's own.
    own = _listed(as_(client, org.manager).get(url).content.decode())
    assert appraisal_of(org, org.manager).pk not in own and len(own) == 4


def test_team_appraisals_query_count_is_the_same_for_a_deep_chain(client, org):
    """The skip-level's list, every filter: as many queries with three levels below as
    with two, and within the budget."""
    client = as_(client, org.skip)
    url = reverse("appraisal:team-appraisals")
    filters = [{}, {"mine": "1"}, {"overdue": "1", "page": "2"}, {"status": S.NOT_STARTED}]
    _count(client, url)
    small = [
        _count(client, url + "?" + "&".join(f"{k}={v}" for k, v in f.items())) for f in filters
    ]
    below = make_employee(manager=org.employee, department=org.employee.department)
    enrol(org.cycle, below)
    make_goal(below, cycle=org.cycle, status=GoalStatus.APPROVED, weight=100)
    open_missing_appraisals(cycle=org.cycle)
    assert _count(client, url) <= 12  # the first after the writes: the scope computed
    large = [
        _count(client, url + "?" + "&".join(f"{k}={v}" for k, v in f.items())) for f in filters
    ]
    assert small == large and max(large) <= 12


def test_review_page_query_count_does_not_grow_with_goals_evidence_or_checkins(
    client, org, appraisal
):
    appraisal = self_submitted(appraisal)
    client = as_(client, org.manager)
    _count(client, detail(appraisal))
    small = _count(client, detail(appraisal))
    for n in range(3):
        goal = make_goal(
            org.employee, cycle=org.cycle, status=GoalStatus.APPROVED, weight=10, title=f"G{n}"
        )
        AppraisalItem.objects.create(
            appraisal=appraisal,
            kind="goal",
            section="goals",
            goal=goal,
            title=goal.title,
            weight=10,
            position=10 + n,
        )
        ProgressUpdate.objects.create(goal=goal, value=n, recorded_by=org.employee.user)
        evidence = make_evidence(appraisal.participation, goal=goal)
        ItemEvidence.objects.create(
            item=AppraisalItem.objects.get(goal=goal), evidence=evidence, cited_by="self"
        )
    large = _count(client, detail(appraisal))
    assert small == large <= 12


def test_my_appraisal_query_count_does_not_grow_with_goals_or_evidence(client, org, appraisal):
    """The self-assessment form: the same queries, at most 12, for more items and more
    evidence to cite."""
    client = as_(client, org.employee)
    url = reverse("appraisal:my-appraisal")
    _count(client, url)  # warm the per-process caches (nav layout)
    small = _count(client, url)
    for n in range(3):
        goal = make_goal(
            org.employee, cycle=org.cycle, status=GoalStatus.APPROVED, weight=10, title=f"G{n}"
        )
        AppraisalItem.objects.create(
            appraisal=appraisal,
            kind="goal",
            section="goals",
            goal=goal,
            title=goal.title,
            weight=10,
            position=10 + n,
        )
        make_evidence(appraisal.participation, goal=goal)
    large = _count(client, url)
    assert 'name="item_' in client.get(url).content.decode()  # the form, not a read-only page
    assert small == large <= 12


def test_the_checklists_escape_what_people_typed_and_keep_what_was_ticked(client, org, appraisal):
    """Evidence titles and level descriptors are escaped in the options written once per
    page; after a refused submit the ticked evidence and chosen rating stay ticked."""
    evidence = make_evidence(appraisal.participation, title="<script>x</script> & more")
    client = as_(client, org.employee)
    html = client.get(reverse("appraisal:my-appraisal")).content.decode()
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt; &amp; more" in html
    first, *rest = items_of(appraisal)
    data = form_data(appraisal, rating=None)
    data[field_name(first, "rating")] = "4"
    data[field_name(first, "evidence")] = [str(evidence.pk)]
    response = client.post(reverse("appraisal:self-submit", args=[appraisal.pk]), data)
    assert response.status_code == 400  # the other items are unrated
    html = response.content.decode()
    box = f'name="{field_name(first, "evidence")}" value="{evidence.pk}" id="id_{field_name(first, "evidence")}_{evidence.pk}" checked>'
    assert box in html
    radio = f'id="id_{field_name(first, "rating")}_4" value="4" checked data-level="4"'
    assert radio in html
    for item in rest:
        assert f'id="id_{field_name(item, "evidence")}_{evidence.pk}">' in html  # not ticked


# --- To-dos and the audit log ---------------------------------------------------------------


def test_home_pages_list_the_self_assessment_and_the_reviews_to_do(client, org, appraisal):
    html = as_(client, org.employee).get(reverse("my-home")).content.decode()
    assert "Complete your self-assessment" in html
    assert reverse("appraisal:my-appraisal") in html
    self_submitted(appraisal)
    html = as_(client, org.employee).get(reverse("my-home")).content.decode()
    assert "Complete your self-assessment" not in html
    html = as_(client, org.manager).get(reverse("team-home")).content.decode()
    assert "1 appraisal waits for your review" in html
    html = as_(client, org.skip).get(reverse("team-home")).content.decode()
    assert "waits for your review" not in html  # the skip-level reads, the reviewer acts


def test_the_audit_log_tells_what_happened_in_sentences(client, org, appraisal):
    self_submitted(appraisal)
    response = as_(client, org.hr).get(reverse("audit-list"))
    assert response.status_code == 200
    html = response.content.decode()
    link = f'<a href="{appraisal.get_absolute_url()}">{org.cycle.name}</a>'
    assert f"{org.employee.full_name} submitted their self-assessment in {link}" in html
    assert "Ratings:" in html
