"""HR's feedback lists read through SQL built once and rows written in Python: what they
show is what the querysets and the templates they replaced showed.

- interview completion: a page of people read by the compiled query (departments as a
  range, the page as row numbers) is the queryset's page, for every group, department,
  page size and page number;
- improvement plans: the counts by status from the compiled query are the aggregate's,
  the cycles the queryset's, a row's link the plan page's;
- the root-cause report: the rows written in Python are the template's markup."""

import re
from types import SimpleNamespace

import pytest
from django.db.models import Count, Q
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from appraisal.models import Appraisal
from feedback.models import ImprovementPlan, Interview, InterviewStatus, PlanStatus
from feedback.selectors import interviews as completion
from feedback.selectors import plans as plan_selectors
from feedback.selectors.carry import CauseGroup, CauseReport
from feedback.templatetags import cause_report
from perfcycle.models import Cycle
from perfcycle.paging import get_page_by_groups
from tests.feedback.test_daily_page_queries import base, grow

pytestmark = pytest.mark.django_db


# --- Interview completion --------------------------------------------------------------------


def _pages(cycle, lines, *, group, department, per_page):
    """Every page (and one past the end) as the queryset reads it and as the compiled
    query does."""
    groups = completion.completion_groups(lines, group=group, department=department)
    total = sum(n for _value, n in groups)
    for number in range(1, -(-total // per_page) + 2):
        orm = get_page_by_groups(
            completion.completion_list(cycle, group=group, department=department),
            number,
            per_page=per_page,
            field=completion.COMPLETION_GROUPED_BY,
            groups=groups,
        )
        compiled = get_page_by_groups(
            None,
            number,
            per_page=per_page,
            field=completion.COMPLETION_GROUPED_BY,
            groups=groups,
            read=lambda first, last, skip, count: completion.completion_page(
                cycle, group=group, first=first, last=last, skip=skip, count=count
            ),
        )
        yield orm, compiled


def test_the_compiled_completion_pages_are_the_querysets():
    org, _rows = base()
    grow(org, 12)
    # Departments that sort apart (none, lower case, accented) and two people of a name.
    people = list(
        Appraisal.objects.filter(
            participation__cycle=org.cycle, released_at__isnull=False
        ).order_by("pk")[:5]
    )
    for appraisal, name in zip(people, ["", "ärzte", "b-team", "b-team", "Zulu"], strict=True):
        Appraisal.objects.filter(pk=appraisal.pk).update(department_name=name)
    scheduled = Interview.objects.filter(status=InterviewStatus.SCHEDULED).order_by("pk")[0]
    Interview.objects.filter(pk=scheduled.pk).update(status=InterviewStatus.CANCELLED)
    cycle = Cycle.objects.get(pk=org.cycle.pk)
    lines, total = completion.completion_by_department(cycle, today=timezone.localdate())
    assert total.total >= 12 and total.cancelled == 1 and len(lines) >= 6
    seen = 0
    for group in ("", *completion.GROUPS):
        for department in (None, *(line.key or "" for line in lines)):
            for per_page in (1, 2, 5):
                for orm, compiled in _pages(
                    cycle, lines, group=group, department=department, per_page=per_page
                ):
                    assert compiled.object_list == orm.object_list, (group, department)
                    assert (compiled.number, compiled.paginator.num_pages) == (
                        orm.number,
                        orm.paginator.num_pages,
                    )
                    seen += len(orm.object_list)
    assert seen > 0


def test_the_completion_page_shows_its_people_in_order(client):
    org, _rows = base()
    grow(org, 8)
    client.force_login(org.hr.user)
    url = reverse("feedback:interview-completion")
    response = client.get(url)
    cycle = response.context["cycle"]
    expected = list(completion.completion_list(cycle)[:25])
    shown = [row.pk for row, _group in response.context["rows"]]
    assert shown == [values["pk"] for values in expected]
    html = response.content.decode()
    assert re.findall(r'data-appraisal="(\d+)"', html) == [str(pk) for pk in shown]


# --- Improvement plans ------------------------------------------------------------------------


def _aggregate(qs) -> dict:
    return qs.aggregate(
        total=Count("pk"),
        required=Count("pk", filter=Q(required=True)),
        **{status: Count("pk", filter=Q(status=status)) for status in PlanStatus.values},
    )


def test_the_compiled_plan_counts_and_cycles_are_the_querysets():
    org, _rows = base()
    grow(org, 8)
    ImprovementPlan.objects.filter(pk=ImprovementPlan.objects.order_by("pk")[0].pk).update(
        required=False, status=PlanStatus.NOT_MET
    )
    assert plan_selectors.hr_counts() == _aggregate(ImprovementPlan.objects.all())
    assert plan_selectors.hr_counts(cycle_id=org.cycle.pk) == _aggregate(
        ImprovementPlan.objects.filter(participation__cycle=org.cycle)
    )
    assert plan_selectors.hr_counts(cycle_id=org.cycle.pk + 1000)["total"] == 0
    assert plan_selectors.hr_cycles() == list(
        Cycle.objects.filter(
            pk__in=ImprovementPlan.objects.values("participation__cycle_id")
        ).order_by("-start_date", "-pk")
    )


def test_a_plan_rows_link_is_the_plan_page(client):
    org, _rows = base()
    grow(org, 4)
    client.force_login(org.hr.user)
    html = client.get(reverse("feedback:plan-hr")).content.decode()
    plans = ImprovementPlan.objects.all()
    assert plans.count() >= 2
    for plan in plans:
        assert f'href="{reverse("feedback:plan-detail", args=[plan.pk])}"' in html


# --- Root-cause report ------------------------------------------------------------------------

# The report's rows as carry_root_cause_report.html wrote them before they were written in
# Python.
_TEMPLATE = """{% load i18n %}
{% for cause, count, share in report.total_cells %}
<tr data-cause="{{ cause.pk }}"><th scope="row" class="fw-normal">{{ cause.name }}{% if not cause.is_active %} <span class="badge text-bg-secondary">{% translate "Retired" %}</span>{% endif %}</th><td class="text-end">{{ count|format_number }}</td><td class="text-end"><span class="d-inline-flex align-items-center gap-2"><span class="pc-bar d-none d-sm-inline-block bg-primary" style="width: {{ share }}px; height: .5rem" aria-hidden="true"></span>{{ share }} %</span></td></tr>
{% endfor %}|
{% for row in report.rows %}
<tr data-group="{{ row.group.label }}"{% if row.group.merged %} class="text-body-secondary"{% endif %}><th scope="row" class="fw-normal">{{ row.group.label }}</th><td class="text-end">{{ row.group.people|format_number }}</td>{% for cause, count, share in row.cells %}<td class="text-end text-nowrap">{{ count|format_number }} <span class="small text-body-secondary">({{ share }} %)</span></td>{% endfor %}</tr>
{% endfor %}|
{% for cause, count, share in report.total_cells %}<td class="text-end text-nowrap">{{ count|format_number }} <span class="small text-body-secondary">({{ share }} %)</span></td>{% endfor %}"""  # noqa: E501


def _squeezed(html: str) -> str:
    return re.sub(r"\s+", "", str(html))


def test_the_root_cause_rows_are_the_templates_markup():
    causes = [
        SimpleNamespace(pk=4, name="Goal <clarity> & “scope”", is_active=True),
        SimpleNamespace(pk=9, name="Tools", is_active=False),
        SimpleNamespace(pk=2, name="Workload", is_active=True),
    ]
    groups = [
        CauseGroup(label="R&D <Labs>", people=1234, counts={4: 1200, 9: 7}),
        CauseGroup(label="Support", people=3, counts={2: 3}),
        CauseGroup(label="Other departments", people=5, counts={4: 1}, departments=2, merged=True),
    ]
    total = CauseGroup(label="All", people=1242, counts={4: 1201, 9: 7, 2: 3}, merged=True)
    report = CauseReport(causes, groups, total, hidden_people=0, hidden_departments=0)
    old = engines["django"].from_string(_TEMPLATE).render({"report": report})
    new = "|".join(
        [
            cause_report.top_cause_rows(report),
            cause_report.department_cause_rows(report),
            cause_report.total_cause_cells(report),
        ]
    )
    assert _squeezed(new) == _squeezed(old)
    assert "R&amp;D &lt;Labs&gt;" in new and "1,234" in new and "Retired" in new


def test_the_plans_head_follows_the_filters_and_the_cycle(client):
    """The title and filters are kept per what they show: the filter chosen, the cycle's
    name."""
    org, _rows = base()
    client.force_login(org.hr.user)
    url = reverse("feedback:plan-hr")
    chosen = '<option value="active" selected>'
    assert chosen in client.get(url, {"status": "active"}).content.decode()
    assert chosen not in client.get(url).content.decode()
    Cycle.objects.filter(pk=org.cycle.pk).update(name="Renamed cycle")
    html = client.get(url, {"cycle": org.cycle.pk}).content.decode()
    assert f'<option value="{org.cycle.pk}" selected>Renamed cycle</option>' in html
