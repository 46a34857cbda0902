"""Forms of check-ins and progress. They check the shape of input (a number is a number,
confidence is 1 to 5); who may do what and when is the services' business."""

from django import forms
from django.utils.translation import gettext_lazy as _

from implementation.models import CheckIn, CheckinSettings
from implementation.services.checkins import progress_field
from perfcycle.forms import DateInput

CONFIDENCE_CHOICES = [
    (1, _("1 – Very low")),
    (2, _("2 – Low")),
    (3, _("3 – Moderate")),
    (4, _("4 – High")),
    (5, _("5 – Very high")),
]


def _text(label, *, rows: int = 3, help_text: str = "", required: bool = False):
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class CheckinForm(forms.Form):
    """A check-in: a value and a note per approved goal, what went well, blockers,
    confidence and HR's questions. ``submitting`` makes confidence required."""

    went_well = _text(_("What went well"))
    blockers = _text(
        _("Blockers"), help_text=_("What is in your way, and what help you need to move on.")
    )
    confidence = forms.TypedChoiceField(
        label=_("Confidence"),
        choices=CONFIDENCE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "How sure are you of reaching your goals this cycle, from 1 (not at all) to 5 "
            "(fully)? Required to submit."
        ),
        error_messages={
            "invalid_choice": _("Choose a confidence from 1 to 5."),
            "required": _("Say how confident you are (1 to 5) before you submit."),
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, checkin: CheckIn, goals, questions, submitting=False):
        self.goals = list(goals)
        self.questions = list(questions)
        progress = {p.goal_id: p for p in checkin.goal_progress.all()}
        answers = {a.question_id: a.answer for a in checkin.answers.all()}
        initial = {
            "went_well": checkin.went_well,
            "blockers": checkin.blockers,
            "confidence": checkin.confidence,
            "version": checkin.version,
        }
        for goal in self.goals:
            saved = progress.get(goal.pk)
            value = saved.actual_value if saved else None
            initial[self.value_name(goal)] = value
            initial[self.note_name(goal)] = saved.note if saved else ""
        for question in self.questions:
            initial[self.question_name(question)] = answers.get(question.pk, "")
        super().__init__(data, initial=initial)
        for goal in self.goals:
            unit = f" ({goal.unit})" if goal.unit else ""
            self.fields[self.value_name(goal)] = forms.DecimalField(
                label=_("Actual value%(unit)s") % {"unit": unit},
                max_digits=14,
                decimal_places=2,
                required=False,
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                help_text=self._goal_help(goal),
            )
            self.fields[self.note_name(goal)] = _text(_("Note"), rows=2)
        for question in self.questions:
            self.fields[self.question_name(question)] = _text(question.text)
        if submitting:
            self.fields["confidence"].required = True

    @staticmethod
    def value_name(goal) -> str:
        return progress_field(goal.pk)

    @staticmethod
    def note_name(goal) -> str:
        return f"goal_{goal.pk}_note"

    @staticmethod
    def question_name(question) -> str:
        return f"question_{question.pk}"

    @staticmethod
    def _goal_help(goal) -> str:
        if goal.current_value is None:
            return ""
        return _("Last recorded: %(value)s") % {"value": f"{goal.current_value.normalize():f}"}

    def goal_rows(self):
        """(goal, value field, note field) per goal, for the template."""
        return [(g, self[self.value_name(g)], self[self.note_name(g)]) for g in self.goals]

    def question_fields(self):
        return [self[self.question_name(q)] for q in self.questions]

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "went_well": data["went_well"],
            "blockers": data["blockers"],
            "confidence": data["confidence"],
            "progress": {
                goal.pk: {
                    "actual_value": data[self.value_name(goal)],
                    "note": data[self.note_name(goal)],
                }
                for goal in self.goals
            },
            "answers": {q.pk: data[self.question_name(q)] for q in self.questions},
        }


class ResponseForm(forms.Form):
    """The reviewer's one reply to a submitted check-in, sent with "Send reply" (it needs
    text) or with "Mark reviewed" (optional there: an earlier reply is kept when empty)."""

    manager_reply = _text(
        _("Your reply"),
        rows=4,
        help_text=_(
            "The employee is told and reads it on the check-in. Mark reviewed sends it too; "
            "after that nobody edits the check-in, and the conversation can go on."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, sending: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if sending:
            self.fields["manager_reply"].required = True
            self.fields["manager_reply"].error_messages["required"] = _("Write your reply.")


class CommentForm(forms.Form):
    body = _text(_("Comment"), rows=3, required=True)
    follow_up = forms.BooleanField(
        label=_("Ask as a follow-up question"),
        required=False,
        help_text=_("Flagged in the thread; the employee is notified by email."),
    )


class CheckinSettingsForm(forms.ModelForm):
    class Meta:
        model = CheckinSettings
        fields = ["grace_days", "reminder_days_before", "deviation_margin", "deviation_grace_days"]
        help_texts = {
            "reminder_days_before": _(
                "Employees get one reminder this many days before a due date."
            ),
        }


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("New question"),
        max_length=300,
        help_text=_("Asked in every check-in of this cycle from now on."),
    )


class ProgressUpdateForm(forms.Form):
    value = forms.DecimalField(
        label=_("Actual value"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    recorded_on = forms.DateField(
        label=_("As of"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for today."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class TeamBoardFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *CheckIn.Status.choices],
    )
