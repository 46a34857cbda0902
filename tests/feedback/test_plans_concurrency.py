"""The same plan step from two places at once (real threads, real commits): two starts
by choice make one plan; both sides signing at the same moment record both signatures
and agree the plan once."""

import pytest

from feedback.models import ImprovementPlan, PlanStatus
from feedback.services import plans as services
from perfcycle.models import AuditEvent
from tests.appraisal.factories import appraisal_of
from tests.feedback.factories import released_org
from tests.feedback.plan_factories import required_plan, written
from tests.workers import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_starts_at_once_make_one_plan():
    org = released_org()
    appraisal = appraisal_of(org, org.colleague)

    def start():
        try:
            return services.start_plan(appraisal=appraisal, actor=org.manager.user)
        except services.PlanError as error:
            return error

    results = run_at_once(start)
    assert ImprovementPlan.objects.filter(appraisal=appraisal).count() == 1
    assert sum(isinstance(r, services.PlanError) for r in results) == 1


def test_both_sign_at_once_and_the_plan_is_agreed_once():
    org = released_org()
    plan = written(required_plan(org), org)
    version = plan.version
    people = iter([org.employee.user, org.manager.user])
    actors = {}

    def sign():
        import threading

        actor = actors.setdefault(threading.get_ident(), next(people))
        return services.sign_plan(plan=plan, actor=actor, expected_version=version)

    run_at_once(sign)
    plan.refresh_from_db()
    assert plan.employee_signed_at and plan.manager_signed_at
    assert plan.status == PlanStatus.AGREED
    assert AuditEvent.objects.filter(verb="feedback.plan_agreed").count() == 1
