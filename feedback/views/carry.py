"""Next-cycle goals (the interview's reviewer writes them, the employee reads them) and
HR's feedback configuration: the cycle's feedback rules, the root-cause list and the
root-cause report. Out of scope or the wrong role → 404; bad input → the message at its
field and a 400; a stale form → 409 with nothing overwritten."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appraisal.selectors.settings import cycle_levels
from feedback.forms.carry import FeedbackRulesForm, ProposalForm, RootCauseForm, VersionForm
from feedback.selectors import carry as selectors
from feedback.services import carry as services
from feedback.services import carry_rules as rules
from feedback.services.settings import interviews_due, settings_for
from perfcycle import access
from perfcycle.fragments import rendered_once
from perfcycle.stages import pick_cycle, viewer_for
from perfcycle.views import hr_required, int_param, submit

# --- Next-cycle goals ------------------------------------------------------------------------


def _new_proposal_fields() -> str:
    """The empty proposal form's fields, rendered once per the indicators offered (its
    select's options read as values, the same query as the form's choices): all the
    form shows besides the language."""
    form = ProposalForm()
    options = selectors.indicator_options()
    indicator = form.fields["indicator"]
    indicator.choices = [("", indicator.empty_label), *options]
    return rendered_once(
        "feedback/carry_proposal_fields.html", ("new", tuple(options)), {"form": form}
    )


def _proposals_page(request, interview, *, form=None, status=200):
    editable = selectors.may_propose(request.user, interview)
    proposals = selectors.proposals_of(interview)
    fields = _new_proposal_fields() if editable and form is None else None
    weights = [p.weight for p in proposals if p.weight is not None]
    return render(
        request,
        "feedback/carry_proposals.html",
        {
            "interview": interview,
            "participation": interview.participation,
            "cycle": interview.participation.cycle,
            "proposals": proposals,
            "weight_total": sum(weights) if weights else None,
            "editable": editable,
            "is_proposer": selectors.is_proposer(request.user, interview),
            "form": form if form is not None else (ProposalForm() if editable else None),
            "fields": fields,
        },
        status=status,
    )


def carry_proposals(request, interview_id):
    """The interview's next-cycle goals: the reviewer adds (POST), edits and removes them
    while the interview is live or held; everyone who reads the interview reads them."""
    interview = selectors.get_interview_for(request.user, interview_id)
    if request.method != "POST":
        return _proposals_page(request, interview)
    if not selectors.may_propose(request.user, interview):
        raise Http404
    form = ProposalForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: services.add_proposal(actor=request.user, interview=interview, data=data),
        lambda proposal: _("“%(title)s” added.") % {"title": proposal.title},
    )
    if done.saved:
        return redirect("feedback:carry-proposals", interview_id=interview.pk)
    return _proposals_page(request, interview, form=form, status=done.status)


def carry_proposal_edit(request, pk):
    proposal = selectors.get_proposal_for_proposer(request.user, pk)
    interview = proposal.interview
    form = ProposalForm(request.POST or None, instance=proposal)
    done = submit(
        request,
        form,
        lambda data: services.update_proposal(
            actor=request.user, proposal=proposal, data=data, expected_version=data["version"]
        ),
        _("Goal saved."),
    )
    if done.saved:
        return redirect("feedback:carry-proposals", interview_id=interview.pk)
    status = done.status
    return render(
        request,
        "feedback/carry_proposal_form.html",
        {
            "proposal": proposal,
            "interview": interview,
            "participation": interview.participation,
            "form": form,
            "editable": proposal.carried_at is None
            and selectors.may_propose(request.user, interview),
        },
        status=status,
    )


@require_POST
def carry_proposal_remove(request, pk):
    proposal = selectors.get_proposal_for_proposer(request.user, pk)
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        services.remove_proposal(
            actor=request.user,
            proposal=proposal,
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(title)s” taken off the list.") % {"title": proposal.title})
    return redirect("feedback:carry-proposals", interview_id=proposal.interview_id)


def carry_mine(request):
    """The employee's next-cycle goals, read-only, per interview."""
    viewer = viewer_for(request)
    if viewer.employee is None:
        raise Http404
    return render(
        request,
        "feedback/carry_mine.html",
        {"groups": selectors.my_proposals(viewer.employee)},
    )


# --- HR: the cycle's feedback rules ----------------------------------------------------------


@hr_required
def carry_rules(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    settings = settings_for(cycle)
    levels = cycle_levels(cycle)
    form = FeedbackRulesForm(request.POST or None, settings=settings, levels=levels)
    done = submit(
        request,
        form,
        lambda data: rules.update_feedback_settings(
            actor=request.user, cycle=cycle, data=data, expected_version=data["version"]
        ),
        _("Feedback rules saved."),
    )
    if done.saved:
        return redirect("feedback:carry-rules", cycle_id=cycle.pk)
    status = done.status
    return render(
        request,
        "feedback/carry_rules.html",
        {
            "cycle": cycle,
            "form": form,
            "levels": levels,
            "settings": settings,
            "interviews_due": interviews_due(cycle, settings),
        },
        status=status,
    )


# --- HR: the root-cause list -----------------------------------------------------------------


def _causes_page(request, *, form=None, status=200):
    return render(
        request,
        "feedback/carry_root_causes.html",
        {"causes": list(selectors.root_causes_with_use()), "form": form or RootCauseForm()},
        status=status,
    )


@hr_required
def carry_root_causes(request):
    if request.method != "POST":
        return _causes_page(request)
    form = RootCauseForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: rules.add_root_cause(actor=request.user, data=data),
        lambda cause: _("“%(name)s” added to the list.") % {"name": cause.name},
    )
    if done.saved:
        return redirect("feedback:carry-root-causes")
    return _causes_page(request, form=form, status=done.status)


@hr_required
def carry_root_cause_edit(request, pk):
    cause = selectors.get_root_cause(pk)
    form = RootCauseForm(request.POST or None, instance=cause)
    done = submit(
        request,
        form,
        lambda data: rules.update_root_cause(
            actor=request.user, cause=cause, data=data, expected_version=data["version"]
        ),
        _("Root cause saved."),
    )
    if done.saved:
        return redirect("feedback:carry-root-causes")
    return render(
        request,
        "feedback/carry_root_cause_form.html",
        {"cause": cause, "form": form},
        status=done.status,
    )


def _cause_action(request, pk, action, success: str):
    cause = selectors.get_root_cause(pk)
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        action(cause, form.cleaned_data.get("version"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success % {"name": cause.name})
    return redirect("feedback:carry-root-causes")


@require_POST
@hr_required
def carry_root_cause_retire(request, pk):
    return _cause_action(
        request,
        pk,
        lambda cause, version: rules.set_root_cause_offered(
            actor=request.user, cause=cause, offered=False, expected_version=version
        ),
        _("“%(name)s” retired: new interviews no longer offer it."),
    )


@require_POST
@hr_required
def carry_root_cause_offer(request, pk):
    return _cause_action(
        request,
        pk,
        lambda cause, version: rules.set_root_cause_offered(
            actor=request.user, cause=cause, offered=True, expected_version=version
        ),
        _("“%(name)s” is offered in interviews again."),
    )


@require_POST
@hr_required
def carry_root_cause_remove(request, pk):
    return _cause_action(
        request,
        pk,
        lambda cause, version: rules.remove_root_cause(
            actor=request.user, cause=cause, expected_version=version
        ),
        _("“%(name)s” removed from the list."),
    )


# --- HR: the root-cause report ---------------------------------------------------------------


@hr_required
def carry_root_cause_report(request):
    cycles = list(selectors.report_cycles())
    cycle = pick_cycle(cycles, int_param(request, "cycle"))
    report = None
    if cycle is not None:
        report = selectors.root_cause_report(
            cycle, other_label=_("Other departments"), total_label=_("All departments shown")
        )
    return render(
        request,
        "feedback/carry_root_cause_report.html",
        {
            "cycle": cycle,
            "cycle_choices": cycles,
            "report": report,
            "smallest": selectors.SMALLEST_GROUP,
        },
    )


urlpatterns = [
    path(
        "interviews/<int:interview_id>/next-cycle-goals/",
        carry_proposals,
        name="carry-proposals",
    ),
    path("next-cycle-goals/<int:pk>/edit/", carry_proposal_edit, name="carry-proposal-edit"),
    path("next-cycle-goals/<int:pk>/remove/", carry_proposal_remove, name="carry-proposal-remove"),
    path("my/next-cycle-goals/", carry_mine, name="carry-mine"),
    path("hr/cycles/<int:cycle_id>/rules/", carry_rules, name="carry-rules"),
    path("hr/root-causes/", carry_root_causes, name="carry-root-causes"),
    path("hr/root-causes/<int:pk>/edit/", carry_root_cause_edit, name="carry-root-cause-edit"),
    path(
        "hr/root-causes/<int:pk>/retire/", carry_root_cause_retire, name="carry-root-cause-retire"
    ),
    path("hr/root-causes/<int:pk>/offer/", carry_root_cause_offer, name="carry-root-cause-offer"),
    path(
        "hr/root-causes/<int:pk>/remove/", carry_root_cause_remove, name="carry-root-cause-remove"
    ),
    path("hr/root-causes/report/", carry_root_cause_report, name="carry-root-cause-report"),
]
