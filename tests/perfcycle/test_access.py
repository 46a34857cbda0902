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


# --- Relations to a participation: one test per branch --------------------------------------

R = access.Relation


@pytest.fixture
def staffed(org):
    """FY2026 with everyone enrolled under their current manager."""
    cycle = make_cycle("FY2026")
    return {p.employee.user.username: p for p in enrol(cycle, *org.values())}


def related(person, relations):
    return set(access.participations_related(person.user, relations))


def test_self_relation_is_the_own_participation(org, staffed):
    """SELF: only the person's own participation."""
    assert related(org["employee"], R.SELF) == {staffed["employee"]}
    assert access.relations_of(org["employee"].user, staffed["employee"]) == R.SELF


def test_reviewer_relation_is_this_participations_reviewer(org, staffed):
    """REVIEWER: the participations the user reviews, not those of people below them."""
    assert related(org["manager"], R.REVIEWER) == {staffed["employee"], staffed["peer"]}
    assert R.REVIEWER in access.relations_of(org["manager"].user, staffed["employee"])
    assert R.REVIEWER not in access.relations_of(org["manager"].user, staffed["intern"])


def test_next_up_relation_is_the_reviewers_manager(org, staffed):
    """NEXT_UP: the manager of the participation's reviewer, one step up only."""
    assert related(org["director"], R.NEXT_UP) == {staffed["employee"], staffed["peer"]}
    assert R.NEXT_UP in access.relations_of(org["director"].user, staffed["employee"])
    assert R.NEXT_UP not in access.relations_of(org["director"].user, staffed["intern"])
    assert R.NEXT_UP not in access.relations_of(org["manager"].user, staffed["employee"])


def test_chain_relation_is_everyone_below_in_the_current_chart(org, staffed):
    """CHAIN: direct and indirect reports, whoever their reviewer is; not oneself."""
    below = {staffed[n] for n in ("manager", "employee", "peer", "intern")}
    assert related(org["director"], R.CHAIN) == below
    assert R.CHAIN in access.relations_of(org["director"].user, staffed["intern"])
    assert R.CHAIN not in access.relations_of(org["director"].user, staffed["director"])
    assert R.CHAIN not in access.relations_of(org["director"].user, staffed["employee2"])


def test_hr_relation_is_every_participation(org, staffed):
    """HR: an HR admin relates to every participation; nobody else does."""
    assert related(org["hr"], R.HR) == set(staffed.values())
    assert R.HR in access.relations_of(org["hr"].user, staffed["employee2"])
    assert related(org["director"], R.HR) == set()


def test_peer_relation_comes_only_from_a_registered_grant(org, staffed, monkeypatch):
    """PEER: nothing grants it until a stage registers grants; then exactly those."""
    assert related(org["peer"], R.PEER) == set()
    monkeypatch.setattr(access, "PEER_GRANTS", [])
    access.register_peer_grants(
        lambda employee: access.Participation.objects.filter(
            employee__manager=employee.manager
        ).exclude(employee=employee)
    )
    assert related(org["peer"], R.PEER) == {staffed["employee"]}
    assert R.PEER in access.relations_of(org["peer"].user, staffed["employee"])
    assert R.PEER not in access.relations_of(org["peer"].user, staffed["intern"])


def test_no_relation_for_a_stranger_or_a_login_without_employee(org, staffed, django_user_model):
    """Another team's manager and a login without an Employee record relate to nothing."""
    every = ~R.NONE
    assert access.relations_of(org["manager2"].user, staffed["employee"]) == R.NONE
    contractor = django_user_model.objects.create_user("contractor", password="x")
    assert set(access.participations_related(contractor, every)) == set()
    assert access.relations_of(AnonymousUser(), staffed["employee"]) == R.NONE


def test_reviewer_relation_is_tied_to_the_cycle_of_the_record(org, staffed):
    """By (cycle, person): the reviewer of an earlier cycle does not relate to the
    person's records of a later cycle in which someone else reviews them."""
    from goals.models import Goal
    from tests.goals.factories import make_goal

    later = make_cycle("FY2027", start=staffed["employee"].cycle.start_date.replace(year=2027))
    org["employee"].manager = org["manager2"]
    org["employee"].save(update_fields=["manager"])
    enrol(later, org["employee"])
    old = make_goal(org["employee"], cycle=staffed["employee"].cycle)
    new = make_goal(org["employee"], cycle=later)
    reviewed = Goal.objects.filter(access.person_cycle_q(org["manager"].user, R.REVIEWER))
    assert set(reviewed) == {old}
    now = Goal.objects.filter(access.person_cycle_q(org["manager2"].user, R.REVIEWER | R.CHAIN))
    assert new in set(now)


def test_the_goal_policy_reads_the_same_records_by_join_as_by_correlated_lookup(org, staffed):
    """The goals' read rule joins the few related participations once (fast at 35,000
    goals); for every person and relation it finds exactly what the per-record lookup
    finds, including across cycles."""
    from goals.models import Goal
    from goals.policies import GOAL
    from tests.goals.factories import make_goal

    later = make_cycle("FY2027", start=staffed["employee"].cycle.start_date.replace(year=2027))
    enrol(later, org["employee"], org["peer"])
    Participation = access.Participation
    Participation.objects.filter(cycle=later, employee=org["peer"]).update(reviewer=org["manager2"])
    for cycle in (staffed["employee"].cycle, later):
        for person in ("employee", "peer", "manager", "employee2"):
            if Participation.objects.filter(cycle=cycle, employee=org[person]).exists():
                make_goal(org[person], cycle=cycle)
    relations = [R.REVIEWER, R.NEXT_UP, R.REVIEWER | R.NEXT_UP, GOAL.read]
    for person in ("director", "manager", "manager2", "employee", "peer", "employee2"):
        user = org[person].user
        for rel in relations:
            joined = set(Goal.objects.filter(access.person_cycle_q(user, rel, model=Goal)))
            correlated = set(Goal.objects.filter(access.person_cycle_q(user, rel)))
            assert joined == correlated, (person, rel)
        assert set(Goal.objects.filter(GOAL.readable(user))) == set(
            Goal.objects.filter(access.person_cycle_q(user, GOAL.read))
        )
    reviewed = Goal.objects.filter(GOAL.q(org["manager2"].user, R.REVIEWER))
    assert {(g.owner_id, g.cycle_id) for g in reviewed} == {(org["peer"].pk, later.pk)} | {
        (g.owner_id, g.cycle_id)
        for g in Goal.objects.filter(cycle=staffed["employee"].cycle, owner=org["employee2"])
    }


def test_relations_of_costs_no_query_for_the_cheap_relations(
    org, staffed, django_assert_num_queries
):
    """SELF, REVIEWER, HR and (with the reviewer loaded) NEXT_UP are read off the row."""
    participation = access.Participation.objects.select_related("reviewer").get(
        pk=staffed["employee"].pk
    )
    user = org["director"].user
    access.is_hr(user), access.employee_of(user)  # the per-request caches
    with django_assert_num_queries(0):
        found = access.relations_of(user, participation, R.SELF | R.REVIEWER | R.NEXT_UP | R.HR)
    assert found == R.NEXT_UP


def test_every_stage_declares_read_and_act_per_record_kind():
    """The registered policies: a person's records are read by the same relations in
    every stage, and nobody acts on a record they may not read."""
    kinds = set(access.POLICIES)
    assert {
        "goals.goal",
        "goals.goalcomment",
        "goals.adjustmentrequest",
        "implementation.checkin",
        "implementation.progressupdate",
        "implementation.evidence",
        "implementation.deviation",
    } <= kinds
    for policy in access.POLICIES.values():
        assert policy.read == access.READ, policy.kind
        for action, relations in policy.act.items():
            assert relations & ~policy.read == R.NONE, (policy.kind, action)
