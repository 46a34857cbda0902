"""Forms of the cycle setup pages. They check the shape of the input; the rules (phase,
duplicates, active templates) are enforced by goals/services/setup.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from goals.models import RatingScale, Template
from perfcycle.models import Department, Employee


class CyclePlanForm(forms.Form):
    rating_scale = forms.ModelChoiceField(
        label=_("Rating scale"),
        queryset=RatingScale.objects.order_by("name"),
        help_text=_("The evaluation standard every rating in this cycle uses."),
    )
    default_template = forms.ModelChoiceField(
        label=_("Default template"),
        queryset=Template.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("— none —"),
        help_text=_("Applies to everyone no rule below covers."),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)


class TemplateAssignmentForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"),
        queryset=Template.objects.filter(is_active=True).order_by("name"),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=_("— any —"),
        help_text=_("Covers its sub-departments too."),
    )
    job_title = forms.CharField(
        label=_("Job title"),
        max_length=120,
        required=False,
        help_text=_("Exact title; upper or lower case does not matter."),
        widget=forms.TextInput(attrs={"list": "job-titles", "autocomplete": "off"}),
    )
    employee_number = forms.CharField(
        label=_("Or one person"),
        max_length=32,
        required=False,
        help_text=_("Their employee number; a person override beats every other rule."),
        widget=forms.TextInput(attrs={"placeholder": _("Employee number")}),
    )

    def clean_employee_number(self):
        number = self.cleaned_data["employee_number"].strip()
        if not number:
            return None
        employee = Employee.objects.select_related("user").filter(employee_number=number).first()
        if employee is None:
            raise forms.ValidationError(
                _("Nobody has employee number %(number)s."), params={"number": number}
            )
        return employee

    def clean(self):
        data = super().clean()
        person = data.get("employee_number")
        if person and (data.get("department") or data.get("job_title")):
            raise forms.ValidationError(
                _("A person override names only the person; leave department and job title empty.")
            )
        if (
            not self.has_error("employee_number")
            and not person
            and not data.get("department")
            and not data.get("job_title")
        ):
            self.add_error(
                "department", _("Choose a department, a job title (or both), or one person.")
            )
        return data


class DepartmentChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else obj.name


class EnrolForm(forms.Form):
    everyone = forms.BooleanField(
        label=_("Everyone active in the organisation"),
        required=False,
    )
    departments = DepartmentChoices(
        label=_("Departments"),
        queryset=Department.objects.select_related("parent").order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    include_subdepartments = forms.BooleanField(
        label=_("Include their sub-departments"), required=False, initial=True
    )
    job_titles = forms.MultipleChoiceField(
        label=_("Job titles"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("With departments too: only people matching both."),
    )

    def __init__(self, *args, job_titles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job_titles"].choices = [(t, t) for t in job_titles]

    def clean(self):
        data = super().clean()
        chosen = data.get("departments") or data.get("job_titles")
        if data.get("everyone") and chosen:
            raise forms.ValidationError(
                _("Choose either everyone or departments and job titles, not both.")
            )
        if not data.get("everyone") and not chosen and not self.errors:
            self.add_error("departments", _("Choose departments, job titles, or everyone."))
        return data
