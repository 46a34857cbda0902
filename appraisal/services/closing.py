"""Deadlines and close of the appraisal: what happens on schedule and when the cycle
leaves the appraisal phase.

- **Self-assessment deadline** (``AppraisalSettings.self_assessment_deadline``, else the
  cycle's appraisal deadline): the day after, every self-assessment not submitted is
  locked as it is (``self_locked_at_deadline``) and handed to the manager (status
  manager review; a not-started one passes through self-assessment with nothing in it).
- **Reviews**: every reviewer with reviews to do hears once a day at most
  (``claim_once``); after the review deadline (``review_deadline``, else the appraisal
  deadline) the overdue reviews escalate to HR, once per cycle and day.
- **Close** (phase hook, leaving appraisal): every appraisal is finalised and its score
  frozen — final score (the calibrated one, else the proposed one the manager's ratings
  gave), band, ``finalized_at``, status finalised. An appraisal the manager never
  reviewed is finalised **without a score** (final score empty, no band, no manager
  submission): HR's pages list it as "not reviewed"; it is never counted as a zero.
  Idempotent (finalised appraisals are skipped), in chunks of a fixed number of queries
  (one read, one ``UPDATE … FROM (VALUES …)``, one audit insert), each chunk in a
  transaction (inside the phase change's when run as its hook).
- **Reopen**: HR reopens one finalised appraisal with a reason (back to calibration, its
  score hidden from the employee again), then finalises it again the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisal.models import Appraisal, AppraisalSettings, AppraisalStatus, Reopening
from appraisal.policies import APPRAISAL
from appraisal.services.calibration import RELEASED_KIND, AppraisalRef, appraisal_url, banding
from appraisal.services.opening import settings_for
from perfcycle.audit import Event, record_event, record_events
from perfcycle.models import Cycle
from perfcycle.notifications import Message, claim_once, notify, notify_many, notify_messages
from perfcycle.phases import hr_admins
from perfcycle.workflow import (
    SYSTEM,
    DomainError,
    check_version,
    lock_for_update,
    require_hr,
    require_move,
    save_versioned,
    user_of,
)

CHUNK = 1000
NOT_SUBMITTED = (AppraisalStatus.NOT_STARTED, AppraisalStatus.SELF_ASSESSMENT)
REMINDER_KIND = "appraisal_review_reminder"
ESCALATION_KIND = "appraisal_reviews_overdue"
NUDGE_KIND = "appraisal_nudge"


class ClosingError(DomainError):
    pass


# --- Deadlines -----------------------------------------------------------------------------


def self_deadline(cycle: Cycle, settings: AppraisalSettings) -> dt.date:
    return settings.self_assessment_deadline or cycle.appraisal_deadline


def review_deadline(cycle: Cycle, settings: AppraisalSettings) -> dt.date:
    return settings.review_deadline or cycle.appraisal_deadline


def _appraisal_cycles():
    return Cycle.objects.filter(phase=Cycle.Phase.APPRAISAL).order_by("pk")


def lock_due_self_assessments(*, today: dt.date) -> int:
    """Lock, as they are, the self-assessments not submitted by their deadline (cycles in
    appraisal whose self-assessment deadline is before ``today``); each goes on to the
    manager and the employee is told. Idempotent; in chunks. Returns how many."""
    locked = 0
    for cycle in _appraisal_cycles():
        if self_deadline(cycle, settings_for(cycle)) >= today:
            continue
        pending = Appraisal.objects.filter(participation__cycle=cycle, status__in=NOT_SUBMITTED)
        while True:
            with transaction.atomic():
                rows = list(
                    pending.select_for_update(skip_locked=True)
                    .order_by("pk")
                    .values_list("pk", "status", "participation__employee__user_id")[:CHUNK]
                )
                if not rows:
                    break
                ids = [pk for pk, _s, _u in rows]
                now = timezone.now()
                Appraisal.objects.filter(pk__in=ids, status__in=NOT_SUBMITTED).update(
                    status=AppraisalStatus.MANAGER_REVIEW,
                    self_locked_at_deadline=True,
                    version=F("version") + 1,
                    updated_at=now,
                )
                record_events(
                    [
                        Event(
                            actor=SYSTEM,
                            verb="appraisal.self_locked",
                            obj=AppraisalRef(pk),
                            before={"status": status},
                            after={"status": AppraisalStatus.MANAGER_REVIEW},
                            at=now,
                        )
                        for pk, status, _u in rows
                    ]
                )
                notify_messages(
                    Message(
                        user_id,
                        "",
                        _("Your self-assessment for %(cycle)s was locked at its deadline")
                        % {"cycle": cycle.name},
                        _("It went to your manager as it was. Your manager now writes the review."),
                        appraisal_url(pk),
                    )
                    for pk, _s, user_id in rows
                )
                locked += len(rows)
    return locked


def remind_reviewers(*, today: dt.date) -> int:
    """Every reviewer with reviews to do in a cycle in appraisal hears once that day (a
    send-once key per cycle, reviewer and day). Returns how many were reminded."""
    sent = 0
    for cycle in _appraisal_cycles():
        counts = Counter(
            Appraisal.objects.filter(
                participation__cycle=cycle,
                status=AppraisalStatus.MANAGER_REVIEW,
                reviewer__isnull=False,
            ).values_list("reviewer__user_id", flat=True)
        )
        if not counts:
            continue
        due = review_deadline(cycle, settings_for(cycle))
        with transaction.atomic():
            keys = {f"{cycle.pk}:{user_id}:{today.isoformat()}": user_id for user_id in counts}
            claimed = claim_once(REMINDER_KIND, keys)
            notify_messages(
                Message(
                    keys[key],
                    "",
                    ngettext(
                        "%(count)s appraisal waits for your review (%(cycle)s)",
                        "%(count)s appraisals wait for your review (%(cycle)s)",
                        counts[keys[key]],
                    )
                    % {"count": counts[keys[key]], "cycle": cycle.name},
                    _("Reviews are due by %(date)s.") % {"date": due.isoformat()},
                    "",
                )
                for key in claimed
            )
            sent += len(claimed)
    return sent


def overdue_reviews(cycle: Cycle, today: dt.date):
    settings = settings_for(cycle)
    if review_deadline(cycle, settings) >= today:
        return Appraisal.objects.none()
    return Appraisal.objects.filter(
        participation__cycle=cycle, status=AppraisalStatus.MANAGER_REVIEW
    )


def escalate_overdue_reviews(*, today: dt.date) -> int:
    """HR hears of the reviews still open after the review deadline, once per cycle and
    day. Returns how many cycles were escalated."""
    escalated = 0
    for cycle in _appraisal_cycles():
        count = overdue_reviews(cycle, today).count()
        if not count:
            continue
        with transaction.atomic():
            if not claim_once(ESCALATION_KIND, [f"{cycle.pk}:{today.isoformat()}"]):
                continue
            notify_many(
                recipients=list(hr_admins()),
                title=ngettext(
                    "%(count)s manager review is overdue in %(cycle)s",
                    "%(count)s manager reviews are overdue in %(cycle)s",
                    count,
                )
                % {"count": count, "cycle": cycle.name},
                body=_("Open the overdue list to nudge the reviewers."),
                url=f"{reverse('appraisal:hr-overdue')}?cycle={cycle.pk}",
                email=True,
            )
            record_event(
                actor=SYSTEM,
                verb="appraisals.reviews_escalated",
                obj=cycle,
                after={"count": count, "date": today.isoformat()},
            )
            escalated += 1
    return escalated


def run_deadlines(*, today: dt.date) -> dict:
    """The beat task's work (appraisal/tasks.py): lock, remind, escalate."""
    return {
        "locked": lock_due_self_assessments(today=today),
        "reminded": remind_reviewers(today=today),
        "escalated": escalate_overdue_reviews(today=today),
    }


def nudge(*, appraisal_id: int, actor, today: dt.date | None = None) -> bool:
    """HR nudges whoever has to act on an overdue appraisal: the employee before their
    self-assessment is submitted, the reviewer after. One notification per person per
    day: False when that person was nudged today already."""
    require_hr(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        appraisal = Appraisal.objects.with_people().get(pk=appraisal_id)
        cycle = appraisal.participation.cycle
        if appraisal.status in NOT_SUBMITTED:
            person = appraisal.participation.employee
            title = _("Please complete your self-assessment for %(cycle)s")
        elif appraisal.status == AppraisalStatus.MANAGER_REVIEW and appraisal.reviewer:
            person = appraisal.reviewer
            title = _("Please complete the review of %(name)s for %(cycle)s")
        else:
            raise ClosingError(_("Nobody has anything to do on this appraisal."))
        if not claim_once(NUDGE_KIND, [f"{person.user_id}:{today.isoformat()}"]):
            return False
        notify(
            recipient=person.user,
            title=title % {"cycle": cycle.name, "name": appraisal.participation.employee.full_name},
            body=_("HR asks you to finish it: it is overdue."),
            url=appraisal_url(appraisal.pk),
        )
        record_event(
            actor=actor,
            verb="appraisal.nudged",
            obj=appraisal,
            after={"person": person.full_name, "date": today.isoformat()},
        )
    return True


# --- Close ---------------------------------------------------------------------------------


def _frozen(status: str, proposed, final, band_of) -> tuple[Decimal | None, str, bool]:
    """(final score, band, self locked) an appraisal is finalised with. Only one the
    manager reviewed (in calibration) has a score: the calibrated final score, else the
    proposed one. Any other is finalised without one ("not reviewed")."""
    if status != AppraisalStatus.CALIBRATION:
        return None, "", status in NOT_SUBMITTED
    score = final if final is not None else proposed
    return score, band_of(score), False


_UPDATE_SQL = """
    UPDATE appraisal_appraisal AS a SET
        status = %s, final_score = v.score, final_band = v.band, finalized_at = %s,
        updated_at = %s, version = a.version + 1,
        self_locked_at_deadline = a.self_locked_at_deadline OR v.locked,
        released_at = CASE WHEN v.release THEN %s ELSE a.released_at END
    FROM (VALUES {rows}) AS v(id, score, band, locked, release)
    WHERE a.id = v.id AND a.status <> %s
"""
_ROW = "(%s::bigint, %s::numeric, %s::text, %s::boolean, %s::boolean)"


def _write_frozen(values: list[tuple], *, now) -> None:
    """One UPDATE … FROM (VALUES …) for a chunk on PostgreSQL; elsewhere (the SQLite
    development default) one update per row."""
    if connection.vendor == "postgresql":
        sql = _UPDATE_SQL.format(rows=", ".join([_ROW] * len(values)))
        params = [
            AppraisalStatus.FINALIZED,
            now,
            now,
            now,
            *[v for row in values for v in row],
            AppraisalStatus.FINALIZED,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    for pk, score, band, locked, release in values:
        changes = {
            "status": AppraisalStatus.FINALIZED,
            "final_score": score,
            "final_band": band,
            "finalized_at": now,
            "updated_at": now,
            "version": F("version") + 1,
        }
        if locked:
            changes["self_locked_at_deadline"] = True
        if release:
            changes["released_at"] = now
        Appraisal.objects.filter(pk=pk).exclude(status=AppraisalStatus.FINALIZED).update(**changes)


def _finalize_rows(rows, *, cycle: Cycle, released: bool, actor, verb: str) -> dict:
    """Freeze the scores of ``rows`` (pk, status, proposed, final, levels, user id): the
    update, the audit records and, when the cycle's ratings are released, the
    employees' notices (once each)."""
    now = timezone.now()
    values, events, release_ids = [], [], []
    counts = Counter()
    bandings: dict[tuple, object] = {}  # one per snapshot scale (usually one per cycle)
    for pk, status, proposed, final, levels, _user in rows:
        scale = tuple((level["value"], level["label"]) for level in levels)
        if scale not in bandings:
            bandings[scale] = banding(levels)
        score, band, locked = _frozen(status, proposed, final, bandings[scale])
        release = released and score is not None
        values.append((pk, score, band, locked, release))
        if release:
            release_ids.append(pk)
        counts["scored" if score is not None else "not_reviewed"] += 1
        events.append(
            Event(
                actor=actor,
                verb=verb,
                obj=AppraisalRef(pk),
                before={"status": status},
                after={
                    "status": AppraisalStatus.FINALIZED,
                    "final_score": None if score is None else str(score),
                    "final_band": band,
                    "reviewed": score is not None,
                },
                at=now,
            )
        )
    _write_frozen(values, now=now)
    record_events(events)
    if release_ids:
        users = {pk: user for pk, *_rest, user in rows}
        claimed = claim_once(RELEASED_KIND, [str(pk) for pk in release_ids], now=now)
        notify_messages(
            Message(
                users[pk],
                "",
                _("Your appraisal rating for %(cycle)s is released") % {"cycle": cycle.name},
                _("Open your appraisal to read your rating and how it was reached."),
                appraisal_url(pk),
            )
            for pk in release_ids
            if str(pk) in claimed
        )
    return counts


ROW_FIELDS = (
    "pk",
    "status",
    "proposed_score",
    "final_score",
    "scale_levels",
    "participation__employee__user_id",
)


def finalize_appraisals(*, cycle: Cycle, actor) -> dict:
    """Finalise every appraisal of ``cycle`` not finalised yet and freeze its score (see
    the module's docstring). Returns {"scored": n, "not_reviewed": n}; a second run finds
    nothing to do and changes nothing."""
    require_hr(actor, allow_system=True)
    released = AppraisalSettings.objects.filter(cycle=cycle, released_at__isnull=False).exists()
    pending = Appraisal.objects.filter(participation__cycle=cycle).exclude(
        status=AppraisalStatus.FINALIZED
    )
    totals: Counter = Counter()
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                pending.filter(pk__gt=last_pk).order_by("pk").values_list(*ROW_FIELDS)[:CHUNK]
            )
            if not rows:
                break
            last_pk = rows[-1][0]
            totals.update(
                _finalize_rows(
                    rows, cycle=cycle, released=released, actor=actor, verb="appraisal.finalized"
                )
            )
    result = {"scored": totals["scored"], "not_reviewed": totals["not_reviewed"]}
    if totals:
        record_event(actor=actor, verb="appraisals.finalized", obj=cycle, after=result)
    return result


def close_appraisals(*, cycle: Cycle, actor) -> None:
    """Phase hook (perfcycle.phases): the cycle leaves appraisal."""
    finalize_appraisals(cycle=cycle, actor=actor)


# --- Reopen and finalise again -------------------------------------------------------------


def reopen_appraisal(*, appraisal_id: int, reason: str, expected_version, actor) -> Reopening:
    """HR reopens one finalised appraisal with a mandatory reason: back to calibration,
    its score hidden from the employee until it is finalised again."""
    require_hr(actor)
    reason = (reason or "").strip()
    with transaction.atomic():
        appraisal = lock_for_update(Appraisal.objects.with_people(), appraisal_id)
        if not APPRAISAL.may(actor, "reopen", appraisal.participation):
            raise ClosingError(_("Only HR reopens an appraisal."))
        check_version(appraisal, expected_version, noun=_("appraisal"))
        require_move(
            appraisal,
            AppraisalStatus.CALIBRATION,
            error=ClosingError,
            message=lambda: (
                _("Only a finalised appraisal can be reopened; this one is %(state)s.")
                % {"state": appraisal.get_status_display().lower()}
            ),
        )
        if not reason:
            raise ClosingError({"reason": [_("Say why the appraisal is reopened.")]})
        reopening = Reopening.objects.create(
            appraisal=appraisal,
            reason=reason,
            reopened_by=user_of(actor),
            score_before=appraisal.final_score,
        )
        appraisal.status = AppraisalStatus.CALIBRATION
        appraisal.finalized_at = None
        appraisal.released_at = None
        appraisal.reopened_count += 1
        save_versioned(appraisal, ["status", "finalized_at", "released_at", "reopened_count"])
        record_event(
            actor=actor,
            verb="appraisal.reopened",
            obj=appraisal,
            before={"status": AppraisalStatus.FINALIZED},
            after={"status": AppraisalStatus.CALIBRATION, "reason": reason},
        )
        if appraisal.reviewer is not None:
            notify(
                recipient=appraisal.reviewer.user,
                title=_("HR reopened the appraisal of %(name)s")
                % {"name": appraisal.participation.employee.full_name},
                body=reason,
                url=appraisal_url(appraisal.pk),
            )
    return reopening


def refinalize_appraisal(*, appraisal_id: int, expected_version, actor) -> Appraisal:
    """Finalise a reopened appraisal again, exactly as the close does."""
    require_hr(actor)
    with transaction.atomic():
        appraisal = lock_for_update(Appraisal.objects.with_people(), appraisal_id)
        check_version(appraisal, expected_version, noun=_("appraisal"))
        if appraisal.status != AppraisalStatus.CALIBRATION or not appraisal.reopened_count:
            raise ClosingError(_("Only a reopened appraisal is finalised again here."))
        cycle = appraisal.participation.cycle
        released = AppraisalSettings.objects.filter(cycle=cycle, released_at__isnull=False).exists()
        row = Appraisal.objects.filter(pk=appraisal.pk).values_list(*ROW_FIELDS).get()
        _finalize_rows(
            [row], cycle=cycle, released=released, actor=actor, verb="appraisal.refinalized"
        )
        appraisal.refresh_from_db()
    return appraisal
