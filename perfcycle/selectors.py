"""Read side of the core app: what each role's pages show."""

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from perfcycle import access, rollups
from perfcycle.compiled import CompiledQuery
from perfcycle.models import Cycle, Employee, Notification, OrgImport, Participation
from perfcycle.stages import (
    Health,
    choose_participation,
    open_participations,
    registry,
    running_first,
)


@dataclass(frozen=True)
class Todo:
    """One thing that needs the user now, with one button."""

    title: str
    url: str
    action: str
    due: date | None = None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < timezone.localdate()


def due_after(kind: str, start: date | datetime | None) -> date | None:
    """When a to-do of ``kind`` started on ``start`` (a date, or a moment in the local
    time zone) is due: ``PERFCYCLE_TODO_DUE_DAYS[kind]`` days later (a policy setting)."""
    if start is None:
        return None
    if isinstance(start, datetime):
        start = timezone.localdate(start)
    return start + timedelta(days=settings.PERFCYCLE_TODO_DUE_DAYS[kind])


def by_urgency(todos: list[Todo]) -> list[Todo]:
    """Overdue first, then by due date (soonest first), undated last; stable otherwise."""
    return sorted(todos, key=lambda todo: (todo.due is None, todo.due or date.max))


def current_participation(
    employee: Employee | None, cycle_id: int | None = None
) -> Participation | None:
    """The employee's participation in the open cycle ``cycle_id`` (404 unless theirs), else
    the default one: the cycle that is running for them (``stages.running_first``, the same
    rule as ``Viewer.current_participation``)."""
    return choose_participation(open_participations(employee), cycle_id)


def todos_for_employee(viewer) -> list[Todo]:
    """What needs this person now: every stage's to-dos (providers registered in
    perfcycle/stages.py, each given the request's one ``Viewer``), then unread
    notifications."""
    todos: list[Todo] = registry.todos(viewer)
    unread = viewer.unread_notifications
    if unread:
        todos.append(
            Todo(
                title=ngettext(
                    "%(count)s unread notification", "%(count)s unread notifications", unread
                )
                % {"count": unread},
                url=reverse("notification-list"),
                action=_("Read"),
            )
        )
    return by_urgency(todos)


_ACTIVE_REPORTS_SQL = """(
    SELECT COUNT(*) FROM perfcycle_employee AS r
    WHERE r.manager_id = perfcycle_employee.id AND r.is_active)"""
_IN_CYCLE_SQL = """(
    SELECT COUNT(*) FROM perfcycle_participation AS p
    WHERE p.employee_id = perfcycle_employee.id AND p.cycle_id = %s)"""


def _team_rows_queryset(manager_id, cycle_id=None):
    qs = (
        Employee.objects.select_related("user", "department")
        .filter(manager_id=manager_id, is_active=True)
        .annotate(report_count=RawSQL(_ACTIVE_REPORTS_SQL, []))
    )
    if cycle_id is not None:
        qs = qs.annotate(in_cycle=RawSQL(_IN_CYCLE_SQL, [cycle_id]))
    return qs.order_by("user__last_name", "user__first_name")


# The team home's table on every request of a manager: SQL built once (perfcycle/compiled.py).
_team_rows = CompiledQuery(_team_rows_queryset)
_team_rows_in_cycle = CompiledQuery(_team_rows_queryset, arguments=2)


def team_rows(user, cycle: Cycle | None) -> list[Employee]:
    """Direct reports with their participation in ``cycle``: one query whatever the size
    (the two counts as SQL written once: the ORM's grouped joins cost more to compile)."""
    employee = access.employee_of(user)
    if employee is None:
        return []
    if cycle is None:
        return _team_rows(employee.pk)
    return _team_rows_in_cycle(employee.pk, cycle.pk)


def cycles_overview():
    """HR's cycle table: participants per cycle in one query."""
    return Cycle.objects.annotate(participant_count=Count("participations")).order_by(
        "-start_date", "name"
    )


def todos_for_hr(viewer, cycles=None) -> list[Todo]:
    """HR's to-dos: cycles past a phase deadline (of ``cycles`` when the page has them
    loaded already), a validated import, then what stages registered for HR
    (``register_todo_provider(..., audience="hr")``)."""
    todos: list[Todo] = []
    today = timezone.localdate()
    if cycles is None:
        cycles = Cycle.objects.exclude(phase=Cycle.Phase.CLOSED).order_by("start_date")[:20]
    for cycle in cycles:
        if cycle.phase == Cycle.Phase.CLOSED:
            continue
        deadline = cycle.current_deadline
        if deadline and deadline < today:
            todos.append(
                Todo(
                    title=_("%(cycle)s: the %(phase)s phase was due to end")
                    % {
                        "cycle": cycle.name,
                        "phase": cycle.get_phase_display(),
                    },
                    url=cycle.get_absolute_url(),
                    action=_("Review cycle"),
                    due=deadline,
                )
            )
    pending = (
        OrgImport.objects.filter(status=OrgImport.Status.VALIDATED).order_by("-uploaded_at").first()
    )
    if pending is not None and not pending.has_errors:
        todos.append(
            Todo(
                title=_("An organisation import is validated and waiting for confirmation"),
                url=reverse("org-import-detail", args=[pending.pk]),
                action=_("Review import"),
                due=due_after("import_confirmation", pending.uploaded_at),
            )
        )
    return by_urgency(todos + registry.todos(viewer, audience="hr"))


HEALTH_CYCLES = 5
HR_HOME_CYCLES = 10


def health_cycles(cycles, *, today: date) -> list[Cycle]:
    """The open ones of ``cycles`` whose health HR's home shows: at most ``HEALTH_CYCLES``,
    the running ones first."""
    open_cycles = [c for c in cycles if c.phase != Cycle.Phase.CLOSED]
    return running_first(open_cycles, today=today)[:HEALTH_CYCLES]


def cycle_health(cycles, *, today: date) -> list[tuple[Cycle, list]]:
    """HR home's health of the open ones of ``cycles`` (``health_cycles``): the lines every
    stage registered (``register_health_provider``), a query or so per cycle and stage,
    none per person. Computed afresh: HR's home reads it stored (``hr_overview``)."""
    return [
        (cycle, registry.health(cycle, today=today)) for cycle in health_cycles(cycles, today=today)
    ]


def _health_from_json(line: dict) -> Health:
    return Health(**{**line, "parts": tuple(tuple(part) for part in line["parts"])})


def hr_overview(*, today: date) -> dict:
    """Everything on HR's home that aggregates whole tables, as a stored roll-up
    (perfcycle/rollups.py: computed again only after a write to a table it reads, so never
    stale; one query when nothing changed): the newest ``HR_HOME_CYCLES`` cycles with
    their participant counts, the head counts (``org_counts``) and the health of the open
    cycles among them (``cycle_health``). Two queries in all when stored."""
    cycles = list(Cycle.objects.order_by("-start_date", "name")[:HR_HOME_CYCLES])
    shown = health_cycles(cycles, today=today)
    key = "hr-home:{day}:{lang}:{ids}".format(
        day=today.isoformat(),
        lang=get_language() or "",
        ids=",".join(str(c.pk) for c in cycles),
    )

    def compute() -> dict:
        participants = dict(
            Participation.objects.filter(cycle__in=cycles)
            .order_by()
            .values_list("cycle_id")
            .annotate(n=Count("pk"))
        )
        return {
            "counts": org_counts(),
            "participants": {str(c.pk): participants.get(c.pk, 0) for c in cycles},
            "health": {
                str(c.pk): [asdict(line) for line in registry.health(c, today=today)] for c in shown
            },
        }

    data = rollups.cached(key, compute)
    for cycle in cycles:
        cycle.participant_count = data["participants"].get(str(cycle.pk), 0)
    return {
        "cycles": cycles,
        "counts": data["counts"],
        "health": [
            (c, [_health_from_json(line) for line in data["health"].get(str(c.pk), [])])
            for c in shown
        ],
    }


def _in_no_open_cycle() -> Q:
    return ~Q(
        pk__in=Participation.objects.exclude(cycle__phase=Cycle.Phase.CLOSED).values("employee_id")
    )


def not_enrolled():
    """Active employees in no open cycle (e.g. newly imported people)."""
    return Employee.objects.filter(_in_no_open_cycle(), is_active=True)


def matching_people(people, text: str, *, job_title: bool = True, path: str = ""):
    """``people`` (employees, or records reaching them at ``path``) narrowed to those whose
    first or last name, email, employee number (or job title) contain every word of
    ``text``: "hannah cla" finds Hannah Clarke."""
    p = f"{path}__" if path else ""
    for word in text.split():
        condition = (
            Q(**{f"{p}user__first_name__icontains": word})
            | Q(**{f"{p}user__last_name__icontains": word})
            | Q(**{f"{p}user__email__icontains": word})
            | Q(**{f"{p}employee_number__icontains": word})
        )
        if job_title:
            condition |= Q(**{f"{p}job_title__icontains": word})
        people = people.filter(condition)
    return people


def failed_emails():
    """Outbox emails that gave up after every attempt, the latest failure first."""
    return (
        Notification.objects.filter(send_email=True, email_status=Notification.EmailStatus.FAILED)
        .select_related("recipient")
        .order_by("-last_attempt_at", "-id")
    )


def org_counts() -> dict:
    return Employee.objects.aggregate(
        active=Count("id", filter=Q(is_active=True), distinct=True),
        inactive=Count("id", filter=Q(is_active=False), distinct=True),
        managers=Count("id", filter=Q(reports__isnull=False), distinct=True),
        not_enrolled=Count("id", filter=Q(is_active=True) & _in_no_open_cycle(), distinct=True),
    )
