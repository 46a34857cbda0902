"""The self-assessment and manager-review forms. They check the shape of input (a rating
is one of the scale's levels, cited evidence is one of the offered records); who may do
what and when, and the rules of a submit, are the services' business
(appraisal/services/assessment.py), whose errors come back at the same fields."""

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisal.services.assessment import ItemInput, field_name


@dataclass
class LevelChoice:
    value: int
    label: str
    descriptor: str
    input_id: str
    checked: bool
    suggested: bool


@dataclass
class ItemRow:
    """One item as the form renders it: its fields and the scale's levels as radio
    choices (label and descriptor visible while rating)."""

    item: object
    rating: object
    comment: object
    evidence: object
    override_reason: object | None
    levels: list


def _text(label, *, rows: int = 3, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class AssessmentForm(forms.Form):
    """Ratings, comments and citations for every item. ``side``: "self" (the person) or
    "manager" (the reviewer, who also gives override reasons). ``evidence``: the records
    that may be cited (one list for every item: no query per item)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, appraisal, items, evidence, side: str):
        self.appraisal = appraisal
        self.items = list(items)
        self.side = side
        self.evidence_options = list(evidence)
        initial = {"version": appraisal.version}
        for item in self.items:
            rating = getattr(item, f"{side}_rating")
            if rating is None and side == "manager":
                rating = item.suggested_rating  # pre-selected, marked "Suggested"
            initial[field_name(item, "rating")] = rating
            initial[field_name(item, "comment")] = getattr(item, f"{side}_comment")
            cited = item.self_cited if side == "self" else item.manager_cited
            initial[field_name(item, "evidence")] = [str(e.pk) for e in cited]
            if side == "manager":
                initial[field_name(item, "override_reason")] = item.override_reason
        super().__init__(data, initial=initial)
        choices = [(level["value"], level["label"]) for level in appraisal.scale_levels]
        evidence_choices = [(str(e.pk), e.title) for e in self.evidence_options]
        for item in self.items:
            self.fields[field_name(item, "rating")] = forms.TypedChoiceField(
                label=_("Rating"),
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": _("Choose one of the scale's levels."),
                },
            )
            self.fields[field_name(item, "comment")] = _text(
                _("Your comment") if side == "self" else _("Manager's comment")
            )
            self.fields[field_name(item, "evidence")] = forms.MultipleChoiceField(
                label=_("Evidence cited"),
                choices=evidence_choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                error_messages={
                    "invalid_choice": _("Cite only evidence from the list."),
                },
            )
            if side == "manager":
                self.fields[field_name(item, "override_reason")] = _text(
                    _("Why not the suggested rating"),
                    rows=2,
                    help_text=_("Required when your rating differs from the suggested one."),
                )

    def rows(self) -> list[ItemRow]:
        rows = []
        for item in self.items:
            rating = self[field_name(item, "rating")]
            current = rating.value()
            current = "" if current is None else str(current)
            levels = [
                LevelChoice(
                    value=level["value"],
                    label=level["label"],
                    descriptor=level.get("descriptor", ""),
                    input_id=f"{rating.auto_id}_{level['value']}",
                    checked=current == str(level["value"]),
                    suggested=self.side == "manager" and item.suggested_rating == level["value"],
                )
                for level in self.appraisal.scale_levels
            ]
            rows.append(
                ItemRow(
                    item=item,
                    rating=rating,
                    comment=self[field_name(item, "comment")],
                    evidence=self[field_name(item, "evidence")],
                    override_reason=(
                        self[field_name(item, "override_reason")]
                        if self.side == "manager"
                        else None
                    ),
                    levels=levels,
                )
            )
        return rows

    @property
    def rating_names(self) -> str:
        """The rating fields a submit requires (``data-requires``)."""
        return " ".join(field_name(item, "rating") for item in self.items)

    def service_data(self) -> dict[int, ItemInput]:
        data = self.cleaned_data
        return {
            item.pk: ItemInput(
                rating=data.get(field_name(item, "rating")),
                comment=data.get(field_name(item, "comment"), ""),
                evidence=[int(pk) for pk in data.get(field_name(item, "evidence"), [])],
                override_reason=data.get(field_name(item, "override_reason"), ""),
            )
            for item in self.items
        }


class TeamFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Only those I review"), required=False)

    def __init__(self, data=None, **kwargs):
        from appraisal.models import AppraisalStatus

        super().__init__(data, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *AppraisalStatus.choices]
