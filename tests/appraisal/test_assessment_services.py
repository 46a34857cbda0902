"""Self-assessment and manager review services: transitions allowed and refused, ratings
that are levels of the scale, evidence of this participation only, the submit rules and
concurrent saves (review lane)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from appraisal.models import AppraisalItem, AppraisalStatus, CitedBy, ItemEvidence
from appraisal.selectors.assessment import removal_blockers
from appraisal.services import assessment as services
from appraisal.services.assessment import AssessmentError, ItemInput, field_name
from appraisal.services.opening import settings_for
from perfcycle.models import AuditEvent, Cycle, Notification
from perfcycle.workflow import ConcurrentEditError
from tests.appraisal.factories import appraisal_of, open_org
from tests.appraisal.review_factories import (
    all_rated,
    fresh,
    items_of,
    make_evidence,
    self_submitted,
)

pytestmark = pytest.mark.django_db
S = AppraisalStatus


@pytest.fixture
def org():
    return open_org()


@pytest.fixture
def appraisal(org):
    return appraisal_of(org, org.employee)


def save_self(appraisal, data, *, actor=None, version=None):
    return services.save_self_assessment(
        actor=actor or appraisal.participation.employee.user,
        appraisal=appraisal,
        data=data,
        expected_version=fresh(appraisal).version if version is None else version,
    )


def review(org, appraisal, data, *, submit=False, actor=None):
    service = services.submit_manager_review if submit else services.save_manager_review
    return service(
        actor=actor or org.manager.user,
        appraisal=appraisal,
        data=data,
        expected_version=fresh(appraisal).version,
    )


# --- Self-assessment ----------------------------------------------------------------------


def test_first_draft_starts_the_self_assessment_and_keeps_ratings_comments_and_evidence(
    org, appraisal
):
    """The first save moves not started → self-assessment; what was typed is kept."""
    first, *_rest = items_of(appraisal)
    evidence = make_evidence(appraisal.participation, title="Release notes")
    save_self(appraisal, {first.pk: ItemInput(rating=4, comment="Shipped", evidence=[evidence.pk])})

    appraisal = fresh(appraisal)
    assert appraisal.status == S.SELF_ASSESSMENT
    assert appraisal.version == 2
    item = AppraisalItem.objects.get(pk=first.pk)
    assert (item.self_rating, item.self_comment) == (4, "Shipped")
    assert list(ItemEvidence.objects.filter(item=item).values_list("evidence_id", "cited_by")) == [
        (evidence.pk, CitedBy.SELF)
    ]
    assert AuditEvent.objects.filter(verb="appraisal.self_draft_saved").count() == 1


def test_a_later_draft_replaces_the_citations(org, appraisal):
    first = items_of(appraisal)[0]
    one = make_evidence(appraisal.participation)
    two = make_evidence(appraisal.participation)
    save_self(appraisal, {first.pk: ItemInput(rating=3, evidence=[one.pk])})
    save_self(appraisal, {first.pk: ItemInput(rating=3, evidence=[two.pk])})
    assert list(ItemEvidence.objects.filter(item=first).values_list("evidence_id", flat=True)) == [
        two.pk
    ]


@pytest.mark.parametrize("bad", [Decimal("5.9"), 0, 6, Decimal("NaN"), "4", 3.0, True])
def test_a_rating_that_is_not_a_level_is_refused_at_its_field(org, appraisal, bad):
    """5.9, 0, 6 (and anything not an int level) on a 1–5 scale: refused, nothing saved."""
    first = items_of(appraisal)[0]
    with pytest.raises(ValidationError) as refused:
        save_self(appraisal, {first.pk: ItemInput(rating=bad, comment="typed")})
    assert field_name(first, "rating") in refused.value.message_dict
    assert fresh(appraisal).status == S.NOT_STARTED
    assert AppraisalItem.objects.get(pk=first.pk).self_comment == ""


def test_evidence_of_someone_else_cannot_be_cited(org, appraisal):
    first = items_of(appraisal)[0]
    theirs = make_evidence(org.participations[org.colleague.pk])
    with pytest.raises(ValidationError) as refused:
        save_self(appraisal, {first.pk: ItemInput(rating=3, evidence=[theirs.pk])})
    assert "own log" in refused.value.message_dict[field_name(first, "evidence")][0]
    assert not ItemEvidence.objects.exists()


def test_an_item_of_another_appraisal_is_refused(org, appraisal):
    other = items_of(appraisal_of(org, org.colleague))[0]
    with pytest.raises(AssessmentError):
        save_self(appraisal, {other.pk: ItemInput(rating=3)})


@pytest.mark.parametrize("who", ["colleague", "manager", "skip", "hr", "outsider"])
def test_only_the_person_self_assesses(org, appraisal, who):
    actor = getattr(org, who).user
    with pytest.raises(PermissionDenied):
        save_self(appraisal, all_rated(appraisal), actor=actor)


def test_submit_needs_every_item_rated_and_names_the_missing_ones(org, appraisal):
    items = items_of(appraisal)
    data = all_rated(appraisal)
    data[items[1].pk] = ItemInput(rating=None, comment="not sure yet")
    with pytest.raises(ValidationError) as refused:
        services.submit_self_assessment(
            actor=org.employee.user, appraisal=appraisal, data=data, expected_version=1
        )
    assert list(refused.value.message_dict) == [field_name(items[1], "rating")]
    assert fresh(appraisal).status == S.NOT_STARTED


def test_submit_hands_it_to_the_reviewer_and_locks_it(org, appraisal):
    appraisal = self_submitted(appraisal)
    assert appraisal.status == S.MANAGER_REVIEW
    assert appraisal.self_submitted_at is not None
    note = Notification.objects.get(recipient=org.manager.user)
    assert org.employee.full_name in note.title
    assert note.url == appraisal.get_absolute_url()
    with pytest.raises(AssessmentError, match="submitted, so it can no longer be changed"):
        save_self(appraisal, all_rated(appraisal, 5))
    assert {i.self_rating for i in items_of(appraisal)} == {3}


def test_self_assessment_only_in_the_appraisal_phase(org, appraisal):
    Cycle.objects.filter(pk=org.cycle.pk).update(phase=Cycle.Phase.FEEDBACK)
    with pytest.raises(AssessmentError, match="appraisal phase"):
        save_self(appraisal, all_rated(appraisal))


def test_two_concurrent_saves_give_one_conflict_and_lose_nothing(org, appraisal):
    """Two tabs loaded at version 1: the first save wins, the second is refused."""
    first = items_of(appraisal)[0]
    save_self(appraisal, {first.pk: ItemInput(rating=4, comment="tab one")}, version=1)
    with pytest.raises(ConcurrentEditError, match="Reload the page"):
        save_self(appraisal, {first.pk: ItemInput(rating=2, comment="tab two")}, version=1)
    item = AppraisalItem.objects.get(pk=first.pk)
    assert (item.self_rating, item.self_comment) == (4, "tab one")


def test_a_save_without_a_version_is_refused(org, appraisal):
    with pytest.raises(ConcurrentEditError):
        services.save_self_assessment(
            actor=org.employee.user, appraisal=appraisal, data={}, expected_version=None
        )


# --- Manager review -----------------------------------------------------------------------


def test_the_manager_review_waits_for_the_self_assessment(org, appraisal):
    with pytest.raises(AssessmentError, match="not been submitted yet"):
        review(org, appraisal, all_rated(appraisal))


@pytest.mark.parametrize("who", ["employee", "colleague", "skip", "hr", "outsider"])
def test_only_the_reviewer_rates_as_manager(org, appraisal, who):
    appraisal = self_submitted(appraisal)
    with pytest.raises(PermissionDenied):
        review(org, appraisal, all_rated(appraisal), actor=getattr(org, who).user)


def _suggested(appraisal):
    return next(i for i in items_of(appraisal) if i.suggested_rating is not None)


def test_overriding_the_suggested_rating_needs_a_reason(org, appraisal):
    appraisal = self_submitted(appraisal)
    item = _suggested(appraisal)
    data = {i.pk: ItemInput(rating=i.suggested_rating or 3) for i in items_of(appraisal)}
    data[item.pk] = ItemInput(rating=item.suggested_rating + 1)
    with pytest.raises(ValidationError) as refused:
        review(org, appraisal, data, submit=True)
    assert list(refused.value.message_dict) == [field_name(item, "override_reason")]
    assert fresh(appraisal).status == S.MANAGER_REVIEW

    data[item.pk] = ItemInput(
        rating=item.suggested_rating + 1, override_reason="Saved a key client"
    )
    appraisal = review(org, appraisal, data, submit=True)
    assert appraisal.status == S.CALIBRATION
    assert AppraisalItem.objects.get(pk=item.pk).override_reason == "Saved a key client"


def test_a_rating_in_the_evidence_band_needs_cited_evidence_from_either_side(org, appraisal):
    settings = settings_for(org.cycle)
    settings.evidence_required_at_or_above = 5
    settings.save()
    items = items_of(appraisal)
    target = next(i for i in items if i.suggested_rating is None)
    own = make_evidence(appraisal.participation)
    appraisal = self_submitted(appraisal)
    data = {i.pk: ItemInput(rating=i.suggested_rating or 3) for i in items}
    data[target.pk] = ItemInput(rating=5)
    with pytest.raises(ValidationError) as refused:
        review(org, appraisal, data, submit=True)
    assert list(refused.value.message_dict) == [field_name(target, "evidence")]

    data[target.pk] = ItemInput(rating=5, evidence=[own.pk])  # the manager cites it
    assert review(org, appraisal, data, submit=True).status == S.CALIBRATION


def test_manager_submit_sets_the_proposed_score_and_band_and_tells_the_person(org, appraisal):
    appraisal = self_submitted(appraisal)
    data = {
        i.pk: ItemInput(rating=4, override_reason="Above the rule") for i in items_of(appraisal)
    }
    appraisal = review(org, appraisal, data, submit=True)
    assert appraisal.status == S.CALIBRATION
    # Every rated item 4, the peer section (nobody answered) re-weighted away: 4.00.
    assert appraisal.proposed_score == appraisal.final_score == Decimal("4.00")
    assert appraisal.final_band == "Exceeds"
    assert appraisal.manager_submitted_by == org.manager.user
    assert Notification.objects.filter(recipient=org.employee.user).count() == 1
    assert AuditEvent.objects.filter(verb="appraisal.review_submitted").count() == 1
    with pytest.raises(AssessmentError, match="can no longer be changed"):
        review(org, appraisal, data)


def test_a_manager_draft_keeps_partial_ratings(org, appraisal):
    appraisal = self_submitted(appraisal)
    first = items_of(appraisal)[0]
    review(org, appraisal, {first.pk: ItemInput(rating=2, comment="Draft thought")})
    item = AppraisalItem.objects.get(pk=first.pk)
    assert (item.manager_rating, item.manager_comment) == (2, "Draft thought")
    assert fresh(appraisal).status == S.MANAGER_REVIEW


def test_a_manager_rating_outside_the_scale_is_refused(org, appraisal):
    appraisal = self_submitted(appraisal)
    first = items_of(appraisal)[0]
    with pytest.raises(ValidationError) as refused:
        review(org, appraisal, {first.pk: ItemInput(rating=Decimal("5.9"))})
    assert field_name(first, "rating") in refused.value.message_dict


# --- Removal guard --------------------------------------------------------------------------


def test_a_participant_with_ratings_cannot_be_removed(org, appraisal):
    assert removal_blockers(appraisal.participation) == []
    save_self(appraisal, {items_of(appraisal)[0].pk: ItemInput(rating=3)})
    assert removal_blockers(appraisal.participation) == ["has an appraisal with ratings"]
