"""Anonymity of peer input: no page, notification, error message or ordering the appraisee
can reach says who said what.

With 2 answers the appraisee sees nothing of them; with 3 only aggregates (means, counts,
comments sorted by their text). Every GET page the appraisee can reach (followed from
their home pages, link by link) is rendered and read: the peers' names appear on none but
the list of nominations they chose themselves, which shows no answer; the result page and
every notification name nobody."""

import html
import re

import pytest
from django.urls import reverse

from appraisal.models import PeerStatus
from appraisal.selectors.peer_input import nominations, result_for, reviews_with_peers
from appraisal.services import peers
from perfcycle.models import Notification
from tests.appraisal.peer_factories import answer, asked, peer_org

pytestmark = pytest.mark.django_db

# Answered in this order (Zelda, Yusuf, Xenia): neither by name nor by text.
ANSWERS = (
    ("Zelda", 5, "Might share plans earlier", "Zero fuss in a crisis"),
    ("Yusuf", 3, "Always unblocks others", "Keeps the team calm"),
    ("Xenia", 4, "Brings data to every debate", "Listens before deciding"),
)
HREF = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/accounts/logout", "/admin/", "/static/", "/media/", "/notifications/read-all")


def org_with(n_answers: int):
    org = peer_org(4)
    reviews = asked(org, org.peers[:3])
    by_name = {r.peer.user.first_name: r for r in reviews}
    for name, rating, item_comment, overall in ANSWERS[:n_answers]:
        answer(by_name[name], rating, item_comment, overall)
    org.reviews = reviews
    return org


def names(org):
    return [p.user.first_name for p in org.peers] + [p.user.last_name for p in org.peers]


def crawl(client, person, start=("/", "/me/")):
    """Every GET page reachable from ``start`` by links, as ``person``: {url: text}."""
    client.force_login(person.user)
    seen: dict[str, str] = {}
    todo = list(start)
    while todo and len(seen) < 80:
        url = todo.pop(0)
        if url in seen or url.startswith(SKIP):
            continue
        response = client.get(url, follow=True)
        assert response.status_code < 500, url
        text = response.content.decode() if response.status_code == 200 else ""
        seen[url] = html.unescape(text)
        for link in HREF.findall(text):
            link = html.unescape(link)
            if link not in seen and not link.startswith(SKIP):
                todo.append(link)
    return seen


def test_with_two_answers_the_appraisee_sees_nothing_of_them(client):
    org = org_with(2)
    result = result_for(org.employee.user, org.appraisal)
    assert not result.shown and result.items == [] and result.comments == []
    for url in (
        reverse("appraisal:peer-input"),
        reverse("appraisal:peer-result", args=[org.appraisal.pk]),
    ):
        client.force_login(org.employee.user)
        page = html.unescape(client.get(url).content.decode())
        assert "Peer input is shown when at least 3 colleagues have answered" in page
        for _name, _rating, item_comment, overall in ANSWERS:
            assert item_comment not in page and overall not in page
        assert 'data-testid="peer-means"' not in page


def test_with_two_answers_and_the_third_expired_still_nothing(client):
    org = org_with(2)
    due = org.reviews[0].due_date
    import datetime as dt

    assert peers.expire_peer_reviews(today=due + dt.timedelta(days=1)) == 1
    result = result_for(org.employee.user, org.appraisal)
    assert not result.shown
    assert not Notification.objects.filter(
        recipient=org.employee.user, title__contains="ready"
    ).exists()


def test_while_a_peer_is_still_to_answer_nothing_is_shown_even_from_three():
    """Aggregates that grow answer by answer would give each newcomer's answer away."""
    org = peer_org(4)
    reviews = asked(org)
    for review in reviews[:3]:
        answer(review, 4, "Fine")
    result = result_for(org.employee.user, org.appraisal)
    assert result.answered == 3 and not result.shown
    assert "every colleague asked" in result.withheld_reason


def test_with_three_answers_only_aggregates_in_an_order_that_reveals_nothing(client):
    org = org_with(3)
    result = result_for(org.employee.user, org.appraisal)
    assert result.shown and not result.attributed and result.answers == []
    (item,) = result.items
    assert item.count == 3 and str(item.mean) == "4.00"
    item_comments = [a[2] for a in ANSWERS]
    assert item.comments == sorted(item_comments, key=str.casefold)
    assert item.comments != item_comments  # not the order they were given in
    assert result.comments == sorted((a[3] for a in ANSWERS), key=str.casefold)
    client.force_login(org.employee.user)
    page = html.unescape(
        client.get(reverse("appraisal:peer-result", args=[org.appraisal.pk])).content.decode()
    )
    for word in names(org):
        assert word not in page
    positions = [page.index(c) for c in sorted(item_comments, key=str.casefold)]
    assert positions == sorted(positions)


def test_the_nomination_list_never_says_who_answered():
    org = org_with(2)
    states = {n.name: n.state for n in nominations(reviews_with_peers(org.appraisal))}
    assert set(states.values()) == {"asked"}  # answered and still-to-answer read the same
    assert len(states) == 3


def test_every_page_the_appraisee_reaches_keeps_answers_apart_from_names(client):
    org = org_with(3)
    pages = crawl(client, org.employee)
    assert reverse("appraisal:peer-input") in pages
    result_url = reverse("appraisal:peer-result", args=[org.appraisal.pk])
    pages.setdefault(result_url, html.unescape(client.get(result_url).content.decode()))
    pages.setdefault(
        reverse("notification-list"),
        html.unescape(client.get(reverse("notification-list")).content.decode()),
    )
    texts = [a[2] for a in ANSWERS] + [a[3] for a in ANSWERS]
    for url, page in pages.items():
        shows_answers = any(t in page for t in texts)
        shows_names = any(w in page for w in names(org))
        if url.split("?")[0] == reverse("appraisal:peer-input"):
            # The nominations the person chose, by name, and beside them only aggregates.
            block = page[page.index('data-testid="peer-result"') :]
            assert not any(w in block for w in names(org)), url
            nominations_block = page[page.index('data-testid="nominations"') :]
            nominations_block = nominations_block[: nominations_block.index("</ul>")]
            assert not any(t in nominations_block for t in texts)
            assert "answered" not in nominations_block.lower()
            continue
        assert not (shows_answers and shows_names), url
        if url in (result_url, reverse("notification-list")):
            assert not shows_names, url


def test_notifications_to_the_appraisee_never_name_a_peer():
    org = org_with(3)
    rows = list(
        Notification.objects.filter(recipient=org.employee.user).values_list("title", "body")
    )
    assert rows  # asked, then ready
    for title, body in rows:
        for word in names(org):
            assert word not in title and word not in body


def test_errors_the_appraisee_can_provoke_say_nothing_about_answers(client):
    """Nominating again after the peers were asked: the refusal names no one and says
    nothing about who answered."""
    org = org_with(2)
    client.force_login(org.employee.user)
    response = client.post(
        reverse("appraisal:peer-nominate", args=[org.appraisal.pk]), {"peers": [org.peers[3].pk]}
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    errors = page[page.index('data-testid="form-errors"') :]
    errors = errors[: errors.index("</div>")]
    assert "final" in errors
    for word in names(org):
        assert word not in errors


def test_a_peer_sees_only_their_own_answers(client):
    org = org_with(3)
    mine = next(r for r in org.reviews if r.peer.user.first_name == "Yusuf")
    client.force_login(mine.peer.user)
    page = html.unescape(
        client.get(reverse("appraisal:peer-questionnaire", args=[mine.pk])).content.decode()
    )
    assert "Always unblocks others" in page
    assert "Might share plans earlier" not in page and "Brings data" not in page
    for other in org.reviews:
        if other.pk != mine.pk:
            url = reverse("appraisal:peer-questionnaire", args=[other.pk])
            assert client.get(url).status_code == 404
    assert all(r.status == PeerStatus.ANSWERED for r in reviews_with_peers(org.appraisal))
