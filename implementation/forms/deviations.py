"""Forms of the deviation pages. They check the shape of input; the rules (follow-up
date within the cycle, which check-in, who may act) are the services' and come back as
ValidationErrors that the views attach to these forms."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from implementation.models import CheckIn, DeviationStatus, Severity
from perfcycle.formatting import format_date
from perfcycle.forms import DateInput
from perfcycle.models import Department

UNRESOLVED = "unresolved"
ALL = "all"


class CorrectiveActionForm(forms.Form):
    corrective_action = forms.CharField(
        label=_("Corrective action"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("What will be done to catch up, by whom."),
    )
    follow_up_date = forms.DateField(
        label=_("Follow-up date"),
        widget=DateInput(),
        help_text=_("When you will look at it together again. Both of you get a reminder."),
    )
    agreed_in = forms.TypedChoiceField(
        label=_("Agreed in check-in"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Optional: the check-in where you talked it through."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, deviation, owner_viewing: bool = True, **kwargs):
        """``owner_viewing``: the goal's owner sees the form (else their reviewer): the help
        texts name the other side."""
        initial = {
            "corrective_action": deviation.corrective_action,
            "follow_up_date": deviation.follow_up_date,
            "agreed_in": deviation.agreed_in_id,
            "version": deviation.version,
        }
        super().__init__(data, initial=initial, **kwargs)
        self.checkins = {
            checkin.pk: checkin
            for checkin in CheckIn.objects.filter(participation_id=deviation.participation_id)
            .order_by("-period_start")
            .only("pk", "period_start", "period_end", "status")
        }
        self.fields["agreed_in"].choices = [("", _("— Not in a check-in —"))] + [
            (
                pk,
                _("Check-in of %(start)s (%(status)s)")
                % {"start": format_date(c.period_start), "status": c.get_status_display()},
            )
            for pk, c in self.checkins.items()
        ]

        reviewer = deviation.participation.reviewer
        if owner_viewing:
            agreed = (
                _("Agreed between you and %(name)s.") % {"name": reviewer.full_name}
                if reviewer is not None
                else _("Agreed between you and your manager.")
            )
        else:
            agreed = _("Agreed between you and %(name)s.") % {"name": deviation.owner.full_name}
        field = self.fields["corrective_action"]
        field.help_text = f"{field.help_text} {agreed}"

    def clean_follow_up_date(self):
        # The service enforces this too; checking it here as well shows it together with
        # the form's other errors instead of only after they are fixed.
        day = self.cleaned_data["follow_up_date"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("The follow-up date cannot be in the past."))
        return day

    @property
    def checkin(self) -> CheckIn | None:
        pk = self.cleaned_data.get("agreed_in")
        return self.checkins.get(pk) if pk is not None else None


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("How was it resolved?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        help_text=_("The owner sees this note."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AcceptForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the shortfall accepted?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        help_text=_("For example: the goal became obsolete, or its target no longer applies."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DeviationFilterForm(forms.Form):
    """The list's filters; unknown values are ignored rather than refused."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (UNRESOLVED, _("Needs attention")),
            *DeviationStatus.choices,
            (ALL, _("All")),
        ],
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("Any severity")), *Severity.choices]
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.order_by("name"),
        empty_label=_("All departments"),
    )

    def __init__(self, data=None, *, with_department: bool = False):
        super().__init__(data)
        if not with_department:
            del self.fields["department"]

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status") or UNRESOLVED,
            "severity": data.get("severity") or "",
            "department": data.get("department"),
        }
