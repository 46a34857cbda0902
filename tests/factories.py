"""Plain factory functions for the core model (no magic: each call makes what it says)."""

import datetime as dt
import itertools

from django.contrib.auth import get_user_model

from perfcycle import services
from perfcycle.models import Cycle, Department, Employee, Participation

PASSWORD = "perfcycle-test"
_seq = itertools.count(1)


def make_department(name: str | None = None, parent: Department | None = None) -> Department:
    return Department.objects.create(name=name or f"Department {next(_seq)}", parent=parent)


def make_employee(
    username: str | None = None,
    *,
    manager: Employee | None = None,
    department: Department | None = None,
    job_title: str = "Analyst",
    hr: bool = False,
    is_active: bool = True,
) -> Employee:
    n = next(_seq)
    username = username or f"user{n}"
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        first_name=username.capitalize(),
        last_name=f"Tester{n}",
    )
    if hr:
        user.groups.add(services.hr_group())
    return Employee.objects.create(
        user=user,
        employee_number=f"E{n:05d}",
        department=department,
        job_title=job_title,
        manager=manager,
        is_active=is_active,
    )


def make_cycle(
    name: str | None = None, *, phase: str = Cycle.Phase.PLANNING, start=None, **kw
) -> Cycle:
    start = start or dt.date(2026, 1, 1)
    defaults = {
        "start_date": start,
        "end_date": start + dt.timedelta(days=364),
        "planning_deadline": start + dt.timedelta(days=30),
        "implementation_deadline": start + dt.timedelta(days=300),
        "appraisal_deadline": start + dt.timedelta(days=330),
        "feedback_deadline": start + dt.timedelta(days=345),
        "application_deadline": start + dt.timedelta(days=364),
        "checkin_cadence": Cycle.Cadence.MONTHLY,
    }
    defaults.update(kw)
    return Cycle.objects.create(name=name or f"Cycle {next(_seq)}", phase=phase, **defaults)


def enrol(cycle: Cycle, *employees: Employee) -> list[Participation]:
    return [
        Participation.objects.create(cycle=cycle, employee=e, reviewer=e.manager) for e in employees
    ]


def version_of(obj) -> int:
    """The version a page loaded now would carry (the row's, not a stale instance's)."""
    return type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)
