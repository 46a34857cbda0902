"""The feedback interview: schedule, reschedule, cancel and record it (the reviewer of a
released appraisal), each side's preparation notes, and the reminder the day before.

Every function checks the actor and the move (``Interview.TRANSITIONS``), runs in one
transaction, saves with ``save_versioned`` against the version the form was rendered
with, writes the audit event and notifies; invitations, updates and cancels carry an
iCalendar file (feedback/ics.py) in their email.

PRIVACY: the manager's private notes are read and written only by their author. Nothing
here copies a note's text anywhere: not into the audit log, a notification, an email,
the .ics file or an error message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.models import Appraisal
from feedback import ics
from feedback.models import (
    Interview,
    InterviewStatus,
    NoteRole,
    PreparationNote,
    RootCause,
    new_ics_uid,
)
from feedback.policies import INTERVIEW
from feedback.services.events import interview_recorded
from perfcycle import access
from perfcycle.audit import record_event, snapshot
from perfcycle.formatting import format_date, format_datetime
from perfcycle.models import Cycle
from perfcycle.notifications import Attachment, Message, notify, send_once
from perfcycle.workflow import (
    DomainError,
    check_version,
    lock_for_update,
    require_actor,
    require_move,
    save_versioned,
)

S = InterviewStatus
LIVE = (S.SCHEDULED, S.RESCHEDULED)
REMINDER_KIND = "feedback.interview_day_before"
SLOT_FIELDS = ["starts_at", "duration_minutes", "location", "video_link"]
NOTE_MAX = 10_000
# An interview is about the cycle just appraised: within a year from now.
MAX_AHEAD = dt.timedelta(days=366)


@dataclass(frozen=True)
class Slot:
    """When and where: the schedule form's cleaned data."""

    starts_at: dt.datetime
    duration_minutes: int
    location: str = ""
    video_link: str = ""


@dataclass(frozen=True)
class Record:
    """What was said: the record form's cleaned data."""

    held_on: dt.date
    achievements: str
    deficiencies: str = ""
    root_causes: Sequence[RootCause] = ()
    root_cause_note: str = ""
    expectations: str = ""
    agreed_actions: str = ""


def _people(qs):
    return qs.select_related(
        "appraisal",
        "participation__cycle",
        "participation__employee__user",
        "participation__reviewer__user",
        "manager__user",
    )


def _require(actor, action: str, participation) -> None:
    require_actor(actor)
    if not INTERVIEW.may(actor, action, participation):
        raise PermissionDenied


def _require_released(appraisal: Appraisal) -> None:
    if appraisal.released_at is None:
        raise DomainError(
            _(
                "The ratings of this appraisal are not released yet: the interview is "
                "scheduled and recorded once HR releases them."
            )
        )


def _require_open(cycle: Cycle) -> None:
    if cycle.phase == Cycle.Phase.CLOSED:
        raise DomainError(_("The cycle is closed: its interviews can no longer change."))


def _check_slot(slot: Slot, *, now: dt.datetime) -> None:
    errors = {}
    if slot.starts_at <= now:
        errors["date"] = _("Choose a time in the future.")
    elif slot.starts_at > now + MAX_AHEAD:
        errors["date"] = _("Choose a day within the next year.")
    if not (slot.location.strip() or slot.video_link.strip()):
        errors["location"] = _("Give a place or a video link (or both).")
    if slot.video_link and not slot.video_link.lower().startswith(("https://", "http://")):
        errors["video_link"] = _("A video link starts with https://.")
    if not 15 <= slot.duration_minutes <= 480:
        errors["duration_minutes"] = _("An interview lasts between 15 minutes and 8 hours.")
    if errors:
        raise DomainError(errors)


# --- The invitation ----------------------------------------------------------------------


def interview_url(interview: Interview) -> str:
    return reverse("feedback:interview-detail", args=[interview.pk])


def absolute_url(path: str) -> str:
    return f"{settings.PERFCYCLE_SITE_URL}{path}"


def calendar_file(interview: Interview, *, method: str) -> bytes:
    """The interview's .ics for ``method`` (feedback/ics.py): the reviewer organises it,
    the employee attends."""
    person = interview.participation.employee
    manager = interview.manager
    return ics.interview_calendar(
        interview,
        method=method,
        organizer=ics.Party(manager.full_name, manager.user.email),
        attendee=ics.Party(person.full_name, person.user.email),
        summary=_("Feedback interview: %(person)s with %(manager)s")
        % {"person": person.full_name, "manager": manager.full_name},
        url=absolute_url(interview_url(interview)),
    )


def _attachment(interview: Interview, method: str) -> Attachment:
    return Attachment(
        filename="interview.ics" if method != ics.CANCEL else "interview-cancelled.ics",
        content=calendar_file(interview, method=method),
        mimetype=f"{ics.MIMETYPE}; method={method}; charset=utf-8",
    )


def _when_where(interview: Interview) -> str:
    lines = [
        _("When: %(when)s (%(minutes)s minutes)")
        % {
            "when": format_datetime(interview.starts_at),
            "minutes": interview.duration_minutes,
        }
    ]
    if interview.location:
        lines.append(_("Place: %(place)s") % {"place": interview.location})
    if interview.video_link:
        lines.append(_("Video link: %(link)s") % {"link": interview.video_link})
    return "\n".join(lines)


def _invite(interview: Interview, *, title: str, method: str, intro: str) -> None:
    """Tell the employee, with the calendar file in the email."""
    body = f"{intro}\n\n{_when_where(interview)}"
    notify(
        recipient=interview.participation.employee.user,
        title=title,
        body=body,
        url=interview_url(interview),
        attachments=[_attachment(interview, method)],
    )


# --- Schedule, reschedule, cancel ---------------------------------------------------------


def schedule_interview(
    *, actor, appraisal: Appraisal, slot: Slot, expected_version=None
) -> Interview:
    """The reviewer schedules the interview of a released appraisal (→ scheduled) and
    the employee is invited. Scheduling again after a cancel is a new invitation: a new
    UID, SEQUENCE from 0 (``expected_version`` is then the cancelled interview's)."""
    with transaction.atomic():
        appraisal = lock_for_update(
            Appraisal.objects.select_related(
                "participation__cycle",
                "participation__employee__user",
                "participation__reviewer__user",
            ),
            appraisal.pk,
        )
        participation = appraisal.participation
        _require(actor, "schedule", participation)
        _require_released(appraisal)
        _require_open(participation.cycle)
        now = timezone.now()
        _check_slot(slot, now=now)
        interview = Interview.objects.select_for_update().filter(appraisal=appraisal).first()
        reviewer = participation.reviewer
        if interview is None:
            interview = Interview(
                appraisal=appraisal,
                participation=participation,
                manager=reviewer,
                scheduled_by=actor,
                scheduled_at=now,
                **{name: getattr(slot, name) for name in SLOT_FIELDS},
            )
            interview.save(force_insert=True)
            before = {}
        else:
            require_move(
                interview,
                S.SCHEDULED,
                error=DomainError,
                message=_("This interview is already scheduled: change its time instead."),
            )
            check_version(interview, expected_version, noun=_("interview"))
            before = snapshot(interview, ["status", "ics_uid", "ics_sequence", *SLOT_FIELDS])
            for name in SLOT_FIELDS:
                setattr(interview, name, getattr(slot, name))
            interview.status = S.SCHEDULED
            interview.ics_uid = new_ics_uid()
            interview.ics_sequence = 0
            interview.manager = reviewer
            interview.scheduled_by = actor
            interview.scheduled_at = now
            interview.cancelled_at = None
            interview.cancel_reason = ""
            save_versioned(
                interview,
                [
                    "status",
                    "ics_uid",
                    "ics_sequence",
                    "manager",
                    "scheduled_by",
                    "scheduled_at",
                    "cancelled_at",
                    "cancel_reason",
                    *SLOT_FIELDS,
                ],
            )
        interview.participation = participation
        record_event(
            actor=actor,
            verb="interview.scheduled",
            obj=interview,
            before=before,
            after=snapshot(interview, ["status", "ics_uid", "ics_sequence", *SLOT_FIELDS]),
        )
        _invite(
            interview,
            title=_("Feedback interview on %(when)s") % {"when": format_datetime(slot.starts_at)},
            method=ics.REQUEST,
            intro=_("%(manager)s invites you to your feedback interview.")
            % {"manager": reviewer.full_name},
        )
    return interview


def _begin_move(actor, interview: Interview, action: str, to_status, expected_version, refusal):
    """Lock the interview, check the actor, the form's version and the move; ``refusal``
    is the message with ``%(state)s`` for a move the current state does not allow."""
    interview = lock_for_update(_people(Interview.objects.all()), interview.pk)
    _require(actor, action, interview.participation)
    check_version(interview, expected_version, noun=_("interview"))
    require_move(
        interview,
        to_status,
        error=DomainError,
        message=lambda: refusal % {"state": interview.get_status_display().lower()},
    )
    _require_open(interview.participation.cycle)
    return interview


def reschedule_interview(*, actor, interview: Interview, slot: Slot, expected_version) -> Interview:
    """A new time or place (→ rescheduled): the same UID with a higher SEQUENCE, sent to
    the employee as an update of the invitation."""
    with transaction.atomic():
        interview = _begin_move(
            actor,
            interview,
            "schedule",
            S.RESCHEDULED,
            expected_version,
            _("This interview is %(state)s, so its time cannot change."),
        )
        _check_slot(slot, now=timezone.now())
        if all(getattr(interview, name) == getattr(slot, name) for name in SLOT_FIELDS):
            raise DomainError(_("Nothing changed: give a new time, length, place or link."))
        before = snapshot(interview, ["status", "ics_sequence", *SLOT_FIELDS])
        for name in SLOT_FIELDS:
            setattr(interview, name, getattr(slot, name))
        interview.status = S.RESCHEDULED
        interview.ics_sequence += 1
        reviewer = interview.participation.reviewer or interview.manager
        interview.manager = reviewer
        save_versioned(interview, ["status", "ics_sequence", "manager", *SLOT_FIELDS])
        record_event(
            actor=actor,
            verb="interview.rescheduled",
            obj=interview,
            before=before,
            after=snapshot(interview, ["status", "ics_sequence", *SLOT_FIELDS]),
        )
        _invite(
            interview,
            title=_("Feedback interview moved to %(when)s")
            % {"when": format_datetime(slot.starts_at)},
            method=ics.REQUEST,
            intro=_("%(manager)s changed your feedback interview.")
            % {"manager": reviewer.full_name},
        )
    return interview


def cancel_interview(*, actor, interview: Interview, reason: str, expected_version) -> Interview:
    """Cancel (→ cancelled) with a reason the employee reads; their calendar gets a
    CANCEL of the same UID. It can be scheduled again (a new invitation)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        interview = _begin_move(
            actor,
            interview,
            "schedule",
            S.CANCELLED,
            expected_version,
            _("This interview is %(state)s, so it cannot be cancelled."),
        )
        if not reason:
            raise DomainError({"reason": _("Say why the interview is cancelled.")})
        before = snapshot(interview, ["status", "ics_sequence"])
        interview.status = S.CANCELLED
        interview.ics_sequence += 1
        interview.cancelled_at = timezone.now()
        interview.cancel_reason = reason
        save_versioned(interview, ["status", "ics_sequence", "cancelled_at", "cancel_reason"])
        record_event(
            actor=actor,
            verb="interview.cancelled",
            obj=interview,
            before=before,
            after=snapshot(interview, ["status", "ics_sequence", "cancel_reason"]),
        )
        _invite(
            interview,
            title=_("Feedback interview of %(when)s cancelled")
            % {"when": format_datetime(interview.starts_at)},
            method=ics.CANCEL,
            intro=_("%(manager)s cancelled your feedback interview: %(reason)s")
            % {"manager": interview.manager.full_name, "reason": reason},
        )
    return interview


# --- Preparation notes ---------------------------------------------------------------------


def note_role(user, interview: Interview) -> str | None:
    """Whose notes ``user`` keeps on this interview: the employee's own, the reviewer's
    private ones, or none (the chain above and HR keep none and read none)."""
    employee = access.employee_of(user)
    if employee is None:
        return None
    if interview.participation.employee_id == employee.pk:
        return NoteRole.EMPLOYEE
    if interview.participation.reviewer_id == employee.pk:
        return NoteRole.MANAGER
    return None


def save_note(*, actor, interview: Interview, text: str, expected_version) -> PreparationNote:
    """Save the actor's own preparation notes (the employee's, or the reviewer's private
    ones) while the interview is to come. ``expected_version`` is 0 for the first save."""
    text = (text or "").strip()
    if len(text) > NOTE_MAX:
        raise DomainError({"text": _("Notes are at most %(n)s characters.") % {"n": NOTE_MAX}})
    with transaction.atomic():
        interview = lock_for_update(_people(Interview.objects.all()), interview.pk)
        _require(actor, "prepare", interview.participation)
        role = note_role(actor, interview)
        if role is None:
            raise PermissionDenied
        if interview.status not in LIVE:
            raise DomainError(
                _("This interview is %(state)s: the notes are kept as they are.")
                % {"state": interview.get_status_display().lower()}
            )
        author = access.employee_of(actor)
        note = (
            PreparationNote.objects.select_for_update()
            .filter(interview=interview, role=role)
            .first()
        )
        if note is not None and note.author_id != author.pk:
            # A new reviewer never reads the previous reviewer's private notes.
            raise DomainError(
                _("The previous reviewer's private notes stay theirs: they cannot be changed.")
            )
        if note is None:
            # The first save was rendered with version 0: anything else is a stale form.
            check_version(PreparationNote(version=0), expected_version, noun=_("notes"))
            note = PreparationNote(interview=interview, role=role, author=author, text=text)
            note.save(force_insert=True)
        else:
            check_version(note, expected_version, noun=_("notes"))
            note.text = text
            save_versioned(note, ["text"])
        # The audit says that notes were saved, never what they say.
        record_event(
            actor=actor,
            verb="interview.notes_saved",
            obj=interview,
            after={"role": role, "characters": len(text)},
        )
    return note


# --- The record ---------------------------------------------------------------------------


def may_record_from(interview: Interview) -> dt.date:
    """The first day the interview can be recorded: its scheduled day."""
    return timezone.localdate(interview.starts_at)


def record_interview(*, actor, interview: Interview, record: Record, expected_version) -> Interview:
    """The reviewer records the interview as held (→ held): achievements affirmed,
    deficiencies, root causes, expectations, agreed actions. From the scheduled day on,
    never before the appraisal is released. Then the stage's next steps run
    (feedback.services.events.interview_recorded) in the same transaction."""
    with transaction.atomic():
        interview = _begin_move(
            actor,
            interview,
            "record",
            S.HELD,
            expected_version,
            _("This interview is %(state)s, so it cannot be recorded."),
        )
        _require_released(interview.appraisal)
        today = timezone.localdate()
        first_day = may_record_from(interview)
        if today < first_day:
            raise DomainError(
                _("The interview is on %(date)s: record it from that day on.")
                % {"date": format_date(first_day)}
            )
        _check_record(record, interview=interview, today=today)
        before = snapshot(interview, ["status", "held_at"])
        local_start = timezone.localtime(interview.starts_at)
        interview.held_at = timezone.make_aware(
            dt.datetime.combine(record.held_on, local_start.time().replace(tzinfo=None))
        )
        interview.status = S.HELD
        interview.recorded_by = actor
        for name in (
            "achievements",
            "deficiencies",
            "root_cause_note",
            "expectations",
            "agreed_actions",
        ):
            setattr(interview, name, getattr(record, name).strip())
        save_versioned(
            interview,
            [
                "status",
                "held_at",
                "recorded_by",
                "achievements",
                "deficiencies",
                "root_cause_note",
                "expectations",
                "agreed_actions",
            ],
        )
        interview.root_causes.set(record.root_causes)
        record_event(
            actor=actor,
            verb="interview.recorded",
            obj=interview,
            before=before,
            after={
                **snapshot(interview, ["status", "held_at"]),
                "root_causes": sorted(c.pk for c in record.root_causes),
            },
        )
        notify(
            recipient=interview.participation.employee.user,
            title=_("Your feedback interview is recorded"),
            body=_(
                "%(manager)s recorded your feedback interview of %(date)s: read what you "
                "agreed, and the expectations for the next cycle."
            )
            % {"manager": interview.manager.full_name, "date": format_date(interview.held_at)},
            url=interview_url(interview),
        )
        interview_recorded(interview=interview, actor=actor)
    return interview


def _check_record(record: Record, *, interview: Interview, today: dt.date) -> None:
    errors = {}
    released_on = timezone.localdate(interview.appraisal.released_at)
    if record.held_on > today:
        errors["held_on"] = _("The interview cannot be recorded for a day still to come.")
    elif record.held_on < released_on:
        errors["held_on"] = _(
            "The ratings were released on %(date)s: the interview was held after that."
        ) % {"date": format_date(released_on)}
    if not record.achievements.strip():
        errors["achievements"] = _("Say which achievements you affirmed.")
    if not record.expectations.strip():
        errors["expectations"] = _("Say what is expected in the next cycle.")
    retired = [c.name for c in record.root_causes if not c.is_active]
    if retired:
        errors["root_causes"] = _("No longer offered: %(names)s.") % {"names": ", ".join(retired)}
    if errors:
        raise DomainError(errors)


# --- The reminder the day before ------------------------------------------------------------


def send_interview_reminders(*, today: dt.date) -> int:
    """Remind the employee and the manager of each interview to come tomorrow, once per
    interview and day (a rescheduled interview is reminded of its new day); returns how
    many interviews were reminded. Running twice sends nothing more."""
    tomorrow = today + dt.timedelta(days=1)
    start = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time.min))
    end = start + dt.timedelta(days=1)
    interviews = list(
        _people(Interview.objects.all())
        .filter(status__in=LIVE, starts_at__gte=start, starts_at__lt=end)
        .exclude(participation__cycle__phase=Cycle.Phase.CLOSED)
        .order_by("starts_at", "pk")
    )
    messages = {}
    for interview in interviews:
        person = interview.participation.employee
        manager = interview.manager
        when = format_datetime(interview.starts_at)
        where = _when_where(interview)
        url = interview_url(interview)
        messages[f"{interview.pk}:{tomorrow.isoformat()}"] = [
            Message(
                person.user_id,
                person.user.email,
                _("Tomorrow: your feedback interview at %(when)s") % {"when": when},
                _("With %(manager)s.") % {"manager": manager.full_name} + "\n\n" + where,
                url,
            ),
            Message(
                manager.user_id,
                manager.user.email,
                _("Tomorrow: feedback interview with %(person)s at %(when)s")
                % {"person": person.full_name, "when": when},
                where,
                url,
            ),
        ]
    return send_once(REMINDER_KIND, messages, label=_("Interview reminder"))
