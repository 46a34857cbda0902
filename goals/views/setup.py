"""Cycle setup pages (HR only): the cycle's standards and templates, and its participants.

GET pages render the forms; each form posts to its own action view, which calls one
service and redirects, or renders the page again with the errors (400).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from goals.forms.setup import (
    BulkReviewerForm,
    ChosenPeopleForm,
    CyclePlanForm,
    EnrolForm,
    OneReviewerForm,
    TemplateAssignmentForm,
    departments_for_choice,
)
from goals.models import Goal, RatingLevel, RatingScale, TemplateAssignment
from goals.services import setup
from perfcycle import access
from perfcycle.formatting import format_number
from perfcycle.models import Cycle, Department, Employee, Participation
from perfcycle.selectors import matching_people
from perfcycle.services import change_reviewer
from perfcycle.views import hr_required, submit

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
    done = submit(
        request,
        form,
        lambda data: setup.set_cycle_plan(
            actor=request.user,
            cycle=cycle,
            rating_scale=data["rating_scale"],
            default_template=data["default_template"],
            expected_token=data["token"] or setup.NO_PLAN_TOKEN,
        ),
        _("Rating scale and default template saved."),
    )
    if done.saved:
        return redirect("goals:cycle-setup", cycle.pk)
    return _render_setup(request, cycle, plan_form=form, status=done.status)


@hr_required
@require_POST
def cycle_assignment_add(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    form = TemplateAssignmentForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: setup.add_template_assignment(
            actor=request.user,
            cycle=cycle,
            template=data["template"],
            department=data["department"],
            job_title=data["job_title"],
            employee=data["employee_number"],
        ),
        _("Template rule added."),
    )
    if done.saved:
        return redirect(reverse("goals:cycle-setup", args=[cycle.pk]) + "#rules")
    return _render_setup(request, cycle, assignment_form=form, status=done.status)


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


def _search_url():
    return reverse("person-search")


def _count(queryset):
    """``SELECT COUNT(*)`` of ``queryset`` as a subquery: a number in another query."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


def _counted(cycles):
    """The cycles with their participant count and how many active people are not in
    them yet, in the same query."""
    return cycles.annotate(
        participant_total=_count(Participation.objects.filter(cycle_id=OuterRef("pk"))),
        not_enrolled=_count(
            Employee.objects.filter(is_active=True).filter(
                ~Exists(
                    Participation.objects.filter(
                        cycle_id=OuterRef(OuterRef("pk")), employee_id=OuterRef("pk")
                    )
                )
            )
        ),
    )


def _render_people(request, cycle, *, bulk_form=None, refused=None, status=200):
    if not hasattr(cycle, "participant_total"):
        cycle = _counted(Cycle.objects.all()).get(pk=cycle.pk)
    participations = (
        Participation.objects.filter(cycle=cycle)
        .with_people()
        .annotate(
            goal_count=_count(
                Goal.objects.filter(cycle_id=OuterRef("cycle_id"), owner_id=OuterRef("employee_id"))
            )
        )
    )
    query = request.GET.get("q", "").strip()
    department = request.GET.get("department", "")
    filtered = False
    if query:
        filtered = True
        participations = matching_people(participations, query, path="employee")
    departments = list(Department.objects.order_by("name"))
    if department.isdigit():
        filtered = True
        # The list of departments gives the tree too: no second query for it.
        chains = setup.department_chains({d.pk: d.parent_id for d in departments})
        participations = participations.filter(
            employee__department_id__in=[
                d for d, chain in chains.items() if int(department) in chain
            ]
        )
    without_reviewer = request.GET.get("reviewer") == "none"
    if without_reviewer:
        filtered = True
        participations = participations.filter(reviewer__isnull=True)
    without_template = request.GET.get("template") == "none"
    if without_template:
        filtered = True
        participations = participations.filter(
            employee_id__in=setup.template_preview(cycle).without_template
        )
    participations = participations.order_by(
        "employee__user__last_name", "employee__user__first_name", "pk"
    )
    paginator = Paginator(participations, PAGE_SIZE)
    if not filtered:
        paginator.count = cycle.participant_total  # counted with the cycle already
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    resolved = setup.resolutions_for_participants(
        cycle,
        people=[(p.employee_id, p.employee.department_id, p.employee.job_title) for p in rows],
    )
    ticked = set(bulk_form["participations"].value() or []) if bulk_form is not None else set()
    ticked = {str(pk) for pk in ticked}
    for p in rows:
        p.resolution = resolved[p.employee_id]
        p.removal_refused = (refused or {}).get(p.pk, [])
        p.ticked = str(p.pk) in ticked
    enrol_open = cycle.phase in setup.ENROL_PHASES
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
            "without_reviewer": without_reviewer,
            "departments": departments,
            "participant_count": cycle.participant_total,
            "not_enrolled_count": cycle.not_enrolled,
            "enrol_open": enrol_open,
            "remove_open": cycle.phase in setup.SETUP_PHASES,
            "reviewer_open": cycle.is_open,
            "bulk_form": bulk_form or BulkReviewerForm(search_url=_search_url()),
            "tab": "people",
        },
        status=status,
    )


@hr_required
def cycle_setup_people(request, cycle_id):
    cycle = get_object_or_404(_counted(access.cycles_visible_to(request.user)), pk=cycle_id)
    return _render_people(request, cycle)


# --- Adding people: by population, or chosen from a searchable list --------------------


def _candidate_filter(data, departments) -> tuple[str, Department | None, list | None]:
    """The list's search, department and that department's tree (ids), from the page's
    query or the posted form; ``departments`` is the page's list of them."""
    query = " ".join(data.get("q", "").split())[:100]
    department = data.get("department", "")
    chosen = next((d for d in departments if str(d.pk) == department), None)
    if chosen is None:
        return query, None, None
    chains = setup.department_chains({d.pk: d.parent_id for d in departments})
    return query, chosen, [d for d, chain in chains.items() if chosen.pk in chain]


def _render_add(request, cycle, *, enrol_form=None, chosen_form=None, data=None, status=200):
    if not hasattr(cycle, "not_enrolled"):
        cycle = _counted(Cycle.objects.all()).get(pk=cycle.pk)
    data = request.GET if data is None else data
    departments = list(departments_for_choice())
    query, department, tree = _candidate_filter(data, departments)
    candidates = setup.enrolment_candidates(cycle, query=query, department_ids=tree)
    paginator = Paginator(
        candidates.select_related("user", "department").order_by(
            "user__last_name", "user__first_name", "pk"
        ),
        PAGE_SIZE,
    )
    filtered = bool(query or department)
    if not filtered:
        paginator.count = cycle.not_enrolled  # counted with the cycle already
    page = paginator.get_page(data.get("page"))
    ticked = set()
    if chosen_form is not None:
        ticked = {str(pk) for pk in (chosen_form["employees"].value() or [])}
    rows = list(page.object_list)
    for person in rows:
        person.ticked = str(person.pk) in ticked
    return render(
        request,
        "goals/cycle_setup_people_add.html",
        {
            "cycle": cycle,
            "enrol_open": cycle.phase in setup.ENROL_PHASES,
            "not_enrolled_count": cycle.not_enrolled,
            "enrol_form": enrol_form or EnrolForm(departments=departments),
            "chosen_form": chosen_form or ChosenPeopleForm(),
            "job_titles": _job_titles(),
            "departments": departments,
            "query": query,
            "department_id": department.pk if department else None,
            "page": page,
            "rows": rows,
            "filtered": filtered,
            "tab": "people",
        },
        status=status,
    )


@hr_required
def cycle_setup_people_add(request, cycle_id):
    cycle = get_object_or_404(_counted(access.cycles_visible_to(request.user)), pk=cycle_id)
    return _render_add(request, cycle)


@hr_required
@require_POST
def cycle_enrol_population(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    form = EnrolForm(request.POST, departments=departments_for_choice())

    def save(data):
        title = data["job_title"].strip()
        return setup.enrol_population(
            actor=request.user,
            cycle=cycle,
            departments=[data["department"]] if data["department"] else [],
            job_titles=[title] if title else [],
            everyone=data["everyone"],
            include_subdepartments=data["include_subdepartments"],
        )

    done = submit(request, form, save, _added)
    if done.saved:
        return redirect("goals:cycle-setup-people", cycle.pk)
    return _render_add(request, cycle, enrol_form=form, status=done.status)


def _added(count: int) -> str:
    if not count:
        return _("Nobody was added: everyone who matches is in the cycle already.")
    return ngettext(
        "%(count)s person added to the cycle.", "%(count)s people added to the cycle.", count
    ) % {"count": format_number(count)}


@hr_required
@require_POST
def cycle_enrol_chosen(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    form = ChosenPeopleForm(request.POST)
    query, department, _tree = _candidate_filter(request.POST, departments_for_choice())
    done = submit(
        request,
        form,
        lambda data: setup.enrol_people(
            actor=request.user,
            cycle=cycle,
            employee_ids=data["employees"],
            matching=data["matching"],
            query=query,
            department=department,
        ),
        _added,
    )
    if done.saved:
        back = {"q": query, "department": department.pk if department else ""}
        back = urlencode({k: v for k, v in back.items() if v})
        url = reverse("goals:cycle-setup-people-add", args=[cycle.pk])
        return redirect(f"{url}?{back}#choose" if back else f"{url}#choose")
    return _render_add(request, cycle, chosen_form=form, data=request.POST, status=done.status)


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


# --- Reviewers ------------------------------------------------------------------------


def _reviewer_changed(count: int, reviewer) -> str:
    if not count:
        return _("%(name)s already reviews everyone chosen; nothing changed.") % {
            "name": reviewer.full_name
        }
    return ngettext(
        "%(name)s is now the reviewer of %(count)s person.",
        "%(name)s is now the reviewer of %(count)s people.",
        count,
    ) % {"name": reviewer.full_name, "count": format_number(count)}


@hr_required
def participant_reviewer(request, cycle_id, participation_id):
    """One participant's reviewer: who it is, what a change moves, and the form."""
    cycle = access.get_cycle_for(request.user, cycle_id)
    participation = get_object_or_404(
        Participation.objects.with_people(), cycle=cycle, pk=participation_id
    )
    form = OneReviewerForm(request.POST or None, search_url=_search_url())
    done = submit(
        request,
        form,
        lambda data: change_reviewer(
            actor=request.user,
            cycle=cycle,
            participation_ids=[participation.pk],
            reviewer=data["reviewer"],
            expected_reviewers={participation.pk: data["current"]},
        ),
        lambda changed: _reviewer_changed(changed, form.cleaned_data["reviewer"]),
    )
    if done.saved:
        return redirect("goals:cycle-setup-people", cycle.pk)
    # A form sent from a page that showed another reviewer is out of date, like a refusal.
    status = 409 if done.status == 400 and form.stale else done.status
    return render(
        request,
        "goals/participant_reviewer.html",
        {
            "cycle": cycle,
            "participation": participation,
            "form": form,
            "reviewer_open": cycle.is_open,
            "tab": "people",
        },
        status=status,
    )


def _shown_reviewers(data, ids) -> dict[int, int | None]:
    """{participation id: the reviewer id its row showed} for the ticked rows, from the
    hidden ``shown-<id>`` fields; a row sent without one is not checked."""
    shown = {}
    for pk in ids:
        value = data.get(f"shown-{pk}")
        if value is None:
            continue
        try:
            shown[pk] = int(value) if value else None
        except ValueError:
            continue
    return shown


@hr_required
@require_POST
def participants_reviewer_bulk(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    form = BulkReviewerForm(request.POST, search_url=_search_url())
    done = submit(
        request,
        form,
        lambda data: change_reviewer(
            actor=request.user,
            cycle=cycle,
            participation_ids=data["participations"],
            reviewer=data["reviewer"],
            expected_reviewers=_shown_reviewers(request.POST, data["participations"]),
        ),
        lambda changed: _reviewer_changed(changed, form.cleaned_data["reviewer"]),
    )
    if done.saved:
        return redirect("goals:cycle-setup-people", cycle.pk)
    return _render_people(request, cycle, bulk_form=form, status=done.status)


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
        "cycles/<int:cycle_id>/setup/people/add/",
        cycle_setup_people_add,
        name="cycle-setup-people-add",
    ),
    path(
        "cycles/<int:cycle_id>/setup/people/enrol/",
        cycle_enrol_population,
        name="cycle-enrol-population",
    ),
    path(
        "cycles/<int:cycle_id>/setup/people/enrol/chosen/",
        cycle_enrol_chosen,
        name="cycle-enrol-chosen",
    ),
    path(
        "cycles/<int:cycle_id>/setup/people/reviewer/",
        participants_reviewer_bulk,
        name="cycle-reviewer-bulk",
    ),
    path(
        "cycles/<int:cycle_id>/setup/people/<int:participation_id>/reviewer/",
        participant_reviewer,
        name="participant-reviewer",
    ),
    path(
        "cycles/<int:cycle_id>/setup/people/<int:participation_id>/remove/",
        cycle_participant_remove,
        name="cycle-participant-remove",
    ),
]
