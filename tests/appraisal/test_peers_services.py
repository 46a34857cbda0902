"""Peer input services: nominate, approve or decline, ask, answer, expire; every move of
PeerReview.TRANSITIONS allowed and refused, and the means used for scoring."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from appraisal.models import PeerRating, PeerReview, PeerStatus
from appraisal.selectors.peer_input import peer_means
from appraisal.services import peers
from appraisal.services.opening import settings_for
from goals.models import SectionKind
from perfcycle.models import AuditEvent, Cycle, Notification
from perfcycle.workflow import ConcurrentEditError
from tests.appraisal.factories import appraisal_of
from tests.appraisal.peer_factories import answer, approve_all, asked, nominate, peer_org
from tests.factories import make_employee

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def field_errors(excinfo, name="peers"):
    return " ".join(excinfo.value.message_dict[name])


# --- Nominate ------------------------------------------------------------------------------


def test_the_appraisee_nominates_colleagues_and_the_reviewer_hears():
    org = peer_org(3)
    created = nominate(org)
    assert [r.status for r in created] == [PeerStatus.NOMINATED] * 3
    assert AuditEvent.objects.filter(verb="appraisal.peers_nominated").count() == 1
    titles = list(
        Notification.objects.filter(recipient=org.manager.user).values_list("title", flat=True)
    )
    assert len(titles) == 1 and "nominated 3 colleagues" in titles[0]


def test_nominating_oneself_is_refused_at_the_field():
    org = peer_org(3)
    with pytest.raises(ValidationError) as excinfo:
        nominate(org, [org.employee, org.peers[0]])
    assert "yourself" in field_errors(excinfo)
    assert not PeerReview.objects.exists()


def test_nominating_the_manager_is_refused_at_the_field():
    org = peer_org(3)
    with pytest.raises(ValidationError) as excinfo:
        nominate(org, [org.manager])
    assert "manager" in field_errors(excinfo)
    assert not PeerReview.objects.exists()


def test_inactive_people_and_duplicates_are_refused():
    org = peer_org(3)
    gone = make_employee(department=org.employee.department, is_active=False)
    with pytest.raises(ValidationError) as excinfo:
        nominate(org, [gone, org.peers[0], org.peers[0]])
    assert "no longer an active employee" in field_errors(excinfo)
    assert "already nominated" in field_errors(excinfo)
    nominate(org, [org.peers[0]])
    with pytest.raises(ValidationError) as excinfo:
        nominate(org, [org.peers[0]])
    assert "already nominated" in field_errors(excinfo)


def test_at_most_peer_max_colleagues():
    org = peer_org(6)
    with pytest.raises(ValidationError) as excinfo:
        nominate(org)
    assert "at most 5" in field_errors(excinfo)
    assert not PeerReview.objects.exists()


def test_declined_nominations_do_not_count_against_the_maximum():
    org = peer_org(6)
    nominate(org, org.peers[:5])
    first = PeerReview.objects.filter(appraisal=org.appraisal).first()
    peers.decide_nomination(
        review=first, approve=False, actor=org.manager.user, expected_version=first.version
    )
    nominate(org, [org.peers[5]])
    assert PeerReview.objects.exclude(status=PeerStatus.DECLINED).count() == 5


def test_only_the_appraisee_nominates():
    org = peer_org(3)
    for actor in (org.manager, org.colleague, org.hr, org.peers[0]):
        with pytest.raises(PermissionDenied):
            peers.nominate_peers(appraisal=org.appraisal, peers=org.peers, actor=actor.user)


def test_no_nominations_without_a_peer_section():
    org = peer_org(
        3, template_sections=[(SectionKind.GOALS, 80, 0), (SectionKind.COMPETENCIES, 20, 1)]
    )
    with pytest.raises(peers.PeerError, match="no peer section"):
        nominate(org)


def test_no_nominations_outside_the_appraisal_phase():
    org = peer_org(3)
    Cycle.objects.filter(pk=org.cycle.pk).update(phase=Cycle.Phase.FEEDBACK)
    with pytest.raises(peers.PeerError, match="only during appraisal"):
        nominate(org)


def test_no_nominations_once_the_peers_are_asked():
    org = peer_org(4)
    asked(org, org.peers[:3])
    with pytest.raises(peers.PeerError, match="final"):
        nominate(org, [org.peers[3]])


# --- Approve, decline, ask -----------------------------------------------------------------------


def test_the_reviewer_approves_and_declines_once():
    org = peer_org(3)
    first, second, _third = nominate(org)
    peers.decide_nomination(
        review=first, approve=True, actor=org.manager.user, expected_version=first.version
    )
    peers.decide_nomination(
        review=second, approve=False, actor=org.hr.user, expected_version=second.version
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == PeerStatus.APPROVED and first.decided_by == org.manager.user
    assert second.status == PeerStatus.DECLINED
    for review in (first, second):
        with pytest.raises(peers.PeerError, match="already decided"):
            peers.decide_nomination(
                review=review, approve=True, actor=org.manager.user, expected_version=review.version
            )


def test_a_stale_decision_is_a_conflict():
    org = peer_org(3)
    first = nominate(org)[0]
    with pytest.raises(ConcurrentEditError):
        peers.decide_nomination(
            review=first, approve=True, actor=org.manager.user, expected_version=first.version + 1
        )


def test_only_the_reviewer_or_hr_decides():
    org = peer_org(3)
    first = nominate(org)[0]
    for actor in (org.employee, org.colleague, org.outsider, org.peers[0]):
        with pytest.raises(PermissionDenied):
            peers.decide_nomination(
                review=first, approve=True, actor=actor.user, expected_version=first.version
            )


def test_asking_needs_the_minimum_and_says_how_many_are_missing():
    org = peer_org(3)
    first, *_rest = nominate(org)
    peers.decide_nomination(
        review=first, approve=True, actor=org.manager.user, expected_version=first.version
    )
    with pytest.raises(peers.PeerError, match="Approve 2 more peers"):
        peers.ask_peers(appraisal=org.appraisal, actor=org.manager.user)


def test_asked_peers_hear_with_the_due_date_and_the_appraisee_gets_only_a_count():
    org = peer_org(3)
    reviews = asked(org)
    due = settings_for(org.cycle).peer_deadline
    assert {r.due_date for r in reviews} == {due}
    for peer in org.peers:
        (title,) = Notification.objects.filter(recipient=peer.user).values_list("title", flat=True)
        assert "peer input is asked" in title
    mine = " ".join(
        Notification.objects.filter(recipient=org.employee.user)
        .values_list("title", "body")
        .first()
    )
    assert "3 colleagues have been asked" in mine
    for peer in org.peers:
        assert peer.user.first_name not in mine


def test_the_due_date_falls_back_to_the_appraisal_deadline():
    org = peer_org(3)
    rules = settings_for(org.cycle)
    rules.peer_deadline = None
    rules.save()
    due = TODAY() + dt.timedelta(days=9)
    # The later deadlines stay after it, whatever the day the test runs on.
    Cycle.objects.filter(pk=org.cycle.pk).update(
        appraisal_deadline=due,
        feedback_deadline=max(org.cycle.feedback_deadline, due + dt.timedelta(days=1)),
        application_deadline=max(org.cycle.application_deadline, due + dt.timedelta(days=2)),
        end_date=max(org.cycle.end_date, due + dt.timedelta(days=2)),
    )
    reviews = asked(org)
    assert reviews[0].due_date == due


def test_asking_twice_is_refused():
    org = peer_org(3)
    asked(org)
    with pytest.raises(peers.PeerError, match="already been asked"):
        peers.ask_peers(appraisal=org.appraisal, actor=org.manager.user)


def test_undecided_nominations_block_asking():
    org = peer_org(4)
    nominate(org, org.peers[:3])
    approve_all(org)
    nominate(org, [org.peers[3]])
    with pytest.raises(peers.PeerError, match="every nomination"):
        peers.ask_peers(appraisal=org.appraisal, actor=org.manager.user)


# --- Answer ---------------------------------------------------------------------------------------


def test_a_peer_answers_their_own_questionnaire_once():
    org = peer_org(3)
    review = asked(org)[0]
    answer(review, 4, "Explains things well")
    review.refresh_from_db()
    assert review.status == PeerStatus.ANSWERED and review.answered_at is not None
    assert list(PeerRating.objects.filter(review=review).values_list("rating", flat=True)) == [4]
    with pytest.raises(peers.PeerError, match="already answered"):
        answer(review, 5)


@pytest.mark.parametrize("bad", ["5.9", "0", "6", "", "x", None, "-1", "4 "])
def test_a_rating_must_be_exactly_a_level_of_the_scale(bad):
    org = peer_org(3)
    review = asked(org)[0]
    item = peers.peer_items(org.appraisal)[0]
    if bad == "4 ":  # surrounding blanks are no new value: accepted as 4
        peers.answer_peer_review(
            review=review,
            ratings={item.pk: bad},
            comments={},
            actor=review.peer.user,
            expected_version=review.version,
        )
        return
    with pytest.raises(ValidationError) as excinfo:
        peers.answer_peer_review(
            review=review,
            ratings={item.pk: bad},
            comments={},
            actor=review.peer.user,
            expected_version=review.version,
        )
    assert f"rating_{item.pk}" in excinfo.value.message_dict
    assert not PeerRating.objects.exists()


def test_nobody_but_the_peer_answers():
    org = peer_org(3)
    review = asked(org)[0]
    for actor in (org.employee, org.manager, org.hr, org.peers[1]):
        with pytest.raises(PermissionDenied):
            peers.answer_peer_review(
                review=review,
                ratings={},
                comments={},
                actor=actor.user,
                expected_version=review.version,
            )


def test_a_nomination_not_yet_asked_cannot_be_answered():
    org = peer_org(3)
    review = nominate(org)[0]
    approve_all(org)
    review.refresh_from_db()
    with pytest.raises(PermissionDenied):
        answer(review)


def test_no_answer_after_the_due_date():
    org = peer_org(3)
    review = asked(org)[0]
    with pytest.raises(peers.PeerError, match="closed"):
        peers.answer_peer_review(
            review=review,
            ratings={},
            comments={},
            actor=review.peer.user,
            expected_version=review.version,
            today=review.due_date + dt.timedelta(days=1),
        )


def test_the_appraisee_hears_once_when_enough_answered_without_names():
    org = peer_org(3)
    reviews = asked(org)
    before = Notification.objects.filter(recipient=org.employee.user).count()
    answer(reviews[0])
    answer(reviews[1])
    assert Notification.objects.filter(recipient=org.employee.user).count() == before
    answer(reviews[2])
    new = list(
        Notification.objects.filter(recipient=org.employee.user)
        .order_by("-pk")
        .values_list("title", "body")[:1]
    )
    text = " ".join(new[0])
    assert "ready: 3 colleagues answered" in text
    for peer in org.peers:
        assert peer.user.first_name not in text and peer.user.last_name not in text


# --- Expire, and the means for scoring ------------------------------------------------------------


def test_unanswered_questionnaires_expire_after_the_due_date_once():
    org = peer_org(3)
    reviews = asked(org)
    answer(reviews[0])
    day_after = reviews[0].due_date + dt.timedelta(days=1)
    assert peers.expire_peer_reviews(today=reviews[0].due_date) == 0
    assert peers.expire_peer_reviews(today=day_after) == 2
    assert peers.expire_peer_reviews(today=day_after) == 0
    statuses = sorted(PeerReview.objects.values_list("status", flat=True))
    assert statuses == [PeerStatus.ANSWERED, PeerStatus.EXPIRED, PeerStatus.EXPIRED]
    with pytest.raises(peers.PeerError):
        answer(reviews[1])


def test_reminders_go_out_once_shortly_before_the_due_date():
    org = peer_org(3, deadline_in=10)
    reviews = asked(org)
    answer(reviews[0])
    due = reviews[0].due_date
    assert peers.send_peer_reminders(today=due - dt.timedelta(days=5)) == 0
    assert peers.send_peer_reminders(today=due - dt.timedelta(days=2)) == 2
    assert peers.send_peer_reminders(today=due - dt.timedelta(days=1)) == 0
    assert Notification.objects.filter(title__startswith="Reminder").count() == 2


def test_peer_means_only_from_the_threshold():
    org = peer_org(4, template_sections=[(SectionKind.GOALS, 50, 0), (SectionKind.PEER, 50, 2)])
    reviews = asked(org)
    answer(reviews[0], 5)
    answer(reviews[1], 4)
    assert peer_means([org.appraisal.pk]) == {}
    answer(reviews[2], 4)
    items = peers.peer_items(org.appraisal)
    means = peer_means([org.appraisal.pk, appraisal_of(org, org.colleague).pk])
    assert means == {org.appraisal.pk: {item.pk: Decimal("4.33") for item in items}}
