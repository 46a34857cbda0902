"""The rows of the team check-in board, written in Python:

{% load team_board_rows %}
{% team_board_row row %}          implementation/team_board.html

Through Django's templates a row cost ~0.3–0.5 ms (six translated labels, three includes,
a lookup and a filter per value): most of the board's rendering at a team of a dozen. The
markup is the one the template had, piece by piece; every value from the database is
escaped here, the labels are the template's (same msgids), translated once per language,
and the badges and the sparkline are the same templates, rendered once per what they show
(perfcycle/fragments.py)."""

from functools import lru_cache

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as translate

from implementation.models import CheckinStatus
from perfcycle.formatting import format_date
from perfcycle.fragments import rendered_once

register = template.Library()

e = conditional_escape


def gettext(message: str) -> str:
    """Django's gettext, kept per language and message (named gettext so that makemessages
    finds the messages)."""
    return _translated(get_language(), message)


@lru_cache(maxsize=64)
def _translated(language: str | None, message: str) -> str:
    return translate(message)


def _status_badge(checkin) -> str:
    return rendered_once(
        "implementation/checkin_status_badge.html",
        (checkin.status, bool(checkin.is_late)),
        {"checkin": checkin},
    )


def _no_update_badge(count: int) -> str:
    return rendered_once("components/no_update_badge.html", (count,), {"count": count})


def _sparkline(trend) -> str:
    return rendered_once(
        "implementation/checkin_sparkline.html",
        (trend.values, trend.points, trend.width, trend.height),
        {"trend": trend},
    )


@register.simple_tag
def team_board_row(row) -> SafeString:
    employee = row.participation.employee
    name = e(employee.full_name)
    current = row.current
    no_update = f"<div>{_no_update_badge(row.no_update)}</div>" if row.no_update else ""
    if current is not None:
        status = _status_badge(current)
    else:
        status = (
            '<span class="badge text-bg-light border" data-status="not_open">'
            f"{e(gettext('Not open yet'))}</span>"
        )
    submitted = (
        e(format_date(current.submitted_at))
        if current is not None and current.submitted_at
        else "—"
    )
    deviations = (
        f'<span class="badge text-bg-warning">{e(localize(row.open_deviations))}</span>'
        if row.open_deviations
        else "0"
    )
    action = ""
    if current is not None:
        to_review = current.status == CheckinStatus.SUBMITTED
        action = (
            f'<a class="btn btn-sm {"btn-primary" if to_review else "btn-outline-secondary"}" '
            f'href="{e(current.get_absolute_url())}">'
            f"{e(gettext('Review') if to_review else gettext('Open'))}"
            f'<span class="visually-hidden"> {name}</span></a>'
        )
    return mark_safe(
        f'<tr data-person="{e(localize(row.participation.employee_id))}">\n'
        f'      <td>{name}<div class="small text-body-secondary">{e(employee.job_title)}</div>'
        f"{no_update}</td>\n"
        f'      <td data-label="{e(gettext("Status"))}">{status}</td>\n'
        f'      <td class="d-none d-md-table-cell">{submitted}</td>\n'
        f'      <td class="text-nowrap" data-label="{e(gettext("Confidence (last 6)"))}">'
        f"{_sparkline(row.trend)}</td>\n"
        f'      <td class="num" data-label="{e(gettext("Open deviations"))}">{deviations}</td>\n'
        f'      <td class="text-end pc-stack-actions">{action}</td>\n'
        "    </tr>"
    )
