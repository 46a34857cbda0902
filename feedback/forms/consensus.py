"""The consensus forms: the shape of the input only. The services
(feedback/services/consensus.py, appraisal/services/revision.py) enforce the rules and
their errors are attached back to these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.services.consensus import item_field, reason_field

UPHOLD, CHANGE = "uphold", "change"


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AgreeForm(VersionForm):
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Agreeing is final: it records that you and your manager agree on the result."),
    )


class DisagreeForm(VersionForm):
    """One checkbox per rated item and a reason per ticked item (required)."""

    comment = forms.CharField(
        label=_("Anything else (optional)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[item_field(item.pk)] = forms.BooleanField(label=item.title, required=False)
            self.fields[reason_field(item.pk)] = forms.CharField(
                label=_("Why you disagree with “%(item)s”") % {"item": item.title},
                max_length=4000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[tuple]:
        """(item, its checkbox, its reason) for the template."""
        return [
            (item, self[item_field(item.pk)], self[reason_field(item.pk)]) for item in self.items
        ]

    def clean(self):
        data = super().clean()
        ticked = [item for item in self.items if data.get(item_field(item.pk))]
        if not ticked:
            raise forms.ValidationError(_("Tick at least one item you disagree with."))
        for item in ticked:
            if not (data.get(reason_field(item.pk)) or "").strip():
                self.add_error(reason_field(item.pk), _("Say why you disagree with this rating."))
        return data

    def reasons(self) -> dict[int, str]:
        data = self.cleaned_data
        return {
            item.pk: data.get(reason_field(item.pk), "")
            for item in self.items
            if data.get(item_field(item.pk))
        }


class ResolveForm(VersionForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(UPHOLD, _("Uphold the rating")), (CHANGE, _("Change the rating"))],
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=_("New rating"), coerce=int, required=False, empty_value=None
    )
    resolution = forms.CharField(
        label=_("Resolution"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required. The employee reads it; it is kept with the dispute."),
    )

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].choices = [("", _("Choose a level"))] + [
            (level["value"], f"{level['value']} · {level['label']}") for level in levels
        ]

    def clean(self):
        data = super().clean()
        if data.get("decision") == CHANGE and data.get("rating") is None:
            self.add_error("rating", _("Choose the new rating."))
        if not (data.get("resolution") or "").strip():
            self.add_error("resolution", _("Write the resolution: the employee reads it."))
        return data
