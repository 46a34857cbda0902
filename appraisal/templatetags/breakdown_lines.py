"""The lines of the score breakdown table, written in Python:

{% load breakdown_lines %}
{% breakdown_lines lines %}      lines: breakdown_rows (line, item, revision) of one appraisal

Through Django's templates each line cost ~0.3 ms (four numbers through a filter, a
translated message, each cited evidence's URL reversed), most of "My result"'s rendering
at ten items. The markup is appraisal/breakdown_tables.html's, cell by cell; every value
is escaped here, the messages are the template's (same msgids)."""

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape as e
from django.utils.safestring import mark_safe

from perfcycle.formatting import format_number, gettext

register = template.Library()

_NO_ID = 987_654_321


def _number(value, places=None) -> str:
    # {{ value|format_number }} / {{ value|format_number:2 }} (the filter shows what is no
    # number as it is).
    try:
        return e(format_number(value, decimal_places=places))
    except (ArithmeticError, TypeError, ValueError):
        return e(value)


def _evidence(item, evidence_url: str) -> str:
    if item is None:
        return "—"
    self_cited = getattr(item, "self_cited", None) or ()
    manager_cited = getattr(item, "manager_cited", None) or ()
    if not self_cited and not manager_cited:
        return "—"
    links = [
        f'<a href="{e(evidence_url.replace(str(_NO_ID), str(evidence.pk)))}">{e(evidence.title)}</a>'
        for evidence in (*self_cited, *manager_cited)
    ]
    return ", ".join(links)


@register.simple_tag
def breakdown_lines(lines) -> str:
    no_input = e(gettext("no input"))
    was = gettext("changed after dispute, was %(before)s")
    evidence_url = reverse("implementation:evidence-detail", args=[_NO_ID])
    out = []
    for line, item, revision in lines:
        key = e(line.key)
        weight = f"{_number(line.shown_weight, 2)} %" if line.shown_weight is not None else "—"
        rating = _number(line.rating) if line.rating is not None else no_input
        if revision:
            before = e(revision.from_rating or "—")
            rating += (
                f'<div class="small text-body-secondary" data-revised="{key}">'
                f"{was % {'before': before}}</div>"
            )
        contribution = (
            _number(line.shown_contribution, 2) if line.shown_contribution is not None else "—"
        )
        out.append(
            f'\n    <tr data-line="{key}">\n'
            f'      <td>{e(line.label)}<div class="small text-body-secondary">{e(line.section)}'
            "</div></td>\n"
            f'      <td class="num">{_number(line.weight)} %</td>\n'
            f'      <td class="num">{weight}</td>\n'
            f'      <td class="num">{rating}</td>\n'
            f'      <td class="num" data-contribution="{key}">{contribution}</td>\n'
            f'      <td class="d-none d-md-table-cell small">{_evidence(item, evidence_url)}</td>\n'
            "    </tr>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
