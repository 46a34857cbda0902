"""Core model: the organisation chart, cycles, participation, audit log and notifications."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """The login account. People data lives on Employee (one-to-one)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class DepartmentQuerySet(models.QuerySet):
    def with_parent(self):
        return self.select_related("parent")


class Department(models.Model):
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="department_name_unique"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="department_not_own_parent"),
        ]

    def __str__(self):
        return self.name


class EmployeeQuerySet(models.QuerySet):
    def with_org(self):
        return self.select_related("user", "department", "manager__user")

    def active(self):
        return self.filter(is_active=True)


class Employee(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employee"
    )
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="employees",
    )
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    manager = models.ForeignKey(
        "self",
        verbose_name=_("line manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = EmployeeQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(condition=~Q(manager=F("id")), name="employee_not_own_manager"),
        ]
        indexes = [models.Index(fields=["manager"], name="employee_manager_idx")]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return self.user.get_full_name() or self.user.username

    @staticmethod
    def name_of(first_name: str, last_name: str, username: str) -> str:
        """``full_name`` from the user's values, for rows read as values (no instances)."""
        return f"{first_name} {last_name}".strip() or username

    # The user's values ``name_in`` reads, after a path to a person: values(*NAME_VALUES…).
    NAME_VALUES = ("user__first_name", "user__last_name", "user__username")

    @staticmethod
    def name_in(values: dict, person: str) -> str:
        """``name_of`` from a values row holding ``<person>__user__first_name``, …"""
        return Employee.name_of(*(values[f"{person}__{name}"] for name in Employee.NAME_VALUES))


class CyclePhase(models.TextChoices):
    PLANNING = "planning", _("Planning")
    IMPLEMENTATION = "implementation", _("Implementation")
    APPRAISAL = "appraisal", _("Appraisal")
    FEEDBACK = "feedback", _("Feedback")
    APPLICATION = "application", _("Application")
    CLOSED = "closed", _("Closed")


class CheckinCadence(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    FORTNIGHTLY = "fortnightly", _("Fortnightly")
    MONTHLY = "monthly", _("Monthly")


class Cycle(models.Model):
    Phase = CyclePhase
    Cadence = CheckinCadence

    # The phase state machine, as data: each phase may only move to the next one.
    TRANSITIONS = {
        Phase.PLANNING: [Phase.IMPLEMENTATION],
        Phase.IMPLEMENTATION: [Phase.APPRAISAL],
        Phase.APPRAISAL: [Phase.FEEDBACK],
        Phase.FEEDBACK: [Phase.APPLICATION],
        Phase.APPLICATION: [Phase.CLOSED],
        Phase.CLOSED: [],
    }
    # Which deadline field ends which phase.
    DEADLINE_FIELDS = {
        Phase.PLANNING: "planning_deadline",
        Phase.IMPLEMENTATION: "implementation_deadline",
        Phase.APPRAISAL: "appraisal_deadline",
        Phase.FEEDBACK: "feedback_deadline",
        Phase.APPLICATION: "application_deadline",
    }

    name = models.CharField(_("name"), max_length=120, unique=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    phase = models.CharField(
        _("phase"), max_length=20, choices=CyclePhase.choices, default=CyclePhase.PLANNING
    )
    planning_deadline = models.DateField(_("planning ends"))
    implementation_deadline = models.DateField(_("implementation ends"))
    appraisal_deadline = models.DateField(_("appraisal ends"))
    feedback_deadline = models.DateField(_("feedback ends"))
    application_deadline = models.DateField(_("application ends"))
    checkin_cadence = models.CharField(
        _("check-in cadence"),
        max_length=20,
        choices=CheckinCadence.choices,
        default=CheckinCadence.MONTHLY,
    )
    # The scheduler (perfcycle.phases.advance_due_phases) moves the cycle on the day after
    # each phase's deadline; HR can always move it by hand as well.
    auto_advance = models.BooleanField(_("advance automatically"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-start_date", "name"]
        permissions = [("manage_performance", "Can administer performance cycles (HR admin)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(phase__in=CyclePhase.values), name="cycle_phase_valid"
            ),
            models.CheckConstraint(
                condition=Q(checkin_cadence__in=CheckinCadence.values),
                name="cycle_cadence_valid",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="cycle_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(planning_deadline__gte=F("start_date"))
                & Q(implementation_deadline__gte=F("planning_deadline"))
                & Q(appraisal_deadline__gte=F("implementation_deadline"))
                & Q(feedback_deadline__gte=F("appraisal_deadline"))
                & Q(application_deadline__gte=F("feedback_deadline")),
                name="cycle_deadlines_in_order",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cycle-detail", args=[self.pk])

    @property
    def current_deadline(self):
        field = self.DEADLINE_FIELDS.get(self.phase)
        return getattr(self, field) if field else None

    @property
    def is_open(self) -> bool:
        return self.phase != self.Phase.CLOSED


class ParticipationQuerySet(models.QuerySet):
    def with_people(self):
        return self.select_related(
            "cycle", "employee__user", "employee__department", "reviewer__user"
        )


class Participation(models.Model):
    """An employee taking part in a cycle, with the reviewer as at enrolment."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="participations")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="participations")
    # A snapshot: kept even if the org chart changes later in the cycle.
    reviewer = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviewing",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["cycle", "employee"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "employee"], name="participation_once_per_cycle"
            ),
        ]

    def __str__(self):
        return f"{self.employee} in {self.cycle}"


class AuditEvent(models.Model):
    """Append-only history of every state change; written only by services.record_event."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # Deleting a person with history is refused: deactivate them instead.
        on_delete=models.PROTECT,
        related_name="+",
    )
    verb = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.object_repr}"


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """In-app message; doubles as the email outbox.

    With ``send_email`` the row is in the outbox while ``email_status`` is pending: a
    worker claims it when ``next_attempt_at`` is due (committing the attempt and a lease
    before it talks to the mail server), sends it with its one ``message_id`` and marks it
    sent; a send that fails is retried with backoff and, after the last attempt, marked
    failed with ``last_error`` (HR sees those). Written only by perfcycle.notifications."""

    EmailStatus = EmailStatus

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    send_email = models.BooleanField(default=True)
    email_status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            # The sweep: pending outbox rows that are due, oldest due first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(send_email=True, email_status="pending"),
                name="notification_outbox_idx",
            ),
            # HR's list of failed deliveries.
            models.Index(
                fields=["-last_attempt_at"],
                condition=Q(send_email=True, email_status="failed"),
                name="notification_email_failed_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(email_status__in=EmailStatus.values),
                name="notification_email_status_valid",
            ),
            # Sent exactly when it has a sending time.
            models.CheckConstraint(
                condition=Q(email_status="sent", emailed_at__isnull=False)
                | (~Q(email_status="sent") & Q(emailed_at__isnull=True)),
                name="notification_sent_has_time",
            ),
        ]

    def __str__(self):
        return self.title


class NotificationAttachment(models.Model):
    """A file sent with a notification's email (a calendar invitation, …), stored with
    the row when the notification is written: the email carries the file as it was at
    that moment, whenever the outbox gets to send it. Written only by
    perfcycle.notifications; deleted with its notification."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(max_length=200)
    # The MIME type with its parameters, e.g. "text/calendar; method=REQUEST".
    mimetype = models.CharField(max_length=200)
    content = models.BinaryField()

    class Meta:
        ordering = ["notification", "id"]

    def __str__(self):
        return self.filename


class OrgImportStatus(models.TextChoices):
    VALIDATED = "validated", _("Validated")
    APPLIED = "applied", _("Applied")
    DISCARDED = "discarded", _("Discarded")


class OrgImport(models.Model):
    """An uploaded organisation CSV, validated first and applied only when confirmed."""

    Status = OrgImportStatus

    TRANSITIONS = {
        Status.VALIDATED: [Status.APPLIED, Status.DISCARDED],
        Status.APPLIED: [],
        Status.DISCARDED: [],
    }

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255)
    content = models.TextField()
    status = models.CharField(
        max_length=20, choices=OrgImportStatus.choices, default=OrgImportStatus.VALIDATED
    )
    report = models.JSONField(default=dict)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OrgImportStatus.values), name="orgimport_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def has_errors(self) -> bool:
        return bool(self.report.get("errors"))


class SentReminder(models.Model):
    """One row per reminder sent, for every stage: the unique (kind, key) makes each
    reminder at-most-once, even when a task runs twice or on two workers at once.
    Written only by ``perfcycle.notifications.claim_once``/``send_once``."""

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="sent_reminder_once_per_key"),
        ]

    def __str__(self):
        return f"{self.kind}:{self.key}"


class DataChange(models.Model):
    """One row per statement that wrote a table a roll-up reads (PostgreSQL triggers put
    it there: see perfcycle/rollups.py). Append-only apart from the hourly pruning."""

    id = models.BigAutoField(primary_key=True)
    source = models.CharField(max_length=63)  # the table written
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["source", "id"], name="datachange_source_id_idx")]

    def __str__(self):
        return f"change {self.pk} of {self.source}"


class Rollup(models.Model):
    """A stored roll-up (e.g. HR home's counts) and the change-log stamp it was computed
    at: valid while the stamp is the log's current one (perfcycle/rollups.py)."""

    key = models.CharField(max_length=200, primary_key=True)
    low = models.BigIntegerField()
    high = models.BigIntegerField()
    count = models.BigIntegerField()
    data = models.JSONField()
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.key
