"""The rows of a reviewer's interview list (feedback/interview_team.html), in Python:

{% load team_interview_rows %}
{% team_interview_rows rows key %}   rows: appraisals with ``current_interview`` and
                                     ``overdue`` (selectors.team_interviews); key: the section

Through the template a row cost ~0.4 ms (an include per status badge, a URL, a date, a
number and eight lookups): 5 ms for the 12 rows a VP reviews. The markup is the
template's, cell by cell; every value from the database is escaped here, the messages
are the template's (same msgids)."""

from django import template
from django.utils.html import conditional_escape as e
from django.utils.safestring import mark_safe

from feedback.models import InterviewStatus as S
from feedback.templatetags.completion_rows import status_badge
from perfcycle.formatting import format_date, format_datetime, gettext
from perfcycle.reversing import url_with_id
from perfcycle.templatetags.formatting import format_number

register = template.Library()


def _with_id(name: str, pk: int) -> str:
    return e(url_with_id(name, pk))


@register.simple_tag
def team_interview_rows(rows, key: str) -> str:
    label = {m: e(gettext(m)) for m in ("Status", "Held on", "When", "Result", "Schedule", "Open")}
    prepare = e(gettext("Prepare or record"))
    overdue_badge = (
        f' <span class="badge text-bg-danger" data-overdue="1">{e(gettext("Overdue"))}</span>'
    )
    schedule_url, detail_url = "feedback:interview-schedule", "feedback:interview-detail"
    when_label = label["Held on"] if key == "held" else label["When"]
    out = []
    for appraisal in rows:
        interview = appraisal.current_interview
        name = e(appraisal.participation.employee.full_name)
        hidden = f'<span class="visually-hidden"> {name}</span>'
        if interview is not None and interview.status == S.HELD:
            when = e(format_date(interview.held_at))
        elif interview is not None and interview.status != S.CANCELLED:
            when = e(format_datetime(interview.starts_at))
        else:
            when = "—"
        if interview is None or interview.status == S.CANCELLED:
            action = (
                f'<a class="btn btn-sm btn-primary" '
                f'href="{_with_id(schedule_url, appraisal.pk)}">{label["Schedule"]}{hidden}</a>'
            )
        elif interview.status == S.HELD:
            action = (
                f'<a class="btn btn-sm btn-outline-secondary" '
                f'href="{_with_id(detail_url, interview.pk)}">{label["Open"]}{hidden}</a>'
            )
        else:
            action = (
                f'<a class="btn btn-sm btn-outline-primary" '
                f'href="{_with_id(detail_url, interview.pk)}">{prepare}{hidden}</a>'
            )
        band = ""
        if appraisal.final_band:
            band = f' <span class="small text-body-secondary">{e(appraisal.final_band)}</span>'
        badge = status_badge(interview) + (overdue_badge if appraisal.overdue else "")
        out.append(
            f'\n    <tr data-appraisal="{appraisal.pk}">\n'
            f'      <td>{name}<div class="small text-body-secondary">{e(appraisal.job_title)}</div></td>\n'
            f'      <td data-label="{label["Status"]}">{badge}</td>\n'
            f'      <td data-label="{when_label}">{when}</td>\n'
            f'      <td class="num" data-label="{label["Result"]}">'
            f"{e(format_number(appraisal.final_score))}{band}</td>\n"
            f'      <td class="text-end pc-stack-actions">{action}</td>\n'
            "    </tr>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
