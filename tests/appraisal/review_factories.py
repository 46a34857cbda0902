"""Helpers of the self-assessment and review tests (review lane): evidence in a person's
log, and form-shaped input for the assessment services."""

import itertools

from django.utils import timezone

from appraisal.models import Appraisal
from appraisal.services import assessment as services
from implementation.models import Evidence

_seq = itertools.count(1)


def make_evidence(participation, *, title=None, goal=None) -> Evidence:
    cycle = participation.cycle
    day = min(max(cycle.start_date, timezone.localdate()), cycle.end_date)
    return Evidence.objects.create(
        participation=participation,
        title=title or f"Evidence {next(_seq)}",
        occurred_on=day,
        goal=goal,
        created_by=participation.employee.user,
    )


def items_of(appraisal: Appraisal):
    return list(services.rated_items(appraisal))


def all_rated(appraisal: Appraisal, rating=3, **extra) -> dict:
    """Every item rated ``rating`` with a comment (and ``extra`` ItemInput fields)."""
    return {
        item.pk: services.ItemInput(rating=rating, comment=f"About {item.title}", **extra)
        for item in items_of(appraisal)
    }


def fresh(appraisal: Appraisal) -> Appraisal:
    return Appraisal.objects.get(pk=appraisal.pk)


def self_submitted(appraisal: Appraisal, rating=3) -> Appraisal:
    """The person's self-assessment submitted with every item rated ``rating``."""
    employee_user = appraisal.participation.employee.user
    services.submit_self_assessment(
        actor=employee_user,
        appraisal=appraisal,
        data=all_rated(appraisal, rating),
        expected_version=fresh(appraisal).version,
    )
    return fresh(appraisal)
