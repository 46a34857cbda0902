"""The planning stage's read API: which rating scale and template apply to a
participation (goals/plans.py), as the appraisal stage will read them."""

import pytest

from goals import plans
from goals.services import setup
from perfcycle.models import Participation
from tests.factories import enrol, make_cycle, make_department, make_employee

pytestmark = pytest.mark.django_db


def hr(org):
    return org["hr"].user


@pytest.fixture
def cycle(org):
    cycle = make_cycle(name="FY plans")
    enrol(cycle, org["employee"], org["manager"], org["employee2"])
    return cycle


def participation(cycle, employee):
    return Participation.objects.select_related("cycle", "employee").get(
        cycle=cycle, employee=employee
    )


def test_a_participation_is_evaluated_on_the_cycles_scale_and_its_template(
    cycle, org, scale, templates, engineering
):
    """The scale is the cycle's; the template follows the most specific rule, and says
    which rule chose it."""
    setup.set_cycle_plan(
        actor=hr(org),
        cycle=cycle,
        rating_scale=scale,
        default_template=templates["Default"],
        expected_token=setup.NO_PLAN_TOKEN,
    )
    setup.add_template_assignment(
        actor=hr(org), cycle=cycle, template=templates["Engineers"], job_title="engineer"
    )
    mine = participation(cycle, org["employee"])
    basis = plans.evaluation_basis_for(mine)
    assert (basis.rating_scale, basis.template, basis.rule) == (
        scale,
        templates["Engineers"],
        plans.Rule.TITLE,
    )
    assert plans.template_for(mine) == templates["Engineers"]
    assert plans.rating_scale_for(mine) == scale
    other = participation(cycle, org["employee2"])
    assert plans.template_for(other) == templates["Default"]


def test_the_read_api_agrees_with_the_setup_page_for_everyone(
    cycle, org, scale, templates, engineering
):
    """One resolution: the per-person answer equals the setup page's for each person."""
    platform = make_department("Platform", parent=engineering)
    enrol(cycle, make_employee("dev", department=platform, job_title="Engineer"))
    setup.add_template_assignment(
        actor=hr(org), cycle=cycle, template=templates["Personal"], department=engineering
    )
    everyone = setup.templates_for_participants(cycle)
    for p in Participation.objects.filter(cycle=cycle).select_related("cycle", "employee"):
        assert plans.template_for(p) == everyone[p.employee_id]


def test_without_a_plan_there_is_no_scale_and_no_template(cycle, org):
    mine = participation(cycle, org["employee"])
    assert plans.rating_scale_for(mine) is None
    assert plans.evaluation_basis_for(mine) == plans.EvaluationBasis(
        rating_scale=None, template=None, rule=plans.Rule.NONE
    )
