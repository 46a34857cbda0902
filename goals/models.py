"""Stage 1, planning: evaluation standards (rating scales), the indicator library,
evaluation methods (templates), cycle setup and the goal cascade."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from perfcycle.models import Cycle, Department, Employee

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


# --- Evaluation standards -------------------------------------------------------------


class RatingScale(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default for new cycles"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_scale"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("goals:scale-detail", args=[self.pk])


class RatingLevel(models.Model):
    """One step of a scale: its value, label and what performance at it looks like."""

    scale = models.ForeignKey(RatingScale, on_delete=models.CASCADE, related_name="levels")
    value = models.PositiveSmallIntegerField(_("value"))
    label = models.CharField(_("label"), max_length=60)
    descriptor = models.TextField(_("behavioural descriptor"), blank=True)

    class Meta:
        ordering = ["scale", "value"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "value"], name="level_value_unique"),
        ]

    def __str__(self):
        return f"{self.value} – {self.label}"


# --- Indicator library ----------------------------------------------------------------


class IndicatorKind(models.TextChoices):
    QUANTITATIVE = "quantitative", _("Quantitative")
    QUALITATIVE = "qualitative", _("Qualitative")
    BEHAVIOURAL = "behavioural", _("Behavioural / competency")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")
    TARGET = "target", _("Hit the target")


class IndicatorQuerySet(models.QuerySet):
    def with_rule(self):
        return self.select_related("scale").prefetch_related("thresholds")


class Indicator(models.Model):
    """A KPI or competency in the library, with the rule that turns achievement into a rating."""

    Kind = IndicatorKind
    Direction = Direction

    name = models.CharField(_("name"), max_length=150, unique=True)
    definition = models.TextField(_("definition"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=IndicatorKind.choices, default=IndicatorKind.QUANTITATIVE
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    scale = models.ForeignKey(
        RatingScale, verbose_name=_("rating scale"), on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=IndicatorKind.values), name="indicator_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="indicator_direction_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("goals:indicator-detail", args=[self.pk])


class ScoringThreshold(models.Model):
    """From ``min_achievement`` % of target upwards, performance rates ``level_value``."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="thresholds")
    min_achievement = models.DecimalField(
        _("from achievement %"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    level_value = models.PositiveSmallIntegerField(_("rating level"))

    class Meta:
        ordering = ["indicator", "min_achievement"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "min_achievement"], name="threshold_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(min_achievement__gte=0), name="threshold_non_negative"
            ),
        ]

    def __str__(self):
        return f"≥ {self.min_achievement} % → {self.level_value}"


# --- Evaluation methods ---------------------------------------------------------------


class Method(models.TextChoices):
    KPI = "kpi", _("KPI")
    MBO = "mbo", _("Management by objectives")
    COMPETENCY = "competency", _("Competency")
    FEEDBACK_360 = "360", _("360° feedback")
    MIXED = "mixed", _("Mixed")


class SectionKind(models.TextChoices):
    GOALS = "goals", _("Individual goals")
    INDICATORS = "indicators", _("Indicators (KPIs)")
    COMPETENCIES = "competencies", _("Competencies")
    PEER = "peer", _("Peer (360°) input")


class TemplateQuerySet(models.QuerySet):
    def with_sections(self):
        return self.select_related("department").prefetch_related(
            models.Prefetch(
                "sections",
                queryset=TemplateSection.objects.prefetch_related("items__indicator"),
            )
        )


class Template(models.Model):
    """An evaluation method: weighted sections (and weighted items within them)."""

    Method = Method

    name = models.CharField(_("name"), max_length=150, unique=True)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("for department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    job_title = models.CharField(_("for job title"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=Method.values), name="template_method_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("goals:template-detail", args=[self.pk])


class TemplateSection(models.Model):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="sections")
    kind = models.CharField(_("section"), max_length=20, choices=SectionKind.choices)
    weight = models.DecimalField(_("weight %"), max_digits=5, decimal_places=2, validators=PERCENT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "kind"], name="section_once_per_template"),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="section_weight_percent"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SectionKind.values), name="section_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.weight} %)"


class TemplateItem(models.Model):
    """An indicator or competency inside a section, weighted within that section."""

    section = models.ForeignKey(TemplateSection, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(
        _("weight % within section"), max_digits=5, decimal_places=2, validators=PERCENT
    )

    class Meta:
        ordering = ["section", "id"]
        constraints = [
            models.UniqueConstraint(fields=["section", "indicator"], name="item_once_per_section"),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="item_weight_percent"
            ),
        ]

    def __str__(self):
        return f"{self.indicator} ({self.weight} %)"


# --- Cycle setup ----------------------------------------------------------------------


class CyclePlan(models.Model):
    """The planning choices of one cycle: its scale and default template."""

    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="plan")
    rating_scale = models.ForeignKey(RatingScale, on_delete=models.PROTECT, related_name="+")
    default_template = models.ForeignKey(
        Template, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self):
        return f"Plan of {self.cycle}"


class TemplateAssignment(models.Model):
    """Which template applies to whom in a cycle. The most specific rule wins:
    a person, then department + job title, then job title, then department."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="template_assignments")
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="assignments")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    job_title = models.CharField(max_length=120, blank=True)
    employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "employee"],
                condition=Q(employee__isnull=False),
                name="one_override_per_person",
            ),
            models.CheckConstraint(
                condition=Q(employee__isnull=False)
                | Q(department__isnull=False)
                | ~Q(job_title=""),
                name="assignment_targets_someone",
            ),
        ]

    def __str__(self):
        return f"{self.template} in {self.cycle}"


# --- Goals ----------------------------------------------------------------------------


class GoalLevel(models.TextChoices):
    COMPANY = "company", _("Company")
    DEPARTMENT = "department", _("Department")
    INDIVIDUAL = "individual", _("Individual")


class GoalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class GoalQuerySet(models.QuerySet):
    def with_owner(self):
        return self.select_related(
            "owner__user", "owner__department", "department", "indicator", "cycle"
        )

    def in_cycle(self, cycle):
        return self.filter(cycle=cycle)

    def individual(self):
        return self.filter(level=GoalLevel.INDIVIDUAL)


class Goal(models.Model):
    Level = GoalLevel
    Status = GoalStatus

    TRANSITIONS = {
        GoalStatus.DRAFT: [GoalStatus.SUBMITTED],
        GoalStatus.RETURNED: [GoalStatus.SUBMITTED],
        GoalStatus.SUBMITTED: [GoalStatus.APPROVED, GoalStatus.RETURNED],
        GoalStatus.APPROVED: [],
    }

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="goals")
    level = models.CharField(_("level"), max_length=20, choices=GoalLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("aligned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    owner = models.ForeignKey(
        Employee,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goals",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goals",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goals",
    )
    baseline = models.DecimalField(
        _("baseline"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    weight = models.DecimalField(
        _("weight %"), max_digits=5, decimal_places=2, default=0, validators=PERCENT
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=GoalStatus.choices, default=GoalStatus.DRAFT
    )
    # Latest actual value; kept by the implementation stage's progress updates.
    current_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # Stored roll-ups for the alignment tree (goals.rollups keeps them): the weighted
    # progress of the goals below this one (its own progress when nothing is below) and
    # how many goals are below it.
    rollup_progress = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    rollup_goals = models.PositiveIntegerField(default=0)
    rollup_children = models.PositiveIntegerField(default=0)  # goals aligned directly to it
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["cycle", "level", "title"]
        indexes = [
            models.Index(fields=["cycle", "owner"], name="goal_cycle_owner_idx"),
            models.Index(fields=["cycle", "parent"], name="goal_cycle_parent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=GoalLevel.values), name="goal_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=GoalStatus.values), name="goal_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="goal_weight_percent"
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="goal_not_own_parent"),
            models.CheckConstraint(
                condition=(
                    Q(level=GoalLevel.INDIVIDUAL, owner__isnull=False)
                    | Q(level=GoalLevel.DEPARTMENT, department__isnull=False)
                    | Q(level=GoalLevel.COMPANY, owner__isnull=True, department__isnull=True)
                ),
                name="goal_owner_matches_level",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("goals:goal-detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        """Approved goals lock once the cycle leaves planning; changes then need a request."""
        return self.status == GoalStatus.APPROVED and self.cycle.phase != Cycle.Phase.PLANNING


class GoalVersion(models.Model):
    """A snapshot of a goal each time its agreed content changes (history stays visible)."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    target = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=GoalStatus.choices)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["goal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "number"], name="goal_version_unique"),
        ]

    def __str__(self):
        return f"{self.goal} v{self.number}"


class GoalComment(models.Model):
    """A comment on a goal, e.g. the manager's reason for returning it."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["goal", "created_at"]

    def __str__(self):
        return self.body[:60]


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class AdjustmentRequest(models.Model):
    """A change to a locked goal: new target, weight or due date, with a reason."""

    Status = AdjustmentStatus
    TRANSITIONS = {
        AdjustmentStatus.PENDING: [AdjustmentStatus.APPROVED, AdjustmentStatus.REJECTED],
        AdjustmentStatus.APPROVED: [],
        AdjustmentStatus.REJECTED: [],
    }

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="adjustments")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    new_target = models.DecimalField(
        _("new target"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    new_weight = models.DecimalField(
        _("new weight %"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    new_due_date = models.DateField(_("new due date"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        max_length=20, choices=AdjustmentStatus.choices, default=AdjustmentStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AdjustmentStatus.values), name="adjustment_status_valid"
            ),
            models.UniqueConstraint(
                fields=["goal"],
                condition=Q(status="pending"),
                name="one_pending_adjustment_per_goal",
            ),
        ]

    def __str__(self):
        return f"Adjustment of {self.goal}"
