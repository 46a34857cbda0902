"""Deviation pages: my deviations, the team's (HR: everyone's), one deviation and its
actions (agree a corrective action, resolve, accept the shortfall). Thin: parse, fetch
through implementation.selectors (outside a user's scope is a 404), call one service,
then redirect or render."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from implementation import selectors
from implementation.forms.deviations import (
    AcceptForm,
    CorrectiveActionForm,
    DeviationFilterForm,
    ResolveForm,
)
from implementation.selectors import deviations as deviation_selectors
from implementation.services import deviations as services
from perfcycle import access, paging
from perfcycle.views import attach_errors
from perfcycle.workflow import ConcurrentEditError

PAGE_SIZE = 50


def _list(request, qs, *, template: str, hr: bool = False, **context):
    filters = DeviationFilterForm(request.GET or None, with_department=hr)
    chosen = filters.values()
    counts = deviation_selectors.list_counts(qs, everyone=hr, department=chosen["department"])
    sort = request.GET.get("sort", "detected")
    rows = deviation_selectors.sort_deviations(
        deviation_selectors.filter_deviations(qs, **chosen), sort
    )
    page = paging.get_page(
        rows,
        deviation_selectors.deviation_rows(),
        request.GET.get("page"),
        per_page=paging.ORGANISATION_PAGE_SIZE if hr else PAGE_SIZE,
        total=deviation_selectors.list_total(
            counts, status=chosen["status"], severity=chosen["severity"]
        ),
    )
    query = request.GET.copy()
    for name in ("sort", "page"):
        query.pop(name, None)
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "chosen": chosen,
            "counts": counts,
            "hr": hr,
            "sort": sort if sort in deviation_selectors.DEVIATION_SORTS else "detected",
            "filter_query": query.urlencode(),
            **context,
        },
    )


def my_deviations(request):
    if access.employee_of(request.user) is None:
        raise Http404
    return _list(
        request,
        deviation_selectors.my_deviations(request.user),
        template="implementation/deviation_list.html",
        mine=True,
    )


def team_deviations(request):
    hr = access.is_hr(request.user)
    if not hr and not deviation_selectors.reviews_anyone(request.user):
        raise Http404
    return _list(
        request,
        deviation_selectors.team_deviations(request.user),
        template="implementation/deviation_list.html",
        hr=hr,
        mine=False,
    )


def _render_detail(request, deviation, *, status: int = 200, **forms):
    goal = deviation.goal
    goal.cycle = deviation.participation.cycle  # the same cycle: saves a query
    actions = deviation_selectors.deviation_actions(request.user, deviation)
    is_owner = services.is_owner(request.user, deviation)
    today = timezone.localdate()
    history = list(deviation_selectors.deviation_history(deviation))
    for event in history:
        follow_up = event.after.get("follow_up_date") if event.after else None
        event.follow_up = dt.date.fromisoformat(follow_up) if follow_up else None
    context = {
        "deviation": deviation,
        "goal": goal,
        "cycle": goal.cycle,
        "today": today,
        "is_owner": is_owner,
        "reviewer_name": deviation.participation.reviewer.full_name
        if deviation.participation.reviewer
        else _("the reviewer"),
        "gap_detected": deviation.expected_percent - deviation.actual_percent,
        "now": services.assess_goal(goal, today=today),
        "history": history,
        "actions": actions,
        "agree_form": forms.get("agree_form")
        or (
            CorrectiveActionForm(deviation=deviation, owner_viewing=is_owner)
            if actions.agree
            else None
        ),
        "resolve_form": forms.get("resolve_form")
        or ResolveForm(initial={"version": deviation.version}),
        "accept_form": forms.get("accept_form")
        or AcceptForm(initial={"version": deviation.version}),
    }
    return render(request, "implementation/deviation_detail.html", context, status=status)


def deviation_detail(request, pk):
    return _render_detail(request, selectors.get_deviation_for(request.user, pk))


def _act(request, deviation, form, call, success: str, form_name: str):
    """Run a workflow service for a valid form; refusals come back next to the field
    (400), a state refusal as a message, an out-of-date form (stale or missing version:
    nothing saved) as a message on the page shown again with what was typed (409)."""
    if form.is_valid():
        try:
            call(form)
        except PermissionDenied as error:
            raise Http404 from error
        except ConcurrentEditError as error:
            messages.error(request, " ".join(error.messages))
            return _render_detail(request, deviation, status=409, **{form_name: form})
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect(deviation)
            attach_errors(form, error)
        else:
            messages.success(request, success)
            return redirect(deviation)
    return _render_detail(request, deviation, status=400, **{form_name: form})


@require_POST
def deviation_agree(request, pk):
    deviation = selectors.get_deviation_for(request.user, pk)
    if not services.may_agree(request.user, deviation):
        raise Http404
    return _act(
        request,
        deviation,
        CorrectiveActionForm(
            request.POST,
            deviation=deviation,
            owner_viewing=services.is_owner(request.user, deviation),
        ),
        lambda form: services.agree_corrective_action(
            actor=request.user,
            deviation=deviation,
            action=form.cleaned_data["corrective_action"],
            follow_up_date=form.cleaned_data["follow_up_date"],
            checkin=form.checkin,
            expected_version=form.cleaned_data.get("version"),
        ),
        _("Corrective action saved. You both get a reminder on the follow-up date."),
        "agree_form",
    )


@require_POST
def deviation_resolve(request, pk):
    deviation = selectors.get_deviation_for(request.user, pk)
    if not services.may_decide(request.user, deviation):
        raise Http404
    return _act(
        request,
        deviation,
        ResolveForm(request.POST),
        lambda form: services.resolve_deviation(
            actor=request.user,
            deviation=deviation,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data.get("version"),
        ),
        _("Deviation resolved."),
        "resolve_form",
    )


@require_POST
def deviation_accept(request, pk):
    deviation = selectors.get_deviation_for(request.user, pk)
    if not services.may_decide(request.user, deviation):
        raise Http404
    return _act(
        request,
        deviation,
        AcceptForm(request.POST),
        lambda form: services.accept_deviation(
            actor=request.user,
            deviation=deviation,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
        ),
        _("Shortfall accepted; the deviation is closed."),
        "accept_form",
    )


urlpatterns = [
    path("deviations/", my_deviations, name="my-deviations"),
    path("deviations/team/", team_deviations, name="team-deviations"),
    path("deviations/<int:pk>/", deviation_detail, name="deviation-detail"),
    path("deviations/<int:pk>/agree/", deviation_agree, name="deviation-agree"),
    path("deviations/<int:pk>/resolve/", deviation_resolve, name="deviation-resolve"),
    path("deviations/<int:pk>/accept/", deviation_accept, name="deviation-accept"),
]
