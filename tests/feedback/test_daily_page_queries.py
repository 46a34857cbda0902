"""Every daily page of the feedback stage, for each role, costs the same number of queries
in a small organisation and after it grows (more people in more departments, with more
interviews in every state, answers, disputes for the same resolver, plans and next-cycle
goals), within the daily-page budget of 12. HR's pages must not grow with the number of
interviews, and the reviewer's Interviews list is paged."""

import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import Appraisal, AppraisalItem
from feedback.models import (
    Acknowledgement,
    Dispute,
    ImprovementPlan,
    Interview,
)
from feedback.selectors import interviews as interview_selectors
from feedback.services import consensus
from feedback.services import interviews as interview_services
from tests.appraisal.factories import appraisal_of
from tests.factories import enrol, make_department, make_employee
from tests.feedback.carry_factories import ensure_root_causes, propose
from tests.feedback.consensus_factories import items_of
from tests.feedback.factories import released_org
from tests.feedback.interview_factories import schedule, slot
from tests.feedback.plan_factories import active, held_interview, record

pytestmark = pytest.mark.django_db
BUDGET = 12
_names = itertools.count(1)


def _report(org, department):
    """One more report of the manager with a released, finalised appraisal (as the
    appraisal stage leaves it: the employee's result, below the qualified level) and
    its rated items."""
    model = appraisal_of(org, org.employee)
    n = next(_names)
    person = make_employee(f"grown{n}", manager=org.manager, department=department)
    person.user.last_name = f"Grown {n:03}"
    person.user.save(update_fields=["last_name"])
    (participation,) = enrol(org.cycle, person)
    fields = [
        *("status", "reviewer", "scale", "scale_levels", "section_weights", "final_score"),
        *("final_band", "finalized_at", "released_at", "template", "template_name"),
        "scale_name",
    ]
    appraisal = Appraisal.objects.create(
        participation=participation,
        department=department,
        department_name=department.name,
        **{name: getattr(model, name) for name in fields},
    )
    AppraisalItem.objects.bulk_create(
        AppraisalItem(
            appraisal=appraisal,
            kind=item.kind,
            section=item.section,
            goal_id=item.goal_id,
            template_item_id=item.template_item_id,
            indicator_id=item.indicator_id,
            title=item.title,
            weight=item.weight,
            position=item.position,
            self_rating=item.self_rating,
            manager_rating=item.manager_rating,
        )
        for item in AppraisalItem.objects.filter(appraisal=model)
    )
    org.participations[person.pk] = participation
    return person


def grow(org, n: int) -> None:
    """``n`` more reports of the manager, in three more departments, in a mix: to
    schedule, scheduled, held and answered (agreed), held and disputed (decided by the
    skip-level manager), each held one with its required plan and a next-cycle goal."""
    departments = [make_department(f"Grown department {next(_names)}") for _ in range(3)]
    for i in range(n):
        person = _report(org, departments[i % 3])
        kind = i % 4
        if kind == 0:
            continue  # to schedule
        if kind == 1:
            schedule(org, person, days=3 + i)
            continue
        interview = held_interview(org, person)
        record(interview)  # the answer asked, the required plan started
        propose(interview, org.manager.user, title=f"Goal of {person.user.last_name}")
        ack = Acknowledgement.objects.get(appraisal__participation__employee=person)
        if kind == 2:
            consensus.agree_with_result(
                actor=person.user, acknowledgement_id=ack.pk, expected_version=ack.version
            )
        else:
            item = items_of(org, person)[0]
            consensus.disagree_with_items(
                actor=person.user,
                acknowledgement_id=ack.pk,
                reasons={item.pk: "Not what we agreed."},
                expected_version=ack.version,
            )


def base():
    """The employee held, disputing one item (open, for the skip-level manager) with an
    active plan and two next-cycle goals; the colleague scheduled."""
    ensure_root_causes()
    org = released_org()
    interview = held_interview(org, org.employee)
    record(interview)
    for title in ("Lead the migration", "Mentor a new joiner"):
        propose(interview, org.manager.user, title=title)
    ack = Acknowledgement.objects.get(appraisal__participation__employee=org.employee)
    item = items_of(org)[0]
    (dispute,) = consensus.disagree_with_items(
        actor=org.employee.user,
        acknowledgement_id=ack.pk,
        reasons={item.pk: "The customer halved the scope."},
        expected_version=ack.version,
    )
    plan = active(ImprovementPlan.objects.get(participation__employee=org.employee), org)
    ahead = schedule(org, org.colleague, days=4)
    return org, {"held": interview, "ahead": ahead, "dispute": dispute, "plan": plan}


def pages(org, rows) -> dict:
    held, ahead, dispute, plan = rows["held"], rows["ahead"], rows["dispute"], rows["plan"]
    report = reverse("feedback:carry-root-cause-report") + f"?cycle={org.cycle.pk}"
    return {
        "my home": (org.employee, reverse("my-home")),
        "my interview": (org.employee, reverse("feedback:interview-mine")),
        "my result": (org.employee, reverse("feedback:consensus-mine")),
        "my plan": (org.employee, reverse("feedback:plan-mine")),
        "my next-cycle goals": (org.employee, reverse("feedback:carry-mine")),
        "team home (reviewer)": (org.manager, reverse("team-home")),
        "interviews": (org.manager, reverse("feedback:interview-team")),
        "interview page, scheduled": (
            org.manager,
            reverse("feedback:interview-detail", args=[ahead.pk]),
        ),
        "interview page, held": (org.manager, reverse("feedback:interview-detail", args=[held.pk])),
        "next-cycle goals of an interview": (
            org.manager,
            reverse("feedback:carry-proposals", args=[held.pk]),
        ),
        "disputes on my team (reviewer)": (org.manager, reverse("feedback:consensus-team")),
        "plans I support": (org.manager, reverse("feedback:plan-team")),
        "plan page (manager)": (org.manager, plan.get_absolute_url()),
        "team home (resolver)": (org.skip, reverse("team-home")),
        "disputes on my team (resolver)": (org.skip, reverse("feedback:consensus-team")),
        "dispute page (resolver)": (
            org.skip,
            reverse("feedback:consensus-dispute", args=[dispute.pk]),
        ),
        "HR home": (org.hr, reverse("hr-home")),
        "interview completion": (org.hr, reverse("feedback:interview-completion")),
        "interview completion, held in one department": (
            org.hr,
            reverse("feedback:interview-completion")
            + f"?group=held&department={org.employee.department.name}",
        ),
        "open disputes": (org.hr, reverse("feedback:consensus-hr")),
        "dispute page (HR)": (org.hr, reverse("feedback:consensus-dispute", args=[dispute.pk])),
        "improvement plans (HR)": (org.hr, reverse("feedback:plan-hr")),
        "improvement plans, active (HR)": (org.hr, reverse("feedback:plan-hr") + "?status=active"),
        "root-cause report": (org.hr, report),
        "root-cause list": (org.hr, reverse("feedback:carry-root-causes")),
    }


def count(person, url) -> int:
    client = Client()
    client.force_login(person.user)
    client.get(url)  # warm: the session, the navigation layout, the stored roll-ups
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_every_daily_feedback_page_keeps_its_count_as_the_organisation_grows():
    org, rows = base()
    grow(org, 4)
    small = {name: count(*page) for name, page in pages(org, rows).items()}
    grow(org, 12)
    assert Interview.objects.count() == 1 + 1 + 3 + 9
    assert Dispute.objects.filter(resolver=org.skip).count() == 1 + 1 + 3
    grown = {name: count(*page) for name, page in pages(org, rows).items()}
    assert grown == small, {n: (small[n], grown[n]) for n in small if small[n] != grown[n]}
    over = {name: n for name, n in grown.items() if n > BUDGET}
    assert not over, f"over the budget of {BUDGET} queries: {over}"


def test_interview_completion_follows_every_write():
    """The stored counts are computed again after an interview or an appraisal changes."""
    org, _rows = base()
    person = _report(org, org.employee.department)
    client = Client()
    client.force_login(org.hr.user)
    url = reverse("feedback:interview-completion")
    (line,) = client.get(url).context["lines"]
    assert (line.total, line.to_schedule, line.scheduled, line.held) == (3, 1, 1, 1)
    schedule(org, person, days=5)
    (line,) = client.get(url).context["lines"]
    assert (line.total, line.to_schedule, line.scheduled, line.held) == (3, 0, 2, 1)
    Appraisal.objects.filter(participation__employee=person).update(department_name="Support")
    page = client.get(url + "?department=Support")
    assert [(x.name, x.total, x.scheduled) for x in page.context["lines"]] == [
        (org.employee.department.name, 2, 1),
        ("Support", 1, 1),
    ]
    assert page.context["page"].paginator.count == 1
    assert [a.participation.employee.full_name for a, _g in page.context["rows"]] == [
        person.full_name
    ]


@pytest.fixture
def two_a_page(monkeypatch):
    monkeypatch.setattr(interview_selectors, "TEAM_PAGE_SIZE", 2)


def test_the_interviews_list_is_paged_in_its_order(two_a_page):
    """To schedule by name, then scheduled by date, then held latest first, two a page;
    the counts are the whole list's, and a group only on other pages is left out."""
    org, rows = base()  # the employee held, the colleague scheduled in 4 days
    department = org.employee.department
    late, early, waiting = (_report(org, department) for _ in range(3))
    schedule(org, late, days=9)
    schedule(org, early, days=2)
    client = Client()
    client.force_login(org.manager.user)
    url = reverse("feedback:interview-team")

    def shown(number):
        response = client.get(url, {"page": number})
        team = response.context["team"]
        return team, [
            (section.key, [a.participation.employee for a in section.rows])
            for section in team.sections
        ]

    team, first = shown(1)
    assert team.counts == {"to_schedule": 1, "scheduled": 3, "held": 1}
    assert first == [("to_schedule", [waiting]), ("scheduled", [early])]
    assert shown(2)[1] == [("scheduled", [org.colleague, late])]
    assert shown(3)[1] == [("held", [org.employee])]
    assert shown(99)[1] == shown(3)[1]  # past the end: the last page
    html = client.get(url, {"page": 2}).content.decode()
    assert 'data-count="scheduled">3<' in html and "Page 2 of 3" in html


@pytest.mark.parametrize("size", [2, 50])
def test_the_first_page_of_the_interviews_list_is_the_paged_lists(monkeypatch, size):
    """The first page (SQL compiled once) has the rows, order and length that
    perfcycle.paging.get_page gives for the same list."""
    from django.utils import timezone

    monkeypatch.setattr(interview_selectors, "TEAM_PAGE_SIZE", size)
    org, _rows = base()
    department = org.employee.department
    for days in (9, 2):
        schedule(org, _report(org, department), days=days)
    _report(org, department)
    today = timezone.localdate()
    compiled = interview_selectors.team_interviews(org.manager.user, org.cycle, today=today)
    paged = interview_selectors.team_interviews(
        org.manager.user,
        org.cycle,
        today=today,
        page="first",  # not a number: get_page's
    )
    assert [a.pk for a in compiled.page] == [a.pk for a in paged.page]
    assert compiled.groups == paged.groups and compiled.counts == paged.counts
    assert (compiled.page.paginator.count, compiled.page.paginator.num_pages) == (
        paged.page.paginator.count,
        paged.page.paginator.num_pages,
    )
    assert compiled.page.paginator.count == 5
    first = compiled.page[0]
    assert first.participation.employee.user.username and first.current_interview is None


def test_a_long_interviews_list_keeps_its_count(two_a_page):
    """Past one page the list reads its groups' counts: one more query, whatever the
    number of people."""
    org, _rows = base()
    for _ in range(2):
        _report(org, org.employee.department)
    url = reverse("feedback:interview-team")
    small = count(org.manager, url)
    for i in range(6):
        person = _report(org, org.employee.department)
        if i % 2:
            interview_services.schedule_interview(
                actor=org.manager.user, appraisal=appraisal_of(org, person), slot=slot(days=3 + i)
            )
    assert count(org.manager, url) == small <= BUDGET


def test_the_root_cause_report_follows_the_causes_named():
    """The stored counts are computed again when an interview's causes change (the
    causes' own table moves the stamp), and when a cause is added to HR's list."""
    from feedback.models import RootCause
    from feedback.services.carry_rules import add_root_cause

    org, rows = base()
    client = Client()
    client.force_login(org.hr.user)
    url = reverse("feedback:carry-root-cause-report") + f"?cycle={org.cycle.pk}"
    department = org.employee.department
    for _ in range(2):  # three interviewed people: the department is shown
        record(held_interview(org, _report(org, department), causes=()))

    def named():
        report = client.get(url).context["report"]
        return {cause.name: report.total.count(cause.pk) for cause in report.causes}

    before = named()
    rows["held"].root_causes.add(RootCause.objects.get(name="Motivation"))
    assert named() == {**before, "Motivation": before.get("Motivation", 0) + 1}
    cause = add_root_cause(actor=org.hr.user, data={"name": "Tooling", "description": ""})
    Interview.objects.get(pk=rows["held"].pk).root_causes.add(cause)
    assert named()["Tooling"] == 1
