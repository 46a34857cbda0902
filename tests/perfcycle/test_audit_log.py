"""The audit log reads as sentences HR understands: who did what to whose record, with
a link, the changed fields by their labels and values as pages show them, and filters
picked from lists. The stages register their sentences (perfcycle/audit.py)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.services import workflow as goal_workflow
from implementation.services import deviations
from perfcycle import audit, phases
from perfcycle.audit import record_event
from perfcycle.forms import AuditFilterForm
from perfcycle.models import AuditEvent, Cycle
from perfcycle.paging import ORGANISATION_PAGE_SIZE as PAGE
from perfcycle.workflow import SYSTEM
from tests.factories import enrol, make_cycle, make_employee, version_of
from tests.goals.factories import make_goal
from tests.implementation.factories import make_checkin, make_deviation

pytestmark = pytest.mark.django_db


def name(person):
    return person.user.get_full_name()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def sentences(client, **params):
    response = client.get(reverse("audit-list"), params)
    assert response.status_code == 200
    return [text(str(line.sentence)) for line in response.context["lines"]], response


@pytest.fixture
def planning(org):
    cycle = make_cycle("FY2026", start=dt.date(2026, 1, 1))
    enrol(cycle, org["employee"], org["peer"])
    return cycle


def test_planning_events_read_as_sentences_with_names_and_a_link(org, planning, login):
    """Submitting and approving a goal read "Employee Tester submitted their goal “Ship
    billing” for approval" and "Manager Tester approved Employee Tester’s goal “Ship
    billing”", the goal linked, not "goal.approved" and a username."""
    goal = make_goal(org["employee"], cycle=planning, title="Ship billing")
    goal_workflow.submit_goal(actor=org["employee"].user, goal=goal)
    goal_workflow.approve_goal(actor=org["manager"].user, goal=goal)
    lines, response = sentences(login(org["hr"]))
    assert lines == [
        f"{name(org['manager'])} approved {name(org['employee'])}’s goal “Ship billing”",
        f"{name(org['employee'])} submitted their goal “Ship billing” for approval",
    ]
    html = response.content.decode()
    assert f'<a href="{goal.get_absolute_url()}">“Ship billing”</a>' in html
    assert "goal.approved" not in text(html) and "goals.goal #" not in html


def test_implementation_events_read_as_sentences(org, login):
    """Agreeing a corrective action reads "Manager Tester agreed a corrective action on
    Employee Tester’s goal “…”"; the scheduler's check-in events read too."""
    cycle = make_cycle("FY2026", phase=Cycle.Phase.IMPLEMENTATION)
    (participation,) = enrol(cycle, org["employee"])
    goal = make_goal(org["employee"], cycle=cycle, status="approved", title="Cut churn")
    deviation = make_deviation(goal, participation=participation)
    deviations.agree_corrective_action(
        actor=org["manager"].user,
        deviation=deviation,
        action="Weekly review",
        follow_up_date=dt.date(2026, 6, 15),
        today=dt.date(2026, 6, 1),
        expected_version=version_of(deviation),
    )
    checkin = make_checkin(participation, period_start=dt.date(2026, 6, 1))
    record_event(actor=org["employee"].user, verb="checkin.submitted", obj=checkin)
    record_event(actor=SYSTEM, verb="checkins.marked_missed", obj=cycle, after={"count": 1234})
    lines, response = sentences(login(org["hr"]))
    period = checkin_period = audit.registry.kinds["implementation.checkin"].load([checkin.pk])
    checkin_period = period[str(checkin.pk)].text
    assert lines == [
        "PerfCycle (scheduled) marked 1,234 check-ins as missed",
        f"{name(org['employee'])} submitted their check-in for {checkin_period}",
        f"{name(org['manager'])} agreed a corrective action on {name(org['employee'])}’s "
        "goal “Cut churn”",
    ]
    changes = [
        text(c)
        for c in re.findall(r'data-testid="audit-change">(.*?)</li>', response.content.decode())
    ]
    # Labels are the fields' names; dates as every page shows them; no None → None.
    assert "Status: Open → Action agreed" in changes
    assert "Follow-up date: — → 15 Jun 2026" in changes
    assert "Corrective action: — → Weekly review" in changes
    assert not any("None" in c or "follow_up_date" in c for c in changes)


def test_core_events_and_scheduled_ones_read_as_sentences(org, login):
    """A phase change by HR and one by the scheduler both read as sentences; an event
    nobody registered still reads "<Actor> <verb words> <object>"."""
    cycle = make_cycle("FY2026")
    phases.advance_cycle_phase(actor=org["hr"].user, cycle_id=cycle.pk, to_phase="implementation")
    record_event(actor=org["hr"].user, verb="cycle.archived_early", obj=cycle)
    lines, response = sentences(login(org["hr"]))
    assert lines == [
        f"{name(org['hr'])} archived early FY2026",
        f"{name(org['hr'])} moved FY2026 to the implementation phase",
    ]
    assert "Phase: Planning → Implementation" in text(response.content.decode())


def test_a_deleted_record_still_reads_without_an_owner(org, planning, login):
    """A deleted goal has no owner to name: "… deleted the goal “Old”" (its stored text)."""
    goal = make_goal(org["employee"], cycle=planning, title="Old")
    goal_workflow.delete_goal(actor=org["employee"].user, goal=goal)
    lines, _response = sentences(login(org["hr"]))
    assert lines[0] == f"{name(org['employee'])} deleted the goal Old"


def test_filters_are_choices_grouped_by_stage(org):
    """The event filter lists each stage's kinds of event under the stage's name, and the
    record filter lists kinds of record; neither asks for a verb typed by hand."""
    form = AuditFilterForm()
    groups = dict(form.fields["kind"].choices[1:])
    assert {"Cycles and people", "Planning", "Implementation"} <= set(groups)
    assert ("deviation.action_agreed", "Corrective action agreed") in groups["Implementation"]
    assert ("goal.approved", "Goal approved") in groups["Planning"]
    assert ("cycle.phase_changed", "Phase changed") in groups["Cycles and people"]
    kinds = dict(form.fields["object_type"].choices)
    assert kinds["goals.goal"] == "Goal" and kinds["implementation.deviation"] == "Deviation"
    assert "verb" not in form.fields


def test_filtering_by_kind_person_record_and_dates(org, planning, login):
    """HR narrows the log by kind of event, by who acted (part of a name), by kind of
    record and by dates; an end before the start is a 400 with the reason."""
    goal = make_goal(org["employee"], cycle=planning, title="Ship billing")
    goal_workflow.submit_goal(actor=org["employee"].user, goal=goal)
    other = make_cycle("FY2027")
    phases.advance_cycle_phase(actor=org["hr"].user, cycle_id=other.pk, to_phase="implementation")
    client = login(org["hr"])
    lines, _ = sentences(client, kind="cycle.phase_changed")
    assert lines == [f"{name(org['hr'])} moved FY2027 to the implementation phase"]
    lines, _ = sentences(client, person=org["employee"].user.first_name.lower())
    assert [line.split(" submitted")[0] for line in lines] == [name(org["employee"])]
    lines, _ = sentences(client, object_type="goals.goal")
    assert len(lines) == 1 and "submitted their goal" in lines[0]
    today = dt.date.today().isoformat()
    assert len(sentences(client, date_from=today, date_to=today)[0]) == 2
    response = client.get(
        reverse("audit-list"), {"date_from": "2026-05-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "before the start date" in response.content.decode()
    response = client.get(reverse("audit-list"), {"kind": "no.such_verb"})
    assert response.status_code == 400


def test_the_audit_log_is_hr_only(org, login):
    """Employees and managers do not find the audit log."""
    assert login(org["manager"]).get(reverse("audit-list")).status_code == 404


def _seed(org, n):
    """``n`` events of each main kind, each by another person about another record."""
    cycle = make_cycle(f"Cycle of {n}", phase=Cycle.Phase.IMPLEMENTATION)
    for i in range(n):
        person = make_employee(manager=org["manager"])
        (participation,) = enrol(cycle, person)
        goal = make_goal(person, cycle=cycle, status="approved", title=f"Goal {i}")
        deviation = make_deviation(goal, participation=participation)
        checkin = make_checkin(participation, period_start=dt.date(2026, 2, 1))
        record_event(
            actor=person.user,
            verb="goal.submitted",
            obj=goal,
            before={"status": "draft"},
            after={"status": "submitted", "parent": None},
        )
        record_event(
            actor=org["manager"].user,
            verb="deviation.action_agreed",
            obj=deviation,
            after={"agreed_in": checkin.pk, "follow_up_date": "2026-03-01"},
        )
        record_event(
            actor=person.user,
            verb="checkin.submitted",
            obj=checkin,
            after={"is_late": False, "submitted_at": "2026-02-27T10:00:00+00:00"},
        )
        record_event(
            actor=SYSTEM,
            verb="cycle.phase_changed",
            obj=cycle,
            after={"phase": "implementation", "weight": str(Decimal("12.5"))},
        )
        record_event(
            actor=org["hr"].user,
            verb="employee.updated",
            obj=person,
            before={"manager": None},
            after={"manager": org["manager"].pk},
        )


def test_the_audit_page_costs_the_same_queries_at_any_size(org, login):
    """A full page of events of every kind costs the same few queries with 2 people's
    events as with 20 (names and owners are loaded per page, not per row), ≤ 12."""
    client = login(org["hr"])
    counts = []
    for n in (2, 20):
        _seed(org, n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("audit-list"))
        assert response.status_code == 200
        assert len(response.context["lines"]) == min(AuditEvent.objects.count(), PAGE)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts
    assert 'data-testid="older"' in response.content.decode()
    older = client.get(reverse("audit-list"), {"page": 2})
    assert len(older.context["lines"]) == min(AuditEvent.objects.count() - PAGE, PAGE)


def test_a_new_stage_registers_its_sentences_and_names_stay_escaped(org, planning):
    """A later stage (appraisal, say) registers a verb and a kind of record and its
    events read at once; a title with markup is shown as text, never as HTML."""
    registry = audit.AuditRegistry()
    registry.register_kind(
        audit.ObjectKind(
            "goals.goal",
            "goal",
            load=lambda ids: {
                i: audit.Target("“<b>Bold</b>”", "Ann <i>", "/g/", None) for i in ids
            },
        )
    )
    registry.register_verb(
        audit.Verb(
            "appraisal.rated", "%(actor)s rated %(whose)s goal %(object)s", "Rated", "Appraisal"
        )
    )
    goal = make_goal(org["employee"], cycle=planning, title="x")
    event = record_event(actor=org["manager"].user, verb="appraisal.rated", obj=goal)
    event = AuditEvent.objects.select_related("actor").get(pk=event.pk)
    (line,) = audit.describe([event], registry=registry)
    assert str(line.sentence) == (
        f"{name(org['manager'])} rated Ann &lt;i&gt;’s goal "
        '<a href="/g/">“&lt;b&gt;Bold&lt;/b&gt;”</a>'
    )
    assert registry.verb_choices() == [("Appraisal", [("appraisal.rated", "Rated")])]
