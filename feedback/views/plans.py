"""Improvement-plan pages: "My plan" (the employee), "Plans I support" (the manager),
HR's "Improvement plans", and the plan page where both write, sign and follow the plan.
Thin: parse, fetch through feedback.selectors.plans (outside a user's scope is a 404; a
wrong role for an action is a 404 too), call one service, then redirect or render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from feedback.forms.plans import (
    CheckpointRecordForm,
    CloseForm,
    HrFilterForm,
    PlanEditor,
    VersionForm,
)
from feedback.models import PlanStatus
from feedback.selectors import plans as selectors
from feedback.services import plans as services
from perfcycle.fragments import rendered_once
from perfcycle.paging import ORGANISATION_PAGE_SIZE, get_page
from perfcycle.stages import viewer_for
from perfcycle.views import hr_required, int_param, refusal_status

PAGE_SIZE = 50


# --- Lists -----------------------------------------------------------------------------


def my_plan(request):
    plans = selectors.my_plans(request.user)
    current = next((p for p in plans if p.status in selectors.OPEN), None)
    return render(
        request,
        "feedback/plan_mine.html",
        {
            "current": current,
            "earlier": [p for p in plans if p is not current],
        },
    )


def _rows_html(plans, *, show_manager: bool) -> str:
    """A list's table of plans (with the person), rendered once per what its rows show
    (perfcycle/fragments.py)."""
    shown = []
    for plan in plans:
        person = plan.participation.employee
        row = [
            plan.pk,
            person.full_name,
            person.department.name if person.department else None,
            plan.participation.cycle.name,
            plan.status,
            plan.required,
            plan.starts_on,
            plan.ends_on,
            plan.next_checkpoint,
            plan.open_actions,
        ]
        if show_manager:
            row += [plan.manager.full_name, plan.manager.is_active]
        shown.append(tuple(row))
    return rendered_once(
        "feedback/plan_rows.html",
        (show_manager, *shown),
        {"plans": plans, "show_person": True, "show_manager": show_manager},
    )


def team_plans(request):
    viewer = viewer_for(request)
    counts = selectors.supported_counts(request.user)
    if not viewer.is_manager and not any(counts.values()):
        raise Http404
    status = request.GET.get("status", "")
    if status not in PlanStatus.values:
        status = ""
    lean = selectors.supported_plans(request.user, status=status)
    page = get_page(
        lean,
        selectors.team_plan_rows,
        request.GET.get("page"),
        per_page=PAGE_SIZE,
        total=counts[status] if status else sum(counts.values()),
    )
    return render(
        request,
        "feedback/plan_team.html",
        {
            "page": page,
            "rows_html": _rows_html(page.object_list, show_manager=False),
            "status": status,
            "statuses": [(value, label, counts[value]) for value, label in PlanStatus.choices],
            "startable": selectors.startable_appraisals(request.user),
        },
    )


def _hr_head_html(cycle, cycles, filters) -> str:
    """HR's list's title and filters, rendered once per what they show
    (perfcycle/fragments.py): the cycles offered and the one shown, the filters' values
    as given."""
    key = (
        (cycle.pk, cycle.name, cycle.phase) if cycle is not None else None,
        tuple((c.pk, c.name) for c in cycles),
        filters["status"].value(),
        filters["kind"].value(),
    )
    return rendered_once(
        "feedback/plan_hr_head.html",
        key,
        {"cycle": cycle, "cycles": cycles, "filters": filters},
    )


@hr_required
def hr_plans(request):
    filters = HrFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    cycles = list(selectors.hr_cycles())
    cycle_id = int_param(request, "cycle")
    cycle = next((c for c in cycles if c.pk == cycle_id), None)
    if cycle_id is not None and cycle is None:
        raise Http404
    status, kind = data.get("status") or "", data.get("kind") or ""
    lean = selectors.hr_plans(cycle_id=cycle_id, status=status, kind=kind)
    counts = selectors.hr_counts(cycle_id=cycle_id)
    page = get_page(
        lean,
        selectors.hr_plan_rows,
        request.GET.get("page"),
        per_page=ORGANISATION_PAGE_SIZE,
        total=selectors.hr_total(counts, status=status, kind=kind),
    )
    return render(
        request,
        "feedback/plan_hr.html",
        {
            "filters": filters,
            "cycles": cycles,
            "cycle": cycle,
            "head_html": _hr_head_html(cycle, cycles, filters),
            "page": page,
            "rows_html": _rows_html(page.object_list, show_manager=True),
            "counts": counts,
            "statuses": PlanStatus.choices,
        },
    )


# --- The plan page ---------------------------------------------------------------------


# A form as the page first shows it (no data, its version given) reads the same for
# everyone: its fields with their crispy markup (~1 ms each) are rendered once per version
# (perfcycle/fragments.py). A form sent back with its errors is rendered as it is.
def _checkpoint_fields(point, form=None) -> str:
    template = "feedback/plan_checkpoint_fields.html"
    if form is not None:
        return render_to_string(template, {"form": form})
    prefix = f"cp{point.pk}"
    return rendered_once(
        template,
        (prefix, point.version),
        {"form": CheckpointRecordForm(initial={"version": point.version}, prefix=prefix)},
    )


def _close_fields(plan, form=None) -> str:
    template = "feedback/plan_close_fields.html"
    if form is not None:
        return render_to_string(template, {"form": form})
    return rendered_once(
        template, (plan.version,), {"form": CloseForm(initial={"version": plan.version})}
    )


def _render(request, plan, *, status: int = 200, editor=None, **forms):
    page = selectors.plan_page(request.user, plan)
    # An agreed plan reads as agreed; changing it (back to draft) is asked for.
    editing = plan.status == PlanStatus.DRAFT or request.GET.get("edit") == "1"
    if editor is None and page.can_edit and editing:
        editor = PlanEditor(
            plan=plan, causes=page.causes, actions=page.actions, checkpoints=page.checkpoints
        )
    record_forms = forms.get("record_forms", {})
    return render(
        request,
        "feedback/plan_detail.html",
        {
            "page": page,
            "plan": plan,
            "cycle": plan.participation.cycle,
            "person": plan.participation.employee,
            "editor": editor,
            # A form only where the page shows one (a check-point the viewer may record,
            # the outcome when they may close the plan).
            "checkpoint_rows": [
                (
                    point,
                    _checkpoint_fields(point, record_forms.get(point.pk))
                    if point.pk in page.can_record
                    else "",
                )
                for point in page.checkpoints
            ],
            "close_fields_html": _close_fields(plan, forms.get("close_form"))
            if page.can_close
            else "",
            "sign_errors": forms.get("sign_errors", []),
        },
        status=status,
    )


def plan_detail(request, pk):
    return _render(request, selectors.get_plan_for(request.user, pk))


def _refused(request, plan, error: ValidationError, **forms):
    """The page again, with the refusal (and what was typed) kept."""
    messages.error(request, " ".join(error.messages))
    plan = selectors.get_plan_for(request.user, plan.pk)  # as it is now
    return _render(request, plan, status=refusal_status(error), **forms)


@require_POST
def plan_save(request, pk):
    plan = selectors.get_plan_for(request.user, pk)
    page = selectors.plan_page(request.user, plan)
    if page.side is None:
        raise Http404
    if not page.can_edit:
        messages.error(request, _("This plan can no longer be changed."))
        return redirect(plan)
    editor = PlanEditor(request.POST, plan=plan, causes=page.causes)
    if not editor.is_valid():
        return _render(request, plan, status=400, editor=editor)
    try:
        plan = services.save_plan(
            plan=plan,
            data=editor.plan_input(),
            actor=request.user,
            expected_version=editor.expected_version,
        )
    except PermissionDenied as error:
        raise Http404 from error
    except ValidationError as error:
        editor.attach(error)
        return _render(request, plan, status=refusal_status(error), editor=editor)
    if plan.signatures_cleared:
        messages.warning(
            request, _("Plan saved. The change cleared the signatures: both sign again.")
        )
    else:
        messages.success(request, _("Plan saved."))
    return redirect(plan)


def _version(request) -> int | None:
    form = VersionForm(request.POST)
    return form.cleaned_data.get("version") if form.is_valid() else None


@require_POST
def plan_sign(request, pk):
    plan = selectors.get_plan_for(request.user, pk)
    if services.side_of(request.user, plan) is None:
        raise Http404
    try:
        plan = services.sign_plan(plan=plan, actor=request.user, expected_version=_version(request))
    except ValidationError as error:
        plan = selectors.get_plan_for(request.user, pk)
        return _render(
            request, plan, status=refusal_status(error), sign_errors=list(error.messages)
        )
    if plan.status == PlanStatus.ACTIVE:
        messages.success(request, _("You both signed: the plan is agreed and active from today."))
    elif plan.status == PlanStatus.AGREED:
        messages.success(request, _("You both signed: the plan is agreed."))
    else:
        messages.success(request, _("Signed. The plan is agreed once the other side signs."))
    return redirect(plan)


@require_POST
def plan_start_now(request, pk):
    plan = selectors.get_plan_for(request.user, pk)
    if not services.is_manager_of(request.user, plan):
        raise Http404
    try:
        services.start_plan_now(plan=plan, actor=request.user, expected_version=_version(request))
    except ValidationError as error:
        return _refused(request, plan, error)
    messages.success(request, _("The plan is active."))
    return redirect(plan)


@require_POST
def plan_close(request, pk):
    plan = selectors.get_plan_for(request.user, pk)
    if not services.may_close(request.user, plan) and not services.is_manager_of(
        request.user, plan
    ):
        raise Http404
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _render(request, plan, status=400, close_form=form)
    data = form.cleaned_data
    try:
        plan = services.close_plan(
            plan=plan,
            outcome=data["outcome"],
            note=data["note"],
            new_end=data.get("new_end"),
            actor=request.user,
            expected_version=data.get("version"),
        )
    except PermissionDenied as error:
        raise Http404 from error
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return _render(request, plan, status=400, close_form=form)
        return _refused(request, plan, error, close_form=form)
    messages.success(
        request,
        _("Outcome recorded: %(outcome)s.") % {"outcome": plan.get_status_display().lower()},
    )
    return redirect(plan)


@require_POST
def checkpoint_record(request, pk):
    checkpoint = selectors.get_checkpoint_for(request.user, pk)
    plan = selectors.get_plan_for(request.user, checkpoint.plan_id)
    if not services.is_manager_of(request.user, plan):
        raise Http404
    form = CheckpointRecordForm(request.POST, prefix=f"cp{checkpoint.pk}")
    if not form.is_valid():
        return _render(request, plan, status=400, record_forms={checkpoint.pk: form})
    try:
        services.record_checkpoint(
            checkpoint=checkpoint,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
            actor=request.user,
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return _render(request, plan, status=400, record_forms={checkpoint.pk: form})
        return _refused(request, plan, error, record_forms={checkpoint.pk: form})
    messages.success(
        request,
        _("Check-point recorded. %(name)s has been told.")
        % {"name": plan.participation.employee.full_name},
    )
    return redirect(plan)


@require_POST
def action_done(request, pk):
    action = selectors.get_action_for(request.user, pk)
    plan = selectors.get_plan_for(request.user, action.plan_id)
    try:
        services.mark_action_done(
            action=action, done=request.POST.get("done") == "1", actor=request.user
        )
    except PermissionDenied as error:
        raise Http404 from error
    except ValidationError as error:
        return _refused(request, plan, error)
    return redirect(plan)


@require_POST
def plan_start(request, appraisal_id):
    """The reviewer starts a plan by choice on a released appraisal (404 otherwise)."""
    appraisal = selectors.get_appraisal_for_plan(request.user, appraisal_id)
    try:
        plan = services.start_plan(appraisal=appraisal, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("feedback:plan-team")
    messages.success(request, _("Plan started. Write it together, then both sign."))
    return redirect(plan)


urlpatterns = [
    path("plans/mine/", my_plan, name="plan-mine"),
    path("plans/team/", team_plans, name="plan-team"),
    path("plans/all/", hr_plans, name="plan-hr"),
    path("plans/<int:pk>/", plan_detail, name="plan-detail"),
    path("plans/<int:pk>/save/", plan_save, name="plan-save"),
    path("plans/<int:pk>/sign/", plan_sign, name="plan-sign"),
    path("plans/<int:pk>/start/", plan_start_now, name="plan-start-now"),
    path("plans/<int:pk>/close/", plan_close, name="plan-close"),
    path("plans/checkpoints/<int:pk>/record/", checkpoint_record, name="plan-checkpoint-record"),
    path("plans/actions/<int:pk>/done/", action_done, name="plan-action-done"),
    path("plans/new/<int:appraisal_id>/", plan_start, name="plan-start"),
]
