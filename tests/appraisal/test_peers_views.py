"""Peer input pages: per role per view (out of scope is 404), the flow through the
browser's requests, bad input answered 4xx at the field (never 500), and list pages in a
fixed number of queries, however many peers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import PeerRating, PeerReview, PeerStatus
from appraisal.services import peers
from appraisal.services.opening import settings_for
from tests.appraisal.factories import appraisal_of
from tests.appraisal.peer_factories import answer, approve_all, asked, nominate, peer_org

pytestmark = pytest.mark.django_db
MAX_QUERIES = 12


def client_for(client, person):
    client.force_login(person.user)
    return client


def status(client, person, url, method="get", data=None):
    client.force_login(person.user)
    response = getattr(client, method)(url, data or {})
    return response.status_code


# --- Per role, per view ----------------------------------------------------------------------


@pytest.fixture
def org():
    org = peer_org(4)
    org.reviews = asked(org, org.peers[:3])
    return org


def test_the_result_page_is_for_the_readers_of_the_appraisal_only(client, org):
    url = reverse("appraisal:peer-result", args=[org.appraisal.pk])
    expected = {
        "employee": 200,
        "manager": 200,
        "skip": 200,
        "hr": 200,
        "colleague": 404,
        "outsider": 404,
    }
    for role, code in expected.items():
        assert status(client, getattr(org, role), url) == code, role
    for peer in org.peers:
        assert status(client, peer, url) == 404


def test_a_questionnaire_is_for_its_peer_only(client, org):
    review = org.reviews[0]
    url = reverse("appraisal:peer-questionnaire", args=[review.pk])
    assert status(client, review.peer, url) == 200
    for person in (
        org.employee,
        org.manager,
        org.skip,
        org.hr,
        org.colleague,
        org.outsider,
        org.reviews[1].peer,
        org.peers[3],
    ):
        assert status(client, person, url) == 404, person
        assert status(client, person, url, "post", {"version": review.version}) == 404


def test_a_peer_reaches_no_page_of_the_appraisal(client, org):
    """Every appraisal URL that takes the appraisal's id (this part's and the others',
    once merged) is a 404 for a peer."""
    from appraisal.urls import urlpatterns

    peer = org.reviews[0].peer
    answer(org.reviews[0])
    client.force_login(peer.user)
    for pattern in urlpatterns:
        if "<int:pk>" not in str(pattern.pattern) or pattern.name in (
            "peer-questionnaire",
            "peer-decide",
        ):
            continue
        url = reverse(f"appraisal:{pattern.name}", args=[org.appraisal.pk])
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {}).status_code == 404, url


def test_the_approval_page_is_for_reviewers_and_hr(client, org):
    url = reverse("appraisal:peer-approvals")
    assert status(client, org.manager, url) == 200
    assert status(client, org.hr, url) == 200
    for person in (org.employee, org.colleague, org.outsider, org.peers[0]):
        assert status(client, person, url) == 404, person


def test_deciding_and_asking_are_for_the_reviewer_and_hr(client):
    org = peer_org(3)
    review = nominate(org)[0]
    decide = reverse("appraisal:peer-decide", args=[review.pk])
    ask = reverse("appraisal:peer-ask", args=[org.appraisal.pk])
    data = {"decision": "approve", "version": review.version}
    for person in (org.employee, org.colleague, org.outsider, org.peers[1], org.skip):
        assert status(client, person, decide, "post", data) == 404, person
        assert status(client, person, ask, "post") == 404, person
    assert status(client, org.hr, decide, "post", data) == 302
    assert PeerReview.objects.get(pk=review.pk).status == PeerStatus.APPROVED


def test_nominating_is_for_the_appraisee_only(client):
    org = peer_org(3)
    url = reverse("appraisal:peer-nominate", args=[org.appraisal.pk])
    data = {"peers": [p.pk for p in org.peers]}
    for person in (org.manager, org.hr, org.colleague, org.outsider, org.peers[0]):
        assert status(client, person, url, "post", data) == 404, person
    assert status(client, org.employee, url, "post", data) == 302
    assert PeerReview.objects.filter(appraisal=org.appraisal).count() == 3


def test_get_is_not_allowed_on_actions(client, org):
    for name, pk in (
        ("peer-nominate", org.appraisal.pk),
        ("peer-ask", org.appraisal.pk),
        ("peer-decide", org.reviews[0].pk),
    ):
        assert status(client, org.manager, reverse(f"appraisal:{name}", args=[pk])) == 405


# --- The flow through the pages ----------------------------------------------------------------


def test_the_whole_flow_through_the_pages(client):
    org = peer_org(3)
    c = client_for(client, org.employee)
    page = c.get(reverse("appraisal:peer-input"))
    assert page.status_code == 200
    for peer in org.peers:
        assert peer.full_name in page.content.decode()  # the colleague list of the department
    response = c.post(
        reverse("appraisal:peer-nominate", args=[org.appraisal.pk]),
        {"peers": [p.pk for p in org.peers]},
    )
    assert response.status_code == 302
    c = client_for(client, org.manager)
    page = c.get(reverse("appraisal:peer-approvals")).content.decode()
    assert "needs 3 to 5" in page
    for review in PeerReview.objects.filter(appraisal=org.appraisal):
        response = c.post(
            reverse("appraisal:peer-decide", args=[review.pk]),
            {"decision": "approve", "version": review.version},
        )
        assert response.status_code == 302
    assert c.post(reverse("appraisal:peer-ask", args=[org.appraisal.pk])).status_code == 302
    review = PeerReview.objects.filter(appraisal=org.appraisal).first()
    item = peers.peer_items(org.appraisal)[0]
    c = client_for(client, review.peer)
    listing = c.get(reverse("appraisal:peer-requests")).content.decode()
    assert org.employee.full_name in listing
    form = c.get(reverse("appraisal:peer-questionnaire", args=[review.pk])).content.decode()
    assert "What outstanding looks like." in form  # the scale's descriptors beside the rating
    response = c.post(
        reverse("appraisal:peer-questionnaire", args=[review.pk]),
        {"version": review.version, f"rating_{item.pk}": "4", f"comment_{item.pk}": "Kind"},
    )
    assert response.status_code == 302
    assert PeerRating.objects.get(review=review).rating == 4
    given = c.get(reverse("appraisal:peer-questionnaire", args=[review.pk])).content.decode()
    assert 'data-testid="what-i-gave"' in given and "Kind" in given
    assert c.post(
        reverse("appraisal:peer-questionnaire", args=[review.pk]),
        {"version": review.version + 1, f"rating_{item.pk}": "5"},
    ).status_code in (400, 409)
    assert PeerRating.objects.get(review=review).rating == 4


# --- Bad input: 4xx at the field, never 500 ----------------------------------------------------------


def test_nominating_oneself_or_the_manager_is_refused_at_the_field(client):
    org = peer_org(3)
    c = client_for(client, org.employee)
    url = reverse("appraisal:peer-nominate", args=[org.appraisal.pk])
    for person, words in ((org.employee, "yourself"), (org.manager, "your manager")):
        response = c.post(url, {"peers": [person.pk]})
        assert response.status_code == 400
        assert words in response.content.decode()
        assert 'data-testid="peers-error"' in response.content.decode()
    assert not PeerReview.objects.exists()


@pytest.mark.parametrize("value", ["abc", "999999", "", "1.5", "-3"])
def test_nonsense_nominations_are_400(client, value):
    org = peer_org(3)
    c = client_for(client, org.employee)
    response = c.post(
        reverse("appraisal:peer-nominate", args=[org.appraisal.pk]), {"peers": [value]}
    )
    assert response.status_code == 400
    assert not PeerReview.objects.exists()


@pytest.mark.parametrize("value", ["5.9", "6", "0", "", "x", "４"])
def test_ratings_outside_the_scale_are_400_at_the_field(client, org, value):
    review = org.reviews[0]
    item = peers.peer_items(org.appraisal)[0]
    c = client_for(client, review.peer)
    response = c.post(
        reverse("appraisal:peer-questionnaire", args=[review.pk]),
        {"version": review.version, f"rating_{item.pk}": value},
    )
    assert response.status_code == 400
    assert 'data-testid="form-errors"' in response.content.decode()
    assert not PeerRating.objects.exists()


def test_a_bad_decision_or_version_is_4xx(client):
    org = peer_org(3)
    review = nominate(org)[0]
    c = client_for(client, org.manager)
    url = reverse("appraisal:peer-decide", args=[review.pk])
    assert c.post(url, {"decision": "maybe", "version": review.version}).status_code == 400
    assert c.post(url, {"decision": "approve", "version": "x"}).status_code == 400
    assert c.post(url, {"decision": "approve", "version": review.version + 3}).status_code == 409
    assert PeerReview.objects.get(pk=review.pk).status == PeerStatus.NOMINATED


def test_asking_too_early_says_how_many_are_missing(client):
    org = peer_org(3)
    first = nominate(org)[0]
    peers.decide_nomination(
        review=first, approve=True, actor=org.manager.user, expected_version=first.version
    )
    c = client_for(client, org.manager)
    response = c.post(reverse("appraisal:peer-ask", args=[org.appraisal.pk]))
    assert response.status_code == 400
    assert "Approve 2 more peers" in response.content.decode()


def test_answering_after_the_deadline_is_refused_not_500(client, org):
    review = org.reviews[0]
    PeerReview.objects.filter(pk=review.pk).update(due_date=review.due_date.replace(year=2020))
    item = peers.peer_items(org.appraisal)[0]
    c = client_for(client, review.peer)
    page = c.get(reverse("appraisal:peer-questionnaire", args=[review.pk]))
    assert 'data-testid="closed"' in page.content.decode()
    response = c.post(
        reverse("appraisal:peer-questionnaire", args=[review.pk]),
        {"version": review.version, f"rating_{item.pk}": "3"},
    )
    assert response.status_code == 400
    assert not PeerRating.objects.exists()


# --- Query counts ---------------------------------------------------------------------------------


def queries(client, person, url) -> int:
    client.force_login(person.user)
    client.get(url)  # warm the per-process caches (the bar's layout)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def pages_of(org, person, appraisal, review):
    return [
        (person, reverse("appraisal:peer-input")),
        (person, reverse("appraisal:peer-result", args=[appraisal.pk])),
        (org.manager, reverse("appraisal:peer-approvals")),
        (org.manager, reverse("appraisal:peer-result", args=[appraisal.pk])),
        (org.hr, reverse("appraisal:peer-approvals")),
        (review.peer, reverse("appraisal:peer-requests")),
        (review.peer, reverse("appraisal:peer-questionnaire", args=[review.pk])),
        # The home pages, with this part's to-dos.
        (person, reverse("my-home")),
        (org.manager, reverse("team-home")),
        (review.peer, reverse("my-home")),
    ]


def test_list_pages_take_a_fixed_number_of_queries(client):
    """The employee's 3 peers against the colleague's 6 (and more rows on every list)."""
    org = peer_org(6)
    small_reviews = asked(org, org.peers[:3])
    for review in small_reviews:
        answer(review, 3, f"Comment {review.pk}")
    small = [
        queries(client, *page)
        for page in pages_of(org, org.employee, org.appraisal, small_reviews[0])
    ]
    other = appraisal_of(org, org.colleague)
    rules = settings_for(org.cycle)
    rules.peer_max = 6
    rules.save()
    peers.nominate_peers(appraisal=other, peers=org.peers, actor=org.colleague.user)
    for review in PeerReview.objects.filter(appraisal=other):
        peers.decide_nomination(
            review=review, approve=True, actor=org.manager.user, expected_version=review.version
        )
    peers.ask_peers(appraisal=other, actor=org.manager.user)
    large_reviews = list(PeerReview.objects.filter(appraisal=other).order_by("pk"))
    for review in large_reviews:
        answer(review, 4, f"Comment {review.pk}")
    large = [
        queries(client, *page) for page in pages_of(org, org.colleague, other, large_reviews[0])
    ]
    assert small == large
    assert max(small) <= MAX_QUERIES, small


def test_manager_sees_names_only_when_the_cycle_says_so(client, org):
    for review in org.reviews:
        answer(review, 4, f"Said by {review.peer.user.first_name}")
    url = reverse("appraisal:peer-result", args=[org.appraisal.pk])
    page = client_for(client, org.manager).get(url).content.decode()
    assert not any(p.full_name in page for p in org.peers)
    rules = settings_for(org.cycle)
    rules.peers_attributed_to_manager = True
    rules.save()
    page = client_for(client, org.manager).get(url).content.decode()
    assert all(r.peer.full_name in page for r in org.reviews)
    page = client_for(client, org.employee).get(url).content.decode()
    assert not any(p.full_name in page for p in org.peers)
    page = client_for(client, org.skip).get(url).content.decode()
    assert not any(p.full_name in page for p in org.peers)


def test_approve_all_helper_leaves_nothing_nominated():
    org = peer_org(3)
    nominate(org)
    approve_all(org)
    assert not PeerReview.objects.filter(status=PeerStatus.NOMINATED).exists()


# --- To-dos -------------------------------------------------------------------------------------


def todo_titles(person):
    from perfcycle.stages import Viewer, registry

    return [(t.title, t.due) for t in registry.todos(Viewer.of(person.user))]


def test_todos_nominate_then_approve_then_answer_by_the_due_date():
    org = peer_org(3)
    assert any("Nominate colleagues" in title for title, _due in todo_titles(org.employee))
    nominate(org)
    assert not any("Nominate colleagues" in t for t, _d in todo_titles(org.employee))
    assert any("3 peer nominations to approve" in t for t, _d in todo_titles(org.manager))
    approve_all(org)
    assert not any("peer nominations" in t for t, _d in todo_titles(org.manager))
    peers.ask_peers(appraisal=org.appraisal, actor=org.manager.user)
    due = settings_for(org.cycle).peer_deadline
    mine = [(t, d) for t, d in todo_titles(org.peers[0]) if "Give peer input" in t]
    assert mine == [(f"Give peer input on {org.employee.full_name}'s appraisal", due)]
    answer(PeerReview.objects.get(peer=org.peers[0]))
    assert not any("Give peer input" in t for t, _d in todo_titles(org.peers[0]))
