"""Who may see what. Every view fetches objects through these scoped querysets, so an
object outside a user's scope is simply not found (404), never leaked.

People scopes: an employee sees their own record; a manager also their direct and
indirect reports'; an HR admin everything.

Stage records (goals, check-ins, evidence, …) belong to one participation (a person in a
cycle). What a user may do with such a record depends only on how they relate to that
participation (:class:`Relation`):

- SELF: the participation is theirs.
- REVIEWER: they are the reviewer of *this* participation (never "reviewer in some
  other cycle": a former reviewer loses the person's later cycles).
- NEXT_UP: they are the manager of this participation's reviewer (the four-eyes
  escalation: what the reviewer asked for is decided one step up).
- CHAIN: they are above the person in the current management chain (manager,
  skip-level, …).
- HR: they are an HR admin.
- PEER: a grant that a later stage supplies (see :func:`register_peer_grants`);
  nothing grants it yet.

Three forms of the same rule: :func:`participation_q` (a ``Q`` for any model that
reaches its participation through a foreign-key path), :func:`person_cycle_q` (for a
model that reaches it by (cycle, person), like goals) and :func:`relations_of` (one
participation in hand). Each stage declares, in one place in its own app
(``<app>/policies.py``), which relations read and which act on each kind of record, as
:class:`Policy` objects; its selectors and services ask only those.
"""

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

from perfcycle import reporting_lines, rollups
from perfcycle.compiled import CompiledQuery
from perfcycle.models import Cycle, Employee, Notification, Participation

HR_PERMISSION = "perfcycle.manage_performance"

# All reports below a manager, at any depth. UNION (not UNION ALL) stops at a loop in
# the chart, should bad data ever contain one.
_REPORTS_SQL = """
    WITH RECURSIVE chain(id) AS (
        SELECT id FROM perfcycle_employee WHERE manager_id = %s
        UNION
        SELECT e.id FROM perfcycle_employee e JOIN chain c ON e.manager_id = c.id
    )
    SELECT id FROM chain
"""


def _hr_permission():
    app_label, codename = HR_PERMISSION.split(".")
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename)


def is_hr(user) -> bool:
    """Whether the user holds the HR permission (directly or through a group), kept on the
    user for the request (``has_perm`` would load every permission in two queries). It
    comes with the employee record (``employee_of``); one query of its own for a login
    without one."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_perfcycle_is_hr"):
        employee = employee_of(user)
        if employee is not None:
            user._perfcycle_is_hr = employee.holds_hr
        else:
            user._perfcycle_is_hr = (
                _hr_permission().filter(Q(user=user) | Q(group__user=user)).exists()
            )
    return user._perfcycle_is_hr


# What every page's navigation asks about the signed-in person, as SQL written once (the
# ORM's Exists/Subquery cost more to compile than these take to run).
_MANAGES_ANYONE_SQL = """EXISTS (
    SELECT 1 FROM perfcycle_employee AS r
    WHERE r.manager_id = perfcycle_employee.id AND r.is_active)"""
_PERMISSION_ID_SQL = """(
    SELECT p.id FROM auth_permission AS p
    JOIN django_content_type AS ct ON ct.id = p.content_type_id
    WHERE ct.app_label = %s AND p.codename = %s)"""
_HOLDS_HR_SQL = f"""(EXISTS (
    SELECT 1 FROM perfcycle_user_user_permissions AS up
    WHERE up.user_id = perfcycle_employee.user_id AND up.permission_id = {_PERMISSION_ID_SQL})
  OR EXISTS (
    SELECT 1 FROM perfcycle_user_groups AS ug
    JOIN auth_group_permissions AS gp ON gp.group_id = ug.group_id
    WHERE ug.user_id = perfcycle_employee.user_id AND gp.permission_id = {_PERMISSION_ID_SQL}))"""
_UNREAD_SQL = """(
    SELECT COUNT(*) FROM perfcycle_notification AS n
    WHERE n.recipient_id = perfcycle_employee.user_id AND n.read_at IS NULL)"""


# The query every page behind login runs, its SQL built once per process and connection
# (perfcycle/compiled.py): the same SQL and the same instances as building it each time
# (``.first()`` of this queryset), without ~1.2 ms of CPU compiling it.
_employee_row = CompiledQuery(
    lambda user_id: (
        Employee.objects.select_related("department")
        .annotate(
            manages_anyone=RawSQL(_MANAGES_ANYONE_SQL, []),
            holds_hr=RawSQL(_HOLDS_HR_SQL, HR_PERMISSION.split(".") * 2),
            unread_count=RawSQL(_UNREAD_SQL, []),
        )
        .filter(user_id=user_id)[:1]
    )
)


def employee_of(user) -> Employee | None:
    """The Employee record of a login, or None (e.g. a pure HR service account). What
    every page's navigation asks comes with it in the one query: whether they manage
    anyone, hold the HR permission and how many notifications they have not read
    (``unread_notifications``)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_perfcycle_employee"):
        rows = _employee_row(user.pk)
        employee = rows[0] if rows else None
        user._perfcycle_employee = employee
        if employee is not None:
            employee.user = user  # the login in hand: no query for the person's name
            user._perfcycle_is_manager = employee.manages_anyone
    return user._perfcycle_employee


def unread_notifications(user) -> int:
    """How many of the user's notifications are unread: from the employee record's query
    when there is one, else a query of its own."""
    employee = employee_of(user)
    if employee is not None:
        return employee.unread_count or 0
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def is_manager(user) -> bool:
    employee = employee_of(user)
    if employee is None:
        return False
    if not hasattr(user, "_perfcycle_is_manager"):
        user._perfcycle_is_manager = Employee.objects.filter(
            manager=employee, is_active=True
        ).exists()
    return user._perfcycle_is_manager


def report_ids(manager: Employee) -> RawSQL:
    """A subquery of the ids of every direct and indirect report of ``manager``. On
    PostgreSQL the stored reporting lines (perfcycle/reporting_lines.py, kept by triggers
    on every write to the chart): an index range read, and the planner knows from their
    statistics how many a manager has (a VP's 3,498 are joined by hashing, a team lead's
    handful through the indexes), where the walk down the chart cost a probe per person
    and was guessed at a few rows whatever the size."""
    if connection.vendor == "postgresql":
        return RawSQL(reporting_lines.REPORTS_SQL, [manager.pk])
    return RawSQL(_REPORTS_SQL, [manager.pk])


_ACTIVE_REPORT_COUNT_SQL = """
    WITH RECURSIVE chain(id, is_active) AS (
        SELECT id, is_active FROM perfcycle_employee WHERE manager_id = %s
        UNION
        SELECT e.id, e.is_active FROM perfcycle_employee e JOIN chain c ON e.manager_id = c.id
    )
    SELECT COUNT(*) FROM chain WHERE is_active
"""


def active_report_count(user) -> int:
    """How many active people are below the user at any depth, counted inside the walk
    down the chart. A stored roll-up (perfcycle/rollups.py) until the next write to the
    employee table: one query when stored, two when not."""
    employee = employee_of(user)
    if employee is None:
        return 0

    def compute() -> int:
        with connection.cursor() as cursor:
            cursor.execute(_ACTIVE_REPORT_COUNT_SQL, [employee.pk])
            return cursor.fetchone()[0]

    return rollups.cached_sql(
        f"active-reports:{employee.pk}",
        _ACTIVE_REPORT_COUNT_SQL,
        [employee.pk],
        sources=("perfcycle_employee",),
        compute=compute,
    )


def employees_visible_to(user):
    qs = Employee.objects.all()
    if is_hr(user):
        return qs
    employee = employee_of(user)
    if employee is None:
        return qs.none()
    return qs.filter(Q(pk=employee.pk) | Q(pk__in=report_ids(employee)))


def reports_of(user):
    """Direct and indirect reports only (not the user themself)."""
    employee = employee_of(user)
    if employee is None:
        return Employee.objects.none()
    return Employee.objects.filter(pk__in=report_ids(employee))


def participations_visible_to(user):
    qs = Participation.objects.all()
    if is_hr(user):
        return qs
    employee = employee_of(user)
    if employee is None:
        return qs.none()
    return qs.filter(participation_q(user, READ))


def cycles_visible_to(user):
    qs = Cycle.objects.all()
    if is_hr(user):
        return qs
    return qs.filter(pk__in=participations_visible_to(user).values("cycle_id"))


def cycles_editable_by(user):
    return Cycle.objects.all() if is_hr(user) else Cycle.objects.none()


def get_employee_for(user, employee_id):
    return get_object_or_404(employees_visible_to(user).with_org(), pk=employee_id)


def get_cycle_for(user, cycle_id, *, for_update=False):
    qs = cycles_visible_to(user)
    if for_update:
        qs = cycles_editable_by(user).select_for_update()
    return get_object_or_404(qs, pk=cycle_id)


def hr_group_name() -> str:
    return settings.PERFCYCLE_HR_GROUP


# --- Relations to a participation ---------------------------------------------------------


class Relation(enum.Flag):
    """How a user relates to a participation; combine with ``|``."""

    NONE = 0
    SELF = enum.auto()
    REVIEWER = enum.auto()
    NEXT_UP = enum.auto()
    CHAIN = enum.auto()
    HR = enum.auto()
    PEER = enum.auto()


# Stage apps register ``grants(employee) -> Participation queryset`` (the participations
# the employee holds a peer grant on, e.g. as a 360° feedback giver).
PEER_GRANTS: list[Callable] = []


def register_peer_grants(grants: Callable) -> None:
    if grants not in PEER_GRANTS:
        PEER_GRANTS.append(grants)


def _peer_participations(employee: Employee):
    ids = None
    for grants in PEER_GRANTS:
        qs = grants(employee).order_by().values("pk")
        ids = qs if ids is None else ids.union(qs)
    return ids


_NOTHING = Q(pk__in=[])


def participation_q(user, relations: Relation, path: str = "") -> Q:
    """A condition on a model whose participation is at ``path`` ("" for Participation
    itself, "participation" for a check-in): the user holds one of ``relations`` on it."""
    if Relation.HR in relations and is_hr(user):
        return Q()
    employee = employee_of(user)
    if employee is None:
        return _NOTHING
    return held_by_q(employee, relations, path)


def held_by_q(employee: Employee, relations: Relation, path: str = "") -> Q:
    """``participation_q`` for an employee, HR aside (the caller has checked it): the
    person holds one of ``relations`` on the participation at ``path``. For SELF,
    REVIEWER, NEXT_UP and CHAIN only the employee's id is read, so SQL compiled once
    (perfcycle/compiled.py) can be built from ``Employee(pk=employee_id)`` with the id as
    its argument (PEER asks the stages' grants, which may read more)."""
    p = f"{path}__" if path else ""
    condition = _NOTHING
    related = _related_participation_ids(employee, relations)
    if related is not None:
        condition |= Q(**{f"{p}pk__in": related})
    if Relation.PEER in relations:
        peers = _peer_participations(employee)
        if peers is not None:
            condition |= Q(**{f"{p}pk__in": peers})
    return condition


def _related_participation_ids(employee: Employee, relations: Relation):
    """The ids of the participations ``employee`` is SELF, REVIEWER, NEXT_UP or CHAIN on,
    as one subquery: a UNION ALL of one indexed lookup per relation. (ORed conditions
    across the joins to the participation and its reviewer would make the database scan
    the whole table they filter, every evidence record or check-in, on every page.)"""
    base = Participation.objects.order_by()
    parts = []
    if Relation.SELF in relations:
        parts.append(base.filter(employee=employee))
    if Relation.REVIEWER in relations:
        parts.append(base.filter(reviewer=employee))
    if Relation.NEXT_UP in relations:
        parts.append(base.filter(reviewer__manager=employee))
    if Relation.CHAIN in relations:
        parts.append(base.filter(employee__in=report_ids(employee)))
    if not parts:
        return None
    first, *rest = [part.values("pk") for part in parts]
    return first.union(*rest, all=True) if rest else first


def person_cycle_q(
    user, relations: Relation, *, cycle: str = "cycle", person: str = "owner", model=None
) -> Q:
    """The same condition for a model that reaches its participation by (cycle, person),
    e.g. a goal by (cycle, owner). SELF and CHAIN are about the person; the others need
    the participation of that cycle, so a reviewer of another cycle does not match."""
    if Relation.HR in relations and is_hr(user):
        return Q()
    employee = employee_of(user)
    if employee is None:
        return _NOTHING
    condition = _NOTHING
    if Relation.SELF in relations:
        condition |= Q(**{person: employee})
    if Relation.CHAIN in relations:
        condition |= Q(**{f"{person}__in": report_ids(employee)})
    rest = relations & (Relation.REVIEWER | Relation.NEXT_UP | Relation.PEER)
    if rest:
        own = participation_q(user, rest & ~Relation.HR)
        if own != _NOTHING and model is not None:
            # The records joined to the (few) participations the user holds a relation
            # on, as one uncorrelated subquery: a correlated EXISTS would be evaluated
            # once per record of the table (35,000 goals: 0.8-3 s for a team lead).
            via = f"{cycle}__participations"
            condition |= Q(
                pk__in=model.objects.filter(
                    **{
                        f"{via}__in": Participation.objects.filter(own).values("pk"),
                        person: F(f"{via}__employee"),
                    }
                ).values("pk")
            )
        elif own != _NOTHING:
            condition |= Exists(
                Participation.objects.filter(
                    own, cycle=OuterRef(cycle), employee=OuterRef(person)
                ).values("pk")
            )
    return condition


def participations_related(user, relations: Relation):
    """The participations the user holds one of ``relations`` on."""
    return Participation.objects.filter(participation_q(user, relations))


def relations_of(user, participation: Participation | None, among: Relation | None = None):
    """The relations the user holds on one participation (a flag set: test with ``in``).

    Only those in ``among`` are looked up (all by default). SELF, REVIEWER and HR cost no
    query, NEXT_UP none when the reviewer is loaded, CHAIN and PEER one each.
    """
    wanted = ~Relation.NONE if among is None else among
    found = Relation.NONE
    if Relation.HR in wanted and is_hr(user):
        found |= Relation.HR
    employee = employee_of(user)
    if employee is None or participation is None:
        return found
    if Relation.SELF in wanted and participation.employee_id == employee.pk:
        found |= Relation.SELF
    if Relation.REVIEWER in wanted and participation.reviewer_id == employee.pk:
        found |= Relation.REVIEWER
    if Relation.NEXT_UP in wanted and participation.reviewer_id is not None:
        if Participation.reviewer.is_cached(participation):
            next_up = participation.reviewer.manager_id == employee.pk
        else:
            next_up = Employee.objects.filter(
                pk=participation.reviewer_id, manager=employee
            ).exists()
        if next_up:
            found |= Relation.NEXT_UP
    if (
        Relation.CHAIN in wanted
        and participation.employee_id != employee.pk
        and Employee.objects.filter(
            pk=participation.employee_id, pk__in=report_ids(employee)
        ).exists()
    ):
        found |= Relation.CHAIN
    if Relation.PEER in wanted:
        peers = _peer_participations(employee)
        if (
            peers is not None
            and Participation.objects.filter(pk=participation.pk, pk__in=peers).exists()
        ):
            found |= Relation.PEER
    return found


def participation_of(cycle_id: int, employee_id: int | None) -> Participation | None:
    """The participation a (cycle, person) record belongs to."""
    if employee_id is None:
        return None
    return Participation.objects.filter(cycle_id=cycle_id, employee_id=employee_id).first()


# --- Policies: which relations read and act on each kind of record --------------------------


@dataclass(frozen=True)
class Policy:
    """One kind of record: who reads it and who takes each action on it.

    ``path`` is the foreign-key path from the record to its participation; records
    reached by (cycle, person) set ``cycle`` and ``person`` instead.
    """

    kind: str
    read: Relation
    act: Mapping[str, Relation] = field(default_factory=dict)
    path: str | None = "participation"
    cycle: str = "cycle"
    person: str = "owner"

    def q(self, user, relations: Relation | None = None) -> Q:
        relations = self.read if relations is None else relations
        if self.path is None:
            return person_cycle_q(
                user,
                relations,
                cycle=self.cycle,
                person=self.person,
                model=apps.get_model(self.kind),
            )
        return participation_q(user, relations, self.path)

    def readable(self, user) -> Q:
        return self.q(user, self.read)

    def acting(self, user, action: str) -> Q:
        return self.q(user, self.act[action])

    def may(self, user, action: str, participation: Participation | None) -> bool:
        relations = self.act[action]
        return bool(relations_of(user, participation, relations) & relations)

    def may_read(self, user, participation: Participation | None) -> bool:
        # The relations that cost no query first, then one at a time: the answer is the
        # same as asking for all of them, without a query once one is found.
        free = self.read & (Relation.SELF | Relation.REVIEWER | Relation.HR)
        if free and relations_of(user, participation, free) & free:
            return True
        return any(
            relations_of(user, participation, relation) & relation
            for relation in (Relation.NEXT_UP, Relation.CHAIN, Relation.PEER)
            if relation in self.read
        )


# Every stage's policies, registered from its AppConfig.ready(): one table to read.
POLICIES: dict[str, Policy] = {}


def register_policies(*policies: Policy) -> None:
    for policy in policies:
        POLICIES[policy.kind] = policy


# The read rule every stage uses for a person's records.
READ = Relation.SELF | Relation.REVIEWER | Relation.NEXT_UP | Relation.CHAIN | Relation.HR
