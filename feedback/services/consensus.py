"""Consensus on the result: the employee agrees, or disagrees with specific items, and each
disagreement is a dispute decided one step up.

- **Asked** when the interview is recorded (``ask_for_agreement``, an interview_recorded
  listener): one pending :class:`Acknowledgement` per appraisal, due on the interview's
  day + the cycle's ``response_days``; the employee is told.
- **Agree** (optional comment) or **disagree** with items (a reason per item, required):
  one :class:`Dispute` per item — never two for one item (refused at that item's field;
  the database's unique constraint stands behind it). While the answer is open (pending,
  or disagreed and not past its deadline) further items may be disputed; agreeing is final.
- **Routing**: the resolver is the manager of the participation's reviewer (active, not
  the employee nor the rating's author), else nobody — HR decides. Due today +
  ``dispute_days``. The resolver (or HR) and the reviewer are told.
- **Decide**: uphold (a written resolution) or change the rating (a level of the scale and
  a written resolution) through the appraisal's own ``revise_rating`` (history, rescoring,
  audit there). The routed resolver decides, or HR; never the employee nor the author of
  the disputed rating, even when they hold HR (``may_resolve``). The employee reads the
  resolution; the reviewer is told.
- **Deadlines** (beat, feedback/tasks_consensus.py): the employee is reminded once before
  the answer deadline; after it a pending answer becomes "no response" (never agreement),
  audited; resolvers are reminded once before a dispute's due date; an overdue dispute is
  told to HR once.

Every change is transactional, versioned (the form's version; a stale one is a conflict
and overwrites nothing), audited and notified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisal.models import Appraisal, AppraisalItem
from appraisal.services.assessment import rated_items
from appraisal.services.revision import is_rating_author, may_revise, revise_rating
from feedback.models import Acknowledgement, AcknowledgementStatus, Dispute, DisputeStatus
from feedback.policies import ACKNOWLEDGEMENT
from feedback.services.settings import settings_for
from perfcycle import access
from perfcycle.access import Relation, relations_of
from perfcycle.audit import Event, Subject, record_event, record_events
from perfcycle.formatting import format_date
from perfcycle.models import Employee
from perfcycle.notifications import Message, claim_once, notify, notify_many, notify_messages
from perfcycle.phases import hr_admins
from perfcycle.workflow import (
    SYSTEM,
    DomainError,
    check_version,
    lock_for_update,
    require_move,
    save_versioned,
)

A = AcknowledgementStatus
REMIND_DAYS_BEFORE = 2
ACK_REMINDER_KIND = "feedback.answer_due"
DISPUTE_REMINDER_KIND = "feedback.dispute_due"
DISPUTE_OVERDUE_KIND = "feedback.dispute_overdue"


class ConsensusError(DomainError):
    pass


def my_result_url(cycle_id: int) -> str:
    return f"{reverse('feedback:consensus-mine')}?cycle={cycle_id}"


def dispute_url(pk: int) -> str:
    return reverse("feedback:consensus-dispute", args=[pk])


# --- Asked after the interview -------------------------------------------------------------


def ask_for_agreement(*, interview, actor) -> Acknowledgement | None:
    """interview_recorded listener: ask the employee to agree or disagree (once per
    appraisal; recording again asks nothing new). Inside the recording's transaction."""
    appraisal = interview.appraisal
    participation = interview.participation
    rules = settings_for(participation.cycle)
    held_on = timezone.localdate(interview.held_at)
    acknowledgement, created = Acknowledgement.objects.get_or_create(
        appraisal=appraisal,
        defaults={
            "participation": participation,
            "due_date": held_on + dt.timedelta(days=rules.response_days),
        },
    )
    if not created:
        return None
    record_event(
        actor=actor,
        verb="feedback.agreement_asked",
        obj=acknowledgement,
        after={"status": acknowledgement.status, "due_date": acknowledgement.due_date.isoformat()},
    )
    notify(
        recipient=participation.employee.user,
        title=_("Your result for %(cycle)s: do you agree?") % {"cycle": participation.cycle.name},
        body=_(
            "Your feedback interview is recorded. Read your result and its breakdown, then "
            "agree or disagree with specific items by %(date)s."
        )
        % {"date": format_date(acknowledgement.due_date)},
        url=my_result_url(participation.cycle_id),
    )
    return acknowledgement


# --- The employee answers ------------------------------------------------------------------


def _lock_acknowledgement(actor, acknowledgement_id: int) -> Acknowledgement:
    acknowledgement = lock_for_update(
        Acknowledgement.objects.select_related(
            "participation__employee__user", "participation__cycle", "participation__reviewer"
        ),
        acknowledgement_id,
    )
    if not ACKNOWLEDGEMENT.may(actor, "respond", acknowledgement.participation):
        raise PermissionDenied
    return acknowledgement


def may_dispute_more(acknowledgement: Acknowledgement, today: dt.date) -> bool:
    """Whether items may still be disputed: the answer is pending, or it is a disagreement
    and its deadline has not passed."""
    if acknowledgement.status == A.PENDING:
        return True
    return acknowledgement.status == A.DISAGREED and today <= acknowledgement.due_date


def agree_with_result(
    *, actor, acknowledgement_id: int, comment: str = "", expected_version
) -> Acknowledgement:
    """The employee agrees with the result (final). Optional comment."""
    with transaction.atomic():
        acknowledgement = _lock_acknowledgement(actor, acknowledgement_id)
        check_version(acknowledgement, expected_version, noun=_("answer"))
        require_move(
            acknowledgement,
            A.AGREED,
            error=ConsensusError,
            message=lambda: (
                _("Your answer is recorded already: %(state)s.")
                % {"state": acknowledgement.get_status_display().lower()}
            ),
        )
        acknowledgement.status = A.AGREED
        acknowledgement.comment = (comment or "").strip()
        acknowledgement.responded_at = timezone.now()
        save_versioned(acknowledgement, ["status", "comment", "responded_at"])
        record_event(
            actor=actor,
            verb="feedback.result_agreed",
            obj=acknowledgement,
            before={"status": A.PENDING},
            after={"status": A.AGREED, "comment": acknowledgement.comment},
        )
        _tell_reviewer(
            acknowledgement,
            _("%(name)s agrees with their result")
            % {"name": acknowledgement.participation.employee.full_name},
            acknowledgement.comment,
        )
    return acknowledgement


def _tell_reviewer(acknowledgement: Acknowledgement, title: str, body: str, url: str = "") -> None:
    reviewer = acknowledgement.participation.reviewer
    if reviewer is not None and reviewer.is_active:
        notify(recipient=reviewer.user, title=title, body=body, url=url)


def route_dispute(appraisal: Appraisal) -> Employee | None:
    """Who decides a dispute on ``appraisal``: the manager of the participation's reviewer
    when active and neither the employee nor the rating's author; else None (HR)."""
    participation = appraisal.participation
    reviewer = participation.reviewer
    if reviewer is None or reviewer.manager_id is None:
        return None
    manager = Employee.objects.select_related("user").filter(pk=reviewer.manager_id).first()
    if manager is None or not manager.is_active or not manager.user.is_active:
        return None
    if manager.pk == participation.employee_id or is_rating_author(manager.user, appraisal):
        return None
    return manager


def item_field(item_id: int) -> str:
    """The form field of one item's checkbox; its reason is ``reason_<id>``."""
    return f"item_{item_id}"


def reason_field(item_id: int) -> str:
    return f"reason_{item_id}"


def disagree_with_items(
    *,
    actor,
    acknowledgement_id: int,
    reasons: Mapping[int, str],
    comment: str = "",
    expected_version,
    today: dt.date | None = None,
) -> list[Dispute]:
    """The employee disagrees with the items of ``reasons`` ({item id: reason}): one
    dispute each, routed (see the module's docstring). Refused at the field: no item, an
    item without a reason, an item not rated in this appraisal, an item disputed before."""
    today = today or timezone.localdate()
    with transaction.atomic():
        acknowledgement = _lock_acknowledgement(actor, acknowledgement_id)
        check_version(acknowledgement, expected_version, noun=_("answer"))
        if not may_dispute_more(acknowledgement, today):
            if acknowledgement.status == A.DISAGREED:
                message = _(
                    "The deadline for your answer has passed: no more items can be disputed."
                )
            else:
                message = _("Your answer is recorded already: %(state)s.") % {
                    "state": acknowledgement.get_status_display().lower()
                }
            raise ConsensusError(message)
        appraisal = Appraisal.objects.with_people().get(pk=acknowledgement.appraisal_id)
        items = {item.pk: item for item in rated_items(appraisal)}
        taken = set(Dispute.objects.filter(appraisal=appraisal).values_list("item_id", flat=True))
        errors: dict[str, list] = {}
        chosen: list[tuple[AppraisalItem, str]] = []
        for item_id, reason in reasons.items():
            reason = (reason or "").strip()
            if item_id not in items:
                errors["__all__"] = [_("Choose only items of your own result.")]
                continue
            if item_id in taken:
                errors[item_field(item_id)] = [
                    _("You have disputed this item already: its dispute is on its way.")
                ]
                continue
            if not reason:
                errors[reason_field(item_id)] = [_("Say why you disagree with this rating.")]
                continue
            chosen.append((items[item_id], reason))
        if not reasons:
            errors["__all__"] = [_("Tick at least one item you disagree with.")]
        if errors:
            raise ConsensusError(errors)
        resolver = route_dispute(appraisal)
        rules = settings_for(acknowledgement.participation.cycle)
        due = today + dt.timedelta(days=rules.dispute_days)
        try:
            with transaction.atomic():
                disputes = [
                    Dispute.objects.create(
                        acknowledgement=acknowledgement,
                        appraisal=appraisal,
                        participation=acknowledgement.participation,
                        item=item,
                        reason=reason,
                        resolver=resolver,
                        due_date=due,
                        rating_before=item.manager_rating,
                    )
                    for item, reason in chosen
                ]
        except IntegrityError:
            # A second tab sent the same item at the same moment: the first one stands.
            raise ConsensusError(
                {
                    item_field(item.pk): [_("You have disputed this item already.")]
                    for item, _r in chosen
                }
            ) from None
        first = acknowledgement.status == A.PENDING
        if first:
            acknowledgement.status = A.DISAGREED
            acknowledgement.responded_at = timezone.now()
        if comment and comment.strip():
            acknowledgement.comment = comment.strip()
        save_versioned(acknowledgement, ["status", "responded_at", "comment"])
        if first:
            record_event(
                actor=actor,
                verb="feedback.result_disagreed",
                obj=acknowledgement,
                before={"status": A.PENDING},
                after={"status": A.DISAGREED, "items": len(disputes)},
            )
        record_events(
            [
                Event(
                    actor=actor,
                    verb="feedback.dispute_opened",
                    obj=dispute,
                    after={
                        "item": dispute.item.title,
                        "rating_before": dispute.rating_before,
                        "resolver": resolver.full_name if resolver else str(_("HR")),
                        "due_date": due.isoformat(),
                    },
                )
                for dispute in disputes
            ]
        )
        _tell_about_disputes(acknowledgement, disputes, resolver)
    return disputes


def _tell_about_disputes(acknowledgement, disputes, resolver) -> None:
    employee = acknowledgement.participation.employee
    count = len(disputes)
    title = ngettext(
        "%(name)s disputes %(count)s rating: please decide",
        "%(name)s disputes %(count)s ratings: please decide",
        count,
    ) % {"name": employee.full_name, "count": count}
    body = _("Decide by %(date)s: uphold each rating or change it, with a written resolution.") % {
        "date": format_date(disputes[0].due_date)
    }
    url = dispute_url(disputes[0].pk)
    if resolver is not None:
        notify(recipient=resolver.user, title=title, body=body, url=url)
    else:
        notify_many(recipients=list(hr_admins()), title=title, body=body, url=url, email=True)
    _tell_reviewer(
        acknowledgement,
        ngettext(
            "%(name)s disagrees with %(count)s of your ratings",
            "%(name)s disagrees with %(count)s of your ratings",
            count,
        )
        % {"name": employee.full_name, "count": count},
        _("%(who)s decides. You can read the dispute; you cannot decide on your own rating.")
        % {"who": resolver.full_name if resolver else _("HR")},
        url,
    )


# --- Deciding a dispute ----------------------------------------------------------------------


def may_resolve(user, dispute: Dispute) -> bool:
    """The routed resolver, or HR; never the employee nor the disputed rating's author
    (even when they hold HR). Needs ``dispute.appraisal`` with its participation."""
    appraisal = dispute.appraisal
    relations = relations_of(user, dispute.participation, Relation.SELF | Relation.HR)
    if Relation.SELF in relations or is_rating_author(user, appraisal):
        return False
    if Relation.HR in relations:
        return True
    employee = access.employee_of(user)
    return employee is not None and dispute.resolver_id == employee.pk


@dataclass(frozen=True)
class Decision:
    """A resolver's decision: ``change`` False upholds; True sets ``rating``."""

    change: bool
    resolution: str
    rating: int | None = None


def resolve_dispute(*, actor, dispute_id: int, decision: Decision, expected_version) -> Dispute:
    """Uphold the rating or change it (through the appraisal's ``revise_rating``), with a
    written resolution the employee reads. Refused: the wrong person (PermissionDenied),
    a dispute decided already, a missing resolution or rating (at the field)."""
    resolution = (decision.resolution or "").strip()
    with transaction.atomic():
        dispute = lock_for_update(
            Dispute.objects.select_related(
                "participation__employee__user",
                "participation__cycle",
                "participation__reviewer__user",
                "item",
            ),
            dispute_id,
        )
        dispute.appraisal = Appraisal.objects.with_people().get(pk=dispute.appraisal_id)
        if not may_resolve(actor, dispute):
            raise PermissionDenied
        check_version(dispute, expected_version, noun=_("dispute"))
        to_status = DisputeStatus.CHANGED if decision.change else DisputeStatus.UPHELD
        require_move(
            dispute,
            to_status,
            error=ConsensusError,
            message=lambda: (
                _("This dispute is decided already: %(state)s.")
                % {"state": dispute.get_status_display().lower()}
            ),
        )
        errors = {}
        if not resolution:
            errors["resolution"] = [_("Write the resolution: the employee reads it.")]
        if decision.change and decision.rating is None:
            errors["rating"] = [_("Choose the new rating.")]
        if errors:
            raise ConsensusError(errors)
        if decision.change and not may_revise(actor, dispute.appraisal):
            # The routed resolver no longer manages the reviewer (the chart changed since):
            # the appraisal accepts a change only from one step up or HR.
            raise ConsensusError(
                {
                    "decision": [
                        _(
                            "You no longer manage the reviewer, so you cannot change this "
                            "rating: uphold it, or ask HR to decide."
                        )
                    ]
                }
            )
        if decision.change:
            revise_rating(
                actor=actor, item_id=dispute.item_id, rating=decision.rating, reason=resolution
            )
            dispute.rating_after = decision.rating
        else:
            dispute.rating_after = dispute.item.manager_rating
        dispute.status = to_status
        dispute.resolution = resolution
        dispute.resolved_at = timezone.now()
        dispute.resolved_by = actor
        save_versioned(
            dispute, ["status", "resolution", "resolved_at", "resolved_by", "rating_after"]
        )
        record_event(
            actor=actor,
            verb="feedback.dispute_upheld" if not decision.change else "feedback.dispute_changed",
            obj=dispute,
            before={"status": DisputeStatus.OPEN, "rating": dispute.rating_before},
            after={"status": to_status, "rating": dispute.rating_after, "resolution": resolution},
        )
        _tell_decision(dispute)
    return dispute


def _tell_decision(dispute: Dispute) -> None:
    participation = dispute.participation
    if dispute.status == DisputeStatus.CHANGED:
        title = _("Your dispute on “%(item)s” is decided: the rating changed to %(rating)s")
    else:
        title = _("Your dispute on “%(item)s” is decided: the rating stays %(rating)s")
    words = {"item": dispute.item.title, "rating": dispute.rating_after}
    notify(
        recipient=participation.employee.user,
        title=title % words,
        body=dispute.resolution,
        url=dispute_url(dispute.pk),
    )
    reviewer = participation.reviewer
    if reviewer is not None and reviewer.is_active:
        notify(
            recipient=reviewer.user,
            title=_("The dispute of %(name)s on “%(item)s” is decided")
            % {"name": participation.employee.full_name, "item": dispute.item.title},
            body=dispute.resolution,
            url=dispute_url(dispute.pk),
        )


# --- Deadlines (beat) -------------------------------------------------------------------------


def remind_answers(*, today: dt.date) -> int:
    """Each employee whose answer is due within REMIND_DAYS_BEFORE days hears once."""
    rows = list(
        Acknowledgement.objects.filter(
            status=A.PENDING,
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=REMIND_DAYS_BEFORE),
        ).values_list(
            "pk",
            "due_date",
            "participation__cycle_id",
            "participation__cycle__name",
            "participation__employee__user_id",
            "participation__employee__user__email",
        )
    )
    if not rows:
        return 0
    with transaction.atomic():
        claimed = claim_once(ACK_REMINDER_KIND, [str(row[0]) for row in rows])
        notify_messages(
            Message(
                user_id,
                email,
                _("Reminder: agree or disagree with your result for %(cycle)s")
                % {"cycle": cycle_name},
                _(
                    "Answer by %(date)s. Without an answer by then it is recorded as no "
                    "response (not as agreement)."
                )
                % {"date": format_date(due)},
                my_result_url(cycle_id),
            )
            for pk, due, cycle_id, cycle_name, user_id, email in rows
            if str(pk) in claimed
        )
        if claimed:
            record_event(
                actor=SYSTEM,
                verb="feedback.answer_reminders_sent",
                obj=Subject(Acknowledgement, "", str(_("answers on results"))),
                after={"sent": len(claimed)},
            )
    return len(claimed)


def record_no_responses(*, today: dt.date) -> int:
    """Pending answers past their deadline become "no response" (never agreement): each
    audited, the employee told. Idempotent (only pending ones move)."""
    with transaction.atomic():
        rows = list(
            Acknowledgement.objects.select_for_update(skip_locked=True)
            .filter(status=A.PENDING, due_date__lt=today)
            .values_list("pk", "participation__employee__user_id", "participation__cycle_id")
        )
        if not rows:
            return 0
        ids = [pk for pk, _u, _c in rows]
        now = timezone.now()
        Acknowledgement.objects.filter(pk__in=ids, status=A.PENDING).update(
            status=A.NO_RESPONSE, version=F("version") + 1
        )
        record_events(
            [
                Event(
                    actor=SYSTEM,
                    verb="feedback.no_response",
                    obj=Acknowledgement(pk=pk),
                    before={"status": A.PENDING},
                    after={"status": A.NO_RESPONSE},
                    at=now,
                )
                for pk in ids
            ]
        )
        notify_messages(
            Message(
                user_id,
                "",
                _("No answer on your result was given in time"),
                _(
                    "It is recorded as no response, not as agreement. Talk to your manager or "
                    "HR if you disagree."
                ),
                my_result_url(cycle_id),
            )
            for _pk, user_id, cycle_id in rows
        )
    return len(ids)


PERSON = (
    "participation__employee__user__first_name",
    "participation__employee__user__last_name",
    "participation__employee__user__username",
)


def _person(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _open_disputes():
    return Dispute.objects.filter(status=DisputeStatus.OPEN)


def remind_resolvers(*, today: dt.date) -> int:
    """Each open dispute due within REMIND_DAYS_BEFORE days: its resolver (HR when routed to
    HR) hears once."""
    rows = list(
        _open_disputes()
        .filter(due_date__gte=today, due_date__lte=today + dt.timedelta(days=REMIND_DAYS_BEFORE))
        .values_list("pk", "due_date", "resolver__user_id", *PERSON)
    )
    if not rows:
        return 0
    hr = None
    with transaction.atomic():
        claimed = claim_once(DISPUTE_REMINDER_KIND, [str(row[0]) for row in rows])
        messages = []
        for pk, due, user_id, *person in rows:
            if str(pk) not in claimed:
                continue
            if user_id is None:
                hr = hr if hr is not None else list(hr_admins().values_list("pk", flat=True))
                recipients = hr
            else:
                recipients = [user_id]
            messages.extend(
                Message(
                    recipient,
                    "",
                    _("Reminder: a dispute of %(name)s waits for your decision")
                    % {"name": _person(*person)},
                    _("Decide by %(date)s.") % {"date": format_date(due)},
                    dispute_url(pk),
                )
                for recipient in recipients
            )
        notify_messages(messages)
        if claimed:
            record_event(
                actor=SYSTEM,
                verb="feedback.dispute_reminders_sent",
                obj=Subject(Dispute, "", str(_("disputes"))),
                after={"sent": len(claimed)},
            )
    return len(claimed)


def escalate_overdue_disputes(*, today: dt.date) -> int:
    """HR hears once of each open dispute past its due date (its resolver did not decide)."""
    rows = list(_open_disputes().filter(due_date__lt=today).values_list("pk", "due_date", *PERSON))
    if not rows:
        return 0
    with transaction.atomic():
        claimed = claim_once(DISPUTE_OVERDUE_KIND, [str(row[0]) for row in rows])
        hr = list(hr_admins().values_list("pk", "email"))
        notify_messages(
            Message(
                user_id,
                email,
                _("A dispute of %(name)s is overdue") % {"name": _person(*person)},
                _("It was due on %(date)s and is still open. HR may decide it.")
                % {"date": format_date(due)},
                dispute_url(pk),
            )
            for pk, due, *person in rows
            if str(pk) in claimed
            for user_id, email in hr
        )
        record_events(
            [
                Event(
                    actor=SYSTEM,
                    verb="feedback.dispute_escalated",
                    obj=Dispute(pk=pk),
                    after={"due_date": due.isoformat()},
                )
                for pk, due, *_person_fields in rows
                if str(pk) in claimed
            ]
        )
    return len(claimed)


def run_deadlines(*, today: dt.date) -> dict:
    """The beat task's work (feedback/tasks_consensus.py)."""
    return {
        "reminded": remind_answers(today=today),
        "no_response": record_no_responses(today=today),
        "dispute_reminders": remind_resolvers(today=today),
        "escalated": escalate_overdue_disputes(today=today),
    }
