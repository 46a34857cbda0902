"""Check-ins and progress: ``pending → submitted → reviewed``, or ``missed`` (which can
still be submitted, late), the conversation on a check-in, and a goal's progress series.

Every function is keyword-only and runs in one transaction: it locks the check-in row,
checks the actor and the move (``CheckIn.TRANSITIONS``), saves with ``update_fields``
and a bumped ``version``, writes an audit event and notifies the other party. Views
fetch check-ins through implementation.selectors first, so a check-in outside a user's
scope is a 404 before it gets here; the actor checks below are the second line
(``PermissionDenied``).

Rules decided here:

- Only the participant fills in their check-in, and only while the cycle is in its
  implementation phase. A draft keeps the check-in pending (or missed); submitting
  is once per period. A submission after the due date is marked late, not refused.
- Progress values become the goal's history (``ProgressUpdate``) and its current value
  (``goals.services.progress.set_goal_current_value``) when the check-in is submitted:
  a draft is not yet a report, so it does not move the goal.
- After submission the employee no longer edits; the reviewer (the participation's
  reviewer, the manager at enrolment) or HR replies, asks follow-ups and marks it
  reviewed. After review nobody edits; the conversation may go on.
- Nobody reviews their own check-in, not even an HR admin.

Scheduled work, called by implementation/tasks.py:

- ``open_checkins(cycle=..., today=...)`` / ``open_all_checkins(today=...)``: create the
  check-ins of the period containing ``today`` (idempotent, bulk).
- ``mark_missed_checkins(today=...)``: pending check-ins past due date + grace days
  become missed (one UPDATE).
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from goals import rules
from goals.models import Goal, GoalStatus
from goals.services.progress import set_goal_current_value
from goals.services.workflow import lock_goal
from implementation.models import (
    CheckIn,
    CheckinAnswer,
    CheckinComment,
    CheckinGoalProgress,
    CheckinQuestion,
    CheckinSettings,
    CheckinStatus,
    ProgressUpdate,
)
from implementation.selectors.checkins import (
    checkin_goals,
    checkin_period,
    is_checkin_participant,
    may_record_progress,
    may_respond_to_checkin,
)
from perfcycle.audit import Subject, changes, record_event, snapshot
from perfcycle.formatting import format_date, format_date_range, format_number
from perfcycle.models import Cycle, Participation
from perfcycle.notifications import notify
from perfcycle.workflow import (
    SYSTEM,
    DomainError,
    check_version,
    lock_for_update,
    require_hr,
    require_move,
    save_versioned,
)

__all__ = [
    "CheckinError",
    "add_checkin_comment",
    "add_checkin_question",
    "add_progress_update",
    "ask_follow_up",
    "ensure_checkin_settings",
    "mark_missed_checkins",
    "move_checkin_question",
    "open_all_checkins",
    "open_checkins",
    "open_checkins_on_entering",
    "reply_to_checkin",
    "review_checkin",
    "save_checkin_draft",
    "set_checkin_question_active",
    "submit_checkin",
    "update_checkin_settings",
]

DEFAULT_GRACE_DAYS = CheckinSettings._meta.get_field("grace_days").default
BATCH_SIZE = 2000
CHECKIN_FIELDS = ["status", "went_well", "blockers", "confidence", "is_late", "manager_reply"]
SETTINGS_FIELDS = ["grace_days", "reminder_days_before", "deviation_margin", "deviation_grace_days"]
EDITABLE = [CheckinStatus.PENDING, CheckinStatus.MISSED]


class CheckinError(DomainError):
    """A check-in cannot change as asked (its state, or the cycle's phase)."""


# --- Periods and scheduled work -------------------------------------------------------


def ensure_checkin_settings(cycle: Cycle) -> CheckinSettings:
    """The cycle's check-in settings, created with the defaults when missing."""
    settings, created = CheckinSettings.objects.get_or_create(cycle=cycle)
    if created:
        record_event(
            actor=SYSTEM,
            verb="checkin_settings.created",
            obj=settings,
            after=snapshot(settings, SETTINGS_FIELDS),
        )
    return settings


def open_checkins(*, cycle: Cycle, today: dt.date) -> int:
    """Create the check-ins of the period containing ``today`` for every active
    participant of ``cycle``, if it is in its implementation phase. Returns how many
    were created (a concurrent run may make that an overcount; never a duplicate row).
    Idempotent (the unique key ignores a second run, even a concurrent one) and bulk:
    one SELECT, one INSERT per 2,000 people and one audit row, whatever the size."""
    if cycle.phase != Cycle.Phase.IMPLEMENTATION:
        return 0
    period = checkin_period(cycle, today)
    if period is None:
        return 0
    first, last = period
    participation_ids = (
        Participation.objects.filter(cycle=cycle, employee__is_active=True)
        .exclude(checkins__period_start=first)
        .values_list("pk", flat=True)
    )
    rows = [
        CheckIn(participation_id=pk, period_start=first, period_end=last, due_date=last)
        for pk in participation_ids.iterator(chunk_size=BATCH_SIZE)
    ]
    if not rows:
        return 0
    with transaction.atomic():
        CheckIn.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
        record_event(
            actor=SYSTEM,
            verb="checkins.opened",
            obj=cycle,
            after={
                "period_start": first.isoformat(),
                "due_date": last.isoformat(),
                "count": len(rows),
            },
        )
    return len(rows)


def open_checkins_on_entering(*, cycle: Cycle, actor) -> None:
    """Phase hook (perfcycle.phases): open the current period's check-ins the moment the
    cycle enters implementation, inside the phase change's transaction."""
    open_checkins(cycle=cycle, today=timezone.localdate())


def open_all_checkins(*, today: dt.date) -> int:
    """``open_checkins`` for every cycle in its implementation phase."""
    cycles = Cycle.objects.filter(phase=Cycle.Phase.IMPLEMENTATION).order_by("pk")
    return sum(open_checkins(cycle=cycle, today=today) for cycle in cycles)


def mark_missed_checkins(*, today: dt.date) -> int:
    """Pending check-ins not submitted ``grace_days`` after their due date become missed
    (grace days from the cycle's CheckinSettings, 3 without a settings row). One UPDATE
    for everything, one summary audit event. Returns how many were marked."""
    grace_by_cycle = dict(CheckinSettings.objects.values_list("cycle_id", "grace_days"))
    overdue = Q(
        due_date__lt=today - dt.timedelta(days=DEFAULT_GRACE_DAYS),
    ) & ~Q(participation__cycle_id__in=list(grace_by_cycle))
    cycles_by_grace: dict[int, list[int]] = defaultdict(list)
    for cycle_id, grace in grace_by_cycle.items():
        cycles_by_grace[grace].append(cycle_id)
    for grace, cycle_ids in cycles_by_grace.items():
        overdue |= Q(
            participation__cycle_id__in=cycle_ids,
            due_date__lt=today - dt.timedelta(days=grace),
        )
    with transaction.atomic():
        count = CheckIn.objects.filter(overdue, status=CheckinStatus.PENDING).update(
            status=CheckinStatus.MISSED
        )
        if count:
            record_event(
                actor=SYSTEM,
                verb="checkins.marked_missed",
                obj=Subject(
                    CheckIn, text=f"{CheckIn._meta.verbose_name_plural} on {today.isoformat()}"
                ),
                after={"count": count, "today": today.isoformat()},
            )
    return count


# --- Shared checks --------------------------------------------------------------------


NOUN = gettext_lazy("check-in")


def lock_checkin(checkin: CheckIn) -> CheckIn:
    """The check-in row, locked for this transaction, with its people and cycle."""
    return lock_for_update(CheckIn.objects.with_people(), checkin.pk)


def _require_implementation(cycle: Cycle) -> None:
    if cycle.phase != Cycle.Phase.IMPLEMENTATION:
        raise CheckinError(
            _(
                "%(cycle)s is in its %(phase)s phase: check-ins and progress updates are "
                "recorded only during implementation."
            )
            % {"cycle": cycle.name, "phase": cycle.get_phase_display()}
        )


def _require_open_cycle(cycle: Cycle) -> None:
    if cycle.phase == Cycle.Phase.CLOSED:
        raise CheckinError(_("%(cycle)s is closed.") % {"cycle": cycle.name})


ACTION_WORDS = {
    CheckinStatus.SUBMITTED: gettext_lazy("submitted"),
    CheckinStatus.REVIEWED: gettext_lazy("marked reviewed"),
    CheckinStatus.MISSED: gettext_lazy("marked missed"),
}


def _require_editable(checkin: CheckIn) -> None:
    if checkin.status == CheckinStatus.REVIEWED:
        raise CheckinError(_("This check-in has been reviewed: nobody can change it any more."))
    if checkin.status not in EDITABLE:
        raise CheckinError(
            _("You have submitted this check-in: it can no longer be changed. Add a comment.")
        )


def _period_text(checkin: CheckIn) -> str:
    return format_date_range(checkin.period_start, checkin.period_end)


def _employee_user(checkin: CheckIn):
    return checkin.participation.employee.user


def _reviewer_user(checkin: CheckIn):
    reviewer = checkin.participation.reviewer
    return reviewer.user if reviewer is not None else None


def _notify(user, *, actor, title: str, body: str = "", url: str = "", email: bool = True):
    """Notify ``user`` unless there is nobody to tell or they did it themself."""
    if user is None or user.pk == actor.pk:
        return
    notify(recipient=user, title=title, body=body, url=url, email=email)


# --- Filling in a check-in ------------------------------------------------------------


def progress_field(goal_id: int) -> str:
    """The form field a goal's reported value is typed in (errors are keyed by it)."""
    return f"goal_{goal_id}_value"


def value_problem(goal: Goal, value: Decimal | None) -> str | None:
    """Why ``value`` cannot be this goal's actual value (goals.rules.actual_value_bounds),
    or None when it can."""
    if value is None or rules.actual_value_in_bounds(
        value, baseline=goal.baseline, target=goal.target
    ):
        return None
    lowest, highest = rules.actual_value_bounds(baseline=goal.baseline, target=goal.target)
    unit = f" {goal.unit}" if goal.unit else ""
    return _(
        "Enter a value from %(lowest)s to %(highest)s%(unit)s: this is far outside what "
        "this goal measures (target %(target)s)."
    ) % {
        "lowest": format_number(lowest),
        "highest": format_number(highest),
        "unit": unit,
        "target": "—" if goal.target is None else format_number(goal.target),
    }


def _write_content(checkin: CheckIn, data: dict[str, Any]) -> dict:
    """Store the check-in's text, confidence, goal progress and answers; returns the
    audit payload. ``data["progress"]`` maps goal id → {"actual_value", "note"};
    ``data["answers"]`` maps question id → text."""
    goals = {g.pk: g for g in checkin_goals(checkin).only("pk", "baseline", "target", "unit")}
    progress = data.get("progress") or {}
    unknown = set(progress) - set(goals)
    if unknown:
        raise CheckinError(_("Progress can only be reported on your approved goals."))
    errors = {
        progress_field(goal_id): problem
        for goal_id, item in progress.items()
        if (problem := value_problem(goals[goal_id], item.get("actual_value")))
    }
    if errors:
        raise CheckinError(errors)
    CheckinGoalProgress.objects.bulk_create(
        [
            CheckinGoalProgress(
                checkin=checkin,
                goal_id=goal_id,
                actual_value=item.get("actual_value"),
                note=item.get("note") or "",
            )
            for goal_id, item in progress.items()
        ],
        update_conflicts=True,
        unique_fields=["checkin", "goal"],
        update_fields=["actual_value", "note"],
    )
    question_ids = set(
        CheckinQuestion.objects.filter(
            cycle_id=checkin.participation.cycle_id, is_active=True
        ).values_list("pk", flat=True)
    )
    answers = {
        qid: text for qid, text in (data.get("answers") or {}).items() if qid in question_ids
    }
    CheckinAnswer.objects.bulk_create(
        [
            CheckinAnswer(checkin=checkin, question_id=qid, answer=text or "")
            for qid, text in answers.items()
        ],
        update_conflicts=True,
        unique_fields=["checkin", "question"],
        update_fields=["answer"],
    )
    for field in ["went_well", "blockers"]:
        setattr(checkin, field, data.get(field) or "")
    checkin.confidence = data.get("confidence")
    return {
        "progress": {
            str(goal_id): {
                "actual_value": None
                if item.get("actual_value") is None
                else str(item["actual_value"]),
                "note": item.get("note") or "",
            }
            for goal_id, item in progress.items()
        },
        "answers": {str(qid): text for qid, text in answers.items()},
    }


def _start_edit(*, actor, checkin: CheckIn, expected_version: int) -> CheckIn:
    checkin = lock_checkin(checkin)
    if not is_checkin_participant(actor, checkin):
        raise PermissionDenied
    check_version(checkin, expected_version, noun=NOUN)
    _require_editable(checkin)
    _require_implementation(checkin.participation.cycle)
    return checkin


def save_checkin_draft(
    *, actor, checkin: CheckIn, data: dict[str, Any], expected_version: int
) -> CheckIn:
    """Save what the participant typed so far; the check-in stays pending (or missed)."""
    with transaction.atomic():
        checkin = _start_edit(actor=actor, checkin=checkin, expected_version=expected_version)
        before = snapshot(checkin, CHECKIN_FIELDS)
        extra = _write_content(checkin, data)
        save_versioned(checkin, ["went_well", "blockers", "confidence"])
        record_event(
            actor=actor,
            verb="checkin.draft_saved",
            obj=checkin,
            before=before,
            after={**snapshot(checkin, CHECKIN_FIELDS), **extra},
        )
    return checkin


def submit_checkin(
    *,
    actor,
    checkin: CheckIn,
    data: dict[str, Any],
    expected_version: int,
    today: dt.date | None = None,
) -> CheckIn:
    """Save and submit the check-in (pending or missed → submitted), once per period.
    After the due date it is marked late. Reported values become the goals' progress
    history and current values. The reviewer is told."""
    today = today or timezone.localdate()
    with transaction.atomic():
        checkin = _start_edit(actor=actor, checkin=checkin, expected_version=expected_version)
        require_move(
            checkin,
            CheckinStatus.SUBMITTED,
            error=CheckinError,
            action=ACTION_WORDS[CheckinStatus.SUBMITTED],
            noun=NOUN,
        )
        if data.get("confidence") is None:
            raise CheckinError(
                {"confidence": _("Say how confident you are (1 to 5) before you submit.")}
            )
        before = snapshot(checkin, CHECKIN_FIELDS)
        extra = _write_content(checkin, data)
        checkin.status = CheckinStatus.SUBMITTED
        checkin.submitted_at = timezone.now()
        checkin.is_late = today > checkin.due_date
        save_versioned(
            checkin,
            ["went_well", "blockers", "confidence", "status", "submitted_at", "is_late"],
        )
        _record_checkin_progress(checkin, actor=actor, today=today)
        record_event(
            actor=actor,
            verb="checkin.submitted",
            obj=checkin,
            before=before,
            after={**snapshot(checkin, CHECKIN_FIELDS), **extra},
        )
        late = _(" (late)") if checkin.is_late else ""
        _notify(
            _reviewer_user(checkin),
            actor=actor,
            title=_("%(name)s submitted their check-in for %(period)s%(late)s")
            % {
                "name": checkin.participation.employee.full_name,
                "period": _period_text(checkin),
                "late": late,
            },
            body=_("Read it, reply and mark it reviewed."),
            url=checkin.get_absolute_url(),
        )
    return checkin


def _record_checkin_progress(checkin: CheckIn, *, actor, today: dt.date) -> None:
    """The submitted values become each goal's latest point and current value."""
    reported = list(
        CheckinGoalProgress.objects.filter(checkin=checkin, actual_value__isnull=False).order_by(
            "goal_id"
        )
    )
    ProgressUpdate.objects.bulk_create(
        [
            ProgressUpdate(
                goal_id=item.goal_id,
                value=item.actual_value,
                recorded_on=today,
                recorded_by=actor,
                checkin=checkin,
                note=item.note[:300],
            )
            for item in reported
        ]
    )
    for item in reported:
        set_goal_current_value(goal_id=item.goal_id, value=item.actual_value)


# --- The reviewer's side and the conversation -----------------------------------------


def _start_response(*, actor, checkin: CheckIn) -> CheckIn:
    checkin = lock_checkin(checkin)
    if not may_respond_to_checkin(actor, checkin):
        raise PermissionDenied
    _require_open_cycle(checkin.participation.cycle)
    return checkin


def reply_to_checkin(*, actor, checkin: CheckIn, reply: str, expected_version: int) -> CheckIn:
    """The reviewer's (or HR's) reply to a submitted check-in; the employee is told."""
    with transaction.atomic():
        checkin = _start_response(actor=actor, checkin=checkin)
        check_version(checkin, expected_version, noun=NOUN)
        if checkin.status != CheckinStatus.SUBMITTED:
            if checkin.status == CheckinStatus.REVIEWED:
                raise CheckinError(
                    _("This check-in has been reviewed: nobody can change it any more.")
                )
            raise CheckinError(_("You can reply once the check-in is submitted."))
        reply = reply.strip()
        if not reply:
            raise CheckinError({"manager_reply": _("Write your reply.")})
        before = snapshot(checkin, ["manager_reply"])
        checkin.manager_reply = reply
        save_versioned(checkin, ["manager_reply"])
        record_event(
            actor=actor,
            verb="checkin.replied",
            obj=checkin,
            before=before,
            after=snapshot(checkin, ["manager_reply"]),
        )
        _notify(
            _employee_user(checkin),
            actor=actor,
            title=_("%(name)s replied to your check-in for %(period)s")
            % {"name": actor.get_full_name() or actor.username, "period": _period_text(checkin)},
            body=reply,
            url=checkin.get_absolute_url(),
        )
    return checkin


def review_checkin(*, actor, checkin: CheckIn, expected_version: int, reply: str = "") -> CheckIn:
    """Mark a submitted check-in reviewed (submitted → reviewed), with an optional last
    reply; the employee is told. Nobody changes it afterwards."""
    with transaction.atomic():
        checkin = _start_response(actor=actor, checkin=checkin)
        check_version(checkin, expected_version, noun=NOUN)
        require_move(
            checkin,
            CheckinStatus.REVIEWED,
            error=CheckinError,
            action=ACTION_WORDS[CheckinStatus.REVIEWED],
            noun=NOUN,
        )
        before = snapshot(checkin, CHECKIN_FIELDS)
        fields = ["status", "reviewed_at", "reviewed_by"]
        reply = reply.strip()
        if reply:
            checkin.manager_reply = reply
            fields.append("manager_reply")
        checkin.status = CheckinStatus.REVIEWED
        checkin.reviewed_at = timezone.now()
        checkin.reviewed_by = actor
        save_versioned(checkin, fields)
        record_event(
            actor=actor,
            verb="checkin.reviewed",
            obj=checkin,
            before=before,
            after=snapshot(checkin, CHECKIN_FIELDS),
        )
        _notify(
            _employee_user(checkin),
            actor=actor,
            title=_("Your check-in for %(period)s was reviewed")
            % {"period": _period_text(checkin)},
            body=checkin.manager_reply,
            url=checkin.get_absolute_url(),
        )
    return checkin


def _add_comment(*, actor, checkin: CheckIn, body: str, follow_up: bool) -> CheckinComment:
    body = body.strip()
    if not body:
        raise CheckinError({"body": _("Write something first.")})
    comment = CheckinComment.objects.create(
        checkin=checkin, author=actor, body=body, is_follow_up=follow_up
    )
    record_event(
        actor=actor,
        verb="checkin.follow_up_asked" if follow_up else "checkin.commented",
        obj=checkin,
        after={"comment": comment.pk, "body": body},
    )
    return comment


def ask_follow_up(*, actor, checkin: CheckIn, body: str) -> CheckinComment:
    """The reviewer (or HR) asks the employee a follow-up question on a check-in."""
    with transaction.atomic():
        # A follow-up question is a new comment; the check-in itself does not change.
        checkin = _start_response(actor=actor, checkin=checkin)
        if checkin.status in EDITABLE:
            raise CheckinError(_("Ask follow-up questions once the check-in is submitted."))
        comment = _add_comment(actor=actor, checkin=checkin, body=body, follow_up=True)
        _notify(
            _employee_user(checkin),
            actor=actor,
            title=_("%(name)s asked a follow-up question on your check-in for %(period)s")
            % {"name": actor.get_full_name() or actor.username, "period": _period_text(checkin)},
            body=comment.body,
            url=f"{checkin.get_absolute_url()}#comments",
        )
    return comment


def add_checkin_comment(*, actor, checkin: CheckIn, body: str) -> CheckinComment:
    """A comment in the check-in's thread, by the employee, the reviewer or HR; the other
    side is told (the employee's comment goes to the reviewer, anyone else's to the
    employee)."""
    with transaction.atomic():
        checkin = lock_checkin(checkin)
        if not (is_checkin_participant(actor, checkin) or may_respond_to_checkin(actor, checkin)):
            raise PermissionDenied
        _require_open_cycle(checkin.participation.cycle)
        comment = _add_comment(actor=actor, checkin=checkin, body=body, follow_up=False)
        if is_checkin_participant(actor, checkin):
            recipient = _reviewer_user(checkin)
        else:
            recipient = _employee_user(checkin)
        _notify(
            recipient,
            actor=actor,
            title=_("%(name)s commented on the check-in for %(period)s")
            % {"name": actor.get_full_name() or actor.username, "period": _period_text(checkin)},
            body=comment.body,
            url=f"{checkin.get_absolute_url()}#comments",
            email=False,
        )
    return comment


# --- Progress outside a check-in --------------------------------------------------------


def add_progress_update(
    *,
    actor,
    goal: Goal,
    value: Decimal,
    recorded_on: dt.date | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> ProgressUpdate:
    """Record a goal's actual value at a date (the owner or their reviewer), during the
    implementation phase. The latest point becomes the goal's current value."""
    today = today or timezone.localdate()
    recorded_on = recorded_on or today
    with transaction.atomic():
        goal = lock_goal(goal)
        if not may_record_progress(actor, goal):
            raise PermissionDenied
        if goal.status != GoalStatus.APPROVED:
            raise CheckinError(_("Progress is recorded on approved goals only."))
        _require_implementation(goal.cycle)
        if recorded_on > today:
            raise CheckinError({"recorded_on": _("Progress cannot be recorded in the future.")})
        if problem := value_problem(goal, value):
            raise CheckinError({"value": problem})
        if recorded_on < goal.cycle.start_date:
            raise CheckinError(
                {
                    "recorded_on": _("The cycle started on %(date)s.")
                    % {"date": format_date(goal.cycle.start_date)}
                }
            )
        update = ProgressUpdate.objects.create(
            goal=goal, value=value, recorded_on=recorded_on, recorded_by=actor, note=note.strip()
        )
        latest = goal.progress_updates.aggregate(last=Max("recorded_on"))["last"]
        if recorded_on >= latest:
            set_goal_current_value(goal_id=goal.pk, value=value)
        record_event(
            actor=actor,
            verb="progress.recorded",
            obj=goal,
            after={
                "progress_update": update.pk,
                "value": str(value),
                "recorded_on": recorded_on.isoformat(),
                "note": update.note,
            },
        )
        owner_user = goal.owner.user
        if owner_user.pk != actor.pk:
            recipient = owner_user
        else:
            participation = (
                Participation.objects.filter(cycle_id=goal.cycle_id, employee_id=goal.owner_id)
                .select_related("reviewer__user")
                .first()
            )
            reviewer = participation.reviewer if participation else None
            recipient = reviewer.user if reviewer else None
        _notify(
            recipient,
            actor=actor,
            title=_("Progress on “%(goal)s”: %(value)s %(unit)s")
            % {"goal": goal.title, "value": value, "unit": goal.unit},
            url=_progress_url(goal),
            email=False,
        )
    return update


def _progress_url(goal: Goal) -> str:
    return reverse("implementation:goal-progress", args=[goal.pk])


# --- HR: settings and questions -------------------------------------------------------------


def update_checkin_settings(*, actor, cycle: Cycle, data: dict[str, Any]) -> CheckinSettings:
    """HR sets a cycle's grace days, reminder days and deviation margin."""
    require_hr(actor)
    _require_open_cycle(cycle)
    with transaction.atomic():
        settings = ensure_checkin_settings(cycle)
        settings = lock_for_update(CheckinSettings, settings.pk)
        before = snapshot(settings, SETTINGS_FIELDS)
        for field in SETTINGS_FIELDS:
            setattr(settings, field, data[field])
        settings.save(update_fields=SETTINGS_FIELDS)
        before, after = changes(before, snapshot(settings, SETTINGS_FIELDS))
        record_event(
            actor=actor, verb="checkin_settings.updated", obj=settings, before=before, after=after
        )
    return settings


def add_checkin_question(*, actor, cycle: Cycle, text: str) -> CheckinQuestion:
    """HR adds a question to every check-in of ``cycle``, at the end of the list."""
    require_hr(actor)
    _require_open_cycle(cycle)
    text = text.strip()
    if not text:
        raise CheckinError({"text": _("Write the question.")})
    with transaction.atomic():
        lock_for_update(Cycle, cycle.pk)  # serialises the positions
        last = cycle.checkin_questions.aggregate(last=Max("position"))["last"]
        question = CheckinQuestion.objects.create(
            cycle=cycle, text=text, position=0 if last is None else last + 1
        )
        record_event(
            actor=actor,
            verb="checkin_question.added",
            obj=question,
            after={"cycle": cycle.pk, "text": text, "position": question.position},
        )
    return question


def move_checkin_question(*, actor, question: CheckinQuestion, up: bool) -> CheckinQuestion:
    """Swap a question with its neighbour above (``up``) or below."""
    require_hr(actor)
    with transaction.atomic():
        lock_for_update(Cycle, question.cycle_id)
        ordered = list(
            CheckinQuestion.objects.filter(cycle_id=question.cycle_id).order_by("position", "pk")
        )
        index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(ordered):
            raise CheckinError(_("The question is already at that end of the list."))
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, item in enumerate(ordered):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
        moved = ordered[other]
        record_event(
            actor=actor,
            verb="checkin_question.moved",
            obj=moved,
            before={"position": index},
            after={"position": other},
        )
    return moved


def set_checkin_question_active(
    *, actor, question: CheckinQuestion, active: bool
) -> CheckinQuestion:
    """Deactivate a question (new check-ins no longer ask it; answers are kept) or bring
    it back."""
    require_hr(actor)
    with transaction.atomic():
        question = lock_for_update(CheckinQuestion, question.pk)
        if question.is_active == active:
            return question
        question.is_active = active
        question.save(update_fields=["is_active"])
        record_event(
            actor=actor,
            verb="checkin_question.activated" if active else "checkin_question.deactivated",
            obj=question,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return question
