"""Stage 2, implementation: check-ins, progress updates, evidence and deviations."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from goals.models import Goal, Indicator
from perfcycle.formatting import format_date
from perfcycle.models import Cycle, Employee, Participation


class CheckinSettings(models.Model):
    """Per-cycle rules of continuous communication (cadence itself is on the Cycle)."""

    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="checkin_settings")
    grace_days = models.PositiveSmallIntegerField(
        _("grace days"),
        default=3,
        help_text=_("A check-in not submitted this many days after its due date is marked missed."),
    )
    reminder_days_before = models.PositiveSmallIntegerField(_("remind days before due"), default=2)
    deviation_margin = models.DecimalField(
        _("deviation margin (percentage points)"),
        max_digits=5,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("A goal more than this far behind its expected progress raises a deviation."),
    )
    deviation_grace_days = models.PositiveSmallIntegerField(
        _("deviation grace period (days)"),
        default=14,
        validators=[MaxValueValidator(366)],
        help_text=_(
            "A goal is not flagged as behind until this many days after its approval or the "
            "start of implementation, whichever is later."
        ),
    )

    def __str__(self):
        return f"Check-in settings of {self.cycle}"


class CheckinQuestion(models.Model):
    """An optional question HR asks in every check-in of a cycle."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="checkin_questions")
    text = models.CharField(_("question"), max_length=300)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["cycle", "position", "id"]

    def __str__(self):
        return self.text


class CheckinStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed")
    MISSED = "missed", _("Missed")


class CheckInQuerySet(models.QuerySet):
    def with_people(self):
        return self.select_related(
            "participation__cycle",
            "participation__employee__user",
            "participation__employee__department",
            "participation__reviewer__user",
        )


class CheckIn(models.Model):
    """One participant's check-in for one cadence period."""

    Status = CheckinStatus
    TRANSITIONS = {
        CheckinStatus.PENDING: [CheckinStatus.SUBMITTED, CheckinStatus.MISSED],
        # A missed check-in can still be submitted: it is marked late, not refused.
        CheckinStatus.MISSED: [CheckinStatus.SUBMITTED],
        CheckinStatus.SUBMITTED: [CheckinStatus.REVIEWED],
        CheckinStatus.REVIEWED: [],
    }

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="checkins"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=CheckinStatus.choices, default=CheckinStatus.PENDING
    )
    went_well = models.TextField(_("what went well"), blank=True)
    blockers = models.TextField(_("blockers"), blank=True)
    confidence = models.PositiveSmallIntegerField(
        _("confidence (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    is_late = models.BooleanField(default=False)
    manager_reply = models.TextField(_("manager's reply"), blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="checkin_status_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "period_start"], name="checkin_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CheckinStatus.values), name="checkin_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=1, confidence__lte=5),
                name="checkin_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="checkin_period_ordered",
            ),
        ]

    def __str__(self):
        return f"Check-in {format_date(self.period_start)} of {self.participation.employee}"

    def get_absolute_url(self):
        return reverse("implementation:checkin-detail", args=[self.pk])


class CheckinGoalProgress(models.Model):
    """Progress on one approved goal, reported in a check-in."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.PROTECT, related_name="goal_progress")
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="checkin_progress")
    actual_value = models.DecimalField(
        _("actual value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkin", "goal"], name="checkin_goal_once"),
        ]

    def __str__(self):
        return f"{self.goal}: {self.actual_value}"


class CheckinAnswer(models.Model):
    checkin = models.ForeignKey(CheckIn, on_delete=models.PROTECT, related_name="answers")
    question = models.ForeignKey(CheckinQuestion, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkin", "question"], name="checkin_answer_once"),
        ]

    def __str__(self):
        return self.answer[:60]


class CheckinComment(models.Model):
    """The conversation on a check-in; a manager's follow-up question is flagged."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    is_follow_up = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["checkin", "created_at", "id"]

    def __str__(self):
        return self.body[:60]


class ProgressUpdate(models.Model):
    """The actual value of a goal at a date: the goal's time series."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="progress_updates")
    value = models.DecimalField(_("actual value"), max_digits=14, decimal_places=2)
    recorded_on = models.DateField(_("as of"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.PROTECT, related_name="progress_updates"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["goal", "recorded_on", "id"]
        indexes = [models.Index(fields=["goal", "recorded_on"], name="progress_goal_date_idx")]

    def __str__(self):
        return f"{self.goal}: {self.value} on {self.recorded_on}"


class EvidenceQuerySet(models.QuerySet):
    def with_people(self):
        return self.select_related(
            "participation__employee__user",
            "participation__cycle",
            "participation__reviewer",
            "goal",
            "indicator",
            "created_by",
            "verified_by",
        )


class Evidence(models.Model):
    """A dated record of work, ready to be cited by ratings in the appraisal."""

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="evidence"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    occurred_on = models.DateField(_("date of the work"))
    goal = models.ForeignKey(
        Goal,
        verbose_name=_("supports goal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence",
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("supports indicator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name_plural = "evidence"
        indexes = [
            models.Index(fields=["participation", "occurred_on"], name="evidence_part_date_idx"),
            # HR's list, newest first, without sorting every record
            models.Index(fields=["occurred_on", "id"], name="evidence_date_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("implementation:evidence-detail", args=[self.pk])


class EvidenceAttachment(models.Model):
    """A file attached to evidence: stored under MEDIA_ROOT (outside the web root) with a
    random name, and served only through a view that checks access."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["evidence", "uploaded_at"]

    def __str__(self):
        return self.original_name


class DeviationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACTION_AGREED = "action_agreed", _("Action agreed")
    RESOLVED = "resolved", _("Resolved")
    ACCEPTED = "accepted", _("Accepted")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class DeviationQuerySet(models.QuerySet):
    def with_people(self):
        return self.select_related(
            "goal",
            "participation__cycle",
            "participation__employee__user",
            "participation__reviewer__user",
            "owner__user",
        )

    def unresolved(self):
        return self.filter(status__in=[DeviationStatus.OPEN, DeviationStatus.ACTION_AGREED])


class Deviation(models.Model):
    """A goal falling behind its expected trajectory, and what is done about it."""

    Status = DeviationStatus
    Severity = Severity
    TRANSITIONS = {
        DeviationStatus.OPEN: [DeviationStatus.ACTION_AGREED, DeviationStatus.ACCEPTED],
        DeviationStatus.ACTION_AGREED: [
            DeviationStatus.RESOLVED,
            DeviationStatus.ACCEPTED,
            DeviationStatus.ACTION_AGREED,  # a follow-up can revise the action
        ],
        DeviationStatus.RESOLVED: [],
        DeviationStatus.ACCEPTED: [],
    }

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="deviations")
    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="deviations"
    )
    detected_on = models.DateField()
    expected_percent = models.DecimalField(max_digits=6, decimal_places=2)
    actual_percent = models.DecimalField(max_digits=6, decimal_places=2)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    owner = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="owned_deviations")
    status = models.CharField(
        max_length=20, choices=DeviationStatus.choices, default=DeviationStatus.OPEN
    )
    corrective_action = models.TextField(_("corrective action"), blank=True)
    agreed_in = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.PROTECT, related_name="deviations_agreed"
    )
    follow_up_date = models.DateField(_("follow-up date"), null=True, blank=True)
    resolution = models.TextField(_("resolution or reason"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The goal's actual progress when a person resolved or accepted it: an accepted
    # shortfall holds until the goal falls more than the margin below it
    # (trajectory.raises_again). Empty when the detection closed it as back on track.
    closed_actual_percent = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1)

    objects = DeviationQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_on", "-id"]
        indexes = [
            # HR's list, newest first, and its counts per status and severity (read from
            # the index alone)
            models.Index(fields=["detected_on", "id"], name="deviation_detected_idx"),
            models.Index(fields=["status", "severity"], name="deviation_status_severity_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeviationStatus.values), name="deviation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="deviation_severity_valid"
            ),
            # At most one unresolved deviation per goal: detection running twice adds none.
            models.UniqueConstraint(
                fields=["goal"],
                condition=Q(status__in=["open", "action_agreed"]),
                name="one_unresolved_deviation_per_goal",
            ),
        ]

    def __str__(self):
        return f"Deviation on {self.goal}"

    def get_absolute_url(self):
        return reverse("implementation:deviation-detail", args=[self.pk])


class ReminderKind(models.TextChoices):
    CHECKIN_DUE = "checkin_due", _("Check-in due")
    CHECKIN_OVERDUE = "checkin_overdue", _("Check-in overdue")
    MANAGER_DIGEST = "manager_digest", _("Manager's weekly digest")
    FOLLOW_UP = "follow_up", _("Corrective action follow-up")
