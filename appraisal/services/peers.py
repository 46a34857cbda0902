"""Peer (360°) input: nominate, approve, ask, answer, remind and expire.

The flow, one service per move of :class:`appraisal.models.PeerReview` (``TRANSITIONS``):

1. The appraisee nominates colleagues (``nominate_peers``): only when the appraisal has a
   peer section, never themself, their reviewer or their line manager, active people
   only, no one twice, at most ``AppraisalSettings.peer_max`` (declined ones do not count).
2. The reviewer (or HR) approves or declines each nomination (``decide_nomination``).
3. With at least ``peer_min`` approved, the reviewer asks them (``ask_peers``): each gets
   the due date (``peer_deadline``, else the cycle's appraisal deadline) and a
   notification. From then on the set of peers is fixed: no more nominations or
   decisions, so nobody can learn one person's answer by comparing the aggregates
   before and after that person joined.
4. Each peer answers their own questionnaire once, by the due date
   (``answer_peer_review``): a level of the appraisal's scale for every peer item, with
   comments. When the last one is in (or at expiry) and enough have answered, the
   appraisee and the reviewer hear that peer input is ready — never from whom.
5. Beat (appraisal/tasks.py): one reminder per peer a few days before the due date
   (``send_peer_reminders``, claimed once), and the unanswered ones expire the day after
   it (``expire_peer_reviews``). Both idempotent.

Anonymity: no message here names a peer to the appraisee, and no error the appraisee
can provoke says anything about who answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisal.models import (
    Appraisal,
    AppraisalItem,
    AppraisalSettings,
    AppraisalStatus,
    PeerRating,
    PeerReview,
    PeerStatus,
)
from appraisal.policies import APPRAISAL
from appraisal.services.assessment import rescore_with_peer_input
from appraisal.services.opening import settings_for
from goals.models import SectionKind
from perfcycle import access
from perfcycle.audit import Subject, record_event
from perfcycle.formatting import format_date
from perfcycle.models import Cycle, Employee
from perfcycle.notifications import Message, claim_once, notify, notify_messages
from perfcycle.workflow import (
    SYSTEM,
    DomainError,
    check_version,
    lock_for_update,
    require_actor,
    require_move,
    save_versioned,
    user_of,
)

# Peers hear once this many days before their due date.
REMINDER_DAYS = 3
REMINDER_KIND = "appraisal.peer_due"
# Appraisals still open for peer input: before calibration the manager's review can use it.
OPEN_STATUSES = (
    AppraisalStatus.NOT_STARTED,
    AppraisalStatus.SELF_ASSESSMENT,
    AppraisalStatus.MANAGER_REVIEW,
)
# Appraisals whose asked peers may still answer: also in calibration (the score is then
# recomputed with their input, appraisal.services.assessment.rescore_with_peer_input), so
# an answer given by the due date is never lost because the manager submitted first.
ANSWERABLE_STATUSES = (*OPEN_STATUSES, AppraisalStatus.CALIBRATION)
# Asked of the peer: approved and sent (a due date), answered or expired.
ASKED = Q(status=PeerStatus.APPROVED, due_date__isnull=False) | Q(
    status__in=[PeerStatus.ANSWERED, PeerStatus.EXPIRED]
)


class PeerError(DomainError):
    """Peer input cannot change as asked (its state, the cycle's phase, the limits)."""


# --- Shared reads --------------------------------------------------------------------------


def peer_items(appraisal: Appraisal) -> list[AppraisalItem]:
    """The appraisal's peer-section items, in their order."""
    return list(appraisal.items.filter(section=SectionKind.PEER).order_by("position", "id"))


def has_peer_section(appraisal: Appraisal) -> bool:
    return appraisal.items.filter(section=SectionKind.PEER).exists()


def due_date_for(cycle: Cycle, peer_settings: AppraisalSettings) -> dt.date:
    return peer_settings.peer_deadline or cycle.appraisal_deadline


def peers_asked(appraisal: Appraisal) -> bool:
    """Whether the reviewer has sent the requests (the set of peers is then fixed)."""
    return appraisal.peer_reviews.filter(ASKED).exists()


def scale_values(appraisal: Appraisal) -> list[int]:
    return [int(level["value"]) for level in appraisal.scale_levels]


def _lock_appraisal(appraisal: Appraisal) -> Appraisal:
    return lock_for_update(Appraisal.objects.with_people(), appraisal.pk)


def _require_open(appraisal: Appraisal) -> None:
    cycle = appraisal.participation.cycle
    if cycle.phase != Cycle.Phase.APPRAISAL:
        raise PeerError(
            _("%(cycle)s is in its %(phase)s phase: peer input is collected only during appraisal.")
            % {"cycle": cycle.name, "phase": cycle.get_phase_display()}
        )
    if appraisal.status not in OPEN_STATUSES:
        raise PeerError(
            _("This appraisal is in %(status)s: peer input is closed.")
            % {"status": appraisal.get_status_display().lower()}
        )


def _require_peer_section(appraisal: Appraisal) -> None:
    if not has_peer_section(appraisal):
        raise PeerError(_("This appraisal's template has no peer section: no peer input is asked."))


def _url(name: str, *args) -> str:
    return reverse(name, args=args)


# --- 1. Nominate -------------------------------------------------------------------------------


def nomination_refusal(appraisal: Appraisal, peer: Employee) -> str | None:
    """Why ``peer`` cannot be nominated on ``appraisal`` (None if they can): the rules
    that are about the person, checked at the field."""
    participation = appraisal.participation
    person = participation.employee
    name = peer.full_name
    if peer.pk == participation.employee_id:
        return _("You cannot nominate yourself.")
    if peer.pk in {appraisal.reviewer_id, participation.reviewer_id, person.manager_id}:
        return _("%(name)s is your manager: managers give their view in the review itself.") % {
            "name": name
        }
    if not peer.is_active:
        return _("%(name)s is no longer an active employee.") % {"name": name}
    return None


def nominate_peers(*, appraisal: Appraisal, peers: Iterable[Employee], actor) -> list[PeerReview]:
    """The appraisee nominates ``peers``. Refusals are keyed ``peers`` for the form; nothing
    is written unless every one is accepted."""
    require_actor(actor)
    peers = list(peers)
    with transaction.atomic():
        appraisal = _lock_appraisal(appraisal)
        if not APPRAISAL.may(actor, "nominate_peers", appraisal.participation):
            raise PermissionDenied
        _require_open(appraisal)
        _require_peer_section(appraisal)
        if peers_asked(appraisal):
            raise PeerError(
                _("Your manager has already asked your peers: the list of peers is final.")
            )
        rules = settings_for(appraisal.participation.cycle)
        errors = []
        if not peers:
            errors.append(_("Choose at least one colleague."))
        existing = dict(appraisal.peer_reviews.values_list("peer_id", "status"))
        seen: set[int] = set()
        for peer in peers:
            refusal = nomination_refusal(appraisal, peer)
            if refusal is None and (peer.pk in existing or peer.pk in seen):
                refusal = _("%(name)s is already nominated.") % {"name": peer.full_name}
            if refusal:
                errors.append(refusal)
            seen.add(peer.pk)
        counting = sum(1 for status in existing.values() if status != PeerStatus.DECLINED)
        if counting + len(seen) > rules.peer_max:
            errors.append(
                ngettext(
                    "You can nominate at most %(max)s colleague; you would have %(count)s.",
                    "You can nominate at most %(max)s colleagues; you would have %(count)s.",
                    rules.peer_max,
                )
                % {"max": rules.peer_max, "count": counting + len(seen)}
            )
        if errors:
            raise ValidationError({"peers": errors})
        now = timezone.now()
        created = PeerReview.objects.bulk_create(
            [PeerReview(appraisal=appraisal, peer=peer, nominated_at=now) for peer in peers]
        )
        record_event(
            actor=actor,
            verb="appraisal.peers_nominated",
            obj=appraisal,
            after={"count": len(created)},
        )
        reviewer = appraisal.reviewer
        if reviewer is not None:
            person = appraisal.participation.employee.full_name
            notify(
                recipient=reviewer.user,
                title=ngettext(
                    "%(name)s nominated %(count)s colleague for peer input: approve or decline",
                    "%(name)s nominated %(count)s colleagues for peer input: approve or decline",
                    len(created),
                )
                % {"name": person, "count": len(created)},
                url=_url("appraisal:peer-approvals"),
            )
    return created


# --- 2. Approve or decline ---------------------------------------------------------------------


def may_decide(user, appraisal: Appraisal) -> bool:
    return APPRAISAL.may(user, "approve_peers", appraisal.participation)


def decide_nomination(*, review: PeerReview, approve: bool, actor, expected_version) -> PeerReview:
    """The reviewer (or HR) approves or declines one nomination, before the peers are asked."""
    require_actor(actor)
    with transaction.atomic():
        appraisal = _lock_appraisal(review.appraisal)
        review = lock_for_update(PeerReview, review.pk)
        if not may_decide(actor, appraisal):
            raise PermissionDenied
        _require_open(appraisal)
        check_version(review, expected_version, noun=_("nomination"))
        to = PeerStatus.APPROVED if approve else PeerStatus.DECLINED
        require_move(
            review,
            to,
            error=PeerError,
            message=lambda: _("This nomination is already decided."),
        )
        if peers_asked(appraisal):
            raise PeerError(_("The peers have been asked: the list of peers is final."))
        review.status = to
        review.decided_at = timezone.now()
        review.decided_by = user_of(actor)
        save_versioned(review, ["status", "decided_at", "decided_by"])
        record_event(
            actor=actor,
            verb="appraisal.peer_approved" if approve else "appraisal.peer_declined",
            obj=review,
            after={"status": to.value},
        )
    review.appraisal = appraisal
    return review


# --- 3. Ask ----------------------------------------------------------------------------------


def missing_approvals(appraisal: Appraisal, peer_settings: AppraisalSettings) -> int:
    approved = appraisal.peer_reviews.filter(status=PeerStatus.APPROVED).count()
    return max(peer_settings.peer_min - approved, 0)


def ask_peers(*, appraisal: Appraisal, actor, today: dt.date | None = None) -> int:
    """Send the approved nominations: each peer gets the due date and a notification.
    Needs at least ``peer_min`` approved; returns how many were asked."""
    require_actor(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        appraisal = _lock_appraisal(appraisal)
        if not may_decide(actor, appraisal):
            raise PermissionDenied
        _require_open(appraisal)
        if peers_asked(appraisal):
            raise PeerError(_("The peers have already been asked."))
        cycle = appraisal.participation.cycle
        rules = settings_for(cycle)
        missing = missing_approvals(appraisal, rules)
        if missing:
            raise PeerError(
                ngettext(
                    "Approve %(missing)s more peer before asking: at least %(min)s are needed.",
                    "Approve %(missing)s more peers before asking: at least %(min)s are needed.",
                    missing,
                )
                % {"missing": missing, "min": rules.peer_min}
            )
        if appraisal.peer_reviews.filter(status=PeerStatus.NOMINATED).exists():
            raise PeerError(_("Approve or decline every nomination before asking."))
        due = due_date_for(cycle, rules)
        if due < today:
            raise PeerError(
                _("The peers' due date (%(date)s) has passed: HR sets a later one first.")
                % {"date": format_date(due)}
            )
        reviews = list(
            appraisal.peer_reviews.filter(status=PeerStatus.APPROVED).select_related("peer__user")
        )
        PeerReview.objects.filter(pk__in=[r.pk for r in reviews]).update(due_date=due)
        person = appraisal.participation.employee.full_name
        notify_messages(
            [
                Message(
                    r.peer.user_id,
                    r.peer.user.email,
                    _("%(name)s's appraisal: your peer input is asked by %(date)s")
                    % {"name": person, "date": format_date(due)},
                    _("Your answers reach %(name)s only together with other colleagues'.")
                    % {"name": person},
                    _url("appraisal:peer-questionnaire", r.pk),
                )
                for r in reviews
            ],
            enqueue=True,
        )
        notify(
            recipient=appraisal.participation.employee.user,
            title=ngettext(
                "%(count)s colleague has been asked for peer input, due %(date)s",
                "%(count)s colleagues have been asked for peer input, due %(date)s",
                len(reviews),
            )
            % {"count": len(reviews), "date": format_date(due)},
            url=_url("appraisal:peer-input"),
        )
        record_event(
            actor=actor,
            verb="appraisal.peers_asked",
            obj=appraisal,
            after={"count": len(reviews), "due_date": due.isoformat()},
        )
    return len(reviews)


# --- 4. Answer ---------------------------------------------------------------------------------


def clean_answers(
    appraisal: Appraisal, items: list[AppraisalItem], ratings: Mapping[int, object]
) -> dict[int, int]:
    """Each item's rating as a level of the appraisal's scale; errors keyed
    ``rating_<item id>`` for the form. Whatever the client sends (5.9, "", "x", 99) is
    refused unless it is exactly a level value."""
    values = scale_values(appraisal)
    clean: dict[int, int] = {}
    errors = {}
    for item in items:
        raw = ratings.get(item.pk)
        text = "" if raw is None else str(raw).strip()
        if not text:
            errors[f"rating_{item.pk}"] = _("Choose a rating.")
            continue
        if not text.isdigit() or int(text) not in values:
            errors[f"rating_{item.pk}"] = _(
                "Choose one of the levels of the scale (%(levels)s)."
            ) % {"levels": ", ".join(str(v) for v in values)}
            continue
        clean[item.pk] = int(text)
    if errors:
        raise ValidationError(errors)
    return clean


def answer_peer_review(
    *,
    review: PeerReview,
    ratings: Mapping[int, object],
    comments: Mapping[int, str],
    comment: str = "",
    actor,
    expected_version,
    today: dt.date | None = None,
) -> PeerReview:
    """The peer answers their own questionnaire, once, by the due date."""
    require_actor(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        appraisal = _lock_appraisal(review.appraisal)
        review = lock_for_update(PeerReview.objects.select_related("peer"), review.pk)
        me = access.employee_of(actor)
        if me is None or review.peer_id != me.pk or review.due_date is None:
            raise PermissionDenied
        check_version(review, expected_version, noun=_("questionnaire"))
        require_move(
            review,
            PeerStatus.ANSWERED,
            error=PeerError,
            message=lambda: (
                _("You have already answered this questionnaire.")
                if review.status == PeerStatus.ANSWERED
                else _("This questionnaire is closed.")
            ),
        )
        if today > review.due_date:
            raise PeerError(
                _("This questionnaire was due %(date)s: it is closed.")
                % {"date": format_date(review.due_date)}
            )
        if appraisal.status not in ANSWERABLE_STATUSES:
            raise PeerError(_("This appraisal has moved on: peer input is closed."))
        items = peer_items(appraisal)
        clean = clean_answers(appraisal, items, ratings)
        PeerRating.objects.bulk_create(
            [
                PeerRating(
                    review=review,
                    item=item,
                    rating=clean[item.pk],
                    comment=(comments.get(item.pk) or "").strip(),
                )
                for item in items
            ]
        )
        review.status = PeerStatus.ANSWERED
        review.answered_at = timezone.now()
        review.comment = (comment or "").strip()
        save_versioned(review, ["status", "answered_at", "comment"])
        record_event(actor=actor, verb="appraisal.peer_answered", obj=review)
        _announce_if_complete(appraisal)
        rescore_with_peer_input(appraisal)
    review.appraisal = appraisal
    return review


def _announce_if_complete(appraisal: Appraisal) -> bool:
    """When no asked peer is still to answer and enough have: tell the appraisee and the
    reviewer (once per appraisal) that peer input is ready — how many, never who."""
    counts = appraisal.peer_reviews.aggregate(
        answered=Count("pk", filter=Q(status=PeerStatus.ANSWERED)),
        waiting=Count("pk", filter=Q(status=PeerStatus.APPROVED, due_date__isnull=False)),
    )
    rules = settings_for(appraisal.participation.cycle)
    if counts["waiting"] or counts["answered"] < rules.peer_anonymity_threshold:
        return False
    if not claim_once("appraisal.peer_ready", [str(appraisal.pk)]):
        return False
    count = counts["answered"]
    person = appraisal.participation.employee
    notify(
        recipient=person.user,
        title=ngettext(
            "Peer input on your appraisal is ready: %(count)s colleague answered",
            "Peer input on your appraisal is ready: %(count)s colleagues answered",
            count,
        )
        % {"count": count},
        url=_url("appraisal:peer-input"),
    )
    if appraisal.reviewer is not None:
        notify(
            recipient=appraisal.reviewer.user,
            title=ngettext(
                "Peer input on %(name)s's appraisal is ready: %(count)s colleague answered",
                "Peer input on %(name)s's appraisal is ready: %(count)s colleagues answered",
                count,
            )
            % {"name": person.full_name, "count": count},
            url=_url("appraisal:peer-result", appraisal.pk),
        )
    return True


# --- 5. Beat: remind, expire -------------------------------------------------------------------


def send_peer_reminders(*, today: dt.date | None = None) -> int:
    """One reminder per unanswered questionnaire due within ``REMINDER_DAYS`` (at most once
    each, however often this runs); returns how many were sent."""
    today = today or timezone.localdate()
    waiting = list(
        PeerReview.objects.filter(
            status=PeerStatus.APPROVED,
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=REMINDER_DAYS),
            appraisal__status__in=ANSWERABLE_STATUSES,
        )
        .select_related("peer__user", "appraisal__participation__employee__user")
        .order_by("pk")
    )
    if not waiting:
        return 0
    with transaction.atomic():
        claimed = claim_once(REMINDER_KIND, [str(r.pk) for r in waiting])
        due = [r for r in waiting if str(r.pk) in claimed]
        notify_messages(
            Message(
                r.peer.user_id,
                r.peer.user.email,
                _("Reminder: your peer input on %(name)s's appraisal is due %(date)s")
                % {
                    "name": r.appraisal.participation.employee.full_name,
                    "date": format_date(r.due_date),
                },
                "",
                _url("appraisal:peer-questionnaire", r.pk),
            )
            for r in due
        )
        if due:
            record_event(
                actor=SYSTEM,
                verb="appraisal.peer_reminders_sent",
                obj=Subject(PeerReview, REMINDER_KIND, _("Peer input reminders")),
                after={"sent": len(due)},
            )
    return len(due)


def expire_peer_reviews(*, today: dt.date | None = None) -> int:
    """Questionnaires still unanswered after their due date are closed as not answered in
    time; appraisals left complete are announced. Returns how many expired."""
    today = today or timezone.localdate()
    with transaction.atomic():
        late = PeerReview.objects.select_for_update().filter(
            status=PeerStatus.APPROVED, due_date__lt=today
        )
        rows = list(late.values_list("pk", "appraisal_id"))
        if not rows:
            return 0
        PeerReview.objects.filter(pk__in=[pk for pk, _a in rows]).update(status=PeerStatus.EXPIRED)
        record_event(
            actor=SYSTEM,
            verb="appraisal.peer_reviews_expired",
            obj=Subject(PeerReview, "", _("peer questionnaires")),
            after={"count": len(rows)},
        )
        for appraisal in Appraisal.objects.with_people().filter(pk__in={a for _pk, a in rows}):
            _announce_if_complete(appraisal)
    return len(rows)
