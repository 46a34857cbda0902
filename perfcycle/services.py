"""Write side of the core app: every state change goes through one of these functions.

Each runs in a transaction, checks the actor and the transition, saves, writes an
AuditEvent and schedules notifications with ``transaction.on_commit``.
"""

import logging

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle import access
from perfcycle.audit import changes
from perfcycle.models import Cycle, Notification, Participation
from perfcycle.workflow import (
    DomainError,
    check_version,
    lock_for_update,
    require_hr,
    save_versioned,
)

logger = logging.getLogger(__name__)


# The shared pieces live in their own modules; these names stay importable from here
# for the callers not yet moved.
from perfcycle.audit import record_event, snapshot  # noqa: E402,F401
from perfcycle.notifications import notify  # noqa: E402,F401
from perfcycle.phases import GUARDS as PHASE_GUARDS  # noqa: E402,F401
from perfcycle.phases import (  # noqa: E402,F401
    advance_cycle_phase,
    phase_blockers,
    register_phase_guard,
)
from perfcycle.workflow import ConcurrentEditError  # noqa: E402,F401


def deliver_notification_email(*, notification_id: int) -> bool:
    """Send one outbox email, at most once even if two workers race for it."""
    from django.core.mail import send_mail

    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id, send_email=True, emailed_at__isnull=True)
            .first()
        )
        if note is None:
            return False
        Notification.objects.filter(pk=note.pk).update(email_attempts=F("email_attempts") + 1)
        body = note.body
        if note.url:
            body = f"{body}\n\n{note.url}".strip()
        send_mail(note.title, body, None, [note.recipient.email])
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
    return True


def mark_notification_read(*, notification: Notification, actor) -> None:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def mark_all_notifications_read(*, actor) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- HR role ---------------------------------------------------------------------------


def hr_group() -> Group:
    group, _created = Group.objects.get_or_create(name=access.hr_group_name())
    perm = Permission.objects.get(
        codename="manage_performance", content_type__app_label="perfcycle"
    )
    group.permissions.add(perm)
    return group


def grant_hr_admin(*, user, actor) -> None:
    require_hr(actor)
    with transaction.atomic():
        user.groups.add(hr_group())
        record_event(actor=actor, verb="hr.granted", obj=user, after={"hr_admin": True})


# --- Cycles ----------------------------------------------------------------------------

CYCLE_FIELDS = [
    "name",
    "start_date",
    "end_date",
    "planning_deadline",
    "implementation_deadline",
    "appraisal_deadline",
    "feedback_deadline",
    "application_deadline",
    "checkin_cadence",
    "auto_advance",
]
# Fields a caller may leave out (older callers, scripts): they keep their value.
CYCLE_DEFAULTS = {"auto_advance": False}


def validate_cycle_dates(data: dict) -> None:
    """Business rules on a cycle's dates; errors are keyed by field for the form."""
    errors = {}
    start, end = data.get("start_date"), data.get("end_date")
    if start and end and end <= start:
        errors["end_date"] = _("The cycle must end after it starts.")
    previous_field, previous = "start_date", start
    for field in [
        "planning_deadline",
        "implementation_deadline",
        "appraisal_deadline",
        "feedback_deadline",
        "application_deadline",
    ]:
        value = data.get(field)
        if value and previous and value < previous:
            label = Cycle._meta.get_field(previous_field).verbose_name
            errors[field] = _("Must be on or after %(label)s (%(date)s).") % {
                "label": label,
                "date": previous.isoformat(),
            }
        if value:
            previous_field, previous = field, value
    if errors:
        raise DomainError(errors)


def create_cycle(*, actor, data: dict) -> Cycle:
    require_hr(actor)
    validate_cycle_dates(data)
    with transaction.atomic():
        cycle = Cycle.objects.create(
            **{f: data[f] for f in CYCLE_FIELDS if f in data},
            **{f: default for f, default in CYCLE_DEFAULTS.items() if f not in data},
        )
        record_event(
            actor=actor, verb="cycle.created", obj=cycle, after=snapshot(cycle, CYCLE_FIELDS)
        )
    return cycle


def update_cycle(*, actor, cycle_id: int, data: dict, expected_version: int) -> Cycle:
    """Edit a cycle; refuses (ConcurrentEditError) if it changed since it was loaded."""
    require_hr(actor)
    validate_cycle_dates(data)
    with transaction.atomic():
        cycle = lock_for_update(Cycle, cycle_id)
        check_version(cycle, expected_version, noun=_("cycle"))
        if cycle.phase == Cycle.Phase.CLOSED:
            raise DomainError(_("A closed cycle cannot be edited."))
        before = snapshot(cycle, CYCLE_FIELDS)
        for field in CYCLE_FIELDS:
            if field in data or field not in CYCLE_DEFAULTS:
                setattr(cycle, field, data[field])
        save_versioned(cycle, CYCLE_FIELDS)
        before, after = changes(before, snapshot(cycle, CYCLE_FIELDS))
        record_event(actor=actor, verb="cycle.updated", obj=cycle, before=before, after=after)
    return cycle


def enrol_employees(*, actor, cycle: Cycle, employees) -> int:
    """Create Participation rows in bulk; the reviewer is each person's manager today."""
    require_hr(actor, allow_system=True)
    if cycle.phase == Cycle.Phase.CLOSED:
        raise DomainError(_("People cannot join a closed cycle."))
    with transaction.atomic():
        existing = set(
            Participation.objects.filter(cycle=cycle).values_list("employee_id", flat=True)
        )
        rows = [
            Participation(cycle=cycle, employee_id=e_id, reviewer_id=m_id)
            for e_id, m_id in employees.filter(is_active=True).values_list("id", "manager_id")
            if e_id not in existing
        ]
        Participation.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        record_event(actor=actor, verb="cycle.enrolled", obj=cycle, after={"added": len(rows)})
    return len(rows)
