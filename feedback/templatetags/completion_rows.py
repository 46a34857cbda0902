"""The rows of HR's interview completion list, written in Python:

{% load completion_rows %}
{% completion_rows rows %}      rows: (CompletionRow, group) pairs of one page

Through Django's templates the 25 rows of a page cost ~4 ms (an include per status badge,
a URL, a date and five lookups per row). The markup is the template's, cell by cell; every
value from the database is escaped here, the messages are the templates' (same msgids)."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from feedback.models import InterviewStatus as S
from perfcycle.formatting import format_date, format_datetime, gettext
from perfcycle.reversing import url_with_id

register = template.Library()

_BADGE_CLASS = {
    S.HELD: "text-bg-success",
    S.CANCELLED: "text-bg-secondary",
    S.RESCHEDULED: "text-bg-info",
}


def e(value) -> str:
    """Django's ``escape`` of a plain string (every value here is one: names, the
    messages), without its lazy-string wrapper (~3 µs a call, seven a row)."""
    return escape(str(value))


def status_badge(interview, labels: dict | None = None) -> str:
    """feedback/interview_status_badge.html, without the overdue badge. ``labels``: the
    statuses' escaped labels found so far (a list shows the same few on every row)."""
    if interview is None:
        return (
            '<span class="badge text-bg-warning" data-interview-status="to_schedule">'
            f"{e(gettext('To schedule'))}</span>"
        )
    css = _BADGE_CLASS.get(interview.status, "text-bg-primary")
    label = labels.get(interview.status) if labels is not None else None
    if label is None:
        label = e(interview.get_status_display())
        if labels is not None:
            labels[interview.status] = label
    return f'<span class="badge {css}" data-interview-status="{e(interview.status)}">{label}</span>'


@register.simple_tag
def completion_rows(rows) -> str:
    reviewer_label, interview_label = e(gettext("Reviewer")), e(gettext("Interview"))
    when_label, open_label = e(gettext("When")), e(gettext("Open"))
    out, labels = [], {}
    for appraisal, _group in rows:
        interview = appraisal.current_interview
        participation = appraisal.participation
        name = e(participation.employee.full_name)
        reviewer = e(participation.reviewer.full_name) if participation.reviewer else "—"
        if interview is not None and interview.status == S.HELD:
            when = format_date(interview.held_at)
        elif interview is not None and interview.status != S.CANCELLED:
            when = format_datetime(interview.starts_at)
        else:
            when = "—"
        link = ""
        if interview is not None:
            href = url_with_id("feedback:interview-detail", interview.pk)
            link = (
                f'<a class="btn btn-sm btn-outline-secondary" href="{e(href)}">{open_label}'
                f'<span class="visually-hidden"> {name}</span></a>'
            )
        out.append(
            f'\n    <tr data-appraisal="{appraisal.pk}">\n'
            f"      <td>{name}</td>\n"
            f'      <td class="d-none d-md-table-cell">{e(appraisal.department_name or "—")}</td>\n'
            f'      <td data-label="{reviewer_label}">{reviewer}</td>\n'
            f'      <td data-label="{interview_label}">{status_badge(interview, labels)}</td>\n'
            f'      <td data-label="{when_label}">{e(when)}</td>\n'
            f'      <td class="text-end pc-stack-actions">{link}</td>\n'
            "    </tr>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
