"""The shared starting point of the feedback tests is what the appraisal stage leaves."""

from decimal import Decimal

import pytest

from appraisal.models import AppraisalStatus
from feedback.models import RootCause
from perfcycle.models import Cycle
from tests.appraisal.factories import appraisal_of
from tests.feedback.factories import released_org

pytestmark = pytest.mark.django_db


def test_released_org_is_finalised_and_released_in_feedback():
    org = released_org()
    assert org.cycle.phase == Cycle.Phase.FEEDBACK
    mine = appraisal_of(org, org.employee)
    theirs = appraisal_of(org, org.colleague)
    assert mine.status == theirs.status == AppraisalStatus.FINALIZED
    assert mine.released_at is not None and theirs.released_at is not None
    assert mine.final_score == Decimal("2.00")
    assert theirs.final_score == Decimal("4.00")


def test_hr_starts_with_the_seven_root_causes():
    """The data migration gives a new installation HR's starting list, once (a second
    run adds nothing). Called directly: transactional tests elsewhere empty the table."""
    from importlib import import_module

    from django.apps import apps

    add_causes = import_module("feedback.migrations.0002_root_causes").add_causes
    RootCause.objects.all().delete()
    add_causes(apps, None)
    add_causes(apps, None)
    names = list(RootCause.objects.values_list("name", flat=True))
    assert names == [
        "Skills",
        "Resources",
        "Process",
        "Goal clarity",
        "Workload",
        "Motivation",
        "Other",
    ]


def test_a_result_below_the_qualified_level_band_needs_a_plan():
    from feedback.services.settings import below_qualified, settings_for

    org = released_org(employee_rating=2, colleague_rating=3)
    rules = settings_for(org.cycle)
    assert rules.qualified_level == 3
    assert below_qualified(appraisal_of(org, org.employee), rules)
    assert not below_qualified(appraisal_of(org, org.colleague), rules)
    rules.qualified_level = 2
    assert not below_qualified(appraisal_of(org, org.employee), rules)
