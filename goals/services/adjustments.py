"""Adjustments of approved goals: ask to change a goal's target, weight or due date with a
reason, and the reviewer's decision.

Once approved, a goal's target, weight and due date change only through an adjustment
request (during planning too, where it is the way to rebalance an approved goal; after
planning approved goals are locked and it is the only way). The owner or their reviewer
(or HR) asks; the reviewer (or HR) decides, never on their own goal. Four-eyes: the
person who asks never decides. When the reviewer asks, the reviewer's own manager decides
(or HR, when the reviewer has no manager): goals/policies.py, ADJUSTMENT. The locking, actor
checks, versioning, audit and notifications are the goal workflow's (goals.services.workflow),
so both follow the same rules.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from goals import rollups, selectors
from goals.models import AdjustmentRequest, AdjustmentStatus, Goal, GoalLevel, GoalStatus
from goals.services.workflow import (
    GoalWorkflowError,
    _actor_name,
    _audit,
    _is_owner,
    _may_review,
    _notify,
    _reviewer_user,
    _snapshot_version,
    lock_goal,
)
from perfcycle.audit import record_event, snapshot
from perfcycle.formatting import format_date_range
from perfcycle.models import Cycle, Participation
from perfcycle.workflow import lock_for_update, require_move, save_versioned

ADJUSTABLE = {"new_target": "target", "new_weight": "weight", "new_due_date": "due_date"}


def _adjustment_errors(goal: Goal, values: dict[str, Any]) -> dict[str, str]:
    errors = {}
    weight = values.get("new_weight")
    if weight is not None and not Decimal("0") <= weight <= Decimal("100"):
        errors["new_weight"] = _("The weight is a percentage from 0 to 100.")
    due: dt.date | None = values.get("new_due_date")
    cycle = goal.cycle
    if due is not None and not cycle.start_date <= due <= cycle.end_date:
        errors["new_due_date"] = _("The due date must fall within the cycle (%(period)s).") % {
            "period": format_date_range(cycle.start_date, cycle.end_date)
        }
    return errors


def request_adjustment(*, actor, goal: Goal, data: dict[str, Any]) -> AdjustmentRequest:
    """Ask to change an approved goal's target, weight or due date, with a reason. The
    owner or their reviewer (or HR) asks; one request per goal may be pending."""
    with transaction.atomic():
        goal = lock_goal(goal)
        if not (_is_owner(actor, goal) or _may_review(actor, goal)):
            raise PermissionDenied
        if goal.level != GoalLevel.INDIVIDUAL or goal.status != GoalStatus.APPROVED:
            raise GoalWorkflowError(
                _("Only an approved goal is adjusted; a draft or returned goal is edited directly.")
            )
        if goal.cycle.phase == Cycle.Phase.CLOSED:
            raise GoalWorkflowError(_("The cycle is closed; its goals no longer change."))
        values = {name: data.get(name) for name in ADJUSTABLE}
        reason = (data.get("reason") or "").strip()
        errors = _adjustment_errors(goal, values)
        if not reason:
            errors["reason"] = _("Say why the goal should change; the reason is kept.")
        changes = {
            name: value
            for name, value in values.items()
            if value is not None and value != getattr(goal, ADJUSTABLE[name])
        }
        if not changes and not errors:
            errors["__all__"] = _("Change the target, the weight or the due date.")
        if errors:
            raise ValidationError(errors)
        if AdjustmentRequest.objects.filter(goal=goal, status=AdjustmentStatus.PENDING).exists():
            raise GoalWorkflowError(_("A change to this goal is already waiting for a decision."))
        adjustment = AdjustmentRequest.objects.create(
            goal=goal, requested_by=actor, reason=reason, **changes
        )
        record_event(
            actor=actor,
            verb="adjustment.requested",
            obj=adjustment,
            before=snapshot(goal, [ADJUSTABLE[name] for name in changes]),
            after={**snapshot(adjustment, list(changes)), "goal": goal.pk, "reason": reason},
        )
        if _is_owner(actor, goal):
            others = [_reviewer_user(goal)]
        else:
            others = [goal.owner.user, *_next_up_users(actor, goal)]
        _notify(
            others,
            actor=actor,
            title=_("%(name)s asks to adjust the goal %(title)s")
            % {"name": _actor_name(actor), "title": goal.title},
            body=reason,
            url=goal.get_absolute_url(),
        )
    return adjustment


def _next_up_users(actor, goal: Goal) -> list:
    """Who decides what this goal's reviewer asked for: the reviewer's own manager."""
    participation = (
        Participation.objects.filter(cycle_id=goal.cycle_id, employee_id=goal.owner_id)
        .select_related("reviewer__manager__user")
        .first()
    )
    reviewer = participation.reviewer if participation else None
    if reviewer is None or reviewer.user_id != actor.pk or reviewer.manager is None:
        return []
    return [reviewer.manager.user]


def _start_decision(actor, adjustment: AdjustmentRequest) -> tuple[AdjustmentRequest, Goal]:
    # The goal first, then the request: the same order as request_adjustment.
    goal = lock_goal(adjustment.goal)
    adjustment = lock_for_update(AdjustmentRequest, adjustment.pk)
    if _is_owner(actor, goal):
        raise PermissionDenied
    if adjustment.requested_by_id == actor.pk:
        # Four-eyes: whoever asked never decides.
        raise GoalWorkflowError(
            _("You asked for this change, so someone else decides it: your manager or HR.")
        )
    if not selectors.adjustments_decidable_by(actor).filter(pk=adjustment.pk).exists():
        raise PermissionDenied
    if goal.cycle.phase == Cycle.Phase.CLOSED:
        raise GoalWorkflowError(_("The cycle is closed; its goals no longer change."))
    return adjustment, goal


def _already_decided(adjustment: AdjustmentRequest) -> str:
    return _("This request was already %(status)s.") % {
        "status": adjustment.get_status_display().lower()
    }


def _decide(adjustment: AdjustmentRequest, *, actor, status: str, comment: str) -> None:
    adjustment.status = status
    adjustment.decided_by = actor
    adjustment.decided_at = timezone.now()
    adjustment.decision_comment = comment
    adjustment.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])


def approve_adjustment(
    *, actor, adjustment: AdjustmentRequest, comment: str = ""
) -> AdjustmentRequest:
    """The reviewer (or HR) accepts a request: the goal takes the new values and a version
    with the reason is kept."""
    with transaction.atomic():
        adjustment, goal = _start_decision(actor, adjustment)
        require_move(
            adjustment,
            AdjustmentStatus.APPROVED,
            error=GoalWorkflowError,
            message=lambda: _already_decided(adjustment),
        )
        values = {
            target: getattr(adjustment, name)
            for name, target in ADJUSTABLE.items()
            if getattr(adjustment, name) is not None
        }
        errors = _adjustment_errors(goal, {n: getattr(adjustment, n) for n in ADJUSTABLE})
        if errors:
            raise GoalWorkflowError(list(errors.values()))
        before = snapshot(goal, list(values))
        for name, value in values.items():
            setattr(goal, name, value)
        save_versioned(goal, list(values))
        rollups.refresh([goal.pk, goal.parent_id])
        _snapshot_version(goal, actor=actor, reason=adjustment.reason)
        _decide(adjustment, actor=actor, status=AdjustmentStatus.APPROVED, comment=comment.strip())
        record_event(
            actor=actor,
            verb="adjustment.approved",
            obj=adjustment,
            before={"status": AdjustmentStatus.PENDING},
            after={"status": AdjustmentStatus.APPROVED, "comment": adjustment.decision_comment},
        )
        _audit(
            actor=actor,
            verb="goal.adjusted",
            goal=goal,
            before=before,
            after={**snapshot(goal, list(values)), "reason": adjustment.reason},
        )
        _notify(
            [adjustment.requested_by, goal.owner.user],
            actor=actor,
            title=_("The adjustment of %(title)s was approved") % {"title": goal.title},
            body=adjustment.decision_comment,
            url=goal.get_absolute_url(),
        )
    return adjustment


def reject_adjustment(*, actor, adjustment: AdjustmentRequest, comment: str) -> AdjustmentRequest:
    """The reviewer (or HR) declines a request, saying why; the goal stays as agreed."""
    with transaction.atomic():
        adjustment, goal = _start_decision(actor, adjustment)
        require_move(
            adjustment,
            AdjustmentStatus.REJECTED,
            error=GoalWorkflowError,
            message=lambda: _already_decided(adjustment),
        )
        comment = (comment or "").strip()
        if not comment:
            raise ValidationError({"comment": _("Say why the change is declined.")})
        _decide(adjustment, actor=actor, status=AdjustmentStatus.REJECTED, comment=comment)
        record_event(
            actor=actor,
            verb="adjustment.rejected",
            obj=adjustment,
            before={"status": AdjustmentStatus.PENDING},
            after={"status": AdjustmentStatus.REJECTED, "comment": comment},
        )
        _notify(
            [adjustment.requested_by, goal.owner.user],
            actor=actor,
            title=_("The adjustment of %(title)s was declined") % {"title": goal.title},
            body=comment,
            url=goal.get_absolute_url(),
        )
    return adjustment
