"""Organisation import: reading and validating the CSV (pure), the services and the pages."""

import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.models import AuditEvent, Department, Employee, OrgImport
from perfcycle.org_import import parsing as org_import
from perfcycle.org_import import services
from tests.factories import make_employee

User = get_user_model()
HEADER = "employee_number,first_name,last_name,email,department,job_title,manager_number"
SAMPLE = Path(settings.BASE_DIR) / "static" / "samples" / "organisation.csv"
# Line 2 reports to line 4: a manager may come later in the file.
GOOD = [
    "100,Ada,Lovelace,ada@example.org,Board,Chief Executive,",
    "101,Bob,Builder,bob@example.org,Engineering,Engineer,102",
    "102,Cy,Chief,cy@example.org,Engineering,CTO,100",
]


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def plan_for(text: str, snapshot: org_import.OrgSnapshot | None = None):
    return org_import.validate(org_import.parse_csv(text), snapshot or org_import.OrgSnapshot())


def error_cells(plan) -> set[tuple[int, str]]:
    return {(issue.line, issue.column) for issue in plan.errors}


def existing(number: str, email: str, manager: str = "", **kw) -> org_import.ExistingEmployee:
    values = {
        "first_name": "Old",
        "last_name": "Timer",
        "department": "",
        "job_title": "",
        "is_active": True,
    }
    values.update(kw)
    return org_import.ExistingEmployee(
        employee_number=number, email=email, manager_number=manager, **values
    )


def snapshot_of(*people: org_import.ExistingEmployee, **kw) -> org_import.OrgSnapshot:
    return org_import.OrgSnapshot(employees={p.employee_number: p for p in people}, **kw)


def upload(client, content: str | bytes, name: str = "organisation.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(reverse("org-import"), {"file": SimpleUploadedFile(name, data, "text/csv")})


def upload_and_apply(hr, text: str) -> dict:
    record = services.create_org_import(actor=hr.user, file_name="org.csv", content=text)
    return services.apply_org_import(actor=hr.user, org_import_id=record.pk)


def people_counts() -> tuple[int, int, int]:
    return Employee.objects.count(), User.objects.count(), Department.objects.count()


# --- Reading the file (no database) ----------------------------------------------------


def test_parse_reads_semicolons_a_bom_and_headers_in_any_order_or_case():
    """Semicolons, a UTF-8 BOM and a header in another order and case are all understood."""
    data = "\ufeffEmail;Employee Number;FIRST_NAME;last_name;Manager_Number;Job Title;department\n"
    data += "ann@example.org;7;Ann;Lee;;Boss;Sales\n"
    text = org_import.decode_upload(data.encode("utf-8"))

    parsed = org_import.parse_csv(text)

    assert parsed.delimiter == ";"
    (row,) = parsed.rows
    assert (row.line, row.employee_number, row.email, row.job_title, row.department) == (
        2,
        "7",
        "ann@example.org",
        "Boss",
        "Sales",
    )


def test_parse_numbers_lines_from_the_header_across_blank_lines_and_quoted_newlines():
    """Line numbers are the file's own lines: the header is 1, blank and multi-line rows count."""
    text = csv_text(
        "1,Ann,Lee,ann@example.org,Sales,Boss,",
        "",
        '2,Bo,Ng,bo@example.org,Sales,"Two\nline title",1',
        "3,Cy,Oz,cy@example.org,Sales,Rep,1",
    )

    lines = [row.line for row in org_import.parse_csv(text).rows]

    assert lines == [2, 4, 6]


def test_parse_refuses_a_header_without_the_required_columns():
    """A header that lacks columns is refused, naming the missing ones."""
    with pytest.raises(org_import.CsvFormatError) as caught:
        org_import.parse_csv("employee_number,first_name,email\n1,Ann,ann@example.org\n")

    assert "last_name" in caught.value.message
    assert "manager_number" in caught.value.message


def test_parse_refuses_a_column_named_twice():
    """A column that appears twice in the header is refused."""
    with pytest.raises(org_import.CsvFormatError, match="twice"):
        org_import.parse_csv(csv_text("1,Ann,Lee,a@example.org,,,,x", header=HEADER + ",Email"))


def test_parse_refuses_a_header_without_rows():
    """A file with only a header has nobody to import."""
    with pytest.raises(org_import.CsvFormatError, match="no rows"):
        org_import.parse_csv(HEADER + "\n\n")


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x06\x00binary spreadsheet",
        "employee_number".encode("utf-16"),
        "employee_number;prénom\n".encode("latin-1"),
        b"   \n\n",
        b"employee_number\x07,first_name\n",
    ],
    ids=["zip", "utf-16", "latin-1", "blank", "control-char"],
)
def test_decode_refuses_content_that_is_not_utf8_csv_text(data):
    """Binary files, other encodings and empty files are refused with a readable reason."""
    with pytest.raises(org_import.CsvFormatError):
        org_import.decode_upload(data)


def test_the_length_limits_follow_the_model_fields():
    """Values that pass the length check always fit the database columns."""
    assert org_import.MAX_LENGTHS["employee_number"] == 32
    assert org_import.MAX_LENGTHS["department"] == 120
    assert org_import.MAX_LENGTHS["email"] == 254


# --- Validation (no database) ----------------------------------------------------------


def test_a_good_file_has_no_errors_and_plans_everyone_as_new():
    """A clean file on an empty organisation creates everyone and every department."""
    plan = plan_for(csv_text(*GOOD))

    assert plan.errors == []
    assert plan.summary() == {
        "rows": 3,
        "create": 3,
        "update": 0,
        "unchanged": 0,
        "reactivate": 0,
        "new_departments": ["Board", "Engineering"],
        "kept": 0,
    }


def test_missing_required_values_are_reported_by_line_and_column():
    """Employee number, email, first and last name are required on every row."""
    plan = plan_for(
        csv_text(
            ",Ann,Lee,ann@example.org,,,",
            "2,,Ng,bo@example.org,,,",
            "3,Cy,,cy@example.org,,,",
            "4,Di,Oz,,,,",
        )
    )

    assert error_cells(plan) == {
        (2, "employee_number"),
        (3, "first_name"),
        (4, "last_name"),
        (5, "email"),
    }


def test_malformed_emails_are_reported():
    """An email address that is not valid is reported on its line."""
    plan = plan_for(csv_text("1,Ann,Lee,ann@example.org,,,", "2,Bo,Ng,bo(at)example,,,"))

    assert error_cells(plan) == {(3, "email")}
    assert "bo(at)example" in plan.errors[0].message


def test_duplicate_employee_numbers_are_reported_on_every_line():
    """Every line that repeats an employee number is reported, naming the other lines."""
    plan = plan_for(
        csv_text(
            "1,Ann,Lee,ann@example.org,,,",
            "2,Bo,Ng,bo@example.org,,,",
            "1,Ann,Again,ann2@example.org,,,",
        )
    )

    assert error_cells(plan) == {(2, "employee_number"), (4, "employee_number")}
    assert "line 4" in plan.errors[0].message


def test_duplicate_emails_are_reported_whatever_their_case():
    """Two people with the same email (ignoring case) are both reported."""
    plan = plan_for(csv_text("1,Ann,Lee,ann@example.org,,,", "2,Bo,Ng,ANN@Example.org,,,"))

    assert error_cells(plan) == {(2, "email"), (3, "email")}


def test_an_email_of_a_different_existing_employee_is_reported():
    """An email that belongs to someone else in PerfCycle (not in the file) is refused."""
    snapshot = snapshot_of(existing("900", "taken@example.org"))

    plan = plan_for(csv_text("1,Ann,Lee,Taken@example.org,,,"), snapshot)

    assert error_cells(plan) == {(2, "email")}
    assert "900" in plan.errors[0].message


def test_an_existing_employee_keeps_their_own_email_and_two_people_may_swap():
    """Matching by employee number: your own email is fine, and two people can swap."""
    snapshot = snapshot_of(existing("1", "one@example.org"), existing("2", "two@example.org"))

    plan = plan_for(
        csv_text("1,Ann,Lee,two@example.org,,,", "2,Bo,Ng,one@example.org,,,"), snapshot
    )

    assert plan.errors == []
    assert plan.summary()["update"] == 2


def test_an_email_of_a_login_without_an_employee_is_reported():
    """An email used by a login that is not an employee (e.g. an admin account) is refused."""
    snapshot = org_import.OrgSnapshot(unlinked_login_emails=frozenset({"admin@example.org"}))

    plan = plan_for(csv_text("1,Ann,Lee,Admin@example.org,,,"), snapshot)

    assert error_cells(plan) == {(2, "email")}


def test_an_unknown_manager_is_reported():
    """A manager number that is neither in the file nor in PerfCycle is reported."""
    snapshot = snapshot_of(existing("900", "boss@example.org"))

    plan = plan_for(
        csv_text("1,Ann,Lee,ann@example.org,,,900", "2,Bo,Ng,bo@example.org,,,901"), snapshot
    )

    assert error_cells(plan) == {(3, "manager_number")}
    assert "901" in plan.errors[0].message


def test_a_person_cannot_be_their_own_manager():
    """A row whose manager number is its own employee number is reported."""
    plan = plan_for(csv_text("1,Ann,Lee,ann@example.org,,,1"))

    assert error_cells(plan) == {(2, "manager_number")}
    assert "own manager" in plan.errors[0].message


def test_every_line_of_a_management_loop_is_reported():
    """Loops of two and of three people are reported on each of their lines, and only there."""
    plan = plan_for(
        csv_text(
            "1,Ann,Lee,a@example.org,,,2",
            "2,Bo,Ng,b@example.org,,,1",
            "3,Cy,Oz,c@example.org,,,4",
            "4,Di,Po,d@example.org,,,5",
            "5,Ed,Qu,e@example.org,,,3",
            "6,Fi,Ra,f@example.org,,,5",
        )
    )

    assert error_cells(plan) == {(line, "manager_number") for line in (2, 3, 4, 5, 6)}
    assert "1 → 2 → 1" in plan.errors[0].message


def test_a_loop_through_people_already_in_perfcycle_is_reported():
    """A file that closes a loop through someone not in the file is still caught."""
    snapshot = snapshot_of(existing("900", "boss@example.org", manager="1"))

    plan = plan_for(csv_text("1,Ann,Lee,ann@example.org,,,900"), snapshot)

    assert error_cells(plan) == {(2, "manager_number")}


def test_too_long_values_are_reported():
    """A value longer than its column allows is reported with both lengths."""
    plan = plan_for(csv_text(f"1,Ann,Lee,ann@example.org,{'D' * 121},,"))

    assert error_cells(plan) == {(2, "department")}
    assert "121" in plan.errors[0].message


def test_lines_with_the_wrong_number_of_values_are_reported():
    """A line with fewer or more values than the header has columns is reported."""
    plan = plan_for(
        csv_text("1,Ann,Lee,ann@example.org,Sales,Boss", "2,Bo,Ng,bo@example.org,Sales,Rep,1,extra")
    )

    assert {line for line, _column in error_cells(plan)} == {2, 3}


def test_inactive_people_and_unused_columns_are_warnings_not_errors():
    """An inactive manager, a re-activated person and an unknown column only warn."""
    snapshot = snapshot_of(
        existing("900", "boss@example.org", is_active=False),
        existing("2", "bo@example.org", first_name="Bo", last_name="Ng", is_active=False),
    )

    plan = plan_for(
        csv_text(
            "1,Ann,Lee,ann@example.org,,,900,x",
            "2,Bo,Ng,bo@example.org,,,,",
            header=HEADER + ",notes",
        ),
        snapshot,
    )

    assert plan.errors == []
    assert {(w.line, w.column) for w in plan.warnings} == {
        (1, "notes"),
        (2, "manager_number"),
        (3, "employee_number"),
    }
    assert plan.summary()["reactivate"] == 1


def test_summary_counts_updates_unchanged_kept_people_and_matches_departments_by_name():
    """Existing people are updated or unchanged, others kept, departments matched ignoring case."""
    snapshot = snapshot_of(
        existing("1", "ann@example.org", first_name="Ann", last_name="Lee", department="Sales"),
        existing("2", "bo@example.org", first_name="Bo", last_name="Ng", department="Sales"),
        existing("3", "cy@example.org"),
        department_names=["Sales"],
    )

    plan = plan_for(
        csv_text(
            "1,Ann,Lee,ann@example.org,sales,,",
            "2,Bo,Ng,bo@example.org,Support,Agent,1",
            "4,Di,Po,di@example.org,support,,",
        ),
        snapshot,
    )

    summary = plan.summary()
    assert (summary["create"], summary["update"], summary["unchanged"], summary["kept"]) == (
        1,
        1,
        1,
        1,
    )
    assert summary["new_departments"] == ["Support"]
    (changed,) = [p for p in plan.rows if p.action == org_import.Action.UPDATE]
    assert changed.changes == {
        "department": ("Sales", "Support"),
        "job_title": ("", "Agent"),
        "manager_number": ("", "1"),
    }


def test_the_stored_report_is_capped_but_keeps_the_true_counts():
    """The report keeps the first 100 changes and counts all of them."""
    lines = [f"{n},P{n},Q{n},p{n}@example.org,,," for n in range(150)]

    report = plan_for(csv_text(*lines)).as_report()

    assert len(report["preview"]) == org_import.PREVIEW_LIMIT
    assert report["change_count"] == 150
    assert report["error_count"] == 0


def test_find_loops_ignores_chains_that_end():
    """Only true cycles are loops; chains to the top or to unknown people are not."""
    loops = org_import.find_loops({"a": "b", "b": "a", "c": "a", "d": "", "e": "zz", "f": "f"})

    assert loops == [["a", "b"]]


def test_usernames_are_the_email_local_part_made_unique():
    """New usernames come from the email, cleaned, and get a number when taken."""
    names = org_import.allocate_usernames(
        ["Ann.Lee@example.org", "ann.lee@other.org", "o'brien@example.org", "bo@example.org"],
        taken=["BO", "ann.lee2"],
    )

    assert names == ["ann.lee", "ann.lee3", "obrien", "bo2"]


# --- Services (database) ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_good_file_creates_departments_people_logins_and_managers(hr_admin):
    """Applying a clean file creates departments, employees, logins and the chart."""
    before = people_counts()

    counts = upload_and_apply(hr_admin, csv_text(*GOOD))

    assert counts == {"created": 3, "updated": 0, "unchanged": 0, "departments_created": 2}
    assert people_counts() == (before[0] + 3, before[1] + 3, before[2] + 2)
    people = {
        e.employee_number: e
        for e in Employee.objects.with_org().filter(employee_number__in=["100", "101", "102"])
    }
    assert people["100"].manager is None
    assert people["101"].manager == people["102"]
    assert people["102"].manager == people["100"]
    assert people["101"].department.name == "Engineering"
    assert people["101"].job_title == "Engineer"
    bob = people["101"].user
    assert (bob.username, bob.email, bob.first_name, bob.last_name) == (
        "bob",
        "bob@example.org",
        "Bob",
        "Builder",
    )
    assert bob.is_active and not bob.has_usable_password()


@pytest.mark.django_db
def test_applying_records_one_import_event_and_one_event_per_person(hr_admin):
    """The audit log gets the import with its counts and each created or updated person."""
    upload_and_apply(hr_admin, csv_text(*GOOD))

    applied = AuditEvent.objects.get(verb="org_import.applied")
    assert applied.actor == hr_admin.user
    assert applied.after["created"] == 3
    assert AuditEvent.objects.filter(verb="employee.created").count() == 3

    upload_and_apply(
        hr_admin, csv_text(*GOOD[:2], GOOD[2].replace("CTO", "Chief Technology Officer"))
    )

    updated = AuditEvent.objects.get(verb="employee.updated")
    assert updated.before == {"job_title": "CTO"}
    assert updated.after["job_title"] == "Chief Technology Officer"


@pytest.mark.django_db
def test_a_new_username_is_made_unique_when_taken(hr_admin):
    """When the email's local part is already a username, a number is added."""
    make_employee("ada")

    upload_and_apply(hr_admin, csv_text(*GOOD))

    assert Employee.objects.get(employee_number="100").user.username == "ada2"


@pytest.mark.django_db
def test_a_second_import_of_the_same_file_changes_nothing(hr_admin):
    """Re-importing the same file updates rather than duplicates: 0 created, all unchanged."""
    upload_and_apply(hr_admin, csv_text(*GOOD))
    before = people_counts()

    counts = upload_and_apply(hr_admin, csv_text(*GOOD))

    assert counts == {"created": 0, "updated": 0, "unchanged": 3, "departments_created": 0}
    assert people_counts() == before


@pytest.mark.django_db
def test_a_reimport_changes_a_manager_and_other_details(hr_admin):
    """A later file moves someone to another manager and updates their details."""
    upload_and_apply(hr_admin, csv_text(*GOOD))

    counts = upload_and_apply(
        hr_admin,
        csv_text(GOOD[0], "101,Bob,Builder,robert@example.org,Board,Assistant,100", GOOD[2]),
    )

    assert counts["updated"] == 1 and counts["created"] == 0
    bob = Employee.objects.with_org().get(employee_number="101")
    assert bob.manager.employee_number == "100"
    assert (bob.user.email, bob.department.name, bob.job_title) == (
        "robert@example.org",
        "Board",
        "Assistant",
    )
    assert bob.user.username == "bob"


@pytest.mark.django_db
def test_an_existing_employee_is_matched_by_number_and_reactivated(hr_admin, manager):
    """People already in PerfCycle are matched by employee number, updated and re-activated."""
    leaver = make_employee("leaver", manager=manager, is_active=False)
    line = f"{leaver.employee_number},Lee,Ver,leaver@example.com,Sales,Returner,{manager.employee_number}"
    before = people_counts()

    counts = upload_and_apply(hr_admin, csv_text(line))

    assert counts["updated"] == 1 and people_counts()[:2] == before[:2]
    leaver.refresh_from_db()
    leaver.user.refresh_from_db()
    assert leaver.is_active and leaver.user.is_active
    assert (leaver.user.first_name, leaver.job_title, leaver.manager) == (
        "Lee",
        "Returner",
        manager,
    )
    assert leaver.user.has_usable_password()  # their existing login is left as it was


BAD_ROWS = {
    "missing value": ("200,Eve,,eve@example.org,Ops,Clerk,", "last_name"),
    "malformed email": ("200,Eve,Ray,eve.example.org,Ops,Clerk,", "email"),
    "duplicate number": ("101,Eve,Ray,eve@example.org,Ops,Clerk,", "employee_number"),
    "duplicate email": ("200,Eve,Ray,BOB@example.org,Ops,Clerk,", "email"),
    "email of another employee": ("200,Eve,Ray,hr@example.com,Ops,Clerk,", "email"),
    "unknown manager": ("200,Eve,Ray,eve@example.org,Ops,Clerk,999", "manager_number"),
    "own manager": ("200,Eve,Ray,eve@example.org,Ops,Clerk,200", "manager_number"),
    "too long": (f"200,Eve,Ray,eve@example.org,Ops,{'T' * 121},", "job_title"),
    "loop": ("100,Ada,Lovelace,ada@example.org,Board,Chief Executive,101", "manager_number"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", BAD_ROWS, ids=list(BAD_ROWS))
def test_each_kind_of_bad_row_is_reported_by_line_and_nothing_is_written(kind, hr_admin, client):
    """A bad row shows in the report with its line and column; applying writes nothing."""
    bad_line, column = BAD_ROWS[kind]
    lines = [line for line in GOOD if not (kind == "loop" and line.startswith("100,"))]
    text = csv_text(*lines, bad_line)  # the bad row is the last line
    bad_line_number = len(lines) + 2
    before = people_counts()
    client.force_login(hr_admin.user)

    response = upload(client, text)

    record = OrgImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("org-import-detail", args=[record.pk])
    assert {"line": bad_line_number, "column": column} in [
        {"line": e["line"], "column": e["column"]} for e in record.report["errors"]
    ]
    page = client.get(response.url)
    assert page.status_code == 200
    assert b'data-testid="error-table"' in page.content
    assert b'data-testid="apply"' not in page.content
    with pytest.raises(services.OrgImportError, match="has errors"):
        services.apply_org_import(actor=hr_admin.user, org_import_id=record.pk)
    assert client.post(reverse("org-import-apply", args=[record.pk])).status_code == 302
    assert people_counts() == before
    record.refresh_from_db()
    assert record.status == OrgImport.Status.VALIDATED


@pytest.mark.django_db
def test_apply_refuses_a_file_the_organisation_has_since_made_invalid(hr_admin):
    """Validation runs again at apply time; new errors stop it and are saved in the report."""
    record = services.create_org_import(
        actor=hr_admin.user, file_name="o.csv", content=csv_text(*GOOD)
    )
    make_employee("ada")  # now owns ada@example.com… and we give her the file's email
    User.objects.filter(username="ada").update(email="ada@example.org")
    before = people_counts()

    with pytest.raises(services.OrgImportError, match="changed"):
        services.apply_org_import(actor=hr_admin.user, org_import_id=record.pk)

    assert people_counts() == before
    record.refresh_from_db()
    assert record.status == OrgImport.Status.VALIDATED
    assert record.report["errors"][0]["line"] == 2


@pytest.mark.django_db
def test_an_import_is_applied_only_once(hr_admin, client):
    """Submitting Confirm twice applies once; the second time says it was already applied."""
    record = services.create_org_import(
        actor=hr_admin.user, file_name="o.csv", content=csv_text(*GOOD)
    )
    client.force_login(hr_admin.user)
    url = reverse("org-import-apply", args=[record.pk])

    first = client.post(url, follow=True)
    after_first = people_counts()
    second = client.post(url, follow=True)

    assert "3 people created" in first.content.decode()
    assert "already been applied" in second.content.decode()
    assert people_counts() == after_first
    assert AuditEvent.objects.filter(verb="org_import.applied").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_confirms_apply_once():
    """Two requests confirming the same import at the same moment: the row lock lets one win."""
    hr = make_employee("hr-race", hr=True)
    record = services.create_org_import(actor=hr.user, file_name="o.csv", content=csv_text(*GOOD))
    barrier = threading.Barrier(2)
    outcomes = []

    def confirm():
        try:
            barrier.wait()
            outcomes.append(services.apply_org_import(actor=hr.user, org_import_id=record.pk))
        except services.OrgImportError as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(type(o).__name__ for o in outcomes) == ["OrgImportError", "dict"]
    assert Employee.objects.filter(employee_number__in=["100", "101", "102"]).count() == 3


@pytest.mark.django_db
def test_a_discarded_import_cannot_be_applied_and_an_applied_one_cannot_be_discarded(hr_admin):
    """Applied and discarded are final: moving on from them is a domain error."""
    discarded = services.create_org_import(
        actor=hr_admin.user, file_name="a.csv", content=csv_text(*GOOD)
    )
    services.discard_org_import(actor=hr_admin.user, org_import_id=discarded.pk)
    applied = services.create_org_import(
        actor=hr_admin.user, file_name="b.csv", content=csv_text(*GOOD)
    )
    services.apply_org_import(actor=hr_admin.user, org_import_id=applied.pk)

    with pytest.raises(services.OrgImportError, match="discarded"):
        services.apply_org_import(actor=hr_admin.user, org_import_id=discarded.pk)
    with pytest.raises(services.OrgImportError, match="applied"):
        services.discard_org_import(actor=hr_admin.user, org_import_id=applied.pk)


@pytest.mark.django_db
def test_the_sample_file_is_valid_and_applies(hr_admin):
    """The sample HR downloads from the upload page imports cleanly."""
    text = org_import.decode_upload(SAMPLE.read_bytes())

    counts = upload_and_apply(hr_admin, text)

    assert counts["created"] == len(text.strip().splitlines()) - 1


# --- Pages -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_hr_uploads_reviews_and_confirms_through_the_pages(hr_admin, client):
    """Upload → report with counts, preview and Confirm → apply → people exist."""
    client.force_login(hr_admin.user)

    response = upload(client, csv_text(*GOOD))
    page = client.get(response.url)

    content = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="preview-table"' in content
    assert "This will create 3 people." in content
    assert 'data-testid="apply"' in content
    record = OrgImport.objects.get()
    client.post(reverse("org-import-apply", args=[record.pk]))
    assert Employee.objects.filter(employee_number__in=["100", "101", "102"]).count() == 3
    applied_page = client.get(response.url).content.decode()
    assert 'data-testid="applied"' in applied_page
    assert 'data-testid="apply"' not in applied_page


@pytest.mark.django_db
def test_hr_can_discard_an_import(hr_admin, client):
    """Discard marks the import discarded and writes no people."""
    client.force_login(hr_admin.user)
    record = services.create_org_import(
        actor=hr_admin.user, file_name="o.csv", content=csv_text(*GOOD)
    )
    before = people_counts()

    client.post(reverse("org-import-discard", args=[record.pk]))

    record.refresh_from_db()
    assert record.status == OrgImport.Status.DISCARDED
    assert people_counts() == before


@pytest.mark.django_db
def test_the_upload_page_lists_the_columns_links_the_sample_and_shows_recent_imports(
    hr_admin, client
):
    """HR sees the instructions, the sample link and earlier imports with their status."""
    client.force_login(hr_admin.user)
    services.create_org_import(
        actor=hr_admin.user, file_name="earlier.csv", content=csv_text(*GOOD)
    )

    content = client.get(reverse("org-import")).content.decode()

    for column in org_import.COLUMNS:
        assert f"<code>{column}</code>" in content
    assert "/static/samples/organisation.csv" in content
    assert "earlier.csv" in content
    assert 'data-status="validated"' in content


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["employee", "manager"])
def test_only_hr_can_reach_the_import_pages(role, org, client):
    """Employees and managers get 404 on every import URL, and nothing is stored or applied."""
    record = services.create_org_import(
        actor=org["hr"].user, file_name="o.csv", content=csv_text(*GOOD)
    )
    client.force_login(org[role].user)
    before = people_counts()

    responses = [
        client.get(reverse("org-import")),
        upload(client, csv_text(*GOOD)),
        client.get(reverse("org-import-detail", args=[record.pk])),
        client.post(reverse("org-import-apply", args=[record.pk])),
        client.get(reverse("org-import-apply", args=[record.pk])),
        client.post(reverse("org-import-discard", args=[record.pk])),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert OrgImport.objects.count() == 1
    record.refresh_from_db()
    assert record.status == OrgImport.Status.VALIDATED
    assert people_counts() == before


@pytest.mark.django_db
def test_apply_and_discard_are_post_only(hr_admin, client):
    """The workflow actions refuse GET."""
    record = services.create_org_import(
        actor=hr_admin.user, file_name="o.csv", content=csv_text(*GOOD)
    )
    client.force_login(hr_admin.user)

    assert client.get(reverse("org-import-apply", args=[record.pk])).status_code == 405
    assert client.get(reverse("org-import-discard", args=[record.pk])).status_code == 405


BAD_UPLOADS = {
    "no file": (None, "This field is required"),
    "empty": (b"", "empty"),
    "missing column": (b"employee_number,first_name,email\n1,Ann,a@example.org\n", "last_name"),
    "binary": (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "binary"),
    "header only": ((HEADER + "\n").encode(), "no rows"),
    "not utf-8": ((HEADER + "\n1,Zoë,Lee,z@example.org,,,\n").encode("latin-1"), "UTF-8"),
    "too large": (b"x" * (org_import.MAX_UPLOAD_BYTES + 1), "too large"),
    "not csv": (b"%PDF-1.7", ".csv"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", BAD_UPLOADS, ids=list(BAD_UPLOADS))
def test_a_bad_upload_is_refused_next_to_the_field_and_nothing_is_stored(kind, hr_admin, client):
    """No file, an empty, binary or header-less file: 400 with the error on the file field."""
    data, expected = BAD_UPLOADS[kind]
    client.force_login(hr_admin.user)
    name = "report.pdf" if kind == "not csv" else "organisation.csv"

    if data is None:
        response = client.post(reverse("org-import"), {})
    else:
        response = upload(client, data, name=name)

    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["file"]
    assert expected in " ".join(form.errors["file"])
    assert expected in response.content.decode()
    assert OrgImport.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("with_errors", [False, True], ids=["preview", "errors"])
def test_the_report_page_query_count_does_not_grow_with_the_file(with_errors, hr_admin, client):
    """The report page costs the same number of queries for 3 rows or 400."""
    client.force_login(hr_admin.user)

    def line(n: int) -> str:
        email = f"bad-email-{n}" if with_errors else f"p{n}@example.org"
        return f"{n},P{n},Q{n},{email},Dept {n % 7},,"

    def queries_for(size: int) -> int:
        lines = [line(n) for n in range(size)]
        record = services.create_org_import(
            actor=hr_admin.user, file_name=f"{size}.csv", content=csv_text(*lines)
        )
        assert record.has_errors is with_errors
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("org-import-detail", args=[record.pk]))
        assert response.status_code == 200
        return len(captured)

    small, large = queries_for(3), queries_for(400)

    assert small == large
    assert large <= 8


@pytest.mark.django_db
def test_the_error_report_is_paginated(hr_admin, client):
    """More than 100 errors are split over pages of 100 rows."""
    client.force_login(hr_admin.user)
    lines = [f"{n},P{n},Q{n},bad-email-{n},,," for n in range(150)]
    record = services.create_org_import(
        actor=hr_admin.user, file_name="bad.csv", content=csv_text(*lines)
    )

    first = client.get(reverse("org-import-detail", args=[record.pk]))
    second = client.get(reverse("org-import-detail", args=[record.pk]), {"page": 2})

    assert first.context["errors"].paginator.num_pages == 2
    assert len(second.context["errors"].object_list) == 50
    assert "bad-email-149" in second.content.decode()
