"""The feedback interview's pages: the employee's "My interview", the reviewer's
"Interviews" list, the interview page (schedule, reschedule, cancel, private notes,
record), its calendar file, and HR's "Interview completion".

Thin: parse, fetch through feedback.selectors.interviews (out of scope is a 404, and so
is the wrong role for an action), call one service, redirect or render. A refusal comes
back at its field with what was typed (400; a stale form 409, nothing saved)."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from feedback import ics
from feedback.forms.interviews import (
    CancelForm,
    CompletionFilterForm,
    NoteForm,
    RecordForm,
    ScheduleForm,
)
from feedback.models import InterviewStatus
from feedback.selectors import interviews as selectors
from feedback.services import interviews as services
from perfcycle.fragments import rendered_once
from perfcycle.paging import ORGANISATION_PAGE_SIZE, get_page_by_groups
from perfcycle.stages import pick_cycle
from perfcycle.views import hr_required, int_param, submit

S = InterviewStatus


# --- The interview page ----------------------------------------------------------------------


def _note_form(request, interview, note, bound=None):
    if bound is not None:
        return bound
    return NoteForm(
        initial={"version": note.version if note else 0, "text": note.text if note else ""},
        prefix="notes",
    )


def _render(request, interview, *, forms=None, status: int = 200, cycle_choices=()):
    """The interview page for whoever reads it: the employee's own layout, or the
    reviewer's (with its forms); the chain above and HR read the reviewer's without
    forms and without notes."""
    forms = forms or {}
    is_employee = selectors.is_employee(request.user, interview)
    is_reviewer = not is_employee and selectors.is_reviewer(request.user, interview)
    note = selectors.own_note(request.user, interview)
    live = interview.status in services.LIVE
    today = timezone.localdate()
    context = {
        "interview": interview,
        "cycle": interview.participation.cycle,
        "person": interview.participation.employee,
        "note": note,
        "note_form": _note_form(request, interview, note, forms.get("notes"))
        if live and (is_employee or is_reviewer)
        else None,
        "causes": selectors.recorded_causes(interview) if interview.status == S.HELD else [],
        "live": live,
        "is_reviewer": is_reviewer,
        "record_from": services.may_record_from(interview),
        "may_record_now": live and today >= services.may_record_from(interview),
        "cycle_open": interview.participation.cycle.is_open,
        "cycle_choices": list(cycle_choices),
        "links": selectors.interview_links(request.user, interview),
    }
    if is_employee:
        return render(request, "feedback/interview_mine.html", context, status=status)
    if is_reviewer and live and context["cycle_open"]:
        context["schedule_form"] = forms.get("reschedule") or ScheduleForm(
            interview=interview, prefix="slot"
        )
        context["cancel_form"] = forms.get("cancel") or CancelForm(
            initial={"version": interview.version}, prefix="cancel"
        )
        context["record_form"] = forms.get("record") or RecordForm(
            interview=interview, prefix="record"
        )
    if is_reviewer and interview.status == S.CANCELLED and context["cycle_open"]:
        context["schedule_form"] = forms.get("reschedule") or ScheduleForm(
            initial={"version": interview.version}, prefix="slot"
        )
    return render(request, "feedback/interview_detail.html", context, status=status)


def interview_detail(request, pk):
    interview = selectors.get_interview_for(request.user, pk)
    return _render(request, interview)


def _reviewer_interview(request, pk):
    interview = selectors.get_interview_for(request.user, pk)
    if not selectors.is_reviewer(request.user, interview):
        raise Http404
    return interview


def _act(request, interview, form, key: str, call, success: str):
    """Run ``call(form)`` when the form is valid; on a refusal show the page again
    with the form and its errors."""
    done = submit(request, form, lambda _data: call(form), success)
    if done.saved:
        return redirect("feedback:interview-detail", pk=interview.pk)
    interview = selectors.get_interview_for(request.user, interview.pk)
    return _render(request, interview, forms={key: form}, status=done.status)


@require_POST
def interview_reschedule(request, pk):
    interview = _reviewer_interview(request, pk)
    form = ScheduleForm(request.POST, prefix="slot")
    return _act(
        request,
        interview,
        form,
        "reschedule",
        lambda f: services.reschedule_interview(
            actor=request.user,
            interview=interview,
            slot=f.slot(),
            expected_version=f.cleaned_data["version"],
        ),
        _("Interview moved. %(name)s has been sent the updated invitation.")
        % {"name": interview.participation.employee.full_name},
    )


@require_POST
def interview_cancel(request, pk):
    interview = _reviewer_interview(request, pk)
    form = CancelForm(request.POST, prefix="cancel")
    return _act(
        request,
        interview,
        form,
        "cancel",
        lambda f: services.cancel_interview(
            actor=request.user,
            interview=interview,
            reason=f.cleaned_data["reason"],
            expected_version=f.cleaned_data["version"],
        ),
        _("Interview cancelled. %(name)s has been told and their calendar updated.")
        % {"name": interview.participation.employee.full_name},
    )


@require_POST
def interview_record(request, pk):
    interview = _reviewer_interview(request, pk)
    form = RecordForm(request.POST, prefix="record")
    return _act(
        request,
        interview,
        form,
        "record",
        lambda f: services.record_interview(
            actor=request.user,
            interview=interview,
            record=f.record(),
            expected_version=f.cleaned_data["version"],
        ),
        _("Interview recorded. %(name)s can read the record now.")
        % {"name": interview.participation.employee.full_name},
    )


@require_POST
def interview_notes(request, pk):
    interview = selectors.get_interview_for(request.user, pk)
    if services.note_role(request.user, interview) is None:
        raise Http404  # the chain above and HR keep no notes here
    form = NoteForm(request.POST, prefix="notes")
    return _act(
        request,
        interview,
        form,
        "notes",
        lambda f: services.save_note(
            actor=request.user,
            interview=interview,
            text=f.cleaned_data["text"],
            expected_version=f.cleaned_data["version"],
        ),
        _("Notes saved. Only you can read them."),
    )


@require_GET
def interview_calendar(request, pk):
    """The "Add to calendar" file for the employee and the reviewer: the event as it
    stands (a cancel once cancelled); nobody else's calendar needs it."""
    interview = selectors.get_interview_for(request.user, pk)
    is_party = selectors.is_employee(request.user, interview) or selectors.is_reviewer(
        request.user, interview
    )
    if not is_party:
        raise Http404
    method = ics.CANCEL if interview.status == S.CANCELLED else ics.PUBLISH
    response = HttpResponse(
        services.calendar_file(interview, method=method),
        content_type=f"{ics.MIMETYPE}; charset=utf-8; method={method}",
    )
    response["Content-Disposition"] = 'attachment; filename="feedback-interview.ics"'
    return response


# --- Schedule (the first time, or again after a cancel) ---------------------------------------


def interview_schedule(request, pk):
    appraisal = selectors.get_schedulable_appraisal(request.user, pk)
    interview = selectors.interview_of(appraisal)
    if interview is not None and interview.status != S.CANCELLED:
        return redirect("feedback:interview-detail", pk=interview.pk)
    form = ScheduleForm(
        request.POST or None,
        initial={"version": interview.version if interview else 0},
        prefix="slot",
    )
    done = submit(
        request,
        form,
        lambda data: services.schedule_interview(
            actor=request.user,
            appraisal=appraisal,
            slot=form.slot(),
            expected_version=data["version"],
        ),
        _("Interview scheduled. %(name)s has been sent the invitation.")
        % {"name": appraisal.participation.employee.full_name},
    )
    if done.saved:
        return redirect("feedback:interview-detail", pk=done.result.pk)
    status = done.status
    return render(
        request,
        "feedback/interview_schedule.html",
        {
            "appraisal": appraisal,
            "cycle": appraisal.participation.cycle,
            "person": appraisal.participation.employee,
            "interview": interview,
            "form": form,
            "released": appraisal.released_at is not None,
        },
        status=status,
    )


# --- My interview ------------------------------------------------------------------------------


def interview_mine(request):
    appraisals = selectors.my_released_appraisals(request.user)
    appraisal = selectors.choose_appraisal(appraisals, int_param(request, "cycle"))
    interview = selectors.interview_of(appraisal) if appraisal else None
    if interview is not None:
        return _render(
            request, interview, cycle_choices=[a.participation.cycle for a in appraisals]
        )
    return render(
        request,
        "feedback/interview_mine_empty.html",
        {
            "appraisal": appraisal,
            "cycle": appraisal.participation.cycle if appraisal else None,
            "cycle_choices": [a.participation.cycle for a in appraisals],
        },
    )


# --- The reviewer's list --------------------------------------------------------------------


def interview_team(request):
    cycles = selectors.team_cycles(request.user)
    if not cycles:
        return render(request, "feedback/interview_team_empty.html", {})
    cycle = pick_cycle(cycles, int_param(request, "cycle"))
    team = selectors.team_interviews(
        request.user, cycle, today=timezone.localdate(), page=request.GET.get("page")
    )
    return render(
        request,
        "feedback/interview_team.html",
        {
            "cycle": cycle,
            "cycle_choices": cycles,
            "team": team,
            "page": team.page,
            "labels": selectors.group_labels(),
        },
    )


# --- HR: interview completion ------------------------------------------------------------------


@hr_required
def interview_completion(request):
    cycles = selectors.completion_cycles()
    if not cycles:
        return render(request, "feedback/interview_completion_empty.html", {})
    cycle = pick_cycle(cycles, int_param(request, "cycle"))
    today = timezone.localdate()
    rules = selectors.settings_for(cycle)
    lines, total = selectors.completion_by_department(cycle, today=today, rules=rules)
    labels = selectors.group_labels()
    none = _("No department")
    departments = [line.name if line.name != none else "" for line in lines]
    filters = CompletionFilterForm(request.GET or None, groups=labels, departments=departments)
    data = filters.cleaned_data if filters.is_valid() else {}
    department = data.get("department") or None
    if department == "-":
        department = ""
    group = data.get("group") or ""
    page = get_page_by_groups(
        None,
        request.GET.get("page"),
        per_page=ORGANISATION_PAGE_SIZE,
        field=selectors.COMPLETION_GROUPED_BY,
        groups=selectors.completion_groups(lines, group=group, department=department),
        read=lambda first, last, skip, count: selectors.completion_page(
            cycle, group=group, first=first, last=last, skip=skip, count=count
        ),
    )
    rows = [selectors.completion_row(values) for values in page]
    due = selectors.interviews_due(cycle, rules)
    late = bool(due and due < today and total.held < total.total)
    return render(
        request,
        "feedback/interview_completion.html",
        {
            "cycle": cycle,
            "cycle_choices": cycles,
            "head_html": rendered_once(
                "feedback/interview_completion_head.html",
                (
                    cycle.pk,
                    tuple((c.pk, c.name, c.phase) for c in cycles),
                    due,
                    late,
                ),
                {"cycle": cycle, "cycle_choices": cycles, "due": due, "late": late},
            ),
            "lines": lines,
            "total": total,
            "departments_html": rendered_once(
                "feedback/interview_completion_departments.html",
                (
                    cycle.pk,
                    tuple(tuple(vars(line).values()) for line in lines),
                    tuple(vars(total).values()),
                ),
                {"cycle": cycle, "labels": labels, "lines": lines, "total": total},
            ),
            "filters": filters,
            "filters_html": rendered_once(
                "feedback/interview_completion_filters.html",
                (
                    cycle.pk,
                    tuple(departments),
                    filters.is_bound,
                    filters["group"].value(),
                    filters["department"].value(),
                ),
                {"cycle": cycle, "filters": filters},
            ),
            "page": page,
            "rows": [(row, selectors.group_of(row.current_interview)) for row in rows],
            "labels": labels,
            "due": due,
            "today": today,
        },
    )


urlpatterns = [
    path("interview/", interview_mine, name="interview-mine"),
    path("interviews/", interview_team, name="interview-team"),
    path("interviews/<int:pk>/", interview_detail, name="interview-detail"),
    path("interviews/<int:pk>/reschedule/", interview_reschedule, name="interview-reschedule"),
    path("interviews/<int:pk>/cancel/", interview_cancel, name="interview-cancel"),
    path("interviews/<int:pk>/notes/", interview_notes, name="interview-notes"),
    path("interviews/<int:pk>/record/", interview_record, name="interview-record"),
    path("interviews/<int:pk>/calendar.ics", interview_calendar, name="interview-calendar"),
    path("appraisals/<int:pk>/interview/", interview_schedule, name="interview-schedule"),
    path("hr/interviews/", interview_completion, name="interview-completion"),
]
