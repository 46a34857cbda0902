"""Core pages: role homes, cycles, notifications, audit log, organisation directory."""

from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perfcycle import access, audit, paging, phases, selectors, services
from perfcycle.forms import AuditFilterForm, CycleForm
from perfcycle.models import AuditEvent, Cycle, Department, Employee, Notification
from perfcycle.stages import viewer_for
from perfcycle.workflow import ConcurrentEditError

PAGE_SIZE = 50


def hr_required(view):
    """HR-only pages are not found for anyone else (no hint that they exist)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not access.is_hr(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def attach_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def refusal_status(error: ValidationError) -> int:
    """The status of a page shown again because a service refused the change: 409 when
    the form was out of date or carried no version (nothing was saved), else 400."""
    return 409 if isinstance(error, ConcurrentEditError) else 400


@dataclass(frozen=True)
class Submission:
    """What became of a form page's request (see ``submit``)."""

    saved: bool
    #: The status to show the page again with: 200 (not posted), 400 (bad input or refused),
    #: 409 (the form was out of date: nothing was saved).
    status: int
    #: What the service returned, when saved.
    result: Any = None


def submit(request, form, save, success=None) -> Submission:
    """The POST half of every form page: validate the form, let the service save
    (``save(cleaned_data)``; it raises ValidationError to refuse), and put a refusal next to
    the fields it names. When saved, ``success`` (a text, or a function of what ``save``
    returned) is queued as the success message; the caller redirects."""
    if request.method != "POST":
        return Submission(False, 200)
    if not form.is_valid():
        return Submission(False, 400)
    try:
        result = save(form.cleaned_data)
    except PermissionDenied as error:  # out of the actor's scope: not found, as elsewhere
        raise Http404 from error
    except ValidationError as error:
        attach_errors(form, error)
        return Submission(False, refusal_status(error))
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return Submission(True, 200, result)


def int_param(request, name: str) -> int | None:
    """A whole-number GET parameter (e.g. ``?cycle=``), else None."""
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def home(request):
    if access.is_hr(request.user):
        return redirect("hr-home")
    if access.is_manager(request.user):
        return redirect("team-home")
    return redirect("my-home")


def my_home(request):
    viewer = viewer_for(request)
    participation = viewer.participation_for(int_param(request, "cycle"))
    return render(
        request,
        "perfcycle/my_home.html",
        {
            "employee": viewer.employee,
            "participation": participation,
            "cycle": participation.cycle if participation else None,
            "cycle_choices": viewer.cycle_choices,
            "todos": selectors.todos_for_employee(viewer),
        },
    )


def team_home(request):
    viewer = viewer_for(request)
    if not viewer.is_manager:
        raise Http404
    participation = viewer.participation_for(int_param(request, "cycle"))
    cycle = participation.cycle if participation else None
    return render(
        request,
        "perfcycle/team_home.html",
        {
            "cycle": cycle,
            "cycle_choices": viewer.cycle_choices,
            "team": selectors.team_rows(request.user, cycle),
            "all_reports": access.active_report_count(request.user),
            "todos": selectors.todos_for_employee(viewer),
        },
    )


@hr_required
def hr_home(request):
    overview = selectors.hr_overview(today=timezone.localdate())
    cycles = overview["cycles"]  # the newest: the open ones among them
    return render(
        request,
        "perfcycle/hr_home.html",
        {
            "cycles": cycles,
            "counts": overview["counts"],
            "todos": selectors.todos_for_hr(viewer_for(request), cycles),
            "health": overview["health"],
            "not_enrolled": overview["counts"]["not_enrolled"],
            "email_failures": selectors.failed_emails().count(),
        },
    )


# --- Cycles ----------------------------------------------------------------------------


@hr_required
def cycle_list(request):
    page = Paginator(selectors.cycles_overview(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "perfcycle/cycle_list.html", {"page": page})


@hr_required
def cycle_create(request):
    form = CycleForm(request.POST or None)
    done = submit(
        request,
        form,
        lambda data: services.create_cycle(actor=request.user, data=data),
        lambda cycle: _("Cycle “%(name)s” created.") % {"name": cycle.name},
    )
    if done.saved:
        return redirect(done.result)
    return render(request, "perfcycle/cycle_form.html", {"form": form}, status=done.status)


@hr_required
def cycle_edit(request, pk):
    cycle = access.get_cycle_for(request.user, pk)
    form = CycleForm(request.POST or None, instance=cycle)
    done = submit(
        request,
        form,
        lambda data: services.update_cycle(
            actor=request.user,
            cycle_id=cycle.pk,
            data=data,
            expected_version=data.get("version"),
        ),
        _("Cycle saved."),
    )
    if done.saved:
        return redirect(cycle)
    return render(
        request, "perfcycle/cycle_form.html", {"form": form, "cycle": cycle}, status=done.status
    )


def cycle_detail(request, pk):
    cycle = access.get_cycle_for(request.user, pk)
    participations = access.participations_visible_to(request.user).filter(cycle=cycle)
    by_department = (
        participations.values("employee__department__name")
        .annotate(total=Count("id"))
        .order_by("employee__department__name")
    )
    return render(
        request,
        "perfcycle/cycle_detail.html",
        {
            "cycle": cycle,
            "participant_count": participations.count(),
            "by_department": by_department,
            "next_phases": Cycle.TRANSITIONS[Cycle.Phase(cycle.phase)],
            "is_hr": access.is_hr(request.user),
        },
    )


@require_POST
@hr_required
def cycle_advance(request, pk):
    cycle = access.get_cycle_for(request.user, pk)
    try:
        cycle = phases.advance_cycle_phase(
            actor=request.user, cycle_id=cycle.pk, to_phase=request.POST.get("to_phase", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(cycle)
    messages.success(
        request,
        _("The cycle is now in the %(phase)s phase.") % {"phase": cycle.get_phase_display()},
    )
    return redirect(cycle)


@require_POST
@hr_required
def cycle_enrol(request, pk):
    cycle = access.get_cycle_for(request.user, pk)
    try:
        added = services.enrol_employees(
            actor=request.user, cycle=cycle, employees=access.employees_visible_to(request.user)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(count)s people added to the cycle.") % {"count": added})
    return redirect(cycle)


# --- Organisation directory -----------------------------------------------------------


@hr_required
def employee_list(request):
    qs = access.employees_visible_to(request.user).with_org()
    query = request.GET.get("q", "").strip()
    department = request.GET.get("department", "")
    qs = selectors.matching_people(qs, query)
    if department.isdigit():
        qs = qs.filter(department_id=int(department))
    not_enrolled = request.GET.get("not_enrolled") == "1"
    if not_enrolled:
        qs = qs.filter(pk__in=selectors.not_enrolled().values("pk"))
    sort = request.GET.get("sort", "name")
    orderings = {
        "name": ["user__last_name", "user__first_name"],
        "number": ["employee_number"],
        "department": ["department__name", "user__last_name"],
        "title": ["job_title", "user__last_name"],
    }
    qs = qs.order_by(*orderings.get(sort, orderings["name"]))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "perfcycle/employee_list.html",
        {
            "page": page,
            "query": query,
            "department": department,
            "departments": Department.objects.order_by("name"),
            "sort": sort,
            "not_enrolled": not_enrolled,
        },
    )


PERSON_SUGGESTIONS = 15


@hr_required
def person_search(request):
    """Suggestions for a "choose a person" field (HR): active people whose name, number
    or email contain every word typed, as JSON ``[{"value": number, "label": text}]``."""
    words = request.GET.get("q", "").split()[:4]
    if not words or len("".join(words)) < 2:
        return JsonResponse({"results": []})
    people = selectors.matching_people(
        Employee.objects.filter(is_active=True).select_related("user", "department"),
        " ".join(words),
        job_title=False,
    )
    people = people.order_by("user__last_name", "user__first_name", "pk")[:PERSON_SUGGESTIONS]
    return JsonResponse(
        {
            "results": [
                {
                    "value": person.employee_number,
                    "label": " · ".join(
                        part
                        for part in (
                            person.full_name,
                            person.job_title,
                            person.department.name if person.department else "",
                        )
                        if part
                    ),
                }
                for person in people
            ]
        }
    )


# --- Notifications ---------------------------------------------------------------------


def notification_list(request):
    qs = Notification.objects.filter(recipient=request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "perfcycle/notification_list.html", {"page": page})


@require_POST
def notification_open(request, pk):
    note = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.mark_notification_read(notification=note, actor=request.user)
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()}):
        return redirect(note.url)
    return redirect("notification-list")


@require_POST
def notification_read_all(request):
    count = services.mark_all_notifications_read(actor=request.user)
    messages.success(request, _("%(count)s notification(s) marked as read.") % {"count": count})
    return redirect("notification-list")


@hr_required
def email_failure_list(request):
    """Emails that could not be delivered after every attempt, with the reason."""
    page = Paginator(selectors.failed_emails(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "perfcycle/email_failure_list.html", {"page": page})


@require_POST
@hr_required
def email_failure_retry(request, pk):
    try:
        note = services.retry_failed_email(actor=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        messages.info(request, _("That email is no longer waiting for a retry."))
    else:
        messages.success(
            request,
            _("The email to %(name)s will be sent again.")
            % {"name": note.recipient.get_full_name() or note.recipient.username},
        )
    return redirect("email-failures")


# --- Audit log -------------------------------------------------------------------------


@hr_required
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    qs = AuditEvent.objects.select_related("actor")
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            qs = qs.filter(verb=data["kind"])
        if data["object_type"]:
            qs = qs.filter(object_type=data["object_type"])
        for word in data["person"].split():
            qs = qs.filter(
                Q(actor__first_name__icontains=word)
                | Q(actor__last_name__icontains=word)
                | Q(actor__username__iexact=word)
            )
        if data["date_from"]:
            qs = qs.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            qs = qs.filter(created_at__date__lte=data["date_to"])
    # Newer/older pages without a count: counting the whole log is an aggregate over the
    # biggest table, for a number nobody needs to read the page.
    number = _page_number(request)
    size = paging.ORGANISATION_PAGE_SIZE
    rows = list(qs[(number - 1) * size : number * size + 1])
    status = 400 if form.is_bound and not form.is_valid() else 200
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "lines": audit.describe(rows[:size]),
        "number": number,
        "has_next": len(rows) > size,
        "query": query.urlencode(),
    }
    return render(request, "perfcycle/audit_list.html", context, status=status)


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1
