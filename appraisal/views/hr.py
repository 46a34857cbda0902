"""HR's appraisal pages: progress per department (counts linking to their lists), the
lists themselves, the overdue list with a nudge, the release of the ratings (with a
confirm), and reopening a finalised appraisal (with a reason) and finalising it again.
HR only (404 for anyone else)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appraisal.forms.calibration import ReopenForm, VersionForm
from appraisal.models import Appraisal, AppraisalStatus
from appraisal.selectors import hr as selectors
from appraisal.services import calibration, closing
from appraisal.services.opening import settings_for
from appraisal.views.calibration import posted_int
from perfcycle import paging
from perfcycle.fragments import rendered_once
from perfcycle.views import hr_required, int_param, refusal_status, submit

PAGE_SIZE = 50


def _cycle(request):
    cycle_id = int_param(request, "cycle")
    cycle, cycles = selectors.choose_cycle(selectors.appraisal_cycles(), cycle_id)
    if cycle_id is not None and cycle is None:
        raise Http404
    return cycle, cycles


@hr_required
def hr_progress(request):
    cycle, cycles = _cycle(request)
    rows, total = selectors.progress(cycle) if cycle is not None else ([], None)
    # The table's 51 rows (~400 cells: ~4 ms) rendered once per what they show.
    body = (
        rendered_once(
            "appraisal/hr_progress_body.html",
            selectors.progress_key(cycle, rows, total),
            {"rows": rows, "total": total},
        )
        if rows
        else ""
    )
    return render(
        request,
        "appraisal/hr_progress.html",
        {
            "cycle": cycle,
            "cycles": cycles,
            "rows": rows,
            "body": body,
            "columns": selectors.PROGRESS_COLUMNS,
        },
    )


@hr_required
def hr_appraisals(request):
    cycle, cycles = _cycle(request)
    tree = selectors.Tree.load()
    department_id = int_param(request, "department")
    if department_id is not None and department_id not in tree.names:
        raise Http404
    status = request.GET.get("status", "")
    page = None
    if cycle is not None:
        page = paging.get_page(
            selectors.hr_appraisal_list(
                cycle,
                tree,
                department_id=department_id,
                status=status,
                calibrated=request.GET.get("calibrated") == "1",
                not_reviewed=request.GET.get("not_reviewed") == "1",
            ),
            selectors.appraisal_rows(),
            request.GET.get("page"),
            per_page=PAGE_SIZE,
        )
    return render(
        request,
        "appraisal/hr_appraisal_list.html",
        {
            "cycle": cycle,
            "cycles": cycles,
            "page": page,
            "department_name": tree.names.get(department_id, ""),
            "status_label": dict(AppraisalStatus.choices).get(status, ""),
            "finalized": AppraisalStatus.FINALIZED,
            "calibration": AppraisalStatus.CALIBRATION,
        },
    )


@hr_required
def hr_overdue(request):
    cycle, cycles = _cycle(request)
    page = None
    today = timezone.localdate()
    if cycle is not None:
        page = paging.get_page(
            selectors.overdue(cycle, today),
            selectors.appraisal_rows(),
            request.GET.get("page"),
            per_page=PAGE_SIZE,
        )
    return render(
        request,
        "appraisal/hr_overdue.html",
        {
            "cycle": cycle,
            "cycles": cycles,
            "page": page,
            "manager_review": AppraisalStatus.MANAGER_REVIEW,
        },
    )


@hr_required
@require_POST
def hr_nudge(request):
    appraisal = get_object_or_404(Appraisal, pk=posted_int(request, "appraisal") or 0)
    try:
        sent = closing.nudge(appraisal_id=appraisal.pk, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if sent:
            messages.success(request, _("Nudged: they have a notification now."))
        else:
            messages.info(request, _("Already nudged today: one nudge a day is enough."))
    cycle_id = appraisal.participation.cycle_id
    return redirect(f"{reverse('appraisal:hr-overdue')}?cycle={cycle_id}")


@hr_required
def hr_release(request):
    cycle, cycles = _cycle(request) if request.method == "GET" else (None, [])
    if request.method == "POST":
        cycle = get_object_or_404(
            selectors.appraisal_cycles(), pk=posted_int(request, "cycle") or 0
        )
        form = VersionForm(request.POST)
        form.is_valid()
        try:
            count = calibration.release_ratings(
                cycle=cycle, expected_version=form.cleaned_data.get("version"), actor=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            status = refusal_status(error)
        else:
            messages.success(
                request, _("%(count)s ratings released to the employees.") % {"count": count}
            )
            return redirect(f"{reverse('appraisal:hr-release')}?cycle={cycle.pk}")
    else:
        status = 200
    settings = settings_for(cycle) if cycle is not None else None
    return render(
        request,
        "appraisal/hr_release.html",
        {
            "cycle": cycle,
            "cycles": cycles,
            "settings": settings,
            "releasable": calibration.releasable(cycle).count() if cycle else 0,
        },
        status=status,
    )


def _render_reopen(request, appraisal, form, status=200):
    return render(
        request,
        "appraisal/appraisal_reopen.html",
        {"appraisal": appraisal, "form": form, "reopenings": appraisal.reopenings.all()},
        status=status,
    )


@hr_required
def appraisal_reopen(request, appraisal_id):
    appraisal = get_object_or_404(Appraisal.objects.with_people(), pk=appraisal_id)
    if request.method != "POST":
        return _render_reopen(
            request, appraisal, ReopenForm(initial={"version": appraisal.version})
        )
    form = ReopenForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: closing.reopen_appraisal(
            appraisal_id=appraisal.pk,
            reason=data["reason"],
            expected_version=data["version"],
            actor=request.user,
        ),
        _("Appraisal reopened: it is back in calibration."),
    )
    if done.saved:
        return redirect(reverse("appraisal:appraisal-reopen", args=[appraisal.pk]))
    return _render_reopen(request, appraisal, form, status=done.status)


@hr_required
@require_POST
def appraisal_refinalize(request, appraisal_id):
    appraisal = get_object_or_404(Appraisal, pk=appraisal_id)
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        closing.refinalize_appraisal(
            appraisal_id=appraisal.pk,
            expected_version=form.cleaned_data.get("version"),
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Appraisal finalised again; its score is frozen."))
    return redirect(reverse("appraisal:appraisal-reopen", args=[appraisal.pk]))


urlpatterns = [
    path("hr/progress/", hr_progress, name="hr-progress"),
    path("hr/appraisals/", hr_appraisals, name="hr-appraisals"),
    path("hr/overdue/", hr_overdue, name="hr-overdue"),
    path("hr/overdue/nudge/", hr_nudge, name="hr-nudge"),
    path("hr/release/", hr_release, name="hr-release"),
    path("hr/appraisals/<int:appraisal_id>/reopen/", appraisal_reopen, name="appraisal-reopen"),
    path(
        "hr/appraisals/<int:appraisal_id>/finalise/",
        appraisal_refinalize,
        name="appraisal-refinalize",
    ),
]
