"""Goal workflow pages: my goals, a goal and its actions, the team page, adjustments and
HR's planning progress. Thin: parse, fetch through goals.selectors (outside a user's
scope is a 404), call one service, then redirect or render."""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from goals import selectors, tasks
from goals.forms.workflow import (
    AdjustmentForm,
    BulkReviewForm,
    CommentForm,
    DecisionForm,
    GoalAssignForm,
    GoalForm,
    PlanningProgressFilterForm,
    RejectForm,
    ReturnForm,
    TeamFilterForm,
)
from goals.models import AdjustmentStatus, GoalLevel
from goals.origins import origin_of
from goals.services import adjustments
from goals.services import workflow as services
from perfcycle import access, paging
from perfcycle.models import Cycle, Participation
from perfcycle.stages import running_first, viewer_for
from perfcycle.views import attach_errors, hr_required, submit
from perfcycle.views import int_param as _int_param

logger = logging.getLogger(__name__)


def _back(request, default: str) -> str:
    """Where a POST action returns to: the page it came from (same host only)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- My goals ---------------------------------------------------------------------------


def my_goals(request):
    viewer = viewer_for(request)
    participation = viewer.participation_for(_int_param(request, "cycle"))
    cycle = participation.cycle if participation else None
    goals = list(selectors.my_goals(participation.employee, cycle)) if participation else []
    return render(
        request,
        "goals/my_goals.html",
        {
            "participation": participation,
            "cycle": cycle,
            "groups": selectors.group_by_status(goals),
            "weights": selectors.weight_summary(goals),
            "goal_count": len(goals),
            "can_plan": cycle is not None and cycle.phase == Cycle.Phase.PLANNING,
            "cycle_choices": viewer.cycle_choices,
        },
    )


# --- Creating and editing ---------------------------------------------------------------


def goal_create(request):
    cycle = selectors.current_cycle_for(request.user, _int_param(request, "cycle"))
    if cycle is None or cycle.phase != Cycle.Phase.PLANNING:
        messages.error(request, _("No cycle of yours is in planning, so goals cannot be drafted."))
        return redirect("goals:my-goals")
    levels = selectors.creatable_levels(request.user, cycle)
    level = request.GET.get("level") or (levels[0] if levels else "")
    if level not in levels:
        raise Http404
    form = GoalForm(request.POST or None, user=request.user, cycle=cycle, level=level)
    done = submit(
        request,
        form,
        lambda data: services.create_goal(
            actor=request.user,
            cycle=cycle,
            level=level,
            data=data,
            department=data.get("department"),
        ),
        lambda goal: _("Goal “%(title)s” saved.") % {"title": goal.title},
    )
    if done.saved:
        return redirect(done.result)
    return render(
        request,
        "goals/goal_form.html",
        {
            "form": form,
            "cycle": cycle,
            "level": level,
            "levels": [(value, GoalLevel(value).label) for value in levels],
        },
        status=done.status,
    )


def goal_assign(request):
    if not selectors.is_reviewer(request.user):
        raise Http404
    cycle = selectors.reviewing_cycle_for(request.user, _int_param(request, "cycle"))
    if cycle is None or cycle.phase != Cycle.Phase.PLANNING:
        messages.error(request, _("No cycle of your team is in planning."))
        return redirect("goals:team-goals")
    form = GoalAssignForm(request.POST or None, user=request.user, cycle=cycle)
    done = submit(
        request,
        form,
        lambda data: services.assign_goal(
            actor=request.user, cycle=cycle, owner=data["owner"], data=data
        ),
        lambda goal: (
            _("Goal “%(title)s” assigned to %(name)s.")
            % {"title": goal.title, "name": goal.owner.full_name}
        ),
    )
    if done.saved:
        return redirect(done.result)
    return render(
        request,
        "goals/goal_form.html",
        {"form": form, "cycle": cycle, "assign": True},
        status=done.status,
    )


def goal_edit(request, pk):
    goal = selectors.get_goal_from(selectors.goals_editable_by(request.user), pk)
    if not selectors.goal_actions(request.user, goal, pending_adjustment=None).edit:
        messages.error(request, _("This goal cannot be edited now."))
        return redirect(goal)
    form = GoalForm(
        request.POST or None, user=request.user, cycle=goal.cycle, level=goal.level, goal=goal
    )
    done = submit(
        request,
        form,
        lambda data: services.update_goal(
            actor=request.user, goal=goal, data=data, expected_version=data.get("version")
        ),
        _("Goal saved."),
    )
    if done.saved:
        return redirect(goal)
    return render(
        request,
        "goals/goal_form.html",
        {"form": form, "cycle": goal.cycle, "goal": goal, "level": goal.level},
        status=done.status,
    )


# --- A goal's page ------------------------------------------------------------------------


def _owns(request, goal) -> bool:
    employee = access.employee_of(request.user)
    return employee is not None and goal.owner_id == employee.pk


def _render_goal(request, goal, *, status: int = 200, **forms):
    adjustments = list(goal.adjustments.select_related("requested_by", "decided_by"))
    pending = next((a for a in adjustments if a.status == AdjustmentStatus.PENDING), None)
    context = {
        "goal": goal,
        "chain": selectors.alignment_chain(request.user, goal),
        "children": selectors.aligned_children(request.user, goal),
        "comments": list(goal.comments.select_related("author")),
        "versions": goal.versions.select_related("changed_by").order_by("-number"),
        "adjustments": adjustments,
        "pending_adjustment": pending,
        "actions": selectors.goal_actions(request.user, goal, pending_adjustment=pending),
        "origin": origin_of(goal, for_owner=_owns(request, goal)),
        "return_form": forms.get("return_form") or ReturnForm(),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "decision_form": DecisionForm(),
        "reject_form": forms.get("reject_form") or RejectForm(),
    }
    return render(request, "goals/goal_detail.html", context, status=status)


def _visible_goal(request, pk):
    scope = selectors.goals_visible_to(request.user).select_related(
        "department", "indicator", "parent", "created_by"
    )
    return selectors.get_goal_from(scope, pk)


def goal_detail(request, pk):
    return _render_goal(request, _visible_goal(request, pk))


def _run(request, action, success: str) -> bool:
    """Call a service; its refusal becomes a message (never a silent no-op)."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    messages.success(request, success)
    return True


@require_POST
def goal_submit(request, pk):
    goal = selectors.get_goal_from(selectors.goals_owned_by(request.user), pk)
    _run(
        request,
        lambda: services.submit_goal(actor=request.user, goal=goal),
        _("“%(title)s” was sent for approval.") % {"title": goal.title},
    )
    return redirect(_back(request, goal.get_absolute_url()))


@require_POST
def goal_approve(request, pk):
    goal = selectors.get_goal_from(selectors.goals_reviewable_by(request.user), pk)
    _run(
        request,
        lambda: services.approve_goal(actor=request.user, goal=goal),
        _("“%(title)s” approved.") % {"title": goal.title},
    )
    return redirect(_back(request, goal.get_absolute_url()))


@require_POST
def goal_return(request, pk):
    goal = selectors.get_goal_from(selectors.goals_reviewable_by(request.user), pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.return_goal(
                actor=request.user, goal=goal, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect(goal)
            attach_errors(form, error)
        else:
            messages.success(
                request, _("“%(title)s” returned with your comment.") % {"title": goal.title}
            )
            return redirect(_back(request, goal.get_absolute_url()))
    return _render_goal(request, _visible_goal(request, pk), status=400, return_form=form)


@require_POST
def goal_delete(request, pk):
    goal = selectors.get_goal_from(selectors.goals_editable_by(request.user), pk)
    deleted = _run(
        request,
        lambda: services.delete_goal(actor=request.user, goal=goal),
        _("“%(title)s” deleted.") % {"title": goal.title},
    )
    if not deleted:
        return redirect(goal)
    return redirect(f"{reverse('goals:my-goals')}?cycle={goal.cycle_id}")


@require_POST
def goal_comment(request, pk):
    goal = _visible_goal(request, pk)
    form = CommentForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: services.add_comment(actor=request.user, goal=goal, body=data["body"]),
        _("Comment added."),
    )
    if done.saved:
        return redirect(f"{goal.get_absolute_url()}#comments")
    return _render_goal(request, goal, status=done.status, comment_form=form)


# --- Adjustments ------------------------------------------------------------------------------


def adjustment_request(request, pk):
    goal = selectors.get_goal_from(selectors.goals_adjustable_by(request.user), pk)
    form = AdjustmentForm(request.POST or None, goal=goal)
    done = submit(
        request,
        form,
        lambda data: adjustments.request_adjustment(actor=request.user, goal=goal, data=data),
        _("Your request was sent for a decision."),
    )
    if done.saved:
        return redirect(goal)
    return render(
        request,
        "goals/adjustment_form.html",
        {"form": form, "goal": goal},
        status=done.status,
    )


@require_POST
def adjustment_approve(request, pk):
    adjustment = selectors.get_adjustment_for(request.user, pk)
    form = DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    _run(
        request,
        lambda: adjustments.approve_adjustment(
            actor=request.user, adjustment=adjustment, comment=comment
        ),
        _("Adjustment approved; the goal now has the new values."),
    )
    return redirect(adjustment.goal)


@require_POST
def adjustment_reject(request, pk):
    adjustment = selectors.get_adjustment_for(request.user, pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: adjustments.reject_adjustment(
                actor=request.user, adjustment=adjustment, comment=form.cleaned_data["comment"]
            ),
            _("Adjustment declined."),
        )
        return redirect(adjustment.goal)
    goal = _visible_goal(request, adjustment.goal_id)
    return _render_goal(request, goal, status=400, reject_form=form)


# --- The team page ------------------------------------------------------------------------


def _team_cycles(request) -> tuple:
    """The team page's cycles (once per request) and the one it shows."""
    cycles = list(selectors.reviewing_cycles(request.user, viewer=viewer_for(request)))
    return cycles, selectors.reviewing_cycle_for(
        request.user, _int_param(request, "cycle"), cycles=cycles
    )


def _render_team(request, cycle, review_form, *, status: int = 200, cycles=None):
    filters = TeamFilterForm(request.GET or None)
    goal_status = (filters.cleaned_data["status"] if filters.is_valid() else "") or None
    if cycles is None:
        cycles = selectors.reviewing_cycles(request.user, viewer=viewer_for(request))
    context = {
        "cycle": cycle,
        "cycle_choices": running_first(cycles),
        "filters": filters,
        "goal_status": goal_status or "",
        "review_form": review_form,
        "page": None,
        "rows": [],
        "adjustments": [],
    }
    if cycle is not None:
        page = selectors.team_page(request.user, cycle, request.GET.get("page"), status=goal_status)
        by_owner: dict[int, list] = {}
        owners = [p.employee_id for p in page]
        for goal in selectors.team_goal_rows(cycle, owners, status=goal_status):
            by_owner.setdefault(goal["owner_id"], []).append(goal)
        context.update(
            page=page,
            rows=[(p, by_owner.get(p.employee_id, [])) for p in page],
            adjustments=selectors.pending_adjustments_for(request.user, cycle),
            can_plan=cycle.phase == Cycle.Phase.PLANNING,
        )
    return render(request, "goals/team_goals.html", context, status=status)


def team_goals(request):
    if not selectors.is_reviewer(request.user):
        raise Http404
    cycles, cycle = _team_cycles(request)
    return _render_team(request, cycle, BulkReviewForm(), cycles=cycles)


@require_POST
def team_goals_review(request):
    if not selectors.is_reviewer(request.user):
        raise Http404
    cycles, cycle = _team_cycles(request)
    form = BulkReviewForm(request.POST)
    if not form.is_valid():
        return _render_team(request, cycle, form, status=400, cycles=cycles)
    data = form.cleaned_data
    if data["action"] == BulkReviewForm.APPROVE:
        outcome = services.bulk_approve_goals(actor=request.user, goal_ids=data["goal"])
        done = ngettext("%(count)s goal approved.", "%(count)s goals approved.", len(outcome.done))
    else:
        outcome = services.bulk_return_goals(
            actor=request.user, goal_ids=data["goal"], comment=data["comment"]
        )
        done = ngettext("%(count)s goal returned.", "%(count)s goals returned.", len(outcome.done))
    if outcome.done:
        messages.success(request, done % {"count": len(outcome.done)})
    for skipped in outcome.skipped:
        messages.warning(
            request,
            _("Skipped “%(title)s”: %(reason)s")
            % {"title": skipped.title or f"#{skipped.goal_id}", "reason": skipped.reason},
        )
    return redirect(f"{reverse('goals:team-goals')}?{request.GET.urlencode()}")


# --- Planning progress (HR) ---------------------------------------------------------------


@hr_required
def planning_progress(request):
    cycles = list(selectors.open_cycles_for(request.user).order_by("-start_date", "-pk"))
    cycle = selectors.current_cycle_among(cycles, _int_param(request, "cycle"))
    form = PlanningProgressFilterForm(request.GET or None)
    context = {
        "cycle": cycle,
        "cycles": cycles,
        "form": form,
        "page": None,
    }
    if cycle is not None:
        sort, data = "name", {}
        if form.is_valid():
            data = form.cleaned_data
            sort = data["sort"] or sort
        # The readiness of every participant is worked out only when the list is filtered
        # or sorted by it; a page by name or department reads 50 people's goals.
        by_readiness = bool(data.get("status")) or sort in ("goals", "weight", "pending")
        rows = (
            selectors.planning_readiness(cycle)
            if by_readiness
            else Participation.objects.filter(cycle=cycle)
        )
        if data.get("q"):
            rows = rows.filter(
                Q(employee__user__first_name__icontains=data["q"])
                | Q(employee__user__last_name__icontains=data["q"])
            )
        if data.get("status"):
            rows = rows.filter(readiness=data["status"])
        if data.get("department"):
            rows = rows.filter(employee__department=data["department"])
        rows = rows.order_by(*PlanningProgressFilterForm.SORTS[sort])
        counts = selectors.readiness_counts(cycle)
        context.update(
            page=paging.get_page(
                rows,
                selectors.planning_readiness(cycle),
                request.GET.get("page"),
                per_page=paging.ORGANISATION_PAGE_SIZE,
                # unless narrowed to a name or department, the stored counts give its size
                total=None
                if data.get("q") or data.get("department")
                else counts[data.get("status") or "total"],
            ),
            counts=counts,
            blockers=(
                selectors.planning_blockers(cycle) if cycle.phase == Cycle.Phase.PLANNING else []
            ),
            sort=sort,
        )
    return render(request, "goals/planning_progress.html", context, status=200)


@require_POST
@hr_required
def planning_remind(request, cycle_pk):
    cycle = access.get_cycle_for(request.user, cycle_pk)
    back = f"{reverse('goals:planning-progress')}?cycle={cycle.pk}"
    if cycle.phase != Cycle.Phase.PLANNING:
        messages.error(request, _("Reminders are only sent while the cycle is in planning."))
        return redirect(back)
    try:
        tasks.send_planning_reminders.delay(cycle.pk, actor_id=request.user.pk)
    except Exception:  # noqa: BLE001 - any broker failure; nothing was sent, say so
        logger.warning("Broker unavailable; planning reminders for cycle %s not queued", cycle.pk)
        messages.error(
            request, _("Reminders could not be queued just now. Please try again in a minute.")
        )
    else:
        messages.success(
            request,
            _(
                "Reminders are on their way to everyone who is not ready. "
                "Nobody gets more than one a day."
            ),
        )
    return redirect(back)


urlpatterns = [
    path("my-goals/", my_goals, name="my-goals"),
    path("goals/new/", goal_create, name="goal-create"),
    path("goals/<int:pk>/", goal_detail, name="goal-detail"),
    path("goals/<int:pk>/edit/", goal_edit, name="goal-edit"),
    path("goals/<int:pk>/submit/", goal_submit, name="goal-submit"),
    path("goals/<int:pk>/approve/", goal_approve, name="goal-approve"),
    path("goals/<int:pk>/return/", goal_return, name="goal-return"),
    path("goals/<int:pk>/delete/", goal_delete, name="goal-delete"),
    path("goals/<int:pk>/comment/", goal_comment, name="goal-comment"),
    path("goals/<int:pk>/adjust/", adjustment_request, name="adjustment-request"),
    path("adjustments/<int:pk>/approve/", adjustment_approve, name="adjustment-approve"),
    path("adjustments/<int:pk>/reject/", adjustment_reject, name="adjustment-reject"),
    path("team/", team_goals, name="team-goals"),
    path("team/review/", team_goals_review, name="team-goals-review"),
    path("team/assign/", goal_assign, name="goal-assign"),
    path("progress/", planning_progress, name="planning-progress"),
    path("progress/<int:cycle_pk>/remind/", planning_remind, name="planning-remind"),
]
