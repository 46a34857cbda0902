"""Improvement plans: written together by the employee and the manager, signed by both,
run with check-points, closed with an outcome.

States (feedback.models.ImprovementPlan.TRANSITIONS)::

    draft ──both sign──▶ agreed ──start day (beat) or "start now"──▶ active
      ▲                    │                                          │
      └──── any edit ──────┘                 completed | extended | not met (manager)

- A plan is **required** when the cycle's rules ask for one and the final result is below
  the qualified level: it is created when the interview is recorded
  (:func:`start_required_plan`, an ``interview_recorded`` listener), its gap prefilled from
  the interview's deficiencies and its causes from the interview's root causes. The
  manager may also start one **by choice** on a released appraisal of someone they review
  (:func:`start_plan`). One running plan per appraisal (a database constraint).
- **Signing** signs *this version* of the content: the sign form carries the version the
  page showed, and any edit after a signature clears both signatures (both sign again).
  A signature does not raise the version (the content did not change: the other side's
  open page stays signable); the agreement, a change of state, does.
- **Check-points** are recorded by the manager (on track / behind, with a note), from a
  week before their date; each is reminded to both once beforehand, and one not recorded
  within ``MISSED_AFTER_DAYS`` of its date is marked missed (beat, :func:`run_plan_schedule`).
- **Closing**: the manager records the outcome with a note — completed, not met, or
  extended to a new end date (a final check-point on that day is added). HR may close a
  plan whose manager has left.

Who: the policy's relations (feedback/policies.py PLAN) on the plan's participation; the
"manager" is the participation's reviewer. Every change is transactional, audited and
notified; the manager's private interview notes are never read here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.models import Appraisal
from feedback.models import (
    RUNNING_PLAN_STATUSES,
    ActionOwner,
    CheckpointStatus,
    ImprovementPlan,
    Interview,
    InterviewStatus,
    PlanAction,
    PlanCheckpoint,
    PlanStatus,
    RootCause,
)
from feedback.services.settings import below_qualified, settings_for
from perfcycle import access
from perfcycle.access import Relation
from perfcycle.audit import Event, record_event, record_events
from perfcycle.formatting import format_date
from perfcycle.notifications import Message, notify, notify_messages, send_once
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

S = PlanStatus
# Check-point reminders go out this many days before the date (once, send_once).
REMINDER_DAYS = 3
REMINDER_KIND = "feedback.plan_checkpoint"
# A check-point may be recorded from this many days before its date ...
RECORD_EARLY_DAYS = 7
# ... and is marked missed when still not recorded this many days after it.
MISSED_AFTER_DAYS = 7
EDITABLE = (S.DRAFT, S.AGREED)
RUNNING = (S.ACTIVE, S.EXTENDED)
OUTCOMES = (S.COMPLETED, S.EXTENDED, S.NOT_MET)


class PlanError(DomainError):
    """An improvement-plan rule refused the change."""


@dataclass(frozen=True)
class ActionInput:
    description: str
    owner: str
    due_date: dt.date
    pk: int | None = None


@dataclass(frozen=True)
class CheckpointInput:
    due_date: dt.date
    pk: int | None = None


@dataclass(frozen=True)
class PlanInput:
    gap: str
    cause_ids: Sequence[int]
    success_criteria: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    actions: Sequence[ActionInput] = ()
    checkpoints: Sequence[CheckpointInput] = ()


# --- Who is who ---------------------------------------------------------------------------


def _plans():
    return ImprovementPlan.objects.select_related(
        "participation__cycle",
        "participation__employee__user",
        "participation__reviewer__user",
        "manager__user",
        "appraisal",
    )


def side_of(user, plan: ImprovementPlan) -> str | None:
    """ "employee" or "manager" when ``user`` writes and signs this plan, else None."""
    relations = access.relations_of(user, plan.participation, Relation.SELF | Relation.REVIEWER)
    if Relation.SELF in relations:
        return "employee"
    if Relation.REVIEWER in relations:
        return "manager"
    return None


def is_manager_of(user, plan: ImprovementPlan) -> bool:
    return side_of(user, plan) == "manager"


def manager_left(plan: ImprovementPlan) -> bool:
    """The manager supporting the plan has left the company, or no longer manages the
    person: HR may then close it."""
    manager = plan.manager
    return not manager.is_active or plan.participation.employee.manager_id != manager.pk


def may_close(user, plan: ImprovementPlan) -> bool:
    if plan.status not in RUNNING:
        return False
    if is_manager_of(user, plan):
        return True
    return access.is_hr(user) and manager_left(plan) and side_of(user, plan) is None


def _people(plan: ImprovementPlan):
    """(the employee's login, the manager's login) to tell."""
    reviewer = plan.participation.reviewer or plan.manager
    return plan.participation.employee.user, reviewer.user


def _other(plan: ImprovementPlan, side: str):
    employee, manager = _people(plan)
    return manager if side == "employee" else employee


def _name(user) -> str:
    return user.get_full_name() or user.username


def _lock(plan: ImprovementPlan) -> ImprovementPlan:
    return lock_for_update(_plans(), plan.pk)


# --- Start ---------------------------------------------------------------------------------


def _running_plan(appraisal: Appraisal) -> ImprovementPlan | None:
    return (
        ImprovementPlan.objects.select_for_update()
        .filter(appraisal=appraisal, status__in=RUNNING_PLAN_STATUSES)
        .first()
    )


def _new_plan(*, appraisal: Appraisal, interview, required: bool, actor) -> ImprovementPlan:
    participation = appraisal.participation
    manager = participation.reviewer or appraisal.reviewer
    if manager is None and interview is not None:
        manager = interview.manager
    if manager is None:
        raise PlanError(_("This appraisal has no reviewer to support an improvement plan."))
    plan = ImprovementPlan(
        participation=participation,
        appraisal=appraisal,
        interview=interview,
        manager=manager,
        required=required,
        gap=(interview.deficiencies if interview is not None else "").strip(),
        created_by=user_of(actor) or manager.user,
    )
    try:
        with transaction.atomic():
            plan.save(force_insert=True)
    except IntegrityError as error:  # a concurrent start won the race for this appraisal
        raise PlanError(_("An improvement plan for this appraisal is already running.")) from error
    if interview is not None:
        plan.causes.set(interview.root_causes.all())
    return plan


def start_required_plan(*, interview: Interview, actor) -> ImprovementPlan | None:
    """The ``interview_recorded`` listener: when the cycle's rules require a plan and the
    result is below the qualified level, the plan is started (once) and both are told. A
    plan the manager had already started by choice becomes the required one."""
    require_actor(actor)
    appraisal = Appraisal.objects.select_related(
        "participation__cycle", "participation__employee__user", "participation__reviewer__user"
    ).get(pk=interview.appraisal_id)
    rules = settings_for(appraisal.participation.cycle)
    if not rules.plan_required or not below_qualified(appraisal, rules):
        return None
    with transaction.atomic():
        lock_for_update(Appraisal, appraisal.pk)
        if ImprovementPlan.objects.filter(appraisal=appraisal, required=True).exists():
            return None  # started before (the listener may run twice): once only
        running = _running_plan(appraisal)
        if running is not None:
            running.required = True
            if running.interview_id is None:
                running.interview = interview
            save_versioned(running, ["required", "interview"])
            record_event(
                actor=actor, verb="feedback.plan_required", obj=running, after={"required": True}
            )
            return running
        plan = _new_plan(appraisal=appraisal, interview=interview, required=True, actor=actor)
        record_event(
            actor=actor,
            verb="feedback.plan_started",
            obj=plan,
            after={"required": True, "interview": interview.pk},
        )
        employee, manager = _people(plan)
        url = plan.get_absolute_url()
        notify(
            recipient=employee,
            title=_("Your improvement plan: write it with %(name)s, then both sign")
            % {"name": _name(manager)},
            body=_(
                "Your result in %(cycle)s is below the qualified level, so the cycle's rules "
                "ask for an improvement plan. It starts from what you discussed in your "
                "interview: the gap and its causes. Add the actions, success criteria and "
                "check-points together with your manager."
            )
            % {"cycle": plan.participation.cycle.name},
            url=url,
        )
        notify(
            recipient=manager,
            title=_("Improvement plan for %(name)s: write it together, then both sign")
            % {"name": plan.participation.employee.full_name},
            url=url,
        )
    return plan


def startable_appraisal(user, appraisal: Appraisal) -> str | None:
    """Why ``user`` cannot start a plan on ``appraisal`` (None if they can)."""
    if Relation.REVIEWER not in access.relations_of(
        user, appraisal.participation, Relation.REVIEWER
    ):
        return _("Only the reviewer of this appraisal can start an improvement plan.")
    if appraisal.released_at is None:
        return _("The ratings of this appraisal are not released yet: start a plan afterwards.")
    if appraisal.participation.cycle.phase == appraisal.participation.cycle.Phase.CLOSED:
        return _("This cycle is closed.")
    return None


def start_plan(*, appraisal: Appraisal, actor) -> ImprovementPlan:
    """The reviewer starts a plan by choice on a released appraisal of someone they
    review (prefilled from the held interview, if any)."""
    require_actor(actor)
    with transaction.atomic():
        appraisal = lock_for_update(
            Appraisal.objects.select_related(
                "participation__cycle",
                "participation__employee__user",
                "participation__reviewer__user",
            ),
            appraisal.pk,
        )
        refusal = startable_appraisal(actor, appraisal)
        if refusal is not None:
            raise PlanError(refusal)
        if _running_plan(appraisal) is not None:
            raise PlanError(_("An improvement plan for this appraisal is already running."))
        interview = Interview.objects.filter(
            appraisal=appraisal, status=InterviewStatus.HELD
        ).first()
        plan = _new_plan(appraisal=appraisal, interview=interview, required=False, actor=actor)
        record_event(actor=actor, verb="feedback.plan_started", obj=plan, after={"required": False})
        notify(
            recipient=plan.participation.employee.user,
            title=_("%(name)s started an improvement plan with you: write it together")
            % {"name": _name(actor)},
            url=plan.get_absolute_url(),
        )
    return plan


# --- Write the draft -----------------------------------------------------------------------


def _date_errors(data: PlanInput) -> dict:
    errors: dict[str, list] = {}
    start, end = data.starts_on, data.ends_on
    if start and end and end < start:
        errors["ends_on"] = [_("The end date is before the start date.")]
        return errors
    if start and end:
        span = {"start": format_date(start), "end": format_date(end)}
        for row, action in enumerate(data.actions, start=1):
            if not start <= action.due_date <= end:
                errors.setdefault("actions", []).append(
                    _("Action %(row)s is due outside the plan (%(start)s – %(end)s).")
                    % {"row": row, **span}
                )
        for row, point in enumerate(data.checkpoints, start=1):
            if not start <= point.due_date <= end:
                errors.setdefault("checkpoints", []).append(
                    _("Check-point %(row)s is outside the plan (%(start)s – %(end)s).")
                    % {"row": row, **span}
                )
    dates = [point.due_date for point in data.checkpoints]
    if len(dates) != len(set(dates)):
        errors.setdefault("checkpoints", []).append(_("Two check-points are on the same day."))
    return errors


def _cause_errors(plan: ImprovementPlan, cause_ids) -> tuple[list[RootCause], dict]:
    """The chosen causes: active ones, or ones the plan already names (a retired cause the
    interview named stays choosable)."""
    kept = set(plan.causes.values_list("pk", flat=True))
    causes = list(RootCause.objects.filter(pk__in=list(cause_ids)))
    refused = [c for c in causes if not c.is_active and c.pk not in kept]
    if len(causes) != len(set(cause_ids)) or refused:
        return causes, {"causes": [_("Choose causes from the list.")]}
    return causes, {}


def _sync_rows(model, plan, rows, fields) -> None:
    """Make the plan's rows of ``model`` exactly ``rows``: update the kept ones, add the new
    ones, remove the ones the writers removed (a draft's own rows, removed on purpose)."""
    existing = {row.pk: row for row in model.objects.filter(plan=plan)}
    keep = {row.pk for row in rows if row.pk in existing}
    model.objects.filter(plan=plan).exclude(pk__in=keep).delete()
    for position, row in enumerate(rows):
        values = {name: getattr(row, name) for name in fields}
        if "position" in {f.name for f in model._meta.fields}:
            values["position"] = position
        if row.pk in existing:
            obj = existing[row.pk]
            for name, value in values.items():
                setattr(obj, name, value)
            obj.save(update_fields=list(values))
        else:
            model.objects.create(plan=plan, **values)


def save_plan(
    *, plan: ImprovementPlan, data: PlanInput, actor, expected_version
) -> ImprovementPlan:
    """The employee or the manager saves the draft. Editing a plan that one or both have
    signed clears the signatures (an agreed plan goes back to draft): both sign again.
    Refusals are keyed by field ("ends_on", "causes") or row table ("actions",
    "checkpoints")."""
    require_actor(actor)
    with transaction.atomic():
        plan = _lock(plan)
        side = side_of(actor, plan)
        if side is None:
            raise PermissionDenied
        check_version(plan, expected_version, noun=_("improvement plan"))
        if plan.status not in EDITABLE:
            raise PlanError(
                _("This plan is %(state)s: it can no longer be changed.")
                % {"state": plan.get_status_display().lower()}
            )
        causes, errors = _cause_errors(plan, data.cause_ids)
        errors.update(_date_errors(data))
        if any(a.owner not in ActionOwner.values for a in data.actions):
            errors.setdefault("actions", []).append(_("Choose who owns each action."))
        if errors:
            raise ValidationError(errors)
        signed_before = bool(plan.employee_signed_at or plan.manager_signed_at)
        was = plan.status
        plan.gap = data.gap.strip()
        plan.success_criteria = data.success_criteria.strip()
        plan.starts_on, plan.ends_on = data.starts_on, data.ends_on
        plan.employee_signed_at = plan.manager_signed_at = None
        if plan.status == S.AGREED:
            require_move(plan, S.DRAFT, error=PlanError)
            plan.status = S.DRAFT
        save_versioned(
            plan,
            [
                "gap",
                "success_criteria",
                "starts_on",
                "ends_on",
                "employee_signed_at",
                "manager_signed_at",
                "status",
            ],
        )
        plan.causes.set(causes)
        actions = [
            ActionInput(a.description.strip(), a.owner, a.due_date, a.pk) for a in data.actions
        ]
        _sync_rows(PlanAction, plan, actions, ("description", "owner", "due_date"))
        _sync_rows(PlanCheckpoint, plan, list(data.checkpoints), ("due_date",))
        record_event(
            actor=actor,
            verb="feedback.plan_saved",
            obj=plan,
            before={"status": was, "signed": signed_before},
            after={
                "status": plan.status,
                "actions": len(actions),
                "checkpoints": len(data.checkpoints),
            },
        )
        if signed_before:
            notify(
                recipient=_other(plan, side),
                title=_("%(name)s changed the improvement plan: read it and sign again")
                % {"name": _name(actor)},
                body=_("A change after a signature clears both signatures."),
                url=plan.get_absolute_url(),
            )
    plan.signatures_cleared = signed_before
    return plan


# --- Sign ------------------------------------------------------------------------------


def missing_for_signature(plan: ImprovementPlan) -> list[str]:
    """What the plan still lacks before it can be signed (empty: complete)."""
    missing = []
    if not plan.gap.strip():
        missing.append(_("Describe the gap."))
    if not plan.success_criteria.strip():
        missing.append(_("Write the success criteria."))
    if plan.starts_on is None or plan.ends_on is None:
        missing.append(_("Set the start and end dates."))
    if not plan.actions.exists():
        missing.append(_("Add at least one action."))
    if not plan.checkpoints.exists():
        missing.append(_("Add at least one check-point."))
    return missing


def sign_plan(*, plan: ImprovementPlan, actor, expected_version) -> ImprovementPlan:
    """The employee or the manager signs the version of the plan their page showed. With
    both signatures the plan is agreed; it starts on its start day (at once when that
    day has come)."""
    require_actor(actor)
    with transaction.atomic():
        plan = _lock(plan)
        side = side_of(actor, plan)
        if side is None:
            raise PermissionDenied
        check_version(plan, expected_version, noun=_("improvement plan"))
        if plan.status != S.DRAFT:
            raise PlanError(
                _("This plan is %(state)s: there is nothing to sign.")
                % {"state": plan.get_status_display().lower()}
            )
        field = "employee_signed_at" if side == "employee" else "manager_signed_at"
        if getattr(plan, field) is not None:
            raise PlanError(_("You have already signed this version of the plan."))
        missing = missing_for_signature(plan)
        if missing:
            raise PlanError(missing)
        now = timezone.now()
        setattr(plan, field, now)
        record_event(actor=actor, verb="feedback.plan_signed", obj=plan, after={"side": side})
        url = plan.get_absolute_url()
        if plan.employee_signed_at and plan.manager_signed_at:
            require_move(plan, S.AGREED, error=PlanError)
            plan.status = S.AGREED
            save_versioned(plan, [field, "status"])
            record_event(
                actor=actor,
                verb="feedback.plan_agreed",
                obj=plan,
                after={"starts_on": plan.starts_on.isoformat()},
            )
            if plan.starts_on <= timezone.localdate():
                _activate(plan, actor)  # its start day has come: no wait for the beat
            else:
                employee, manager = _people(plan)
                notify_messages(
                    [
                        Message(
                            user.pk,
                            user.email,
                            _("Improvement plan agreed: it starts on %(date)s")
                            % {"date": format_date(plan.starts_on)},
                            "",
                            url,
                        )
                        for user in (employee, manager)
                    ],
                    enqueue=True,
                )
        else:
            # The content is unchanged: the other side's open page can still sign it.
            plan.save(update_fields=[field])
            notify(
                recipient=_other(plan, side),
                title=_("%(name)s signed the improvement plan: read it and sign")
                % {"name": _name(actor)},
                url=url,
            )
    return plan


# --- Start, check-points, close --------------------------------------------------------


def _activate(plan: ImprovementPlan, actor) -> None:
    require_move(plan, S.ACTIVE, error=PlanError)
    plan.status = S.ACTIVE
    save_versioned(plan, ["status"])
    record_event(actor=actor, verb="feedback.plan_activated", obj=plan)
    employee, manager = _people(plan)
    notify_messages(
        [
            Message(user.pk, user.email, _("Your improvement plan is now active"), "", url)
            for user, url in (
                (employee, plan.get_absolute_url()),
                (manager, plan.get_absolute_url()),
            )
        ],
        enqueue=actor is not SYSTEM,
    )


def start_plan_now(*, plan: ImprovementPlan, actor, expected_version) -> ImprovementPlan:
    """The manager starts an agreed plan before its start day."""
    require_actor(actor)
    with transaction.atomic():
        plan = _lock(plan)
        if not is_manager_of(actor, plan):
            raise PermissionDenied
        check_version(plan, expected_version, noun=_("improvement plan"))
        if plan.status != S.AGREED:
            raise PlanError(_("Only an agreed plan can be started."))
        _activate(plan, actor)
    return plan


def activate_due_plans(*, today: dt.date) -> int:
    """Agreed plans whose start day has come become active (beat); returns how many."""
    ids = list(
        ImprovementPlan.objects.filter(status=S.AGREED, starts_on__lte=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            plan = lock_for_update(_plans(), pk)
            if plan.status == S.AGREED and plan.starts_on <= today:
                _activate(plan, SYSTEM)
                done += 1
    return done


def may_record(checkpoint: PlanCheckpoint, today: dt.date) -> bool:
    return (
        checkpoint.status == CheckpointStatus.UPCOMING
        and checkpoint.plan.status in RUNNING
        and checkpoint.due_date - dt.timedelta(days=RECORD_EARLY_DAYS) <= today
    )


def record_checkpoint(
    *,
    checkpoint: PlanCheckpoint,
    status: str,
    note: str,
    actor,
    expected_version,
    today: dt.date | None = None,
) -> PlanCheckpoint:
    """The manager records a check-point: on track or behind, with what was found."""
    require_actor(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        plan = _lock(checkpoint.plan)
        checkpoint = lock_for_update(PlanCheckpoint, checkpoint.pk)
        checkpoint.plan = plan
        if not is_manager_of(actor, plan):
            raise PermissionDenied
        check_version(checkpoint, expected_version, noun=_("check-point"))
        errors = {}
        if status not in (CheckpointStatus.ON_TRACK, CheckpointStatus.BEHIND):
            errors["status"] = [_("Choose on track or behind.")]
        if not note.strip():
            errors["note"] = [_("Write what you found.")]
        if errors:
            raise ValidationError(errors)
        if plan.status not in RUNNING:
            raise PlanError(_("Check-points are recorded while the plan is active."))
        if checkpoint.status != CheckpointStatus.UPCOMING:
            raise PlanError(
                _("This check-point is already %(state)s.")
                % {"state": checkpoint.get_status_display().lower()}
            )
        if not may_record(checkpoint, today):
            raise PlanError(
                _("This check-point is on %(date)s: you can record it from %(from)s.")
                % {
                    "date": format_date(checkpoint.due_date),
                    "from": format_date(checkpoint.due_date - dt.timedelta(days=RECORD_EARLY_DAYS)),
                }
            )
        checkpoint.status = status
        checkpoint.note = note.strip()
        checkpoint.recorded_at = timezone.now()
        checkpoint.recorded_by = user_of(actor)
        save_versioned(checkpoint, ["status", "note", "recorded_at", "recorded_by"])
        record_event(
            actor=actor,
            verb="feedback.checkpoint_recorded",
            obj=plan,
            after={"checkpoint": checkpoint.pk, "status": status},
        )
        notify(
            recipient=plan.participation.employee.user,
            title=_("Check-point of %(date)s recorded: %(status)s")
            % {
                "date": format_date(checkpoint.due_date),
                "status": checkpoint.get_status_display().lower(),
            },
            url=plan.get_absolute_url(),
        )
    return checkpoint


def close_plan(
    *,
    plan: ImprovementPlan,
    outcome: str,
    note: str,
    actor,
    expected_version,
    new_end: dt.date | None = None,
) -> ImprovementPlan:
    """The manager (or HR, when the manager has left) records the outcome of a running
    plan: completed, not met, or extended to ``new_end`` (a final check-point is added on
    that day). Refusals keyed "outcome", "note", "new_end"."""
    require_actor(actor)
    with transaction.atomic():
        plan = _lock(plan)
        if not may_close(actor, plan):
            if plan.status not in RUNNING and (is_manager_of(actor, plan) or access.is_hr(actor)):
                raise PlanError(_("Only an active plan can be closed."))
            raise PermissionDenied
        check_version(plan, expected_version, noun=_("improvement plan"))
        errors = {}
        if outcome not in OUTCOMES:
            errors["outcome"] = [_("Choose the outcome.")]
        if not note.strip():
            errors["note"] = [_("Say how the plan went: the outcome needs a note.")]
        if outcome == S.EXTENDED:
            if new_end is None:
                errors["new_end"] = [_("Give the new end date.")]
            elif new_end <= plan.ends_on:
                errors["new_end"] = [
                    _("The new end date must be after the current one (%(date)s).")
                    % {"date": format_date(plan.ends_on)}
                ]
        if errors:
            raise ValidationError(errors)
        require_move(plan, outcome, error=PlanError)
        before = {"status": plan.status, "ends_on": plan.ends_on.isoformat()}
        plan.status = outcome
        plan.outcome_note = note.strip()
        fields = ["status", "outcome_note"]
        if outcome == S.EXTENDED:
            plan.ends_on = new_end
            fields.append("ends_on")
            PlanCheckpoint.objects.get_or_create(plan=plan, due_date=new_end)
        else:
            plan.closed_at = timezone.now()
            fields.append("closed_at")
        save_versioned(plan, fields)
        record_event(
            actor=actor,
            verb="feedback.plan_closed",
            obj=plan,
            before=before,
            after={"status": outcome, "ends_on": plan.ends_on.isoformat()},
        )
        titles = {
            S.COMPLETED: _("Your improvement plan is completed"),
            S.NOT_MET: _("Your improvement plan closed: not met"),
            S.EXTENDED: _("Your improvement plan is extended to %(date)s")
            % {"date": format_date(plan.ends_on)},
        }
        employee, manager = _people(plan)
        notify(recipient=employee, title=titles[outcome], url=plan.get_absolute_url())
        if not is_manager_of(actor, plan) and manager.is_active:
            notify(
                recipient=manager,
                title=_("HR closed the improvement plan of %(name)s")
                % {"name": plan.participation.employee.full_name},
                url=plan.get_absolute_url(),
                email=False,
            )
    return plan


def mark_action_done(*, action: PlanAction, done: bool, actor) -> PlanAction:
    """The action's owner side (or the manager) ticks an action of a running plan done,
    or not done again."""
    require_actor(actor)
    with transaction.atomic():
        plan = _lock(action.plan)
        action = lock_for_update(PlanAction, action.pk)
        side = side_of(actor, plan)
        if side is None or (side == "employee" and action.owner != ActionOwner.EMPLOYEE):
            raise PermissionDenied
        if plan.status not in RUNNING:
            raise PlanError(_("Actions are ticked off while the plan is active."))
        action.done_at = timezone.now() if done else None
        action.save(update_fields=["done_at"])
        record_event(
            actor=actor,
            verb="feedback.plan_action_done" if done else "feedback.plan_action_reopened",
            obj=plan,
            after={"action": action.pk},
        )
        notify(
            recipient=_other(plan, side),
            title=(
                _("%(name)s ticked off an action of the improvement plan")
                if done
                else _("%(name)s reopened an action of the improvement plan")
            )
            % {"name": _name(actor)},
            url=plan.get_absolute_url(),
            email=False,
        )
    action.plan = plan
    return action


# --- Beat: start, remind, miss -----------------------------------------------------------


def send_checkpoint_reminders(*, today: dt.date) -> int:
    """Both sides hear once about each check-point of a running plan due within
    ``REMINDER_DAYS``; returns how many check-points were reminded."""
    points = list(
        PlanCheckpoint.objects.filter(
            status=CheckpointStatus.UPCOMING,
            plan__status__in=RUNNING,
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=REMINDER_DAYS),
        )
        .select_related(
            "plan__participation__employee__user",
            "plan__participation__reviewer__user",
            "plan__manager__user",
        )
        .order_by("pk")
    )
    messages = {}
    for point in points:
        employee, manager = _people(point.plan)
        when = format_date(point.due_date)
        url = point.plan.get_absolute_url()
        messages[str(point.pk)] = [
            Message(
                employee.pk,
                employee.email,
                _("Reminder: improvement plan check-point on %(date)s") % {"date": when},
                "",
                url,
            ),
            Message(
                manager.pk,
                manager.email,
                _("Reminder: record the check-point of %(name)s's plan on %(date)s")
                % {"name": point.plan.participation.employee.full_name, "date": when},
                "",
                url,
            ),
        ]
    return send_once(REMINDER_KIND, messages, label=_("Improvement plan check-points"))


def mark_missed_checkpoints(*, today: dt.date) -> int:
    """Check-points of running plans still not recorded ``MISSED_AFTER_DAYS`` after their
    date are marked missed; both sides are told. Returns how many."""
    limit = today - dt.timedelta(days=MISSED_AFTER_DAYS)
    with transaction.atomic():
        points = list(
            PlanCheckpoint.objects.select_for_update(of=("self",))
            .filter(status=CheckpointStatus.UPCOMING, plan__status__in=RUNNING, due_date__lt=limit)
            .select_related(
                "plan__participation__employee__user",
                "plan__participation__reviewer__user",
                "plan__manager__user",
            )
            .order_by("pk")
        )
        if not points:
            return 0
        PlanCheckpoint.objects.filter(pk__in=[p.pk for p in points]).update(
            status=CheckpointStatus.MISSED
        )
        record_events(
            [
                Event(
                    actor=SYSTEM,
                    verb="feedback.checkpoint_missed",
                    obj=point.plan,
                    after={"checkpoint": point.pk, "due_date": point.due_date.isoformat()},
                )
                for point in points
            ]
        )
        messages = []
        for point in points:
            employee, manager = _people(point.plan)
            title = _("Check-point of %(date)s was not recorded: marked missed") % {
                "date": format_date(point.due_date)
            }
            url = point.plan.get_absolute_url()
            messages += [
                Message(employee.pk, "", title, "", url),
                Message(manager.pk, manager.email, title, "", url),
            ]
        notify_messages(messages)
    return len(points)


def run_plan_schedule(*, today: dt.date | None = None) -> dict:
    """The daily beat run: start the plans due, remind check-points, mark the missed ones.
    Idempotent (a second run the same day changes nothing)."""
    today = today or timezone.localdate()
    return {
        "activated": activate_due_plans(today=today),
        "reminded": send_checkpoint_reminders(today=today),
        "missed": mark_missed_checkpoints(today=today),
    }
