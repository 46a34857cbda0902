"""Forms of the goal workflow. They check the shape of input; the business rules (same
cycle, no loops, dates within the cycle, who may do what) are the services' and come
back as ValidationErrors that the views attach to these forms."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from goals import selectors
from goals.models import Goal, GoalLevel, GoalStatus, Indicator
from perfcycle import access
from perfcycle.formatting import format_date, format_date_range
from perfcycle.forms import DateInput
from perfcycle.models import Department

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
LEVEL_GROUP_LABELS = {
    GoalLevel.COMPANY: _("Company goals"),
    GoalLevel.DEPARTMENT: _("Department goals"),
    GoalLevel.INDIVIDUAL: _("Individual goals"),
}


def parent_label(goal: Goal) -> str:
    if goal.level == GoalLevel.DEPARTMENT and goal.department_id:
        return f"{goal.title} ({goal.department.name})"
    if goal.level == GoalLevel.INDIVIDUAL and goal.owner_id:
        return f"{goal.title} ({goal.owner.full_name})"
    return goal.title


class GoalForm(forms.Form):
    """A goal's content. ``parent`` offers the goals of the same cycle the user may see,
    grouped company / department / individual; ``department`` only for department goals."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What success looks like, and how it will be measured."),
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=True
    )
    parent = forms.TypedChoiceField(
        label=_("Aligned to"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("The company, department or individual goal this goal contributes to."),
    )
    indicator = forms.ModelChoiceField(
        label=_("Indicator"),
        queryset=Indicator.objects.filter(is_active=True),
        required=False,
        empty_label=_("— None —"),
        help_text=_("Optional: a KPI from the library. Its unit is used unless you set one."),
    )
    baseline = forms.DecimalField(
        label=_("Baseline"), max_digits=14, decimal_places=2, required=False
    )
    target = forms.DecimalField(label=_("Target"), max_digits=14, decimal_places=2, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=30, required=False)
    weight = forms.DecimalField(
        label=_("Weight %"),
        max_digits=5,
        decimal_places=2,
        validators=PERCENT_VALIDATORS,
        help_text=_("From 0 to 100. A person's goal weights must total 100 %."),
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, user, cycle, level: str, goal: Goal | None = None):
        initial = None
        if goal is not None:
            initial = {
                name: getattr(goal, name) for name in self.base_fields if hasattr(goal, name)
            }
            initial["parent"] = goal.parent_id
            initial["version"] = goal.version
        super().__init__(data, initial=initial)
        self.level = level
        self.cycle = cycle
        self.fields["due_date"].help_text = _("Within the cycle: %(period)s.") % {
            "period": format_date_range(cycle.start_date, cycle.end_date)
        }
        self._parents = {g.pk: g for g in selectors.parent_choices(user, cycle, goal)}
        self.fields["parent"].choices = self._grouped_parent_choices()
        if level == GoalLevel.DEPARTMENT and goal is None:
            departments = self._department_choices(user)
            self.fields["department"].queryset = departments
            if not access.is_hr(user):
                # A manager plans for their own department only: nothing to choose.
                self.fields["department"].empty_label = None
        else:
            del self.fields["department"]

    def _grouped_parent_choices(self):
        groups: dict[str, list] = {level: [] for level in LEVEL_GROUP_LABELS}
        for goal in self._parents.values():
            groups[goal.level].append((goal.pk, parent_label(goal)))
        choices = [("", _("— Not aligned —"))]
        choices += [(LEVEL_GROUP_LABELS[level], items) for level, items in groups.items() if items]
        return choices

    @staticmethod
    def _department_choices(user):
        if access.is_hr(user):
            return Department.objects.order_by("name")
        employee = access.employee_of(user)
        return Department.objects.filter(pk=getattr(employee, "department_id", None))

    def clean_parent(self):
        parent_id = self.cleaned_data.get("parent")
        return self._parents.get(parent_id) if parent_id is not None else None


class GoalAssignForm(GoalForm):
    """A manager gives one of the people they review a goal."""

    owner = forms.ModelChoiceField(label=_("For"), queryset=None)

    field_order = ["owner"]

    def __init__(self, data=None, *, user, cycle):
        super().__init__(data, user=user, cycle=cycle, level=GoalLevel.INDIVIDUAL)
        participations = selectors.assignable_participants(user, cycle)
        self.fields["owner"].queryset = participations
        self.fields["owner"].label_from_instance = lambda p: p.employee.full_name
        self.fields["owner"].help_text = _(
            "The goal is agreed as soon as you save it; the person is notified."
        )

    def clean_owner(self):
        participation = self.cleaned_data["owner"]
        return participation.employee


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What needs to change?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Say what needs to change; the comment is shown to the employee.")
        },
        help_text=_("The employee sees this comment with the returned goal."),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write a comment first.")},
    )


class GoalIdsField(forms.TypedMultipleChoiceField):
    """Goal ids ticked on the team page. Any id is accepted here: the service decides,
    per goal, whether it may be reviewed and reports the ones it skipped."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value):
        return str(value).isdigit()


class BulkReviewForm(forms.Form):
    APPROVE = "approve"
    RETURN = "return"

    goal = GoalIdsField(
        label=_("Goals"), error_messages={"required": _("Tick at least one goal first.")}
    )
    action = forms.ChoiceField(
        label=_("Action"), choices=[(APPROVE, _("Approve")), (RETURN, _("Return"))]
    )
    comment = forms.CharField(
        label=_("Comment for returned goals"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to return goals; each employee sees it on their goal."),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == self.RETURN and not (data.get("comment") or "").strip():
            self.add_error(
                "comment", _("Say what needs to change; the comment is shown to the employees.")
            )
        return data


class AdjustmentForm(forms.Form):
    new_target = forms.DecimalField(
        label=_("New target"), max_digits=14, decimal_places=2, required=False
    )
    new_weight = forms.DecimalField(
        label=_("New weight %"),
        max_digits=5,
        decimal_places=2,
        required=False,
        validators=PERCENT_VALIDATORS,
    )
    new_due_date = forms.DateField(label=_("New due date"), required=False, widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the goal's history."),
        error_messages={"required": _("Say why the goal should change; the reason is kept.")},
    )

    def __init__(self, data=None, *, goal: Goal):
        super().__init__(data)
        current = {
            "new_target": goal.target,
            "new_weight": goal.weight,
            "new_due_date": goal.due_date,
        }
        for name, value in current.items():
            shown = format_date(value) if hasattr(value, "isoformat") else value
            self.fields[name].help_text = _("Now: %(value)s. Leave empty to keep it.") % {
                "value": "—" if shown is None else shown
            }


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(forms.Form):
    comment = forms.CharField(
        label=_("Why is the change declined?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the change is declined.")},
    )


class TeamFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(GoalStatus.choices)
    )


class PlanningProgressFilterForm(forms.Form):
    SORTS = {
        "name": ["employee__user__last_name", "employee__user__first_name", "pk"],
        "department": ["employee__department__name", "employee__user__last_name", "pk"],
        "goals": ["goal_count", "employee__user__last_name", "pk"],
        "weight": ["approved_weight", "employee__user__last_name", "pk"],
        "pending": ["-pending_count", "employee__user__last_name", "pk"],
    }

    q = forms.CharField(label=_("Name"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))] + list(selectors.Readiness.choices),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.order_by("name"),
        empty_label=_("All departments"),
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name")),
            ("department", _("Department")),
            ("goals", _("Goals")),
            ("weight", _("Approved weight")),
            ("pending", _("Pending approvals")),
        ],
    )
