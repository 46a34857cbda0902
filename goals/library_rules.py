"""Pure rule checks of the planning library (no ORM): a rating scale's levels, a
template's composition (sections, items, weights totalling 100 %), and the wording of a
weight gap. The scoring-rule checks (thresholds) are ``goals.rules.check_thresholds``.

``goals.services.library`` and the library forms call these, so a form puts each
message next to its row and a service refuses the same input from any other caller.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# formats and gettext only format and look up strings; they need no database.
from django.utils import formats
from django.utils.translation import gettext as _

from goals.rules import q2, weight_gap

# The kinds these checks name (values of goals.models.SectionKind and IndicatorKind).
INDICATORS, COMPETENCIES = "indicators", "competencies"
BEHAVIOURAL = "behavioural"
# Sections that list weighted items; the others (goals, peer) are weighted as a whole.
ITEMISED_SECTIONS = (INDICATORS, COMPETENCIES)


@dataclass(frozen=True)
class LevelInput:
    value: int
    label: str
    descriptor: str = ""


@dataclass(frozen=True)
class ItemInput:
    """One weighted item; ``indicator`` is anything with ``pk``, ``kind`` and a name
    (``str()``): the Indicator row in practice."""

    indicator: Any
    weight: Decimal


@dataclass(frozen=True)
class SectionInput:
    kind: str
    weight: Decimal
    items: tuple[ItemInput, ...] = ()


@dataclass(frozen=True)
class Problem:
    """One broken rule; ``row`` and ``field`` say where, when it is about one row."""

    message: str
    row: int | None = None
    field: str | None = None


def percent(value: Decimal) -> str:
    """A weight for people: 60, 12.5 (not 60.00), in the active locale."""
    return formats.number_format(q2(Decimal(value)).normalize())


def gap_message(what: str, weights: Sequence[Decimal]) -> str | None:
    """ "Section weights total 90 % — 10 % missing", or None when they total 100 %."""
    gap = weight_gap(weights)
    if gap == 0:
        return None
    total = sum(weights, Decimal("0"))
    if gap > 0:
        return _("%(what)s total %(total)s %% — %(gap)s %% missing") % {
            "what": what,
            "total": percent(total),
            "gap": percent(gap),
        }
    return _("%(what)s total %(total)s %% — %(gap)s %% over") % {
        "what": what,
        "total": percent(total),
        "gap": percent(-gap),
    }


def level_problems(levels: Sequence[LevelInput]) -> list[Problem]:
    """What is wrong with a scale's levels: at least 2, unique positive values, labels."""
    problems = []
    if len(levels) < 2:
        problems.append(Problem(_("A rating scale needs at least 2 levels.")))
    seen: set[int] = set()
    for row, level in enumerate(levels):
        if level.value is None or level.value < 1:
            problems.append(Problem(_("Values must be whole numbers from 1 up."), row, "value"))
        elif level.value in seen:
            problems.append(
                Problem(
                    _("Value %(value)s is already used by another level.") % {"value": level.value},
                    row,
                    "value",
                )
            )
        else:
            seen.add(level.value)
        if not (level.label or "").strip():
            problems.append(Problem(_("Every level needs a label."), row, "label"))
    return problems


def template_problems(
    sections: Sequence[SectionInput], *, section_labels: Mapping[str, str]
) -> dict[str, list[str]]:
    """What is wrong with a template's composition, keyed ``sections`` or by section kind.
    ``section_labels``: every kind of section, with its name."""
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        problems.setdefault(key, []).append(message)

    if not sections:
        add("sections", _("Give at least one section a weight."))
        return problems
    kinds = [section.kind for section in sections]
    for kind in sorted(set(kinds), key=kinds.index):
        if kind not in section_labels:
            add("sections", _("“%(kind)s” is not a kind of section.") % {"kind": kind})
        elif kinds.count(kind) > 1:
            add(
                "sections",
                _("The %(section)s section appears more than once.")
                % {"section": section_labels[kind]},
            )
    if problems:
        return problems
    weighted = [section for section in sections if section.weight > 0]
    message = gap_message(_("Section weights"), [section.weight for section in weighted])
    if message:
        add("sections", message)
    for section in sections:
        label = section_labels[section.kind]
        if section.weight <= 0 or section.weight > 100:
            if section.items and section.weight <= 0:
                add(
                    section.kind,
                    _(
                        "These items belong to the %(section)s section, which has no weight — "
                        "give the section a weight or remove the items."
                    )
                    % {"section": label},
                )
            else:
                add(
                    "sections",
                    _("The %(section)s section needs a weight above 0 %% and at most 100 %%.")
                    % {"section": label},
                )
        if section.kind in ITEMISED_SECTIONS:
            _item_problems(section, label, add)
        elif section.items:
            add(
                section.kind,
                _(
                    "The %(section)s section takes no items: it is weighted as a whole "
                    "(goals carry their own weights, peer input is one score)."
                )
                % {"section": label},
            )
    return problems


def _item_problems(section: SectionInput, label: str, add) -> None:
    if not section.items:
        if section.weight > 0:
            add(
                section.kind,
                _("The %(section)s section needs at least one indicator.") % {"section": label},
            )
        return
    message = gap_message(
        _("%(section)s items") % {"section": label}, [item.weight for item in section.items]
    )
    if message:
        add(section.kind, message)
    seen: set[int] = set()
    for item in section.items:
        if item.weight <= 0 or item.weight > 100:
            add(
                section.kind,
                _("“%(indicator)s” needs a weight above 0 %% and at most 100 %%.")
                % {"indicator": item.indicator},
            )
        if item.indicator.pk in seen:
            add(
                section.kind,
                _("“%(indicator)s” is listed twice in the %(section)s section.")
                % {"indicator": item.indicator, "section": label},
            )
        seen.add(item.indicator.pk)
        if section.kind == COMPETENCIES and item.indicator.kind != BEHAVIOURAL:
            add(
                section.kind,
                _(
                    "“%(indicator)s” is not a behavioural indicator; the Competencies "
                    "section takes only behavioural ones."
                )
                % {"indicator": item.indicator},
            )
