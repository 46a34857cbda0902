"""Cycle setup: plan, template rules and their resolution, population; the demo seed."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals import demo
from goals.models import (
    CyclePlan,
    Goal,
    GoalLevel,
    GoalStatus,
    RatingScale,
    Template,
    TemplateAssignment,
)
from goals.services import setup
from goals.services.library import ItemInput, SectionInput, template_problems
from perfcycle.models import AuditEvent, Cycle, Participation
from perfcycle.services import ConcurrentEditError
from perfcycle.workflow import SYSTEM
from tests.factories import enrol, make_cycle, make_department, make_employee

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(org):
    cycle = make_cycle("FY2026")
    enrol(cycle, *org.values())
    return cycle


def hr(org):
    return org["hr"].user


# --- Plan ----------------------------------------------------------------------------


def test_hr_sets_the_plan_and_it_is_audited(cycle, org, scale, templates):
    """The first save creates the plan; a later one updates it; both are audited."""
    plan = setup.set_cycle_plan(
        actor=hr(org),
        cycle=cycle,
        rating_scale=scale,
        default_template=templates["Default"],
        expected_token=setup.NO_PLAN_TOKEN,
    )
    assert plan.rating_scale == scale and plan.default_template == templates["Default"]
    token = setup.plan_token(plan)
    setup.set_cycle_plan(
        actor=hr(org),
        cycle=cycle,
        rating_scale=scale,
        default_template=templates["Leads"],
        expected_token=token,
    )
    assert CyclePlan.objects.get(cycle=cycle).default_template == templates["Leads"]
    verbs = list(AuditEvent.objects.order_by("id").values_list("verb", flat=True))
    assert verbs == ["cycle_plan.created", "cycle_plan.updated"]
    assert (
        AuditEvent.objects.order_by("id").last().before["default_template"]
        == templates["Default"].pk
    )


def test_plan_saved_by_someone_else_meanwhile_is_refused(cycle, org, scale, templates):
    """A stale form (the plan changed since it was loaded) is refused, nothing changes."""
    stale = setup.NO_PLAN_TOKEN
    setup.set_cycle_plan(actor=hr(org), cycle=cycle, rating_scale=scale, expected_token=stale)
    with pytest.raises(ConcurrentEditError):
        setup.set_cycle_plan(
            actor=hr(org),
            cycle=cycle,
            rating_scale=scale,
            default_template=templates["Old"],
            expected_token=stale,
        )
    assert CyclePlan.objects.get(cycle=cycle).default_template is None


def test_plan_refuses_a_scale_without_levels_and_an_inactive_template(cycle, org, templates):
    """Errors name the field they belong to."""
    empty = RatingScale.objects.create(name="Empty")
    templates["Old"].is_active = False
    templates["Old"].save()
    with pytest.raises(ValidationError) as excinfo:
        setup.set_cycle_plan(
            actor=hr(org),
            cycle=cycle,
            rating_scale=empty,
            default_template=templates["Old"],
            expected_token=setup.NO_PLAN_TOKEN,
        )
    assert set(excinfo.value.error_dict) == {"rating_scale", "default_template"}


@pytest.mark.parametrize("role", ["employee", "manager"])
def test_only_hr_changes_setup(cycle, org, scale, templates, role):
    """Every setup write refuses a non-HR actor."""
    actor = org[role].user
    with pytest.raises(PermissionDenied):
        setup.set_cycle_plan(
            actor=actor, cycle=cycle, rating_scale=scale, expected_token=setup.NO_PLAN_TOKEN
        )
    with pytest.raises(PermissionDenied):
        setup.add_template_assignment(
            actor=actor, cycle=cycle, template=templates["Leads"], job_title="Team lead"
        )
    with pytest.raises(PermissionDenied):
        setup.enrol_population(actor=actor, cycle=cycle, everyone=True)
    participation = Participation.objects.get(cycle=cycle, employee=org["employee"])
    with pytest.raises(PermissionDenied):
        setup.remove_participant(actor=actor, cycle=cycle, participation_id=participation.pk)
    assert not CyclePlan.objects.exists() and not TemplateAssignment.objects.exists()


@pytest.mark.parametrize("phase", ["implementation", "appraisal", "closed"])
def test_scale_and_templates_are_fixed_after_planning(org, scale, templates, phase):
    """Outside planning, plan and rules are refused with a message naming the phase."""
    cycle = make_cycle(phase=phase)
    with pytest.raises(ValidationError, match="phase"):
        setup.set_cycle_plan(
            actor=hr(org), cycle=cycle, rating_scale=scale, expected_token=setup.NO_PLAN_TOKEN
        )
    with pytest.raises(ValidationError, match="phase"):
        setup.add_template_assignment(
            actor=hr(org), cycle=cycle, template=templates["Leads"], job_title="Team lead"
        )


# --- Template rules ------------------------------------------------------------------


def test_rules_are_added_removed_and_audited(cycle, org, templates, engineering):
    """Adding and removing a rule writes an audit record each."""
    rule = setup.add_template_assignment(
        actor=hr(org),
        cycle=cycle,
        template=templates["Engineers"],
        department=engineering,
        job_title="  Engineer ",
    )
    assert rule.job_title == "Engineer"
    setup.remove_template_assignment(actor=hr(org), cycle=cycle, assignment_id=rule.pk)
    assert not TemplateAssignment.objects.exists()
    assert list(AuditEvent.objects.order_by("id").values_list("verb", flat=True)) == [
        "template_assignment.added",
        "template_assignment.removed",
    ]
    with pytest.raises(ValidationError, match="already removed"):
        setup.remove_template_assignment(actor=hr(org), cycle=cycle, assignment_id=rule.pk)


def test_a_second_rule_for_the_same_target_is_refused(cycle, org, templates, engineering):
    """One rule per target (title compared ignoring case), so the winner is never unclear."""
    setup.add_template_assignment(
        actor=hr(org), cycle=cycle, template=templates["Leads"], job_title="Team lead"
    )
    with pytest.raises(ValidationError, match="already gives"):
        setup.add_template_assignment(
            actor=hr(org), cycle=cycle, template=templates["Old"], job_title="team LEAD"
        )
    setup.add_template_assignment(
        actor=hr(org), cycle=cycle, template=templates["Personal"], employee=org["employee"]
    )
    with pytest.raises(ValidationError):
        setup.add_template_assignment(
            actor=hr(org), cycle=cycle, template=templates["Old"], employee=org["employee"]
        )


def test_a_rule_needs_a_target_and_a_person_override_only_the_person(
    cycle, org, templates, engineering
):
    """No target, or a person mixed with a department, is refused."""
    with pytest.raises(ValidationError):
        setup.add_template_assignment(actor=hr(org), cycle=cycle, template=templates["Leads"])
    with pytest.raises(ValidationError, match="only the person"):
        setup.add_template_assignment(
            actor=hr(org),
            cycle=cycle,
            template=templates["Leads"],
            employee=org["employee"],
            department=engineering,
        )


def test_inactive_template_cannot_be_assigned(cycle, org, templates):
    templates["Old"].is_active = False
    templates["Old"].save()
    with pytest.raises(ValidationError) as excinfo:
        setup.add_template_assignment(
            actor=hr(org), cycle=cycle, template=templates["Old"], job_title="Engineer"
        )
    assert "template" in excinfo.value.error_dict


def test_the_most_specific_rule_wins(cycle, org, scale, templates, engineering):
    """person > department + title > title > department > the cycle default."""
    platform = make_department("Platform", parent=engineering)
    dev = make_employee("dev", department=platform, job_title="Engineer", manager=org["manager"])
    enrol(cycle, dev)
    setup.set_cycle_plan(
        actor=hr(org),
        cycle=cycle,
        rating_scale=scale,
        default_template=templates["Default"],
        expected_token=setup.NO_PLAN_TOKEN,
    )

    def add(template, **target):
        setup.add_template_assignment(
            actor=hr(org), cycle=cycle, template=templates[template], **target
        )

    def template_of(person):
        found = setup.templates_for_participants(cycle)[person.pk]
        return found.name if found else None

    assert template_of(org["employee"]) == "Default"
    add("Personal", department=engineering)
    assert template_of(org["employee"]) == "Personal"
    assert template_of(dev) == "Personal"  # a sub-department inherits its parent's rule
    assert template_of(org["employee2"]) == "Default"  # Sales
    add("Engineers", job_title="engineer")  # any case
    assert template_of(org["employee"]) == "Engineers"
    assert template_of(org["manager"]) == "Personal"  # "Team lead": department rule
    add("Eng leads", department=engineering, job_title="Engineer")
    assert template_of(org["employee"]) == "Eng leads"
    assert template_of(dev) == "Eng leads"
    add("Leads", department=platform, job_title="Engineer")
    assert template_of(dev) == "Leads"  # the nearest department wins
    assert template_of(org["employee"]) == "Eng leads"
    add("Old", employee=org["employee"])
    assert template_of(org["employee"]) == "Old"


def test_without_default_or_rule_a_person_has_no_template(cycle, org, templates):
    """Nobody covered and no default: None, listed in the preview."""
    setup.add_template_assignment(
        actor=hr(org), cycle=cycle, template=templates["Leads"], job_title="Team lead"
    )
    resolved = setup.templates_for_participants(cycle)
    assert resolved[org["manager"].pk] == templates["Leads"]
    assert resolved[org["employee"].pk] is None
    preview = setup.template_preview(cycle)
    assert preview.per_template == [(templates["Leads"], 1)]
    assert len(preview.without_template) == preview.total - 1


def test_template_resolution_is_a_few_queries_whatever_the_headcount(cycle, org, templates):
    """Resolving everyone costs four queries, for 8 or 58 participants."""
    setup.add_template_assignment(
        actor=hr(org), cycle=cycle, template=templates["Leads"], job_title="Team lead"
    )
    enrol(cycle, *[make_employee(job_title="Team lead") for _ in range(50)])
    with CaptureQueriesContext(connection) as ctx:
        resolved = setup.templates_for_participants(cycle)
    assert len(resolved) == 58
    assert len(ctx.captured_queries) == 4


# --- Population ----------------------------------------------------------------------


def test_enrol_by_departments_includes_sub_departments(org, engineering):
    """Choosing a department enrols its sub-departments' people, active ones only."""
    cycle = make_cycle()
    platform = make_department("Platform", parent=engineering)
    dev = make_employee(department=platform)
    make_employee(department=platform, is_active=False)
    added = setup.enrol_population(actor=hr(org), cycle=cycle, departments=[engineering])
    enrolled = set(Participation.objects.filter(cycle=cycle).values_list("employee", flat=True))
    engineers = {org[r].pk for r in ["director", "manager", "employee", "peer", "intern"]}
    assert enrolled == engineers | {dev.pk}
    assert added == 6
    event = AuditEvent.objects.get(verb="cycle.population_enrolled")
    assert event.after["departments"] == ["Engineering"] and event.after["added"] == 6
    assert setup.enrol_population(actor=hr(org), cycle=cycle, departments=[engineering]) == 0


def test_enrol_by_title_and_by_department_and_title(org, engineering):
    """Titles alone, or titles within departments (both must match)."""
    cycle = make_cycle()
    setup.enrol_population(actor=hr(org), cycle=cycle, job_titles=["Engineer"])
    assert set(Participation.objects.filter(cycle=cycle).values_list("employee", flat=True)) == {
        org["employee"].pk,
        org["peer"].pk,
    }
    other = make_cycle()
    make_employee(department=make_department("Ops"), job_title="Engineer")
    setup.enrol_population(
        actor=hr(org), cycle=other, departments=[engineering], job_titles=["Engineer"]
    )
    assert Participation.objects.filter(cycle=other).count() == 2


def test_enrol_everyone_and_nothing_chosen(org):
    """Everyone active joins; no choice at all is refused."""
    cycle = make_cycle()
    assert setup.enrol_population(actor=hr(org), cycle=cycle, everyone=True) == 8
    with pytest.raises(ValidationError):
        setup.enrol_population(actor=hr(org), cycle=cycle)


def test_enrolment_stays_open_until_implementation_ends(org):
    """People may join in implementation, not from appraisal on."""
    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION)
    assert setup.enrol_population(actor=hr(org), cycle=cycle, everyone=True) == 8
    late = make_cycle(phase=Cycle.Phase.APPRAISAL)
    with pytest.raises(ValidationError, match="implementation phase ends"):
        setup.enrol_population(actor=hr(org), cycle=late, everyone=True)


def test_participant_without_goals_is_removed_in_planning(cycle, org):
    """Removal works in planning for someone with no goals, and is audited."""
    participation = Participation.objects.get(cycle=cycle, employee=org["employee"])
    setup.remove_participant(actor=hr(org), cycle=cycle, participation_id=participation.pk)
    assert not Participation.objects.filter(pk=participation.pk).exists()
    event = AuditEvent.objects.get(verb="participation.removed")
    assert event.before["employee"] == org["employee"].pk


def test_participant_with_goals_or_after_planning_is_not_removed(cycle, org):
    """Goals in the cycle, or a cycle past planning, keep the person in."""
    participation = Participation.objects.get(cycle=cycle, employee=org["employee"])
    Goal.objects.create(
        cycle=cycle, level=GoalLevel.INDIVIDUAL, owner=org["employee"], title="Mine"
    )
    with pytest.raises(ValidationError, match="goal"):
        setup.remove_participant(actor=hr(org), cycle=cycle, participation_id=participation.pk)
    running = make_cycle(phase=Cycle.Phase.IMPLEMENTATION)
    (late,) = enrol(running, org["peer"])
    with pytest.raises(ValidationError, match="planning"):
        setup.remove_participant(actor=hr(org), cycle=running, participation_id=late.pk)
    assert Participation.objects.filter(pk__in=[participation.pk, late.pk]).count() == 2
    assert not AuditEvent.objects.filter(verb="participation.removed").exists()


# --- Views ---------------------------------------------------------------------------


def page_urls(cycle):
    return [
        reverse("goals:cycle-setup", args=[cycle.pk]),
        reverse("goals:cycle-setup-people", args=[cycle.pk]),
    ]


def action_urls(cycle, org):
    rule = TemplateAssignment.objects.create(
        cycle=cycle, template=Template.objects.first(), job_title="Engineer"
    )
    participation = Participation.objects.get(cycle=cycle, employee=org["employee"])
    return [
        reverse("goals:cycle-plan-set", args=[cycle.pk]),
        reverse("goals:cycle-assignment-add", args=[cycle.pk]),
        reverse("goals:cycle-assignment-remove", args=[cycle.pk, rule.pk]),
        reverse("goals:cycle-enrol-population", args=[cycle.pk]),
        reverse("goals:cycle-participant-remove", args=[cycle.pk, participation.pk]),
    ]


@pytest.mark.parametrize("role", ["employee", "manager"])
def test_setup_urls_are_not_found_for_others(cycle, org, login, templates, role):
    """Every setup page and action is a 404 for employees and managers; nothing changes."""
    client = login(org[role])
    for url in page_urls(cycle):
        assert client.get(url).status_code == 404, url
    for url in action_urls(cycle, org):
        assert client.post(url, {"everyone": "on", "job_title": "X"}).status_code == 404, url
        assert client.get(url).status_code == 404, url
    assert Participation.objects.filter(cycle=cycle).count() == 8
    assert TemplateAssignment.objects.count() == 1


def test_setup_page_shows_the_preview(cycle, org, login, scale, templates):
    """HR sees the plan form, the rules and who gets which template."""
    setup.set_cycle_plan(
        actor=hr(org),
        cycle=cycle,
        rating_scale=scale,
        default_template=templates["Default"],
        expected_token=setup.NO_PLAN_TOKEN,
    )
    setup.add_template_assignment(
        actor=hr(org), cycle=cycle, template=templates["Leads"], job_title="Team lead"
    )
    response = login(org["hr"]).get(reverse("goals:cycle-setup", args=[cycle.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-template-count="{templates["Leads"].pk}">1<' in page
    assert f'data-template-count="{templates["Default"].pk}">7<' in page
    assert 'data-testid="no-template-count">0<' in page
    assert "Level 5" in page


def test_people_without_a_template_are_grouped_and_listed(cycle, org, login, templates):
    """The preview counts them by department and title; the people page lists them."""
    setup.add_template_assignment(
        actor=hr(org), cycle=cycle, template=templates["Engineers"], job_title="Engineer"
    )
    client = login(org["hr"])
    response = client.get(reverse("goals:cycle-setup", args=[cycle.pk]))
    page = response.content.decode()
    assert 'data-testid="no-template-count">6<' in page
    assert ("Engineering", "Intern", 1) in response.context["without_groups"]
    response = client.get(reverse("goals:cycle-setup-people", args=[cycle.pk]) + "?template=none")
    listed = {p.employee_id for p in response.context["rows"]}
    assert org["intern"].pk in listed and org["employee"].pk not in listed
    assert len(listed) == 6


def test_hr_saves_the_plan_in_the_form(cycle, org, login, scale, templates):
    url = reverse("goals:cycle-plan-set", args=[cycle.pk])
    response = login(org["hr"]).post(
        url,
        {
            "rating_scale": scale.pk,
            "default_template": templates["Default"].pk,
            "token": setup.NO_PLAN_TOKEN,
        },
    )
    assert response.status_code == 302
    assert CyclePlan.objects.get(cycle=cycle).default_template == templates["Default"]


def _plan_status(page: str) -> str:
    import re

    return re.search(r'data-testid="plan-status">(.*?)</p>', page, re.DOTALL).group(1)


def test_the_plan_says_truthfully_whether_it_is_saved(cycle, org, login, scale, templates):
    """Before a save the preselected default scale is "only proposed" and "Not saved yet";
    once saved, the same page says "Saved" and what the cycle uses, never "Not saved"."""
    client = login(org["hr"])
    url = reverse("goals:cycle-setup", args=[cycle.pk])
    before = _plan_status(client.get(url).content.decode())
    assert "Not saved yet" in before and "“Five levels” is only proposed" in before

    client.post(
        reverse("goals:cycle-plan-set", args=[cycle.pk]),
        {"rating_scale": scale.pk, "default_template": templates["Default"].pk, "token": "new"},
    )
    assert CyclePlan.objects.filter(cycle=cycle).exists()
    after = _plan_status(client.get(url).content.decode())
    assert "Saved" in after and "Not saved" not in after
    assert "This cycle uses “Five levels”, with “Default” as its default template." in after


def test_a_refused_plan_change_says_what_the_cycle_still_uses(cycle, org, login, scale):
    """A change that comes back with an error is "Not saved", naming the saved scale."""
    setup.set_cycle_plan(
        actor=hr(org), cycle=cycle, rating_scale=scale, expected_token=setup.NO_PLAN_TOKEN
    )
    response = login(org["hr"]).post(
        reverse("goals:cycle-plan-set", args=[cycle.pk]), {"rating_scale": "999999"}
    )
    assert response.status_code == 400
    status = _plan_status(response.content.decode())
    assert "Not saved: the cycle still uses “Five levels”." in status


def test_bad_plan_input_is_a_400_with_the_error_at_the_field(cycle, org, login, scale):
    response = login(org["hr"]).post(
        reverse("goals:cycle-plan-set", args=[cycle.pk]), {"rating_scale": "999999"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_rating_scale"' in page and "is-invalid" in page
    assert "Select a valid choice" in page
    assert not CyclePlan.objects.exists()


def test_stale_plan_form_is_a_409_with_a_message(cycle, org, login, scale):
    """A plan saved since the page was loaded is not overwritten: 409 and the message."""
    setup.set_cycle_plan(
        actor=hr(org), cycle=cycle, rating_scale=scale, expected_token=setup.NO_PLAN_TOKEN
    )
    response = login(org["hr"]).post(
        reverse("goals:cycle-plan-set", args=[cycle.pk]),
        {"rating_scale": scale.pk, "token": setup.NO_PLAN_TOKEN},
    )
    assert response.status_code == 409
    assert "Someone else changed" in response.content.decode()


def test_hr_adds_and_removes_a_rule_in_the_page(cycle, org, login, templates):
    client = login(org["hr"])
    response = client.post(
        reverse("goals:cycle-assignment-add", args=[cycle.pk]),
        {"template": templates["Leads"].pk, "job_title": "Team lead"},
    )
    assert response.status_code == 302
    rule = TemplateAssignment.objects.get()
    response = client.post(reverse("goals:cycle-assignment-remove", args=[cycle.pk, rule.pk]))
    assert response.status_code == 302
    assert not TemplateAssignment.objects.exists()


def test_person_override_by_employee_number(cycle, org, login, templates):
    response = login(org["hr"]).post(
        reverse("goals:cycle-assignment-add", args=[cycle.pk]),
        {"template": templates["Personal"].pk, "employee_number": org["peer"].employee_number},
    )
    assert response.status_code == 302
    assert TemplateAssignment.objects.get().employee == org["peer"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "department"),  # no target at all
        ({"employee_number": "NOPE"}, "employee_number"),
    ],
)
def test_bad_rule_input_is_a_400_with_the_error_at_the_field(
    cycle, org, login, templates, data, field
):
    response = login(org["hr"]).post(
        reverse("goals:cycle-assignment-add", args=[cycle.pk]),
        {"template": templates["Leads"].pk, **data},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="#id_{field}"' in page  # the summary links to the field
    assert f'id="id_{field}"' in page and "is-invalid" in page
    assert not TemplateAssignment.objects.exists()


def test_duplicate_rule_is_a_400_with_a_message(cycle, org, login, templates):
    setup.add_template_assignment(
        actor=hr(org), cycle=cycle, template=templates["Leads"], job_title="Team lead"
    )
    response = login(org["hr"]).post(
        reverse("goals:cycle-assignment-add", args=[cycle.pk]),
        {"template": templates["Old"].pk, "job_title": "Team lead"},
    )
    assert response.status_code == 400
    assert "already gives" in response.content.decode()


def test_rules_are_refused_in_the_page_after_planning(org, login, templates):
    """Outside planning the form is gone and a forced post is refused with a message."""
    cycle = make_cycle(phase=Cycle.Phase.IMPLEMENTATION)
    client = login(org["hr"])
    page = client.get(reverse("goals:cycle-setup", args=[cycle.pk])).content.decode()
    assert 'data-testid="setup-closed"' in page
    response = client.post(
        reverse("goals:cycle-assignment-add", args=[cycle.pk]),
        {"template": templates["Leads"].pk, "job_title": "Team lead"},
    )
    assert response.status_code == 400
    assert "Implementation phase" in response.content.decode()


def test_people_page_lists_participants_with_template_and_goals(cycle, org, login, templates):
    Goal.objects.create(
        cycle=cycle, level=GoalLevel.INDIVIDUAL, owner=org["employee"], title="Mine"
    )
    response = login(org["hr"]).get(reverse("goals:cycle-setup-people", args=[cycle.pk]))
    assert response.status_code == 200
    rows = {p.employee_id: p for p in response.context["rows"]}
    assert len(rows) == 8
    assert rows[org["employee"].pk].goal_count == 1
    page = response.content.decode()
    employee_row = page[page.index(f'data-participation="{rows[org["employee"].pk].pk}"') :]
    employee_row = employee_row[: employee_row.index("</tr>")]
    assert "Remove" not in employee_row  # has a goal
    assert "Remove" in page


def test_people_page_queries_do_not_grow_with_participants(cycle, org, login):
    client = login(org["hr"])
    url = reverse("goals:cycle-setup-people", args=[cycle.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    enrol(cycle, *[make_employee(manager=org["manager"]) for _ in range(30)])
    assert count() == small


def test_hr_enrols_and_removes_in_the_page(org, login, engineering):
    cycle = make_cycle()
    client = login(org["hr"])
    response = client.post(
        reverse("goals:cycle-enrol-population", args=[cycle.pk]),
        {"department": engineering.pk, "include_subdepartments": "on"},
    )
    assert response.status_code == 302
    assert Participation.objects.filter(cycle=cycle).count() == 5
    participation = Participation.objects.get(cycle=cycle, employee=org["intern"])
    response = client.post(
        reverse("goals:cycle-participant-remove", args=[cycle.pk, participation.pk])
    )
    assert response.status_code == 302
    assert Participation.objects.filter(cycle=cycle).count() == 4


def test_bad_enrol_input_is_a_400_with_the_error_at_the_field(org, login, engineering):
    cycle = make_cycle()
    client = login(org["hr"])
    response = client.post(reverse("goals:cycle-enrol-population", args=[cycle.pk]), {})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_department"' in page and "is-invalid" in page
    response = client.post(
        reverse("goals:cycle-enrol-population", args=[cycle.pk]),
        {"everyone": "on", "department": engineering.pk},
    )
    assert response.status_code == 400
    assert "not both" in response.content.decode()
    assert not Participation.objects.filter(cycle=cycle).exists()


def test_removing_a_participant_with_goals_shows_a_message(cycle, org, login):
    Goal.objects.create(
        cycle=cycle, level=GoalLevel.INDIVIDUAL, owner=org["employee"], title="Mine"
    )
    participation = Participation.objects.get(cycle=cycle, employee=org["employee"])
    response = login(org["hr"]).post(
        reverse("goals:cycle-participant-remove", args=[cycle.pk, participation.pk]),
        follow=True,
    )
    assert "cannot be removed" in response.content.decode()
    assert Participation.objects.filter(pk=participation.pk).exists()


# --- Demo seed -----------------------------------------------------------------------


def seed_counts(cycle):
    return {
        "goals": Goal.objects.filter(cycle=cycle).count(),
        "plans": CyclePlan.objects.count(),
        "rules": TemplateAssignment.objects.count(),
        "templates": Template.objects.count(),
        "scales": RatingScale.objects.count(),
        "events": AuditEvent.objects.count(),
    }


def test_seed_planning_is_idempotent_and_weights_total_100(org, engineering):
    """Twice → the same rows; each person's 3–4 approved goals weigh 100 % in all."""
    platform = make_department("Platform", parent=engineering)
    dev = make_employee(department=platform, manager=org["manager"], job_title="Engineer")
    cycle = make_cycle()
    enrol(cycle, *org.values(), dev)
    first = demo.seed_planning(cycle, actor=SYSTEM)
    counts = seed_counts(cycle)
    second = demo.seed_planning(cycle, actor=SYSTEM)
    assert seed_counts(cycle) == counts
    assert first == second
    assert first.company_goals == 3 and first.people_planned == 9
    weights = defaultdict(Decimal)
    per_person = defaultdict(int)
    for goal in Goal.objects.filter(cycle=cycle, level=GoalLevel.INDIVIDUAL):
        weights[goal.owner_id] += goal.weight
        per_person[goal.owner_id] += 1
        assert goal.status == GoalStatus.APPROVED
    assert set(weights.values()) == {Decimal("100")}
    assert set(per_person.values()) <= {3, 4}
    # The sub-department's goals align to Engineering's, which align to company goals.
    sub = Goal.objects.filter(cycle=cycle, department=platform).first()
    assert sub.parent.department == engineering and sub.parent.parent.level == "company"


def test_seed_planning_standards_pass_the_library_rules(org):
    """The seeded templates are valid compositions and the plan uses the default scale."""
    cycle = make_cycle()
    enrol(cycle, *org.values())
    demo.seed_planning(cycle, actor=SYSTEM)
    plan = CyclePlan.objects.get(cycle=cycle)
    assert plan.rating_scale.levels.count() == 5
    assert plan.default_template.name == demo.IC_TEMPLATE
    for template in Template.objects.with_sections():
        sections = [
            SectionInput(
                kind=s.kind,
                weight=s.weight,
                items=tuple(
                    ItemInput(indicator=i.indicator, weight=i.weight) for i in s.items.all()
                ),
            )
            for s in template.sections.all()
        ]
        assert template_problems(sections) == {}, template.name
    resolved = setup.templates_for_participants(cycle)
    assert resolved[org["manager"].pk].name == demo.MANAGER_TEMPLATE  # has reports
    assert resolved[org["employee2"].pk].name == demo.IC_TEMPLATE  # no reports


def test_seed_planning_gives_newcomers_goals_only(org):
    """People enrolled after a first seed get goals; others keep theirs."""
    cycle = make_cycle()
    enrol(cycle, *[org[r] for r in ["manager", "employee", "peer"]])
    demo.seed_planning(cycle, actor=SYSTEM)
    before = set(Goal.objects.filter(cycle=cycle).values_list("pk", flat=True))
    enrol(cycle, org["intern"])
    demo.seed_planning(cycle, actor=SYSTEM)
    new = Goal.objects.filter(cycle=cycle).exclude(pk__in=before)
    assert set(new.values_list("owner", flat=True)) == {org["intern"].pk}


def test_seeded_tree_renders_for_every_role(org, login):
    cycle = make_cycle()
    enrol(cycle, *org.values())
    demo.seed_planning(cycle, actor=SYSTEM)
    for role in ["hr", "manager", "employee"]:
        response = login(org[role]).get(reverse("goals:tree", args=[cycle.pk]))
        assert response.status_code == 200
        assert "Grow revenue by 20 %" in response.content.decode()
