"""The item cards of the review page and of my appraisal, written in Python:

{% load assessment_cards %}
{% review_item item context row %}          the review page (appraisal/review.html)
{% self_assessment_item row %}              my appraisal's form (appraisal/my_appraisal.html)
{% my_appraisal_item item %}                my appraisal, read only

Through Django's templates a card cost ~1–2 ms (nested includes for the facts, the rating
levels, the evidence checklist and the goal's chart; a lookup and a filter per value), most
of these pages' time at a few items. The markup is the one the templates had, piece by
piece; every value from the database is escaped here, the translated messages are the
templates' (same msgids)."""

from collections import OrderedDict
from functools import lru_cache

from django import template
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from appraisal.models import AppraisalItem
from appraisal.templatetags.appraisal_items import item_facts
from perfcycle.charts import progress_chart_html
from perfcycle.formatting import format_date, gettext

register = template.Library()


e = conditional_escape


def _text(value) -> str:
    # {{ value|default:"—"|linebreaksbr }}
    return linebreaksbr(value or "—")


def _facts(item) -> str:
    """The item's facts line and description (~0.1 ms each to write: a choice label, four
    messages, three numbers), kept per what they show: items of one template share them."""
    return _facts_of(
        get_language(),
        item.section,
        item.weight,
        item.unit,
        item.target,
        item.actual,
        item.achievement_percent,
        item.description,
    )


@lru_cache(maxsize=1024)
def _facts_of(language, section, weight, unit, target, actual, achievement_percent, description):
    item = AppraisalItem(
        section=section,
        weight=weight,
        unit=unit,
        target=target,
        actual=actual,
        achievement_percent=achievement_percent,
    )
    shown = f'<p class="small mb-2">{linebreaksbr(description)}</p>' if description else ""
    return f'\n<p class="small text-body-secondary mb-2">{item_facts(item)}</p>\n{shown}\n'


def _rating_levels(row, legend: str) -> str:
    # the rating's fieldset around the levels (forms.assessment.LevelOptions)
    auto_id = e(row.rating.auto_id)
    errors = row.rating.errors
    described = f' aria-describedby="{auto_id}_error"' if errors else ""
    shown = "".join(
        f'<div class="invalid-feedback d-block" id="{auto_id}_error">{e(error)}</div>'
        for error in errors
    )
    return (
        f'\n<fieldset class="mb-3" data-required-message="'
        f'{gettext("Choose a rating for this item.")}" id="div_{auto_id}"{described}>\n'
        f'  <legend class="fs-6 fw-semibold mb-2">{legend}</legend>\n'
        '  <div class="pc-levels">\n'
        f"  {row.level_options}\n"
        "  </div>\n"
        f"  {shown}\n"
        "</fieldset>\n"
    )


def _evidence_checklist(row, options) -> str:
    # the evidence checklist's fieldset (forms.assessment.EvidenceOptions), or how to start
    field = row.evidence
    if options:
        choices = f"\n  {row.evidence_options}\n  "
    else:
        choices = (
            '\n  <p class="small text-body-secondary mb-0">'
            f"{gettext('No evidence recorded in this cycle yet.')} "
            f'<a href="{reverse("implementation:evidence-list")}">'
            f"{gettext('Record evidence')}</a></p>\n  "
        )
    errors = "".join(
        f'<div class="invalid-feedback d-block">{e(error)}</div>' for error in field.errors
    )
    return (
        f'\n<fieldset class="mb-3" id="div_{e(field.auto_id)}">\n'
        f'  <legend class="fs-6 fw-semibold mb-1">{e(field.label)}</legend>\n'
        f"  {choices}\n"
        f"  {errors}\n"
        "</fieldset>\n"
    )


def _textarea(field, *, rows: int, help_text: bool = False, errors: bool = False) -> str:
    """A comment field (forms.assessment.TextFieldView) with its label."""
    auto_id = e(field.auto_id)
    invalid = " is-invalid" if field.errors else ""
    value = "" if field.value is None else e(field.value)
    described = f' aria-describedby="{auto_id}_help"' if help_text else ""
    parts = [
        f'<div class="mb-3" id="div_{auto_id}">\n'
        f'          <label class="form-label fw-semibold" for="{auto_id}">{e(field.label)}</label>\n'
        f'          <textarea class="form-control{invalid}" name="{e(field.html_name)}" '
        f'id="{auto_id}" rows="{rows}"{described}>{value}</textarea>\n'
    ]
    if help_text:
        parts.append(
            f'          <div class="form-text" id="{auto_id}_help">{e(field.help_text)}</div>\n'
        )
    if errors or help_text:
        shown = "".join(
            f'<div class="invalid-feedback d-block">{e(error)}</div>' for error in field.errors
        )
        parts.append(f"          {shown}\n")
    parts.append("        </div>")
    return "".join(parts)


def _cited(records, *, separator: str, dates: bool = False) -> str:
    if not records:
        return "—"
    verified = gettext("verified")
    links = []
    for evidence in records:
        link = f'<a href="{e(evidence.get_absolute_url())}">{e(evidence.title)}</a>'
        if dates:
            mark = f", {verified}" if evidence.verified_at else ""
            link += (
                f' <span class="text-body-secondary">'
                f"({e(format_date(evidence.occurred_on))}{mark})</span>"
            )
        links.append(link)
    return separator.join(links)


# The newest goal columns, per what they show: the goal's context (its key says all it is
# made of, the goal's title and the language included) and the item's pk, title and unit.
COLUMNS_KEPT = 256
_columns: OrderedDict = OrderedDict()


def _goal_column(item, context) -> str:
    key = (context.key, item.pk, item.title, item.unit)
    html = _columns.get(key)
    if html is None:
        html = _columns[key] = _goal_context(item, context)
        while len(_columns) > COLUMNS_KEPT:
            _columns.popitem(last=False)
    else:
        _columns.move_to_end(key)
    return html


def _goal_context(item, context) -> str:
    """The goal's progress, check-ins and deviations (selectors.assessment.GoalContext)."""
    if context.chart:
        chart = progress_chart_html(context.chart, title=item.goal.title)
    else:
        chart = f'<p class="small text-body-secondary">{gettext("No progress recorded.")}</p>'
    parts = [f'\n        <h3 class="h6">{gettext("Progress")}</h3>\n        {chart}\n        ']
    if context.points:
        caption = gettext("Progress updates of “%(title)s”") % {"title": e(item.title)}
        points = "".join(
            f'<tr><td>{e(day)}</td><td class="num">{e(actual)}</td>'
            f'<td class="num">{e(expected)}</td></tr>'
            for day, actual, expected in context.points
        )
        parts.append(
            "\n"
            '        <div class="table-responsive"><table class="table table-sm small mb-3">\n'
            f'          <caption class="visually-hidden">{caption}</caption>\n'
            f'          <thead><tr><th scope="col">{gettext("As of")}</th>'
            f'<th scope="col" class="num">{gettext("Actual")}</th>'
            f'<th scope="col" class="num">{gettext("Expected")}</th></tr></thead>\n'
            f"          <tbody>{points}</tbody>\n"
            "        </table></div>\n"
            "        "
        )
    parts.append(f'\n        <h3 class="h6">{gettext("Check-ins")}</h3>\n        ')
    if context.checkins:
        unit = e(item.unit)
        lines = "".join(
            f'<li><a href="{e(url)}">{e(period)}</a>'
            + ("" if actual is None else f": {e(actual)} {unit}")
            + (f" — {e(note)}" if note else "")
            + "</li>"
            for url, period, actual, note in context.checkins
        )
        parts.append(
            f'<ul class="small ps-3" data-testid="checkin-history-{item.pk}">{lines}</ul>\n        '
        )
    else:
        parts.append(
            '<p class="small text-body-secondary">'
            f"{gettext('No check-in reported on this goal.')}</p>"
        )
    parts.append(f'\n        <h3 class="h6">{gettext("Deviations")}</h3>\n        ')
    if context.deviations:
        lines = "".join(
            f'<li><a href="{e(url)}">{e(detected_on)}</a> · {e(severity)} · {e(status)}'
            + (f" — {e(action)}" if action else "")
            + "</li>"
            for url, detected_on, severity, status, action in context.deviations
        )
        parts.append(
            f'<ul class="small ps-3" data-testid="deviations-{item.pk}">{lines}</ul>\n        '
        )
    else:
        parts.append(
            f'<p class="small text-body-secondary">{gettext("No deviation on this goal.")}</p>'
        )
    parts.append("\n        ")
    return "".join(parts)


def _rating_text(rating, level: str) -> str:
    return e(level) if rating is not None else gettext("Not rated")


@register.simple_tag(takes_context=True)
def review_item(context, item, goal_context, row) -> SafeString:
    """One item of the review page (appraisal/review.html): its facts, the goal's context,
    the self-assessment (once submitted: ``self_shown``) and the manager's side (the form's
    ``row`` while reviewing, else the ratings given)."""
    pk = item.pk
    parts = [
        "\n"
        f'  <section class="card pc-card mb-4" aria-labelledby="item-{pk}-heading" '
        f'data-item="{pk}"><div class="card-body">\n'
        f'    <h2 id="item-{pk}-heading" class="h5 mb-1">{e(item.title)}</h2>\n'
        f"    {_facts(item)}\n"
        '    <div class="row g-4">\n'
        '      <div class="col-lg-6">\n'
        "        "
    ]
    if goal_context:
        parts.append(_goal_column(item, goal_context))
    parts.append(f'\n        <h3 class="h6">{gettext("Self-assessment")}</h3>\n        ')
    if context["self_shown"]:
        parts.append(
            "\n"
            '        <dl class="row small mb-0">\n'
            f'          <dt class="col-sm-4">{gettext("Self rating")}</dt>\n'
            f'          <dd class="col-sm-8" data-testid="self-rating-{pk}">'
            f"{_rating_text(item.self_rating, item.self_level)}</dd>\n"
            f'          <dt class="col-sm-4">{gettext("Comment")}</dt>\n'
            f'          <dd class="col-sm-8">{_text(item.self_comment)}</dd>\n'
            f'          <dt class="col-sm-4">{gettext("Evidence cited")}</dt>\n'
            f'          <dd class="col-sm-8" data-testid="self-cited-{pk}">'
            f"{_cited(item.self_cited, separator='<br>', dates=True)}</dd>\n"
            "        </dl>\n"
            "        "
        )
    else:
        parts.append(
            f'<p class="small text-body-secondary mb-0">{gettext("Not submitted yet.")}</p>'
        )
    heading = gettext("Manager's review")
    parts.append(
        "\n"
        "      </div>\n"
        '      <div class="col-lg-6">\n'
        f'        <h3 class="h6">{heading}</h3>\n'
        "        "
    )
    suggested = item.suggested_rating
    if suggested is not None:
        message = gettext(
            "Suggested rating from the indicator's scoring rule: <strong>%(value)s</strong>."
        ) % {"value": e(localize(suggested))}
        parts.append(f'<p class="small mb-2" data-testid="suggestion-{pk}">{message}</p>')
    parts.append("\n        ")
    if row:
        parts.append(
            "\n"
            f"        {_rating_levels(row, gettext('Your rating'))}\n"
            f"        {_textarea(row.comment, rows=3)}\n"
            "        "
        )
        if suggested is not None:
            parts.append(
                f"\n        {_textarea(row.override_reason, rows=2, help_text=True)}\n        "
            )
        parts.append(
            f"\n        {_evidence_checklist(row, context['form'].evidence_options)}\n        "
        )
    else:
        reason = (
            f'<dt class="col-sm-4">{gettext("Why not the suggested rating")}</dt>'
            f'<dd class="col-sm-8">{linebreaksbr(item.override_reason)}</dd>'
            if item.override_reason
            else ""
        )
        parts.append(
            "\n"
            '        <dl class="row small mb-0">\n'
            f'          <dt class="col-sm-4">{gettext("Rating")}</dt>\n'
            f'          <dd class="col-sm-8" data-testid="manager-rating-{pk}">'
            f"{_rating_text(item.manager_rating, item.manager_level)}</dd>\n"
            f'          <dt class="col-sm-4">{gettext("Comment")}</dt>\n'
            f'          <dd class="col-sm-8">{_text(item.manager_comment)}</dd>\n'
            f"          {reason}\n"
            f'          <dt class="col-sm-4">{gettext("Evidence cited")}</dt>\n'
            f'          <dd class="col-sm-8">{_cited(item.manager_cited, separator=", ")}</dd>\n'
            "        </dl>\n"
            "        "
        )
    parts.append("\n      </div>\n    </div>\n  </div></section>\n  ")
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)


@register.simple_tag(takes_context=True)
def self_assessment_item(context, row) -> SafeString:
    """One item of my appraisal's form (appraisal/my_appraisal.html): the rating levels,
    the comment and the evidence to cite."""
    item = row.item
    pk = item.pk
    return mark_safe(  # noqa: S308 (every value escaped in the pieces)
        "\n"
        f'  <section class="card pc-card mb-4" aria-labelledby="item-{pk}-heading" '
        f'data-item="{pk}"><div class="card-body">\n'
        f'    <h2 id="item-{pk}-heading" class="h5 mb-1">{e(item.title)}</h2>\n'
        f"    {_facts(item)}\n"
        '    <div class="row g-3">\n'
        f'      <div class="col-lg-6">{_rating_levels(row, gettext("Your rating"))}</div>\n'
        '      <div class="col-lg-6">\n'
        f"        {_textarea(row.comment, rows=4, errors=True)}\n"
        f"        {_evidence_checklist(row, context['form'].evidence_options)}\n"
        "      </div>\n"
        "    </div>\n"
        "  </div></section>\n"
        "  "
    )


@register.simple_tag(takes_context=True)
def my_appraisal_item(context, item) -> SafeString:
    """One item of my appraisal once the form is closed: my side, and the manager's once
    HR released the ratings (``released``)."""
    pk = item.pk
    released = ""
    if context["released"]:
        rating, comment = gettext("Manager's rating"), gettext("Manager's comment")
        released = (
            "\n"
            f'    <dt class="col-sm-4">{rating}</dt>\n'
            f'    <dd class="col-sm-8" data-testid="manager-rating-{pk}">'
            f"{e(item.manager_level)}</dd>\n"
            f'    <dt class="col-sm-4">{comment}</dt>\n'
            f'    <dd class="col-sm-8">{_text(item.manager_comment)}</dd>\n'
            "    "
        )
    return mark_safe(  # noqa: S308 (every value escaped here or in the pieces)
        "\n"
        f'<section class="card pc-card mb-3" aria-labelledby="item-{pk}-heading" '
        f'data-item="{pk}"><div class="card-body">\n'
        f'  <h2 id="item-{pk}-heading" class="h5 mb-1">{e(item.title)}</h2>\n'
        f"  {_facts(item)}\n"
        '  <dl class="row mb-0">\n'
        f'    <dt class="col-sm-4">{gettext("Your rating")}</dt>\n'
        f'    <dd class="col-sm-8" data-testid="self-rating-{pk}">'
        f"{_rating_text(item.self_rating, item.self_level)}</dd>\n"
        f'    <dt class="col-sm-4">{gettext("Your comment")}</dt>\n'
        f'    <dd class="col-sm-8">{_text(item.self_comment)}</dd>\n'
        f'    <dt class="col-sm-4">{gettext("Evidence you cited")}</dt>\n'
        f'    <dd class="col-sm-8">{_cited(item.self_cited, separator=", ")}</dd>\n'
        f"    {released}\n"
        "  </dl>\n"
        "</div></section>\n"
    )
