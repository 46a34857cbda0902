"""Organisation import, the writes: HR uploads a CSV; it is validated into OrgImport.report
before anything is written and applied, all or nothing, only when HR confirms. Parsing and
validation are pure (perfcycle.org_import.parsing); this module reads the organisation and
writes the result.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from perfcycle.audit import Event, Subject, record_event, record_events
from perfcycle.models import Department, Employee, OrgImport, User
from perfcycle.org_import import parsing
from perfcycle.workflow import DomainError, lock_for_update, require_hr, require_move

_IMPORT_BATCH = 1000
_IMPORT_LOOKUP_CHUNK = 5000


class OrgImportError(DomainError):
    """An organisation import cannot move as asked (applied already, stale data…)."""


def org_snapshot() -> parsing.OrgSnapshot:
    """The organisation as plain data for validation: three queries, whatever its size."""
    rows = (
        Employee.objects.order_by()
        .values_list(
            "employee_number",
            "user__first_name",
            "user__last_name",
            "user__email",
            "department__name",
            "job_title",
            "manager__employee_number",
            "is_active",
        )
        .iterator(chunk_size=_IMPORT_LOOKUP_CHUNK)
    )
    employees = {
        number: parsing.ExistingEmployee(
            employee_number=number,
            first_name=first_name,
            last_name=last_name,
            email=email,
            department=department or "",
            job_title=job_title,
            manager_number=manager_number or "",
            is_active=is_active,
        )
        for number, first_name, last_name, email, department, job_title, manager_number, is_active in rows
    }
    unlinked = (
        User.objects.filter(employee__isnull=True).exclude(email="").values_list("email", flat=True)
    )
    return parsing.OrgSnapshot(
        employees=employees,
        department_names=list(Department.objects.order_by().values_list("name", flat=True)),
        unlinked_login_emails=frozenset(email.lower() for email in unlinked),
    )


def _plan_org_import(content: str) -> parsing.ImportPlan:
    try:
        parsed = parsing.parse_csv(content)
    except parsing.CsvFormatError as error:
        raise OrgImportError({"file": error.message}) from error
    return parsing.validate(parsed, org_snapshot())


def _check_org_import_move(record: OrgImport, to_status: str) -> None:
    require_move(
        record,
        to_status,
        error=OrgImportError,
        message=lambda: (
            _("This import has already been applied.")
            if record.status == OrgImport.Status.APPLIED
            else _("This import was discarded. Upload the file again to import it.")
        ),
    )


def create_org_import(*, actor, file_name: str, content: str) -> OrgImport:
    """Store an uploaded file with its validation report; nothing else is written."""
    require_hr(actor)
    plan = _plan_org_import(content)
    with transaction.atomic():
        record = OrgImport.objects.create(
            uploaded_by=actor,
            file_name=file_name[:255],
            content=content,
            report=plan.as_report(),
        )
        record_event(
            actor=actor,
            verb="org_import.validated",
            obj=record,
            after={"rows": plan.row_count, "errors": len(plan.errors)},
        )
    return record


def apply_org_import(*, actor, org_import_id: int) -> dict:
    """Validate again and write the whole file in one transaction; returns the counts.

    Raises OrgImportError, writing no people data, if the import was applied or discarded
    already or if the organisation changed so that the file is no longer valid (the fresh
    report is then saved for HR to read). The row lock makes a double submit apply once.
    """
    require_hr(actor)
    counts = None
    try:
        with transaction.atomic():
            record = lock_for_update(OrgImport, org_import_id)
            _check_org_import_move(record, OrgImport.Status.APPLIED)
            had_errors = record.has_errors
            try:
                plan = _plan_org_import(record.content)
            except ValidationError as error:
                raise OrgImportError(error.messages) from error
            if plan.errors:
                record.report = plan.as_report()
                record.save(update_fields=["report"])
            else:
                counts = _write_org_plan(plan=plan, actor=actor, org_import_id=record.pk)
                record.status = OrgImport.Status.APPLIED
                record.applied_at = timezone.now()
                record.report = {**plan.as_report(), "applied": counts}
                record.save(update_fields=["status", "applied_at", "report"])
                record_event(
                    actor=actor,
                    verb="org_import.applied",
                    obj=record,
                    before={"status": OrgImport.Status.VALIDATED},
                    after={"status": OrgImport.Status.APPLIED, **counts},
                )
    except IntegrityError as error:
        raise OrgImportError(
            _(
                "Someone changed the organisation while this import was being applied. "
                "Nothing was written; try again."
            )
        ) from error
    if counts is None:
        errors = record.report["error_count"]
        if had_errors:
            raise OrgImportError(
                _("This file has errors. Fix them and upload it again; nothing was written.")
            )
        raise OrgImportError(
            ngettext(
                "The organisation has changed since this file was checked and it now has "
                "%(count)s error. Nothing was written; see the report below.",
                "The organisation has changed since this file was checked and it now has "
                "%(count)s errors. Nothing was written; see the report below.",
                errors,
            )
            % {"count": errors}
        )
    return counts


def discard_org_import(*, actor, org_import_id: int) -> OrgImport:
    require_hr(actor)
    with transaction.atomic():
        record = lock_for_update(OrgImport, org_import_id)
        _check_org_import_move(record, OrgImport.Status.DISCARDED)
        record.status = OrgImport.Status.DISCARDED
        record.save(update_fields=["status"])
        record_event(
            actor=actor,
            verb="org_import.discarded",
            obj=record,
            before={"status": OrgImport.Status.VALIDATED},
            after={"status": OrgImport.Status.DISCARDED},
        )
    return record


def _chunks(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _write_org_plan(*, plan: parsing.ImportPlan, actor, org_import_id: int) -> dict:
    """Departments, then people, then managers once everyone exists; bulk queries only."""
    Department.objects.bulk_create(
        [Department(name=name) for name in plan.new_departments], batch_size=_IMPORT_BATCH
    )
    department_ids = dict(Department.objects.order_by().values_list("name", "pk"))

    def department_id(planned: parsing.PlannedRow) -> int | None:
        return department_ids[planned.department] if planned.department else None

    creates = [p for p in plan.rows if p.action == parsing.Action.CREATE]
    updates = [p for p in plan.rows if p.action == parsing.Action.UPDATE]
    existing: dict[str, Employee] = {}
    for chunk in _chunks([p.row.employee_number for p in updates], _IMPORT_LOOKUP_CHUNK):
        # Locked: nobody edits (or deletes) these people until the import commits.
        existing.update(
            (employee.employee_number, employee)
            for employee in Employee.objects.select_related("user")
            .select_for_update()
            .filter(employee_number__in=chunk)
            .order_by()
        )

    # New people: a login with an unusable password (they set one by password reset).
    usernames = parsing.allocate_usernames(
        [p.email for p in creates], User.objects.values_list("username", flat=True).iterator()
    )
    users = []
    for planned, username in zip(creates, usernames, strict=True):
        user = User(
            username=username,
            email=planned.email,
            first_name=planned.row.first_name,
            last_name=planned.row.last_name,
        )
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, batch_size=_IMPORT_BATCH)
    created = [
        Employee(
            user=user,
            employee_number=planned.row.employee_number,
            department_id=department_id(planned),
            job_title=planned.row.job_title,
        )
        for planned, user in zip(creates, users, strict=True)
    ]
    Employee.objects.bulk_create(created, batch_size=_IMPORT_BATCH)

    # Managers are resolved only now, so a manager may come later in the file.
    by_number = {employee.employee_number: employee for employee in created}
    by_number.update(existing)
    manager_ids = {number: employee.pk for number, employee in by_number.items()}
    outside = sorted({p.row.manager_number for p in plan.rows} - set(manager_ids) - {""})
    for chunk in _chunks(outside, _IMPORT_LOOKUP_CHUNK):
        manager_ids.update(
            Employee.objects.filter(employee_number__in=chunk)
            .order_by()
            .values_list("employee_number", "pk")
        )

    def manager_id(planned: parsing.PlannedRow) -> int | None:
        number = planned.row.manager_number
        return manager_ids[number] if number else None

    managed = []
    for planned, employee in zip(creates, created, strict=True):
        employee.manager_id = manager_id(planned)
        if employee.manager_id is not None:
            managed.append(employee)
    _save_in_bulk(Employee, managed, ["manager"])

    changed_employees, changed_users = [], []
    for planned in updates:
        employee = existing[planned.row.employee_number]
        employee.department_id = department_id(planned)
        employee.job_title = planned.row.job_title
        employee.manager_id = manager_id(planned)
        user = employee.user
        user.first_name = planned.row.first_name
        user.last_name = planned.row.last_name
        user.email = planned.email
        if planned.reactivate:
            employee.is_active = True
            user.is_active = True
        changed_employees.append(employee)
        changed_users.append(user)
    _save_in_bulk(Employee, changed_employees, ["department", "job_title", "manager", "is_active"])
    _save_in_bulk(User, changed_users, ["first_name", "last_name", "email", "is_active"])

    _record_import_events(
        actor=actor,
        org_import_id=org_import_id,
        created=zip(creates, created, strict=True),
        updated=((planned, existing[planned.row.employee_number]) for planned in updates),
    )
    return {
        "created": len(creates),
        "updated": len(updates),
        "unchanged": plan.count(parsing.Action.UNCHANGED),
        "departments_created": len(plan.new_departments),
    }


def _save_in_bulk(model, objs: list, fields: list[str]) -> None:
    """bulk_update's fast twin for rows that exist (created or locked in this transaction).

    bulk_update builds a CASE expression per row and field, seconds of Python for ten
    thousand people; an INSERT … ON CONFLICT (id) DO UPDATE of the same rows sends plain
    values and updates only ``fields``.
    """
    model.objects.bulk_create(
        objs,
        batch_size=_IMPORT_BATCH,
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=fields,
    )


def _record_import_events(*, actor, org_import_id: int, created, updated) -> None:
    """One audit row per person the import created or changed, in bulk."""
    events = []
    for planned, employee in created:
        events.append(
            Event(
                actor=actor,
                verb="employee.created",
                obj=Subject(Employee, employee.pk, planned.name),
                after={
                    "employee_number": planned.row.employee_number,
                    "email": planned.email,
                    "department": planned.department,
                    "job_title": planned.row.job_title,
                    "manager_number": planned.row.manager_number,
                    "org_import": org_import_id,
                },
            )
        )
    for planned, employee in updated:
        before = {column: old for column, (old, _new) in planned.changes.items()}
        after = {column: new for column, (_old, new) in planned.changes.items()}
        if planned.reactivate:
            before["is_active"], after["is_active"] = False, True
        events.append(
            Event(
                actor=actor,
                verb="employee.updated",
                obj=Subject(Employee, employee.pk, planned.name),
                before=before,
                after={**after, "org_import": org_import_id},
            )
        )
    record_events(events, batch_size=_IMPORT_BATCH)
