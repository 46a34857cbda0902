"""Opening the appraisals: one per participation when the cycle enters appraisal, with a
snapshot of what the review is about, items for the goals and the template, and the
suggested rating of quantitative goals. Idempotent, and later org changes rewrite nothing."""

from decimal import Decimal

import pytest

from appraisal.models import Appraisal, AppraisalItem, AppraisalStatus, ItemKind
from appraisal.services.opening import open_missing_appraisals
from goals.models import SectionKind
from perfcycle.models import AuditEvent, Cycle
from perfcycle.phases import advance_cycle_phase
from tests.appraisal.factories import appraisal_of, make_org, open_org
from tests.factories import enrol, make_department, make_employee

pytestmark = pytest.mark.django_db


def test_entering_appraisal_opens_one_appraisal_per_participant():
    org = make_org(phase=Cycle.Phase.IMPLEMENTATION)
    assert not Appraisal.objects.exists()
    advance_cycle_phase(actor=org.hr.user, cycle_id=org.cycle.pk, to_phase=Cycle.Phase.APPRAISAL)
    assert Appraisal.objects.filter(participation__cycle=org.cycle).count() == 5
    appraisal = appraisal_of(org, org.employee)
    assert appraisal.status == AppraisalStatus.NOT_STARTED
    assert AuditEvent.objects.filter(verb="appraisals.opened").count() == 1


def test_snapshot_keeps_what_the_review_is_about_when_the_org_changes():
    org = open_org()
    appraisal = appraisal_of(org, org.employee)
    assert appraisal.job_title == "Engineer"
    assert appraisal.department_name == "Engineering"
    assert appraisal.reviewer == org.manager
    assert appraisal.template == org.template
    assert [lv["label"] for lv in appraisal.scale_levels][0] == "Unsatisfactory"
    assert [s["kind"] for s in appraisal.section_weights] == ["goals", "competencies", "peer"]
    # The person moves, is promoted and gets a new manager; the scale is renamed.
    employee = org.employee
    employee.department = make_department("Platform")
    employee.job_title = "Senior engineer"
    employee.manager = org.skip
    employee.save()
    org.scale.levels.filter(value=1).update(label="Poor")
    appraisal.refresh_from_db()
    assert appraisal.job_title == "Engineer"
    assert appraisal.department_name == "Engineering"
    assert appraisal.reviewer == org.manager
    assert appraisal.scale_levels[0]["label"] == "Unsatisfactory"


def test_items_are_the_approved_goals_then_the_template_items():
    org = open_org()
    items = list(appraisal_of(org, org.employee).items.order_by("position"))
    assert [i.kind for i in items] == [ItemKind.GOAL] * 2 + [ItemKind.TEMPLATE_ITEM] * 2 + [
        ItemKind.PEER
    ]
    assert [i.section for i in items[2:]] == [SectionKind.COMPETENCIES] * 2 + [SectionKind.PEER]
    # The peer section is weighted as a whole: one item the peers rate.
    assert items[4].title == "Peer input (360°)"
    assert items[4].weight == Decimal("100")
    roadmap, mentoring = items[0], items[1]
    assert roadmap.title.startswith("Ship the roadmap")
    assert roadmap.weight == Decimal("60")
    # 95 of a 100 target: 95 % achieved, which the indicator's rule rates 3 (90–110 %).
    assert roadmap.achievement_percent == Decimal("95.00")
    assert roadmap.suggested_rating == 3
    # A goal without an indicator gets no suggestion: the manager rates it.
    assert mentoring.suggested_rating is None
    assert mentoring.achievement_percent is None


def test_opening_twice_opens_nothing_more_and_later_enrolments_are_opened():
    org = open_org()
    before = AppraisalItem.objects.count()
    assert open_missing_appraisals(cycle=org.cycle) == 0
    assert AppraisalItem.objects.count() == before
    newcomer = make_employee(manager=org.manager, job_title="Engineer")
    enrol(org.cycle, newcomer)
    assert open_missing_appraisals(cycle=org.cycle) == 1
    assert Appraisal.objects.filter(participation__cycle=org.cycle).count() == 6


def test_a_cycle_without_a_rating_scale_cannot_enter_appraisal():
    org = make_org(phase=Cycle.Phase.IMPLEMENTATION)
    org.cycle.plan.delete()
    from perfcycle.workflow import DomainError

    with pytest.raises(DomainError):
        advance_cycle_phase(
            actor=org.hr.user, cycle_id=org.cycle.pk, to_phase=Cycle.Phase.APPRAISAL
        )
    org.cycle.refresh_from_db()
    assert org.cycle.phase == Cycle.Phase.IMPLEMENTATION
    assert not Appraisal.objects.exists()
