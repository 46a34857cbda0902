"""The planning library pages (HR only): rating scales, indicators and templates.

Each view parses the page's editor, calls one service of goals/services/library.py and
redirects, or renders the page again with the errors (400) and nothing saved.
"""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from goals.forms.library import (
    IndicatorEditor,
    ScaleEditor,
    TemplateEditor,
    saved_rule_preview,
)
from goals.models import (
    CyclePlan,
    Indicator,
    IndicatorKind,
    RatingScale,
    ScoringThreshold,
    Template,
    TemplateItem,
)
from goals.rules import HUNDRED, q2
from goals.services import library as services
from perfcycle.views import PAGE_SIZE, hr_required, refusal_status

INDICATOR_SORTS = {
    "name": ["name"],
    "kind": ["kind", "name"],
    "scale": ["scale__name", "name"],
    "used": ["-template_count", "name"],
}


def _templates_using(indicator_ref):
    """A subquery counting the templates an indicator is an item of."""
    return Coalesce(
        Subquery(
            TemplateItem.objects.filter(indicator=indicator_ref)
            .order_by()
            .values("indicator")
            .annotate(n=Count("section__template", distinct=True))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def _form_page(request, template_name: str, context: dict):
    status = 400 if request.method == "POST" else 200
    if context["editor"].refusal is not None:
        status = refusal_status(context["editor"].refusal)
    return render(request, template_name, context, status=status)


@hr_required
def library(request):
    indicators = Indicator.objects.aggregate(
        total=Count("id"), active=Count("id", Q(is_active=True))
    )
    templates = Template.objects.aggregate(total=Count("id"), active=Count("id", Q(is_active=True)))
    return render(
        request,
        "goals/library_home.html",
        {
            "scale_count": RatingScale.objects.count(),
            "default_scale": RatingScale.objects.filter(is_default=True).first(),
            "indicators": indicators,
            "templates": templates,
        },
    )


# --- Rating scales ---------------------------------------------------------------------


@hr_required
def scale_list(request):
    scales = RatingScale.objects.annotate(
        level_count=Count("levels"),
        lowest=Min("levels__value"),
        highest=Max("levels__value"),
        indicator_count=Coalesce(
            Subquery(
                Indicator.objects.filter(scale=OuterRef("pk"))
                .order_by()
                .values("scale")
                .annotate(n=Count("id"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
    ).order_by("-is_default", "name")
    page = Paginator(scales, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "goals/scale_list.html", {"page": page})


@hr_required
def scale_detail(request, pk):
    scale = get_object_or_404(RatingScale.objects.prefetch_related("levels"), pk=pk)
    in_rules = dict(
        ScoringThreshold.objects.filter(indicator__scale=scale)
        .order_by()
        .values_list("level_value")
        .annotate(n=Count("indicator", distinct=True))
    )
    levels = list(scale.levels.all())
    for level in levels:
        level.rule_count = in_rules.get(level.value, 0)
    return render(
        request,
        "goals/scale_detail.html",
        {
            "scale": scale,
            "levels": levels,
            "indicators": Indicator.objects.filter(scale=scale),
            "cycle_count": CyclePlan.objects.filter(rating_scale=scale).count(),
        },
    )


@hr_required
def scale_create(request):
    editor = ScaleEditor(request.POST or None)
    if request.method == "POST" and editor.is_valid():
        try:
            scale = services.create_scale(actor=request.user, **editor.service_kwargs())
        except ValidationError as error:
            editor.attach(error)
        else:
            messages.success(request, _("Rating scale “%(name)s” created.") % {"name": scale})
            return redirect(scale)
    return _form_page(request, "goals/scale_form.html", {"editor": editor, "scale": None})


@hr_required
def scale_edit(request, pk):
    scale = get_object_or_404(RatingScale.objects.prefetch_related("levels"), pk=pk)
    editor = ScaleEditor(request.POST or None, scale=scale)
    if request.method == "POST" and editor.is_valid():
        try:
            scale = services.update_scale(
                actor=request.user,
                scale_id=scale.pk,
                expected_version=editor.expected_version,
                **editor.service_kwargs(),
            )
        except ValidationError as error:
            editor.attach(error)
        else:
            messages.success(request, _("Rating scale “%(name)s” saved.") % {"name": scale})
            return redirect(scale)
    return _form_page(request, "goals/scale_form.html", {"editor": editor, "scale": scale})


# --- Indicators ------------------------------------------------------------------------


@hr_required
def indicator_list(request):
    qs = Indicator.objects.with_rule().annotate(template_count=_templates_using(OuterRef("pk")))
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if kind in IndicatorKind.values:
        qs = qs.filter(kind=kind)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(definition__icontains=query))
    if status in ("active", "inactive"):
        qs = qs.filter(is_active=status == "active")
    sort = request.GET.get("sort", "name")
    qs = qs.order_by(*INDICATOR_SORTS.get(sort, INDICATOR_SORTS["name"]))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "goals/indicator_list.html",
        {
            "page": page,
            "kind": kind,
            "query": query,
            "status": status,
            "sort": sort,
            "kinds": IndicatorKind.choices,
            "filtered": bool(kind or query or status),
        },
    )


@hr_required
def indicator_detail(request, pk):
    indicator = get_object_or_404(
        Indicator.objects.with_rule().prefetch_related("scale__levels"), pk=pk
    )
    uses = TemplateItem.objects.filter(indicator=indicator).select_related("section__template")
    for item in uses:
        item.effective_weight = share_of_final_score(item.section, item)
    labels = {level.value: level.label for level in indicator.scale.levels.all()}
    rule = [
        {"start": t.min_achievement, "level": t.level_value, "label": labels.get(t.level_value, "")}
        for t in indicator.thresholds.all()
    ]
    return render(
        request,
        "goals/indicator_detail.html",
        {
            "indicator": indicator,
            "rule": rule,
            "preview": saved_rule_preview(indicator),
            "uses": sorted(uses, key=lambda item: item.section.template.name),
            "goal_count": indicator.goals.count(),
        },
    )


@hr_required
def indicator_create(request):
    editor = IndicatorEditor(request.POST or None)
    if request.method == "POST" and editor.is_valid():
        try:
            indicator = services.create_indicator(actor=request.user, **editor.service_kwargs())
        except ValidationError as error:
            editor.attach(error)
        else:
            messages.success(request, _("Indicator “%(name)s” created.") % {"name": indicator})
            return redirect(indicator)
    return _form_page(request, "goals/indicator_form.html", {"editor": editor, "indicator": None})


@hr_required
def indicator_edit(request, pk):
    indicator = get_object_or_404(Indicator.objects.with_rule(), pk=pk)
    editor = IndicatorEditor(request.POST or None, indicator=indicator)
    if request.method == "POST" and editor.is_valid():
        try:
            indicator = services.update_indicator(
                actor=request.user,
                indicator_id=indicator.pk,
                expected_version=editor.expected_version,
                **editor.service_kwargs(),
            )
        except ValidationError as error:
            editor.attach(error)
        else:
            messages.success(request, _("Indicator “%(name)s” saved.") % {"name": indicator})
            return redirect(indicator)
    return _form_page(
        request, "goals/indicator_form.html", {"editor": editor, "indicator": indicator}
    )


# --- Templates -------------------------------------------------------------------------


def share_of_final_score(section, item) -> Decimal:
    """An item's share of the final score: section weight × item weight (17.5, not 17.50)."""
    return q2(section.weight * item.weight / HUNDRED).normalize()


def _with_effective_weights(template: Template) -> Template:
    for section in template.sections.all():
        for item in section.items.all():
            item.effective_weight = share_of_final_score(section, item)
    return template


@hr_required
def template_list(request):
    qs = Template.objects.with_sections()
    status = request.GET.get("status", "")
    if status in ("active", "inactive"):
        qs = qs.filter(is_active=status == "active")
    page = Paginator(qs.order_by("name"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "goals/template_list.html", {"page": page, "status": status})


@hr_required
def template_detail(request, pk):
    template = get_object_or_404(Template.objects.with_sections(), pk=pk)
    sections = template.sections.all()
    return render(
        request,
        "goals/template_detail.html",
        {
            "template": _with_effective_weights(template),
            "sections": sections,
            "total": sum((section.weight for section in sections), Decimal("0")),
        },
    )


@hr_required
def template_create(request):
    editor = TemplateEditor(request.POST or None)
    if request.method == "POST" and editor.is_valid():
        try:
            template = services.create_template(actor=request.user, **editor.service_kwargs())
        except ValidationError as error:
            editor.attach(error)
        else:
            messages.success(request, _("Template “%(name)s” created.") % {"name": template})
            return redirect(template)
    return _form_page(request, "goals/template_form.html", {"editor": editor, "template": None})


@hr_required
def template_edit(request, pk):
    template = get_object_or_404(Template.objects.with_sections(), pk=pk)
    editor = TemplateEditor(request.POST or None, template=template)
    if request.method == "POST" and editor.is_valid():
        try:
            template = services.update_template(
                actor=request.user,
                template_id=template.pk,
                expected_version=editor.expected_version,
                **editor.service_kwargs(),
            )
        except ValidationError as error:
            editor.attach(error)
        else:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": template})
            return redirect(template)
    return _form_page(request, "goals/template_form.html", {"editor": editor, "template": template})


urlpatterns = [
    path("library/", library, name="library"),
    path("library/scales/", scale_list, name="scale-list"),
    path("library/scales/new/", scale_create, name="scale-create"),
    path("library/scales/<int:pk>/", scale_detail, name="scale-detail"),
    path("library/scales/<int:pk>/edit/", scale_edit, name="scale-edit"),
    path("library/indicators/", indicator_list, name="indicator-list"),
    path("library/indicators/new/", indicator_create, name="indicator-create"),
    path("library/indicators/<int:pk>/", indicator_detail, name="indicator-detail"),
    path("library/indicators/<int:pk>/edit/", indicator_edit, name="indicator-edit"),
    path("library/templates/", template_list, name="template-list"),
    path("library/templates/new/", template_create, name="template-create"),
    path("library/templates/<int:pk>/", template_detail, name="template-detail"),
    path("library/templates/<int:pk>/edit/", template_edit, name="template-edit"),
]
