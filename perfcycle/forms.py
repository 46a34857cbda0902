import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from perfcycle import audit
from perfcycle.models import Cycle
from perfcycle.services import validate_cycle_dates


class DateInput(forms.DateInput):
    """A browser date picker: its value is always ISO (the browser shows it in the
    person's locale), including a date typed as dd/mm/yyyy shown again after an error."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)

    def format_value(self, value):
        if isinstance(value, str) and value.strip():
            for pattern in formats.get_format("DATE_INPUT_FORMATS"):
                try:
                    return dt.datetime.strptime(value.strip(), pattern).date().isoformat()
                except ValueError:
                    continue
        return super().format_value(value)


class CycleForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Cycle
        fields = [
            "name",
            "start_date",
            "end_date",
            "planning_deadline",
            "implementation_deadline",
            "appraisal_deadline",
            "feedback_deadline",
            "application_deadline",
            "checkin_cadence",
            "auto_advance",
        ]
        widgets = {
            name: DateInput()
            for name in fields
            if name.endswith("_date") or name.endswith("_deadline")
        }
        help_texts = {
            "planning_deadline": _("Goals are agreed and approved by this date."),
            "implementation_deadline": _("Check-ins and evidence run until this date."),
            "appraisal_deadline": _("Self and manager assessments and calibration end."),
            "feedback_deadline": _("Feedback interviews and acknowledgements end."),
            "application_deadline": _("Pay, promotion and development outcomes are approved."),
            "checkin_cadence": _("How often employees check in with their manager."),
            "auto_advance": _(
                "PerfCycle moves the cycle to the next phase on the day after each phase "
                "ends, once nothing blocks it (HR admins are told what does). You can "
                "still move it by hand."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self):
        data = super().clean()
        # Run the service's date rules here too, so that each error lands on its field
        # before the model's table constraint would report it as a page-level error.
        try:
            validate_cycle_dates(data)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                self.add_error(field, errors)
        return data


class AuditFilterForm(forms.Form):
    """Filters HR picks from lists: the kinds of event each stage registered (grouped by
    stage), the kinds of record, a person and a date range. No free-text action."""

    kind = forms.ChoiceField(label=_("Event"), required=False)
    object_type = forms.ChoiceField(label=_("About"), required=False)
    person = forms.CharField(
        label=_("Person"),
        required=False,
        max_length=150,
        help_text=_("Who acted: part of a name or a username."),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any event")), *audit.registry.verb_choices()]
        self.fields["object_type"].choices = [
            ("", _("Anything")),
            *audit.registry.kind_choices(),
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
