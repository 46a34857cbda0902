"""The review page and my appraisal written in Python (appraisal/templatetags/
assessment_cards.py, perfcycle.charts.progress_chart_html) and read through SQL compiled
once (appraisal/selectors/assessment.py): the compiled reads give the ORM's rows, a goal's
context kept between requests shows what changed since, and what people typed is escaped
(review3 lane)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import AppraisalItem, ItemEvidence
from appraisal.selectors import assessment as selectors
from goals.models import SectionKind
from implementation.models import Evidence, ProgressUpdate
from perfcycle.charts import progress_chart, progress_chart_html
from tests.appraisal.factories import appraisal_of, open_org
from tests.appraisal.review_factories import items_of, make_evidence, self_submitted

pytestmark = pytest.mark.django_db


def _setup():
    org = open_org()
    return org, appraisal_of(org, org.employee)


def _progress(org, item, value: str, day: dt.date) -> None:
    ProgressUpdate.objects.create(
        goal=item.goal, value=Decimal(value), recorded_on=day, recorded_by=org.employee.user
    )


def _detail(client, person, appraisal) -> str:
    client.force_login(person.user)
    response = client.get(reverse("appraisal:appraisal-detail", args=[appraisal.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_the_compiled_items_and_citations_are_the_orms():
    """assessment_items reads the items with their goals and the citations with their
    evidence as the ORM's queries do (the peer item left out, in position order)."""
    _org, appraisal = _setup()
    first, second = items_of(appraisal)[:2]
    early = make_evidence(appraisal.participation, title="Early")
    Evidence.objects.filter(pk=early.pk).update(occurred_on=dt.date(2026, 1, 5))
    late = make_evidence(appraisal.participation, title="Late")
    ItemEvidence.objects.create(item=first, evidence=late, cited_by="self")
    ItemEvidence.objects.create(item=first, evidence=early, cited_by="self")
    ItemEvidence.objects.create(item=second, evidence=late, cited_by="manager")
    expected = list(
        AppraisalItem.objects.filter(appraisal=appraisal)
        .exclude(section=SectionKind.PEER)
        .select_related("goal__cycle", "goal__indicator")
        .order_by("position", "pk")
    )
    with CaptureQueriesContext(connection) as queries:
        items = selectors.assessment_items(appraisal)
    assert len(queries) == 2
    assert [i.pk for i in items] == [i.pk for i in expected]
    assert [(i.goal_id, i.goal and i.goal.cycle_id) for i in items] == [
        (i.goal_id, i.goal and i.goal.cycle_id) for i in expected
    ]
    by_pk = {i.pk: i for i in items}
    assert [e.title for e in by_pk[first.pk].self_cited] == ["Early", "Late"]
    assert by_pk[first.pk].manager_cited == []
    assert [e.title for e in by_pk[second.pk].manager_cited] == ["Late"]


def test_a_kept_goal_context_shows_what_changed_since(client):
    """A goal's chart and tables are kept per what they are made of: a new progress update
    shows on the next request, for every reader."""
    org, appraisal = _setup()
    appraisal = self_submitted(appraisal)
    goal_item = next(i for i in items_of(appraisal) if i.goal_id)
    _progress(org, goal_item, "41", dt.date(2026, 6, 1))
    before = _detail(client, org.manager, appraisal)
    assert '<td class="num">41</td>' in before
    assert _without_tokens(_detail(client, org.manager, appraisal)) == _without_tokens(before)
    _progress(org, goal_item, "77.5", dt.date(2026, 7, 1))
    after = _detail(client, org.manager, appraisal)
    assert '<td class="num">77.5</td>' in after and '<td class="num">41</td>' in after
    assert '<td class="num">77.5</td>' in _detail(client, org.hr, appraisal)


def test_the_cards_escape_what_people_typed(client):
    """Titles, comments and cited evidence are escaped in the cards written in Python;
    line breaks of a comment become <br>."""
    org, appraisal = _setup()
    appraisal = self_submitted(appraisal)
    item = items_of(appraisal)[0]
    AppraisalItem.objects.filter(pk=item.pk).update(
        title="<b>Bold</b> & co", self_comment="line <one>\nline two"
    )
    evidence = make_evidence(appraisal.participation, title="<script>x</script>")
    ItemEvidence.objects.create(item=item, evidence=evidence, cited_by="self")
    html = _detail(client, org.manager, appraisal)
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html and "<b>Bold</b>" not in html
    assert "line &lt;one&gt;<br>line two" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html


def test_the_progress_chart_escapes_its_title_and_labels():
    """The chart written in Python: the goal's title escaped, the legend of the expected
    line only when there is one, today's marker inside the period."""
    start, due = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    chart = progress_chart(
        series=[(dt.date(2026, 3, 1), Decimal("20"))],
        expected=[(start, Decimal("0")), (due, Decimal("100"))],
        today=dt.date(2026, 6, 1),
    )
    html = progress_chart_html(chart, title="<i>Grow</i> & win")
    assert "Progress of “&lt;i&gt;Grow&lt;/i&gt; &amp; win”" in html
    assert 'data-line="expected"' in html and "Expected (straight line" in html
    assert ">today</text>" in html and html.count("<circle") == 1
    bare = progress_chart(series=[(start, Decimal("5"))], expected=[], today=dt.date(2027, 6, 1))
    html = progress_chart_html(bare, title="G")
    assert 'data-line="expected"' not in html and ">today</text>" not in html
