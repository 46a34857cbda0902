"""Write side of the core app: every state change goes through one of these functions.

Each runs in a transaction, checks the actor and the transition, saves, writes an
AuditEvent and schedules notifications with ``transaction.on_commit``.
"""

import datetime as dt
import logging
import smtplib
from email import encoders
from email.mime.base import MIMEBase
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.core.mail.message import SafeMIMEText, make_msgid
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from perfcycle import access, phases
from perfcycle.audit import Event, changes, record_events
from perfcycle.formatting import format_date
from perfcycle.models import Cycle, Employee, Notification, Participation
from perfcycle.notifications import Message, notify_messages
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
from perfcycle.notifications import enqueue_on_commit, notify, single_line  # noqa: E402,F401
from perfcycle.phases import GUARDS as PHASE_GUARDS  # noqa: E402,F401
from perfcycle.phases import (  # noqa: E402,F401
    advance_cycle_phase,
    phase_blockers,
    register_phase_guard,
)
from perfcycle.workflow import ConcurrentEditError  # noqa: E402,F401

# The email outbox: retries after 1, 5, 15 and 60 minutes, then the row is failed.
EMAIL_BACKOFF = [
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(minutes=60),
]
MAX_EMAIL_ATTEMPTS = len(EMAIL_BACKOFF) + 1


def _email_retry_delay(attempts: int) -> dt.timedelta:
    """How long after attempt number ``attempts`` the next one is due. Also the lease of
    a claimed row: a worker that dies mid-send leaves it to be tried again after this (the
    shortest, 1 minute, is well above EMAIL_TIMEOUT, so a slow send is never doubled)."""
    return EMAIL_BACKOFF[min(attempts, len(EMAIL_BACKOFF)) - 1]


def _claim_email(notification_id: int) -> Notification | None:
    """Commit the attempt before the mail server hears of it: a short transaction locks
    the row (another worker skips it), counts the attempt, gives it its one Message-ID
    and a lease (next_attempt_at), and commits. None if the row is not due, sent, failed
    or held by another worker."""
    now = timezone.now()
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(
                pk=notification_id,
                send_email=True,
                email_status=Notification.EmailStatus.PENDING,
                next_attempt_at__lte=now,
            )
            .first()
        )
        if note is None:
            return None
        if note.email_attempts >= MAX_EMAIL_ATTEMPTS:
            # The last attempt never reported back (its worker died): give up.
            note.email_status = Notification.EmailStatus.FAILED
            note.last_error = note.last_error or _("The last attempt did not finish.")
            note.save(update_fields=["email_status", "last_error"])
            return None
        note.email_attempts += 1
        note.last_attempt_at = now
        note.next_attempt_at = now + _email_retry_delay(note.email_attempts)
        if not note.message_id:
            note.message_id = make_msgid(f"n{note.pk}", domain=_message_id_domain())
        note.save(
            update_fields=["email_attempts", "last_attempt_at", "next_attempt_at", "message_id"]
        )
    return note


def _message_id_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "perfcycle.localhost"


def notification_email(note: Notification) -> EmailMessage:
    """The email of one notification. Every header is single-line text (sanitised again
    here, whatever the row holds); the Message-ID is the row's own, on every attempt."""
    body = note.body
    if note.url:
        # A link to a page of the site is made absolute: it is read in a mail client.
        url = single_line(note.url, 300)
        if url.startswith("/"):
            url = f"{settings.PERFCYCLE_SITE_URL}{url}"
        body = f"{body}\n\n{url}".strip()
    message = EmailMessage(
        subject=single_line(note.title),
        body=body,
        to=[single_line(note.recipient.email, 254)],
        headers={"Message-ID": note.message_id},
    )
    attachments = note.attachments.all() if note.pk is not None else ()
    for attachment in attachments:
        message.attach(_mime_part(attachment))
    return message


def _mime_part(attachment) -> MIMEBase:
    """One stored attachment as a MIME part: its type's parameters kept on the
    Content-Type ("text/calendar; method=REQUEST", which calendar clients read), text
    sent as UTF-8, anything else base64."""
    mimetype, _sep, params = attachment.mimetype.partition(";")
    main, _sep, sub = mimetype.strip().lower().partition("/")
    content = bytes(attachment.content)
    if main == "text":
        part = SafeMIMEText(content.decode("utf-8"), sub or "plain", "utf-8")
    else:
        part = MIMEBase(main or "application", sub or "octet-stream")
        part.set_payload(content)
        encoders.encode_base64(part)
    for param in params.split(";"):
        key, _sep, value = param.partition("=")
        if key.strip() and value.strip():
            part.set_param(key.strip(), value.strip().strip('"'))
    part.add_header("Content-Disposition", "attachment", filename=single_line(attachment.filename))
    return part


def _record_email_failure(note: Notification, error: Exception) -> None:
    """Record why a send failed, in its own statement (the claim already committed, so
    nothing rolls this back): after the last attempt the row is failed for HR to see."""
    reason = single_line(f"{type(error).__name__}: {error}", 500)
    failed = note.email_attempts >= MAX_EMAIL_ATTEMPTS
    Notification.objects.filter(pk=note.pk, email_status=Notification.EmailStatus.PENDING).update(
        last_error=reason,
        **({"email_status": Notification.EmailStatus.FAILED} if failed else {}),
    )
    logger.warning(
        "Email for notification %s failed (attempt %s of %s)%s: %s",
        note.pk,
        note.email_attempts,
        MAX_EMAIL_ATTEMPTS,
        "; giving up" if failed else "; will retry",
        reason,
    )


def deliver_notification_email(*, notification_id: int, connection=None) -> bool:
    """Send one outbox email; True if this call sent it.

    The attempt is committed before the SMTP call and the row marked sent after it, so a
    worker killed in between can at most cause this one message to be sent again, after
    its lease, with the same Message-ID (mail clients show it once). A send that fails is
    recorded and retried with backoff; an SMTP/network error (OSError) is re-raised after
    being recorded so that the caller can stop talking to a server that is down. Call it
    outside any transaction (a worker does)."""
    note = _claim_email(notification_id)
    if note is None:
        return False
    try:
        if not note.recipient.email:
            raise ValueError(_("The recipient has no email address."))
        message = notification_email(note)
        message.connection = connection
        message.send()
    except Exception as error:  # noqa: BLE001 - any reason; recorded, retried later
        _record_email_failure(note, error)
        if isinstance(error, OSError) and not isinstance(error, smtplib.SMTPRecipientsRefused):
            raise
        return False
    Notification.objects.filter(pk=note.pk).update(
        email_status=Notification.EmailStatus.SENT, emailed_at=timezone.now(), last_error=""
    )
    return True


def retry_failed_email(*, actor, notification_id: int) -> Notification:
    """HR sends a failed email again: the row is back in the outbox with fresh attempts
    (same Message-ID) and is handed to a worker after commit."""
    require_hr(actor)
    with transaction.atomic():
        note = Notification.objects.select_for_update().get(
            pk=notification_id, send_email=True, email_status=Notification.EmailStatus.FAILED
        )
        before = snapshot(note, ["email_status", "email_attempts", "last_error"])
        note.email_status = Notification.EmailStatus.PENDING
        note.email_attempts = 0
        note.next_attempt_at = timezone.now()
        note.save(update_fields=["email_status", "email_attempts", "next_attempt_at"])
        record_event(
            actor=actor,
            verb="notification.email_retried",
            obj=note,
            before=before,
            after=snapshot(note, ["email_status", "email_attempts"]),
        )
        enqueue_on_commit([note.pk])
    return note


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
                "date": format_date(previous),
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
        if rows:
            # The stages' enrolment hooks (perfcycle.phases), e.g. next-cycle goals.
            new_ids = list(
                Participation.objects.filter(
                    cycle=cycle, employee_id__in=[row.employee_id for row in rows]
                ).values_list("pk", flat=True)
            )
            phases.run_enrolment_hooks(cycle=cycle, participation_ids=new_ids, actor=actor)
    return len(rows)


# --- Reviewers ---------------------------------------------------------------------------

# How many names a "you now review …" notification lists before "and N more".
NAMES_LISTED = 20


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_LISTED])
    more = len(names) - NAMES_LISTED
    if more > 0:
        shown += " " + _("and %(count)s more") % {"count": more}
    return shown


def change_reviewer(
    *, actor, cycle: Cycle, participation_ids, reviewer, expected_reviewers=None
) -> int:
    """HR makes ``reviewer`` the reviewer of the participations ``participation_ids`` of
    ``cycle`` (one person, or a selection); returns how many changed.

    All or nothing: the reviewer must be an active employee and cannot review
    themself, the cycle must be open and every participation still in it. Nothing else
    moves: whatever waits for the reviewer (goals to approve, check-ins to review,
    evidence to verify) is reached through the participation's reviewer
    (perfcycle.access), so it follows the new reviewer, and the former reviewer loses
    the reviewer's access (unless they are above the person in the management chain).
    ``expected_reviewers`` ({participation id: reviewer id or None}, what the page showed):
    if one was changed by someone else meanwhile, ConcurrentEditError and nothing changes.
    One audit event per participation changed; the participant, the former and the new
    reviewer are notified (one message per person, however many were changed)."""
    require_hr(actor)
    ids = sorted({int(pk) for pk in participation_ids})
    if not ids:
        raise DomainError({"participations": _("Choose at least one person.")})
    if reviewer is None:
        raise DomainError({"reviewer": _("Choose the reviewer.")})
    with transaction.atomic():
        cycle = lock_for_update(Cycle, cycle.pk)
        if cycle.phase == Cycle.Phase.CLOSED:
            raise DomainError(_("The cycle is closed; its reviewers no longer change."))
        reviewer = lock_for_update(Employee.objects.select_related("user"), reviewer.pk)
        if not reviewer.is_active:
            raise DomainError(
                {
                    "reviewer": _("%(name)s has left the organisation; choose an active employee.")
                    % {"name": reviewer.full_name}
                }
            )
        rows = list(
            Participation.objects.select_for_update(of=("self",))
            .filter(cycle=cycle, pk__in=ids)
            .select_related("employee__user", "reviewer__user")
            .order_by("employee__user__last_name", "employee__user__first_name", "pk")
        )
        if len(rows) != len(ids):
            raise DomainError(
                _("Someone chosen is no longer in this cycle. Reload the page and choose again.")
            )
        expected = expected_reviewers or {}
        for p in rows:
            if p.pk in expected and p.reviewer_id != expected[p.pk]:
                raise ConcurrentEditError(
                    _(
                        "Someone changed the reviewer of %(name)s while you were "
                        "choosing; it is %(now)s now. Check it, then choose again."
                    )
                    % {
                        "name": p.employee.full_name,
                        "now": p.reviewer.full_name if p.reviewer else _("nobody"),
                    }
                )
        if any(p.employee_id == reviewer.pk for p in rows):
            message = _("%(name)s cannot be their own reviewer; choose someone else.")
            if len(rows) > 1:
                message = _(
                    "%(name)s cannot be their own reviewer; choose someone else, or leave "
                    "%(name)s out of the selection."
                )
            raise DomainError({"reviewer": message % {"name": reviewer.full_name}})
        changed = [p for p in rows if p.reviewer_id != reviewer.pk]
        if not changed:
            return 0
        former = {p.pk: p.reviewer for p in changed}
        Participation.objects.filter(pk__in=[p.pk for p in changed]).update(reviewer=reviewer)
        record_events(
            [
                Event(
                    actor=actor,
                    verb="participation.reviewer_changed",
                    obj=p,
                    before={"reviewer": p.reviewer_id},
                    after={"reviewer": reviewer.pk},
                )
                for p in changed
            ]
        )
        notify_messages(_reviewer_messages(cycle, changed, former, reviewer, actor), enqueue=True)
    return len(changed)


def _reviewer_messages(cycle, changed, former, reviewer, actor) -> list[Message]:
    """The participant, each former reviewer and the new one, told once each."""
    from django.urls import reverse

    query = f"?cycle={cycle.pk}"
    name = reviewer.full_name
    messages = []
    for p in changed:
        old = former[p.pk]
        body = _(
            "%(name)s now approves your goals and reviews your check-ins and evidence in %(cycle)s."
        ) % {"name": name, "cycle": cycle.name}
        if old is not None:
            body += " " + _("Before, that was %(old)s.") % {"old": old.full_name}
        messages.append(
            Message(
                p.employee.user_id,
                p.employee.user.email,
                _("Your reviewer in %(cycle)s is now %(name)s")
                % {"cycle": cycle.name, "name": name},
                body,
                reverse("my-home") + query,
            )
        )
    by_former: dict[int, tuple[Employee, list[str]]] = {}
    for p in changed:
        old = former[p.pk]
        if old is not None:
            by_former.setdefault(old.pk, (old, []))[1].append(p.employee.full_name)
    for old, people in by_former.values():
        messages.append(
            Message(
                old.user_id,
                old.user.email,
                ngettext(
                    "You no longer review %(people)s in %(cycle)s",
                    "You no longer review %(count)s people in %(cycle)s",
                    len(people),
                )
                % {"people": people[0], "count": len(people), "cycle": cycle.name},
                _("HR made %(name)s the reviewer of: %(people)s.")
                % {"name": name, "people": _names(people)},
            )
        )
    people = [p.employee.full_name for p in changed]
    messages.append(
        Message(
            reviewer.user_id,
            reviewer.user.email,
            ngettext(
                "You now review %(people)s in %(cycle)s",
                "You now review %(count)s more people in %(cycle)s",
                len(people),
            )
            % {"people": people[0], "count": len(people), "cycle": cycle.name},
            _(
                "You approve their goals and review their check-ins and evidence in "
                "%(cycle)s: %(people)s. Anything already waiting for their reviewer is "
                "now on your list."
            )
            % {"cycle": cycle.name, "people": _names(people)},
            reverse("home"),
        )
    )
    # Whoever made the change knows it already (HR may be a participant or reviewer).
    return [m for m in messages if m.user_id != actor.pk]
