"""Writes of the planning library: rating scales, indicators and templates (evaluation methods).

Every function is keyword-only, takes the acting HR admin, runs in one transaction,
enforces the business rules (a ``ValidationError`` keyed by what is wrong), bumps the
``version`` used for optimistic locking and writes an audit event with before/after.

The rule checks (``goals.library_rules``: ``level_problems``, ``template_problems``; and
``goals.rules.check_thresholds``) are pure, so the forms run the very same checks and put each message next to its row;
the services run them again because forms are not the only callers.

Keys of the ``ValidationError`` dicts raised here: a field name of the object (``name``,
``kind``…), ``levels`` or ``thresholds`` for the rows of a scale or a rule, ``sections``
for a template's composition, or a section kind (``competencies``…) for that section's items.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from goals import library_rules, rollups
from goals.library_rules import ItemInput, LevelInput, SectionInput, level_problems
from goals.library_rules import gap_message as gap_message  # re-exported for callers
from goals.models import (
    Direction,
    Indicator,
    IndicatorKind,
    Method,
    RatingLevel,
    RatingScale,
    ScoringThreshold,
    SectionKind,
    Template,
    TemplateItem,
    TemplateSection,
)
from goals.rules import Threshold, check_thresholds, q2
from perfcycle.audit import changes, record_event, snapshot
from perfcycle.workflow import (
    ConcurrentEditError,
    DomainError,
    check_version,
    lock_for_update,
    require_hr,
    save_versioned,
)

SCALE_FIELDS = ["name", "description", "is_default"]
INDICATOR_FIELDS = ["name", "definition", "kind", "unit", "direction", "scale", "is_active"]
TEMPLATE_FIELDS = ["name", "method", "description", "department", "job_title", "is_active"]

INDICATOR_DEFAULTS = {
    "definition": "",
    "kind": IndicatorKind.QUANTITATIVE,
    "unit": "",
    "direction": Direction.HIGHER,
    "is_active": True,
}
TEMPLATE_DEFAULTS = {"description": "", "department": None, "job_title": "", "is_active": True}

# Sections that list weighted items; the others (goals, peer) are weighted as a whole.
ITEMISED_SECTIONS = library_rules.ITEMISED_SECTIONS
SECTION_ORDER = {kind: position for position, kind in enumerate(SectionKind.values)}


def template_problems(sections: Sequence[SectionInput]) -> dict[str, list[str]]:
    """What is wrong with a template's composition (``library_rules.template_problems``
    with the kinds of section the models know)."""
    return library_rules.template_problems(sections, section_labels=dict(SectionKind.choices))


# --- Shared checks ---------------------------------------------------------------------


def _check_unique_name(model, name: str, *, exclude_pk: int | None = None) -> None:
    taken = model.objects.filter(name=name).exclude(pk=exclude_pk).exists()
    if taken:
        raise DomainError(
            {
                "name": _("Another %(noun)s is already called “%(name)s”.")
                % {"noun": model._meta.verbose_name, "name": name}
            }
        )


def _check_name(name: str) -> None:
    if not name:
        raise DomainError({"name": _("A name is required.")})


def _check_choice(data: dict, field: str, choices) -> None:
    if data[field] not in choices.values:
        raise DomainError({field: _("Choose one of the listed options.")})


def _conflict() -> ValidationError:
    return ConcurrentEditError(
        _(
            "Another change was saved at the same moment (for example the same name). "
            "Reload the page and try again."
        )
    )


# --- Rating scales ---------------------------------------------------------------------

STANDARD_SCALE_NAME = "Standard 5-point scale"
STANDARD_SCALE_DESCRIPTION = (
    "The organisation's default evaluation standard: five levels from unsatisfactory to "
    "outstanding, each described by what performance at that level looks like."
)
STANDARD_LEVELS = (
    LevelInput(
        1,
        "Unsatisfactory",
        "Misses most goals and key expectations of the role; work often needs redoing "
        "or close supervision, and agreed improvements have not happened.",
    ),
    LevelInput(
        2,
        "Needs improvement",
        "Meets some expectations but misses important ones; results are uneven and "
        "depend on regular help. Clear, specific development is needed.",
    ),
    LevelInput(
        3,
        "Meets expectations",
        "Delivers the goals and standards of the role reliably and on time; works "
        "well with others and solves routine problems independently.",
    ),
    LevelInput(
        4,
        "Exceeds expectations",
        "Regularly goes beyond the goals in quality or scope; anticipates problems, "
        "improves how the team works and is sought out by colleagues for help.",
    ),
    LevelInput(
        5,
        "Outstanding",
        "Results far beyond what the role asks, with impact outside the team; sets "
        "the standard others learn from and leads improvements that last.",
    ),
)


def _scale_fields(data: dict) -> dict:
    fields = {
        "name": (data.get("name") or "").strip(),
        "description": (data.get("description") or "").strip(),
        "is_default": bool(data.get("is_default")),
    }
    _check_name(fields["name"])
    return fields


def _clean_levels(levels: Sequence[LevelInput]) -> list[LevelInput]:
    problems = level_problems(levels)
    if problems:
        raise DomainError({"levels": [problem.message for problem in problems]})
    return sorted(
        (
            LevelInput(level.value, level.label.strip(), level.descriptor.strip())
            for level in levels
        ),
        key=lambda level: level.value,
    )


def _levels_state(levels) -> list[list]:
    return [[level.value, level.label, level.descriptor] for level in levels]


def _scale_state(scale: RatingScale, levels) -> dict:
    return {**snapshot(scale, SCALE_FIELDS), "levels": _levels_state(levels)}


def _take_default(*, actor, keep_pk: int | None) -> None:
    """Only one scale is the default: the previous one steps down (and is audited)."""
    for previous in RatingScale.objects.select_for_update().filter(is_default=True):
        if previous.pk == keep_pk:
            continue
        previous.is_default = False
        save_versioned(previous, ["is_default"])
        record_event(
            actor=actor,
            verb="scale.updated",
            obj=previous,
            before={"is_default": True},
            after={"is_default": False},
        )


def create_scale(*, actor, data: dict, levels: Sequence[LevelInput]) -> RatingScale:
    """A new rating scale with its levels (at least two, unique positive values)."""
    require_hr(actor)
    fields = _scale_fields(data)
    levels = _clean_levels(levels)
    try:
        with transaction.atomic():
            _check_unique_name(RatingScale, fields["name"])
            if fields["is_default"]:
                _take_default(actor=actor, keep_pk=None)
            scale = RatingScale.objects.create(**fields)
            RatingLevel.objects.bulk_create(
                RatingLevel(
                    scale=scale, value=lvl.value, label=lvl.label, descriptor=lvl.descriptor
                )
                for lvl in levels
            )
            record_event(
                actor=actor, verb="scale.created", obj=scale, after=_scale_state(scale, levels)
            )
    except IntegrityError as error:
        raise _conflict() from error
    return scale


def update_scale(
    *,
    actor,
    scale_id: int,
    data: dict,
    levels: Sequence[LevelInput],
    expected_version: int,
) -> RatingScale:
    """Edit a scale. Levels are known by their value: labels and descriptors may change
    freely, but a value that a scoring rule uses cannot be removed."""
    require_hr(actor)
    fields = _scale_fields(data)
    levels = _clean_levels(levels)
    try:
        with transaction.atomic():
            scale = lock_for_update(RatingScale, scale_id)
            check_version(scale, expected_version)
            _check_unique_name(RatingScale, fields["name"], exclude_pk=scale.pk)
            existing = {level.value: level for level in scale.levels.all()}
            wanted = {level.value: level for level in levels}
            _check_levels_unused(scale, existing, removed=set(existing) - set(wanted))
            before = _scale_state(scale, existing.values())
            if fields["is_default"] and not scale.is_default:
                _take_default(actor=actor, keep_pk=scale.pk)
            for name, value in fields.items():
                setattr(scale, name, value)
            save_versioned(scale, SCALE_FIELDS)
            _write_levels(scale, existing, wanted)
            after = _scale_state(scale, levels)
            before, after = changes(before, after)
            record_event(actor=actor, verb="scale.updated", obj=scale, before=before, after=after)
    except IntegrityError as error:
        raise _conflict() from error
    return scale


def _check_levels_unused(scale: RatingScale, existing: dict, *, removed: set[int]) -> None:
    if not removed:
        return
    users: dict[int, list[str]] = {}
    for value, name in (
        ScoringThreshold.objects.filter(indicator__scale=scale, level_value__in=removed)
        .order_by("level_value", "indicator__name")
        .values_list("level_value", "indicator__name")
        .distinct()
    ):
        users.setdefault(value, []).append(f"“{name}”")
    if users:
        raise DomainError(
            {
                "levels": [
                    _(
                        "Level %(value)s (%(label)s) cannot be removed: the scoring rule of "
                        "%(indicators)s uses it. Change those rules first."
                    )
                    % {
                        "value": value,
                        "label": existing[value].label,
                        "indicators": ", ".join(names),
                    }
                    for value, names in users.items()
                ]
            }
        )


def _write_levels(scale: RatingScale, existing: dict, wanted: dict) -> None:
    RatingLevel.objects.filter(scale=scale, value__in=set(existing) - set(wanted)).delete()
    changed = []
    for value, level in wanted.items():
        row = existing.get(value)
        if row is not None and (row.label, row.descriptor) != (level.label, level.descriptor):
            row.label, row.descriptor = level.label, level.descriptor
            changed.append(row)
    RatingLevel.objects.bulk_update(changed, ["label", "descriptor"])
    RatingLevel.objects.bulk_create(
        RatingLevel(scale=scale, value=value, label=level.label, descriptor=level.descriptor)
        for value, level in wanted.items()
        if value not in existing
    )


def ensure_default_scale(*, actor) -> RatingScale:
    """The standard 5-point scale, created once; calling again returns the same scale.

    It becomes the default only if no other scale is. ``actor``: HR, or ``SYSTEM`` (the
    demo seed, a fresh install).
    """
    require_hr(actor, allow_system=True)
    existing = RatingScale.objects.filter(name=STANDARD_SCALE_NAME).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            scale = RatingScale.objects.create(
                name=STANDARD_SCALE_NAME,
                description=STANDARD_SCALE_DESCRIPTION,
                is_default=not RatingScale.objects.filter(is_default=True).exists(),
            )
            RatingLevel.objects.bulk_create(
                RatingLevel(
                    scale=scale, value=lvl.value, label=lvl.label, descriptor=lvl.descriptor
                )
                for lvl in STANDARD_LEVELS
            )
            record_event(
                actor=actor,
                verb="scale.created",
                obj=scale,
                after=_scale_state(scale, STANDARD_LEVELS),
            )
    except IntegrityError:
        # Another process created it (or took the default) at the same moment.
        return RatingScale.objects.get(name=STANDARD_SCALE_NAME)
    return scale


# --- Indicators ------------------------------------------------------------------------


def _indicator_fields(data: dict) -> dict:
    fields = {**INDICATOR_DEFAULTS, **{k: v for k, v in data.items() if k in INDICATOR_FIELDS}}
    fields["name"] = (fields.get("name") or "").strip()
    fields["definition"] = (fields["definition"] or "").strip()
    fields["unit"] = (fields["unit"] or "").strip()
    fields["is_active"] = bool(fields["is_active"])
    _check_name(fields["name"])
    _check_choice(fields, "kind", IndicatorKind)
    _check_choice(fields, "direction", Direction)
    if not isinstance(fields.get("scale"), RatingScale):
        raise DomainError({"scale": _("Choose the rating scale this indicator rates on.")})
    return fields


def _check_rule(thresholds: Sequence[Threshold], scale: RatingScale) -> None:
    levels = scale.levels.values_list("value", flat=True)
    problems = check_thresholds(thresholds, levels)
    if problems:
        raise DomainError({"thresholds": problems})


def _rule_state(thresholds) -> list[list]:
    ordered = sorted(thresholds, key=lambda t: t.min_achievement)
    return [[str(q2(Decimal(t.min_achievement))), t.level] for t in ordered]


def _indicator_state(indicator: Indicator, thresholds) -> dict:
    return {**snapshot(indicator, INDICATOR_FIELDS), "thresholds": _rule_state(thresholds)}


def _write_rule(indicator: Indicator, thresholds: Sequence[Threshold]) -> None:
    ScoringThreshold.objects.filter(indicator=indicator).delete()
    ScoringThreshold.objects.bulk_create(
        ScoringThreshold(
            indicator=indicator, min_achievement=t.min_achievement, level_value=t.level
        )
        for t in sorted(thresholds, key=lambda t: t.min_achievement)
    )


def create_indicator(*, actor, data: dict, thresholds: Sequence[Threshold]) -> Indicator:
    """A new library indicator with its scoring rule (achievement % → rating level)."""
    require_hr(actor)
    fields = _indicator_fields(data)
    try:
        with transaction.atomic():
            # Serialises with update_scale: a level cannot vanish while a rule starts using it.
            fields["scale"] = lock_for_update(RatingScale, fields["scale"].pk)
            _check_rule(thresholds, fields["scale"])
            _check_unique_name(Indicator, fields["name"])
            indicator = Indicator.objects.create(**fields)
            _write_rule(indicator, thresholds)
            record_event(
                actor=actor,
                verb="indicator.created",
                obj=indicator,
                after=_indicator_state(indicator, thresholds),
            )
    except IntegrityError as error:
        raise _conflict() from error
    return indicator


def update_indicator(
    *,
    actor,
    indicator_id: int,
    data: dict,
    thresholds: Sequence[Threshold],
    expected_version: int,
) -> Indicator:
    """Edit an indicator and replace its scoring rule."""
    require_hr(actor)
    fields = _indicator_fields(data)
    try:
        with transaction.atomic():
            indicator = lock_for_update(Indicator, indicator_id)
            check_version(indicator, expected_version)
            # Serialises with update_scale: a level cannot vanish while a rule starts using it.
            fields["scale"] = lock_for_update(RatingScale, fields["scale"].pk)
            _check_rule(thresholds, fields["scale"])
            _check_unique_name(Indicator, fields["name"], exclude_pk=indicator.pk)
            if fields["kind"] != IndicatorKind.BEHAVIOURAL:
                _check_not_a_competency(indicator)
            old_rule = [
                Threshold(t.min_achievement, t.level_value) for t in indicator.thresholds.all()
            ]
            before = _indicator_state(indicator, old_rule)
            old_direction = indicator.direction
            for name, value in fields.items():
                setattr(indicator, name, value)
            save_versioned(indicator, INDICATOR_FIELDS)
            if indicator.direction != old_direction:
                rollups.rebuild_for_indicator(indicator.pk)
            after = _indicator_state(indicator, thresholds)
            if after["thresholds"] != before["thresholds"]:
                _write_rule(indicator, thresholds)
            before, after = changes(before, after)
            record_event(
                actor=actor, verb="indicator.updated", obj=indicator, before=before, after=after
            )
    except IntegrityError as error:
        raise _conflict() from error
    return indicator


def _check_not_a_competency(indicator: Indicator) -> None:
    names = list(
        Template.objects.filter(
            sections__kind=SectionKind.COMPETENCIES, sections__items__indicator=indicator
        )
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    if names:
        raise DomainError(
            {
                "kind": _(
                    "This indicator is a competency in %(templates)s, whose Competencies "
                    "section takes only behavioural indicators. Remove it there first."
                )
                % {"templates": ", ".join(f"“{name}”" for name in names)}
            }
        )


# --- Templates (evaluation methods) ----------------------------------------------------


def _template_fields(data: dict) -> dict:
    fields = {**TEMPLATE_DEFAULTS, **{k: v for k, v in data.items() if k in TEMPLATE_FIELDS}}
    fields["name"] = (fields.get("name") or "").strip()
    fields["description"] = (fields["description"] or "").strip()
    fields["job_title"] = (fields["job_title"] or "").strip()
    fields["is_active"] = bool(fields["is_active"])
    _check_name(fields["name"])
    fields.setdefault("method", "")
    _check_choice(fields, "method", Method)
    return fields


def _clean_sections(sections: Sequence[SectionInput]) -> list[SectionInput]:
    problems = template_problems(sections)
    if problems:
        raise DomainError(problems)
    return sorted(sections, key=lambda section: SECTION_ORDER[section.kind])


def _sections_state(sections) -> list[dict]:
    return [
        {
            "kind": section.kind,
            "weight": str(q2(Decimal(section.weight))),
            "items": [[item.indicator.pk, str(q2(Decimal(item.weight)))] for item in section.items],
        }
        for section in sections
    ]


def _saved_sections(template: Template) -> list[SectionInput]:
    return [
        SectionInput(
            section.kind,
            section.weight,
            tuple(ItemInput(item.indicator, item.weight) for item in section.items.all()),
        )
        for section in template.sections.prefetch_related("items__indicator")
    ]


def _template_state(template: Template, sections) -> dict:
    return {**snapshot(template, TEMPLATE_FIELDS), "sections": _sections_state(sections)}


def _write_sections(template: Template, sections: Sequence[SectionInput]) -> None:
    """Bring the stored sections and items in line, keeping the rows that stay (other
    stages may refer to them) and deleting only what was taken out."""
    existing = {section.kind: section for section in template.sections.prefetch_related("items")}
    for position, wanted in enumerate(sections):
        section = existing.pop(wanted.kind, None)
        if section is None:
            section = TemplateSection.objects.create(
                template=template, kind=wanted.kind, weight=wanted.weight, position=position
            )
            current = {}
        else:
            if (section.weight, section.position) != (wanted.weight, position):
                section.weight, section.position = wanted.weight, position
                section.save(update_fields=["weight", "position"])
            current = {item.indicator_id: item for item in section.items.all()}
        _write_items(section, current, wanted.items)
    _delete_rows(TemplateSection.objects.filter(pk__in=[s.pk for s in existing.values()]))


def _write_items(section: TemplateSection, current: dict, wanted: Sequence[ItemInput]) -> None:
    keep = {item.indicator.pk: item for item in wanted}
    _delete_rows(
        TemplateItem.objects.filter(pk__in=[i.pk for k, i in current.items() if k not in keep])
    )
    changed = []
    for indicator_id, item in keep.items():
        row = current.get(indicator_id)
        if row is not None and row.weight != item.weight:
            row.weight = item.weight
            changed.append(row)
    TemplateItem.objects.bulk_update(changed, ["weight"])
    TemplateItem.objects.bulk_create(
        TemplateItem(section=section, indicator=item.indicator, weight=item.weight)
        for indicator_id, item in keep.items()
        if indicator_id not in current
    )


def _delete_rows(queryset) -> None:
    try:
        queryset.delete()
    except (ProtectedError, RestrictedError) as error:
        raise DomainError(
            {
                "sections": _(
                    "A section or item you removed already holds appraisal data, so it "
                    "cannot be removed. Set its weight instead, or make a new template."
                )
            }
        ) from error


def create_template(*, actor, data: dict, sections: Sequence[SectionInput]) -> Template:
    """A new evaluation method: weighted sections (totalling 100 %) and their items."""
    require_hr(actor)
    fields = _template_fields(data)
    sections = _clean_sections(sections)
    try:
        with transaction.atomic():
            _check_unique_name(Template, fields["name"])
            template = Template.objects.create(**fields)
            _write_sections(template, sections)
            record_event(
                actor=actor,
                verb="template.created",
                obj=template,
                after=_template_state(template, sections),
            )
    except IntegrityError as error:
        raise _conflict() from error
    return template


def update_template(
    *,
    actor,
    template_id: int,
    data: dict,
    sections: Sequence[SectionInput],
    expected_version: int,
) -> Template:
    """Edit a template's fields and composition."""
    require_hr(actor)
    fields = _template_fields(data)
    sections = _clean_sections(sections)
    try:
        with transaction.atomic():
            template = lock_for_update(Template, template_id)
            check_version(template, expected_version)
            _check_unique_name(Template, fields["name"], exclude_pk=template.pk)
            before = _template_state(template, _saved_sections(template))
            for name, value in fields.items():
                setattr(template, name, value)
            save_versioned(template, TEMPLATE_FIELDS)
            _write_sections(template, sections)
            before, after = changes(before, _template_state(template, sections))
            record_event(
                actor=actor, verb="template.updated", obj=template, before=before, after=after
            )
    except IntegrityError as error:
        raise _conflict() from error
    return template
