"""perfcycle/reporting_lines.py: the stored reporting chain the triggers keep is, after
every kind of write to the chart, exactly what the walk down the chart finds, and the
access rules that read it (own, the whole chain below, out of scope is a 404) follow
each change at once."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.http import Http404

from perfcycle import access, reporting_lines
from perfcycle.models import Employee
from perfcycle.org_import import services as org_import
from tests.factories import make_employee

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's"),
]


def stored() -> set[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT manager_id, report_id FROM {reporting_lines.TABLE}")
        return set(cursor.fetchall())


def walked() -> set[tuple[int, int]]:
    """Every manager's reports as the recursive walk down the chart finds them (the rule
    ``report_ids`` follows off PostgreSQL), from every id a manager column names."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT manager_id FROM perfcycle_employee WHERE manager_id IS NOT NULL"
        )
        managers = [row[0] for row in cursor.fetchall()]
        lines = set()
        for manager_id in managers:
            cursor.execute(access._REPORTS_SQL, [manager_id])
            lines |= {(manager_id, row[0]) for row in cursor.fetchall()}
    return lines


def assert_in_step():
    lines = stored()
    assert lines == walked()
    assert lines == _all_lines()


def _all_lines():
    with connection.cursor() as cursor:
        cursor.execute(reporting_lines.ALL_LINES_SQL)
        return set(cursor.fetchall())


def reports(person) -> set[int]:
    return set(
        Employee.objects.filter(pk__in=access.report_ids(person)).values_list("pk", flat=True)
    )


def test_the_lines_hold_every_level_of_the_chart(org):
    assert_in_step()
    below_director = {org[k].pk for k in ("manager", "employee", "peer", "intern")}
    assert reports(org["director"]) == below_director
    assert reports(org["manager"]) == {org[k].pk for k in ("employee", "peer", "intern")}
    assert reports(org["intern"]) == set()
    assert (org["director"].pk, org["intern"].pk) in stored()  # three levels down


def test_a_move_takes_the_whole_subtree_to_the_new_chain_and_out_of_the_old(org):
    """The peer (with the intern below) moves to manager2 in sales: the old chain loses
    both at once (404), the new chain sees both."""
    peer, intern = org["peer"], org["intern"]
    peer.manager = org["manager2"]
    peer.save()
    assert_in_step()
    for old in ("manager", "director"):
        user = org[old].user
        for person in (peer, intern):
            with pytest.raises(Http404):
                access.get_employee_for(user, person.pk)
    assert {peer, intern} <= set(access.employees_visible_to(org["manager2"].user))
    assert access.get_employee_for(org["manager2"].user, intern.pk) == intern
    # What an employee sees of their own is unchanged by the move.
    assert access.get_employee_for(intern.user, intern.pk) == intern
    assert set(access.employees_visible_to(intern.user)) == {intern}


def test_a_save_that_keeps_the_manager_keeps_the_lines(org):
    before = stored()
    employee = org["employee"]
    employee.job_title = "Senior engineer"
    employee.save()
    Employee.objects.filter(pk=employee.pk).update(is_active=False)  # a leaver
    assert stored() == before
    assert_in_step()
    # A leaver stays in the chain the walk finds (the rule is about the chart, not the
    # status), as before.
    assert employee.pk in reports(org["manager"])


def test_bulk_updates_and_new_people_at_any_depth(org):
    new = make_employee(manager=org["intern"])  # four levels below the director
    assert (org["director"].pk, new.pk) in stored()
    Employee.objects.filter(manager=org["manager"]).update(manager=org["manager2"])
    assert_in_step()
    assert reports(org["manager"]) == set()
    assert new.pk in reports(org["manager2"])


def test_new_people_managing_each_other_in_one_insert(org):
    users = [get_user_model().objects.create_user(f"bulk{n}") for n in range(2)]
    top_id, below_id = 900_001, 900_002
    Employee.objects.bulk_create(
        [
            Employee(id=below_id, user=users[1], employee_number="B2", manager_id=top_id),
            Employee(id=top_id, user=users[0], employee_number="B1", manager=org["manager2"]),
        ]
    )
    assert_in_step()
    assert {(org["manager2"].pk, below_id), (top_id, below_id)} <= stored()


def test_an_existing_person_named_as_the_report_of_someone_not_yet_inserted(org):
    """The foreign key is deferred: within a transaction a row may name a manager that is
    inserted later; the insert then rebuilds the lines."""
    user = get_user_model().objects.create_user("later")
    with transaction.atomic():
        Employee.objects.filter(pk=org["employee2"].pk).update(manager_id=900_100)
        Employee.objects.create(
            id=900_100, user=user, employee_number="L1", manager=org["director"]
        )
        assert_in_step()
    assert org["employee2"].pk in reports(org["director"])


def test_deleting_a_manager_hands_the_chain_on(org):
    org["peer"].delete()  # the intern's manager is set to NULL first (SET_NULL)
    assert_in_step()
    assert org["intern"].pk not in reports(org["manager"])


def test_a_loop_in_bad_data_stops_as_the_walk_does(org):
    Employee.objects.filter(pk=org["director"].pk).update(manager=org["intern"])
    assert_in_step()
    assert org["director"].pk in reports(org["director"])  # as the walk has it


def test_the_org_import_moves_people_in_bulk(hr_admin):
    lines = [
        "100,Ada,Lovelace,ada@example.org,Board,Chief Executive,",
        "101,Bob,Builder,bob@example.org,Engineering,Engineer,102",
        "102,Cy,Chief,cy@example.org,Engineering,CTO,100",
    ]
    header = "employee_number,first_name,last_name,email,department,job_title,manager_number"

    def apply(*rows):
        text = "\n".join([header, *rows]) + "\n"
        record = org_import.create_org_import(actor=hr_admin.user, file_name="o.csv", content=text)
        org_import.apply_org_import(actor=hr_admin.user, org_import_id=record.pk)

    apply(*lines)
    assert_in_step()
    ada, bob, cy = (Employee.objects.get(employee_number=n) for n in ("100", "101", "102"))
    assert reports(ada) == {bob.pk, cy.pk}
    apply(lines[0], "101,Bob,Builder,bob@example.org,Engineering,Engineer,", lines[2])
    assert_in_step()
    assert reports(ada) == {cy.pk} and reports(cy) == set()
