"""Who may see what. Every view fetches objects through these scoped querysets, so an
object outside a user's scope is simply not found (404), never leaked.

Scopes: an employee sees their own records; a manager also their direct and indirect
reports'; an HR admin everything. Peers get explicit grants in later stages.
"""

from django.conf import settings
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

from perfcycle.models import Cycle, Employee, Participation

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


def is_hr(user) -> bool:
    return bool(user.is_authenticated and user.has_perm(HR_PERMISSION))


def employee_of(user) -> Employee | None:
    """The Employee record of a login, or None (e.g. a pure HR service account)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_perfcycle_employee"):
        user._perfcycle_employee = (
            Employee.objects.select_related("department").filter(user=user).first()
        )
    return user._perfcycle_employee


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
    """A subquery of the ids of every direct and indirect report of ``manager``."""
    return RawSQL(_REPORTS_SQL, [manager.pk])


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
    return qs.filter(
        Q(employee=employee) | Q(employee__in=report_ids(employee)) | Q(reviewer=employee)
    )


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
