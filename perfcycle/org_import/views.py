"""HR organisation import: upload a CSV, read its validation report, then apply or discard."""

from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from perfcycle.models import OrgImport
from perfcycle.org_import import services
from perfcycle.org_import.forms import OrgImportForm
from perfcycle.views import hr_required, submit

ISSUES_PER_PAGE = 100
RECENT_IMPORTS = 10


def _get_import(pk: int) -> OrgImport:
    # The stored file can be megabytes; pages only need the report.
    return get_object_or_404(
        OrgImport.objects.select_related("uploaded_by").defer("content"), pk=pk
    )


def _recent_imports():
    return (
        OrgImport.objects.select_related("uploaded_by")
        .defer("content", "report")
        .annotate(
            rows=Cast(KT("report__summary__rows"), IntegerField()),
            error_count=Cast(KT("report__error_count"), IntegerField()),
        )
        .order_by("-uploaded_at", "-pk")[:RECENT_IMPORTS]
    )


@hr_required
def org_import_upload(request):
    posted = request.method == "POST"
    form = OrgImportForm(request.POST, request.FILES) if posted else OrgImportForm()
    done = submit(
        request,
        form,
        lambda data: services.create_org_import(
            actor=request.user, file_name=data["file"].name, content=form.content
        ),
    )
    if done.saved:
        record = done.result
        if record.has_errors:
            messages.warning(
                request, _("The file has errors. Nothing was written; see the report.")
            )
        else:
            messages.success(
                request, _("The file is valid. Check the changes, then confirm the import.")
            )
        return redirect("org-import-detail", pk=record.pk)
    status = done.status
    return render(
        request,
        "perfcycle/org_import_form.html",
        {"form": form, "recent": _recent_imports()},
        status=status,
    )


def _people(count: int) -> str:
    return ngettext("%(count)s person", "%(count)s people", count) % {"count": intcomma(count)}


@hr_required
def org_import_detail(request, pk):
    record = _get_import(pk)
    report = record.report
    summary = {
        "rows": 0,
        "create": 0,
        "update": 0,
        "unchanged": 0,
        "reactivate": 0,
        "new_departments": [],
        "kept": 0,
        **report.get("summary", {}),
    }
    errors = Paginator(report.get("errors", []), ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "perfcycle/org_import_detail.html",
        {
            "record": record,
            "summary": summary,
            "errors": errors,
            "error_count": report.get("error_count", 0),
            "warnings": report.get("warnings", [])[:ISSUES_PER_PAGE],
            "warning_count": report.get("warning_count", 0),
            "preview": report.get("preview", []),
            "change_count": report.get("change_count", 0),
            "applied": report.get("applied"),
            "can_apply": record.status == OrgImport.Status.VALIDATED and not record.has_errors,
            "can_discard": record.status == OrgImport.Status.VALIDATED,
            "confirm_text": _confirm_text(summary["create"], summary["update"]),
        },
    )


def _confirm_text(create: int, update: int) -> str:
    """What applying does, in one sentence, for the confirmation dialog."""
    if not create and not update:
        return _("Nothing will change: everyone in the file is already up to date.")
    if not update:
        return _("This will create %(create)s.") % {"create": _people(create)}
    if not create:
        return _("This will update %(update)s.") % {"update": _people(update)}
    return _("This will create %(create)s and update %(update)s.") % {
        "create": _people(create),
        "update": _people(update),
    }


@hr_required
@require_POST
def org_import_apply(request, pk):
    record = _get_import(pk)
    try:
        counts = services.apply_org_import(actor=request.user, org_import_id=record.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _(
                "Organisation updated: %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged."
            )
            % {
                "created": _people(counts["created"]),
                "updated": _people(counts["updated"]),
                "unchanged": _people(counts["unchanged"]),
            },
        )
    return redirect("org-import-detail", pk=record.pk)


@hr_required
@require_POST
def org_import_discard(request, pk):
    record = _get_import(pk)
    try:
        services.discard_org_import(actor=request.user, org_import_id=record.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Import discarded. Nothing was written."))
    return redirect("org-import-detail", pk=record.pk)
