"""Demo data: a realistic organisation to try PerfCycle in, and a large one for benchmarks.

``seed_demo()`` builds, in one transaction:

- a 41-person company (a CEO, six departments with their heads, team leads and staff,
  one leaver) whose chart is four levels deep, including the six fixed logins;
- the current cycle, in its eighth month (``cycle_dates``) and its implementation
  phase, with every active person enrolled, set to advance automatically (it moves to
  appraisal on the day after implementation ends, two to three months after the seed),
  and last year's cycle, closed, for history; the months behind the current cycle
  (approvals, check-ins, progress, deviations, evidence) are written by the stages'
  demo modules (goals/demo.py, implementation/demo.py) for the 41 people of the demo
  company (``history_people``), composed by ``manage.py seed_demo``; with
  ``last_year_history`` last year's cycle starts in planning with those 41 people only,
  and appraisal/demo.py takes it through its phases to closed (``enrol_last_year`` then
  adds everyone else, as before);
- with ``employees=N``, about N - 41 more people in 44 sub-departments, each
  sub-department a tree with a manager per eight people.

It is idempotent: a second run finds the demo org (by the CEO's employee number) and
adds nothing, unless a larger ``employees`` asks it to grow. A seed is a data load, not a
workflow, so it writes rows in bulk through the ORM; the two facts worth an audit record
(each cycle created, the enrolment) go through ``perfcycle.services``. The people, titles
and names are data, in ``perfcycle.demo_data``.

Every demo person shares one password. It is hashed once and the hash reused: hashing
10,000 passwords with the production hasher would take hours.
"""

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from perfcycle import services
from perfcycle.demo_data import (
    DEPARTMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    LEADERSHIP,
    LOGINS,
    PEOPLE,
    TEAMS,
)
from perfcycle.models import Cycle, Department, Employee, Participation
from perfcycle.workflow import SYSTEM

DEMO_PASSWORD = "perfcycle-demo"
EMAIL_DOMAIN = "demo.perfcycle.example"
NUMBER_PREFIX = "DEMO-"
LARGE_PREFIX = f"{NUMBER_PREFIX}B"
# Every manager in the generated part of a large org has up to this many direct reports.
SPAN_OF_CONTROL = 8
BATCH_SIZE = 2000


class DemoConflictError(Exception):
    """The database holds real data that the demo would collide with."""


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    name: str
    department: str
    job_title: str


@dataclass(frozen=True)
class SeedResult:
    created: bool  # the demo org was created by this run (False: it was already there)
    added: int  # people added by this run
    total: int  # demo people now in the database
    departments: int
    current_cycle: Cycle | None
    previous_cycle: Cycle | None
    logins: list[Login]


@dataclass(frozen=True)
class NewPerson:
    """One person to create: the plan, before any row exists."""

    number: str
    username: str
    first_name: str
    last_name: str
    job_title: str
    department: str
    manager_number: str | None
    hr: bool = False
    is_active: bool = True


# --- Entry point -------------------------------------------------------------------------


def seed_demo(
    *, employees: int | None = None, today: dt.date | None = None, last_year_history: bool = False
) -> SeedResult:
    """Create the demo org (or grow it to ``employees`` people); safe to run again.

    ``last_year_history``: last year's cycle is created in planning, with the demo
    company's people only, for the appraisal stage's demo to take through its phases
    (``manage.py seed_demo``); without, it is created closed with everyone in it."""
    today = today or timezone.localdate()
    with transaction.atomic():
        created = not Employee.objects.filter(employee_number=core_number(0)).exists()
        added = 0
        if created:
            _refuse_clashes()
            departments = _ensure_departments([LEADERSHIP, *(p.name for p in DEPARTMENTS)])
            _create_people(core_people(), departments=departments, known={})
            added += len(PEOPLE)
        if employees is not None and employees > len(PEOPLE):
            added += _grow_large_org(employees - len(PEOPLE))
        if created:
            current, previous = _create_cycles(today, last_year_history=last_year_history)
        else:
            current, previous = _demo_cycles()
            if added and current is not None:
                _enrol_current(current)
        total = Employee.objects.filter(employee_number__startswith=NUMBER_PREFIX).count()
        return SeedResult(
            created=created,
            added=added,
            total=total,
            departments=Department.objects.count(),
            current_cycle=current,
            previous_cycle=previous,
            logins=logins(),
        )


def logins() -> list[Login]:
    by_username = {
        e.user.username: e
        for e in Employee.objects.with_org().filter(user__username__in=[u for u, _ in LOGINS])
    }
    return [
        Login(
            username=username,
            role=role,
            name=by_username[username].full_name,
            department=str(by_username[username].department or ""),
            job_title=by_username[username].job_title,
        )
        for username, role in LOGINS
        if username in by_username
    ]


# --- The plan (pure: no database) -----------------------------------------------------


def core_number(index: int) -> str:
    return f"{NUMBER_PREFIX}C{index + 1:03d}"


def large_number(team: int, index: int) -> str:
    return f"{LARGE_PREFIX}{team:02d}-{index:05d}"


def parse_large_number(number: str) -> tuple[int, int]:
    team, index = number.removeprefix(LARGE_PREFIX).split("-")
    return int(team), int(index)


def _core_numbers() -> dict[str, str]:
    return {p.username: core_number(i) for i, p in enumerate(PEOPLE)}


def core_people() -> list[NewPerson]:
    numbers = _core_numbers()
    return [
        NewPerson(
            number=numbers[p.username],
            username=p.username,
            first_name=p.first_name,
            last_name=p.last_name,
            job_title=p.job_title,
            department=p.department,
            manager_number=numbers[p.manager] if p.manager else None,
            hr=p.hr,
            is_active=p.is_active,
        )
        for p in PEOPLE
    ]


def team_targets(generated: int, existing: dict[int, int]) -> list[int]:
    """How many people each team should have for ``generated`` people in all.

    Shares follow the departments' weights (largest remainder); a team never shrinks,
    so growing an existing large org keeps everyone already there.
    """
    weights = [plan.share / len(plan.teams) for _team, plan in TEAMS]
    total_weight = sum(weights)
    quotas = [generated * w / total_weight for w in weights]
    targets = [int(q) for q in quotas]
    by_remainder = sorted(range(len(TEAMS)), key=lambda t: quotas[t] - targets[t], reverse=True)
    for t in by_remainder[: generated - sum(targets)]:
        targets[t] += 1
    return [max(target, existing.get(t, 0)) for t, target in enumerate(targets)]


def _parent_index(index: int) -> int:
    # Each team is a complete tree filled level by level: node i reports to (i - 1) // span.
    return (index - 1) // SPAN_OF_CONTROL


def _depth(index: int) -> int:
    depth = 0
    while index > 0:
        index, depth = _parent_index(index), depth + 1
    return depth


def _has_reports(index: int, size: int) -> bool:
    return index * SPAN_OF_CONTROL + 1 < size


def _title(team: int, index: int, size: int) -> str:
    name, plan = TEAMS[team]
    if index == 0:
        return f"Head of {name}"
    if _has_reports(index, size):
        return plan.manager_title if _depth(index) == 1 else plan.lead_title
    return plan.staff_titles[(index * 7 + team) % len(plan.staff_titles)]


def _generated_person(team: int, index: int, size: int) -> NewPerson:
    name, plan = TEAMS[team]
    first = FIRST_NAMES[(index * 7 + team * 3) % len(FIRST_NAMES)]
    last = LAST_NAMES[(index * 11 + team * 5 + index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    if index == 0:
        manager_number = _core_numbers()[plan.head]
    else:
        manager_number = large_number(team, _parent_index(index))
    return NewPerson(
        number=large_number(team, index),
        username=f"{first}.{last}{team:02d}{index:04d}".lower(),
        first_name=first,
        last_name=last,
        job_title=_title(team, index, size),
        department=name,
        manager_number=manager_number,
    )


def plan_large_org(
    generated: int, existing: dict[int, int]
) -> tuple[list[NewPerson], dict[str, str]]:
    """The people to add so the generated part of the org holds ``generated`` people.

    ``existing`` counts the people each team already has. Returns the new people and the
    new job titles of people already there who now get their first reports.
    """
    targets = team_targets(generated, existing)
    people: list[NewPerson] = []
    promotions: dict[str, str] = {}
    for team, size in enumerate(targets):
        old_size = existing.get(team, 0)
        people.extend(_generated_person(team, i, size) for i in range(old_size, size))
        for index in range(old_size):
            if _has_reports(index, size) and not _has_reports(index, old_size):
                promotions[large_number(team, index)] = _title(team, index, size)
    return people, promotions


def cycle_dates(today: dt.date) -> dict:
    """Dates of the cycle running on ``today``: a year that began on the first of the
    month seven months before this one, so ``today`` is in its eighth month.

    Planning ended in the second month, six monthly check-ins lie behind and
    implementation runs for another two to three months, whatever the day the demo is
    seeded.
    """
    month = today.year * 12 + today.month - 1 - 7
    return _cycle_dates_from(dt.date(month // 12, month % 12 + 1, 1))


def _cycle_dates_from(start: dt.date) -> dict:
    end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
    return {
        "start_date": start,
        "end_date": end,
        "planning_deadline": start + dt.timedelta(days=42),
        "implementation_deadline": end - dt.timedelta(days=75),
        "appraisal_deadline": end - dt.timedelta(days=45),
        "feedback_deadline": end - dt.timedelta(days=25),
        "application_deadline": end,
        "checkin_cadence": Cycle.Cadence.MONTHLY,
    }


def _year_earlier(dates: dict) -> dict:
    start = dates["start_date"]  # always the 1st of a month, so never 29 February
    return _cycle_dates_from(start.replace(year=start.year - 1))


def pseudo_random(*numbers: int) -> float:
    """A stable number in [0, 1) from integers: the same demo every run."""
    value = 0
    for n in numbers:
        value = (value * 1_000_003 + n * 2_654_435_761) % 4_294_967_291
    return (value % 10_000) / 10_000


def moment(day: dt.date, minutes: int = 0, *, hour: int = 9) -> dt.datetime:
    """An aware moment on ``day``: ``hour`` o'clock local time plus ``minutes`` spread
    over a working day, never later than now, so seeded history is never in the future.
    (``hour=2``: the nightly tasks' time.)"""
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())
    return min(start + dt.timedelta(minutes=minutes % 540), timezone.now())


def history_people() -> list[int]:
    """The people whose months of history the demo writes: the 41 of the demo company.
    The generated people of a large org (benchmarks) get their goals, this period's
    check-in and a little evidence only: their history would take minutes to write."""
    return list(
        Employee.objects.filter(employee_number__startswith=f"{NUMBER_PREFIX}C").values_list(
            "pk", flat=True
        )
    )


@contextmanager
def clock(when: dt.datetime) -> Iterator[None]:
    """During the block, ``timezone.now()`` (and so ``timezone.localdate()``) is ``when``,
    a second later at each call: the services a demo runs to write a year that is over
    (appraisal/demo.py) stamp their rows, audit records and notifications with the day it
    happened, as the audit log, which refuses any later UPDATE, must hold them. Only for
    the seed command (one thread); a field whose default is ``timezone.now`` itself is
    not reached and is dated by the caller."""
    ticks = itertools.count()
    real_now = timezone.now

    def now() -> dt.datetime:
        # Never past the real clock: a moment of today (``moment`` stops at now) plus a
        # second per call would date a check-point recorded today in the future.
        return min(when + dt.timedelta(seconds=next(ticks)), real_now())

    with mock.patch("django.utils.timezone.now", now):
        yield


class UserRef:
    """A user known by id only, as the actor of a seeded audit event (no row loaded)."""

    is_authenticated = True

    def __init__(self, pk: int):
        self.pk = pk


# --- Writes ---------------------------------------------------------------------------


def _refuse_clashes() -> None:
    usernames = [p.username for p in PEOPLE]
    taken = list(
        get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True)
    )
    if taken:
        raise DemoConflictError(
            "This database already has users named "
            + ", ".join(sorted(taken))
            + " that are not part of the demo; seed the demo into an empty database."
        )


def _ensure_departments(names: Iterable[str], parents: dict[str, str] | None = None) -> dict:
    """Departments by name, creating the missing ones (a real one of that name is reused)."""
    names = list(names)
    parents = parents or {}
    found = {d.name: d for d in Department.objects.filter(name__in=names)}
    missing = [n for n in names if n not in found]
    if missing:
        parent_ids = dict(
            Department.objects.filter(name__in=set(parents.values())).values_list("name", "id")
        )
        Department.objects.bulk_create(
            [Department(name=n, parent_id=parent_ids.get(parents.get(n))) for n in missing]
        )
        found = {d.name: d for d in Department.objects.filter(name__in=names)}
    return found


def _create_people(
    people: list[NewPerson], *, departments: dict, known: dict[str, int]
) -> dict[str, int]:
    """Create users and employees in bulk; managers first, level by level.

    ``known`` maps the employee numbers of people already in the database to their ids;
    it is extended with the new people and returned.
    """
    if not people:
        return known
    password = make_password(DEMO_PASSWORD)
    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(
                username=p.username,
                first_name=p.first_name,
                last_name=p.last_name,
                email=f"{p.username}@{EMAIL_DOMAIN}",
                password=password,
                is_active=p.is_active,
            )
            for p in people
        ],
        batch_size=BATCH_SIZE,
    )
    user_ids = {u.username: u.pk for u in users}
    hr_users = [user_ids[p.username] for p in people if p.hr]
    if hr_users:
        services.hr_group().user_set.add(*hr_users)

    levels: dict[int, list[NewPerson]] = defaultdict(list)
    depth: dict[str, int] = {}
    for p in people:  # the plan lists every manager before their reports
        depth[p.number] = depth[p.manager_number] + 1 if p.manager_number in depth else 0
        levels[depth[p.number]].append(p)
    known = dict(known)
    for level in sorted(levels):
        created = Employee.objects.bulk_create(
            [
                Employee(
                    user_id=user_ids[p.username],
                    employee_number=p.number,
                    department=departments[p.department],
                    job_title=p.job_title,
                    manager_id=known[p.manager_number] if p.manager_number else None,
                    is_active=p.is_active,
                )
                for p in levels[level]
            ],
            batch_size=BATCH_SIZE,
        )
        known.update((e.employee_number, e.pk) for e in created)
    return known


def _grow_large_org(generated: int) -> int:
    """Add generated people until there are ``generated`` of them; returns how many."""
    known = dict(
        Employee.objects.filter(employee_number__startswith=NUMBER_PREFIX).values_list(
            "employee_number", "id"
        )
    )
    existing: dict[int, int] = defaultdict(int)
    for number in known:
        if number.startswith(LARGE_PREFIX):
            existing[parse_large_number(number)[0]] += 1
    people, promotions = plan_large_org(generated, existing)
    parents = {team: plan.name for team, plan in TEAMS}
    departments = _ensure_departments([*(p.name for p in DEPARTMENTS), *parents], parents=parents)
    _create_people(people, departments=departments, known=known)
    by_title: dict[str, list[str]] = defaultdict(list)
    for number, title in promotions.items():
        by_title[title].append(number)
    for title, numbers in by_title.items():
        Employee.objects.filter(employee_number__in=numbers).update(job_title=title)
    return len(people)


def _create_cycles(today: dt.date, *, last_year_history: bool) -> tuple[Cycle, Cycle]:
    """This year's cycle (implementation, everyone enrolled) and last year's: closed, or in
    planning with the demo company's people when its history is to be written."""
    dates = cycle_dates(today)
    previous_dates = _year_earlier(dates)
    previous = _ensure_cycle(
        f"FY{previous_dates['start_date'].year} performance cycle",
        Cycle.Phase.PLANNING if last_year_history else Cycle.Phase.CLOSED,
        previous_dates,
    )
    # With last year's history to write, this year's cycle waits in planning until last
    # year's interviews have agreed its first goals (``start_implementation``).
    current = _ensure_cycle(
        f"FY{dates['start_date'].year} performance cycle",
        Cycle.Phase.PLANNING if last_year_history else Cycle.Phase.IMPLEMENTATION,
        {**dates, "auto_advance": True},
    )
    if last_year_history:
        # The 41 whose year is written; the leaver was still there then.
        _enrol_last_year(previous, prefix=f"{NUMBER_PREFIX}C")
    else:
        enrol_last_year(previous)
    if current.is_open:
        _enrol_current(current)
    return current, previous


def start_implementation(cycle: Cycle) -> None:
    """This year's demo cycle, planned, moves into implementation as HR moved it: the
    morning after its planning deadline, once nothing blocks it (the stages' guards), with
    the audit record dated then. The stages' entry hooks are not run: the command opens
    this period's check-ins and writes the months behind them (a hook run on that morning
    would open the first period's instead). A cycle in any other phase is left alone."""
    from perfcycle.phases import phase_blockers

    if cycle.phase != Cycle.Phase.PLANNING:
        return
    blockers = phase_blockers(cycle)
    if blockers:
        raise DemoConflictError(" ".join(str(b) for b in blockers))
    hr = services.hr_group().user_set.filter(is_active=True).order_by("pk").first()
    with clock(moment(cycle.planning_deadline + dt.timedelta(days=1), hour=8)):
        Cycle.objects.filter(pk=cycle.pk).update(
            phase=Cycle.Phase.IMPLEMENTATION, version=F("version") + 1
        )
        services.record_event(
            actor=hr or SYSTEM,
            verb="cycle.phase_changed",
            obj=cycle,
            before={"phase": Cycle.Phase.PLANNING},
            after={"phase": Cycle.Phase.IMPLEMENTATION},
        )
    cycle.refresh_from_db()


def enrol_last_year(previous: Cycle) -> int:
    """Everyone in the demo takes part in last year's (closed) cycle, with today's chart:
    it is history, so a closed cycle takes no new people through the service and this is
    a plain load. Returns how many were added."""
    return _enrol_last_year(previous, prefix=NUMBER_PREFIX)


def _enrol_last_year(previous: Cycle, *, prefix: str) -> int:
    already = set(
        Participation.objects.filter(cycle=previous).values_list("employee_id", flat=True)
    )
    rows = Participation.objects.bulk_create(
        [
            Participation(cycle=previous, employee_id=e_id, reviewer_id=m_id)
            for e_id, m_id in Employee.objects.filter(
                employee_number__startswith=prefix
            ).values_list("id", "manager_id")
            if e_id not in already
        ],
        batch_size=BATCH_SIZE,
    )
    return len(rows)


def _ensure_cycle(name: str, phase: str, dates: dict) -> Cycle:
    cycle = Cycle.objects.filter(name=name).first()
    if cycle is not None:
        return cycle  # a cycle HR created by hand under that name is used as it is
    cycle = Cycle.objects.create(name=name, phase=phase, **dates)
    services.record_event(
        actor=SYSTEM,
        verb="cycle.created",
        obj=cycle,
        after=services.snapshot(cycle, [*services.CYCLE_FIELDS, "phase"]),
    )
    return cycle


def _enrol_current(cycle: Cycle) -> int:
    return services.enrol_employees(
        actor=SYSTEM,
        cycle=cycle,
        employees=Employee.objects.filter(employee_number__startswith=NUMBER_PREFIX),
    )


def _demo_cycles() -> tuple[Cycle | None, Cycle | None]:
    """The demo's cycles on a later run, of those the CEO takes part in: the newest open
    one, and the one before it (last year's: closed, or on its way there if writing its
    history was interrupted); without an open one, the newest closed."""
    cycles = list(
        Cycle.objects.filter(participations__employee__employee_number=core_number(0)).order_by(
            "-start_date", "-pk"
        )
    )
    current = next((c for c in cycles if c.is_open), None)
    if current is None:
        return None, next(iter(cycles), None)
    previous = next((c for c in cycles if c.start_date < current.start_date), None)
    return current, previous
