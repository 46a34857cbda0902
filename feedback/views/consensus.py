"""Consensus pages: the employee's "My result" (agree, or disagree with items), the
manager's "Disputes on my team", a dispute (read by everyone who reads the appraisal;
decided by the routed resolver or HR) and HR's "Open disputes". Thin: parse, fetch
through feedback.selectors.consensus (outside a user's scope, or the wrong role for an
action, is a 404), call one service, then redirect or render."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appraisal.selectors.breakdown import breakdown_for, breakdown_rows
from feedback.forms.consensus import CHANGE, AgreeForm, DisagreeForm, ResolveForm
from feedback.models import DisputeStatus
from feedback.selectors import consensus as selectors
from feedback.services import consensus as services
from perfcycle import access
from perfcycle.formatting import format_date
from perfcycle.fragments import rendered_once
from perfcycle.paging import ORGANISATION_PAGE_SIZE, get_page
from perfcycle.views import hr_required, int_param, submit

# --- My result -------------------------------------------------------------------------------


def _render_result(request, appraisal, appraisals, *, agree=None, disagree=None, status=200):
    result = selectors.result_for(appraisal)
    ack = result.acknowledgement
    if ack is not None and result.can_agree and agree is None:
        agree = AgreeForm(initial={"version": ack.version})
    if ack is not None and result.can_dispute and disagree is None:
        disagree = DisagreeForm(items=result.items, initial={"version": ack.version})
    breakdown = breakdown_for(appraisal)
    cycle = appraisal.participation.cycle
    cycle_choices = [a.participation.cycle for a in appraisals]
    return render(
        request,
        "feedback/consensus_my_result.html",
        {
            "appraisal": appraisal,
            "cycle": cycle,
            "cycle_choices": cycle_choices,
            "cycle_picker": _cycle_picker(cycle, cycle_choices),
            "result": result,
            "ack": ack,
            "interview": result.interview,
            "causes": selectors.recorded_causes(appraisal) if result.interview else [],
            "breakdown": breakdown,
            "lines": breakdown_rows(breakdown, result.items),
            "agree_form": agree,
            "disagree_form": disagree,
            "disputed": result.disputed_ids,
            "today": timezone.localdate(),
        },
        status=status,
    )


def _cycle_picker(cycle, cycle_choices) -> str:
    """components/cycle_picker.html, rendered once per what it shows (the cycles offered,
    their phases, the one shown): ~0.4 ms of the page through the template."""
    return rendered_once(
        "components/cycle_picker.html",
        (cycle.pk, *((c.pk, c.name, c.phase) for c in cycle_choices)),
        {"cycle": cycle, "cycle_choices": cycle_choices},
    )


def my_result(request):
    appraisals = selectors.my_released_appraisals(request.user)
    appraisal = selectors.pick_appraisal(appraisals, int_param(request, "cycle"))
    if appraisal is None:
        return render(request, "feedback/consensus_my_result_empty.html", {"cycle_choices": []})
    return _render_result(request, appraisal, appraisals)


def _own_acknowledgement(request, pk):
    ack = get_object_or_404(
        selectors.acknowledgements_visible_to(request.user).select_related("participation"),
        pk=pk,
    )
    employee = access.employee_of(request.user)
    if employee is None or ack.participation.employee_id != employee.pk:
        raise Http404  # only the employee answers
    appraisals = selectors.my_released_appraisals(request.user)
    appraisal = next((a for a in appraisals if a.pk == ack.appraisal_id), None)
    if appraisal is None:
        raise Http404
    return ack, appraisal, appraisals


@require_POST
def result_agree(request, pk):
    ack, appraisal, appraisals = _own_acknowledgement(request, pk)
    form = AgreeForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: services.agree_with_result(
            actor=request.user,
            acknowledgement_id=ack.pk,
            comment=data["comment"],
            expected_version=data.get("version"),
        ),
        _("Thank you: your agreement with the result is recorded."),
    )
    if done.saved:
        return redirect(services.my_result_url(appraisal.participation.cycle_id))
    return _render_result(request, appraisal, appraisals, agree=form, status=done.status)


@require_POST
def result_disagree(request, pk):
    ack, appraisal, appraisals = _own_acknowledgement(request, pk)
    result = selectors.result_for(appraisal)
    form = DisagreeForm(request.POST, items=result.items)
    done = submit(
        request,
        form,
        lambda data: services.disagree_with_items(
            actor=request.user,
            acknowledgement_id=ack.pk,
            reasons=form.reasons(),
            comment=data["comment"],
            expected_version=data.get("version"),
        ),
        _disagreement_recorded,
    )
    if done.saved:
        return redirect(services.my_result_url(appraisal.participation.cycle_id))
    return _render_result(request, appraisal, appraisals, disagree=form, status=done.status)


def _disagreement_recorded(disputes) -> str:
    who = disputes[0].resolver.full_name if disputes[0].resolver else _("HR")
    return _("Your disagreement is recorded. %(who)s decides by %(date)s; you will be told.") % {
        "who": who,
        "date": format_date(disputes[0].due_date),
    }


# --- Disputes on my team ---------------------------------------------------------------------


def team_disputes(request):
    if not access.is_manager(request.user):
        raise Http404
    lists = selectors.team_disputes(
        request.user,
        decide_page=request.GET.get("page"),
        mine_page=request.GET.get("mine_page"),
    )
    return render(
        request,
        "feedback/consensus_team_disputes.html",
        {
            "decide": lists.decide.object_list,
            "mine": lists.mine.object_list,
            "decide_page": lists.decide,
            "mine_page": lists.mine,
            "today": timezone.localdate(),
            "open_count": lists.open_count,
        },
    )


# --- One dispute -----------------------------------------------------------------------------


def _render_dispute(request, dispute, *, form=None, status=200):
    resolving = selectors.can_resolve(request.user, dispute)
    if resolving and form is None:
        form = ResolveForm(
            levels=dispute.appraisal.scale_levels, initial={"version": dispute.version}
        )
    employee = access.employee_of(request.user)
    is_employee = employee is not None and dispute.participation.employee_id == employee.pk
    return render(
        request,
        "feedback/consensus_dispute_detail.html",
        {
            "dispute": dispute,
            "appraisal": dispute.appraisal,
            "item": dispute.item,
            "person": dispute.participation.employee,
            "cycle": dispute.participation.cycle,
            "form": form if resolving else None,
            "is_employee": is_employee,
            "levels": dispute.appraisal.scale_levels,
            "today": timezone.localdate(),
            "change": CHANGE,
        },
        status=status,
    )


def dispute_detail(request, pk):
    return _render_dispute(request, selectors.get_dispute_for(request.user, pk))


@require_POST
def dispute_resolve(request, pk):
    dispute = selectors.get_dispute_for(request.user, pk)
    if not services.may_resolve(request.user, dispute):
        raise Http404  # the employee, the rating's author, anyone not routed
    form = ResolveForm(request.POST, levels=dispute.appraisal.scale_levels)
    if dispute.status != DisputeStatus.OPEN:
        messages.error(request, _("This dispute is decided already."))
        return redirect("feedback:consensus-dispute", pk=dispute.pk)
    done = submit(
        request,
        form,
        lambda data: services.resolve_dispute(
            actor=request.user,
            dispute_id=dispute.pk,
            decision=services.Decision(
                change=data["decision"] == CHANGE,
                resolution=data["resolution"],
                rating=data.get("rating"),
            ),
            expected_version=data.get("version"),
        ),
        _("Decided. The employee and the reviewer are told."),
    )
    if done.saved:
        return redirect("feedback:consensus-dispute", pk=dispute.pk)
    return _render_dispute(request, dispute, form=form, status=done.status)


# --- HR: open disputes -----------------------------------------------------------------------


def _hr_rows_html(rows, today) -> str:
    """The page's table, rendered once per what its rows show (perfcycle/fragments.py)."""
    shown = tuple(
        (
            d.pk,
            d.participation.employee.full_name,
            d.participation.cycle.name,
            d.item.title,
            age,
            d.due_date,
            d.due_date < today,
            d.resolver.full_name if d.resolver else None,
        )
        for d, age in rows
    )
    return rendered_once(
        "feedback/consensus_hr_dispute_rows.html", shown, {"rows": rows, "today": today}
    )


@hr_required
def hr_disputes(request):
    cycle_id = int_param(request, "cycle")
    cycles = selectors.dispute_cycles()
    if cycle_id is not None and cycle_id not in {c.pk for c in cycles}:
        raise Http404
    today = timezone.localdate()
    counts = selectors.open_dispute_counts(cycle_id=cycle_id, today=today)
    page = get_page(
        selectors.hr_open_disputes(cycle_id=cycle_id),
        selectors.hr_dispute_rows(),
        request.GET.get("page"),
        per_page=ORGANISATION_PAGE_SIZE,
        total=counts["open"],
    )
    rows = [(d, selectors.days_open(d, today)) for d in page.object_list]
    return render(
        request,
        "feedback/consensus_hr_disputes.html",
        {
            "page": page,
            "rows": rows,
            "rows_html": _hr_rows_html(rows, today),
            "counts": counts,
            "cycles": cycles,
            "cycle_id": cycle_id,
            "today": today,
        },
    )


urlpatterns = [
    path("result/", my_result, name="consensus-mine"),
    path("result/<int:pk>/agree/", result_agree, name="consensus-agree"),
    path("result/<int:pk>/disagree/", result_disagree, name="consensus-disagree"),
    path("disputes/team/", team_disputes, name="consensus-team"),
    path("disputes/open/", hr_disputes, name="consensus-hr"),
    path("disputes/<int:pk>/", dispute_detail, name="consensus-dispute"),
    path("disputes/<int:pk>/resolve/", dispute_resolve, name="consensus-resolve"),
]
