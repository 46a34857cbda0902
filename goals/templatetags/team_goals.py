"""The team page's rows, written in Python:

{% load team_goals %}
{% team_person_rows person goals can_plan %}    one person's <tbody> (goals/team_goals.html)

Through the template a goal's row cost ~0.15 ms (a lookup and a filter per value, the
status badge's include, a translated label), most of the page's time for a VP's team.
The markup is the one the template had, piece by piece: every value from the database is
escaped here, the messages are the template's (same msgids) and the two badges are their
own templates, rendered once per language and what they show."""

from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as translate

from goals.models import GoalStatus
from perfcycle.formatting import format_date, format_number

register = template.Library()

e = conditional_escape


def gettext(message: str) -> str:
    """Django's gettext, kept per language and message (named gettext so that
    makemessages finds the messages)."""
    return _translated(get_language(), message)


@lru_cache(maxsize=64)
def _translated(language: str | None, message: str) -> str:
    return translate(message)


@lru_cache(maxsize=64)
def _readiness_badge(language: str | None, readiness: str) -> str:
    return render_to_string("goals/goal_readiness_badge.html", {"readiness": readiness})


@lru_cache(maxsize=64)
def _status_badge(language: str | None, status: str, is_locked: bool, pending: bool) -> str:
    goal = {
        "status": status,
        "is_locked": is_locked,
        "has_pending_adjustment": pending,
        "get_status_display": GoalStatus(status).label if status in GoalStatus else status,
    }
    return render_to_string("goals/goal_status_badge.html", {"goal": goal})


@lru_cache(maxsize=256)
def _number(language: str | None, value) -> str:
    # A team's weights repeat (25, 30, 100 …): each formatted once per language.
    return e(format_number(value))


_PK = 2_147_483_647  # in the goal page's URL once, where a goal's id goes


def _goal_urls(context) -> tuple[str, str]:
    """The goal page's URL before and after the id, reversed once per page's render."""
    cache = context.render_context.dicts[0]
    url = cache.get(_goal_urls)
    if url is None:
        head, _, tail = reverse("goals:goal-detail", args=[_PK]).rpartition(str(_PK))
        url = cache[_goal_urls] = (head, tail)
    return url


def _goal_row(goal: dict, *, can_plan: bool, locks: bool, language, url: tuple) -> str:
    pk = goal["pk"]
    status = goal["status"]
    title = e(goal["title"])
    tick = ""
    if status == GoalStatus.SUBMITTED and can_plan:
        label = gettext("Select %(title)s") % {"title": title}
        tick = (
            f'<input class="form-check-input" type="checkbox" name="goal" value="{pk}" '
            f'id="goal-{pk}" aria-label="{label}">'
        )
    badge = _status_badge(
        language,
        status,
        status == GoalStatus.APPROVED and locks,
        bool(goal["has_pending_adjustment"]),
    )
    if goal["parent_id"] is not None:
        parent = e(goal["parent__title"])
    else:
        parent = '<span class="text-body-secondary">—</span>'
    due = format_date(goal["due_date"]) or "—"
    return (
        f'\n        <tr data-goal="{pk}">\n'
        f"          <td>{tick}</td>\n"
        f'          <td><a href="{url[0]}{pk}{url[1]}">{title}</a> {badge}</td>\n'
        f"          <td>{parent}</td>\n"
        f'          <td class="num">{_number(language, goal["weight"])} %</td>\n'
        f"          <td>{e(due)}</td>\n"
        "        </tr>\n        "
    )


@register.simple_tag(takes_context=True)
def team_person_rows(context, person, goals, can_plan=False):
    """One person's <tbody>: their name, readiness and weight totals, then their goals
    (values rows: goals.selectors.TEAM_GOAL_VALUES) or that they have none."""
    language = get_language()
    employee = person.employee
    weights = gettext("%(planned)s %% planned · %(approved)s %% approved") % {
        "planned": _number(language, person.planned_weight),
        "approved": _number(language, person.approved_weight),
    }
    head = (
        f'<tbody data-person="{person.employee_id}">\n'
        '        <tr class="table-light">\n'
        '          <th scope="rowgroup" colspan="5"><div class="d-flex flex-wrap '
        'justify-content-between align-items-center gap-2">\n'
        f"            <span>{e(employee.full_name)} "
        f'<span class="fw-normal text-body-secondary small">{e(employee.job_title)}</span> '
        f"{_readiness_badge(language, person.readiness)}</span>\n"
        f'            <span class="fw-normal small" data-testid="person-weights">{weights}</span>\n'
        "          </div></th>\n"
        "        </tr>\n        "
    )
    if goals:
        # An approved goal is locked once its cycle has left planning (Goal.is_locked).
        locks = context["cycle"].phase != context["cycle"].Phase.PLANNING
        url = _goal_urls(context)
        rows = "".join(
            _goal_row(goal, can_plan=can_plan, locks=locks, language=language, url=url)
            for goal in goals
        )
    else:
        rows = (
            '\n        <tr><td></td><td colspan="4" class="text-body-secondary small">'
            f"{gettext('No goals yet.')}</td></tr>\n        "
        )
    return mark_safe(f"{head}{rows}\n      </tbody>")
