"""Peer (360°) input pages: the employee's "Peer input" page (nominate, see how many
answered, the aggregated result), the manager's approval page, the peer's "Feedback
asked of me" list and questionnaire, and the result page of one appraisal.

Thin: parse, fetch through appraisal.selectors.peer_input (outside a user's scope is a
404), call one service in appraisal.services.peers, redirect or render. A refusal comes
back next to its field (400), an out-of-date form as a message (409)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from appraisal.models import Appraisal, PeerStatus
from appraisal.policies import APPRAISAL
from appraisal.selectors import peer_input as selectors
from appraisal.services import peers as services
from perfcycle import access
from perfcycle.models import Cycle, Employee
from perfcycle.stages import pick_cycle, viewer_for
from perfcycle.views import attach_errors, int_param, refusal_status, submit
from perfcycle.workflow import ConcurrentEditError

# --- Forms -----------------------------------------------------------------------------------


class NominateForm(forms.Form):
    peers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Colleagues"),
        queryset=Employee.objects.select_related("user"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("Choose colleagues from the list.")},
        help_text=gettext_lazy(
            "Not yourself or your manager. Your answers page never shows who said what."
        ),
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("decline", gettext_lazy("Decline"))]
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class QuestionnaireForm(forms.Form):
    """One rating (a level of the appraisal's scale, nothing else) and comment per peer
    item, and an overall comment."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, items, levels, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(lv["value"]), f"{lv['value']} · {lv['label']}") for lv in levels]
        self.items = items
        self.levels = levels
        for item in items:
            self.fields[f"rating_{item.pk}"] = forms.TypedChoiceField(
                label=item.title,
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "form-check-input mt-1 flex-shrink-0"}),
                error_messages={
                    "required": gettext_lazy("Choose a rating."),
                    "invalid_choice": gettext_lazy("Choose one of the levels of the scale."),
                },
            )
            self.fields[f"comment_{item.pk}"] = forms.CharField(
                label=gettext_lazy("Comment on “%(title)s”") % {"title": item.title},
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            )
        self.fields["comment"] = forms.CharField(
            label=gettext_lazy("Anything else"),
            required=False,
            max_length=4000,
            widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        )

    def rows(self):
        """(item, rating field, [(radio, descriptor)], comment field) per item: each level
        shown with its descriptor while rating."""
        rows = []
        for item in self.items:
            rating = self[f"rating_{item.pk}"]
            options = list(
                zip(rating, [lv.get("descriptor", "") for lv in self.levels], strict=True)
            )
            rows.append((item, rating, options, self[f"comment_{item.pk}"]))
        return rows


# --- The employee's page -------------------------------------------------------------------------


def _own_appraisal(request, cycle_id):
    viewer = viewer_for(request)
    if viewer.employee is None:
        raise Http404
    participations = viewer.participations_in(
        Cycle.Phase.APPRAISAL, Cycle.Phase.FEEDBACK, Cycle.Phase.APPLICATION
    )
    participation = None
    if participations:
        if cycle_id is None:
            participation = participations[0]
        else:
            participation = next((p for p in participations if p.cycle_id == cycle_id), None)
            if participation is None:
                raise Http404
    appraisal = None
    if participation is not None:
        appraisal = (
            Appraisal.objects.filter(participation=participation)
            .select_related("reviewer__user")
            .first()
        )
        if appraisal is not None:
            appraisal.participation = participation
    return appraisal, participations


def _render_mine(request, appraisal, participations, *, form=None, status=200):
    context = {
        "appraisal": appraisal,
        "cycle": appraisal.participation.cycle if appraisal else None,
        "cycle_choices": [p.cycle for p in participations],
        "query": request.GET.get("q", "")[:80],
    }
    if appraisal is not None:
        cycle = appraisal.participation.cycle
        rules = selectors.peer_settings_of(cycle)
        items = selectors.peer_items_of(appraisal)
        reviews = list(selectors.reviews_with_peers(appraisal))
        result = selectors.result_for(
            request.user, appraisal, rules=rules, items=items, reviews=reviews
        )
        counting = sum(1 for r in reviews if r.status != PeerStatus.DECLINED)
        can_nominate = (
            bool(items)
            and cycle.phase == Cycle.Phase.APPRAISAL
            and appraisal.status in services.OPEN_STATUSES
            and result.asked == 0
            and counting < rules.peer_max
        )
        context.update(
            {
                "rules": rules,
                "result": result,
                "nominations": selectors.nominations(reviews),
                "counting": counting,
                "room": max(rules.peer_max - counting, 0),
                "can_nominate": can_nominate,
                "due_date": services.due_date_for(cycle, rules),
                "choices": selectors.colleague_choices(
                    appraisal, context["query"], taken=[r.peer_id for r in reviews]
                )
                if can_nominate
                else [],
                "form": form or NominateForm(),
            }
        )
    return render(request, "appraisal/peer_input.html", context, status=status)


def peer_input(request):
    appraisal, participations = _own_appraisal(request, int_param(request, "cycle"))
    return _render_mine(request, appraisal, participations)


@require_POST
def peer_nominate(request, pk):
    appraisal = selectors.get_appraisal_for(request.user, pk)
    if not APPRAISAL.may(request.user, "nominate_peers", appraisal.participation):
        raise Http404
    form = NominateForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: services.nominate_peers(
            appraisal=appraisal, peers=data["peers"], actor=request.user
        ),
        lambda created: (
            _("%(count)s nominated. Your manager approves or declines each one.")
            % {"count": len(created)}
        ),
    )
    if done.saved:
        return redirect(
            f"{reverse('appraisal:peer-input')}?cycle={appraisal.participation.cycle_id}"
        )
    _appraisal, participations = _own_appraisal(request, appraisal.participation.cycle_id)
    return _render_mine(request, appraisal, participations, form=form, status=done.status)


# --- The manager's approval page -----------------------------------------------------------------


def _approval_cycles(request):
    viewer = viewer_for(request)
    if viewer.is_hr:
        return list(Cycle.objects.filter(phase=Cycle.Phase.APPRAISAL))
    mine = getattr(viewer.employee, "pk", None)
    ids = {
        r["cycle_id"]
        for r in viewer.reviewed
        if r["reviewer_id"] == mine and r["phase"] == Cycle.Phase.APPRAISAL
    }
    if not ids and not viewer.is_manager:
        raise Http404
    return list(Cycle.objects.filter(pk__in=ids)) if ids else []


def _render_approvals(request, cycle_id, *, status=200):
    cycles = _approval_cycles(request)
    cycle = pick_cycle(cycles, cycle_id)
    page = selectors.approval_page(request.user, cycle, request.GET.get("page")) if cycle else None
    context = {
        "cycle": cycle,
        "cycle_choices": cycles,
        "page": page,
        "rows": page.rows if page else [],
        "rules": selectors.peer_settings_of(cycle) if cycle else None,
    }
    return render(request, "appraisal/peer_approvals.html", context, status=status)


def peer_approvals(request):
    return _render_approvals(request, int_param(request, "cycle"))


def _back_to_approvals(cycle_id):
    return redirect(f"{reverse('appraisal:peer-approvals')}?cycle={cycle_id}")


@require_POST
def peer_decide(request, pk):
    review = selectors.get_nomination_for(request.user, pk)
    cycle_id = review.appraisal.participation.cycle_id
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or decline."))
        return _render_approvals(request, cycle_id, status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.decide_nomination(
            review=review,
            approve=approve,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except PermissionDenied as error:
        raise Http404 from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _render_approvals(request, cycle_id, status=refusal_status(error))
    name = review.peer.full_name
    messages.success(
        request,
        (_("%(name)s approved.") if approve else _("%(name)s not approved.")) % {"name": name},
    )
    return _back_to_approvals(cycle_id)


@require_POST
def peer_ask(request, pk):
    appraisal = selectors.get_appraisal_for(request.user, pk)
    if not services.may_decide(request.user, appraisal):
        raise Http404
    cycle_id = appraisal.participation.cycle_id
    try:
        count = services.ask_peers(appraisal=appraisal, actor=request.user)
    except PermissionDenied as error:
        raise Http404 from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _render_approvals(request, cycle_id, status=400)
    messages.success(
        request,
        _("%(count)s peers asked for %(name)s. They hear by notification.")
        % {"count": count, "name": appraisal.participation.employee.full_name},
    )
    return _back_to_approvals(cycle_id)


# --- The peer's side -----------------------------------------------------------------------------


def peer_requests(request):
    if access.employee_of(request.user) is None:
        raise Http404
    reviews = list(selectors.my_questionnaires(request.user))
    return render(
        request,
        "appraisal/peer_requests.html",
        {
            "open": [r for r in reviews if r.status == PeerStatus.APPROVED],
            "done": [r for r in reviews if r.status != PeerStatus.APPROVED],
            "today": timezone.localdate(),
        },
    )


def _render_questionnaire(request, review, *, form=None, status=200):
    items = selectors.questionnaire_items(review)
    appraisal = review.appraisal
    today = timezone.localdate()
    answerable = (
        review.status == PeerStatus.APPROVED
        and review.due_date is not None
        and today <= review.due_date
        and appraisal.status in services.OPEN_STATUSES
    )
    if answerable and form is None:
        form = QuestionnaireForm(
            items=items, levels=appraisal.scale_levels, initial={"version": review.version}
        )
    return render(
        request,
        "appraisal/peer_questionnaire.html",
        {
            "review": review,
            "person": appraisal.participation.employee,
            "cycle": appraisal.participation.cycle,
            "items": items,
            "levels": appraisal.scale_levels,
            "form": form if answerable else None,
            "today": today,
        },
        status=status,
    )


def peer_questionnaire(request, pk):
    review = selectors.get_questionnaire_for(request.user, pk)
    if request.method != "POST":
        return _render_questionnaire(request, review)
    items = selectors.questionnaire_items(review)
    form = QuestionnaireForm(request.POST, items=items, levels=review.appraisal.scale_levels)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.answer_peer_review(
                review=review,
                ratings={i.pk: data[f"rating_{i.pk}"] for i in items},
                comments={i.pk: data[f"comment_{i.pk}"] for i in items},
                comment=data["comment"],
                actor=request.user,
                expected_version=data["version"],
            )
        except PermissionDenied as error:
            raise Http404 from error
        except ConcurrentEditError as error:
            messages.error(request, " ".join(error.messages))
            return _render_questionnaire(request, review, form=form, status=409)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return _render_questionnaire(request, review, status=400)
            attach_errors(form, error)
        else:
            messages.success(request, _("Thank you: your peer input is in."))
            return redirect("appraisal:peer-requests")
    return _render_questionnaire(request, review, form=form, status=400)


# --- One appraisal's result ----------------------------------------------------------------------


def peer_result(request, pk):
    appraisal = selectors.get_appraisal_for(request.user, pk)
    result = selectors.result_for(request.user, appraisal)
    return render(
        request,
        "appraisal/peer_result.html",
        {
            "appraisal": appraisal,
            "person": appraisal.participation.employee,
            "cycle": appraisal.participation.cycle,
            "result": result,
            "is_self": appraisal.participation.employee_id
            == getattr(access.employee_of(request.user), "pk", None),
        },
    )


urlpatterns = [
    path("peers/", peer_input, name="peer-input"),
    path("peers/approvals/", peer_approvals, name="peer-approvals"),
    path("peers/asked/", peer_requests, name="peer-requests"),
    path("peers/<int:pk>/answer/", peer_questionnaire, name="peer-questionnaire"),
    path("peers/<int:pk>/decide/", peer_decide, name="peer-decide"),
    path("appraisals/<int:pk>/peers/", peer_result, name="peer-result"),
    path("appraisals/<int:pk>/peers/nominate/", peer_nominate, name="peer-nominate"),
    path("appraisals/<int:pk>/peers/ask/", peer_ask, name="peer-ask"),
]
