"""Factories of the next-cycle goal and root-cause tests. The interview part builds the
interview pages in parallel, so interviews are made here directly (rows as its services
leave them) for the released appraisals of ``released_org()``; everything else goes
through the services under test."""

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from appraisal.services.opening import open_missing_appraisals
from feedback.models import Interview, InterviewStatus, RootCause
from feedback.services.carry import add_proposal
from goals.models import CyclePlan
from perfcycle.models import Cycle, Participation
from tests.appraisal.factories import appraisal_of, make_scale, make_template
from tests.factories import make_cycle, make_department, make_employee

_seq = itertools.count(1)


def ensure_root_causes() -> None:
    """HR's starting list (feedback migration 0002), again if a transactional test of
    another module emptied the tables."""
    from importlib import import_module

    causes = import_module("feedback.migrations.0002_root_causes").CAUSES
    for position, (name, description) in enumerate(causes):
        RootCause.objects.get_or_create(
            name=name, defaults={"description": description, "position": position * 10}
        )


def interview_for(org, employee, *, status=InterviewStatus.HELD, causes=()) -> Interview:
    """The employee's interview with their reviewer (held by default, with its record)."""
    appraisal = appraisal_of(org, employee)
    held = status == InterviewStatus.HELD
    starts = timezone.now() - dt.timedelta(days=1 if held else -3)
    interview = Interview.objects.create(
        appraisal=appraisal,
        participation=appraisal.participation,
        manager=org.manager,
        status=status,
        starts_at=starts,
        location="Room 4",
        scheduled_by=org.manager.user,
        held_at=starts if held else None,
        recorded_by=org.manager.user if held else None,
        deficiencies="Estimates slipped." if held else "",
    )
    if causes:
        interview.root_causes.set(RootCause.objects.filter(name__in=causes))
    return interview


def propose(interview, actor, **data) -> object:
    values = {
        "title": f"Next-cycle goal {next(_seq)}",
        "description": "What we agreed.",
        "indicator": None,
        "target": Decimal("10"),
        "unit": "releases",
        "weight": Decimal("30"),
    }
    values.update(data)
    return add_proposal(actor=actor, interview=interview, data=values)


def next_cycle(*, start=dt.date(2027, 1, 1), phase=Cycle.Phase.PLANNING, name=None) -> Cycle:
    """A later cycle (planning by default) nobody has joined yet."""
    return make_cycle(name or f"Cycle of {start.year}", phase=phase, start=start)


def interviewed_people(cycle_phase=Cycle.Phase.FEEDBACK, *, departments: dict) -> dict:
    """A cycle with held interviews: ``departments`` maps a department name to a list of
    root-cause name lists, one per interviewed person. Returns {"cycle", "hr", ...}."""
    scale = make_scale()
    cycle = make_cycle(phase=Cycle.Phase.APPRAISAL)
    CyclePlan.objects.create(cycle=cycle, rating_scale=scale, default_template=make_template(scale))
    hr = make_employee(hr=True, department=make_department(f"People {next(_seq)}"))
    boss = make_employee(department=make_department(f"Board {next(_seq)}"))
    people = []
    for name, causes_per_person in departments.items():
        department = make_department(name)
        for causes in causes_per_person:
            person = make_employee(manager=boss, department=department)
            people.append((person, causes))
    Participation.objects.bulk_create(
        Participation(cycle=cycle, employee=p, reviewer=boss) for p, _c in people
    )
    open_missing_appraisals(cycle=cycle)
    Cycle.objects.filter(pk=cycle.pk).update(phase=cycle_phase)
    cycle.refresh_from_db()
    now = timezone.now()
    for person, causes in people:
        participation = Participation.objects.get(cycle=cycle, employee=person)
        interview = Interview.objects.create(
            appraisal=participation.appraisal,
            participation=participation,
            manager=boss,
            status=InterviewStatus.HELD,
            starts_at=now,
            location="Room 1",
            scheduled_by=boss.user,
            held_at=now,
            recorded_by=boss.user,
        )
        interview.root_causes.set(RootCause.objects.filter(name__in=causes))
    return {"cycle": cycle, "hr": hr, "boss": boss}
