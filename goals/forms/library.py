"""Forms of the library pages. Each page is an *editor*: the object's own fields plus the
rows that belong to it (a scale's levels, an indicator's thresholds, a template's
sections and items), validated together and given back with every error next to its row.

Forms check the shape of the input and run the pure rule checks of
goals/services/library.py so that messages land on the right row; the services check
the same rules again and the view attaches anything they raise with ``attach``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from goals.models import (
    Indicator,
    IndicatorKind,
    RatingScale,
    SectionKind,
    Template,
)
from goals.rules import Threshold, check_thresholds, level_for
from goals.services.library import (
    INDICATOR_FIELDS,
    ITEMISED_SECTIONS,
    SCALE_FIELDS,
    TEMPLATE_FIELDS,
    ItemInput,
    LevelInput,
    SectionInput,
    level_problems,
    template_problems,
)
from perfcycle.models import Employee

SAMPLE_ACHIEVEMENTS = tuple(Decimal(v) for v in ("50", "80", "95", "100", "110", "130"))


def _model_field(model, name: str, **kwargs):
    return model._meta.get_field(name).formfield(**kwargs)


def _style(form: forms.Form) -> None:
    """Bootstrap classes and an accessible name for inputs rendered in table cells."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs.setdefault("class", css)
        widget.attrs.setdefault("aria-label", field.label)


def _flag_invalid(form: forms.Form, *, described: bool = False) -> None:
    """Mark inputs with errors; ``described`` links them to the ``<id>-error`` text that
    the library's row tables render under each cell."""
    for name, errors in form.errors.items():
        if name in form.fields and errors:
            attrs = form.fields[name].widget.attrs
            if "is-invalid" not in attrs.get("class", ""):
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
            attrs["aria-invalid"] = "true"
            if described:
                attrs["aria-describedby"] = f"{form[name].auto_id}-error"


def _plain(value: Decimal) -> str:
    """60 rather than 60.00 in an input (and never 6E+1)."""
    return format(Decimal(value).normalize(), "f")


def _unless_bound(data, rows: list) -> list | None:
    """Rows to show on a fresh page. A posted formset is read from the post alone: the
    INITIAL_FORMS it sent decide which rows always count, and a typed row that happens to
    equal a prefilled one must not be dropped as "unchanged"."""
    return None if data is not None else rows


class VersionedForm(forms.Form):
    """The object's own fields, plus the version it was loaded at (optimistic locking).

    The name is checked for clashes here as well as in the service, so that a taken name
    is reported together with the other mistakes on the page."""

    model: type
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, instance_pk: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance_pk = instance_pk

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if self.model.objects.filter(name=name).exclude(pk=self.instance_pk).exists():
            raise ValidationError(
                _("Another %(noun)s is already called “%(name)s”.")
                % {"noun": self.model._meta.verbose_name, "name": name}
            )
        return name


# --- Row formsets ----------------------------------------------------------------------


class RowFormSet(forms.BaseFormSet):
    """A formset whose rows may be removed; blank extra rows are simply ignored."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = gettext_lazy("Remove")
            form.fields["DELETE"].widget.attrs.update(
                {"class": "form-check-input", "aria-label": _("Remove this row")}
            )

    def live_forms(self) -> list[forms.Form]:
        """The rows that count: not removed, and not a blank extra row."""
        return [
            form
            for index, form in enumerate(self.forms)
            if not (self.can_delete and self._should_delete_form(form))
            and (index < self.initial_form_count() or form.has_changed())
        ]

    def add_non_form_errors(self, messages: Sequence[str]) -> None:
        self.non_form_errors().extend(messages)


class LevelForm(forms.Form):
    value = forms.IntegerField(label=gettext_lazy("Value"), min_value=1, max_value=32767)
    label = forms.CharField(label=gettext_lazy("Label"), max_length=60)
    descriptor = forms.CharField(
        label=gettext_lazy("What this level looks like"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class BaseLevelFormSet(RowFormSet):
    def clean(self):
        # The scale's rules run over every row, even while some cells are still wrong, so
        # HR sees a duplicate value and a missing label at once; a cell that already has
        # its own error is not flagged twice.
        live = self.live_forms()
        general = []
        for problem in level_problems([self._level(form) for form in live]):
            if problem.row is None:
                general.append(problem.message)
            elif problem.field not in live[problem.row].errors:
                live[problem.row].add_error(problem.field, problem.message)
        if general:
            raise ValidationError(general)

    @staticmethod
    def _level(form) -> LevelInput:
        data = form.cleaned_data
        return LevelInput(data.get("value"), data.get("label", ""), data.get("descriptor", ""))

    def rows(self) -> list[LevelInput]:
        return [self._level(form) for form in self.live_forms()]


LevelFormSet = formset_factory(
    LevelForm, formset=BaseLevelFormSet, extra=2, can_delete=True, max_num=50, absolute_max=60
)


class ThresholdForm(forms.Form):
    min_achievement = forms.DecimalField(
        label=gettext_lazy("From achievement %"),
        min_value=Decimal("0"),
        max_digits=6,
        decimal_places=2,
    )
    level_value = forms.IntegerField(label=gettext_lazy("Rating level"), min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
        self.fields["min_achievement"].widget.attrs["step"] = "any"


class BaseThresholdFormSet(RowFormSet):
    #: The chosen scale's level values; set by the editor before validation.
    level_values: Sequence[int] | None = None

    def clean(self):
        live = self.live_forms()
        if any(form.errors for form in live):
            return
        rule = self.rule()
        allowed = self.level_values if self.level_values is not None else [t.level for t in rule]
        problems = check_thresholds(rule, allowed)
        if problems:
            raise ValidationError(problems)

    def rule(self) -> list[Threshold]:
        return [
            Threshold(f.cleaned_data["min_achievement"], f.cleaned_data["level_value"])
            for f in self.live_forms()
            if "min_achievement" in f.cleaned_data and "level_value" in f.cleaned_data
        ]


ThresholdFormSet = formset_factory(
    ThresholdForm, formset=BaseThresholdFormSet, extra=2, can_delete=True, max_num=30
)


class ItemForm(forms.Form):
    indicator = forms.TypedChoiceField(label=gettext_lazy("Indicator"), coerce=int)
    weight = forms.DecimalField(
        label=gettext_lazy("Weight % within the section"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
    )

    def __init__(self, *args, indicator_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = indicator_choices
        self.fields["weight"].widget.attrs.update({"step": "any", "data-weight": ""})
        _style(self)


class BaseItemFormSet(RowFormSet):
    def clean(self):
        seen: set[int] = set()
        for form in self.live_forms():
            indicator = form.cleaned_data.get("indicator")
            if indicator is None:
                continue
            if indicator in seen:
                form.add_error("indicator", _("This indicator is already in this section."))
            seen.add(indicator)

    def rows(self) -> list[tuple[int, Decimal]]:
        return [
            (f.cleaned_data["indicator"], f.cleaned_data["weight"])
            for f in self.live_forms()
            if "indicator" in f.cleaned_data and "weight" in f.cleaned_data
        ]


ItemFormSet = formset_factory(
    ItemForm, formset=BaseItemFormSet, extra=2, can_delete=True, max_num=100
)


# --- Rule preview ----------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    achievement: Decimal
    level: int | None
    label: str


def rule_preview(rule: Sequence[Threshold], labels: Mapping[int, str]) -> list[PreviewRow]:
    """The rating each sample achievement earns under a rule (what HR sees while editing)."""
    rows = []
    for achievement in SAMPLE_ACHIEVEMENTS:
        level = level_for(achievement, rule)
        if level is None:
            label = _("No rating")
        else:
            label = labels.get(level, _("not a level of this scale"))
        rows.append(PreviewRow(achievement, level, label))
    return rows


# --- Editors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorLine:
    href: str
    text: str


class Editor:
    """A page's main form and its row formsets: validated together, errors summarised."""

    form: VersionedForm
    #: (formset, title) of each row table, in page order; a service error keyed by a
    #: formset's prefix ("levels", "thresholds", "competencies"…) goes above its table.
    groups: list
    #: The service's refusal, once attached (the page's status depends on it).
    refusal: ValidationError | None = None

    def attach(self, error: ValidationError) -> None:
        """Put a service's ValidationError next to what it names."""
        self.refusal = error
        targets = {formset.prefix: formset for formset, _title in self.groups}
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                messages = [message for e in errors for message in e.messages]
                if key in targets:
                    targets[key].add_non_form_errors(messages)
                else:
                    self.form.add_error(key if key in self.form.fields else None, messages)
        else:
            self.form.add_error(None, error)
        self.flag_invalid()

    def flag_invalid(self) -> None:
        _flag_invalid(self.form)
        for formset, _title in self.groups:
            for form in formset.forms:
                _flag_invalid(form, described=True)

    @property
    def expected_version(self) -> int | None:
        """The version the page was loaded at; None when the POST carried none (the
        service refuses that like a stale version)."""
        return self.form.cleaned_data.get("version")

    def summary(self) -> list[ErrorLine]:
        """Every error on the page, each linking to its field or table."""
        lines = [ErrorLine("", str(message)) for message in self.form.non_field_errors()]
        for field in self.form:
            for message in field.errors:
                lines.append(ErrorLine(f"#{field.id_for_label}", f"{field.label}: {message}"))
        for formset, title in self.groups:
            if not formset.is_bound:
                continue
            for message in formset.non_form_errors():
                lines.append(ErrorLine(f"#{formset.prefix}-rows", str(message)))
            for row, form in enumerate(formset.forms, start=1):
                if formset.can_delete and form.is_bound and formset._should_delete_form(form):
                    continue
                for field in form:
                    for message in field.errors:
                        text = _("%(group)s, row %(row)s — %(field)s: %(error)s") % {
                            "group": title,
                            "row": row,
                            "field": field.label,
                            "error": message,
                        }
                        lines.append(ErrorLine(f"#{field.id_for_label}", text))
        return lines


# Scales ---------------------------------------------------------------------------------


class ScaleForm(VersionedForm):
    model = RatingScale

    name = _model_field(RatingScale, "name")
    description = _model_field(RatingScale, "description", widget=forms.Textarea(attrs={"rows": 2}))
    is_default = _model_field(RatingScale, "is_default")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_default"].help_text = _(
            "New cycles rate on the default scale unless HR chooses another. "
            "Only one scale is the default; ticking this moves the flag here."
        )


class ScaleEditor(Editor):
    def __init__(self, data=None, *, scale: RatingScale | None = None):
        self.scale = scale
        initial, levels = {}, []
        if scale is not None:
            initial = {name: getattr(scale, name) for name in SCALE_FIELDS}
            initial["version"] = scale.version
            levels = [
                {"value": lvl.value, "label": lvl.label, "descriptor": lvl.descriptor}
                for lvl in scale.levels.all()
            ]
        self.form = ScaleForm(data, initial=initial, instance_pk=scale and scale.pk)
        self.levels = LevelFormSet(data, initial=_unless_bound(data, levels), prefix="levels")
        if scale is None:
            self.levels.extra = 5  # a new scale starts with room for a 5-point scale
        self.groups = [(self.levels, _("Levels"))]

    def is_valid(self) -> bool:
        valid = self.form.is_valid() & self.levels.is_valid()
        self.flag_invalid()
        return valid

    def service_kwargs(self) -> dict:
        return {"data": self.form.cleaned_data, "levels": self.levels.rows()}


# Indicators -----------------------------------------------------------------------------


class IndicatorForm(VersionedForm):
    model = Indicator

    name = _model_field(Indicator, "name")
    definition = _model_field(Indicator, "definition", widget=forms.Textarea(attrs={"rows": 3}))
    kind = _model_field(Indicator, "kind")
    unit = _model_field(Indicator, "unit")
    direction = _model_field(Indicator, "direction")
    scale = _model_field(Indicator, "scale")
    is_active = _model_field(Indicator, "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scale"].empty_label = None
        self.fields["definition"].help_text = _(
            "What is measured and how, so that everyone reads the number the same way."
        )
        self.fields["kind"].help_text = _(
            "Behavioural indicators are competencies; only they go into a Competencies section."
        )
        self.fields["unit"].help_text = _("For example %, EUR, days, tickets.")
        self.fields["is_active"].help_text = _(
            "Inactive indicators stay in the templates that use them but cannot be added to new ones."
        )


class IndicatorEditor(Editor):
    def __init__(self, data=None, *, indicator: Indicator | None = None):
        self.indicator = indicator
        self.scales = list(RatingScale.objects.prefetch_related("levels"))
        if indicator is not None:
            initial = {name: getattr(indicator, name) for name in INDICATOR_FIELDS}
            initial["scale"] = indicator.scale_id
            initial["version"] = indicator.version
            rule = [
                {"min_achievement": _plain(t.min_achievement), "level_value": t.level_value}
                for t in indicator.thresholds.all()
            ]
        else:
            default = next((s for s in self.scales if s.is_default), None)
            initial = {"scale": default.pk if default else None, "is_active": True}
            rule = [
                {"min_achievement": Decimal(start), "level_value": level}
                for start, level in (("0", 2), ("80", 3), ("100", 4), ("120", 5))
            ]
        self.form = IndicatorForm(data, initial=initial, instance_pk=indicator and indicator.pk)
        self.thresholds = ThresholdFormSet(
            data, initial=_unless_bound(data, rule), prefix="thresholds"
        )
        self.groups = [(self.thresholds, _("Scoring rule"))]

    def is_valid(self) -> bool:
        form_valid = self.form.is_valid()
        scale = self.form.cleaned_data.get("scale") if form_valid else None
        if scale is not None:
            self.thresholds.level_values = [lvl.value for lvl in self._levels_of(scale.pk)]
        valid = form_valid & self.thresholds.is_valid()
        self.flag_invalid()
        return valid

    def service_kwargs(self) -> dict:
        return {"data": self.form.cleaned_data, "thresholds": self.thresholds.rule()}

    def _levels_of(self, scale_id) -> list:
        for scale in self.scales:
            if scale.pk == scale_id:
                return list(scale.levels.all())
        return []

    def scale_levels(self) -> dict[str, list]:
        """Every scale's levels, for the browser preview (``json_script``)."""
        return {
            str(scale.pk): [[lvl.value, lvl.label] for lvl in scale.levels.all()]
            for scale in self.scales
        }

    def chosen_scale_id(self):
        if self.form.is_bound:
            value = self.form.data.get("scale", "")
            return int(value) if str(value).isdigit() else None
        return self.form.initial.get("scale")

    def chosen_levels(self) -> list:
        return self._levels_of(self.chosen_scale_id())

    def preview(self) -> list[PreviewRow]:
        """The server's preview: of the rule as typed (rows that read well), else as saved."""
        if self.thresholds.is_bound:
            self.thresholds.errors  # noqa: B018 - runs validation so cleaned rows exist
            rule = self.thresholds.rule()
        else:
            rule = [
                Threshold(Decimal(row["min_achievement"]), row["level_value"])
                for row in self.thresholds.initial or []
            ]
        labels = {lvl.value: lvl.label for lvl in self.chosen_levels()}
        return rule_preview(rule, labels)


def saved_rule_preview(indicator: Indicator) -> list[PreviewRow]:
    """The preview of a saved indicator's rule (thresholds and scale levels prefetched)."""
    rule = [Threshold(t.min_achievement, t.level_value) for t in indicator.thresholds.all()]
    labels = {lvl.value: lvl.label for lvl in indicator.scale.levels.all()}
    return rule_preview(rule, labels)


# Templates ------------------------------------------------------------------------------


class TemplateForm(VersionedForm):
    model = Template

    name = _model_field(Template, "name")
    method = _model_field(Template, "method")
    description = _model_field(Template, "description", widget=forms.Textarea(attrs={"rows": 2}))
    department = _model_field(Template, "department")
    job_title = _model_field(Template, "job_title")
    is_active = _model_field(Template, "is_active")

    def __init__(self, *args, job_titles: Sequence[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].empty_label = _("Any department")
        self.fields["department"].help_text = _(
            "Optional: the department this method is meant for."
        )
        self.fields["job_title"].help_text = _("Optional: the job title it is meant for.")
        self.fields["job_title"].widget.attrs["list"] = "job-titles"
        self.job_titles = job_titles


SECTION_HELP = {
    SectionKind.GOALS: gettext_lazy(
        "Each person's own goals, weighted among themselves when they are agreed."
    ),
    SectionKind.INDICATORS: gettext_lazy("KPIs from the library, weighted below."),
    SectionKind.COMPETENCIES: gettext_lazy("Behavioural indicators, weighted below."),
    SectionKind.PEER: gettext_lazy("One score from peer (360°) input."),
}


class SectionWeightsForm(forms.Form):
    """One weight per kind of section; a section without a weight is not in the template."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in SectionKind:
            self.fields[kind.value] = forms.DecimalField(
                label=kind.label,
                help_text=SECTION_HELP[kind],
                required=False,
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                max_digits=5,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={"step": "any", "placeholder": "—", "data-weight": ""}
                ),
            )
        _style(self)

    def rows(self):
        """(kind, weight, help) for the page's table."""
        return [(self[kind.value], kind, SECTION_HELP[kind]) for kind in SectionKind]


class TemplateEditor(Editor):
    def __init__(self, data=None, *, template: Template | None = None):
        self.template = template
        indicators = list(
            Indicator.objects.order_by("name").only("pk", "name", "kind", "is_active")
        )
        self.indicators = {indicator.pk: indicator for indicator in indicators}
        initial, weights, items = {"is_active": True}, {}, {kind: [] for kind in ITEMISED_SECTIONS}
        used: dict[str, set[int]] = {kind: set() for kind in ITEMISED_SECTIONS}
        if template is not None:
            initial = {name: getattr(template, name) for name in TEMPLATE_FIELDS}
            initial["department"] = template.department_id
            initial["version"] = template.version
            for section in template.sections.all():
                weights[section.kind] = _plain(section.weight)
                for item in section.items.all():
                    if section.kind in items:
                        used[section.kind].add(item.indicator_id)
                        items[section.kind].append(
                            {"indicator": item.indicator_id, "weight": _plain(item.weight)}
                        )
        titles = (
            Employee.objects.exclude(job_title="")
            .order_by("job_title")
            .values_list("job_title", flat=True)
            .distinct()[:500]
        )
        self.form = TemplateForm(
            data, initial=initial, job_titles=titles, instance_pk=template and template.pk
        )
        self.sections = SectionWeightsForm(data, initial=weights, prefix="sections")
        self.items = {
            kind: ItemFormSet(
                data,
                initial=_unless_bound(data, items[kind]),
                prefix=kind,
                form_kwargs={"indicator_choices": self._choices(kind, indicators, used[kind])},
            )
            for kind in ITEMISED_SECTIONS
        }
        self.groups = [
            (self.items[kind], _("%(section)s items") % {"section": SectionKind(kind).label})
            for kind in ITEMISED_SECTIONS
        ]

    @staticmethod
    def _choices(kind, indicators, used: set[int]) -> list:
        """Active indicators (behavioural only for competencies), plus those the section
        already holds, so that editing never silently drops one."""

        def fits(indicator):
            if indicator.pk in used:
                return True
            if kind == SectionKind.COMPETENCIES and indicator.kind != IndicatorKind.BEHAVIOURAL:
                return False
            return indicator.is_active

        groups: dict[str, list] = {}
        for indicator in indicators:
            if fits(indicator):
                label = (
                    indicator.name
                    if indicator.is_active
                    else _("%(name)s (inactive)") % {"name": indicator.name}
                )
                groups.setdefault(indicator.get_kind_display(), []).append((indicator.pk, label))
        return [("", _("Choose an indicator…")), *groups.items()]

    def attach(self, error: ValidationError) -> None:
        # The composition's messages go with the weights, and so do those of the goals
        # and peer sections, which have no item table of their own.
        if hasattr(error, "error_dict"):
            rest = {}
            for key, errors in error.error_dict.items():
                if key in ("sections", SectionKind.GOALS, SectionKind.PEER):
                    self.sections.add_error(None, [m for e in errors for m in e.messages])
                else:
                    rest[key] = errors
            if not rest:
                self.flag_invalid()
                return
            error = ValidationError(rest)
        super().attach(error)

    def is_valid(self) -> bool:
        valid = self.form.is_valid() & self.sections.is_valid()
        for formset in self.items.values():
            valid &= formset.is_valid()
        if valid:
            problems = template_problems(self.section_inputs())
            if problems:
                self.attach(ValidationError(problems))
                valid = False
        self.flag_invalid()
        return valid

    def section_inputs(self) -> list[SectionInput]:
        sections = []
        for kind in SectionKind:
            weight = self.sections.cleaned_data.get(kind.value) or Decimal("0")
            items = ()
            if kind in self.items:
                items = tuple(
                    ItemInput(self.indicators[pk], item_weight)
                    for pk, item_weight in self.items[kind].rows()
                )
            if weight > 0 or items:
                sections.append(SectionInput(kind.value, weight, items))
        return sections

    def service_kwargs(self) -> dict:
        return {"data": self.form.cleaned_data, "sections": self.section_inputs()}

    def flag_invalid(self) -> None:
        super().flag_invalid()
        _flag_invalid(self.sections, described=True)

    def summary(self) -> list[ErrorLine]:
        lines = super().summary()
        extra = [
            ErrorLine("#sections-table", str(message))
            for message in self.sections.non_field_errors()
        ]
        for field in self.sections:
            for message in field.errors:
                extra.append(
                    ErrorLine(
                        f"#{field.id_for_label}", f"{_('Sections')} — {field.label}: {message}"
                    )
                )
        # Page order: the template's fields, the sections, then the item tables.
        head = len(self.form.non_field_errors()) + sum(len(f.errors) for f in self.form)
        return lines[:head] + extra + lines[head:]
