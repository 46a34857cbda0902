"""The self-assessment and manager-review forms. They check the shape of input (a rating
is one of the scale's levels, cited evidence is one of the offered records); who may do
what and when, and the rules of a submit, are the services' business
(appraisal/services/assessment.py), whose errors come back at the same fields."""

from dataclasses import dataclass

from django import forms
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appraisal.services.assessment import ItemInput, field_name
from perfcycle.formatting import format_date


@dataclass
class TextFieldView:
    """What the templates read of a comment field, read once from its BoundField (the
    template looked each up several times, through BoundField's __getitem__ first)."""

    html_name: str
    auto_id: str
    label: str
    help_text: str
    value: object
    errors: object

    @classmethod
    def of(cls, field):
        return cls(
            html_name=field.html_name,
            auto_id=field.auto_id,
            label=field.label,
            help_text=field.help_text,
            value=field.value(),
            errors=field.errors,
        )


@dataclass
class ItemRow:
    """One item as the form renders it: its fields, and the options of its rating (the
    scale's levels as radio buttons, label and descriptor visible while rating) and of its
    evidence checklist as markup (``LevelOptions``, ``EvidenceOptions``)."""

    item: object
    rating: object
    comment: TextFieldView
    evidence: object
    override_reason: TextFieldView | None
    level_options: SafeString
    evidence_options: SafeString


# The two option lists below are the same for every item of a page but for the field's name,
# the checked options and the suggested level: each is escaped once per page and written out
# per item as plain strings (through Django's templates, one include per item cost ~1 ms per
# item for 5 levels and a few evidence records). The fieldset, legend and errors
# around them are written in appraisal/templatetags/assessment_cards.py.


class LevelOptions:
    """The scale's levels as radio buttons (the markup assessment_cards._rating_levels wraps)."""

    def __init__(self, scale_levels):
        self.levels = [
            (
                level["value"],
                str(level["value"]),
                # {{ level.value }} · {{ level.label }}, and the descriptor when there is one
                conditional_escape(localize(level["value"]))
                + " · "
                + conditional_escape(level["label"]),
                (
                    '<span class="d-block small text-body-secondary">'
                    + conditional_escape(level.get("descriptor", ""))
                    + "</span>"
                    if level.get("descriptor", "")
                    else ""
                ),
                conditional_escape(localize(level["value"])),
            )
            for level in scale_levels
        ]
        self.suggested = gettext("Suggested")

    def render(self, *, name: str, auto_id: str, current: str, suggested, invalid: bool, item_pk):
        invalid_class = " is-invalid" if invalid else ""
        name = conditional_escape(name)
        parts = []
        for value, text, label, descriptor, shown in self.levels:
            input_id = conditional_escape(f"{auto_id}_{value}")
            is_suggested = suggested == value
            badge = (
                f' <span class="badge text-bg-primary" data-testid="suggested-{item_pk}">'
                f"{self.suggested}</span>"
                if is_suggested
                else ""
            )
            parts.append(
                "\n    "
                f'<div class="form-check pc-level border rounded p-2 ps-5 mb-2'
                f'{" border-primary" if is_suggested else ""}">\n'
                f'      <input class="form-check-input{invalid_class}" type="radio" '
                f'name="{name}" id="{input_id}" value="{shown}"'
                f'{" checked" if current == text else ""} data-level="{shown}">\n'
                f'      <label class="form-check-label d-block" for="{input_id}">'
                f"<strong>{label}</strong>{badge}{descriptor}</label>\n"
                "    </div>\n  "
            )
        return mark_safe("".join(parts))  # noqa: S308 (every part escaped above)


class EvidenceOptions:
    """The person's evidence records as checkboxes (the markup assessment_cards._evidence_checklist
    wraps)."""

    def __init__(self, records):
        verified = conditional_escape(gettext("verified"))
        self.records = [
            (
                str(evidence.pk),
                conditional_escape(localize(evidence.pk)),
                conditional_escape(evidence.title)
                + ' <span class="small text-body-secondary">· '
                + conditional_escape(format_date(evidence.occurred_on))
                + (" · " + conditional_escape(evidence.goal.title) if evidence.goal else "")
                + (" · " + verified if evidence.verified_at else ""),
            )
            for evidence in records
        ]

    def render(self, *, name: str, auto_id: str, chosen, invalid: bool):
        invalid_class = " is-invalid" if invalid else ""
        name = conditional_escape(name)
        chosen = chosen or ()
        parts = []
        for pk, shown, label in self.records:
            input_id = conditional_escape(f"{auto_id}_") + shown
            parts.append(
                "\n  "
                '<div class="form-check">\n'
                f'    <input class="form-check-input{invalid_class}" type="checkbox" '
                f'name="{name}" value="{shown}" id="{input_id}"'
                f"{' checked' if pk in chosen else ''}>\n"
                f'    <label class="form-check-label" for="{input_id}">{label}</span></label>\n'
                "  </div>\n  "
            )
        return mark_safe("\n  " + "".join(parts) + "\n  ")  # noqa: S308 (escaped above)


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
        levels = LevelOptions(self.appraisal.scale_levels)
        evidence = EvidenceOptions(self.evidence_options)
        rows = []
        for item in self.items:
            rating = self[field_name(item, "rating")]
            current = rating.value()
            cited = self[field_name(item, "evidence")]
            rows.append(
                ItemRow(
                    item=item,
                    rating=rating,
                    comment=TextFieldView.of(self[field_name(item, "comment")]),
                    evidence=cited,
                    override_reason=(
                        TextFieldView.of(self[field_name(item, "override_reason")])
                        if self.side == "manager"
                        else None
                    ),
                    level_options=levels.render(
                        name=rating.html_name,
                        auto_id=rating.auto_id,
                        current="" if current is None else str(current),
                        suggested=item.suggested_rating if self.side == "manager" else None,
                        invalid=bool(rating.errors),
                        item_pk=item.pk,
                    ),
                    evidence_options=evidence.render(
                        name=cited.html_name,
                        auto_id=cited.auto_id,
                        chosen=cited.value(),
                        invalid=bool(cited.errors),
                    ),
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
