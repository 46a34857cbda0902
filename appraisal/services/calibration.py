"""Calibration and release: HR opens a calibration session for a department (covering its
sub-departments) or for the whole organisation, adjusts final scores with a reason while
the session is open, locks it when done, and releases the cycle's ratings to the
employees. Every change is HR's (appraisal/policies.py ``calibrate``), transactional,
audited and versioned: a stale form gets a conflict message and overwrites nothing.

Before release the appraisee sees no score anywhere (``score_released``); release stamps
the cycle's settings and every calibrated or finalised appraisal, and tells each
employee once (a send-once key per appraisal, so releasing again reaches only those
calibrated since).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal import scoring
from appraisal.models import (
    Appraisal,
    AppraisalSettings,
    AppraisalStatus,
    CalibrationAdjustment,
    CalibrationSession,
    CalibrationStatus,
)
from appraisal.policies import ADJUSTMENT, APPRAISAL
from appraisal.services.opening import settings_for
from perfcycle.access import Relation, relations_of
from perfcycle.audit import Event, record_event, record_events
from perfcycle.models import Cycle, Department
from perfcycle.notifications import Message, claim_once, notify_messages
from perfcycle.workflow import (
    DomainError,
    check_version,
    lock_for_update,
    require_hr,
    require_move,
    save_versioned,
)

RELEASED_KIND = "appraisal_released"
SCORE_PLACES = Decimal("0.01")


class CalibrationError(DomainError):
    pass


# --- Scores and bands ----------------------------------------------------------------------


def banding(levels: list[dict]):
    """A function giving the rating band (its label) of a score on the snapshot scale
    ``levels``, by appraisal/scoring.py's bands: the one place the stage's services turn
    a score into a band (built once per scale, used for many scores)."""
    if not levels:
        return lambda score: ""
    in_force = scoring.bands(scoring.Scale.of(levels))

    def band(score) -> str:
        found = scoring.band_for(None if score is None else Decimal(score), in_force)
        return found.label if found else ""

    return band


def band_of(levels: list[dict], score: Decimal | None) -> str:
    """The band of one score (``banding`` for many)."""
    return banding(levels)(score)


def parse_score(raw) -> Decimal:
    """A score typed by HR: a number with at most two decimals (the scale's bounds are
    scoring.calibrate's to check); a DomainError at the ``to_score`` field otherwise."""
    try:
        score = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise CalibrationError({"to_score": [_("Enter a number, e.g. 3.5.")]}) from None
    if not score.is_finite():
        raise CalibrationError({"to_score": [_("Enter a number, e.g. 3.5.")]})
    if score != score.quantize(SCORE_PLACES):
        raise CalibrationError({"to_score": [_("Use at most two decimals.")]})
    return score


# --- Sessions ------------------------------------------------------------------------------


def descendants(children: dict, root: int) -> list[int]:
    """``root`` and every department below it, from a {parent: [children]} map."""
    found, todo = [], [root]
    while todo:
        current = todo.pop()
        if current not in found:
            found.append(current)
            todo.extend(children.get(current, []))
    return found


def department_and_below(department_id: int) -> list[int]:
    """The ids of a department and all its sub-departments (one query: the tree is small)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Department.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    return descendants(children, department_id)


def session_appraisals(session: CalibrationSession):
    """The appraisals a session covers: its department's and sub-departments' (by the
    snapshot department), or the whole cycle's."""
    qs = Appraisal.objects.filter(participation__cycle_id=session.cycle_id)
    if session.department_id is not None:
        qs = qs.filter(department_id__in=department_and_below(session.department_id))
    return qs


def open_session(*, cycle: Cycle, department: Department | None, actor) -> CalibrationSession:
    """The calibration session of ``department`` (None: the organisation) in ``cycle``,
    started now if there is none. From the appraisal phase on (after the close, for the
    appraisals HR reopens)."""
    require_hr(actor)
    if cycle.phase in (Cycle.Phase.PLANNING, Cycle.Phase.IMPLEMENTATION):
        raise CalibrationError(_("Calibration opens with the appraisal phase."))
    with transaction.atomic():
        session, created = CalibrationSession.objects.get_or_create(
            cycle=cycle, department=department, defaults={"created_by": actor}
        )
        if created:
            record_event(
                actor=actor,
                verb="calibration.session_opened",
                obj=session,
                after={"department": department.pk if department else None},
            )
    return session


def _set_session_status(*, session_id: int, to_status: str, expected_version, actor, verb: str):
    require_hr(actor)
    with transaction.atomic():
        session = lock_for_update(CalibrationSession, session_id)
        check_version(session, expected_version, noun=_("calibration session"))
        require_move(
            session,
            to_status,
            error=CalibrationError,
            message=_("This calibration session is already %(state)s.")
            % {"state": session.get_status_display().lower()},
        )
        before = session.status
        session.status = to_status
        fields = ["status"]
        if to_status == CalibrationStatus.LOCKED:
            session.locked_at, session.locked_by = timezone.now(), actor
            fields += ["locked_at", "locked_by"]
        save_versioned(session, fields)
        record_event(
            actor=actor,
            verb=verb,
            obj=session,
            before={"status": before},
            after={"status": to_status},
        )
    return session


def lock_session(*, session_id: int, expected_version, actor) -> CalibrationSession:
    """HR is done: no adjustments in this session until it is unlocked."""
    return _set_session_status(
        session_id=session_id,
        to_status=CalibrationStatus.LOCKED,
        expected_version=expected_version,
        actor=actor,
        verb="calibration.session_locked",
    )


def unlock_session(*, session_id: int, expected_version, actor) -> CalibrationSession:
    return _set_session_status(
        session_id=session_id,
        to_status=CalibrationStatus.OPEN,
        expected_version=expected_version,
        actor=actor,
        verb="calibration.session_unlocked",
    )


# --- Adjusting a score ---------------------------------------------------------------------


def adjust_score(
    *, appraisal_id: int, session_id: int, to_score, reason: str, expected_version, actor
) -> CalibrationAdjustment:
    """Change an appraisal's final score in calibration (status CALIBRATION, the session
    open and covering it) to a value within the scale's bounds, with a mandatory reason:
    one CalibrationAdjustment row (shown in the breakdown), the new final score and band,
    an audit record."""
    require_hr(actor)
    reason = (reason or "").strip()
    with transaction.atomic():
        session = lock_for_update(CalibrationSession, session_id)
        appraisal = lock_for_update(Appraisal.objects.with_people(), appraisal_id)
        if not ADJUSTMENT.may(actor, "calibrate", appraisal.participation):
            raise CalibrationError(_("Only HR calibrates scores."))
        check_version(appraisal, expected_version, noun=_("appraisal"))
        if session.status != CalibrationStatus.OPEN:
            raise CalibrationError(
                _("This calibration session is locked: unlock it before changing a score.")
            )
        if not session_appraisals(session).filter(pk=appraisal.pk).exists():
            raise CalibrationError(_("This appraisal is not part of this calibration session."))
        if appraisal.status != AppraisalStatus.CALIBRATION:
            raise CalibrationError(
                _("This appraisal is %(state)s: only appraisals in calibration can be adjusted.")
                % {"state": appraisal.get_status_display().lower()}
            )
        before = appraisal.final_score
        score = parse_score(to_score)
        # The rules of a calibration change are scoring.calibrate's: a reason, within the
        # scale, in steps of 0.01, a change at all. Its "delta" is this form's new score.
        try:
            change = scoring.calibrate(
                before,
                scale=scoring.Scale.of(appraisal.scale_levels),
                reason=reason,
                delta=score - scoring.q2(before) if before is not None else Decimal(0),
            )
        except DomainError as error:
            if not hasattr(error, "error_dict"):
                raise CalibrationError(error.messages) from None
            raise CalibrationError(
                {
                    ("to_score" if field in ("delta", "to_level") else field): messages
                    for field, messages in error.message_dict.items()
                }
            ) from None
        score = change.to_score
        adjustment = CalibrationAdjustment.objects.create(
            appraisal=appraisal,
            session=session,
            from_score=before,
            to_score=score,
            reason=reason,
            changed_by=actor,
        )
        old_band = appraisal.final_band
        appraisal.final_score = score
        appraisal.final_band = band_of(appraisal.scale_levels, score)
        save_versioned(appraisal, ["final_score", "final_band"])
        record_event(
            actor=actor,
            verb="appraisal.calibrated",
            obj=appraisal,
            before={
                "final_score": str(before) if before is not None else None,
                "final_band": old_band,
            },
            after={
                "final_score": str(score),
                "final_band": appraisal.final_band,
                "reason": reason,
                "session": session.pk,
            },
        )
    return adjustment


# --- Release -------------------------------------------------------------------------------


def score_released(appraisal: Appraisal) -> bool:
    """Whether the appraisee may see the score: only after HR released the ratings."""
    return appraisal.released_at is not None


def may_see_score(user, appraisal: Appraisal) -> bool:
    """Whether ``user`` may see the appraisal's (proposed, calibrated or final) score: the
    appraisee only once HR released the ratings; the reviewer, the management chain and
    HR always (the read rule of appraisal/policies.py). Every employee-facing page,
    export and notice asks this before showing a score."""
    relations = relations_of(user, appraisal.participation, APPRAISAL.read)
    if relations & (APPRAISAL.read & ~Relation.SELF):
        return True
    return bool(relations & Relation.SELF) and score_released(appraisal)


def releasable(cycle: Cycle):
    """The appraisals a release reaches: calibrated or finalised, with a score, not yet
    released."""
    return Appraisal.objects.filter(
        participation__cycle=cycle,
        status__in=[AppraisalStatus.CALIBRATION, AppraisalStatus.FINALIZED],
        final_score__isnull=False,
        released_at__isnull=True,
    )


def release_ratings(*, cycle: Cycle, expected_version, actor) -> int:
    """HR releases the cycle's ratings: the settings and every calibrated or finalised
    appraisal with a score get ``released_at``; each employee is told once. Returns how
    many appraisals were released now (a second release reaches only the new ones)."""
    require_hr(actor)
    settings_for(cycle)
    with transaction.atomic():
        settings = AppraisalSettings.objects.select_for_update().get(cycle=cycle)
        check_version(settings, expected_version, noun=_("appraisal settings"))
        now = timezone.now()
        rows = list(releasable(cycle).values_list("pk", "participation__employee__user_id"))
        ids = [pk for pk, _user in rows]
        if not ids and settings.released_at is not None:
            raise CalibrationError(_("The ratings are released already; nothing new to release."))
        Appraisal.objects.filter(pk__in=ids).update(released_at=now, updated_at=now)
        first = settings.released_at is None
        if first:
            settings.released_at, settings.released_by = now, actor
        save_versioned(settings, ["released_at", "released_by"])
        claimed = claim_once(RELEASED_KIND, [str(pk) for pk in ids], now=now)
        notify_messages(
            Message(
                user_id,
                "",
                _("Your appraisal rating for %(cycle)s is released") % {"cycle": cycle.name},
                _("Open your appraisal to read your rating and how it was reached."),
                appraisal_url(pk),
            )
            for pk, user_id in rows
            if str(pk) in claimed
        )
        record_event(
            actor=actor,
            verb="appraisals.released",
            obj=cycle,
            after={"count": len(ids), "first": first},
        )
        if ids:
            record_events(
                [
                    Event(actor=actor, verb="appraisal.released", obj=AppraisalRef(pk), at=now)
                    for pk in ids
                ]
            )
    return len(ids)


def appraisal_url(pk: int) -> str:
    """The appraisal's page (lane ``review``'s), or "" while it has none."""
    try:
        return reverse("appraisal:appraisal-detail", args=[pk])
    except NoReverseMatch:
        return ""


class AppraisalRef:
    """An appraisal named by id in a batch of audit events (no row loaded)."""

    _meta = Appraisal._meta

    def __init__(self, pk: int):
        self.pk = pk

    def __str__(self):
        return f"Appraisal {self.pk}"
