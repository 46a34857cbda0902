"""Stage 3, appraisal: self and manager assessment from evidence, peer (360°) input,
explainable scoring, calibration and cycle close.

One :class:`Appraisal` per participation, opened when the cycle enters appraisal (and for
people enrolled later). It snapshots what the review is about — job title, department,
reviewer, template, the rating scale and its levels — so that later changes to the org
chart or the library do not rewrite a review in progress or a finalised one.

One :class:`AppraisalItem` per thing rated: each of the person's approved goals (the
template's goals section) and each item of the template's indicator and competency
sections. Peer (360°) input is asked through :class:`PeerReview` (one per nominated peer)
with one :class:`PeerRating` per peer-section item; it reaches the appraisee only
aggregated (see appraisal/policies.py and appraisal/selectors/).

Calibration changes are :class:`CalibrationAdjustment` rows (who, when, from, to, why),
shown in the score breakdown. Every change is audited through perfcycle.audit.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from goals.models import Goal, Indicator, RatingScale, SectionKind, Template, TemplateItem
from implementation.models import Evidence
from perfcycle.models import Cycle, Department, Employee, Participation


def default_guideline():
    """The cycle's guideline distribution, % per band from the lowest to the highest."""
    return [10, 20, 40, 20, 10]


class AppraisalSettings(models.Model):
    """Per-cycle rules of the appraisal (created with defaults when the cycle enters
    appraisal; HR edits them on the cycle's appraisal settings page)."""

    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="appraisal_settings")
    # A rating at or below / at or above these levels must cite at least one evidence item.
    evidence_required_at_or_below = models.PositiveSmallIntegerField(
        _("evidence required at or below level"),
        null=True,
        blank=True,
        help_text=_("A rating this low or lower must cite at least one evidence item."),
    )
    evidence_required_at_or_above = models.PositiveSmallIntegerField(
        _("evidence required at or above level"),
        null=True,
        blank=True,
        help_text=_("A rating this high or higher must cite at least one evidence item."),
    )
    peer_min = models.PositiveSmallIntegerField(
        _("fewest peers"), default=3, validators=[MaxValueValidator(20)]
    )
    peer_max = models.PositiveSmallIntegerField(
        _("most peers"), default=5, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    peer_deadline = models.DateField(_("peers answer by"), null=True, blank=True)
    # Peer input reaches the appraisee only aggregated, and only from this many answers.
    peer_anonymity_threshold = models.PositiveSmallIntegerField(
        _("fewest peer answers shown"), default=3, validators=[MinValueValidator(3)]
    )
    peers_attributed_to_manager = models.BooleanField(
        _("the manager sees who gave which peer answer"), default=False
    )
    guideline = models.JSONField(
        _("guideline distribution (% per band, lowest first)"), default=default_guideline
    )
    # Deadlines within the appraisal phase (appraisal/services/closing.py): unsubmitted
    # self-assessments lock at the first, manager reviews are overdue after the second.
    # Empty: the cycle's appraisal deadline.
    self_assessment_deadline = models.DateField(
        _("self-assessments due"),
        null=True,
        blank=True,
        help_text=_("Unsubmitted self-assessments are locked as they are after this day."),
    )
    review_deadline = models.DateField(
        _("manager reviews due"),
        null=True,
        blank=True,
        help_text=_("Manager reviews not submitted by this day are overdue and HR is told."),
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "appraisal settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(peer_max__gte=models.F("peer_min")), name="appraisal_peer_min_max"
            ),
        ]

    def __str__(self):
        return f"Appraisal settings of {self.cycle}"


class AppraisalStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
    MANAGER_REVIEW = "manager_review", _("Manager review")
    CALIBRATION = "calibration", _("Calibration")
    FINALIZED = "finalized", _("Finalised")


class AppraisalQuerySet(models.QuerySet):
    def with_people(self):
        return self.select_related(
            "participation__cycle",
            "participation__employee__user",
            "participation__employee__department",
            "reviewer__user",
        )


class Appraisal(models.Model):
    """One participant's appraisal in one cycle."""

    Status = AppraisalStatus
    TRANSITIONS = {
        AppraisalStatus.NOT_STARTED: [AppraisalStatus.SELF_ASSESSMENT],
        # The deadline (or the person's submit) hands it to the manager.
        AppraisalStatus.SELF_ASSESSMENT: [AppraisalStatus.MANAGER_REVIEW],
        AppraisalStatus.MANAGER_REVIEW: [AppraisalStatus.CALIBRATION],
        AppraisalStatus.CALIBRATION: [AppraisalStatus.FINALIZED],
        # HR reopens one finalised appraisal with a reason: back to calibration.
        AppraisalStatus.FINALIZED: [AppraisalStatus.CALIBRATION],
    }

    participation = models.OneToOneField(
        Participation, on_delete=models.PROTECT, related_name="appraisal"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AppraisalStatus.choices,
        default=AppraisalStatus.NOT_STARTED,
    )
    # Snapshot at opening: what the review is about.
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department_name = models.CharField(_("department"), max_length=120, blank=True)
    reviewer = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    template = models.ForeignKey(
        Template, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    template_name = models.CharField(_("template"), max_length=150, blank=True)
    scale = models.ForeignKey(RatingScale, on_delete=models.PROTECT, related_name="+")
    scale_name = models.CharField(_("rating scale"), max_length=120, blank=True)
    # [{"value": 1, "label": "…", "descriptor": "…"}, …] lowest first, as at opening.
    scale_levels = models.JSONField(default=list)
    # [{"kind": "goals", "weight": "60.00"}, …] the template's section weights at opening.
    section_weights = models.JSONField(default=list)

    self_submitted_at = models.DateTimeField(null=True, blank=True)
    # Locked as it was at the appraisal deadline, not submitted by the person.
    self_locked_at_deadline = models.BooleanField(default=False)
    manager_submitted_at = models.DateTimeField(null=True, blank=True)
    manager_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The score the ratings give (before calibration) and the final one (after).
    proposed_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    final_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    final_band = models.CharField(_("rating band"), max_length=60, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = AppraisalQuerySet.as_manager()

    class Meta:
        ordering = ["participation__cycle", "participation__employee"]
        indexes = [
            models.Index(fields=["status"], name="appraisal_status_idx"),
            models.Index(fields=["reviewer", "status"], name="appraisal_reviewer_status_idx"),
            # The calibration board's list, highest score first: a page walks this and
            # stops (appraisal/selectors/hr.py board_rows).
            models.Index(
                F("final_score").desc(nulls_last=True),
                F("id"),
                name="appraisal_board_score_idx",
                condition=Q(
                    proposed_score__isnull=False,
                    status__in=[AppraisalStatus.CALIBRATION, AppraisalStatus.FINALIZED],
                ),
            ),
            # HR's interview completion, by department: a page reads the released
            # appraisals of the departments it spans (feedback/selectors/interviews.py).
            models.Index(
                fields=["department_name"],
                name="appraisal_released_dept_idx",
                condition=Q(released_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AppraisalStatus.values), name="appraisal_status_valid"
            ),
        ]

    def __str__(self):
        return f"Appraisal of {self.participation.employee} in {self.participation.cycle}"

    def get_absolute_url(self):
        return reverse("appraisal:appraisal-detail", args=[self.pk])

    @property
    def is_released(self) -> bool:
        return self.released_at is not None


class ItemKind(models.TextChoices):
    GOAL = "goal", _("Goal")
    TEMPLATE_ITEM = "template_item", _("Template item")
    # The template's peer section is weighted as a whole (goals/library_rules.py): one item,
    # rated by each approved peer; its score is the mean of their answers.
    PEER = "peer", _("Peer input")


class AppraisalItem(models.Model):
    """One thing rated: a goal of the person, or an indicator/competency of the template."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    section = models.CharField(_("section"), max_length=20, choices=SectionKind.choices)
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    template_item = models.ForeignKey(
        TemplateItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Snapshot at opening.
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    weight = models.DecimalField(_("weight % within section"), max_digits=5, decimal_places=2)
    unit = models.CharField(max_length=30, blank=True)
    target = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    actual = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    achievement_percent = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    # From the indicator's scoring rule (quantitative goals); None when there is none.
    suggested_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    self_rating = models.PositiveSmallIntegerField(_("your rating"), null=True, blank=True)
    self_comment = models.TextField(_("your comment"), blank=True)
    manager_rating = models.PositiveSmallIntegerField(_("manager's rating"), null=True, blank=True)
    manager_comment = models.TextField(_("manager's comment"), blank=True)
    # Required when the manager's rating differs from the suggested one.
    override_reason = models.TextField(_("why not the suggested rating"), blank=True)

    class Meta:
        ordering = ["appraisal", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "goal"],
                condition=Q(goal__isnull=False),
                name="appraisal_item_goal_once",
            ),
            models.UniqueConstraint(
                fields=["appraisal", "template_item"],
                condition=Q(template_item__isnull=False),
                name="appraisal_item_template_item_once",
            ),
            models.CheckConstraint(
                condition=(Q(kind=ItemKind.GOAL) & Q(goal__isnull=False))
                | (Q(kind=ItemKind.TEMPLATE_ITEM) & Q(template_item__isnull=False))
                | (
                    Q(kind=ItemKind.PEER)
                    & Q(section=SectionKind.PEER)
                    & Q(goal__isnull=True, template_item__isnull=True)
                ),
                name="appraisal_item_kind_matches",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="appraisal_item_weight_percent"
            ),
        ]

    def __str__(self):
        return self.title


class CitedBy(models.TextChoices):
    SELF = "self", _("The employee")
    MANAGER = "manager", _("The manager")


class ItemEvidence(models.Model):
    """Evidence from the person's log cited in support of one rating."""

    item = models.ForeignKey(AppraisalItem, on_delete=models.PROTECT, related_name="citations")
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="+")
    cited_by = models.CharField(max_length=10, choices=CitedBy.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "evidence", "cited_by"], name="item_evidence_once"
            ),
        ]

    def __str__(self):
        return f"{self.evidence} for {self.item}"


class PeerStatus(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Not approved")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Not answered in time")


class PeerReview(models.Model):
    """A peer asked for 360° input on one appraisal: nominated by the appraisee, approved
    by the manager, answered by the peer. The peer's name never reaches the appraisee."""

    Status = PeerStatus
    TRANSITIONS = {
        PeerStatus.NOMINATED: [PeerStatus.APPROVED, PeerStatus.DECLINED],
        PeerStatus.APPROVED: [PeerStatus.ANSWERED, PeerStatus.EXPIRED],
        PeerStatus.DECLINED: [],
        PeerStatus.ANSWERED: [],
        PeerStatus.EXPIRED: [],
    }

    appraisal = models.ForeignKey(Appraisal, on_delete=models.PROTECT, related_name="peer_reviews")
    peer = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="peer_reviews")
    status = models.CharField(
        max_length=20, choices=PeerStatus.choices, default=PeerStatus.NOMINATED
    )
    nominated_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("overall comment"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["appraisal", "id"]
        indexes = [models.Index(fields=["peer", "status"], name="peer_review_peer_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "peer"], name="peer_review_once"),
            models.CheckConstraint(
                condition=Q(status__in=PeerStatus.values), name="peer_review_status_valid"
            ),
        ]

    def __str__(self):
        return f"Peer input {self.pk}"


class PeerRating(models.Model):
    """One peer's rating of one peer-section item."""

    review = models.ForeignKey(PeerReview, on_delete=models.PROTECT, related_name="ratings")
    item = models.ForeignKey(AppraisalItem, on_delete=models.PROTECT, related_name="peer_ratings")
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["review", "item"]
        constraints = [
            models.UniqueConstraint(fields=["review", "item"], name="peer_rating_once"),
        ]

    def __str__(self):
        return f"Peer rating {self.pk}"


class CalibrationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    LOCKED = "locked", _("Locked")


class CalibrationSession(models.Model):
    """HR with the managers, for one department (and its sub-departments) or, without a
    department, the whole organisation."""

    Status = CalibrationStatus
    TRANSITIONS = {
        CalibrationStatus.OPEN: [CalibrationStatus.LOCKED],
        CalibrationStatus.LOCKED: [CalibrationStatus.OPEN],
    }

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="calibration_sessions")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=CalibrationStatus.choices, default=CalibrationStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["cycle", "department", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "department"],
                condition=Q(department__isnull=False),
                name="calibration_session_once_per_department",
            ),
            models.UniqueConstraint(
                fields=["cycle"],
                condition=Q(department__isnull=True),
                name="calibration_session_once_per_cycle",
            ),
        ]

    def __str__(self):
        return f"Calibration {self.pk} of {self.cycle}"


class CalibrationAdjustment(models.Model):
    """One change of an appraisal's score in calibration, with the reason (mandatory)."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.PROTECT, related_name="adjustments")
    session = models.ForeignKey(
        CalibrationSession,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adjustments",
    )
    from_score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    to_score = models.DecimalField(max_digits=5, decimal_places=2)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["appraisal", "changed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="calibration_reason_required"),
        ]

    def __str__(self):
        return f"{self.from_score} → {self.to_score}"


class Reopening(models.Model):
    """HR reopened a finalised appraisal: who, when and why (re-finalised the same way)."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.PROTECT, related_name="reopenings")
    reason = models.TextField(_("reason"))
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(default=timezone.now)
    score_before = models.DecimalField(max_digits=5, decimal_places=2, null=True)

    class Meta:
        ordering = ["appraisal", "reopened_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="reopening_reason_required"),
        ]

    def __str__(self):
        return f"Reopened {self.appraisal_id}"


class RatingRevision(models.Model):
    """A manager rating changed after the appraisal was finalised and released (a dispute
    decided by changing the rating): the item, from → to, why, who and when, and the scores
    before and after. The breakdown shows it on the item's line ("changed after dispute");
    calibration changes made before it keep their deltas (appraisal/selectors/breakdown.py)."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.PROTECT, related_name="revisions")
    item = models.ForeignKey(AppraisalItem, on_delete=models.PROTECT, related_name="revisions")
    from_rating = models.PositiveSmallIntegerField(null=True)
    to_rating = models.PositiveSmallIntegerField()
    reason = models.TextField(_("reason"))
    # The score from the ratings before and after (2 places): what calibration deltas
    # made before this revision move with.
    proposed_before = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    proposed_after = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    score_before = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    score_after = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["appraisal", "revised_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="rating_revision_reason_required"),
            models.CheckConstraint(
                condition=Q(from_rating__isnull=True) | ~Q(from_rating=F("to_rating")),
                name="rating_revision_changes_the_rating",
            ),
        ]

    def __str__(self):
        return f"{self.from_rating} → {self.to_rating}"
