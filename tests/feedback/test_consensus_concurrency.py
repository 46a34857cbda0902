"""The same answer sent from two tabs at once, and two disputes of one appraisal decided at
once, from two database connections: the row locks order them, the versions refuse the
stale one, and the score is worked out from both changes."""

import pytest

from appraisal.models import Appraisal, RatingRevision
from appraisal.selectors.breakdown import breakdown_for
from feedback.models import Dispute
from feedback.services import consensus as services
from perfcycle.workflow import DomainError
from tests.feedback.consensus_factories import hold_interview, items_of
from tests.feedback.factories import released_org
from tests.workers import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def _outcome(call):
    try:
        call()
    except DomainError as error:
        return type(error).__name__
    return "done"


def test_the_same_disagreement_from_two_tabs_opens_one_dispute():
    org = released_org()
    ack = hold_interview(org)
    item = items_of(org)[0]

    def send():
        return _outcome(
            lambda: services.disagree_with_items(
                actor=org.employee.user,
                acknowledgement_id=ack.pk,
                reasons={item.pk: "I led it."},
                expected_version=ack.version,
            )
        )

    assert sorted(run_at_once(send)) == ["ConcurrentEditError", "done"]
    assert Dispute.objects.filter(item=item).count() == 1


def test_two_disputes_of_one_appraisal_changed_at_once_both_count():
    org = released_org()
    ack = hold_interview(org)
    first, second, *_ = items_of(org)
    services.disagree_with_items(
        actor=org.employee.user,
        acknowledgement_id=ack.pk,
        reasons={first.pk: "One.", second.pk: "Two."},
        expected_version=ack.version,
    )
    disputes = list(Dispute.objects.order_by("pk"))
    calls = iter(disputes)

    def decide():
        dispute = next(calls)
        return _outcome(
            lambda: services.resolve_dispute(
                actor=org.skip.user,
                dispute_id=dispute.pk,
                decision=services.Decision(change=True, rating=4, resolution="Yes."),
                expected_version=dispute.version,
            )
        )

    assert run_at_once(decide) == ["done", "done"]
    assert RatingRevision.objects.count() == 2
    appraisal = Appraisal.objects.get(pk=ack.appraisal_id)
    assert appraisal.final_score == breakdown_for(appraisal).final_score
    assert appraisal.final_score > 2
