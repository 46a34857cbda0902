"""The repeated parts of "My result" (feedback/consensus_my_result.html), written in Python:

{% load my_result %}
{% my_disputes result.disputes today %}                      the employee's disputes
{% disagree_rows disagree_form disputed appraisal.scale_levels %}   one block per item

Through Django's templates each item of the disagreement form cost ~0.1 ms (a nested
include for its rating, four bound-field lookups, a translated message) and each dispute
~0.2 ms (its badge's include, three or four translated messages, a URL): at ten items,
a third of the page's rendering. The markup is the templates' (consensus_my_result.html,
consensus_dispute_badge.html, consensus_level.html), piece by piece; every value is
escaped here, the messages are the templates' (same msgids; a literal's translation
unescaped, as ``{% translate %}`` leaves it)."""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.formats import localize
from django.utils.html import conditional_escape as e
from django.utils.safestring import mark_safe

from feedback.models import DisputeStatus
from perfcycle.formatting import format_date, gettext
from perfcycle.reversing import url_with_id

register = template.Library()

_DISPUTE_BADGE = {
    DisputeStatus.CHANGED: "text-bg-success",
    DisputeStatus.UPHELD: "text-bg-secondary",
}


def _shown(value) -> str:
    """A value as ``{{ value }}`` (and ``{% blocktranslate with %}``) shows it."""
    return e(str(localize(value)))


def dispute_badge(dispute, today) -> str:
    """feedback/consensus_dispute_badge.html."""
    css = _DISPUTE_BADGE.get(dispute.status, "text-bg-warning")
    html = (
        f'<span class="badge {css}" data-dispute-status="{e(dispute.status)}">'
        f"{e(dispute.get_status_display())}</span>"
    )
    if dispute.status == DisputeStatus.OPEN and dispute.due_date < today:
        html += f' <span class="badge text-bg-danger" data-overdue="1">{gettext("Overdue")}</span>'
    return html


def _decision(dispute) -> str:
    if dispute.status == DisputeStatus.OPEN:
        date = e(format_date(dispute.due_date))
        if dispute.resolver:
            text = gettext("%(name)s decides by %(date)s.") % {
                "name": e(dispute.resolver.full_name),
                "date": date,
            }
        else:
            text = gettext("HR decides by %(date)s.") % {"date": date}
        return f'<div class="small">{text}</div>'
    if dispute.status == DisputeStatus.CHANGED:
        rating = gettext("Rating changed from %(before)s to %(after)s.") % {
            "before": _shown(dispute.rating_before),
            "after": _shown(dispute.rating_after),
        }
    else:
        rating = gettext("Rating stays %(rating)s.") % {"rating": _shown(dispute.rating_after)}
    return (
        f'<div class="mt-1" data-testid="resolution-{dispute.pk}"><span class="fw-semibold">'
        f"{gettext('Resolution')}:</span> {linebreaksbr(dispute.resolution)}"
        f'<div class="small text-body-secondary">{rating} {e(format_date(dispute.resolved_at))}'
        "</div></div>"
    )


@register.simple_tag
def my_disputes(disputes, today) -> str:
    your_reason, open_label = gettext("Your reason"), gettext("Open the dispute")
    out = []
    for dispute in disputes:
        href = e(url_with_id("feedback:consensus-dispute", dispute.pk))
        out.append(
            f'\n    <li class="border-bottom py-2" data-dispute="{dispute.pk}">\n'
            '      <div class="d-flex flex-wrap justify-content-between gap-2">'
            f"<strong>{e(dispute.item.title)}</strong><span>{dispute_badge(dispute, today)}"
            "</span></div>\n"
            f'      <div class="small text-body-secondary">{your_reason}: {e(dispute.reason)}</div>\n'
            f"      {_decision(dispute)}\n"
            f'      <a class="small" href="{href}">{open_label}</a>\n'
            "    </li>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def rating_level(value, levels) -> str:
    """feedback/consensus_level.html: "3 · Meets" on the appraisal's snapshot scale."""
    if value is None:
        return "—"
    return "".join(
        f"{_shown(level['value'])} · {_shown(level['label'])}"
        for level in levels
        if level["value"] == value
    )


def _errors(errors, css: str) -> str:
    return "".join(f'<div class="{css}">{_shown(error)}</div>' for error in errors)


@register.simple_tag
def disagree_rows(form, disputed, levels) -> str:
    """The form's items (DisagreeForm.rows): disputed already, or a checkbox and a reason."""
    already, rated = gettext("disputed already"), gettext("rated")
    out = []
    for item, box, reason in form.rows():
        title = e(item.title)
        out.append(f'\n      <div class="border rounded p-2 mb-2" data-item="{item.pk}">\n')
        if item.pk in disputed:
            out.append(
                f'        <div class="text-body-secondary"><strong>{title}</strong> · {already}'
                f"</div>\n        {_errors(box.errors, 'invalid-feedback d-block')}\n"
            )
        else:
            box_id, reason_id = e(box.id_for_label), e(reason.id_for_label)
            invalid = " is-invalid" if box.errors else ""
            checked = " checked" if box.value() else ""
            reason_invalid = " is-invalid" if reason.errors else ""
            value = reason.value()
            out.append(
                '        <div class="form-check">\n'
                f'          <input class="form-check-input{invalid}" type="checkbox" '
                f'name="{e(box.html_name)}" id="{box_id}" value="on"{checked}>\n'
                f'          <label class="form-check-label" for="{box_id}"><strong>{title}'
                f"</strong> · {rated} {rating_level(item.manager_rating, levels)}</label>\n"
                f"          {_errors(box.errors, 'invalid-feedback d-block')}\n"
                "        </div>\n"
                f'        <label class="form-label small mt-2 mb-1" for="{reason_id}">'
                f"{_shown(reason.label)}</label>\n"
                f'        <textarea class="form-control form-control-sm{reason_invalid}" '
                f'id="{reason_id}" name="{e(reason.html_name)}" rows="2">'
                f"{_shown('' if value is None else value)}</textarea>\n"
                f"        {_errors(reason.errors, 'invalid-feedback')}\n"
            )
        out.append("      </div>\n      ")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag
def version_input(form) -> str:
    """``{{ form.version }}``: the hidden input as Django's widget templates write it
    (input.html, attrs.html), without their two includes and attribute loop (~0.15 ms)."""
    field = form["version"]
    value = field.field.widget.format_value(field.value())
    shown = f' value="{e(value)}"' if value is not None else ""
    auto_id = f' id="{e(field.auto_id)}"' if field.auto_id else ""
    return mark_safe(f'<input type="hidden" name="{e(field.html_name)}"{shown}{auto_id}>')  # noqa: S308
