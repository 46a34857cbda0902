"""Check-in pages: my check-ins, a check-in and its conversation, the form, the team board,
HR's participation and settings, and a goal's progress. Thin: parse, fetch through
implementation.selectors (outside a user's scope is a 404), call one service, then
redirect or render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from goals import selectors as goal_selectors
from implementation import selectors
from implementation.forms.checkins import (
    CheckinForm,
    CheckinSettingsForm,
    CommentForm,
    ProgressUpdateForm,
    QuestionForm,
    ResponseForm,
    TeamBoardFilterForm,
)
from implementation.models import CheckinQuestion
from implementation.selectors import checkins as checkin_selectors
from implementation.services import checkins as services
from perfcycle import access
from perfcycle.models import Cycle
from perfcycle.stages import pick_cycle, registry, running_first, viewer_for
from perfcycle.views import hr_required, refusal_status, submit
from perfcycle.views import int_param as _int_param

PAGE_SIZE = 50


# --- My check-ins -----------------------------------------------------------------------


def my_checkins(request):
    participation = checkin_selectors.my_checkin_participation(
        request.user, _int_param(request, "cycle"), viewer=viewer_for(request)
    )
    current, history = (None, [])
    if participation is not None:
        current, history = checkin_selectors.my_checkins(participation, today=timezone.localdate())
    return render(
        request,
        "implementation/my_checkins.html",
        {
            "participation": participation,
            "cycle": participation.cycle if participation else None,
            "cycle_choices": checkin_selectors.my_checkin_cycles(request.user),
            "current": current,
            "history": history,
            "today": timezone.localdate(),
            # What later stages show beside the check-ins (perfcycle.stages.CheckinPanel).
            "checkin_panels": registry.checkin_panels(participation, viewer_for(request))
            if participation is not None
            else [],
        },
    )


# --- A check-in and its conversation ----------------------------------------------------


def _render_checkin(request, checkin, *, status: int = 200, **forms):
    actions = checkin_selectors.checkin_actions(request.user, checkin)
    context = {
        "checkin": checkin,
        "cycle": checkin.participation.cycle,
        "actions": actions,
        "is_participant": checkin_selectors.is_checkin_participant(request.user, checkin),
        "response_form": forms.get("response_form")
        or ResponseForm(
            initial={"manager_reply": checkin.manager_reply, "version": checkin.version}
        ),
        "comment_form": forms.get("comment_form") or CommentForm(),
        **checkin_selectors.checkin_thread(checkin),
        # What later stages show beside the check-in (perfcycle.stages.CheckinPanel).
        "checkin_panels": registry.checkin_panels(checkin.participation, viewer_for(request)),
    }
    return render(request, "implementation/checkin_detail.html", context, status=status)


def checkin_detail(request, pk):
    return _render_checkin(request, selectors.get_checkin_for(request.user, pk))


def _render_form(request, checkin, form, *, status: int = 200):
    return render(
        request,
        "implementation/checkin_form.html",
        {
            "checkin": checkin,
            "cycle": checkin.participation.cycle,
            "form": form,
            "late": timezone.localdate() > checkin.due_date,
        },
        status=status,
    )


def _checkin_form(request, checkin, *, submitting: bool = False):
    return CheckinForm(
        request.POST if request.method == "POST" else None,
        checkin=checkin,
        goals=checkin_selectors.checkin_goals(checkin),
        questions=checkin_selectors.checkin_questions(checkin.participation.cycle),
        submitting=submitting,
    )


def _editable(request, pk):
    """The user's own check-in, if it can still be filled in; else None (with a message)."""
    checkin = checkin_selectors.checkin_for_form(request.user, pk)
    if not checkin_selectors.checkin_actions(request.user, checkin).edit:
        messages.error(request, _("This check-in can no longer be changed."))
        return checkin, False
    return checkin, True


def checkin_edit(request, pk):
    checkin, editable = _editable(request, pk)
    if not editable:
        return redirect(checkin)
    form = _checkin_form(request, checkin)
    done = submit(
        request,
        form,
        lambda data: services.save_checkin_draft(
            actor=request.user,
            checkin=checkin,
            data=form.service_data(),
            expected_version=data.get("version"),
        ),
        _("Draft saved. Submit it when it is complete."),
    )
    if done.saved:
        return redirect("implementation:checkin-edit", pk=checkin.pk)
    return _render_form(request, checkin, form, status=done.status)


@require_POST
def checkin_submit(request, pk):
    checkin, editable = _editable(request, pk)
    if not editable:
        return redirect(checkin)
    form = _checkin_form(request, checkin, submitting=True)
    done = submit(
        request,
        form,
        lambda data: services.submit_checkin(
            actor=request.user,
            checkin=checkin,
            data=form.service_data(),
            expected_version=data.get("version"),
        ),
    )
    if done.saved:
        submitted = done.result
        if submitted.is_late:
            messages.warning(request, _("Check-in submitted, after its due date: marked late."))
        else:
            messages.success(request, _("Check-in submitted. Your reviewer has been told."))
        return redirect(submitted)
    return _render_form(request, checkin, form, status=done.status)


def _run(request, action, success: str) -> bool:
    """Call a service; its refusal becomes a message (never a silent no-op)."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    messages.success(request, success)
    return True


def _respondable(request, pk):
    """A check-in the user may respond to (its reviewer or HR); else 404 like any other
    check-in out of reach."""
    checkin = selectors.get_checkin_for(request.user, pk)
    if not checkin_selectors.may_respond_to_checkin(request.user, checkin):
        raise Http404
    return checkin


@require_POST
def checkin_review(request, pk):
    """Mark reviewed, with the reply in the box (if any) as the reviewer's reply."""
    checkin = _respondable(request, pk)
    form = ResponseForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    try:
        services.review_checkin(
            actor=request.user,
            checkin=checkin,
            reply=data.get("manager_reply", ""),
            expected_version=data.get("version"),
        )
    except ValidationError as error:
        # The page comes back with the reason and the typed reply (nothing is lost).
        messages.error(request, " ".join(error.messages))
        checkin = selectors.get_checkin_for(request.user, pk)  # as it is now
        return _render_checkin(request, checkin, status=refusal_status(error), response_form=form)
    messages.success(
        request,
        _("Check-in marked reviewed. %(name)s has been told.")
        % {"name": checkin.participation.employee.full_name},
    )
    return redirect(checkin)


@require_POST
def checkin_reply(request, pk):
    """Send the reply and keep the check-in open for review."""
    checkin = _respondable(request, pk)
    form = ResponseForm(request.POST, sending=True)
    done = submit(
        request,
        form,
        lambda data: services.reply_to_checkin(
            actor=request.user,
            checkin=checkin,
            reply=data["manager_reply"],
            expected_version=data.get("version"),
        ),
        _("Reply sent. %(name)s has been told.")
        % {"name": checkin.participation.employee.full_name},
    )
    if done.saved:
        return redirect(checkin)
    return _render_checkin(request, checkin, status=done.status, response_form=form)


@require_POST
def checkin_comment(request, pk):
    checkin = selectors.get_checkin_for(request.user, pk)
    if not checkin_selectors.may_comment_on_checkin(request.user, checkin):
        raise Http404  # readers up the chain follow the thread but do not write in it
    form = CommentForm(request.POST)

    def save(data):
        if not data["follow_up"]:
            services.add_checkin_comment(actor=request.user, checkin=checkin, body=data["body"])
            return _("Comment added.")
        if not checkin_selectors.may_respond_to_checkin(request.user, checkin):
            raise Http404
        services.ask_follow_up(actor=request.user, checkin=checkin, body=data["body"])
        return _("Follow-up question sent.")

    done = submit(request, form, save, success=lambda message: message)
    if done.saved:
        return redirect(f"{checkin.get_absolute_url()}#comments")
    return _render_checkin(request, checkin, status=done.status, comment_form=form)


# --- The team board ---------------------------------------------------------------------


def team_board(request):
    cycles = running_first(checkin_selectors.checkin_reviewing_cycles(request.user))
    if not cycles:
        raise Http404
    cycle = pick_cycle(cycles, _int_param(request, "cycle"))
    today = timezone.localdate()
    period = checkin_selectors.checkin_period(cycle, today)
    period_start = period[0] if period else None
    filters = TeamBoardFilterForm(request.GET or None)
    status = (filters.cleaned_data["status"] if filters.is_valid() else "") or ""
    board = checkin_selectors.team_board(
        request.user, cycle, period_start=period_start, status=status
    )
    page = Paginator(board.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "implementation/team_board.html",
        {
            "cycle": cycle,
            "cycle_choices": cycles,
            "period": period,
            "status": status,
            "statuses": filters.fields["status"].choices[1:],
            "page": page,
            "rows": page.object_list,
            "counts": board.counts,
            "earlier": list(
                checkin_selectors.checkins_awaiting_review(request.user, cycle, before=period_start)
            ),
        },
    )


# --- HR: participation and settings -------------------------------------------------------


def _hr_cycle(request):
    cycles = Cycle.objects.exclude(phase=Cycle.Phase.PLANNING).order_by("-start_date", "-pk")
    cycle_id = _int_param(request, "cycle")
    if cycle_id is not None:
        return get_object_or_404(cycles, pk=cycle_id), cycles
    return cycles.filter(phase=Cycle.Phase.IMPLEMENTATION).first() or cycles.first(), cycles


@hr_required
def checkin_participation(request):
    cycle, cycles = _hr_cycle(request)
    context = {
        "cycle": cycle,
        "cycles": cycles,
        "period": None,
        "current": None,
        "periods": [],
        "rows": [],
        "total": None,
    }
    if cycle is not None:
        today = timezone.localdate()
        current = checkin_selectors.checkin_period(cycle, today)
        periods = checkin_selectors.checkin_periods_started(cycle, today)
        chosen = request.GET.get("period")
        period = next((p for p in periods if p[0].isoformat() == chosen), None)
        period = period or current or (periods[-1] if periods else None)
        rows, total = checkin_selectors.checkin_participation(
            cycle, period_start=period[0] if period else None
        )
        context.update(
            period=period,
            current=current,
            periods=list(reversed(periods)),
            rows=rows,
            total=total,
        )
    return render(request, "implementation/checkin_participation.html", context)


def _render_settings(request, cycle, *, form=None, question_form=None, status: int = 200):
    settings = checkin_selectors.checkin_settings_for(cycle)
    return render(
        request,
        "implementation/checkin_settings.html",
        {
            "cycle": cycle,
            "form": form or CheckinSettingsForm(instance=settings),
            "question_form": question_form or QuestionForm(),
            "questions": list(checkin_selectors.checkin_questions(cycle, active_only=False)),
        },
        status=status,
    )


@hr_required
def checkin_settings(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    if request.method != "POST":
        return _render_settings(request, cycle)
    form = CheckinSettingsForm(request.POST, instance=checkin_selectors.checkin_settings_for(cycle))
    done = submit(
        request,
        form,
        lambda data: services.update_checkin_settings(actor=request.user, cycle=cycle, data=data),
        _("Check-in settings saved."),
    )
    if done.saved:
        return redirect("implementation:checkin-settings", cycle_id=cycle.pk)
    return _render_settings(request, cycle, form=form, status=done.status)


@require_POST
@hr_required
def checkin_question_create(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    form = QuestionForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: services.add_checkin_question(
            actor=request.user, cycle=cycle, text=data["text"]
        ),
        _("Question added."),
    )
    if done.saved:
        return redirect(f"{reverse('implementation:checkin-settings', args=[cycle.pk])}#questions")
    return _render_settings(request, cycle, question_form=form, status=done.status)


@require_POST
@hr_required
def checkin_question_move(request, pk):
    question = get_object_or_404(CheckinQuestion, pk=pk)
    _run(
        request,
        lambda: services.move_checkin_question(
            actor=request.user, question=question, up=request.POST.get("direction") == "up"
        ),
        _("Question moved."),
    )
    return redirect(
        f"{reverse('implementation:checkin-settings', args=[question.cycle_id])}#questions"
    )


@require_POST
@hr_required
def checkin_question_toggle(request, pk):
    question = get_object_or_404(CheckinQuestion, pk=pk)
    active = not question.is_active
    _run(
        request,
        lambda: services.set_checkin_question_active(
            actor=request.user, question=question, active=active
        ),
        _("Question asked again from now on.")
        if active
        else _("Question deactivated: new check-ins no longer ask it; answers are kept."),
    )
    return redirect(
        f"{reverse('implementation:checkin-settings', args=[question.cycle_id])}#questions"
    )


# --- A goal's progress ------------------------------------------------------------------


def goal_progress(request, goal_id):
    scope = goal_selectors.goals_visible_to(request.user).select_related(
        "cycle", "owner__user", "department"
    )
    goal = goal_selectors.get_goal_from(scope, goal_id)
    may_record = checkin_selectors.may_record_progress(request.user, goal)
    form = ProgressUpdateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not may_record:
        raise Http404
    done = submit(
        request,
        form,
        lambda data: services.add_progress_update(
            actor=request.user,
            goal=goal,
            value=data["value"],
            recorded_on=data["recorded_on"],
            note=data["note"],
        ),
        _("Progress recorded."),
    )
    if done.saved:
        return redirect("implementation:goal-progress", goal_id=goal.pk)
    return render(
        request,
        "implementation/goal_progress.html",
        {
            "goal": goal,
            "cycle": goal.cycle,
            "progress": checkin_selectors.goal_progress(goal, today=timezone.localdate()),
            "form": form,
            "may_record": may_record and goal.cycle.phase == Cycle.Phase.IMPLEMENTATION,
        },
        status=done.status,
    )


urlpatterns = [
    path("checkins/", my_checkins, name="my-checkins"),
    path("checkins/<int:pk>/", checkin_detail, name="checkin-detail"),
    path("checkins/<int:pk>/edit/", checkin_edit, name="checkin-edit"),
    path("checkins/<int:pk>/submit/", checkin_submit, name="checkin-submit"),
    path("checkins/<int:pk>/review/", checkin_review, name="checkin-review"),
    path("checkins/<int:pk>/reply/", checkin_reply, name="checkin-reply"),
    path("checkins/<int:pk>/comment/", checkin_comment, name="checkin-comment"),
    path("team/checkins/", team_board, name="team-board"),
    path("checkins/participation/", checkin_participation, name="checkin-participation"),
    path("cycles/<int:cycle_id>/settings/", checkin_settings, name="checkin-settings"),
    path(
        "cycles/<int:cycle_id>/questions/",
        checkin_question_create,
        name="checkin-question-create",
    ),
    path("questions/<int:pk>/move/", checkin_question_move, name="checkin-question-move"),
    path("questions/<int:pk>/toggle/", checkin_question_toggle, name="checkin-question-toggle"),
    path("goals/<int:goal_id>/progress/", goal_progress, name="goal-progress"),
]
