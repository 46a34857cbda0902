"""Who sees which check-ins, evidence and deviations.

Issue rule: only the participant, their reviewer in the cycle (the manager at
enrolment) and HR read a check-in, evidence or a deviation. A peer, another manager or
a skip-level manager gets 404.
"""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from implementation.models import CheckIn, Deviation, Evidence
from perfcycle import access
from perfcycle.models import Participation


def participations_followed_by(user):
    """Participations whose implementation records this user may read."""
    qs = Participation.objects.all()
    if access.is_hr(user):
        return qs
    employee = access.employee_of(user)
    if employee is None:
        return qs.none()
    return qs.filter(Q(employee=employee) | Q(reviewer=employee))


def checkins_visible_to(user):
    return CheckIn.objects.filter(participation__in=participations_followed_by(user))


def evidence_visible_to(user):
    return Evidence.objects.filter(participation__in=participations_followed_by(user))


def deviations_visible_to(user):
    return Deviation.objects.filter(participation__in=participations_followed_by(user))


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
