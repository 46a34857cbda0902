"""Feedback factories shared by the feedback tests: the appraisal tests' small
organisation (HR, a skip-level manager, a manager with two reports, an outsider) taken
through the appraisal stage's own services — self-assessment, manager review, HR's
release — and moved into the feedback phase (which finalises every appraisal), so each
test starts from released, finalised appraisals whose breakdowns add up."""

from appraisal.models import Appraisal
from appraisal.services.assessment import (
    ItemInput,
    rated_items,
    submit_manager_review,
    submit_self_assessment,
)
from appraisal.services.calibration import release_ratings
from appraisal.services.settings import settings_for
from goals.models import SectionKind
from perfcycle.models import Cycle
from perfcycle.phases import advance_cycle_phase
from tests.appraisal.factories import Org, appraisal_of, open_org

# No peer section: goals and competencies only (peer input has its own tests).
SECTIONS = [(SectionKind.GOALS, 60, 0), (SectionKind.COMPETENCIES, 40, 2)]


def _ratings(appraisal: Appraisal, rating: int, comment: str) -> dict:
    """Every rated item at ``rating``, with a comment and, where the indicator suggests
    another level, a reason for not taking it."""
    data = {}
    for item in rated_items(appraisal):
        reason = ""
        if item.suggested_rating is not None and item.suggested_rating != rating:
            reason = "The numbers do not tell the whole story this year."
        data[item.pk] = ItemInput(rating=rating, comment=comment, override_reason=reason)
    return data


def assess(org: Org, employee, *, self_rating: int, manager_rating: int) -> Appraisal:
    """The employee submits a self-assessment, the manager submits the review."""
    appraisal = appraisal_of(org, employee)
    appraisal = submit_self_assessment(
        actor=employee.user,
        appraisal=appraisal,
        data=_ratings(appraisal, self_rating, "What I did this year."),
        expected_version=appraisal.version,
    )
    appraisal = submit_manager_review(
        actor=org.manager.user,
        appraisal=appraisal,
        data=_ratings(appraisal, manager_rating, "What I saw this year."),
        expected_version=appraisal.version,
    )
    return appraisal


def released_org(
    *, employee_rating: int = 2, colleague_rating: int = 4, phase=Cycle.Phase.FEEDBACK
):
    """The organisation with the employee's and the colleague's appraisals reviewed (the
    employee below the qualified level by default, the colleague above it), released by
    HR and — with ``phase`` FEEDBACK — finalised by the move into feedback."""
    org = open_org(template_sections=SECTIONS)
    assess(org, org.employee, self_rating=3, manager_rating=employee_rating)
    assess(org, org.colleague, self_rating=4, manager_rating=colleague_rating)
    release_ratings(
        cycle=org.cycle, expected_version=settings_for(org.cycle).version, actor=org.hr.user
    )
    if phase == Cycle.Phase.FEEDBACK:
        advance_cycle_phase(actor=org.hr.user, cycle_id=org.cycle.pk, to_phase=phase)
        org.cycle.refresh_from_db()
    return org
