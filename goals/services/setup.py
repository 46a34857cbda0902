"""Cycle setup: a cycle's rating scale and default template, who gets which template, and
who takes part.

Writes are HR-only (``perfcycle.workflow.require_hr``), run in
a transaction holding the cycle's row lock (so two HR admins setting up one cycle at once
are serialised and each sees the other's result), re-check the cycle's phase inside that
lock and write an audit event.

Which template and scale apply to whom is read through goals/plans.py (the read API the
later stages use); its names are importable from here too for the setup pages.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from goals.models import CyclePlan, RatingScale, Template, TemplateAssignment
from goals.plans import (  # noqa: F401 - the setup pages read these through this module
    Resolution,
    Rule,
    TemplatePreview,
    department_chains,
    plan_of,
    resolutions_for_participants,
    resolve_templates,
    template_preview,
    templates_for_participants,
    title_key,
)
from perfcycle import stages
from perfcycle.audit import record_event
from perfcycle.models import Cycle, Department, Employee, Participation
from perfcycle.selectors import matching_people
from perfcycle.services import enrol_employees
from perfcycle.workflow import ConcurrentEditError, DomainError, lock_for_update, require_hr

# The scale, the default template and the assignment rules are agreed before goals are
# written against them; enrolment stays open while people can still plan and work.
SETUP_PHASES = (Cycle.Phase.PLANNING,)
ENROL_PHASES = (Cycle.Phase.PLANNING, Cycle.Phase.IMPLEMENTATION)
NO_PLAN_TOKEN = "new"


def _require_phase(cycle: Cycle, phases, message: str) -> None:
    if cycle.phase not in phases:
        raise DomainError(message % {"phase": cycle.get_phase_display()})


def _require_setup_open(cycle: Cycle) -> None:
    _require_phase(
        cycle,
        SETUP_PHASES,
        _(
            "This cycle is in its %(phase)s phase: its rating scale and templates were fixed "
            "when planning ended and can no longer be changed."
        ),
    )


# --- Plan: rating scale and default template ------------------------------------------


def plan_token(plan: CyclePlan | None) -> str:
    """What the plan looked like when a form was loaded; compared on save.

    The plan has no version column: its whole content is these two ids, so comparing
    them detects exactly the concurrent edits that matter.
    """
    if plan is None or plan.pk is None:
        return NO_PLAN_TOKEN
    return f"{plan.rating_scale_id}:{plan.default_template_id or 0}"


def set_cycle_plan(
    *,
    actor,
    cycle: Cycle,
    rating_scale: RatingScale,
    default_template: Template | None = None,
    expected_token: str,
) -> CyclePlan:
    """Choose the cycle's rating scale and default template (planning only).

    ``expected_token`` is ``plan_token()`` of the plan the user saw (``NO_PLAN_TOKEN``
    before there is one); if someone saved the plan since, or the token is missing,
    ConcurrentEditError is raised and nothing changes.
    """
    require_hr(actor)
    with transaction.atomic():
        cycle = lock_for_update(Cycle, cycle.pk)
        _require_setup_open(cycle)
        plan = CyclePlan.objects.select_for_update().filter(cycle=cycle).first()
        if expected_token != plan_token(plan):
            raise ConcurrentEditError(
                _(
                    "Someone else changed this cycle's plan while you were editing. "
                    "Reload the page to see their choice, then make yours again."
                )
            )
        errors = {}
        if not rating_scale.levels.exists():
            errors["rating_scale"] = _("This rating scale has no levels yet; add them first.")
        if default_template is not None and not default_template.is_active:
            errors["default_template"] = _("This template is inactive; choose an active one.")
        if errors:
            raise DomainError(errors)
        fields = ["rating_scale", "default_template"]
        if plan is None:
            plan = CyclePlan.objects.create(
                cycle=cycle, rating_scale=rating_scale, default_template=default_template
            )
            record_event(
                actor=actor,
                verb="cycle_plan.created",
                obj=plan,
                after=_plan_snapshot(plan),
            )
            return plan
        before = _plan_snapshot(plan)
        plan.rating_scale = rating_scale
        plan.default_template = default_template
        after = _plan_snapshot(plan)
        if after != before:
            plan.save(update_fields=fields)
            record_event(
                actor=actor, verb="cycle_plan.updated", obj=plan, before=before, after=after
            )
    return plan


def _plan_snapshot(plan: CyclePlan) -> dict:
    return {
        "rating_scale": plan.rating_scale_id,
        "rating_scale_name": str(plan.rating_scale),
        "default_template": plan.default_template_id,
        "default_template_name": str(plan.default_template or ""),
    }


# --- Template assignment rules -------------------------------------------------------


def add_template_assignment(
    *,
    actor,
    cycle: Cycle,
    template: Template,
    department: Department | None = None,
    job_title: str = "",
    employee: Employee | None = None,
) -> TemplateAssignment:
    """Add one rule: a person override, or a department and/or job title rule.

    A target that already has a rule in this cycle is refused (remove that rule first),
    so the winning rule for anyone is never ambiguous.
    """
    require_hr(actor)
    job_title = " ".join(job_title.split())
    if employee is not None and (department is not None or job_title):
        raise DomainError(
            _("A person override names only the person; leave department and job title empty.")
        )
    if employee is None and department is None and not job_title:
        raise DomainError(_("Choose a person, a department, a job title or both of the last two."))
    with transaction.atomic():
        cycle = lock_for_update(Cycle, cycle.pk)
        _require_setup_open(cycle)
        if not template.is_active:
            raise DomainError({"template": _("This template is inactive; choose an active one.")})
        same = TemplateAssignment.objects.filter(cycle=cycle).select_related("template")
        if employee is not None:
            same = same.filter(employee=employee)
            if not employee.is_active:
                raise DomainError({"employee": _("This person has left the organisation.")})
        else:
            same = same.filter(
                employee__isnull=True, department=department, job_title__iexact=job_title
            )
        existing = same.first()
        if existing is not None:
            raise DomainError(
                _(
                    "A rule for this target already gives “%(template)s”. Remove that rule "
                    "first if you want to change it."
                )
                % {"template": existing.template}
            )
        assignment = TemplateAssignment.objects.create(
            cycle=cycle,
            template=template,
            department=department,
            job_title=job_title,
            employee=employee,
        )
        record_event(
            actor=actor,
            verb="template_assignment.added",
            obj=assignment,
            after=_assignment_snapshot(assignment),
        )
    return assignment


def remove_template_assignment(*, actor, cycle: Cycle, assignment_id: int) -> None:
    require_hr(actor)
    with transaction.atomic():
        cycle = lock_for_update(Cycle, cycle.pk)
        _require_setup_open(cycle)
        assignment = (
            TemplateAssignment.objects.select_related("template", "department", "employee__user")
            .filter(cycle=cycle, pk=assignment_id)
            .first()
        )
        if assignment is None:
            raise DomainError(_("This rule was already removed."))
        record_event(
            actor=actor,
            verb="template_assignment.removed",
            obj=assignment,
            before=_assignment_snapshot(assignment),
        )
        assignment.delete()


def _assignment_snapshot(assignment: TemplateAssignment) -> dict:
    return {
        "cycle": assignment.cycle_id,
        "template": assignment.template_id,
        "department": assignment.department_id,
        "job_title": assignment.job_title,
        "employee": assignment.employee_id,
    }


def describe_rule(assignment: TemplateAssignment) -> str:
    if assignment.employee_id:
        return _("Person")
    if assignment.department_id and assignment.job_title:
        return _("Department + job title")
    if assignment.job_title:
        return _("Job title")
    return _("Department")


# --- Population: who takes part -------------------------------------------------------


def department_ids_with_subdepartments(department_ids: Iterable[int]) -> set[int]:
    parent_of = dict(Department.objects.order_by().values_list("id", "parent_id"))
    chosen = set(department_ids)
    return {d for d, chain in department_chains(parent_of).items() if chosen & set(chain)}


def enrol_population(
    *,
    actor,
    cycle: Cycle,
    departments: Iterable[Department] = (),
    job_titles: Iterable[str] = (),
    everyone: bool = False,
    include_subdepartments: bool = True,
) -> int:
    """Enrol active people in bulk: everyone, or those in the departments and/or with the
    job titles given (both given: people matching both). Returns how many joined."""
    require_hr(actor)
    departments = list(departments)
    job_titles = sorted({" ".join(t.split()) for t in job_titles if t.strip()})
    if not everyone and not departments and not job_titles:
        raise DomainError(_("Choose departments, job titles, or everyone active."))
    with transaction.atomic():
        cycle = lock_for_update(Cycle, cycle.pk)
        _require_enrol_open(cycle)
        employees = Employee.objects.filter(is_active=True)
        if not everyone:
            if departments:
                ids = {d.pk for d in departments}
                if include_subdepartments:
                    ids = department_ids_with_subdepartments(ids)
                employees = employees.filter(department_id__in=ids)
            if job_titles:
                employees = employees.filter(job_title__in=job_titles)
        added = enrol_employees(actor=actor, cycle=cycle, employees=employees)
        record_event(
            actor=actor,
            verb="cycle.population_enrolled",
            obj=cycle,
            after={
                "everyone": everyone,
                "departments": sorted(d.name for d in departments),
                "include_subdepartments": include_subdepartments,
                "job_titles": job_titles,
                "added": added,
            },
        )
    return added


def enrolment_candidates(cycle: Cycle, *, query: str = "", department_ids=None):
    """Active people not in ``cycle`` yet, narrowed by a search (every word in a name,
    number, email or job title) and a department (with its sub-departments): the
    "Add people" list, filtered and paginated in the database. ``department_ids``: a
    department and its sub-departments (``department_ids_with_subdepartments``)."""
    people = Employee.objects.filter(is_active=True).exclude(
        pk__in=Participation.objects.filter(cycle=cycle).values("employee_id")
    )
    people = matching_people(people, query)
    if department_ids is not None:
        people = people.filter(department_id__in=department_ids)
    return people


def enrol_people(
    *,
    actor,
    cycle: Cycle,
    employee_ids: Iterable[int] = (),
    matching: bool = False,
    query: str = "",
    department: Department | None = None,
) -> int:
    """Enrol the people HR ticked (``employee_ids``), or with ``matching`` everyone the
    list's search (``query``, ``department``) finds. Bulk and idempotent: people already
    in the cycle or no longer active are skipped. Returns how many joined."""
    require_hr(actor)
    employee_ids = sorted(set(employee_ids))
    if not matching and not employee_ids:
        raise DomainError({"employees": _("Tick the people to add, or add everyone listed.")})
    with transaction.atomic():
        cycle = lock_for_update(Cycle, cycle.pk)
        _require_enrol_open(cycle)
        chosen = None
        if matching and department is not None:
            chosen = department_ids_with_subdepartments([department.pk])
        people = enrolment_candidates(cycle, query=query if matching else "", department_ids=chosen)
        if not matching:
            people = people.filter(pk__in=employee_ids)
        added = enrol_employees(actor=actor, cycle=cycle, employees=people)
        record_event(
            actor=actor,
            verb="cycle.people_enrolled",
            obj=cycle,
            after={
                "chosen": len(employee_ids),
                "matching": matching,
                "search": query if matching else "",
                "department": department.name if matching and department else "",
                "added": added,
            },
        )
    return added


def _require_enrol_open(cycle: Cycle) -> None:
    _require_phase(
        cycle,
        ENROL_PHASES,
        _(
            "People can join a cycle only until its implementation phase ends; this "
            "cycle is in its %(phase)s phase."
        ),
    )


class RemovalRefused(DomainError):
    """A participant holds records in the cycle; ``reasons`` are every stage's
    ("has 3 evidence records"), for the page to show next to the person."""

    def __init__(self, *, name: str, reasons: list[str]):
        self.reasons = reasons
        super().__init__(
            _("%(name)s cannot be removed from this cycle: %(reasons)s. Nothing was removed.")
            % {"name": name, "reasons": "; ".join(reasons)},
            code="removal_refused",
        )


def remove_participant(*, actor, cycle: Cycle, participation_id: int) -> None:
    """Take someone out of a cycle, only in planning and only when no stage holds
    anything of theirs in it: every stage's removal guard (perfcycle.stages) is asked and
    all their reasons refuse the removal, with nothing deleted. Otherwise each stage's
    cleanup removes its untouched system-made rows (audited), and the audit record of the
    removal lists them. Stage foreign keys to the participation are PROTECT, so a record
    a guard forgot makes the delete fail instead of vanishing with it."""
    require_hr(actor)
    with transaction.atomic():
        cycle = lock_for_update(Cycle, cycle.pk)
        _require_phase(
            cycle,
            SETUP_PHASES,
            _(
                "People can be removed only while the cycle is in planning; this cycle is in "
                "its %(phase)s phase."
            ),
        )
        participation = (
            Participation.objects.select_for_update(of=("self",))
            .select_related("employee__user")
            .filter(cycle=cycle, pk=participation_id)
            .first()
        )
        if participation is None:
            raise DomainError(_("This person is no longer in the cycle."))
        name = participation.employee.full_name
        reasons = stages.registry.removal_blockers(participation)
        if reasons:
            raise RemovalRefused(name=name, reasons=reasons)
        try:
            with transaction.atomic():
                removed = stages.registry.removal_cleanups(participation, actor)
                record_event(
                    actor=actor,
                    verb="participation.removed",
                    obj=participation,
                    before={
                        "cycle": cycle.pk,
                        "employee": participation.employee_id,
                        "reviewer": participation.reviewer_id,
                        "removed": removed,
                    },
                )
                participation.delete()
        except ProtectedError as error:
            raise DomainError(
                _("%(name)s already has records in this cycle; they cannot be removed.")
                % {"name": name}
            ) from error
