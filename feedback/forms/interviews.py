"""The interview's forms: the shape of the input only (dates, times, lengths, links,
the offered root causes). feedback/services/interviews.py enforces the rules and its
errors come back at these fields."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.selectors.interviews import active_root_causes
from feedback.services.interviews import NOTE_MAX, Record, Slot
from perfcycle.forms import DateInput

LENGTHS = [
    (15, _("15 minutes")),
    (30, _("30 minutes")),
    (45, _("45 minutes")),
    (60, _("1 hour")),
    (90, _("1½ hours")),
    (120, _("2 hours")),
    (180, _("3 hours")),
]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class ScheduleForm(forms.Form):
    """When and where. The time is in the site's time zone (the invitation says which)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), widget=TimeInput())
    duration_minutes = forms.TypedChoiceField(
        label=_("Length"), choices=LENGTHS, coerce=int, initial=60
    )
    location = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("A room or an address. Give a place, a video link, or both."),
    )
    video_link = forms.URLField(
        label=_("Video link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("e.g. https://meet.example.com/abc-defg"),
    )

    def __init__(self, *args, interview=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if interview is not None:
            local = timezone.localtime(interview.starts_at)
            initial.update(
                version=interview.version,
                date=local.date(),
                time=local.time().replace(second=0, microsecond=0),
                duration_minutes=interview.duration_minutes,
                location=interview.location,
                video_link=interview.video_link,
            )
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        given = data.get("location", "").strip() or data.get("video_link", "").strip()
        if not given and "location" not in self.errors and "video_link" not in self.errors:
            self.add_error("location", _("Give a place or a video link (or both)."))
        return data

    def slot(self) -> Slot:
        data = self.cleaned_data
        starts_at = timezone.make_aware(dt.datetime.combine(data["date"], data["time"]))
        return Slot(
            starts_at=starts_at,
            duration_minutes=data["duration_minutes"],
            location=data["location"].strip(),
            video_link=data["video_link"].strip(),
        )


class CancelForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The employee reads this. Schedule it again when you know the new time."),
    )


class NoteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(
        label=_("Notes"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class RecordForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    achievements = forms.CharField(
        label=_("Achievements affirmed"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What went well, and which goals were reached."),
    )
    deficiencies = forms.CharField(
        label=_("Deficiencies found"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Goals not reached, behaviour not yet at the expected level."),
    )
    root_causes = forms.ModelMultipleChoiceField(
        label=_("Root causes"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Why performance fell short, as you agreed in the interview."),
    )
    root_cause_note = forms.CharField(
        label=_("About the causes"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expectations = forms.CharField(
        label=_("Expectations for the next cycle"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agreed_actions = forms.CharField(
        label=_("Agreed actions"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, interview=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if interview is not None:
            initial.setdefault("version", interview.version)
            initial.setdefault(
                "held_on", min(timezone.localdate(interview.starts_at), timezone.localdate())
            )
        super().__init__(*args, **kwargs)
        self.fields["root_causes"].queryset = active_root_causes()

    def record(self) -> Record:
        data = self.cleaned_data
        return Record(
            held_on=data["held_on"],
            achievements=data["achievements"],
            deficiencies=data["deficiencies"],
            root_causes=list(data["root_causes"]),
            root_cause_note=data["root_cause_note"],
            expectations=data["expectations"],
            agreed_actions=data["agreed_actions"],
        )


class CompletionFilterForm(forms.Form):
    group = forms.ChoiceField(label=_("Interview"), required=False)
    department = forms.ChoiceField(label=_("Department"), required=False)

    def __init__(self, *args, groups, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("All"))] + list(groups.items())
        self.fields["department"].choices = [("", _("All departments"))] + [
            (name or "-", name or _("No department")) for name in departments
        ]
