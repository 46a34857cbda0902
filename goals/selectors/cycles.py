"""Which cycle a page is about, and what the user may create or assign in it."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from goals.models import GoalLevel
from perfcycle import access
from perfcycle.models import Cycle, Participation
from perfcycle.stages import pick_cycle


def open_cycles_for(user):
    """Open cycles the user plans in: as a participant or a reviewer; HR all of them."""
    qs = Cycle.objects.exclude(phase=Cycle.Phase.CLOSED)
    if access.is_hr(user):
        return qs
    mine = access.participations_related(user, access.Relation.SELF | access.Relation.REVIEWER)
    return qs.filter(pk__in=mine.values("cycle_id"))


def current_cycle_for(user, cycle_id: int | None = None) -> Cycle | None:
    """The cycle asked for (404 if the user has no part in it), else the newest open cycle
    in planning, else the newest open one."""
    qs = open_cycles_for(user).order_by("-start_date", "-pk")
    if cycle_id is not None:
        return get_object_or_404(qs, pk=cycle_id)
    return qs.filter(phase=Cycle.Phase.PLANNING).first() or qs.first()


def current_cycle_among(cycles: list[Cycle], cycle_id: int | None = None) -> Cycle | None:
    """``current_cycle_for`` over the user's open cycles already loaded (newest first):
    no query."""
    if cycle_id is not None:
        chosen = next((c for c in cycles if c.pk == cycle_id), None)
        if chosen is None:
            raise Http404
        return chosen
    return next((c for c in cycles if c.phase == Cycle.Phase.PLANNING), None) or next(
        iter(cycles), None
    )


def reviewing_cycles(user, *, viewer=None):
    """Open cycles in which the user reviews somebody, or is one step up from a reviewer
    (who decides what that reviewer asks for), newest first. With the request's ``viewer``
    (perfcycle.stages.Viewer), by the cycle ids of its ``reviewed`` rows: a primary-key
    lookup instead of a join over every participation."""
    if viewer is not None and viewer.user is user:
        ids = sorted({row["cycle_id"] for row in viewer.reviewed})
        return Cycle.objects.filter(pk__in=ids).order_by("-start_date", "-pk")
    related = access.participations_related(
        user, access.Relation.REVIEWER | access.Relation.NEXT_UP
    )
    return (
        Cycle.objects.exclude(phase=Cycle.Phase.CLOSED)
        .filter(pk__in=related.values("cycle_id"))
        .order_by("-start_date", "-pk")
    )


def reviewing_cycle_for(user, cycle_id: int | None = None, *, cycles=None) -> Cycle | None:
    """The cycle of the team page: the one asked for (404 unless the user reviews someone
    in it), else the default by the one rule (``stages.pick_cycle``); of ``cycles`` when
    the page has loaded them already."""
    return pick_cycle(reviewing_cycles(user) if cycles is None else cycles, cycle_id)


def creatable_levels(user, cycle: Cycle) -> list[str]:
    """Goal levels the user may create in ``cycle``: individual for a participant,
    department for HR and managers, company for HR."""
    levels = []
    employee = access.employee_of(user)
    if (
        employee is not None
        and Participation.objects.filter(cycle=cycle, employee=employee).exists()
    ):
        levels.append(GoalLevel.INDIVIDUAL)
    hr = access.is_hr(user)
    if hr or (employee is not None and employee.department_id and access.is_manager(user)):
        levels.append(GoalLevel.DEPARTMENT)
    if hr:
        levels.append(GoalLevel.COMPANY)
    return levels


def assignable_participants(user, cycle: Cycle):
    """People the user may assign goals to in ``cycle``: those they review (HR: anyone)."""
    qs = Participation.objects.filter(cycle=cycle).select_related("employee__user")
    if access.is_hr(user):
        return qs.order_by("employee__user__last_name", "employee__user__first_name")
    return qs.filter(access.participation_q(user, access.Relation.REVIEWER)).order_by(
        "employee__user__last_name", "employee__user__first_name"
    )
