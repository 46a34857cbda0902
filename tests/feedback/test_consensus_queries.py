"""The consensus pages take the same number of queries with 2 disputes as with 8, within
the daily-page budget."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedback.services import consensus as services
from tests.feedback.consensus_factories import hold_interview, items_of
from tests.feedback.factories import released_org

pytestmark = pytest.mark.django_db
BUDGET = 12


def count(client, person, url) -> int:
    client.force_login(person.user)
    client.get(url)  # warm the session and the per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def dispute(org, person, ack, items):
    ack.refresh_from_db()
    return services.disagree_with_items(
        actor=person.user,
        acknowledgement_id=ack.pk,
        reasons={item.pk: "I disagree." for item in items},
        expected_version=ack.version,
    )


def pages(org, first):
    return [
        (org.employee, reverse("feedback:consensus-mine")),
        (org.skip, reverse("feedback:consensus-team")),
        (org.manager, reverse("feedback:consensus-team")),
        (org.skip, reverse("feedback:consensus-dispute", args=[first.pk])),
        (org.employee, reverse("feedback:consensus-dispute", args=[first.pk])),
        (org.hr, reverse("feedback:consensus-hr")),
    ]


def test_consensus_pages_do_not_grow_with_disputes(client):
    org = released_org()
    mine = hold_interview(org)
    theirs = hold_interview(org, org.colleague)
    my_items, their_items = items_of(org), items_of(org, org.colleague)
    (first,) = dispute(org, org.employee, mine, my_items[:1])
    dispute(org, org.colleague, theirs, their_items[:1])
    small = [count(client, person, url) for person, url in pages(org, first)]
    dispute(org, org.employee, mine, my_items[1:])
    dispute(org, org.colleague, theirs, their_items[1:])
    assert len(my_items) + len(their_items) == 8
    large = [count(client, person, url) for person, url in pages(org, first)]
    assert small == large
    assert max(small) <= BUDGET, small
