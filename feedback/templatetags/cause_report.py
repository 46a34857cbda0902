"""The rows of HR's root-cause report, written in Python:

{% load cause_report %}
{% top_cause_rows report %}         the "Most frequent" table's rows
{% department_cause_rows report %}  the "By department" table's rows
{% total_cause_cells report %}      its total row's cells, one per cause

Through Django's templates the ~50 departments × the causes named cost ~6 ms (a
``format_number`` and two lookups per cell). The markup is the template's, cell by cell;
every value from the database is escaped here, the message is the template's (same msgid)."""

from django import template
from django.utils.html import conditional_escape as e
from django.utils.safestring import mark_safe

from perfcycle.formatting import format_number, gettext

register = template.Library()


def _number(count: int) -> str:
    """``format_number`` of a count: its digits below 1,000 (no separator in any locale)."""
    return str(count) if 0 <= count < 1000 else e(format_number(count))


def _count_cells(cells) -> str:
    return "".join(
        f'<td class="text-end text-nowrap">{_number(count)} '
        f'<span class="small text-body-secondary">({share} %)</span></td>'
        for _cause, count, share in cells
    )


@register.simple_tag
def top_cause_rows(report) -> str:
    retired = None
    out = []
    for cause, count, share in report.total_cells:
        badge = ""
        if not cause.is_active:
            if retired is None:
                retired = e(gettext("Retired"))
            badge = f' <span class="badge text-bg-secondary">{retired}</span>'
        out.append(
            f'\n          <tr data-cause="{cause.pk}"><th scope="row" class="fw-normal">'
            f"{e(cause.name)}{badge}</th>"
            f'<td class="text-end">{_number(count)}</td>'
            '<td class="text-end"><span class="d-inline-flex align-items-center gap-2">'
            '<span class="pc-bar d-none d-sm-inline-block bg-primary" '
            f'style="width: {share}px; height: .5rem" aria-hidden="true"></span>'
            f"{share} %</span></td></tr>\n        "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag
def department_cause_rows(report) -> str:
    out = []
    for group in report.groups:
        label = e(group.label)
        merged = ' class="text-body-secondary"' if group.merged else ""
        out.append(
            f'\n          <tr data-group="{label}"{merged}><th scope="row" class="fw-normal">'
            f'{label}</th><td class="text-end">{_number(group.people)}</td>'
            f"{_count_cells(report.cells(group))}</tr>\n        "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag
def total_cause_cells(report) -> str:
    return mark_safe(_count_cells(report.total_cells))  # noqa: S308 - escaped above
