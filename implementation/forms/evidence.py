"""Forms of the evidence log. They check the shape of input; the business rules (whose
goal, which dates, who may record or verify, what a file really is) are the services' and
come back as ValidationErrors that the views attach to these forms."""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from goals.models import Indicator
from implementation import uploads
from implementation.models import Evidence
from perfcycle.formatting import format_date_range
from perfcycle.forms import DateInput


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name. Empty files pass here: the service refuses them by
    name, together with every other refused file."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            return super().clean(None, initial) or []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def participation_label(participation, *, me=None, cycle: bool = True) -> str:
    name = participation.employee.full_name
    if me is not None and participation.employee_id == me.pk:
        name = _("%(name)s (you)") % {"name": name}
    return f"{name} — {participation.cycle.name}" if cycle else name


def goal_label(goal) -> str:
    return f"{goal.title} ({goal.owner.full_name})" if goal.owner_id else goal.title


class EvidenceForm(forms.Form):
    """A record's content and new files. ``participation`` is offered only when the user
    may record for more than one participation (a manager: themself and each person they
    review); ``goal`` lists those participants' goals, grouped by person and cycle."""

    participation = forms.TypedChoiceField(label=_("For"), coerce=int, empty_value=None)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("What was done, in a few words: “Released the billing API v2”."),
    )
    occurred_on = forms.DateField(label=_("Date of the work"), widget=DateInput())
    goal = forms.TypedChoiceField(
        label=_("Supports goal"), required=False, coerce=int, empty_value=None
    )
    indicator = forms.ModelChoiceField(
        label=_("Supports indicator"),
        queryset=Indicator.objects.none(),
        required=False,
        empty_label=_("— None —"),
        help_text=_("Optional: a KPI or competency from the library that this work shows."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The result, who benefited, and where to check it."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        widget=MultipleFileInput(attrs={"multiple": True, "accept": uploads.ACCEPT}),
    )
    remove_attachments = forms.TypedMultipleChoiceField(
        label=_("Remove attachments"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        data=None,
        files=None,
        *,
        participations,
        goals,
        me=None,
        evidence: Evidence | None = None,
        initial: dict | None = None,
    ):
        initial = dict(initial or {})
        if evidence is not None:
            initial.update(
                {
                    "title": evidence.title,
                    "description": evidence.description,
                    "occurred_on": evidence.occurred_on,
                    "goal": evidence.goal_id,
                    "indicator": evidence.indicator_id,
                    "version": evidence.version,
                }
            )
        super().__init__(data, files, initial=initial)
        self.evidence = evidence
        self._participations = {p.pk: p for p in participations}
        self._goals = {g.pk: g for g in goals}
        self.chooses_person = False
        # Whether every record on offer is the user's own (the texts then say "your").
        self.all_mine = me is not None and all(
            p.employee_id == me.pk for p in self._participations.values()
        )
        self._setup_participation(me)
        self._setup_goal()
        self._setup_date_help()
        indicators = Indicator.objects.filter(is_active=True)
        if evidence is not None and evidence.indicator_id:
            indicators = Indicator.objects.filter(is_active=True) | Indicator.objects.filter(
                pk=evidence.indicator_id
            )
        self.fields["indicator"].queryset = indicators.order_by("name")
        self.fields["attachments"].help_text = _(
            "Up to %(count)s files per record, each at most %(size)s: %(types)s. "
            "Files are checked by their content, not their name."
        ) % {
            "count": uploads.max_attachments(),
            "size": filesizeformat(uploads.max_attachment_bytes()),
            "types": uploads.allowed_types_text(),
        }
        if evidence is None:
            del self.fields["remove_attachments"]
            del self.fields["version"]
        else:
            self.fields["attachments"].label = _("Add files")
            self.fields["remove_attachments"].choices = [
                (a.pk, f"{a.original_name} ({filesizeformat(a.size)})")
                for a in evidence.attachments.all()
            ]
            if not self.fields["remove_attachments"].choices:
                del self.fields["remove_attachments"]

    def _setup_participation(self, me) -> None:
        """Who and which cycle the record is for. A person is chosen only by someone who
        may record for others (a reviewer); someone recording only for themself in several
        open cycles chooses the cycle. Either way the first (the running cycle, yourself)
        is the default, so there is nothing to choose in the usual case."""
        field = self.fields["participation"]
        participations = list(self._participations.values())
        if self.evidence is not None or len(participations) <= 1:
            del self.fields["participation"]
            return
        mine = [p for p in participations if me is not None and p.employee_id == me.pk]
        self.chooses_person = len(mine) < len(participations)
        if mine and not self.initial.get("participation"):
            self.initial["participation"] = mine[0].pk
        if not self.chooses_person:
            field.label = _("Cycle")
            field.choices = [(p.pk, p.cycle.name) for p in participations]
            field.help_text = _("The cycle this work counts in; the goals below follow it.")
            return
        by_cycle: dict[int, list] = {}
        for p in participations:
            by_cycle.setdefault(p.cycle_id, []).append(p)
        if len(by_cycle) == 1:
            choices = [(p.pk, participation_label(p, me=me, cycle=False)) for p in participations]
        else:
            choices = [
                (
                    group[0].cycle.name,
                    # The cycle in the option too: a closed select shows no group label.
                    [(p.pk, participation_label(p, me=me)) for p in group],
                )
                for group in by_cycle.values()
            ]
        empty = [] if mine else [("", _("— Choose a person —"))]
        field.choices = empty + choices
        field.help_text = _("Yourself, or one of the people you review.")

    def _setup_goal(self) -> None:
        """The goals of the participations on offer: one flat list for one participation,
        else grouped under the cycle's name (and the person's, for a reviewer)."""
        groups: dict[int, list] = {}
        for goal in self._goals.values():
            key = next(
                (
                    p.pk
                    for p in self._participations.values()
                    if p.employee_id == goal.owner_id and p.cycle_id == goal.cycle_id
                ),
                None,
            )
            groups.setdefault(key, []).append((goal.pk, goal.title))
        choices = [("", _("— Not linked to a goal —"))]
        if len(self._participations) <= 1:
            choices += [item for items in groups.values() for item in items]
        else:
            choices += [
                (
                    participation_label(participation)
                    if self.chooses_person
                    else participation.cycle.name,
                    groups[pk],
                )
                for pk, participation in self._participations.items()
                if pk in groups
            ]
        self.fields["goal"].choices = choices
        if self.all_mine:
            self.fields["goal"].help_text = _("One of your own goals in the same cycle.")
        else:
            self.fields["goal"].help_text = _("One of the person's own goals in the same cycle.")

    def _setup_date_help(self) -> None:
        if self.evidence is not None:
            cycles = {self.evidence.participation.cycle_id: self.evidence.participation.cycle}
        else:
            cycles = {p.cycle_id: p.cycle for p in self._participations.values()}
        if len(cycles) == 1:
            self.fields["occurred_on"].help_text = cycle_dates_help(next(iter(cycles.values())))
        elif self.all_mine:
            self.fields["occurred_on"].help_text = _(
                "Not in the future, and within the chosen cycle."
            )
        else:
            self.fields["occurred_on"].help_text = _(
                "Not in the future, and within the person's cycle."
            )

    @property
    def single_cycle(self):
        """The one cycle every participation on offer is in, else None."""
        cycles = {p.cycle_id: p.cycle for p in self._participations.values()}
        return next(iter(cycles.values())) if len(cycles) == 1 else None

    @property
    def chooses_participation(self) -> bool:
        return "participation" in self.fields

    def clean_participation(self):
        return self._participations.get(self.cleaned_data.get("participation"))

    def clean_goal(self):
        goal_id = self.cleaned_data.get("goal")
        return self._goals.get(goal_id) if goal_id is not None else None

    def chosen_participation(self):
        """The participation the record is for: the chosen one, or the only one."""
        if self.chooses_participation:
            return self.cleaned_data.get("participation")
        return next(iter(self._participations.values()), None)


class UnverifyForm(forms.Form):
    reason = forms.CharField(
        label=_("Why withdraw the verification?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why; the reason is shown to the employee.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class EvidenceFilterForm(forms.Form):
    """The list's search, filters and sort (GET). Bad dates are errors next to their
    fields; the other filters still apply."""

    VERIFIED_CHOICES = [("", _("Any")), ("yes", _("Verified")), ("no", _("Not verified"))]

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    person = forms.ModelChoiceField(
        label=_("Person"), queryset=None, required=False, empty_label=_("Everyone")
    )
    cycle = forms.ModelChoiceField(
        label=_("Cycle"), queryset=None, required=False, empty_label=_("All cycles")
    )
    goal = forms.ModelChoiceField(
        label=_("Goal"), queryset=None, required=False, empty_label=_("Any goal")
    )
    verified = forms.ChoiceField(label=_("Verified"), required=False, choices=VERIFIED_CHOICES)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    to_verify = forms.BooleanField(label=_("Only what I am to verify"), required=False)

    # A select with more options than this is no help (HR's 10,000 people): the filter is
    # still applied from a link (?person=…, ?goal=…), and the search box finds people by name.
    CHOICES_SHOWN = 200

    def __init__(self, data=None, *, people, cycles, goals, can_verify: bool):
        super().__init__(data)
        self.fields["cycle"].queryset = cycles
        self._capped_choices("person", people, lambda e: e.full_name, _("Everyone"))
        self._capped_choices("goal", goals, goal_label, _("Any goal"))
        if not can_verify:
            del self.fields["to_verify"]

    def _capped_choices(self, name, queryset, label, empty_label) -> None:
        """Offer ``queryset`` as the choices of ``name`` (one query, at most CHOICES_SHOWN
        + 1 rows); past that, keep the field for the value a link gives but show no select."""
        if queryset is None:
            del self.fields[name]
            return
        field = self.fields[name]
        field.queryset = queryset
        # Any CHOICES_SHOWN + 1 of them, then those in order: HR's 10,000 goals with evidence
        # are not sorted by title only to learn that there are too many to offer.
        some = queryset.order_by().values("pk")[: self.CHOICES_SHOWN + 1]
        rows = list(queryset.filter(pk__in=some))
        if len(rows) > self.CHOICES_SHOWN:
            field.widget = forms.HiddenInput()
            field.capped = True
        else:
            field.widget.choices = [("", empty_label)] + [(row.pk, label(row)) for row in rows]
            field.capped = False

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("“To” must be on or after “From”."))
        return data

    def valid_filters(self) -> dict:
        """The filters that parsed, even when another field did not."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


def cycle_dates_help(cycle) -> str:
    return _("Not in the future, and within the cycle: %(period)s.") % {
        "period": format_date_range(cycle.start_date, cycle.end_date)
    }
