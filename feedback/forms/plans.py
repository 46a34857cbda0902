"""Improvement-plan forms: the plan with its actions and check-points (one page, row
tables with "add a row"), a check-point record, the outcome. Forms check the shape of the
input; feedback/services/plans.py enforces the rules and its refusals come back at the
fields (goals' ``Editor`` puts them there and summarises them at the top)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import ActionOwner, CheckpointStatus, PlanStatus
from feedback.selectors.plans import cause_choices
from feedback.services.plans import ActionInput, CheckpointInput, PlanInput
from goals.forms.library import Editor, RowFormSet
from perfcycle.forms import DateInput

TEXT_MAX = 4000


def _style(form: forms.Form) -> None:
    """Bootstrap classes and an accessible name for inputs rendered in table cells."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | forms.CheckboxInput):
            continue
        css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)
        widget.attrs.setdefault("aria-label", field.label)


class PlanForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    gap = forms.CharField(
        label=_("The gap"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What falls short of what is expected, in concrete terms."),
    )
    causes = forms.ModelMultipleChoiceField(
        label=_("Causes agreed in the interview"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    success_criteria = forms.CharField(
        label=_("Success criteria"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How both of you will know the plan worked."),
    )
    starts_on = forms.DateField(label=_("Starts"), required=False, widget=DateInput())
    ends_on = forms.DateField(
        label=_("Ends"),
        required=False,
        widget=DateInput(),
        help_text=_("Actions and check-points fall between the start and the end."),
    )

    def __init__(self, *args, causes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["causes"].queryset = causes
        for name in ("gap", "success_criteria", "starts_on", "ends_on"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")


class ActionForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    description = forms.CharField(
        label=_("Action"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.ChoiceField(label=_("Owner"), choices=ActionOwner.choices)
    due_date = forms.DateField(label=_("Due"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class CheckpointForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    due_date = forms.DateField(label=_("Check-point on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


ActionFormSet = forms.formset_factory(
    ActionForm, formset=RowFormSet, extra=1, can_delete=True, max_num=30, absolute_max=40
)
CheckpointFormSet = forms.formset_factory(
    CheckpointForm, formset=RowFormSet, extra=1, can_delete=True, max_num=20, absolute_max=30
)


class PlanEditor(Editor):
    """The plan form and its two row tables, validated together."""

    def __init__(self, data=None, *, plan, causes, actions=(), checkpoints=()):
        self.plan = plan
        initial = {
            "version": plan.version,
            "gap": plan.gap,
            "causes": [c.pk for c in causes],
            "success_criteria": plan.success_criteria,
            "starts_on": plan.starts_on,
            "ends_on": plan.ends_on,
        }
        self.form = PlanForm(data, initial=initial, causes=cause_choices(plan))
        bound = data is not None
        self.actions = ActionFormSet(
            data,
            prefix="actions",
            initial=None
            if bound
            else [
                {"id": a.pk, "description": a.description, "owner": a.owner, "due_date": a.due_date}
                for a in actions
            ],
        )
        self.checkpoints = CheckpointFormSet(
            data,
            prefix="checkpoints",
            initial=None if bound else [{"id": p.pk, "due_date": p.due_date} for p in checkpoints],
        )
        if actions:
            self.actions.extra = 0 if bound else 1
        self.groups = [(self.actions, _("Actions")), (self.checkpoints, _("Check-points"))]

    def is_valid(self) -> bool:
        valid = self.form.is_valid() & self.actions.is_valid() & self.checkpoints.is_valid()
        self.flag_invalid()
        return valid

    def plan_input(self) -> PlanInput:
        data = self.form.cleaned_data
        return PlanInput(
            gap=data["gap"],
            cause_ids=[c.pk for c in data["causes"]],
            success_criteria=data["success_criteria"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            actions=[
                ActionInput(
                    f.cleaned_data["description"],
                    f.cleaned_data["owner"],
                    f.cleaned_data["due_date"],
                    f.cleaned_data.get("id"),
                )
                for f in self.actions.live_forms()
            ],
            checkpoints=[
                CheckpointInput(f.cleaned_data["due_date"], f.cleaned_data.get("id"))
                for f in self.checkpoints.live_forms()
            ],
        )


class VersionForm(forms.Form):
    """A workflow button's form: only the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CheckpointRecordForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    status = forms.ChoiceField(
        label=_("How is it going?"),
        choices=[
            (CheckpointStatus.ON_TRACK.value, CheckpointStatus.ON_TRACK.label),
            (CheckpointStatus.BEHIND.value, CheckpointStatus.BEHIND.label),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("What you found"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class CloseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (PlanStatus.COMPLETED.value, _("Completed: the success criteria are met")),
            (PlanStatus.EXTENDED.value, _("Extended: more time, to a new end date")),
            (PlanStatus.NOT_MET.value, _("Not met")),
        ],
        widget=forms.RadioSelect,
    )
    new_end = forms.DateField(
        label=_("New end date"),
        required=False,
        widget=DateInput(attrs={"class": "form-control"}),
        help_text=_("Only when extending. A final check-point is added on that day."),
    )
    note = forms.CharField(
        label=_("Note on the outcome"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class HrFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + PlanStatus.choices
    )
    kind = forms.ChoiceField(
        label=_("Why"),
        required=False,
        choices=[("", _("All")), ("required", _("Required")), ("choice", _("By choice"))],
    )
