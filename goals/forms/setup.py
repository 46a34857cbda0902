"""Forms of the cycle setup pages. They check the shape of the input; the rules (phase,
duplicates, active templates) are enforced by goals/services/setup.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from goals.models import RatingScale, Template
from perfcycle.models import Department, Employee
from perfcycle.workflow import ConcurrentEditError


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


def department_label(department) -> str:
    if department.parent_id:
        return f"{department.parent.name} › {department.name}"
    return department.name


def departments_for_choice():
    return Department.objects.select_related("parent").order_by("name")


class EnrolForm(forms.Form):
    """Add people by population: everyone not yet in the cycle, or one department (with
    or without its sub-departments), optionally narrowed to one job title."""

    everyone = forms.BooleanField(label=_("Everyone active not yet in the cycle"), required=False)
    department = forms.TypedChoiceField(
        label=_("Department"), required=False, coerce=int, empty_value=None
    )
    include_subdepartments = forms.BooleanField(
        label=_("Include its sub-departments"), required=False, initial=True
    )
    job_title = forms.CharField(
        label=_("Only this job title"),
        max_length=120,
        required=False,
        help_text=_("Optional. Exact title; upper or lower case does not matter."),
        widget=forms.TextInput(attrs={"list": "job-titles", "autocomplete": "off"}),
    )

    def __init__(self, *args, departments=(), **kwargs):
        """``departments``: the page's list (one query for the page, not one per use)."""
        super().__init__(*args, **kwargs)
        self.departments = {d.pk: d for d in departments}
        self.fields["department"].choices = [
            ("", _("— choose a department —")),
            *((d.pk, department_label(d)) for d in departments),
        ]

    def clean_department(self):
        chosen = self.cleaned_data["department"]
        return None if chosen is None else self.departments[chosen]

    def clean(self):
        data = super().clean()
        chosen = data.get("department") or (data.get("job_title") or "").strip()
        if data.get("everyone") and chosen:
            raise forms.ValidationError(
                _("Choose either everyone or a department and job title, not both.")
            )
        if not data.get("everyone") and not chosen and not self.errors:
            self.add_error("department", _("Choose a department, a job title, or everyone."))
        return data


class IdListField(forms.Field):
    """Ticked rows of a list: whole numbers, each at most once."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Choose people from the list.")) from None


class ChosenPeopleForm(forms.Form):
    """Add the people ticked in the searchable list, or everyone the search matches."""

    employees = IdListField(label=_("People"), required=False)
    matching = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if not data.get("matching") and not data.get("employees") and not self.errors:
            self.add_error("employees", _("Tick the people to add, or add everyone listed."))
        return data


def find_person(text: str) -> Employee | None:
    """The person an HR admin typed: an employee number, a work email or a username."""
    text = text.strip()
    people = Employee.objects.select_related("user")
    return (
        people.filter(employee_number__iexact=text).first()
        or people.filter(user__email__iexact=text).first()
        or people.filter(user__username__iexact=text).first()
    )


class PersonField(forms.CharField):
    """A person typed as an employee number or work email (the page's search suggests
    them by name); cleans to the Employee."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        person = find_person(value)
        if person is None:
            raise forms.ValidationError(
                _("Nobody has the employee number or email “%(text)s”."), params={"text": value}
            )
        return person


class ReviewerForm(forms.Form):
    reviewer = PersonField(
        label=_("New reviewer"),
        help_text=_("Employee number or work email; type part of a name to search."),
        error_messages={"required": _("Choose the reviewer.")},
    )

    def __init__(self, *args, search_url: str = "", list_id: str = "reviewer-options", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].widget.attrs.update(
            {"list": list_id, "autocomplete": "off", "data-person-search": search_url}
        )
        self.list_id = list_id


NOBODY = "none"


class OneReviewerForm(ReviewerForm):
    """One participant's reviewer; ``current`` is the reviewer the page showed (their id,
    or "none"), so that a change someone made meanwhile is not overwritten unseen. A form
    without it is refused like an out-of-date one (never overwrite blindly)."""

    current = forms.CharField(required=False, widget=forms.HiddenInput)

    stale = False

    def clean_current(self):
        value = self.cleaned_data["current"].strip()
        if value == NOBODY:
            return None
        if not value.isdigit():
            self.stale = True
            return None
        return int(value)

    def clean(self):
        data = super().clean()
        if self.stale:
            raise ConcurrentEditError(
                _("This form is out of date. Reload the page, then choose the reviewer again.")
            )
        return data


class BulkReviewerForm(ReviewerForm):
    participations = IdListField(
        label=_("People"),
        error_messages={"required": _("Tick the people whose reviewer changes.")},
    )
