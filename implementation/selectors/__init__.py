"""Who sees which check-ins, evidence and deviations: the implementation stage's
policies (implementation/policies.py) over the relations of perfcycle/access.py.

Read: the participant, this participation's reviewer and the reviewer's manager, the
management chain above the participant (so a skip-level manager reads a check-in as they
read the goal's progress page), and HR. A peer, another team's manager or the reviewer of
another cycle gets 404.
"""

from django.shortcuts import get_object_or_404

from implementation.models import CheckIn, Deviation, Evidence
from implementation.policies import CHECKIN, DEVIATION, EVIDENCE
from perfcycle import access


def participations_followed_by(user):
    """Participations whose implementation records this user may read."""
    return access.participations_related(user, CHECKIN.read)


def checkins_visible_to(user):
    return CheckIn.objects.filter(CHECKIN.readable(user))


def evidence_visible_to(user):
    return Evidence.objects.filter(EVIDENCE.readable(user))


def deviations_visible_to(user):
    return Deviation.objects.filter(DEVIATION.readable(user))


def get_checkin_for(user, checkin_id, *, for_update=False):
    qs = checkins_visible_to(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs.with_people(), pk=checkin_id)


def get_evidence_for(user, evidence_id, *, for_update=False):
    qs = evidence_visible_to(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs.with_people(), pk=evidence_id)


def get_deviation_for(user, deviation_id, *, for_update=False):
    qs = deviations_visible_to(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return get_object_or_404(qs.with_people(), pk=deviation_id)
