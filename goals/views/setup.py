"""Cycle setup pages (HR only): the cycle's standards and templates, and its participants.

GET pages render the forms; each form posts to its own action view, which calls one
service and redirects, or renders the page again with the errors (400).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from goals.forms.setup import CyclePlanForm, EnrolForm, TemplateAssignmentForm
from goals.models import Goal, RatingLevel, RatingScale, TemplateAssignment
from goals.services import setup
from perfcycle import access
from perfcycle.models import Department, Employee, Participation
from perfcycle.views import attach_errors, hr_required, refusal_status

PAGE_SIZE = 50
WITHOUT_TEMPLATE_GROUPS = 12


def _job_titles():
    return list(
        Employee.objects.filter(is_active=True)
        .exclude(job_title="")
        .order_by("job_title")
        .values_list("job_title", flat=True)
        .distinct()
    )


def _proposed_scale(plan):
    """What the form offers before the cycle has a plan: the default scale (not saved)."""
    return None if plan else RatingScale.objects.filter(is_default=True).first()


def _plan_form(cycle, plan, proposed=None):
    return CyclePlanForm(
        initial={
            "rating_scale": plan.rating_scale_id if plan else getattr(proposed, "pk", None),
            "default_template": plan.default_template_id if plan else None,
            "token": setup.plan_token(plan),
        }
    )


def _render_setup(request, cycle, *, plan_form=None, assignment_form=None, status=200):
    plan = setup.plan_of(cycle)
    proposed = _proposed_scale(plan)
    preview = setup.template_preview(cycle)
    assignments = list(
        TemplateAssignment.objects.filter(cycle=cycle).select_related(
            "template", "department", "employee__user"
        )
    )
    for a in assignments:
        a.kind_label = setup.describe_rule(a)
        a.people = preview.per_rule.get(a.pk, 0)
    # In the order they win: person, department + title, title, department.
    assignments.sort(
        key=lambda a: (
            a.employee_id is None,
            not (a.department_id and a.job_title),
            not a.job_title,
            a.department.name if a.department else "",
            a.job_title.casefold(),
            a.employee.full_name if a.employee else "",
        )
    )
    levels = (
        RatingLevel.objects.filter(scale_id=plan.rating_scale_id).order_by("value") if plan else []
    )
    names = dict(Department.objects.order_by().values_list("id", "name"))
    without_groups = [
        (names.get(department_id), job_title, count)
        for (department_id, job_title), count in preview.without_groups.most_common(
            WITHOUT_TEMPLATE_GROUPS
        )
    ]
    return render(
        request,
        "goals/cycle_setup.html",
        {
            "cycle": cycle,
            "plan": plan,
            "levels": levels,
            "setup_open": cycle.phase in setup.SETUP_PHASES,
            "plan_form": plan_form or _plan_form(cycle, plan, proposed),
            "proposed_scale": proposed,
            "assignment_form": assignment_form or TemplateAssignmentForm(),
            "assignments": assignments,
            "preview": preview,
            "without_groups": without_groups,
            "without_groups_more": len(preview.without_groups) - len(without_groups),
            "job_titles": _job_titles(),
            "tab": "standards",
        },
        status=status,
    )


@hr_required
def cycle_setup(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    return _render_setup(request, cycle)


@hr_required
@require_POST
def cycle_plan_set(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    form = CyclePlanForm(request.POST)
    if form.is_valid():
        try:
            setup.set_cycle_plan(
                actor=request.user,
                cycle=cycle,
                rating_scale=form.cleaned_data["rating_scale"],
                default_template=form.cleaned_data["default_template"],
                expected_token=form.cleaned_data["token"] or setup.NO_PLAN_TOKEN,
            )
        except ValidationError as error:
            attach_errors(form, error)
            return _render_setup(request, cycle, plan_form=form, status=refusal_status(error))
        else:
            messages.success(request, _("Rating scale and default template saved."))
            return redirect("goals:cycle-setup", cycle.pk)
    return _render_setup(request, cycle, plan_form=form, status=400)


@hr_required
@require_POST
def cycle_assignment_add(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    form = TemplateAssignmentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            setup.add_template_assignment(
                actor=request.user,
                cycle=cycle,
                template=data["template"],
                department=data["department"],
                job_title=data["job_title"],
                employee=data["employee_number"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("Template rule added."))
            return redirect(reverse("goals:cycle-setup", args=[cycle.pk]) + "#rules")
    return _render_setup(request, cycle, assignment_form=form, status=400)


@hr_required
@require_POST
def cycle_assignment_remove(request, cycle_id, assignment_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    try:
        setup.remove_template_assignment(
            actor=request.user, cycle=cycle, assignment_id=assignment_id
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Template rule removed."))
    return redirect(reverse("goals:cycle-setup", args=[cycle.pk]) + "#rules")


# --- Participants ---------------------------------------------------------------------


def _render_people(request, cycle, *, enrol_form=None, refused=None, status=200):
    participations = Participation.objects.filter(cycle=cycle).with_people()
    query = request.GET.get("q", "").strip()
    department = request.GET.get("department", "")
    if query:
        participations = participations.filter(
            Q(employee__user__first_name__icontains=query)
            | Q(employee__user__last_name__icontains=query)
            | Q(employee__employee_number__icontains=query)
            | Q(employee__job_title__icontains=query)
        )
    if department.isdigit():
        participations = participations.filter(
            employee__department_id__in=setup.department_ids_with_subdepartments([int(department)])
        )
    without_template = request.GET.get("template") == "none"
    if without_template:
        participations = participations.filter(
            employee_id__in=setup.template_preview(cycle).without_template
        )
    participations = participations.order_by(
        "employee__user__last_name", "employee__user__first_name", "pk"
    )
    page = Paginator(participations, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    owners = [p.employee_id for p in rows]
    goal_counts = dict(
        Goal.objects.filter(cycle=cycle, owner_id__in=owners)
        .order_by()
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    resolved = setup.resolutions_for_participants(
        cycle,
        people=[(p.employee_id, p.employee.department_id, p.employee.job_title) for p in rows],
    )
    for p in rows:
        p.goal_count = goal_counts.get(p.employee_id, 0)
        p.resolution = resolved[p.employee_id]
        p.removal_refused = (refused or {}).get(p.pk, [])
    return render(
        request,
        "goals/cycle_setup_people.html",
        {
            "cycle": cycle,
            "page": page,
            "rows": rows,
            "query": query,
            "department": department,
            "without_template": without_template,
            "departments": Department.objects.order_by("name"),
            "participant_count": Participation.objects.filter(cycle=cycle).count(),
            "enrol_form": enrol_form or EnrolForm(job_titles=_job_titles()),
            "enrol_open": cycle.phase in setup.ENROL_PHASES,
            "remove_open": cycle.phase in setup.SETUP_PHASES,
            "tab": "people",
        },
        status=status,
    )


@hr_required
def cycle_setup_people(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    return _render_people(request, cycle)


@hr_required
@require_POST
def cycle_enrol_population(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    form = EnrolForm(request.POST, job_titles=_job_titles())
    if form.is_valid():
        data = form.cleaned_data
        try:
            added = setup.enrol_population(
                actor=request.user,
                cycle=cycle,
                departments=data["departments"],
                job_titles=data["job_titles"],
                everyone=data["everyone"],
                include_subdepartments=data["include_subdepartments"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("%(count)s people added to the cycle.") % {"count": added})
            return redirect("goals:cycle-setup-people", cycle.pk)
    return _render_people(request, cycle, enrol_form=form, status=400)


@hr_required
@require_POST
def cycle_participant_remove(request, cycle_id, participation_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    try:
        setup.remove_participant(actor=request.user, cycle=cycle, participation_id=participation_id)
    except setup.RemovalRefused as refused:
        # Shown at the top and next to the person; 409: the records they hold conflict.
        messages.error(request, " ".join(refused.messages))
        return _render_people(
            request, cycle, refused={participation_id: refused.reasons}, status=409
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Participant removed from the cycle."))
    return redirect("goals:cycle-setup-people", cycle.pk)


urlpatterns = [
    path("cycles/<int:cycle_id>/setup/", cycle_setup, name="cycle-setup"),
    path("cycles/<int:cycle_id>/setup/plan/", cycle_plan_set, name="cycle-plan-set"),
    path(
        "cycles/<int:cycle_id>/setup/rules/add/",
        cycle_assignment_add,
        name="cycle-assignment-add",
    ),
    path(
        "cycles/<int:cycle_id>/setup/rules/<int:assignment_id>/remove/",
        cycle_assignment_remove,
        name="cycle-assignment-remove",
    ),
    path("cycles/<int:cycle_id>/setup/people/", cycle_setup_people, name="cycle-setup-people"),
    path(
        "cycles/<int:cycle_id>/setup/people/enrol/",
        cycle_enrol_population,
        name="cycle-enrol-population",
    ),
    path(
        "cycles/<int:cycle_id>/setup/people/<int:participation_id>/remove/",
        cycle_participant_remove,
        name="cycle-participant-remove",
    ),
]
