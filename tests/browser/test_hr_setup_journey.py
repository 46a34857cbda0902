"""HR's setup journey in a real browser, through the UI only: create a cycle, import an
organisation file with a bad row, read the report, fix the row and apply the file, enrol
the new people into the cycle from the searchable list, and set reviewers (one person,
then a selection). Screenshots of the changed pages at 1280 and 390 px."""

import re

import pytest
from playwright.sync_api import Page, expect

from perfcycle.models import Cycle, Employee, Participation
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "employee_number,first_name,last_name,email,department,job_title,manager_number\n"
ROWS = [
    "R100,Ada,Lovelace,ada@example.com,Research,Head of research,",
    "R101,Alan,Turing,alan@example.com,Research,Researcher,R100",
    "R102,Grace,Hopper,{email},Research,Researcher,R100",
]


def org_file(grace_email: str) -> dict:
    text = HEADER + "\n".join(ROWS).format(email=grace_email) + "\n"
    return {"name": "research.csv", "mimeType": "text/csv", "buffer": text.encode()}


def sign_in_hr(page: Page, hr) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", hr.user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/hr/**")


def shoot(page: Page, results_dir, name: str) -> None:
    """The page at 1280 and at 390 px; at 390 nothing may be wider than the screen."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide at {width} px"
        page.screenshot(path=str(results_dir / f"hr-setup-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_hr_creates_a_cycle_imports_people_enrols_them_and_sets_reviewers(page, org, results_dir):
    sign_in_hr(page, org["hr"])

    # 1. A new cycle.
    page.goto("/cycles/new/")
    page.get_by_label("Name").fill("FY2027")
    for label, day in [
        ("Start date", "2027-01-01"),
        ("End date", "2027-12-31"),
        ("Planning ends", "2027-02-15"),
        ("Implementation ends", "2027-10-31"),
        ("Appraisal ends", "2027-11-30"),
        ("Feedback ends", "2027-12-15"),
        ("Application ends", "2027-12-31"),
    ]:
        page.get_by_label(label).fill(day)
    page.get_by_role("button", name="Create cycle").click()
    expect(page.get_by_role("status")).to_contain_text("Cycle “FY2027” created.")
    cycle_url = page.url

    # 2. An organisation file with a bad row: the report says which line and why.
    page.goto("/org/import/")
    page.get_by_test_id("upload-form").get_by_label("CSV file").set_input_files(
        org_file("not-an-email")
    )
    page.get_by_role("button", name="Check file").click()
    expect(page.get_by_test_id("has-errors")).to_contain_text("Nothing has been written")
    errors = page.get_by_test_id("error-table")
    expect(errors).to_contain_text("“not-an-email” is not a valid email address.")
    expect(errors.locator("tbody tr").first).to_contain_text("4")  # the header is line 1
    assert not Employee.objects.filter(employee_number__startswith="R1").exists()

    # 3. The row fixed, the file checked again and applied.
    page.get_by_role("link", name="Upload a corrected file").click()
    page.get_by_test_id("upload-form").get_by_label("CSV file").set_input_files(
        org_file("grace@example.com")
    )
    page.get_by_role("button", name="Check file").click()
    expect(page.get_by_test_id("preview-table")).to_contain_text("Grace")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("confirm-text")).to_contain_text("create 3 people")
    page.get_by_test_id("apply").click()
    expect(page.get_by_test_id("applied")).to_contain_text("3 created")

    # 4. The new people into the cycle: from its page to the participants, "Add people",
    #    the list narrowed to the new department, everyone on the page ticked.
    page.goto(cycle_url)
    page.locator("[data-action=cycle-people]").click()
    expect(page.get_by_test_id("not-enrolled")).to_contain_text("not in this cycle yet")
    page.get_by_test_id("add-people").click()
    page.get_by_label("Department (with its sub-departments)").select_option(label="Research")
    page.get_by_role("button", name="Search").click()
    candidates = page.get_by_test_id("candidates-table")
    expect(candidates.locator("tbody tr")).to_have_count(3)
    shoot(page, results_dir, "add-people")
    page.get_by_label("Choose everyone on this page").check()
    expect(page.locator("[data-selected-count=employees]")).to_have_text("3 chosen on this page")
    page.get_by_test_id("add-chosen").click()
    expect(page.get_by_role("status")).to_contain_text("3 people added to the cycle.")
    expect(
        page.get_by_text("Nobody who is not in the cycle yet matches that search.")
    ).to_be_visible()
    cycle = Cycle.objects.get(name="FY2027")
    assert set(
        Participation.objects.filter(cycle=cycle).values_list(
            "employee__employee_number", flat=True
        )
    ) == {"R100", "R101", "R102"}

    # 5. One person's reviewer, from their row: a name typed is suggested by the search.
    page.get_by_role("link", name="Back to the participants").click()
    table = page.get_by_test_id("participants-table")
    grace = table.locator("tr", has_text="Grace")
    expect(grace.get_by_test_id("reviewer")).to_contain_text("Ada Lovelace")
    shoot(page, results_dir, "participants")
    grace.get_by_role("link", name="Change").click()
    expect(page.get_by_test_id("current-reviewer")).to_contain_text("Ada Lovelace")
    reviewer = page.get_by_label("New reviewer")
    reviewer.fill("R102")  # herself first: refused at the field
    page.get_by_role("button", name="Change reviewer").click()
    expect(page.locator("#id_reviewer")).to_have_class(re.compile("is-invalid"))
    expect(page.get_by_text("cannot be their own reviewer").first).to_be_visible()
    reviewer = page.get_by_label("New reviewer")
    reviewer.fill("Tur")
    expect(page.locator("#reviewer-options option[value=R101]")).to_have_count(1)
    reviewer.fill("R101")
    shoot(page, results_dir, "reviewer")
    page.get_by_role("button", name="Change reviewer").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Alan Turing is now the reviewer of 1 person."
    )
    grace = page.get_by_test_id("participants-table").locator("tr", has_text="Grace")
    expect(grace.get_by_test_id("reviewer")).to_contain_text("Alan Turing")

    # 6. A selection: Ada and Alan get the director as reviewer at once.
    table = page.get_by_test_id("participants-table")
    table.get_by_label("Choose Ada Lovelace").check()
    table.get_by_label("Choose Alan Turing").check()
    bulk = page.get_by_test_id("bulk-reviewer")
    expect(bulk).to_contain_text("(2 chosen)")
    bulk.get_by_label("New reviewer").fill(org["director"].employee_number)
    bulk.get_by_role("button", name="Set reviewer").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"{org['director'].full_name} is now the reviewer of 2 people."
    )
    reviewers = dict(
        Participation.objects.filter(cycle=cycle).values_list(
            "employee__employee_number", "reviewer__employee_number"
        )
    )
    assert reviewers == {
        "R100": org["director"].employee_number,
        "R101": org["director"].employee_number,
        "R102": "R101",
    }
