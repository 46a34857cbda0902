"""Evidence log pages: the list, recording and editing a record with its files, a record's
page with verification, and attachment downloads. Thin: parse, fetch evidence only through
``selectors.get_evidence_for`` (outside a user's scope is a 404), call one service, then
redirect or render."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from implementation import selectors, uploads
from implementation.forms.evidence import EvidenceFilterForm, EvidenceForm, UnverifyForm
from implementation.models import EvidenceAttachment
from implementation.selectors import evidence as evidence_selectors
from implementation.services import evidence as services
from perfcycle import access, paging
from perfcycle.models import Participation
from perfcycle.stages import running_first
from perfcycle.views import submit
from perfcycle.workflow import ConcurrentEditError

PAGE_SIZE = 50


def _int_param(params, name: str) -> int | None:
    value = params.get(name, "")
    return int(value) if value.isdigit() else None


def _back(request, default: str) -> str:
    """Where a POST action returns to: the page it came from (same host only)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def capped_uploads(view):
    """Install the size-capped upload handler before the body is read. CsrfViewMiddleware
    would read it first, so the CSRF check moves inside (Django's documented pattern for
    custom upload handlers)."""
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.upload_handlers = [uploads.SizeCappedUploadHandler(request)]
        return protected(request, *args, **kwargs)

    return wrapper


# --- The list -----------------------------------------------------------------------------


def evidence_list(request):
    user = request.user
    can_verify, can_record = evidence_selectors.evidence_list_flags(user)
    form = EvidenceFilterForm(
        request.GET or None,
        people=evidence_selectors.evidence_people(user) if can_verify else None,
        cycles=evidence_selectors.evidence_cycles(user),
        goals=evidence_selectors.evidence_goals(user, asked_for=_int_param(request.GET, "goal")),
        can_verify=can_verify,
    )
    sort = request.GET.get("sort", "")
    if sort not in evidence_selectors.EVIDENCE_SORTS:
        sort = evidence_selectors.EVIDENCE_DEFAULT_SORT
    rows = evidence_selectors.filter_evidence(
        evidence_selectors.evidence_for_list(user),
        user=user,
        filters=form.valid_filters(),
        sort=sort,
    )
    filtered = any(v for k, v in request.GET.items() if k not in ("sort", "page"))
    hr_counts = evidence_selectors.hr_counts(user)
    page = paging.get_page(
        rows,
        evidence_selectors.evidence_rows(),
        request.GET.get("page"),
        per_page=PAGE_SIZE if hr_counts is None else paging.ORGANISATION_PAGE_SIZE,
        total=None if filtered or hr_counts is None else hr_counts["total"],
    )
    for row in page.object_list:
        row.actions = evidence_selectors.evidence_actions(user, row)
    if not can_verify:
        to_verify_count = 0
    elif hr_counts is not None:
        to_verify_count = hr_counts["to_verify"]
    else:
        to_verify_count = evidence_selectors.evidence_to_verify(user).count()
    keep = request.GET.copy()
    for name in ("sort", "page"):
        keep.pop(name, None)
    return render(
        request,
        "implementation/evidence_list.html",
        {
            "form": form,
            "page": page,
            "sort": sort,
            "filter_query": keep.urlencode(),
            "filtered": filtered,
            "can_verify": can_verify,
            "is_hr": access.is_hr(user),
            "to_verify_count": to_verify_count,
            "can_record": can_record,
        },
        status=400 if form.errors else 200,
    )


# --- Recording and editing ---------------------------------------------------------------------


def _checkin_url(checkin) -> str | None:
    try:
        return checkin.get_absolute_url()
    except NoReverseMatch:  # the check-in pages may not be installed
        return None


def _prefill(request, participations, goals):
    """The create form's starting values from ?checkin=<id> (its person, a date in its
    period, and the way back to it) and ?goal=<id> (the goal and its owner). A check-in
    or goal outside the user's people is a 404."""
    initial = {"occurred_on": timezone.localdate()}
    checkin, back = None, None
    checkin_id = _int_param(request.GET, "checkin")
    if checkin_id is not None:
        checkin = selectors.get_checkin_for(request.user, checkin_id)
        if checkin.participation_id not in {p.pk for p in participations}:
            raise Http404
        initial["participation"] = checkin.participation_id
        initial["occurred_on"] = min(timezone.localdate(), checkin.period_end)
        back = _checkin_url(checkin)
    goal_id = _int_param(request.GET, "goal")
    if goal_id is not None:
        goal = next((g for g in goals if g.pk == goal_id), None)
        if goal is None:
            raise Http404
        initial["goal"] = goal.pk
        initial["participation"] = next(
            p.pk
            for p in participations
            if (p.employee_id, p.cycle_id) == (goal.owner_id, goal.cycle_id)
        )
    return initial, checkin, back


@capped_uploads
def evidence_create(request):
    user = request.user
    scope = evidence_selectors.evidence_recordable_participations(user)
    participations = running_first(scope, cycle_of=lambda p: p.cycle)
    if not participations:
        messages.info(
            request,
            _("You have no cycle in planning, implementation or appraisal to record evidence in."),
        )
        return redirect("implementation:evidence-list")
    goals = list(evidence_selectors.evidence_goal_options(scope))
    initial, checkin, back = _prefill(request, participations, goals)
    form = EvidenceForm(
        request.POST or None,
        request.FILES or None,
        participations=participations,
        goals=goals,
        me=access.employee_of(user),
        initial=initial,
    )
    done = submit(
        request,
        form,
        lambda data: services.create_evidence(
            actor=user,
            participation=form.chosen_participation(),
            data=data,
            files=data["attachments"],
        ),
        lambda evidence: _("Evidence “%(title)s” recorded.") % {"title": evidence.title},
    )
    if done.saved:
        return redirect(back or done.result.get_absolute_url())
    return render(
        request,
        "implementation/evidence_form.html",
        {"form": form, "checkin": checkin, "back": back, "single": participations[0]},
        status=done.status,
    )


def _own_evidence(request, pk):
    """A record the user may read and created; anyone else's is a 404 here."""
    evidence = selectors.get_evidence_for(request.user, pk)
    if not evidence_selectors.is_evidence_creator(request.user, evidence):
        raise Http404
    return evidence


@capped_uploads
def evidence_edit(request, pk):
    evidence = _own_evidence(request, pk)
    if not evidence_selectors.evidence_actions(request.user, evidence).edit:
        messages.error(
            request,
            _("This evidence is verified or its cycle has moved on: it can no longer be edited."),
        )
        return redirect(evidence)
    scope = Participation.objects.filter(pk=evidence.participation_id)
    form = EvidenceForm(
        request.POST or None,
        request.FILES or None,
        participations=[evidence.participation],
        goals=list(evidence_selectors.evidence_goal_options(scope)),
        me=access.employee_of(request.user),
        evidence=evidence,
    )
    done = submit(
        request,
        form,
        lambda data: services.update_evidence(
            actor=request.user,
            evidence=evidence,
            data=data,
            expected_version=data.get("version"),
            files=data["attachments"],
            remove_attachments=data.get("remove_attachments") or [],
        ),
        _("Evidence saved."),
    )
    if done.saved:
        return redirect(evidence)
    return render(
        request,
        "implementation/evidence_form.html",
        {"form": form, "evidence": evidence, "checkin": None, "back": None},
        status=done.status,
    )


def evidence_delete(request, pk):
    """GET asks once, saying what will happen; POST deletes."""
    evidence = _own_evidence(request, pk)
    if not evidence_selectors.evidence_actions(request.user, evidence).delete:
        messages.error(
            request,
            _("This evidence is verified or its cycle has moved on: it can no longer be deleted."),
        )
        return redirect(evidence)
    if request.method == "POST":
        try:
            services.delete_evidence(actor=request.user, evidence=evidence)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(evidence)
        messages.success(request, _("Evidence “%(title)s” deleted.") % {"title": evidence.title})
        return redirect("implementation:evidence-list")
    return render(
        request,
        "implementation/evidence_confirm_delete.html",
        {"evidence": evidence, "attachments": list(evidence.attachments.all())},
    )


# --- A record's page and verification -----------------------------------------------------------


def _render_detail(request, evidence, *, unverify_form=None, status=200):
    return render(
        request,
        "implementation/evidence_detail.html",
        {
            "evidence": evidence,
            "cycle": evidence.participation.cycle,
            "attachments": list(evidence.attachments.all()),
            "actions": evidence_selectors.evidence_actions(request.user, evidence),
            "history": list(evidence_selectors.evidence_history(evidence)),
            "unverify_form": unverify_form or UnverifyForm(initial={"version": evidence.version}),
        },
        status=status,
    )


def evidence_detail(request, pk):
    return _render_detail(request, selectors.get_evidence_for(request.user, pk))


def _verifiable(request, pk):
    evidence = selectors.get_evidence_for(request.user, pk)
    if not evidence_selectors.may_verify_evidence(request.user, evidence):
        raise Http404
    return evidence


@require_POST
def evidence_verify(request, pk):
    evidence = _verifiable(request, pk)
    try:
        services.verify_evidence(
            actor=request.user,
            evidence=evidence,
            expected_version=_int_param(request.POST, "version"),
        )
    except ConcurrentEditError as error:
        # Shown the record as it is now, so the reviewer sees what they would verify.
        messages.error(request, " ".join(error.messages))
        return _render_detail(request, evidence, status=409)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(title)s” verified.") % {"title": evidence.title})
    return redirect(_back(request, evidence.get_absolute_url()))


@require_POST
def evidence_unverify(request, pk):
    evidence = _verifiable(request, pk)
    form = UnverifyForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: services.unverify_evidence(
            actor=request.user,
            evidence=evidence,
            reason=data["reason"],
            expected_version=data.get("version"),
        ),
        _("The verification of “%(title)s” was withdrawn.") % {"title": evidence.title},
    )
    if done.saved:
        return redirect(evidence)
    return _render_detail(request, evidence, unverify_form=form, status=done.status)


# --- Downloads ---------------------------------------------------------------------------------


@require_safe
def attachment_download(request, pk, attachment_id):
    """Stream a file of a record the user may read: always as a download, with the type
    found by content and a filename that cannot break the header."""
    evidence = selectors.get_evidence_for(request.user, pk)
    attachment = get_object_or_404(EvidenceAttachment, evidence=evidence, pk=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as missing:
        raise Http404 from missing
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Content-Disposition"] = uploads.content_disposition(attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


urlpatterns = [
    path("evidence/", evidence_list, name="evidence-list"),
    path("evidence/new/", evidence_create, name="evidence-create"),
    path("evidence/<int:pk>/", evidence_detail, name="evidence-detail"),
    path("evidence/<int:pk>/edit/", evidence_edit, name="evidence-edit"),
    path("evidence/<int:pk>/delete/", evidence_delete, name="evidence-delete"),
    path("evidence/<int:pk>/verify/", evidence_verify, name="evidence-verify"),
    path("evidence/<int:pk>/unverify/", evidence_unverify, name="evidence-unverify"),
    path(
        "evidence/<int:pk>/files/<int:attachment_id>/",
        attachment_download,
        name="attachment-download",
    ),
]
