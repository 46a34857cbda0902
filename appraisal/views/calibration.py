"""HR's calibration board: per department (with its sub-departments) or for the
organisation, the distribution of proposed ratings against the guideline, each
reviewer's tendency, the list by score with an adjust form (reason required), and the
session's lock. HR only (404 for anyone else). Thin: parse, read through
appraisal.selectors.hr, call one service, redirect or render."""

from collections import OrderedDict

from django.conf import settings as django_settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appraisal.forms.calibration import AdjustForm, VersionForm
from appraisal.models import Appraisal, AppraisalStatus, CalibrationSession, CalibrationStatus
from appraisal.selectors import hr as selectors
from appraisal.services import calibration as services
from appraisal.services.opening import settings_for
from perfcycle import paging
from perfcycle.fragments import rendered_once
from perfcycle.views import attach_errors, hr_required, int_param, refusal_status

PAGE_SIZE = 50
# Pages of the board's rows rendered once per what they show (``_score_list``), the
# newest kept.
ROW_PAGES_KEPT = 64
_fragments: OrderedDict = OrderedDict()


# Where the request's CSRF token goes in rows kept for other requests (each has its own).
CSRF_SLOT = "perfcycle-csrf-slot"


def _keep(key: tuple, value) -> None:
    _fragments[key] = value
    while len(_fragments) > ROW_PAGES_KEPT:
        _fragments.popitem(last=False)


def _score_list(cycle, tree, department_id, board, number: int, context: dict, *, keep: bool):
    """(the page, its rows' HTML with CSRF_SLOT for the token, whether it has rows). A
    page of the list reads only what the figures' stamp covers (BOARD_SOURCES), so its
    rows are rendered once per stamp and what else they show (~5–8 ms for 50 rows with
    their adjust forms) and kept in this process; then no query reads them. Not kept
    with an error form (one request's input), with DEBUG on, or off PostgreSQL (no
    stamp)."""
    key = None
    if keep and board.stamp is not None and not django_settings.DEBUG:
        key = (
            "appraisal/calibration_rows.html",
            get_language(),
            cycle.pk,
            department_id,
            number,
            context["session_key"],
            context["adjusting"],
            board.stamp,
        )
        kept = _fragments.get(key)
        if kept is not None:
            page = paging.page_without_rows(number, total=board.rated, per_page=PAGE_SIZE)
            return page, *kept
    page = paging.get_page(
        selectors.board_rows(cycle, tree, department_id),
        selectors.board_row_details(),
        number,
        per_page=PAGE_SIZE,
        total=board.rated,
    )
    rows = selectors.score_rows(page.object_list)
    html = render_to_string(
        "appraisal/calibration_rows.html", {**context, "rows": rows, "csrf_token": CSRF_SLOT}
    )
    if key is not None:
        _keep(key, (html, bool(rows)))
    return page, html, bool(rows)


def _board_url(cycle_id, department_id) -> str:
    url = f"{reverse('appraisal:calibration-board')}?cycle={cycle_id}"
    return f"{url}&department={department_id}" if department_id else url


def _render_board(request, cycle_id, department_id, *, error_form=None, status=200):
    cycle, cycles = selectors.choose_cycle(selectors.appraisal_cycles(), cycle_id)
    if cycle_id is not None and cycle is None:
        raise Http404
    tree = selectors.Tree.load()
    if department_id is not None and department_id not in tree.names:
        raise Http404
    departments = tree.choices()
    context = {
        "cycle": cycle,
        "cycles": cycles,
        "departments": departments,
        # Rendered once per what they show (perfcycle/fragments.py): the board's figures
        # and options change only when a rating or a department does.
        "department_options": rendered_once(
            "appraisal/calibration_departments.html",
            (tuple(departments), department_id),
            {"departments": departments, "department_id": department_id},
        ),
        "department_id": department_id,
        "department_name": tree.names.get(department_id, ""),
        "board": None,
        "page": None,
        "has_rows": False,
        "session": None,
        "adjusting": False,
        "error_form": error_form,
        "error_for": error_form.data.get("appraisal") if error_form is not None else None,
    }
    if cycle is not None:
        settings = settings_for(cycle)
        board = selectors.board(cycle, tree, department_id, settings.guideline)
        session = selectors.session_of(cycle, department_id)
        # The rows in calibration take an adjust form while the session is open.
        adjusting = session is not None and session.status == CalibrationStatus.OPEN
        session_key = str(session.pk) if session is not None else ""
        number = paging.page_number(request.GET.get("page"), total=board.rated, per_page=PAGE_SIZE)
        rows_context = {
            "adjusting": adjusting,
            "session_key": session_key,
            "calibration": AppraisalStatus.CALIBRATION,
            "error_form": error_form,
            "error_for": context["error_for"],
        }
        page, rows_html, has_rows = _score_list(
            cycle, tree, department_id, board, number, rows_context, keep=error_form is None
        )
        token = get_token(request)
        context.update(
            board=board,
            figures_html=rendered_once(
                "appraisal/calibration_figures.html", (board.fingerprint,), {"board": board}
            ),
            page=page,
            rows_html=mark_safe(rows_html.replace(CSRF_SLOT, token)),  # noqa: S308 (rendered here)
            has_rows=has_rows,
            session=session,
            settings=settings,
            # One token for the page: the kept rows' forms and the session's.
            csrf_token=token,
            **rows_context,
        )
    return render(request, "appraisal/calibration_board.html", context, status=status)


@hr_required
def calibration_board(request):
    return _render_board(request, int_param(request, "cycle"), int_param(request, "department"))


def posted_int(request, name: str) -> int | None:
    """A whole-number POST field, else None (never a 500 on a tampered form)."""
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


@hr_required
@require_POST
def calibration_start(request):
    cycle = get_object_or_404(selectors.appraisal_cycles(), pk=posted_int(request, "cycle") or 0)
    department_id = posted_int(request, "department")
    department = None
    if department_id is not None:
        tree = selectors.Tree.load()
        if department_id not in tree.names:
            raise Http404
        from perfcycle.models import Department

        department = Department.objects.get(pk=department_id)
    try:
        services.open_session(cycle=cycle, department=department, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Calibration session started."))
    return redirect(_board_url(cycle.pk, department_id))


@hr_required
@require_POST
def calibration_adjust(request):
    form = AdjustForm(request.POST)
    session = get_object_or_404(CalibrationSession, pk=posted_int(request, "session") or 0)
    department_id = session.department_id
    if not form.is_valid():
        return _render_board(request, session.cycle_id, department_id, error_form=form, status=400)
    appraisal = get_object_or_404(
        Appraisal, pk=form.cleaned_data["appraisal"], participation__cycle_id=session.cycle_id
    )
    try:
        services.adjust_score(
            appraisal_id=appraisal.pk,
            session_id=session.pk,
            to_score=form.cleaned_data["to_score"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
            actor=request.user,
        )
    except ValidationError as error:
        attach_errors(form, error)
        return _render_board(
            request,
            session.cycle_id,
            department_id,
            error_form=form,
            status=refusal_status(error),
        )
    messages.success(
        request,
        _("Score of %(name)s changed; the reason is kept.")
        % {"name": appraisal.participation.employee.full_name},
    )
    return redirect(_board_url(session.cycle_id, department_id))


def _session_move(request, session_id, move, done: str):
    session = get_object_or_404(CalibrationSession, pk=session_id)
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        move(
            session_id=session.pk,
            expected_version=form.cleaned_data.get("version"),
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(_board_url(session.cycle_id, session.department_id))


@hr_required
@require_POST
def calibration_lock(request, session_id):
    return _session_move(
        request, session_id, services.lock_session, _("Calibration session locked.")
    )


@hr_required
@require_POST
def calibration_unlock(request, session_id):
    return _session_move(
        request, session_id, services.unlock_session, _("Calibration session unlocked.")
    )


urlpatterns = [
    path("hr/calibration/", calibration_board, name="calibration-board"),
    path("hr/calibration/start/", calibration_start, name="calibration-start"),
    path("hr/calibration/adjust/", calibration_adjust, name="calibration-adjust"),
    path(
        "hr/calibration/sessions/<int:session_id>/lock/",
        calibration_lock,
        name="calibration-lock",
    ),
    path(
        "hr/calibration/sessions/<int:session_id>/unlock/",
        calibration_unlock,
        name="calibration-unlock",
    ),
]
