"""Stage 4, feedback: the interview, consensus or dispute, a jointly owned improvement
plan, and the goals agreed for the next cycle.

- :class:`FeedbackSettings` per cycle: the deadlines of each step and the policy on
  improvement plans (required below the qualified level).
- :class:`RootCause`: the HR-configurable list of causes of unqualified performance
  (skills, resources, process, goal clarity, workload, motivation, other).
- :class:`Interview` per released appraisal: scheduled by the manager (with an iCalendar
  invitation: ``ics_uid`` stays, ``ics_sequence`` grows with each update), then held and
  recorded — achievements affirmed, deficiencies, root causes, expectations, agreed actions.
- :class:`PreparationNote`: each side's own notes before the interview. The manager's are
  private: they are read only by their author, never joined into anything the employee
  reaches (pages, exports, emails, notifications, .ics descriptions, error messages).
- :class:`Acknowledgement` per appraisal: the employee agrees with the result, or
  disagrees with specific items (one :class:`Dispute` per item, routed to the reviewer's
  manager, or to HR when there is none); no answer by the deadline is "no response".
- :class:`ImprovementPlan` with :class:`PlanAction` rows (owners: the employee, the
  manager) and :class:`PlanCheckpoint` rows; both sign it.
- :class:`GoalProposal`: a goal agreed for the next cycle; it becomes a draft goal of the
  person's participation when the next cycle opens, exactly once (``carried_goal``).

Every change goes through feedback/services and is audited through perfcycle.audit.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.models import Appraisal, AppraisalItem
from goals.models import Goal, Indicator
from perfcycle.models import Cycle, Employee, Participation


class FeedbackSettings(models.Model):
    """Per-cycle rules of the feedback stage (created with defaults when the cycle enters
    feedback; HR edits them on the cycle's feedback rules page)."""

    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="feedback_settings")
    interviews_due = models.DateField(
        _("interviews held by"),
        null=True,
        blank=True,
        help_text=_("Empty: the cycle's feedback deadline."),
    )
    response_days = models.PositiveSmallIntegerField(
        _("days for the employee to agree or disagree"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    dispute_days = models.PositiveSmallIntegerField(
        _("days to resolve a dispute"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    # A final score in a band below this level's band requires an improvement plan.
    qualified_level = models.PositiveSmallIntegerField(
        _("qualified from level"),
        default=3,
        help_text=_("A final result below this level's band requires an improvement plan."),
    )
    plan_required = models.BooleanField(
        _("an improvement plan is required below the qualified level"), default=True
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "feedback settings"

    def __str__(self):
        return f"Feedback settings of {self.cycle}"


class RootCause(models.Model):
    """One cause of unqualified performance on HR's list (kept when retired: past
    interviews still name it)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("offered in interviews"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


def new_ics_uid() -> str:
    """A fresh iCalendar UID (RFC 5545: globally unique, kept across updates)."""
    return f"{uuid.uuid4()}@perfcycle"


class InterviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Interview(models.Model):
    """The feedback interview of one released appraisal."""

    Status = InterviewStatus
    TRANSITIONS = {
        InterviewStatus.SCHEDULED: [
            InterviewStatus.RESCHEDULED,
            InterviewStatus.HELD,
            InterviewStatus.CANCELLED,
        ],
        InterviewStatus.RESCHEDULED: [
            InterviewStatus.RESCHEDULED,
            InterviewStatus.HELD,
            InterviewStatus.CANCELLED,
        ],
        # Scheduling again after a cancel is a new invitation (a new UID).
        InterviewStatus.CANCELLED: [InterviewStatus.SCHEDULED],
        InterviewStatus.HELD: [],
    }

    appraisal = models.OneToOneField(Appraisal, on_delete=models.PROTECT, related_name="interview")
    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="interviews"
    )
    # The manager holding it (the appraisal's reviewer when scheduled).
    manager = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=InterviewStatus.choices,
        default=InterviewStatus.SCHEDULED,
    )
    starts_at = models.DateTimeField(_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"),
        default=60,
        validators=[MinValueValidator(15), MaxValueValidator(480)],
    )
    location = models.CharField(_("place"), max_length=200, blank=True)
    video_link = models.URLField(_("video link"), max_length=500, blank=True)
    # iCalendar identity: one UID per invitation, SEQUENCE raised by every update/cancel.
    ics_uid = models.CharField(max_length=120, unique=True, default=new_ics_uid)
    ics_sequence = models.PositiveIntegerField(default=0)
    scheduled_at = models.DateTimeField(default=timezone.now)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("why cancelled"), blank=True)

    # The record of the interview (by the manager, once held).
    held_at = models.DateTimeField(_("held on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    achievements = models.TextField(_("achievements affirmed"), blank=True)
    deficiencies = models.TextField(_("deficiencies found"), blank=True)
    root_causes = models.ManyToManyField(
        RootCause, blank=True, related_name="interviews", verbose_name=_("root causes")
    )
    root_cause_note = models.TextField(_("about the causes"), blank=True)
    expectations = models.TextField(_("expectations for the next cycle"), blank=True)
    agreed_actions = models.TextField(_("agreed actions"), blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="interview_status_start_idx"),
            models.Index(fields=["manager", "status"], name="interview_manager_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InterviewStatus.values), name="interview_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=InterviewStatus.HELD) | Q(held_at__isnull=False),
                name="interview_held_has_time",
            ),
        ]

    def __str__(self):
        return f"Interview {self.pk}"

    @property
    def is_live(self) -> bool:
        return self.status in (InterviewStatus.SCHEDULED, InterviewStatus.RESCHEDULED)


class NoteRole(models.TextChoices):
    EMPLOYEE = "employee", _("The employee's own notes")
    MANAGER = "manager", _("The manager's private notes")


class PreparationNote(models.Model):
    """One side's notes before the interview, read only by their author."""

    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="notes")
    role = models.CharField(max_length=10, choices=NoteRole.choices)
    author = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["interview", "role"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "role"], name="preparation_note_once"),
        ]

    def __str__(self):
        return f"Notes {self.pk}"


class AcknowledgementStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the employee")
    AGREED = "agreed", _("Agreed")
    DISAGREED = "disagreed", _("Disagreed")
    NO_RESPONSE = "no_response", _("No response")


class Acknowledgement(models.Model):
    """The employee's answer to the final result, asked once the interview is held."""

    Status = AcknowledgementStatus
    TRANSITIONS = {
        AcknowledgementStatus.PENDING: [
            AcknowledgementStatus.AGREED,
            AcknowledgementStatus.DISAGREED,
            AcknowledgementStatus.NO_RESPONSE,
        ],
        AcknowledgementStatus.AGREED: [],
        AcknowledgementStatus.DISAGREED: [],
        AcknowledgementStatus.NO_RESPONSE: [],
    }

    appraisal = models.OneToOneField(
        Appraisal, on_delete=models.PROTECT, related_name="acknowledgement"
    )
    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    status = models.CharField(
        max_length=20,
        choices=AcknowledgementStatus.choices,
        default=AcknowledgementStatus.PENDING,
    )
    due_date = models.DateField(_("answer by"))
    comment = models.TextField(_("comment"), blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"], name="ack_status_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AcknowledgementStatus.values), name="ack_status_valid"
            ),
        ]

    def __str__(self):
        return f"Acknowledgement {self.pk}"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Rating upheld")
    CHANGED = "changed", _("Rating changed")


class Dispute(models.Model):
    """The employee disagrees with one item's rating. Routed to the reviewer's manager,
    or to HR when there is none; never resolved by the employee or the rating's author."""

    Status = DisputeStatus
    TRANSITIONS = {
        DisputeStatus.OPEN: [DisputeStatus.UPHELD, DisputeStatus.CHANGED],
        DisputeStatus.UPHELD: [],
        DisputeStatus.CHANGED: [],
    }

    acknowledgement = models.ForeignKey(
        Acknowledgement, on_delete=models.PROTECT, related_name="disputes"
    )
    appraisal = models.ForeignKey(Appraisal, on_delete=models.PROTECT, related_name="disputes")
    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="disputes"
    )
    item = models.ForeignKey(AppraisalItem, on_delete=models.PROTECT, related_name="disputes")
    reason = models.TextField(_("why you disagree"))
    status = models.CharField(
        max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    # Who decides: the manager of the reviewer; empty means HR.
    resolver = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    due_date = models.DateField(_("resolve by"))
    rating_before = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_after = models.PositiveSmallIntegerField(null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["opened_at", "id"]
        indexes = [
            models.Index(fields=["status", "opened_at"], name="dispute_status_opened_idx"),
            models.Index(fields=["resolver", "status"], name="dispute_resolver_status_idx"),
        ]
        constraints = [
            # A dispute cannot be opened twice for the same item.
            models.UniqueConstraint(fields=["item"], name="dispute_once_per_item"),
            models.CheckConstraint(
                condition=Q(status__in=DisputeStatus.values), name="dispute_status_valid"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="dispute_reason_required"),
            models.CheckConstraint(
                condition=Q(status=DisputeStatus.OPEN) | ~Q(resolution=""),
                name="dispute_resolution_written",
            ),
        ]

    def __str__(self):
        return f"Dispute {self.pk}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AGREED = "agreed", _("Agreed")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    EXTENDED = "extended", _("Extended")
    NOT_MET = "not_met", _("Not met")


# A plan still running (not closed): at most one per appraisal.
RUNNING_PLAN_STATUSES = (
    PlanStatus.DRAFT,
    PlanStatus.AGREED,
    PlanStatus.ACTIVE,
    PlanStatus.EXTENDED,
)


class ImprovementPlan(models.Model):
    """A plan written together by the employee and the manager: the gap, the causes
    agreed in the interview, actions with owners, success criteria and check-points."""

    Status = PlanStatus
    TRANSITIONS = {
        # Both signatures move it to agreed; an edit of an agreed-but-not-started plan
        # takes it back to draft (both sign again).
        PlanStatus.DRAFT: [PlanStatus.AGREED],
        PlanStatus.AGREED: [PlanStatus.ACTIVE, PlanStatus.DRAFT],
        PlanStatus.ACTIVE: [PlanStatus.COMPLETED, PlanStatus.EXTENDED, PlanStatus.NOT_MET],
        PlanStatus.EXTENDED: [PlanStatus.COMPLETED, PlanStatus.EXTENDED, PlanStatus.NOT_MET],
        PlanStatus.COMPLETED: [],
        PlanStatus.NOT_MET: [],
    }

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="improvement_plans"
    )
    appraisal = models.ForeignKey(
        Appraisal, null=True, blank=True, on_delete=models.PROTECT, related_name="plans"
    )
    interview = models.ForeignKey(
        Interview, null=True, blank=True, on_delete=models.PROTECT, related_name="plans"
    )
    # The manager who supports it (the reviewer when it was started).
    manager = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    # Required by the cycle's policy (result below the qualified level), or by choice.
    required = models.BooleanField(default=False)
    gap = models.TextField(_("the gap"), blank=True)
    causes = models.ManyToManyField(
        RootCause, blank=True, related_name="plans", verbose_name=_("causes")
    )
    success_criteria = models.TextField(_("success criteria"), blank=True)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    employee_signed_at = models.DateTimeField(null=True, blank=True)
    manager_signed_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["status"], name="plan_status_idx"),
            models.Index(fields=["manager", "status"], name="plan_manager_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="plan_ends_after_start",
            ),
            # One running plan per appraisal: a required plan on an appraisal that already
            # has one started by choice marks that one required (feedback/services/plans.py).
            models.UniqueConstraint(
                fields=["appraisal"],
                condition=Q(status__in=RUNNING_PLAN_STATUSES),
                name="plan_one_running_per_appraisal",
            ),
        ]

    def __str__(self):
        return f"Improvement plan {self.pk}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("feedback:plan-detail", args=[self.pk])


class ActionOwner(models.TextChoices):
    EMPLOYEE = "employee", _("The employee")
    MANAGER = "manager", _("The manager (support)")


class PlanAction(models.Model):
    """One action of a plan: what, who (the employee, or the support the manager
    commits to) and by when."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField(_("action"))
    owner = models.CharField(_("owner"), max_length=10, choices=ActionOwner.choices)
    due_date = models.DateField(_("due"))
    done_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "position", "id"]

    def __str__(self):
        return f"Action {self.pk}"


class CheckpointStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    ON_TRACK = "on_track", _("On track")
    BEHIND = "behind", _("Behind")
    MISSED = "missed", _("Not recorded")


class PlanCheckpoint(models.Model):
    """A review date of a plan: reminded before, recorded on (or after) the day."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.PROTECT, related_name="checkpoints")
    due_date = models.DateField(_("on"))
    status = models.CharField(
        max_length=10, choices=CheckpointStatus.choices, default=CheckpointStatus.UPCOMING
    )
    note = models.TextField(_("what was found"), blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["plan", "due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"], name="checkpoint_status_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CheckpointStatus.values), name="checkpoint_status_valid"
            ),
        ]

    def __str__(self):
        return f"Check-point {self.pk}"


class GoalProposal(models.Model):
    """A goal agreed in the interview for the person's next cycle. When the person's
    next participation opens it becomes a draft goal there, exactly once."""

    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="proposals")
    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="goal_proposals"
    )
    title = models.CharField(_("goal"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    weight = models.DecimalField(
        _("weight %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Set once, when carried into the next cycle.
    carried_goal = models.OneToOneField(
        Goal, null=True, blank=True, on_delete=models.PROTECT, related_name="proposed_by"
    )
    carried_into = models.ForeignKey(
        Participation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    carried_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["interview", "position", "id"]
        indexes = [
            models.Index(
                fields=["participation"],
                condition=Q(carried_at__isnull=True),
                name="proposal_waiting_idx",
            ),
        ]

    def __str__(self):
        return self.title
