"""Forms of the next-cycle goals and of HR's feedback configuration: the shape of the
input only; feedback/services/carry*.py enforce the rules and their errors are attached
back to these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import GoalProposal, RootCause
from goals.models import Indicator
from perfcycle.forms import DateInput


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ProposalForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    indicator = forms.ModelChoiceField(
        label=_("Indicator"),
        queryset=Indicator.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("No indicator"),
        help_text=_("Optional: how the goal is measured (its unit, unless you give one)."),
    )

    class Meta:
        model = GoalProposal
        fields = ["title", "description", "indicator", "target", "unit", "weight"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"weight": "", "target": "", "unit": ""}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
        self.fields["title"].label = _("Goal")
        self.fields["weight"].label = _("Weight %")
        for name in ("target", "weight"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        for name in ("target", "unit", "weight"):
            self.fields[name].widget.attrs["aria-describedby"] = "proposal-numbers-help"


class FeedbackRulesForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    interviews_due = forms.DateField(
        label=_("Interviews held by"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: the cycle's feedback deadline."),
    )
    response_days = forms.IntegerField(
        label=_("Days for the employee to agree or disagree"),
        min_value=1,
        max_value=60,
        help_text=_("Counted from the day of the interview; no answer by then is “no response”."),
    )
    dispute_days = forms.IntegerField(
        label=_("Days to resolve a dispute"),
        min_value=1,
        max_value=90,
        help_text=_("Counted from the day the employee disagrees."),
    )
    qualified_level = forms.TypedChoiceField(
        label=_("Qualified from level"),
        coerce=int,
        help_text=_("A final result in a band below this level's band is below qualified."),
    )
    plan_required = forms.BooleanField(
        label=_("An improvement plan is required below the qualified level"), required=False
    )

    FIELDS = ("interviews_due", "response_days", "dispute_days", "qualified_level", "plan_required")

    def __init__(self, *args, settings, levels: list[dict], **kwargs):
        kwargs.setdefault(
            "initial",
            {"version": settings.version, **{n: getattr(settings, n) for n in self.FIELDS}},
        )
        super().__init__(*args, **kwargs)
        field = self.fields["qualified_level"]
        if levels:
            field.choices = [
                (level["value"], f"{level['value']} · {level['label']}") for level in levels
            ]
        else:
            # No scale yet: the level is kept as it is (feedback/services/carry_rules.py).
            field.choices = [(settings.qualified_level, str(settings.qualified_level))]
            field.disabled = True


class RootCauseForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = RootCause
        fields = ["name", "description"]
        help_texts = {
            "description": _("Shown under the name in the interview record."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)

    def validate_unique(self):
        # The service says it at the field, case-insensitively and naming the state.
        pass
