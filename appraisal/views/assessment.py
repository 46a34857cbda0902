"""Self-assessment, manager review and score breakdown pages: my appraisal, an appraisal
(the person's own page, or the side-by-side review page for the reviewer, the chain above
and HR), the team's appraisals and the breakdown. Thin: parse, fetch through
appraisal.selectors.assessment (outside a user's scope is a 404), call one service, then
redirect or render."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appraisal.forms.assessment import AssessmentForm, TeamFilterForm
from appraisal.selectors import assessment as selectors
from appraisal.selectors.breakdown import breakdown_for, breakdown_rows
from appraisal.services import assessment as services
from perfcycle import access
from perfcycle.paging import ORGANISATION_PAGE_SIZE, get_page_of_ids
from perfcycle.stages import pick_cycle, running_first
from perfcycle.views import int_param
from perfcycle.views import submit as submit_form

PAGE_SIZE = 50


def _form(request, appraisal, items, *, side: str):
    return AssessmentForm(
        request.POST if request.method == "POST" else None,
        appraisal=appraisal,
        items=items,
        evidence=selectors.citable_evidence(request.user, appraisal),
        side=side,
    )


# --- The person's own appraisal ----------------------------------------------------------------


def _render_mine(request, appraisal, *, cycle_choices, form=None, status: int = 200):
    items = form.items if form is not None else selectors.assessment_items(appraisal)
    editable = selectors.may_self_assess(request.user, appraisal)
    if editable and form is None:
        form = _form(request, appraisal, items, side="self")
    released = appraisal.released_at is not None
    return render(
        request,
        "appraisal/my_appraisal.html",
        {
            "appraisal": appraisal,
            "cycle": appraisal.participation.cycle,
            "cycle_choices": cycle_choices,
            "form": form,
            "rows": form.rows() if form is not None else [],
            "items": items,
            "editable": editable,
            "released": released,
            "has_peer_item": selectors.has_peer_item(appraisal),
            "today": timezone.localdate(),
        },
        status=status,
    )


def my_appraisal(request):
    appraisal, mine = selectors.my_appraisal(request.user, int_param(request, "cycle"))
    cycle_choices = [a.participation.cycle for a in mine]
    if appraisal is None:
        return render(request, "appraisal/my_appraisal_empty.html", {"cycle_choices": []})
    return _render_mine(request, appraisal, cycle_choices=cycle_choices)


def appraisal_detail(request, pk):
    appraisal = selectors.get_appraisal_for(request.user, pk)
    if selectors.is_appraisee(request.user, appraisal):
        return _render_mine(request, appraisal, cycle_choices=[])
    return _render_review(request, appraisal)


def _assessment_action(request, pk, *, side: str, submit: bool):
    """Save or submit one side of an appraisal: "self" (only the person) or "manager"
    (only this participation's reviewer; the chain above and HR read the review but get
    a 404 here). A refusal comes back at the fields, with what was typed."""
    appraisal = selectors.get_appraisal_for(request.user, pk)
    mine = selectors.is_appraisee if side == "self" else selectors.is_reviewer
    if not mine(request.user, appraisal):
        raise Http404
    editable = selectors.may_self_assess if side == "self" else selectors.may_review
    if not editable(request.user, appraisal):
        messages.error(request, _("This appraisal cannot be changed now."))
        return redirect(appraisal)
    form = _form(request, appraisal, selectors.assessment_items(appraisal), side=side)
    service = {
        ("self", False): services.save_self_assessment,
        ("self", True): services.submit_self_assessment,
        ("manager", False): services.save_manager_review,
        ("manager", True): services.submit_manager_review,
    }[side, submit]
    done = submit_form(
        request,
        form,
        lambda data: service(
            actor=request.user,
            appraisal=appraisal,
            data=form.service_data(),
            expected_version=data.get("version"),
        ),
        _success(appraisal, side=side, submit=submit),
    )
    if done.saved:
        return redirect(appraisal)
    status = done.status
    if side == "self":
        return _render_mine(request, appraisal, cycle_choices=[], form=form, status=status)
    return _render_review(request, appraisal, form=form, status=status)


def _success(appraisal, *, side: str, submit: bool) -> str:
    if side == "self" and submit:
        return _("Self-assessment submitted. Your manager has been told.")
    if side == "self":
        return _("Draft saved. Submit it when every item is rated.")
    if submit:
        return _("Review of %(name)s submitted: it goes to calibration.") % {
            "name": appraisal.participation.employee.full_name
        }
    return _("Review draft saved.")


@require_POST
def self_save(request, pk):
    return _assessment_action(request, pk, side="self", submit=False)


@require_POST
def self_submit(request, pk):
    return _assessment_action(request, pk, side="self", submit=True)


# --- The review page -------------------------------------------------------------------------


def _render_review(request, appraisal, *, form=None, status: int = 200):
    items = form.items if form is not None else selectors.assessment_items(appraisal)
    reviewing = selectors.may_review(request.user, appraisal)
    if reviewing and form is None:
        form = _form(request, appraisal, items, side="manager")
    today = timezone.localdate()
    contexts = selectors.goal_contexts(items, today=today)
    rows = form.rows() if form is not None else []
    by_item = {row.item.pk: row for row in rows}
    return render(
        request,
        "appraisal/review.html",
        {
            "appraisal": appraisal,
            "cycle": appraisal.participation.cycle,
            "person": appraisal.participation.employee,
            "form": form,
            "entries": [(item, contexts.get(item.goal_id), by_item.get(item.pk)) for item in items],
            "reviewing": reviewing,
            "self_shown": appraisal.status not in selectors.SELF_OPEN,
            "is_reviewer": selectors.is_reviewer(request.user, appraisal),
            "overdue": selectors.is_overdue(appraisal, today),
            "has_peer_item": selectors.has_peer_item(appraisal),
            "today": today,
        },
        status=status,
    )


@require_POST
def review_save(request, pk):
    return _assessment_action(request, pk, side="manager", submit=False)


@require_POST
def review_submit(request, pk):
    return _assessment_action(request, pk, side="manager", submit=True)


# --- The score breakdown ---------------------------------------------------------------------


def appraisal_breakdown(request, pk):
    appraisal = selectors.get_appraisal_for(request.user, pk)
    if not selectors.scores_visible(request.user, appraisal):
        raise Http404  # the appraisee reads it once HR released the ratings
    items = selectors.assessment_items(appraisal)
    breakdown = breakdown_for(appraisal)
    return render(
        request,
        "appraisal/breakdown.html",
        {
            "appraisal": appraisal,
            "cycle": appraisal.participation.cycle,
            "person": appraisal.participation.employee,
            "breakdown": breakdown,
            "lines": breakdown_rows(breakdown, items),
            "is_appraisee": selectors.is_appraisee(request.user, appraisal),
        },
    )


# --- Team appraisals -------------------------------------------------------------------------


def team_appraisals(request):
    scope = selectors.team_scope(request.user)
    cycles = running_first(selectors.team_cycles(scope))
    if not cycles:
        return render(request, "appraisal/team_appraisals_empty.html", {"cycle_choices": []})
    cycle = pick_cycle(cycles, int_param(request, "cycle"))
    filters = TeamFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    wanted = {
        "status": data.get("status") or "",
        "overdue": bool(data.get("overdue")),
        "mine": bool(data.get("mine")),
    }
    ids = selectors.team_appraisal_ids(request.user, cycle, scope, **wanted)
    page = get_page_of_ids(
        ids,
        selectors.team_rows(),
        request.GET.get("page"),
        # A list of a whole organisation's size (a VP's 3,498) pages as HR's lists do: a
        # row costs ~0.3 ms to read and render. A team's list of up to 50 is unchanged.
        per_page=PAGE_SIZE if len(ids) <= PAGE_SIZE else ORGANISATION_PAGE_SIZE,
    )
    today = timezone.localdate()
    counts = scope.counts(cycle)
    return render(
        request,
        "appraisal/team_appraisals.html",
        {
            "cycle": cycle,
            "cycle_choices": cycles,
            "filters": filters,
            "page": page,
            "rows": selectors.team_page_rows(
                page.object_list,
                cycle,
                today,
                viewer_id=getattr(access.employee_of(request.user), "pk", 0),
            ),
            "counts": counts,
            # A card per status, in the filter's order: (status, label, count).
            "status_counts": [
                (value, label, counts.get(value, 0))
                for value, label in filters.fields["status"].choices
                if value
            ],
            # Red only while it matters: a closed cycle's deadline is simply over.
            "past_deadline": cycle.phase == cycle.Phase.APPRAISAL
            and cycle.appraisal_deadline < today,
        },
    )


urlpatterns = [
    path("mine/", my_appraisal, name="my-appraisal"),
    path("team/", team_appraisals, name="team-appraisals"),
    path("appraisals/<int:pk>/", appraisal_detail, name="appraisal-detail"),
    path("appraisals/<int:pk>/self/", self_save, name="self-save"),
    path("appraisals/<int:pk>/self/submit/", self_submit, name="self-submit"),
    path("appraisals/<int:pk>/review/", review_save, name="review-save"),
    path("appraisals/<int:pk>/review/submit/", review_submit, name="review-submit"),
    path("appraisals/<int:pk>/breakdown/", appraisal_breakdown, name="appraisal-breakdown"),
]
