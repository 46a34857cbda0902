"""Calibration: HR opens a session per department (with its sub-departments) or for the
organisation, adjusts a final score in calibration with a reason and within the scale,
locks and unlocks the session; and releases the ratings. Every transition allowed and
refused, HR only, audited, versioned."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from appraisal.models import (
    Appraisal,
    AppraisalStatus,
    CalibrationAdjustment,
    CalibrationSession,
    CalibrationStatus,
)
from appraisal.services import calibration as services
from appraisal.services.calibration import CalibrationError, band_of
from appraisal.services.opening import settings_for
from perfcycle.models import AuditEvent, Cycle, Notification, SentReminder
from perfcycle.workflow import ConcurrentEditError
from tests.appraisal.calib_factories import calibrated_org_appraisals, in_calibration, in_review
from tests.appraisal.factories import appraisal_of, open_org
from tests.factories import make_department, version_of

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def org():
    return open_org()


def org_session(org):
    return services.open_session(cycle=org.cycle, department=None, actor=org.hr.user)


def adjust(org, appraisal, session, to_score="4.00", reason="Consistent with peers", **kw):
    return services.adjust_score(
        appraisal_id=appraisal.pk,
        session_id=session.pk,
        to_score=to_score,
        reason=reason,
        expected_version=kw.pop("version", version_of(appraisal)),
        actor=kw.pop("actor", org.hr.user),
    )


def test_hr_adjusts_a_score_with_a_reason_recorded_and_banded(org):
    """The adjustment row keeps from, to, why and who; the final score and band change,
    the proposed one stays; the audit log has it."""
    appraisal, _other = calibrated_org_appraisals(org)
    session = org_session(org)
    adjustment = adjust(org, appraisal, session, "4.00", "Led the migration")
    appraisal.refresh_from_db()
    assert (adjustment.from_score, adjustment.to_score) == (D("3.40"), D("4.00"))
    assert adjustment.reason == "Led the migration"
    assert adjustment.changed_by == org.hr.user
    assert appraisal.final_score == D("4.00")
    assert appraisal.proposed_score == D("3.40")
    assert appraisal.final_band == "Exceeds"
    assert AuditEvent.objects.filter(
        verb="appraisal.calibrated", object_id=str(appraisal.pk)
    ).exists()


@pytest.mark.parametrize(
    ("score", "field"),
    [
        ("5.9", "to_score"),
        ("0.5", "to_score"),
        ("abc", "to_score"),
        ("3.333", "to_score"),
        ("", "to_score"),
    ],
)
def test_a_score_outside_the_scale_or_not_a_number_is_refused_at_the_field(org, score, field):
    appraisal, _other = calibrated_org_appraisals(org)
    session = org_session(org)
    with pytest.raises(CalibrationError) as refused:
        adjust(org, appraisal, session, score)
    assert field in refused.value.error_dict
    assert not CalibrationAdjustment.objects.exists()


def test_a_reason_is_mandatory(org):
    appraisal, _other = calibrated_org_appraisals(org)
    with pytest.raises(CalibrationError) as refused:
        adjust(org, appraisal, org_session(org), "4.00", "   ")
    assert "reason" in refused.value.error_dict
    appraisal.refresh_from_db()
    assert appraisal.final_score == D("3.40")


def test_only_appraisals_in_calibration_are_adjusted(org):
    session = org_session(org)
    appraisal = in_review(appraisal_of(org, org.employee))
    with pytest.raises(CalibrationError, match="only appraisals in calibration"):
        adjust(org, appraisal, session)


def test_no_adjustment_while_the_session_is_locked_until_unlocked(org):
    appraisal, _other = calibrated_org_appraisals(org)
    session = org_session(org)
    services.lock_session(
        session_id=session.pk, expected_version=session.version, actor=org.hr.user
    )
    with pytest.raises(CalibrationError, match="locked"):
        adjust(org, appraisal, session)
    session.refresh_from_db()
    assert session.status == CalibrationStatus.LOCKED and session.locked_by == org.hr.user
    with pytest.raises(CalibrationError, match="already locked"):
        services.lock_session(
            session_id=session.pk, expected_version=session.version, actor=org.hr.user
        )
    services.unlock_session(
        session_id=session.pk, expected_version=session.version, actor=org.hr.user
    )
    adjust(org, appraisal, session)
    assert CalibrationAdjustment.objects.count() == 1


def test_a_department_session_covers_its_sub_departments_only(org):
    engineering = org.employee.department
    session = services.open_session(cycle=org.cycle, department=engineering, actor=org.hr.user)
    appraisal, _other = calibrated_org_appraisals(org)
    adjust(org, appraisal, session)
    outsider = appraisal_of(org, org.outsider)
    in_calibration(outsider)
    with pytest.raises(CalibrationError, match="not part of this calibration session"):
        adjust(org, outsider, session)
    # A team below Engineering is covered.
    platform = make_department("Platform")
    platform.parent = engineering
    platform.save()
    assert services.department_and_below(engineering.pk) == [engineering.pk, platform.pk]


def test_a_stale_form_is_a_conflict_and_nothing_is_overwritten(org):
    appraisal, _other = calibrated_org_appraisals(org)
    session = org_session(org)
    stale = version_of(appraisal)
    adjust(org, appraisal, session, "4.00", version=stale)
    with pytest.raises(ConcurrentEditError):
        adjust(org, appraisal, session, "2.00", "Other tab", version=stale)
    appraisal.refresh_from_db()
    assert appraisal.final_score == D("4.00")
    assert CalibrationAdjustment.objects.count() == 1


def test_only_hr_calibrates_locks_and_releases(org):
    appraisal, _other = calibrated_org_appraisals(org)
    session = org_session(org)
    for user in (org.manager.user, org.skip.user, org.employee.user):
        with pytest.raises(PermissionDenied):
            adjust(org, appraisal, session, actor=user)
        with pytest.raises(PermissionDenied):
            services.lock_session(
                session_id=session.pk, expected_version=session.version, actor=user
            )
        with pytest.raises(PermissionDenied):
            services.open_session(cycle=org.cycle, department=None, actor=user)
        with pytest.raises(PermissionDenied):
            services.release_ratings(cycle=org.cycle, expected_version=1, actor=user)


def test_one_session_per_department_and_one_for_the_organisation(org):
    first = org_session(org)
    again = org_session(org)
    assert first == again
    services.open_session(cycle=org.cycle, department=org.employee.department, actor=org.hr.user)
    assert CalibrationSession.objects.count() == 2


def test_no_calibration_before_the_appraisal():
    early = open_org(phase=Cycle.Phase.IMPLEMENTATION)
    with pytest.raises(CalibrationError):
        services.open_session(cycle=early.cycle, department=None, actor=early.hr.user)


def test_bands_cover_the_scale_with_no_gaps(org):
    levels = appraisal_of(org, org.employee).scale_levels
    assert band_of(levels, D("1.00")) == "Unsatisfactory"
    assert band_of(levels, D("1.49")) == "Unsatisfactory"
    assert band_of(levels, D("1.50")) == "Needs improvement"
    assert band_of(levels, D("5.00")) == "Outstanding"
    assert band_of(levels, None) == ""


# --- Release -------------------------------------------------------------------------------


def test_release_stamps_the_calibrated_ones_and_tells_each_employee_once(org):
    appraisal, other = calibrated_org_appraisals(org)
    waiting = in_review(appraisal_of(org, org.outsider))
    settings = settings_for(org.cycle)
    assert (
        services.release_ratings(
            cycle=org.cycle, expected_version=settings.version, actor=org.hr.user
        )
        == 2
    )
    settings.refresh_from_db()
    appraisal.refresh_from_db()
    waiting.refresh_from_db()
    assert settings.released_at is not None and settings.released_by == org.hr.user
    assert appraisal.released_at is not None and services.score_released(appraisal)
    assert waiting.released_at is None and not services.score_released(waiting)
    notes = Notification.objects.filter(title__contains="rating for")
    assert sorted(n.recipient_id for n in notes) == sorted(
        [org.employee.user_id, org.colleague.user_id]
    )
    # The notice names no score.
    assert all("3.4" not in n.title + n.body and "Exceeds" not in n.body for n in notes)
    # Nothing new: refused, nobody told again.
    with pytest.raises(CalibrationError, match="released already"):
        services.release_ratings(
            cycle=org.cycle, expected_version=version_of(settings), actor=org.hr.user
        )
    # One more reaches calibration: a second release tells only that one.
    in_calibration(waiting, "2.00")
    assert (
        services.release_ratings(
            cycle=org.cycle, expected_version=version_of(settings), actor=org.hr.user
        )
        == 1
    )
    assert Notification.objects.filter(title__contains="rating for").count() == 3
    assert SentReminder.objects.filter(kind=services.RELEASED_KIND).count() == 3


def test_release_with_a_stale_page_is_a_conflict(org):
    calibrated_org_appraisals(org)
    with pytest.raises(ConcurrentEditError):
        services.release_ratings(cycle=org.cycle, expected_version=99, actor=org.hr.user)
    assert not Notification.objects.filter(title__contains="rating for").exists()


def test_before_release_no_score_is_visible_to_the_appraisee(org):
    """The appraisee sees no score until HR releases; the manager, the skip level and HR
    always do; an outsider never."""
    appraisal, _other = calibrated_org_appraisals(org)
    appraisal = Appraisal.objects.with_people().get(pk=appraisal.pk)
    assert appraisal.status == AppraisalStatus.CALIBRATION
    assert not services.may_see_score(org.employee.user, appraisal)
    for person in (org.manager, org.skip, org.hr):
        assert services.may_see_score(person.user, appraisal), person
    assert not services.may_see_score(org.outsider.user, appraisal)
    services.release_ratings(
        cycle=org.cycle, expected_version=settings_for(org.cycle).version, actor=org.hr.user
    )
    appraisal.refresh_from_db()
    assert services.may_see_score(org.employee.user, appraisal)
    assert not services.may_see_score(org.outsider.user, appraisal)
