"""The feedback interview's reads: who reaches an interview (feedback/policies.py
INTERVIEW; anything else is a 404), each side's own notes, the employee's page, the
reviewer's list, HR's completion per department and the to-dos.

PRIVACY: a preparation note is fetched only with ``author=me`` and the role the user
holds on the interview (``own_note``); no other read of PreparationNote exists.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import BigIntegerField, BooleanField, Case, Count, F, Q, Value, When, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisal.models import Appraisal
from feedback.models import Interview, InterviewStatus, PreparationNote, RootCause
from feedback.policies import INTERVIEW
from feedback.selectors.todos import rows_for
from feedback.services.interviews import LIVE, note_role
from feedback.services.settings import interviews_due, settings_for
from perfcycle import access, rollups
from perfcycle.access import Relation
from perfcycle.compiled import CompiledQuery
from perfcycle.lookups import in_id_list
from perfcycle.models import Cycle, Employee
from perfcycle.paging import get_page
from perfcycle.selectors import Todo
from perfcycle.stages import running_first

S = InterviewStatus

# The groups of the reviewer's list and of HR's counts, in the order shown.
TO_SCHEDULE = "to_schedule"
SCHEDULED = "scheduled"
HELD = "held"
CANCELLED = "cancelled"
GROUPS = (TO_SCHEDULE, SCHEDULED, HELD, CANCELLED)
GROUP_Q = {
    TO_SCHEDULE: Q(interview__isnull=True),
    SCHEDULED: Q(interview__status__in=LIVE),
    HELD: Q(interview__status=S.HELD),
    CANCELLED: Q(interview__status=S.CANCELLED),
}


def group_labels() -> dict[str, str]:
    return {
        TO_SCHEDULE: _("To schedule"),
        SCHEDULED: _("Scheduled"),
        HELD: _("Held"),
        CANCELLED: _("Cancelled"),
    }


def group_of(interview: Interview | None) -> str:
    if interview is None:
        return TO_SCHEDULE
    if interview.status in LIVE:
        return SCHEDULED
    return HELD if interview.status == S.HELD else CANCELLED


# --- One interview ---------------------------------------------------------------------------


def interviews_visible_to(user):
    return Interview.objects.filter(INTERVIEW.readable(user))


def with_people(qs):
    return qs.select_related(
        "appraisal",
        "participation__cycle",
        "participation__employee__user",
        "participation__employee__department",
        "participation__reviewer__user",
        "manager__user",
    )


# The reads of "My interview" and of one interview's own parts, their SQL built once per
# process and connection (perfcycle/compiled.py): building them cost more CPU than
# PostgreSQL took to answer them.
_interview_of = CompiledQuery(
    lambda appraisal_id: with_people(Interview.objects.filter(appraisal_id=appraisal_id))[:1]
)
_own_note = CompiledQuery(
    lambda interview_id, role, author_id: PreparationNote.objects.filter(
        interview_id=interview_id, role=role, author_id=author_id
    )[:1],
    arguments=3,
)
_causes_of = CompiledQuery(
    lambda interview_id: RootCause.objects.filter(interviews__id=interview_id).order_by(
        "position", "name"
    )
)
_my_released = CompiledQuery(
    lambda employee_id: (
        Appraisal.objects.filter(participation__employee_id=employee_id, released_at__isnull=False)
        .select_related("participation__cycle")
        .order_by("pk")
    )
)


def _readable_interview_queryset(employee_id, pk):
    held = access.held_by_q(Employee(pk=employee_id), INTERVIEW.read, INTERVIEW.path)
    return with_people(Interview.objects.filter(held, pk=pk))[:1]


# The interview page's one interview, as ``interviews_visible_to`` reads it: for HR (who
# reads every interview) by its id, for anyone else through the participations they hold a
# relation on. Built once per process (perfcycle/compiled.py): the scope's union of four
# subqueries and the ten joins cost ~1.5 ms of CPU to build on every interview page.
_readable_interview = CompiledQuery(_readable_interview_queryset, arguments=2)
_any_interview = CompiledQuery(lambda pk: with_people(Interview.objects.filter(pk=pk))[:1])


def get_interview_for(user, pk) -> Interview:
    """The interview ``pk`` with its people (``with_people``) if the user may read it
    (``interviews_visible_to``); else 404."""
    if Relation.HR in INTERVIEW.read and access.is_hr(user):
        rows = _any_interview(pk)
    else:
        employee = access.employee_of(user)
        rows = _readable_interview(employee.pk, pk) if employee is not None else []
    if not rows:
        raise Http404
    return rows[0]


def is_employee(user, interview: Interview) -> bool:
    employee = access.employee_of(user)
    return employee is not None and interview.participation.employee_id == employee.pk


def is_reviewer(user, interview: Interview) -> bool:
    """Whether the user schedules and records this interview (the participation's
    reviewer): the chain above and HR only read it."""
    return INTERVIEW.may(user, "schedule", interview.participation)


def own_note(user, interview: Interview) -> PreparationNote | None:
    """The user's own preparation notes on the interview (None if they keep none, or
    hold no side of it): fetched by author, never anyone else's."""
    role = note_role(user, interview)
    employee = access.employee_of(user)
    if role is None or employee is None:
        return None
    return next(iter(_own_note(interview.pk, str(role), employee.pk)), None)


def recorded_causes(interview: Interview) -> list[RootCause]:
    return _causes_of(interview.pk)


def active_root_causes():
    return RootCause.objects.filter(is_active=True).order_by("position", "name")


def get_schedulable_appraisal(user, appraisal_id) -> Appraisal:
    """An appraisal whose interview the user schedules (its participation's reviewer);
    404 for anyone else, whatever else they may read."""
    qs = Appraisal.objects.filter(INTERVIEW.acting(user, "schedule")).select_related(
        "participation__cycle",
        "participation__employee__user",
        "participation__reviewer__user",
    )
    return get_object_or_404(qs, pk=appraisal_id)


def interview_of(appraisal: Appraisal) -> Interview | None:
    return next(iter(_interview_of(appraisal.pk)), None)


# --- Links to the other parts of the stage ----------------------------------------------------

# The other parts of the stage put their pages about an interview on its page without
# this module importing them: ``provider(user, interview) -> (label, url) | None``
# (the next-cycle goals, the improvement plan, the employee's answer), registered from
# feedback/stage.py. A provider answers from what the interview has loaded, or with one
# query at most.
INTERVIEW_LINKS: list[Callable] = []


def register_interview_link(provider: Callable) -> None:
    if provider not in INTERVIEW_LINKS:
        INTERVIEW_LINKS.append(provider)


def interview_links(user, interview: Interview) -> list[tuple[str, str]]:
    return [link for provider in INTERVIEW_LINKS if (link := provider(user, interview))]


# --- The employee's page ---------------------------------------------------------------------


def my_released_appraisals(user) -> list[Appraisal]:
    """The person's released appraisals (with their cycle), in the default-cycle order."""
    employee = access.employee_of(user)
    if employee is None:
        return []
    return running_first(_my_released(employee.pk), cycle_of=lambda a: a.participation.cycle)


def choose_appraisal(appraisals: list[Appraisal], cycle_id: int | None) -> Appraisal | None:
    if cycle_id is None:
        return appraisals[0] if appraisals else None
    for appraisal in appraisals:
        if appraisal.participation.cycle_id == cycle_id:
            return appraisal
    raise Http404


# --- The reviewer's list ---------------------------------------------------------------------


def _reviewed_by(employee_id) -> Q:
    """The condition of ``INTERVIEW.q(user, Relation.REVIEWER)`` (HR aside) from the
    reviewer's id, for SQL compiled once."""
    return access.held_by_q(Employee(pk=employee_id), Relation.REVIEWER, INTERVIEW.path)


def _team_cycles_queryset(employee_id):
    scope = Appraisal.objects.filter(_reviewed_by(employee_id), released_at__isnull=False)
    return Cycle.objects.filter(pk__in=scope.values("participation__cycle_id")).select_related(
        "feedback_settings"
    )


# The reviewer's list's cycles, with their feedback rules (``settings_for`` reads them
# from there): built once per process (perfcycle/compiled.py).
_team_cycles = CompiledQuery(_team_cycles_queryset)


def team_cycles(user) -> list[Cycle]:
    """Cycles with released appraisals the user reviews, default-cycle order."""
    employee = access.employee_of(user)
    if employee is None:
        return []
    return running_first(_team_cycles(employee.pk))


@dataclass
class Section:
    """One group of the reviewer's list: its rows on this page, and how many it has."""

    key: str
    label: str
    count: int
    rows: list


@dataclass
class TeamList:
    cycle: Cycle
    due: dt.date | None
    overdue_after_due: bool
    # The rows of this page by group (to schedule, scheduled, held), in the list's order.
    groups: dict[str, list] = field(default_factory=dict)
    # How many each group has in all (the page shows at most PAGE_SIZE rows).
    counts: dict[str, int] = field(default_factory=dict)
    page: object = None

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    @property
    def sections(self) -> list[Section]:
        """The groups to show on this page: each one with rows here, and an empty group
        on the first page (where it says so); a group that is only on other pages is
        left out."""
        labels = group_labels()
        first = self.page is None or self.page.number == 1
        return [
            Section(key, labels[key], self.counts.get(key, 0), rows)
            for key, rows in self.groups.items()
            if rows or (first and not self.counts.get(key))
        ]


# The reviewer's list, one group after the other: to schedule (none yet, or cancelled) by
# name, scheduled by date, held latest first.
_TEAM_RANK = Case(
    When(Q(interview__isnull=True) | Q(interview__status=S.CANCELLED), then=Value(0)),
    When(interview__status__in=LIVE, then=Value(1)),
    default=Value(2),
)
TEAM_PAGE_SIZE = 50


def _team_scope(user, cycle: Cycle):
    return Appraisal.objects.filter(
        INTERVIEW.q(user, Relation.REVIEWER),
        participation__cycle=cycle,
        released_at__isnull=False,
    )


def _in_team_order(appraisals):
    return appraisals.annotate(team_rank=_TEAM_RANK).order_by(
        "team_rank",
        Case(When(team_rank=0, then=F("participation__employee__user__last_name"))),
        Case(When(team_rank=1, then=F("interview__starts_at"))),
        Case(When(team_rank=2, then=F("interview__held_at"))).desc(),
        Case(When(team_rank=2, then=-F("pk")), default=F("pk"), output_field=BigIntegerField()),
    )


def team_list(user, cycle: Cycle):
    """The lean list (perfcycle.paging) of the reviewer's released appraisals in
    ``cycle``, in the list's order: group, then name, date or the day held."""
    return _in_team_order(_team_scope(user, cycle))


def _team_rows_queryset():
    return Appraisal.objects.select_related("participation__employee__user", "interview")


def _first_page_ids_queryset(employee_id, cycle_id, *, size: int):
    lean = Appraisal.objects.filter(
        _reviewed_by(employee_id), participation__cycle_id=cycle_id, released_at__isnull=False
    )
    return (
        _in_team_order(lean)
        .annotate(_list_total=Window(Count("pk")))
        .values("pk", "_list_total")[:size]
    )


def _rows_by_ids_queryset(ids):
    table = Appraisal._meta.db_table
    among = RawSQL(in_id_list(f'"{table}"."id"'), [ids], BooleanField())
    return _team_rows_queryset().filter(among)


# The first page of the reviewer's list (nearly every visit: a team fits on it), as
# perfcycle.paging.get_page reads it (the page's ids with the list's length, then their
# rows), with SQL built once per process: building the two cost ~2 ms of CPU a visit.
# One per page size (the SQL has it as its LIMIT).
_first_page_ids: dict[int, CompiledQuery] = {}
_rows_by_ids = CompiledQuery(_rows_by_ids_queryset)


def _first_page(employee_id: int, cycle: Cycle, *, size: int) -> Page:
    if size not in _first_page_ids:
        _first_page_ids[size] = CompiledQuery(
            functools.partial(_first_page_ids_queryset, size=size), arguments=2
        )
    rows = _first_page_ids[size](employee_id, cycle.pk)
    ids = [row["pk"] for row in rows]
    paginator = Paginator(ids, size)
    paginator.count = rows[0]["_list_total"] if rows else 0  # a cached_property
    by_id = {appraisal.pk: appraisal for appraisal in _rows_by_ids(ids)} if ids else {}
    return Page([by_id[pk] for pk in ids if pk in by_id], 1, paginator)


def team_counts(user, cycle: Cycle) -> dict[str, int]:
    """How many of the reviewer's released appraisals in ``cycle`` are in each group of
    the list (one query)."""
    counts = _team_scope(user, cycle).aggregate(
        **{group: Count("pk", filter=GROUP_Q[group]) for group in GROUPS}
    )
    return {
        TO_SCHEDULE: counts[TO_SCHEDULE] + counts[CANCELLED],
        SCHEDULED: counts[SCHEDULED],
        HELD: counts[HELD],
    }


def team_interviews(user, cycle: Cycle, *, today: dt.date, page=None) -> TeamList:
    """One page (``page`` as given, e.g. ``request.GET.get("page")``; TEAM_PAGE_SIZE
    rows) of the released appraisals of the people the user reviews in ``cycle``, each
    with its interview, in groups: to schedule (none yet, or cancelled), scheduled (by
    date), held; with each group's count. Two queries (the page's ids with the list's
    length, its rows; a third for the cycle's rules unless the cycle came with them, as
    from ``team_cycles``), however many people; one more (the groups' counts) only for a
    list longer than one page. The first page's SQL is built once per process."""
    due = interviews_due(cycle, settings_for(cycle))
    employee = access.employee_of(user)
    if page in (None, "", "1") and employee is not None:
        paged = _first_page(employee.pk, cycle, size=TEAM_PAGE_SIZE)
    else:
        paged = get_page(
            team_list(user, cycle), _team_rows_queryset(), page, per_page=TEAM_PAGE_SIZE
        )
    groups: dict[str, list] = {TO_SCHEDULE: [], SCHEDULED: [], HELD: []}
    for appraisal in paged.object_list:
        interview = appraisal.current_interview = getattr(appraisal, "interview", None)
        group = group_of(interview)
        appraisal.overdue = bool(due and due < today and group != HELD)
        groups[TO_SCHEDULE if group == CANCELLED else group].append(appraisal)
    if paged.paginator.num_pages > 1:
        counts = team_counts(user, cycle)
    else:  # the whole list is on this page
        counts = {key: len(rows) for key, rows in groups.items()}
    return TeamList(
        cycle=cycle,
        due=due,
        # Red only while it matters: past the date with interviews still not held.
        overdue_after_due=bool(
            due and due < today and (counts.get(TO_SCHEDULE) or counts.get(SCHEDULED))
        ),
        groups=groups,
        counts=counts,
        page=paged,
    )


# --- HR: interview completion ----------------------------------------------------------------


# With their feedback rules (``settings_for`` reads them without a query; none yet: None).
_released_cycles = CompiledQuery(
    lambda: Cycle.objects.filter(appraisal_settings__released_at__isnull=False).select_related(
        "feedback_settings"
    ),
    arguments=0,
)


def completion_cycles() -> list[Cycle]:
    """The cycles whose ratings HR released (the appraisal settings' release: an
    appraisal is released only with it). Read from the settings, one row per cycle: the
    released appraisals themselves took 12–30 ms to find at 10,000 people."""
    return running_first(_released_cycles())


@dataclass
class DepartmentRow:
    name: str
    total: int
    to_schedule: int
    scheduled: int
    held: int
    cancelled: int
    overdue: int
    # The department as stored on the appraisals ("" or None: none), the filter's value.
    key: str | None = None

    @property
    def percent_held(self) -> int:
        return round(100 * self.held / self.total) if self.total else 0


# What HR's completion counts read: a write to any of them computes them again.
COMPLETION_SOURCES = ("appraisal_appraisal", "feedback_interview")


def _completion_counts(cycle: Cycle) -> list[dict]:
    """Per department, the released appraisals in each group: one aggregate over every
    released appraisal of the cycle (30–35 ms at 10,000), stored (perfcycle/rollups.py)
    until an appraisal or an interview changes, so a visit reads one stored row."""

    def compute() -> list[dict]:
        return list(
            Appraisal.objects.filter(participation__cycle=cycle, released_at__isnull=False)
            .values(dept=F("department_name"))
            .annotate(
                total=Count("pk"),
                **{group: Count("pk", filter=GROUP_Q[group]) for group in GROUPS},
            )
            .order_by("dept")
        )

    return rollups.cached(f"feedback.completion:{cycle.pk}", compute, sources=COMPLETION_SOURCES)


def completion_by_department(
    cycle: Cycle, *, today: dt.date, rules=None
) -> tuple[list, DepartmentRow]:
    """Per department (as on the appraisal), how many released appraisals have their
    interview to schedule, scheduled, held or cancelled, and how many are overdue after
    the rules' date (``rules``: the cycle's FeedbackSettings, read if not given): stored
    counts, however many interviews; the sum as the last row."""
    due = interviews_due(cycle, rules or settings_for(cycle))
    late = bool(due and due < today)
    lines = []
    for row in _completion_counts(cycle):
        lines.append(
            DepartmentRow(
                name=row["dept"] or _("No department"),
                total=row["total"],
                to_schedule=row[TO_SCHEDULE],
                scheduled=row[SCHEDULED],
                held=row[HELD],
                cancelled=row[CANCELLED],
                overdue=(row["total"] - row[HELD]) if late else 0,
                key=row["dept"],
            )
        )
    total = DepartmentRow(
        name=_("All departments"),
        **{
            name: sum(getattr(line, name) for line in lines)
            for name in ("total", "to_schedule", "scheduled", "held", "cancelled", "overdue")
        },
    )
    return lines, total


# The first key of HR's list: the department as stored on the appraisal.
COMPLETION_GROUPED_BY = "department_name"


def completion_groups(
    lines: list[DepartmentRow], *, group: str = "", department: str | None = None
) -> list[tuple[str, int]]:
    """How many rows ``completion_list`` has in each department for these filters, in its
    order, from the counts the page shows anyway: ``[(department as stored, rows), …]``
    (perfcycle.paging.get_page_by_groups then reads only the departments of one page)."""
    if department is not None:
        lines = [line for line in lines if (line.key or "") == department]
    field = group if group in GROUP_Q else "total"
    return [(line.key or "", getattr(line, field)) for line in lines]


def completion_list(cycle: Cycle, *, group: str = "", department: str | None = None):
    """The cycle's released appraisals, by department and name, narrowed to a group and a
    department, as values of what the list shows of each (the person, the reviewer, the
    interview; ``completion_row`` turns one into what the template reads). Its first key
    is the department as stored on the appraisal (``COMPLETION_GROUPED_BY``): a page reads
    the departments it spans through the index of released appraisals by department."""
    qs = Appraisal.objects.filter(participation__cycle=cycle, released_at__isnull=False)
    if group in GROUP_Q:
        qs = qs.filter(GROUP_Q[group])
    if department is not None:
        qs = qs.filter(department_name=department)
    return qs.values(*_COMPLETION_VALUES).order_by(*_COMPLETION_ORDER)


_COMPLETION_ORDER = (COMPLETION_GROUPED_BY, "participation__employee__user__last_name", "pk")


def _completion_page(group: str) -> CompiledQuery:
    """``completion_list``'s rows of the departments from ``first`` to ``last`` (as
    stored) after the first ``after``, up to the ``upto``-th, in its order: the departments'
    range and the row numbers are parameters (a page's ``LIMIT`` and ``OFFSET`` would be
    part of the SQL), so its SQL is built once (perfcycle/compiled.py) and planned once."""

    def build(cycle_id, first, last, after, upto):
        qs = Appraisal.objects.filter(
            participation__cycle_id=cycle_id,
            released_at__isnull=False,
            department_name__gte=first,
            department_name__lte=last,
        )
        if group in GROUP_Q:
            qs = qs.filter(GROUP_Q[group])
        number = Window(
            RowNumber(output_field=BigIntegerField()),
            order_by=[F(name).asc() for name in _COMPLETION_ORDER],
        )
        return (
            qs.values(*_COMPLETION_VALUES)
            .alias(_number=number)
            .filter(_number__gt=after, _number__lte=upto)
            .order_by(*_COMPLETION_ORDER)
        )

    return CompiledQuery(build, arguments=5)


_completion_pages = {group: _completion_page(group) for group in ("", *GROUPS)}


def completion_page(
    cycle: Cycle, *, group: str = "", first: str, last: str, skip: int, count: int
) -> list[dict]:
    """The rows of a page of ``completion_list`` (for a group, not a department: the
    department's filter is its range), its departments from ``first`` to ``last``: what
    ``perfcycle.paging.get_page_by_groups`` reads (its ``read``); ~1.7 ms of CPU to
    build its SQL, ~1.7 ms to plan it, each time, as a queryset."""
    query = _completion_pages[group if group in GROUP_Q else ""]
    return query(cycle.pk, first, last, skip, skip + count)


# What a row of HR's list shows, as values: six model instances a row (the appraisal, its
# participation, two people and their logins, the interview) cost ~3.5 ms of CPU a page.
_COMPLETION_VALUES = (
    "pk",
    "department_name",
    "participation__reviewer_id",
    *(
        f"participation__{person}__{name}"
        for person in ("employee", "reviewer")
        for name in Employee.NAME_VALUES
    ),
    "interview__id",
    "interview__status",
    "interview__starts_at",
    "interview__held_at",
)


@dataclass
class _Person:
    full_name: str


@dataclass
class _CompletionParticipation:
    employee: _Person
    reviewer: _Person | None


@dataclass
class _CompletionInterview:
    pk: int
    status: str
    starts_at: dt.datetime
    held_at: dt.datetime | None

    def get_status_display(self):
        return S(self.status).label


@dataclass
class CompletionRow:
    """A row of HR's list, as the template reads an appraisal with its interview."""

    pk: int
    department_name: str
    participation: _CompletionParticipation
    current_interview: _CompletionInterview | None


def completion_row(values: dict) -> CompletionRow:
    reviewer = None
    if values["participation__reviewer_id"] is not None:
        reviewer = _Person(Employee.name_in(values, "participation__reviewer"))
    interview = None
    if values["interview__id"] is not None:
        interview = _CompletionInterview(
            pk=values["interview__id"],
            status=values["interview__status"],
            starts_at=values["interview__starts_at"],
            held_at=values["interview__held_at"],
        )
    return CompletionRow(
        pk=values["pk"],
        department_name=values["department_name"],
        participation=_CompletionParticipation(
            employee=_Person(Employee.name_in(values, "participation__employee")),
            reviewer=reviewer,
        ),
        current_interview=interview,
    )


def department_names(cycle: Cycle) -> list[str]:
    return list(
        Appraisal.objects.filter(participation__cycle=cycle, released_at__isnull=False)
        .order_by("department_name")
        .values_list("department_name", flat=True)
        .distinct()
    )


# --- To-dos ----------------------------------------------------------------------------------


def interview_todos(viewer) -> list[Todo]:
    """The employee's interview to come (prepare), and the reviewer's interviews to
    schedule and to record, in cycles in feedback. From the stage's one to-do query
    (feedback/selectors/todos.py); none for someone
    with no participation in feedback who reviews nobody there."""
    if viewer.employee is None:
        return []
    own = viewer.own_participation_ids(Cycle.Phase.FEEDBACK)
    reviewed = viewer.reviewed_ids(Cycle.Phase.FEEDBACK)
    if not own and not reviewed:
        return []
    rows = rows_for(viewer, [*own, *reviewed])
    today = timezone.localdate()
    own_ids = set(own)
    todos = []
    to_schedule: dict[int, list] = defaultdict(list)
    to_record: dict[int, list] = defaultdict(list)
    for row in rows:
        due = row["rule_due"] or row["deadline"]
        if row["participation_id"] in own_ids:
            if row["interview_status"] in LIVE:
                todos.append(
                    Todo(
                        title=_("Prepare for your feedback interview"),
                        url=reverse("feedback:interview-detail", args=[row["interview_id"]]),
                        action=_("Prepare"),
                        due=timezone.localdate(row["starts_at"]),
                    )
                )
            continue
        if row["interview_status"] in (None, S.CANCELLED):
            to_schedule[row["cycle_id"]].append(due)
        elif row["interview_status"] in LIVE and timezone.localdate(row["starts_at"]) <= today:
            to_record[row["cycle_id"]].append(due)
    url = reverse("feedback:interview-team")
    for cycle_id, dues in sorted(to_schedule.items()):
        title = ngettext(
            "%(count)s feedback interview to schedule",
            "%(count)s feedback interviews to schedule",
            len(dues),
        )
        todos.append(_team_todo(title, len(dues), f"{url}?cycle={cycle_id}", _("Schedule"), dues))
    for cycle_id, dues in sorted(to_record.items()):
        title = ngettext(
            "%(count)s feedback interview to record",
            "%(count)s feedback interviews to record",
            len(dues),
        )
        todos.append(_team_todo(title, len(dues), f"{url}?cycle={cycle_id}", _("Record"), dues))
    return todos


def _team_todo(title: str, count: int, url: str, action: str, dues: list) -> Todo:
    return Todo(title=title % {"count": count}, url=url, action=action, due=dues[0])


# --- HR home: the cycle's health ----------------------------------------------------------------


def interview_health(cycle: Cycle, *, today: dt.date) -> list:
    """In the feedback phase: interviews held of the released appraisals, and how many
    are not held after the rules' date. Two queries (the rules, the counts)."""
    from perfcycle.stages import Health

    if cycle.phase != Cycle.Phase.FEEDBACK:
        return []
    due = interviews_due(cycle, settings_for(cycle))
    counts = Appraisal.objects.filter(
        participation__cycle=cycle, released_at__isnull=False
    ).aggregate(total=Count("pk"), held=Count("pk", filter=GROUP_Q[HELD]))
    if not counts["total"]:
        return []
    late = bool(due and due < today)
    return [
        Health(
            key="feedback_interviews",
            label=_("Feedback interviews held"),
            url=f"{reverse('feedback:interview-completion')}?cycle={cycle.pk}",
            done=counts["held"],
            total=counts["total"],
            overdue=(counts["total"] - counts["held"]) if late else 0,
        )
    ]
