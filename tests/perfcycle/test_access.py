"""perfcycle/access.py: one test per branch of each scope."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from perfcycle import access
from tests.factories import enrol, make_cycle, make_employee

pytestmark = pytest.mark.django_db


def visible(user):
    return set(access.employees_visible_to(user))


def test_employee_sees_only_themself(org):
    """An employee without reports sees their own record and nobody else's."""
    assert visible(org["employee"].user) == {org["employee"]}


def test_manager_sees_direct_reports(org):
    """A manager sees their direct reports."""
    seen = visible(org["manager"].user)
    assert {org["employee"], org["peer"]} <= seen


def test_manager_sees_indirect_reports(org):
    """A manager sees the reports of their reports, at any depth."""
    assert org["intern"] in visible(org["manager"].user)
    assert {org["manager"], org["employee"], org["peer"], org["intern"]} <= visible(
        org["director"].user
    )


def test_manager_does_not_see_other_team_or_own_manager(org):
    """A manager sees neither another department's people nor their own manager."""
    seen = visible(org["manager"].user)
    assert org["employee2"] not in seen
    assert org["manager2"] not in seen
    assert org["director"] not in seen
    assert org["hr"] not in seen


def test_hr_sees_everyone(org):
    """An HR admin sees the whole organisation."""
    assert visible(org["hr"].user) == set(org.values())


def test_user_without_employee_record_sees_nobody(db, django_user_model):
    """A login that is not an employee (and not HR) sees no one."""
    user = django_user_model.objects.create_user("contractor", password="x")
    assert visible(user) == set()
    assert not access.is_manager(user)


def test_anonymous_sees_nobody(org):
    """An anonymous visitor sees nobody and is not HR."""
    assert visible(AnonymousUser()) == set()
    assert not access.is_hr(AnonymousUser())


def test_loop_in_the_chart_does_not_hang(org):
    """Bad data with a loop in the chart still gives a finite scope."""
    a = make_employee("loop_a")
    b = make_employee("loop_b", manager=a)
    a.manager = b
    a.save(update_fields=["manager"])
    assert visible(a.user) == {a, b}


def test_is_manager_only_for_people_with_active_reports(org):
    """Managers are derived from reports: inactive reports do not make a manager."""
    assert access.is_manager(org["manager"].user)
    assert not access.is_manager(org["employee"].user)
    lonely = make_employee("lonely")
    make_employee("gone", manager=lonely, is_active=False)
    assert not access.is_manager(lonely.user)


def test_participations_scope_per_role(org):
    """Participations follow the same scope; a reviewer also sees whom they review."""
    cycle = make_cycle()
    p_emp, p_peer, p_emp2 = enrol(cycle, org["employee"], org["peer"], org["employee2"])

    def seen(person):
        return set(access.participations_visible_to(person.user))

    assert seen(org["employee"]) == {p_emp}
    assert seen(org["manager"]) == {p_emp, p_peer}
    assert seen(org["manager2"]) == {p_emp2}
    assert seen(org["hr"]) == {p_emp, p_peer, p_emp2}


def test_reviewer_snapshot_keeps_scope_after_reorg(org):
    """The reviewer at enrolment still sees the participation after the person moves team."""
    cycle = make_cycle()
    (participation,) = enrol(cycle, org["employee"])
    org["employee"].manager = org["manager2"]
    org["employee"].save(update_fields=["manager"])
    assert participation in access.participations_visible_to(org["manager"].user)


def test_cycles_scope_per_role(org):
    """Employees and managers see cycles they (or their reports) take part in; HR sees all."""
    mine = make_cycle("Mine")
    other = make_cycle("Other")
    enrol(mine, org["employee"])
    enrol(other, org["employee2"])
    assert set(access.cycles_visible_to(org["employee"].user)) == {mine}
    assert set(access.cycles_visible_to(org["manager"].user)) == {mine}
    assert set(access.cycles_visible_to(org["hr"].user)) == {mine, other}


def test_out_of_scope_lookup_is_404(org):
    """Fetching someone outside one's scope is a 404, the same as a missing id."""
    with pytest.raises(Http404):
        access.get_employee_for(org["employee"].user, org["peer"].pk)
    with pytest.raises(Http404):
        access.get_employee_for(org["employee"].user, 999999)
    assert access.get_employee_for(org["manager"].user, org["peer"].pk) == org["peer"]
