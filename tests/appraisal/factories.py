"""Appraisal factories shared by the appraisal tests: a small organisation in a cycle with
a five-level scale, a mixed template (goals, competencies, peer input) and approved goals,
with its appraisals opened through the stage's own service (no magic: each call makes
exactly what it says)."""

import itertools
from dataclasses import dataclass
from decimal import Decimal

from appraisal.models import Appraisal
from appraisal.services.opening import open_missing_appraisals
from goals.models import (
    CyclePlan,
    Direction,
    Goal,
    GoalStatus,
    Indicator,
    IndicatorKind,
    RatingLevel,
    RatingScale,
    ScoringThreshold,
    SectionKind,
    Template,
    TemplateItem,
    TemplateSection,
)
from perfcycle.models import Cycle, Employee, Participation
from tests.factories import enrol, make_cycle, make_department, make_employee
from tests.goals.factories import make_goal

_seq = itertools.count(1)
D = Decimal
LEVEL_LABELS = ("Unsatisfactory", "Needs improvement", "Meets", "Exceeds", "Outstanding")


def make_scale(name: str | None = None) -> RatingScale:
    scale = RatingScale.objects.create(name=name or f"Scale {next(_seq)}")
    for value, label in enumerate(LEVEL_LABELS, start=1):
        RatingLevel.objects.create(
            scale=scale, value=value, label=label, descriptor=f"What {label.lower()} looks like."
        )
    return scale


def make_indicator(scale: RatingScale, *, kind=IndicatorKind.QUANTITATIVE, name=None) -> Indicator:
    indicator = Indicator.objects.create(
        name=name or f"Indicator {next(_seq)}",
        kind=kind,
        unit="%",
        direction=Direction.HIGHER,
        scale=scale,
    )
    if kind == IndicatorKind.QUANTITATIVE:
        for start, level in ((0, 1), (60, 2), (90, 3), (110, 4), (130, 5)):
            ScoringThreshold.objects.create(
                indicator=indicator, min_achievement=D(start), level_value=level
            )
    return indicator


def make_template(scale: RatingScale, *, sections=None, name=None) -> Template:
    """``sections``: [(kind, weight, n_items)]; default goals 60, competencies 20, peer 20
    (the peer section takes no items: it is weighted as a whole, goals/library_rules.py)."""
    sections = sections or [
        (SectionKind.GOALS, 60, 0),
        (SectionKind.COMPETENCIES, 20, 2),
        (SectionKind.PEER, 20, 0),
    ]
    template = Template.objects.create(
        name=name or f"Template {next(_seq)}", method=Template.Method.MIXED
    )
    for position, (kind, weight, n_items) in enumerate(sections):
        section = TemplateSection.objects.create(
            template=template, kind=kind, weight=D(weight), position=position
        )
        for i in range(n_items):
            TemplateItem.objects.create(
                section=section,
                indicator=make_indicator(scale, kind=IndicatorKind.BEHAVIOURAL),
                weight=D(100) / n_items if i < n_items - 1 else D(100) - D(100) / n_items * i,
            )
    return template


@dataclass
class Org:
    cycle: Cycle
    scale: RatingScale
    template: Template
    hr: Employee
    skip: Employee  # the manager's manager
    manager: Employee
    employee: Employee
    colleague: Employee  # another report of the manager
    outsider: Employee  # in another department, unrelated
    participations: dict


def make_org(*, phase=Cycle.Phase.APPRAISAL, template_sections=None, goals=True) -> Org:
    """HR, a skip-level manager, a manager with two reports and an outsider, all enrolled
    in one cycle (phase ``phase``) whose plan gives the scale and a default template."""
    scale = make_scale()
    template = make_template(scale, sections=template_sections)
    cycle = make_cycle(phase=phase)
    CyclePlan.objects.create(cycle=cycle, rating_scale=scale, default_template=template)
    dept = make_department("Engineering")
    hr = make_employee(hr=True, department=make_department("People"))
    skip = make_employee(department=dept, job_title="Director")
    manager = make_employee(manager=skip, department=dept, job_title="Team lead")
    employee = make_employee(manager=manager, department=dept, job_title="Engineer")
    colleague = make_employee(manager=manager, department=dept, job_title="Engineer")
    outsider = make_employee(department=make_department("Sales"), job_title="Seller")
    people = [skip, manager, employee, colleague, outsider]
    enrol(cycle, *people)
    if goals:
        quantitative = make_indicator(scale)
        for person in (employee, colleague):
            make_goal(
                person,
                cycle=cycle,
                status=GoalStatus.APPROVED,
                weight=60,
                title=f"Ship the roadmap ({person.user.username})",
                indicator=quantitative,
                baseline=D(0),
                target=D(100),
                current_value=D(95),
            )
            make_goal(
                person,
                cycle=cycle,
                status=GoalStatus.APPROVED,
                weight=40,
                title=f"Mentor a new joiner ({person.user.username})",
            )
    return Org(
        cycle=cycle,
        scale=scale,
        template=template,
        hr=hr,
        skip=skip,
        manager=manager,
        employee=employee,
        colleague=colleague,
        outsider=outsider,
        participations={p.employee_id: p for p in Participation.objects.filter(cycle=cycle)},
    )


def open_org(**kw) -> Org:
    """``make_org`` with the appraisals opened, as entering the appraisal phase does."""
    org = make_org(**kw)
    open_missing_appraisals(cycle=org.cycle)
    return org


def appraisal_of(org: Org, employee: Employee) -> Appraisal:
    return Appraisal.objects.get(participation=org.participations[employee.pk])


def goal_of(org: Org, employee: Employee, title_start: str) -> Goal:
    return Goal.objects.get(cycle=org.cycle, owner=employee, title__startswith=title_start)
