"""HR's forms of calibration and close: the shape of the input only; the services
(appraisal/services/calibration.py, closing.py) enforce the rules and their errors are
attached back to these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AdjustForm(VersionForm):
    appraisal = forms.IntegerField(widget=forms.HiddenInput)
    to_score = forms.CharField(
        label=_("New score"),
        max_length=12,
        help_text=_("Within the scale's bounds, at most two decimals."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        help_text=_("Required: kept with the change and shown in the breakdown."),
        widget=forms.TextInput(),
    )


class ReopenForm(VersionForm):
    reason = forms.CharField(
        label=_("Why reopen it"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required: kept with the appraisal's history."),
    )
