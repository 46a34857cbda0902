"""HR's form of a cycle's appraisal rules: the shape of the input (levels chosen from the
cycle's scale, whole numbers, days, one % per band); appraisal/services/settings.py
enforces the rules and its errors are attached back to these fields."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from perfcycle.forms import DateInput

NO_RULE = ""


class GuidelineWidget(forms.MultiWidget):
    """One number input per band, each labelled with the band's name."""

    template_name = "appraisal/widgets/guideline.html"

    def __init__(self, labels):
        self.labels = list(labels)
        super().__init__(
            [
                forms.NumberInput(
                    attrs={
                        "class": "form-control",
                        "min": 0,
                        "max": 100,
                        "step": "any",
                        "inputmode": "decimal",
                    }
                )
                for _label in self.labels
            ]
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for sub, label in zip(context["widget"]["subwidgets"], self.labels, strict=False):
            sub["band_label"] = label
        return context

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_

    def decompress(self, value):
        return list(value) if value else [None] * len(self.labels)


def _number(value: Decimal):
    """A % as stored in the guideline (JSON): whole numbers as ints."""
    return int(value) if value == value.to_integral_value() else float(value)


class GuidelineField(forms.MultiValueField):
    def __init__(self, labels, **kwargs):
        fields = [
            forms.DecimalField(min_value=0, max_value=100, max_digits=5, decimal_places=2)
            for _label in labels
        ]
        super().__init__(
            fields,
            widget=GuidelineWidget(labels),
            require_all_fields=True,
            error_messages={
                "required": _("Give a % for every band."),
                "incomplete": _("Give a % for every band."),
            },
            **kwargs,
        )

    def compress(self, data_list):
        return [_number(value) for value in data_list] if data_list else []


class AppraisalSettingsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    evidence_required_at_or_below = forms.TypedChoiceField(
        label=_("Evidence required at or below"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("A rating this low or lower must cite at least one evidence item."),
    )
    evidence_required_at_or_above = forms.TypedChoiceField(
        label=_("Evidence required at or above"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("A rating this high or higher must cite at least one evidence item."),
    )
    peer_min = forms.IntegerField(
        label=_("Fewest peers"),
        min_value=0,
        max_value=20,
        help_text=_(
            "Managers approve at least this many before they ask. Raising it asks more of "
            "the lists not sent yet; a list already sent is final, so it cannot go above "
            "the shortest of those."
        ),
    )
    peer_max = forms.IntegerField(
        label=_("Most peers"),
        min_value=1,
        max_value=20,
        help_text=_(
            "Declined nominations do not count. It cannot go below a list already "
            "nominated or approved: a new maximum withdraws no nomination."
        ),
    )
    peer_deadline = forms.DateField(
        label=_("Peers answer by"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: the cycle's appraisal deadline."),
    )
    peer_anonymity_threshold = forms.IntegerField(
        label=_("Fewest peer answers shown"),
        min_value=3,
        max_value=20,
        help_text=_("Peer input reaches the person only as a mean of at least this many answers."),
    )
    peers_attributed_to_manager = forms.BooleanField(
        label=_("The manager sees who gave which peer answer"), required=False
    )
    self_assessment_deadline = forms.DateField(
        label=_("Self-assessments due"),
        required=False,
        widget=DateInput(),
        help_text=_(
            "Unsubmitted self-assessments are locked as they are after this day. "
            "Empty: the cycle's appraisal deadline."
        ),
    )
    review_deadline = forms.DateField(
        label=_("Manager reviews due"),
        required=False,
        widget=DateInput(),
        help_text=_(
            "Reviews not submitted by this day are overdue and HR is told. "
            "Empty: the cycle's appraisal deadline."
        ),
    )

    LEVEL_FIELDS = ("evidence_required_at_or_below", "evidence_required_at_or_above")

    def __init__(self, *args, settings, levels: list[dict], bands=(), **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "version": settings.version,
                **{
                    name: getattr(settings, name)
                    for name in (
                        *self.LEVEL_FIELDS,
                        "peer_min",
                        "peer_max",
                        "peer_deadline",
                        "peer_anonymity_threshold",
                        "peers_attributed_to_manager",
                        "self_assessment_deadline",
                        "review_deadline",
                    )
                },
            },
        )
        super().__init__(*args, **kwargs)
        choices = [
            (NO_RULE, _("No rule")),
            *((level["value"], f"{level['value']} · {level['label']}") for level in levels),
        ]
        for name in self.LEVEL_FIELDS:
            self.fields[name].choices = choices
        if bands:
            self.fields["guideline"] = GuidelineField(
                [band.label for band in bands],
                label=_("% of people expected in each band"),
                help_text=_("Lowest band first; together they total 100."),
            )
            guideline = settings.guideline or []
            if len(guideline) == len(bands):
                self.initial.setdefault("guideline", guideline)
