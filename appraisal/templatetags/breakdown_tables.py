"""The score explained (appraisal/breakdown_tables.html), written in Python:

{% load breakdown_tables %}
{% breakdown_tables breakdown lines %}   breakdown: scoring.Breakdown; lines: breakdown_rows

Through Django's templates the tables cost ~0.5–1 ms (each line ~0.1 ms: four numbers
through a filter, a translated message, each cited evidence's URL reversed; twenty
translated headings), a fifth of "My result"'s and the breakdown page's rendering. The
markup is the template's, cell by cell (the template now only calls this); every value
is escaped here, the messages are the template's (same msgids, not escaped, as
``{% translate %}`` leaves a literal's)."""

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape as e
from django.utils.safestring import mark_safe

from perfcycle.formatting import format_date, format_number, gettext
from perfcycle.reversing import url_with_id

register = template.Library()


def _t(message: str) -> str:
    """``{% translate "message" %}``: the translation, as the tag leaves it (a literal's
    translation is safe: not escaped)."""
    return gettext(message)


def _shown(value) -> str:
    """A value as ``{{ value }}`` shows it."""
    return e(str(localize(value)))


def _number(value, places=None) -> str:
    # {{ value|format_number }} / {{ value|format_number:2 }} (the filter shows what is no
    # number as it is).
    try:
        return e(format_number(value, decimal_places=places))
    except (ArithmeticError, TypeError, ValueError):
        return _shown(value)


def _score(value) -> str:
    # {% if value is not None %}{{ value|format_number:2 }}{% else %}—{% endif %}
    return _number(value, 2) if value is not None else "—"


def _evidence(item, evidence_view: str) -> str:
    if item is None:
        return "—"
    self_cited = getattr(item, "self_cited", None) or ()
    manager_cited = getattr(item, "manager_cited", None) or ()
    if not self_cited and not manager_cited:
        return "—"
    links = [
        f'<a href="{e(url_with_id(evidence_view, evidence.pk))}">{e(evidence.title)}</a>'
        for evidence in (*self_cited, *manager_cited)
    ]
    return ", ".join(links)


def _lines(lines) -> str:
    no_input = _t("no input")
    was = gettext("changed after dispute, was %(before)s")
    evidence_view = "implementation:evidence-detail"
    out = []
    for line, item, revision in lines:
        key = _shown(line.key)
        weight = f"{_number(line.shown_weight, 2)} %" if line.shown_weight is not None else "—"
        rating = _number(line.rating) if line.rating is not None else no_input
        if revision:
            before = _shown(revision.from_rating or "—")
            rating += (
                f'<div class="small text-body-secondary" data-revised="{key}">'
                f"{was % {'before': before}}</div>"
            )
        out.append(
            f'\n    <tr data-line="{key}">\n'
            f'      <td>{_shown(line.label)}<div class="small text-body-secondary">'
            f"{_shown(line.section)}</div></td>\n"
            f'      <td class="num">{_number(line.weight)} %</td>\n'
            f'      <td class="num">{weight}</td>\n'
            f'      <td class="num">{rating}</td>\n'
            f'      <td class="num" data-contribution="{key}">'
            f"{_score(line.shown_contribution)}</td>\n"
            f'      <td class="d-none d-md-table-cell small">{_evidence(item, evidence_view)}</td>\n'
            "    </tr>\n    "
        )
    return "".join(out)


def _summary(breakdown) -> str:
    band = ""
    if breakdown.band:
        band = f' · <span data-testid="band">{_shown(breakdown.band.label)}</span>'
    return (
        '<div class="row g-3 mb-4" data-testid="score-summary">\n'
        '  <div class="col-6 col-md-3"><div class="card pc-card h-100"><div class="card-body">'
        f'<div class="pc-stat" data-testid="proposed-score">{_score(breakdown.proposed_score)}'
        f'</div><div class="small text-body-secondary">{_t("from the ratings")}</div></div>'
        "</div></div>\n"
        '  <div class="col-6 col-md-3"><div class="card pc-card h-100"><div class="card-body">'
        f'<div class="pc-stat" data-testid="final-score">{_score(breakdown.final_score)}</div>'
        f'<div class="small text-body-secondary">{_t("final score")}{band}</div></div></div>'
        "</div>\n</div>\n"
    )


def _lines_section(breakdown, lines) -> str:
    caption = _t(
        "Each item's rating times its effective weight (its share of the whole score after "
        "re-weighting) gives its contribution; the contributions add up to the score from "
        "the ratings."
    )
    notes = ""
    if breakdown.notes:
        notes = (
            '<ul class="small text-body-secondary mt-3 mb-0" data-testid="breakdown-notes">'
            + "".join(f"<li>{_shown(note.message)}</li>" for note in breakdown.notes)
            + "</ul>"
        )
    return (
        '<section class="card pc-card mb-4" aria-labelledby="lines-heading">'
        '<div class="card-body">\n'
        f'  <h2 id="lines-heading" class="h5">{_t("How the score adds up")}</h2>\n'
        '  <div class="table-responsive">\n'
        '  <table class="table table-sm align-middle mb-0" data-testid="breakdown-table">\n'
        f'    <caption class="small">{caption}</caption>\n'
        "    <thead><tr>\n"
        f'      <th scope="col">{_t("Item")}</th>\n'
        f'      <th scope="col" class="num">{_t("Weight")}</th>\n'
        f'      <th scope="col" class="num">{_t("Effective weight")}</th>\n'
        f'      <th scope="col" class="num">{_t("Rating")}</th>\n'
        f'      <th scope="col" class="num">{_t("Contribution")}</th>\n'
        f'      <th scope="col" class="d-none d-md-table-cell">{_t("Evidence")}</th>\n'
        "    </tr></thead>\n"
        f"    <tbody>\n    {_lines(lines)}\n    </tbody>\n"
        '    <tfoot><tr class="fw-semibold"><th scope="row" colspan="4">'
        f'{_t("Score from the ratings")}</th><td class="num" data-testid="lines-total">'
        f'{_score(breakdown.proposed_score)}</td><td class="d-none d-md-table-cell"></td>'
        "</tr></tfoot>\n"
        "  </table>\n  </div>\n"
        f"  {notes}\n"
        "</div></section>\n"
    )


def _calibration_section(breakdown) -> str:
    if breakdown.calibration:
        steps = []
        for step in breakdown.calibration:
            delta = "—"
            if step.delta is not None:
                delta = ("+" if step.delta > 0 else "") + _number(step.delta, 2)
            steps.append(
                f'<tr><td class="num">{_score(step.from_score)}</td>'
                f'<td class="num">{_number(step.to_score, 2)}</td>'
                f'<td class="num">{delta}</td><td>{_shown(step.reason)}</td></tr>'
            )
        body = (
            '\n  <div class="table-responsive">'
            '<table class="table table-sm mb-0" data-testid="calibration-table">\n'
            f'    <thead><tr><th scope="col" class="num">{_t("From")}</th>'
            f'<th scope="col" class="num">{_t("To")}</th>'
            f'<th scope="col" class="num">{_t("Change")}</th>'
            f'<th scope="col">{_t("Reason")}</th></tr></thead>\n'
            f"    <tbody>{''.join(steps)}</tbody>\n"
            '    <tfoot><tr class="fw-semibold"><th scope="row" colspan="3">'
            f'{_t("Final score")}</th><td data-testid="calibrated-total">'
            f"{_number(breakdown.final_score, 2)}</td></tr></tfoot>\n"
            "  </table></div>\n  "
        )
    else:
        message = _t("No calibration change: the final score is the score from the ratings.")
        body = f'\n  <p class="mb-0 text-body-secondary">{message}</p>'
    return (
        '<section class="card pc-card mb-4" aria-labelledby="calibration-heading">'
        '<div class="card-body">\n'
        f'  <h2 id="calibration-heading" class="h5">{_t("Calibration")}</h2>\n'
        f"  {body}\n"
        "</div></section>\n"
    )


def _revisions_section(breakdown) -> str:
    if not breakdown.revisions:
        return ""
    changed = gettext("Changed after dispute: %(reason)s")
    rows = "".join(
        f'<tr data-revision="{_shown(revision.key)}"><td>{_shown(revision.label)}</td>'
        f'<td class="num">{_shown(revision.from_rating or "—")}</td>'
        f'<td class="num">{_shown(revision.to_rating)}</td>'
        f"<td>{changed % {'reason': _shown(revision.reason)}}</td>"
        f'<td class="d-none d-md-table-cell small">{_shown(revision.by)} · '
        f"{e(format_date(revision.at))}</td></tr>"
        for revision in breakdown.revisions
    )
    explained = _t(
        "These ratings were changed after the result was released, when a dispute was "
        "decided. The score from the ratings above already counts them; calibration changes "
        "made before keep their size."
    )
    return (
        '<section class="card pc-card mb-4" aria-labelledby="revisions-heading">'
        '<div class="card-body">\n'
        f'  <h2 id="revisions-heading" class="h5">{_t("Changed after a dispute")}</h2>\n'
        f'  <p class="small text-body-secondary">{explained}</p>\n'
        '  <div class="table-responsive">'
        '<table class="table table-sm mb-0" data-testid="revisions-table">\n'
        f'    <thead><tr><th scope="col">{_t("Item")}</th>'
        f'<th scope="col" class="num">{_t("From")}</th>'
        f'<th scope="col" class="num">{_t("To")}</th>'
        f'<th scope="col">{_t("Reason")}</th>'
        f'<th scope="col" class="d-none d-md-table-cell">{_t("Decided")}</th></tr></thead>\n'
        f"    <tbody>{rows}</tbody>\n"
        "  </table></div>\n"
        "</div></section>\n"
    )


@register.simple_tag
def breakdown_tables(breakdown, lines) -> str:
    return mark_safe(  # noqa: S308 - every value in these parts is escaped
        _summary(breakdown)
        + _lines_section(breakdown, lines)
        + _calibration_section(breakdown)
        + _revisions_section(breakdown)
    )
