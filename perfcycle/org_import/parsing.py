"""Organisation CSV: read an HR file and decide, before anything is written, what it
would change and what is wrong with it, line by line (the header is line 1).

Pure functions over plain data, no database: the service passes in a snapshot of the
organisation as it is (``OrgSnapshot``) and writes the resulting ``ImportPlan``.
"""

import codecs
import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from perfcycle.models import Department, Employee, User

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# What the stored report keeps: enough to fix a file, small enough to render a page.
REPORT_ISSUE_LIMIT = 1000
PREVIEW_LIMIT = 100

COLUMNS = (
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "department",
    "job_title",
    "manager_number",
)
REQUIRED_VALUES = ("employee_number", "first_name", "last_name", "email")
# Taken from the models so a file value that fits the check always fits the column.
MAX_LENGTHS = {
    "employee_number": Employee._meta.get_field("employee_number").max_length,
    "first_name": User._meta.get_field("first_name").max_length,
    "last_name": User._meta.get_field("last_name").max_length,
    "email": User._meta.get_field("email").max_length,
    "department": Department._meta.get_field("name").max_length,
    "job_title": Employee._meta.get_field("job_title").max_length,
    "manager_number": Employee._meta.get_field("employee_number").max_length,
}
USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length

_DELIMITERS = (",", ";", "\t")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADER_SEPARATORS = re.compile(r"[\s\-]+")
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")
_LOOP_SHOWN = 8
_OTHER_LINES_SHOWN = 5


class CsvFormatError(ValueError):
    """The upload is not a CSV file this importer can read at all (a form error)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Reading the file ------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    line: int
    employee_number: str
    first_name: str
    last_name: str
    email: str
    department: str
    job_title: str
    manager_number: str
    # "too_few" / "too_many" when the line does not have one value per header column.
    shape: str = ""

    def value(self, column: str) -> str:
        return getattr(self, column)


@dataclass(frozen=True)
class ParsedFile:
    rows: list[Row]
    ignored_columns: list[str] = field(default_factory=list)
    delimiter: str = ","


def decode_upload(data: bytes) -> str:
    """UTF-8 text (a byte-order mark is dropped) or a CsvFormatError saying what to do."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvFormatError(
            _("The file is saved as UTF-16. Save it as “CSV UTF-8” and upload it again.")
        )
    if b"\x00" in data:
        raise CsvFormatError(
            _(
                "This is a binary file (for example a spreadsheet), not CSV text. "
                "Save it as “CSV UTF-8” and upload it again."
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFormatError(
            _(
                "The file is not UTF-8 text. Save it as “CSV UTF-8” (comma or semicolon "
                "separated) and upload it again."
            )
        ) from error
    if _CONTROL_CHARS.search(text):
        raise CsvFormatError(
            _("The file contains binary data, not CSV text. Upload a CSV file saved as UTF-8.")
        )
    if not text.strip():
        raise CsvFormatError(_("The file is empty."))
    return text


def _normalise_header(name: str) -> str:
    return _HEADER_SEPARATORS.sub("_", name.strip().lower())


def _detect_delimiter(first_line: str) -> str:
    """The separator used most in the header line: comma, semicolon or tab."""
    return max(_DELIMITERS, key=first_line.count)


def parse_csv(text: str) -> ParsedFile:
    """Rows of the file, each with its line number; CsvFormatError if it cannot be read."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise CsvFormatError(_("The file is empty."))
    delimiter = _detect_delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        positions = _header_positions(header)
        rows = []
        previous_line = reader.line_num
        for record in reader:
            # A quoted value may span lines: a row starts right after the previous one.
            line = previous_line + 1
            previous_line = reader.line_num
            if not any(value.strip() for value in record):
                continue
            rows.append(_make_row(line, record, positions, len(header)))
    except csv.Error as error:
        raise CsvFormatError(
            _("Line %(line)s could not be read as CSV: %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from error
    if not rows:
        raise CsvFormatError(_("The file has a header but no rows of people."))
    ignored = [name.strip() for index, name in enumerate(header) if index not in positions.values()]
    return ParsedFile(rows=rows, ignored_columns=[n for n in ignored if n], delimiter=delimiter)


def _header_positions(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = _normalise_header(raw)
        if name not in COLUMNS:
            continue
        if name in positions:
            raise CsvFormatError(
                _("The column “%(column)s” appears twice in the header.") % {"column": name}
            )
        positions[name] = index
    missing = [column for column in COLUMNS if column not in positions]
    if missing:
        raise CsvFormatError(
            ngettext(
                "The header (line 1) is missing the column %(columns)s. "
                "The first line must name the columns: %(expected)s.",
                "The header (line 1) is missing the columns %(columns)s. "
                "The first line must name the columns: %(expected)s.",
                len(missing),
            )
            % {"columns": ", ".join(missing), "expected": ", ".join(COLUMNS)}
        )
    return positions


def _make_row(line: int, record: list[str], positions: dict[str, int], width: int) -> Row:
    values = {
        column: record[index].strip() if index < len(record) else ""
        for column, index in positions.items()
    }
    shape = ""
    if len(record) < width:
        shape = "too_few"
    elif any(value.strip() for value in record[width:]):
        shape = "too_many"
    return Row(line=line, shape=shape, **values)


# --- What exists already ---------------------------------------------------------------


@dataclass(frozen=True)
class ExistingEmployee:
    employee_number: str
    first_name: str
    last_name: str
    email: str
    department: str
    job_title: str
    manager_number: str
    is_active: bool = True

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class OrgSnapshot:
    """The organisation as it is, by employee number."""

    employees: Mapping[str, ExistingEmployee] = field(default_factory=dict)
    department_names: Iterable[str] = ()
    # Lower-cased emails of logins that have no employee record (e.g. service accounts).
    unlinked_login_emails: frozenset[str] = frozenset()


# --- Validation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


class Action:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PlannedRow:
    row: Row
    action: str
    email: str
    department: str
    # column -> (before, after), only for existing people whose data changes.
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    reactivate: bool = False

    @property
    def name(self) -> str:
        return f"{self.row.first_name} {self.row.last_name}".strip()

    def as_preview(self) -> dict:
        return {
            "line": self.row.line,
            "employee_number": self.row.employee_number,
            "name": self.name,
            "email": self.email,
            "department": self.department,
            "job_title": self.row.job_title,
            "manager_number": self.row.manager_number,
            "action": self.action,
            "reactivate": self.reactivate,
            "changes": [
                {"column": column, "before": before, "after": after}
                for column, (before, after) in self.changes.items()
            ],
        }


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    errors: list[Issue]
    warnings: list[Issue]
    new_departments: list[str]
    kept: int
    row_count: int = 0

    def count(self, action: str) -> int:
        return sum(1 for planned in self.rows if planned.action == action)

    @property
    def changes(self) -> list[PlannedRow]:
        return [p for p in self.rows if p.action != Action.UNCHANGED]

    def summary(self) -> dict:
        return {
            "rows": self.row_count,
            "create": self.count(Action.CREATE),
            "update": self.count(Action.UPDATE),
            "unchanged": self.count(Action.UNCHANGED),
            "reactivate": sum(1 for p in self.rows if p.reactivate),
            "new_departments": self.new_departments,
            "kept": self.kept,
        }

    def as_report(self) -> dict:
        """What OrgImport.report stores: counts, issues and a preview, capped in size."""
        changes = self.changes
        return {
            "summary": self.summary(),
            "errors": [issue.as_dict() for issue in self.errors[:REPORT_ISSUE_LIMIT]],
            "error_count": len(self.errors),
            "warnings": [issue.as_dict() for issue in self.warnings[:REPORT_ISSUE_LIMIT]],
            "warning_count": len(self.warnings),
            "preview": [planned.as_preview() for planned in changes[:PREVIEW_LIMIT]],
            "change_count": len(changes),
        }


def normalise_email(email: str) -> str:
    return BaseUserManager.normalize_email(email.strip())


def validate(parsed: ParsedFile, snapshot: OrgSnapshot) -> ImportPlan:
    """Every problem of the file against the organisation, and what applying it does."""
    rows = parsed.rows
    errors: list[Issue] = []
    warnings: list[Issue] = [
        Issue(1, column, _("This column is not used by the import and was ignored."))
        for column in parsed.ignored_columns
    ]
    for row in rows:
        errors.extend(_row_errors(row))

    first_by_number: dict[str, Row] = {}
    for row in rows:
        if row.employee_number:
            first_by_number.setdefault(row.employee_number, row)
    errors.extend(_duplicates(rows, "employee_number", lambda r: r.employee_number))
    errors.extend(_duplicates(rows, "email", lambda r: normalise_email(r.email).lower()))
    errors.extend(_email_conflicts(rows, first_by_number, snapshot))
    manager_errors, manager_warnings = _manager_issues(rows, first_by_number, snapshot)
    errors.extend(manager_errors)
    warnings.extend(manager_warnings)
    errors.extend(_loops(rows, first_by_number, snapshot))

    departments = _department_spellings(rows, snapshot)
    planned = [
        _plan_row(row, snapshot.employees.get(number), departments)
        for number, row in first_by_number.items()
    ]
    for planned_row in planned:
        if planned_row.reactivate:
            warnings.append(
                Issue(
                    planned_row.row.line,
                    "employee_number",
                    _("%(name)s is inactive in PerfCycle and will be re-activated.")
                    % {"name": planned_row.name},
                )
            )
    existing_lower = {name.lower() for name in snapshot.department_names}
    new_departments = [name for key, name in departments.items() if key not in existing_lower]
    return ImportPlan(
        rows=planned,
        errors=sorted(errors, key=_issue_order),
        warnings=sorted(warnings, key=_issue_order),
        new_departments=new_departments,
        kept=sum(1 for number in snapshot.employees if number not in first_by_number),
        row_count=len(rows),
    )


def _issue_order(issue: Issue) -> tuple[int, int]:
    """By line, then in the file's column order (whole-line problems first)."""
    return issue.line, COLUMNS.index(issue.column) if issue.column in COLUMNS else -1


def _row_errors(row: Row) -> list[Issue]:
    errors = []
    if row.shape == "too_few":
        errors.append(
            Issue(row.line, "", _("This line has fewer values than the header has columns."))
        )
    elif row.shape == "too_many":
        errors.append(
            Issue(
                row.line,
                "",
                _(
                    "This line has more values than the header has columns "
                    "(is a value with a comma or semicolon missing its quotes?)."
                ),
            )
        )
    for column in REQUIRED_VALUES:
        if not row.value(column):
            errors.append(Issue(row.line, column, _("A value is required.")))
    for column in COLUMNS:
        length, limit = len(row.value(column)), MAX_LENGTHS[column]
        if length > limit:
            errors.append(
                Issue(
                    row.line,
                    column,
                    _("Too long: %(length)s characters, at most %(limit)s.")
                    % {"length": length, "limit": limit},
                )
            )
    if row.email and len(row.email) <= MAX_LENGTHS["email"]:
        try:
            validate_email(row.email)
        except ValidationError:
            errors.append(
                Issue(
                    row.line,
                    "email",
                    _("“%(email)s” is not a valid email address.") % {"email": row.email},
                )
            )
    return errors


def _duplicates(rows: list[Row], column: str, key) -> list[Issue]:
    lines_by_key: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        value = key(row)
        if value:
            lines_by_key[value].append(row.line)
    errors = []
    for row in rows:
        lines = lines_by_key.get(key(row), [])
        if len(lines) > 1:
            others = [str(line) for line in lines if line != row.line]
            if len(others) > _OTHER_LINES_SHOWN:
                more = len(others) - _OTHER_LINES_SHOWN
                others = [*others[:_OTHER_LINES_SHOWN], _("%(count)s more") % {"count": more}]
            others = ", ".join(others)
            errors.append(
                Issue(
                    row.line,
                    column,
                    _("“%(value)s” is also on line %(lines)s; each person must appear once.")
                    % {"value": row.value(column), "lines": others},
                )
            )
    return errors


def _email_conflicts(
    rows: list[Row], in_file: Mapping[str, Row], snapshot: OrgSnapshot
) -> list[Issue]:
    # People in the file get the file's email, so only those left out keep theirs: two
    # people may swap addresses in one file.
    kept_emails = {
        employee.email.lower(): employee
        for number, employee in snapshot.employees.items()
        if number not in in_file and employee.email
    }
    errors = []
    for row in rows:
        email = normalise_email(row.email).lower()
        if not email:
            continue
        owner = kept_emails.get(email)
        if owner is not None and owner.employee_number != row.employee_number:
            errors.append(
                Issue(
                    row.line,
                    "email",
                    _(
                        "“%(email)s” already belongs to %(name)s (employee number %(number)s), "
                        "who is not in this file."
                    )
                    % {"email": row.email, "name": owner.name, "number": owner.employee_number},
                )
            )
        elif email in snapshot.unlinked_login_emails:
            errors.append(
                Issue(
                    row.line,
                    "email",
                    _(
                        "“%(email)s” already belongs to a login that is not an employee. "
                        "Change that login's email in the admin first, or use another address."
                    )
                    % {"email": row.email},
                )
            )
    return errors


def _manager_issues(
    rows: list[Row], in_file: Mapping[str, Row], snapshot: OrgSnapshot
) -> tuple[list[Issue], list[Issue]]:
    errors, warnings = [], []
    for row in rows:
        number = row.manager_number
        if not number:
            continue
        if number == row.employee_number:
            errors.append(
                Issue(row.line, "manager_number", _("A person cannot be their own manager."))
            )
            continue
        if number in in_file:
            continue
        existing = snapshot.employees.get(number)
        if existing is None:
            errors.append(
                Issue(
                    row.line,
                    "manager_number",
                    _("No one has the employee number “%(number)s”, in this file or in PerfCycle.")
                    % {"number": number},
                )
            )
        elif not existing.is_active:
            warnings.append(
                Issue(
                    row.line,
                    "manager_number",
                    _("The manager %(name)s (%(number)s) is marked inactive in PerfCycle.")
                    % {"name": existing.name, "number": number},
                )
            )
    return errors, warnings


def _loops(rows: list[Row], in_file: Mapping[str, Row], snapshot: OrgSnapshot) -> list[Issue]:
    """Every line of the file that sits in a loop of the chart the file would produce."""
    manager_of = {
        number: employee.manager_number for number, employee in snapshot.employees.items()
    }
    manager_of.update({number: row.manager_number for number, row in in_file.items()})
    errors = []
    for loop in find_loops(manager_of):
        if not any(number in in_file for number in loop):
            continue  # an old loop in the database that this file does not touch
        shown = loop[:_LOOP_SHOWN] + (["…"] if len(loop) > _LOOP_SHOWN else []) + [loop[0]]
        message = _("This creates a loop in the management chain: %(chain)s.") % {
            "chain": " → ".join(shown)
        }
        members = set(loop)
        errors.extend(
            Issue(row.line, "manager_number", message)
            for row in rows
            if row.employee_number in members
        )
    return errors


def find_loops(manager_of: Mapping[str, str]) -> list[list[str]]:
    """Each cycle in a "person → manager" map (self-managers and dead ends ignored)."""
    walked: dict[str, str] = {}
    loops = []
    for start in manager_of:
        if start in walked:
            continue
        path: list[str] = []
        node = start
        while node in manager_of and node not in walked:
            walked[node] = start
            path.append(node)
            following = manager_of[node]
            node = following if following != node else ""
        if node in manager_of and walked.get(node) == start:
            loops.append(path[path.index(node) :])
    return loops


def _department_spellings(rows: list[Row], snapshot: OrgSnapshot) -> dict[str, str]:
    """Lower-cased name → the name to use: the existing department's, else the file's first."""
    spellings = {name.lower(): name for name in snapshot.department_names}
    used: dict[str, str] = {}
    for row in rows:
        if row.department:
            key = row.department.lower()
            used.setdefault(key, spellings.get(key, row.department))
    return used


def _plan_row(
    row: Row, existing: ExistingEmployee | None, departments: Mapping[str, str]
) -> PlannedRow:
    email = normalise_email(row.email)
    department = departments.get(row.department.lower(), "") if row.department else ""
    if existing is None:
        return PlannedRow(row=row, action=Action.CREATE, email=email, department=department)
    after = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": email,
        "department": department,
        "job_title": row.job_title,
        "manager_number": row.manager_number,
    }
    changes = {
        column: (getattr(existing, column), value)
        for column, value in after.items()
        if getattr(existing, column) != value
    }
    reactivate = not existing.is_active
    action = Action.UPDATE if changes or reactivate else Action.UNCHANGED
    return PlannedRow(
        row=row,
        action=action,
        email=email,
        department=department,
        changes=changes,
        reactivate=reactivate,
    )


# --- Logins for new people -------------------------------------------------------------


def username_base(email: str) -> str:
    """The part of the email before the @, kept to the characters a username allows."""
    local = email.rsplit("@", 1)[0]
    return _USERNAME_UNSAFE.sub("", local).lower()[: USERNAME_MAX_LENGTH - 10] or "user"


def allocate_usernames(emails: Iterable[str], taken: Iterable[str]) -> list[str]:
    """One new username per email, unique against ``taken`` and each other (ann, ann2…)."""
    used = {name.lower() for name in taken}
    next_suffix: dict[str, int] = {}
    names = []
    for email in emails:
        base = username_base(email)
        candidate = base
        suffix = next_suffix.get(base, 2)
        while candidate in used:
            candidate = f"{base}{suffix}"
            suffix += 1
        next_suffix[base] = suffix
        used.add(candidate)
        names.append(candidate)
    return names
