"""Goal workflow: the cascade, ``draft → submitted → approved | returned``, bulk review and
comments. Adjustments of approved goals (goals.services.adjustments) reuse the checks
below; planning reminders are in goals.services.reminders.

Every function is keyword-only and runs in one transaction: it locks the goal row, checks
the actor and the move (``Goal.TRANSITIONS``), saves with ``update_fields`` and a bumped
``version``, writes an audit event, snapshots the agreed content into ``GoalVersion``
when it changes, and notifies the other party. Views fetch goals through goals.selectors
first, so a goal outside a user's scope is a 404 before it gets here; the actor checks
below are the second line (``PermissionDenied``).

Rules decided here:

- Company goals are HR's; department goals HR's or a manager's for their own department.
  Both are the organisation's plan, not a personal agreement, so they are created
  already approved and stay editable by their authors while the cycle is in planning.
- Individual goals are drafted by their owner and agreed by the owner's reviewer in the
  cycle (or HR). A goal a manager assigns to a report is created approved by that
  manager ("goal.assigned") and the owner is told.
- Nobody approves, returns or decides an adjustment of their own goal.
- Once approved, a goal's target, weight and due date change only through an adjustment
  request (during planning too, where it is the way to rebalance an approved goal; after
  planning approved goals are locked and it is the only way).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from goals import origins, rollups, rules, selectors
from goals.models import (
    Goal,
    GoalComment,
    GoalLevel,
    GoalStatus,
    GoalVersion,
)
from perfcycle import access
from perfcycle.audit import record_event, snapshot
from perfcycle.formatting import format_date_range
from perfcycle.models import Cycle, Employee, Participation
from perfcycle.notifications import notify
from perfcycle.workflow import (
    DomainError,
    check_version,
    is_system,
    lock_for_update,
    require_move,
    save_versioned,
    user_of,
)

CONTENT_FIELDS = [
    "title",
    "description",
    "parent",
    "indicator",
    "baseline",
    "target",
    "unit",
    "weight",
    "due_date",
]
AUDIT_FIELDS = ["level", "owner", "department", *CONTENT_FIELDS, "status"]
OPEN_STATUSES = [GoalStatus.DRAFT, GoalStatus.RETURNED]


class GoalWorkflowError(DomainError):
    """A goal or adjustment cannot move as asked (its state, or the cycle's phase)."""


@dataclass(frozen=True)
class Skipped:
    goal_id: int
    title: str
    reason: str


@dataclass
class BulkOutcome:
    """What a bulk review did: the goals it moved and, for the rest, why not."""

    done: list[Goal] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


# --- Shared checks ------------------------------------------------------------------------


def lock_goal(goal: Goal) -> Goal:
    """The goal row, locked for this transaction, with its cycle and owner."""
    return lock_for_update(Goal.objects.select_related("cycle", "owner__user"), goal.pk)


def _employee(actor) -> Employee | None:
    return access.employee_of(actor)


def _is_owner(actor, goal: Goal) -> bool:
    employee = _employee(actor)
    return employee is not None and goal.owner_id == employee.pk


def _may_review(actor, goal: Goal) -> bool:
    """The owner's reviewer in the goal's cycle, or HR; never the owner themself."""
    if goal.level != GoalLevel.INDIVIDUAL or _is_owner(actor, goal):
        return False
    return selectors.goals_reviewable_by(actor).filter(pk=goal.pk).exists()


def _may_author(actor, *, level: str, department_id: int | None) -> bool:
    """Who writes company and department goals."""
    if access.is_hr(actor):
        return level in (GoalLevel.COMPANY, GoalLevel.DEPARTMENT)
    employee = _employee(actor)
    return (
        level == GoalLevel.DEPARTMENT
        and employee is not None
        and employee.department_id is not None
        and employee.department_id == department_id
        and access.is_manager(actor)
    )


def _may_edit(actor, goal: Goal) -> bool:
    if goal.level == GoalLevel.INDIVIDUAL:
        return _is_owner(actor, goal)
    return _may_author(actor, level=goal.level, department_id=goal.department_id)


def _require_planning(cycle: Cycle) -> None:
    if cycle.phase != Cycle.Phase.PLANNING:
        raise GoalWorkflowError(
            _(
                "%(cycle)s is in its %(phase)s phase: goals are created, changed and "
                "approved only during planning. Ask for an adjustment instead."
            )
            % {"cycle": cycle.name, "phase": cycle.get_phase_display()}
        )


ACTION_WORDS = {
    GoalStatus.SUBMITTED: gettext_lazy("submitted"),
    GoalStatus.APPROVED: gettext_lazy("approved"),
    GoalStatus.RETURNED: gettext_lazy("returned"),
}


def _snapshot_version(goal: Goal, *, actor, reason: str = "") -> GoalVersion:
    """Keep the agreed content. Numbered per goal; the goal row lock serialises writers."""
    last = goal.versions.aggregate(last=Max("number"))["last"] or 0
    return GoalVersion.objects.create(
        goal=goal,
        number=last + 1,
        title=goal.title,
        target=goal.target,
        weight=goal.weight,
        due_date=goal.due_date,
        status=goal.status,
        reason=reason,
        changed_by=actor,
    )


def _audit(*, actor, verb: str, goal: Goal, before: dict | None = None, after: dict | None = None):
    record_event(actor=actor, verb=verb, obj=goal, before=before, after=after)


def _reviewer_user(goal: Goal):
    """The login of the owner's reviewer in the goal's cycle, if there is one."""
    participation = (
        Participation.objects.filter(cycle_id=goal.cycle_id, employee_id=goal.owner_id)
        .select_related("reviewer__user")
        .first()
    )
    if participation is None or participation.reviewer is None:
        return None
    return participation.reviewer.user


def _notify(recipients, *, actor, title: str, body: str = "", url: str = "") -> None:
    """Tell each other party once; never the person who acted."""
    seen = set()
    for user in recipients:
        if user is None or user.pk == actor.pk or user.pk in seen:
            continue
        seen.add(user.pk)
        notify(recipient=user, title=title, body=body, url=url)


def _actor_name(actor) -> str:
    return actor.get_full_name() or actor.username


# --- Content rules --------------------------------------------------------------------------


def _clean_content(*, actor, cycle: Cycle, goal_id: int | None, data: dict[str, Any]) -> dict:
    """The goal's fields after the business rules; errors keyed by field for the form."""
    values = {
        "title": (data.get("title") or "").strip(),
        "description": data.get("description") or "",
        "parent": data.get("parent"),
        "indicator": data.get("indicator"),
        "baseline": data.get("baseline"),
        "target": data.get("target"),
        "unit": (data.get("unit") or "").strip(),
        "weight": data.get("weight"),
        "due_date": data.get("due_date"),
    }
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = _("Give the goal a title.")
    weight = values["weight"]
    if weight is None or not Decimal("0") <= weight <= Decimal("100"):
        errors["weight"] = _("The weight is a percentage from 0 to 100.")
    due = values["due_date"]
    if due is not None and not cycle.start_date <= due <= cycle.end_date:
        errors["due_date"] = _("The due date must fall within the cycle (%(period)s).") % {
            "period": format_date_range(cycle.start_date, cycle.end_date)
        }
    parent_error = _parent_error(actor=actor, cycle=cycle, goal_id=goal_id, parent=values["parent"])
    if parent_error:
        errors["parent"] = parent_error
    if errors:
        raise ValidationError(errors)
    if values["indicator"] is not None and not values["unit"]:
        values["unit"] = values["indicator"].unit
    return values


def _parent_error(*, actor, cycle: Cycle, goal_id: int | None, parent: Goal | None) -> str:
    if parent is None:
        return ""
    if parent.cycle_id != cycle.pk:
        return _("Align the goal to a goal of the same cycle (%(cycle)s).") % {"cycle": cycle.name}
    parent_of = dict(Goal.objects.filter(cycle=cycle).values_list("id", "parent_id"))
    if parent.pk == goal_id or rules.would_create_cycle(goal_id, parent.pk, parent_of):
        return _("A goal cannot be aligned to itself or to a goal that is aligned to it.")
    if not selectors.goals_alignable_for(actor).filter(pk=parent.pk).exists():
        return _("Choose a goal you can see.")
    return ""


# --- Creating goals ---------------------------------------------------------------------------


def create_goal(*, actor, cycle: Cycle, level: str, data: dict[str, Any], department=None) -> Goal:
    """Create a goal of ``level`` in ``cycle``.

    Individual: the actor's own goal, as a draft (they must take part in the cycle).
    Department: by HR, or by a manager for their own department. Company: by HR.
    Department and company goals are created approved (see the module docstring).
    """
    with transaction.atomic():
        cycle = Cycle.objects.get(pk=cycle.pk)
        owner = None
        if level == GoalLevel.INDIVIDUAL:
            owner = _employee(actor)
            if owner is None:
                raise PermissionDenied
            if not Participation.objects.filter(cycle=cycle, employee=owner).exists():
                raise GoalWorkflowError(
                    _("You are not taking part in %(cycle)s, so you cannot plan goals in it.")
                    % {"cycle": cycle.name}
                )
            department = None
        elif level == GoalLevel.DEPARTMENT:
            if department is None:
                raise ValidationError({"department": _("Choose the department.")})
            if not _may_author(actor, level=level, department_id=department.pk):
                raise PermissionDenied
        elif level == GoalLevel.COMPANY:
            if not _may_author(actor, level=level, department_id=None):
                raise PermissionDenied
            department = None
        else:
            raise ValidationError(_("Unknown goal level."))
        _require_planning(cycle)
        values = _clean_content(actor=actor, cycle=cycle, goal_id=None, data=data)
        status = GoalStatus.DRAFT if level == GoalLevel.INDIVIDUAL else GoalStatus.APPROVED
        goal = Goal.objects.create(
            cycle=cycle,
            level=level,
            owner=owner,
            department=department,
            status=status,
            created_by=actor,
            **values,
        )
        rollups.refresh([goal.pk, goal.parent_id])
        if status == GoalStatus.APPROVED:
            _snapshot_version(goal, actor=actor)
        _audit(actor=actor, verb="goal.created", goal=goal, after=snapshot(goal, AUDIT_FIELDS))
    return goal


def assign_goal(*, actor, cycle: Cycle, owner: Employee, data: dict[str, Any]) -> Goal:
    """A reviewer (or HR) gives a report a goal. It is agreed on creation: status
    approved by the assigning manager; the owner is notified."""
    with transaction.atomic():
        cycle = Cycle.objects.get(pk=cycle.pk)
        employee = _employee(actor)
        participation = Participation.objects.filter(cycle=cycle, employee=owner).first()
        if participation is None:
            raise ValidationError(
                {"owner": _("%(name)s is not taking part in this cycle.") % {"name": owner}}
            )
        reviews = employee is not None and participation.reviewer_id == employee.pk
        if owner.pk == getattr(employee, "pk", None) or not (reviews or access.is_hr(actor)):
            raise PermissionDenied
        _require_planning(cycle)
        values = _clean_content(actor=actor, cycle=cycle, goal_id=None, data=data)
        goal = Goal.objects.create(
            cycle=cycle,
            level=GoalLevel.INDIVIDUAL,
            owner=owner,
            status=GoalStatus.APPROVED,
            created_by=actor,
            **values,
        )
        rollups.refresh([goal.pk, goal.parent_id])
        _snapshot_version(
            goal, actor=actor, reason=_("Assigned by %(name)s") % {"name": _actor_name(actor)}
        )
        _audit(actor=actor, verb="goal.assigned", goal=goal, after=snapshot(goal, AUDIT_FIELDS))
        _notify(
            [owner.user],
            actor=actor,
            title=_("%(name)s assigned you a goal: %(title)s")
            % {"name": _actor_name(actor), "title": goal.title},
            url=goal.get_absolute_url(),
        )
    return goal


def draft_goal_for(
    *, actor, cycle: Cycle, owner: Employee, data: dict[str, Any], origin: str = ""
) -> Goal:
    """A goal agreed elsewhere (the next-cycle goals of a feedback interview) becomes a
    draft of ``owner`` in ``cycle``: the owner's to edit and submit, the reviewer's to
    approve, exactly as if the owner had drafted it. ``actor`` is the scheduler (SYSTEM),
    HR, or the owner's reviewer in ``cycle``; ``origin`` (one line) goes into the audit
    record. The caller tells the owner (one message for all the goals it drafts)."""
    with transaction.atomic():
        cycle = Cycle.objects.get(pk=cycle.pk)
        participation = Participation.objects.filter(cycle=cycle, employee=owner).first()
        if participation is None:
            raise ValidationError(
                {"owner": _("%(name)s is not taking part in this cycle.") % {"name": owner}}
            )
        if not is_system(actor):
            employee = _employee(actor)
            reviews = employee is not None and participation.reviewer_id == employee.pk
            if owner.pk == getattr(employee, "pk", None) or not (reviews or access.is_hr(actor)):
                raise PermissionDenied
        _require_planning(cycle)
        values = _clean_content(actor=actor, cycle=cycle, goal_id=None, data=data)
        goal = Goal.objects.create(
            cycle=cycle,
            level=GoalLevel.INDIVIDUAL,
            owner=owner,
            status=GoalStatus.DRAFT,
            created_by=user_of(actor),
            **values,
        )
        rollups.refresh([goal.pk, goal.parent_id])
        after = snapshot(goal, AUDIT_FIELDS)
        if origin:
            after["origin"] = origin
        _audit(actor=actor, verb="goal.drafted_for", goal=goal, after=after)
    return goal


# --- Editing and deleting ----------------------------------------------------------------------


def update_goal(*, actor, goal: Goal, data: dict[str, Any], expected_version: int) -> Goal:
    """Change a goal's content: the owner while it is a draft or returned; the author of a
    company or department goal while the cycle is in planning. Refuses with
    ConcurrentEditError if the goal changed since the form was loaded."""
    with transaction.atomic():
        goal = lock_goal(goal)
        if not _may_edit(actor, goal):
            raise PermissionDenied
        check_version(goal, expected_version)
        if goal.is_locked:
            raise GoalWorkflowError(
                _("This goal is approved and locked. Ask for an adjustment to change it.")
            )
        _require_planning(goal.cycle)
        if goal.level == GoalLevel.INDIVIDUAL and goal.status not in OPEN_STATUSES:
            raise GoalWorkflowError(
                _("This goal is %(status)s; only a draft or returned goal can be edited.")
                % {"status": goal.get_status_display().lower()}
            )
        values = _clean_content(actor=actor, cycle=goal.cycle, goal_id=goal.pk, data=data)
        before = snapshot(goal, CONTENT_FIELDS)
        old = {name: getattr(goal, goal._meta.get_field(name).attname) for name in CONTENT_FIELDS}
        for name, value in values.items():
            setattr(goal, name, value)
        changed = [
            name
            for name in CONTENT_FIELDS
            if getattr(goal, goal._meta.get_field(name).attname) != old[name]
        ]
        if not changed:
            return goal
        save_versioned(goal, changed)
        rollups.refresh([goal.pk, goal.parent_id, old.get("parent")])
        if goal.status == GoalStatus.APPROVED:
            _snapshot_version(goal, actor=actor)
        after = snapshot(goal, CONTENT_FIELDS)
        _audit(
            actor=actor,
            verb="goal.updated",
            goal=goal,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return goal


def delete_goal(*, actor, goal: Goal) -> None:
    """Delete a draft goal (its author only, during planning, with nothing aligned to it)."""
    with transaction.atomic():
        goal = lock_goal(goal)
        if not _may_edit(actor, goal):
            raise PermissionDenied
        _require_planning(goal.cycle)
        if goal.status != GoalStatus.DRAFT:
            raise GoalWorkflowError(
                _("Only a draft goal can be deleted; this one is %(status)s.")
                % {"status": goal.get_status_display().lower()}
            )
        if goal.children.exists():
            raise GoalWorkflowError(
                _("Other goals are aligned to this one; align them elsewhere first.")
            )
        # A draft's comment thread goes with it, explicitly and into the audit record
        # (GoalComment.goal is PROTECT: nothing vanishes by cascade).
        comments = list(goal.comments.order_by("created_at", "pk"))
        _audit(
            actor=actor,
            verb="goal.deleted",
            goal=goal,
            before={
                **snapshot(goal, AUDIT_FIELDS),
                "comments": [
                    {"author": c.author_id, "at": c.created_at.isoformat(), "body": c.body}
                    for c in comments
                ],
            },
        )
        GoalComment.objects.filter(pk__in=[c.pk for c in comments]).delete()
        # A later stage's link to the goal (goals.origins), e.g. feedback's proposal.
        origins.before_delete(goal, actor=actor)
        parent_id = goal.parent_id
        goal.delete()
        rollups.refresh([parent_id])


# --- The approval workflow --------------------------------------------------------------------


def submit_goal(*, actor, goal: Goal) -> Goal:
    """The owner sends a draft (or a returned goal) to their reviewer for approval."""
    with transaction.atomic():
        goal = lock_goal(goal)
        if goal.level != GoalLevel.INDIVIDUAL or not _is_owner(actor, goal):
            raise PermissionDenied
        _require_planning(goal.cycle)
        require_move(
            goal,
            GoalStatus.SUBMITTED,
            error=GoalWorkflowError,
            action=ACTION_WORDS[GoalStatus.SUBMITTED],
        )
        if goal.weight <= 0:
            raise GoalWorkflowError(_("Give the goal a weight above 0 % before submitting it."))
        before = goal.status
        goal.status = GoalStatus.SUBMITTED
        save_versioned(goal, ["status"])
        _audit(
            actor=actor,
            verb="goal.submitted",
            goal=goal,
            before={"status": before},
            after={"status": goal.status},
        )
        _notify(
            [_reviewer_user(goal)],
            actor=actor,
            title=_("%(name)s submitted a goal for your approval: %(title)s")
            % {"name": goal.owner.full_name, "title": goal.title},
            url=goal.get_absolute_url(),
        )
    return goal


def _check_review(*, actor, goal: Goal, to_status: str) -> None:
    if not _may_review(actor, goal):
        raise PermissionDenied
    _require_planning(goal.cycle)
    require_move(goal, to_status, error=GoalWorkflowError, action=ACTION_WORDS[to_status])


def _approve(*, actor, goal: Goal) -> None:
    goal.status = GoalStatus.APPROVED
    save_versioned(goal, ["status"])
    _snapshot_version(goal, actor=actor)
    _audit(
        actor=actor,
        verb="goal.approved",
        goal=goal,
        before={"status": GoalStatus.SUBMITTED},
        after={"status": GoalStatus.APPROVED, **snapshot(goal, ["weight", "target"])},
    )


def _return(*, actor, goal: Goal, comment: str) -> None:
    goal.status = GoalStatus.RETURNED
    save_versioned(goal, ["status"])
    GoalComment.objects.create(goal=goal, author=actor, body=comment)
    _audit(
        actor=actor,
        verb="goal.returned",
        goal=goal,
        before={"status": GoalStatus.SUBMITTED},
        after={"status": GoalStatus.RETURNED, "comment": comment},
    )


def _clean_comment(comment: str, *, field_name: str = "comment") -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(
            {field_name: _("Say what needs to change; the comment is shown to the employee.")}
        )
    return comment


def approve_goal(*, actor, goal: Goal) -> Goal:
    """The owner's reviewer in the cycle (or HR) agrees a submitted goal."""
    with transaction.atomic():
        goal = lock_goal(goal)
        _check_review(actor=actor, goal=goal, to_status=GoalStatus.APPROVED)
        _approve(actor=actor, goal=goal)
        _notify(
            [goal.owner.user],
            actor=actor,
            title=_("Your goal was approved: %(title)s") % {"title": goal.title},
            url=goal.get_absolute_url(),
        )
    return goal


def return_goal(*, actor, goal: Goal, comment: str) -> Goal:
    """The reviewer (or HR) sends a submitted goal back; the comment is required and is
    kept on the goal for the employee to read."""
    with transaction.atomic():
        goal = lock_goal(goal)
        _check_review(actor=actor, goal=goal, to_status=GoalStatus.RETURNED)
        comment = _clean_comment(comment)
        _return(actor=actor, goal=goal, comment=comment)
        _notify(
            [goal.owner.user],
            actor=actor,
            title=_("Your goal was returned for changes: %(title)s") % {"title": goal.title},
            body=comment,
            url=goal.get_absolute_url(),
        )
    return goal


def _bulk_review(*, actor, goal_ids, to_status: str, apply) -> BulkOutcome:
    outcome = BulkOutcome()
    ids = list(dict.fromkeys(int(goal_id) for goal_id in goal_ids))
    found = {
        goal.pk: goal
        for goal in selectors.goals_reviewable_by(actor)
        .filter(pk__in=ids)
        .select_for_update(of=("self",))
        .select_related("cycle", "owner__user")
        .order_by("pk")
    }
    for goal_id in ids:
        goal = found.get(goal_id)
        if goal is None:
            outcome.skipped.append(Skipped(goal_id, "", _("Not found among the goals you review.")))
            continue
        try:
            _check_review(actor=actor, goal=goal, to_status=to_status)
        except PermissionDenied:
            outcome.skipped.append(
                Skipped(goal.pk, goal.title, _("You cannot review your own goal."))
            )
            continue
        except GoalWorkflowError as error:
            outcome.skipped.append(Skipped(goal.pk, goal.title, " ".join(error.messages)))
            continue
        apply(goal)
        outcome.done.append(goal)
    return outcome


def _notify_owners(outcome: BulkOutcome, *, actor, title, body: str = "") -> None:
    """One notification per owner, however many of their goals moved; ``title(goals)``
    words it."""
    by_owner: dict[int, list[Goal]] = {}
    for goal in outcome.done:
        by_owner.setdefault(goal.owner_id, []).append(goal)
    my_goals = reverse("goals:my-goals")
    for goals in by_owner.values():
        url = goals[0].get_absolute_url() if len(goals) == 1 else my_goals
        _notify([goals[0].owner.user], actor=actor, title=title(goals), body=body, url=url)


def bulk_approve_goals(*, actor, goal_ids) -> BulkOutcome:
    """Approve several submitted goals at once (the team page). Each goal is checked like a
    single approval; those that cannot be approved are skipped with the reason."""
    with transaction.atomic():
        outcome = _bulk_review(
            actor=actor,
            goal_ids=goal_ids,
            to_status=GoalStatus.APPROVED,
            apply=lambda goal: _approve(actor=actor, goal=goal),
        )
        _notify_owners(
            outcome,
            actor=actor,
            title=lambda goals: (
                ngettext(
                    "Your goal was approved: %(title)s",
                    "%(count)s of your goals were approved",
                    len(goals),
                )
                % {"count": len(goals), "title": goals[0].title}
            ),
        )
    return outcome


def bulk_return_goals(*, actor, goal_ids, comment: str) -> BulkOutcome:
    """Return several submitted goals with one comment (stored on each goal)."""
    comment = _clean_comment(comment)
    with transaction.atomic():
        outcome = _bulk_review(
            actor=actor,
            goal_ids=goal_ids,
            to_status=GoalStatus.RETURNED,
            apply=lambda goal: _return(actor=actor, goal=goal, comment=comment),
        )
        _notify_owners(
            outcome,
            actor=actor,
            title=lambda goals: (
                ngettext(
                    "Your goal was returned for changes: %(title)s",
                    "%(count)s of your goals were returned for changes",
                    len(goals),
                )
                % {"count": len(goals), "title": goals[0].title}
            ),
            body=comment,
        )
    return outcome


def add_comment(*, actor, goal: Goal, body: str) -> GoalComment:
    """Anyone who can see a goal may comment; the other party is told."""
    body = (body or "").strip()
    if not selectors.goals_visible_to(actor).filter(pk=goal.pk).exists():
        raise PermissionDenied
    if not body:
        raise ValidationError({"body": _("Write a comment first.")})
    with transaction.atomic():
        comment = GoalComment.objects.create(goal=goal, author=actor, body=body)
        _audit(actor=actor, verb="goal.commented", goal=goal, after={"comment": body})
        if goal.owner_id is None:
            recipients = [goal.created_by]
        elif _is_owner(actor, goal):
            recipients = [_reviewer_user(goal)]
        else:
            recipients = [goal.owner.user]
        _notify(
            recipients,
            actor=actor,
            title=_("%(name)s commented on the goal %(title)s")
            % {"name": _actor_name(actor), "title": goal.title},
            body=body,
            url=goal.get_absolute_url(),
        )
    return comment
