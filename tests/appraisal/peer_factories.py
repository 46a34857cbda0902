"""Peer-input helpers for the appraisal tests: an opened organisation with extra colleagues
to nominate, and each step of the flow through the stage's own services."""

import datetime as dt
import itertools

from django.utils import timezone

from appraisal.models import PeerReview, PeerStatus
from appraisal.services import peers
from appraisal.services.opening import open_missing_appraisals, settings_for
from tests.appraisal.factories import Org, appraisal_of, open_org
from tests.factories import enrol, make_employee

_seq = itertools.count(1)
# Named so that a leak shows: these strings must never reach the appraisee.
PEER_NAMES = ("Zelda", "Yusuf", "Xenia", "Wanda", "Viktor", "Ulla")


def peer_org(n_peers: int = 4, *, deadline_in: int = 14, **kw) -> Org:
    """``open_org`` plus ``n_peers`` active colleagues of the employee (``org.peers``, named
    from PEER_NAMES, enrolled in the cycle and reporting to the skip-level manager), with
    the cycle's peer due date ``deadline_in`` days from today."""
    org = open_org(**kw)
    department = org.employee.department
    org.peers = []
    for i in range(n_peers):
        person = make_employee(
            f"peer{next(_seq)}", department=department, job_title="Engineer", manager=org.skip
        )
        person.user.first_name = PEER_NAMES[i % len(PEER_NAMES)]
        person.user.last_name = f"Peerson{i}"
        person.user.save(update_fields=["first_name", "last_name"])
        org.peers.append(person)
    # Colleagues take part in the cycle too (their own appraisals opened, as enrolment does).
    enrol(org.cycle, *org.peers)
    open_missing_appraisals(cycle=org.cycle)
    rules = settings_for(org.cycle)
    rules.peer_deadline = timezone.localdate() + dt.timedelta(days=deadline_in)
    rules.save(update_fields=["peer_deadline"])
    org.appraisal = appraisal_of(org, org.employee)
    return org


def nominate(org: Org, people=None):
    return peers.nominate_peers(
        appraisal=org.appraisal, peers=people or org.peers, actor=org.employee.user
    )


def approve_all(org: Org) -> None:
    for review in PeerReview.objects.filter(appraisal=org.appraisal, status=PeerStatus.NOMINATED):
        peers.decide_nomination(
            review=review, approve=True, actor=org.manager.user, expected_version=review.version
        )


def asked(org: Org, people=None) -> list[PeerReview]:
    """Nominated, approved and asked: the peers' questionnaires, in nomination order."""
    nominate(org, people)
    approve_all(org)
    peers.ask_peers(appraisal=org.appraisal, actor=org.manager.user)
    return list(PeerReview.objects.filter(appraisal=org.appraisal).order_by("pk"))


def answer(review: PeerReview, rating: int = 4, comment: str = "", overall: str = ""):
    review.refresh_from_db()
    items = peers.peer_items(review.appraisal)
    return peers.answer_peer_review(
        review=review,
        ratings={item.pk: rating for item in items},
        comments={item.pk: comment for item in items},
        comment=overall,
        actor=review.peer.user,
        expected_version=review.version,
    )
