"""Admin views of the planning library: for looking, not for editing.

Scales, indicators and templates change only through goals/services/library.py (rules,
optimistic locking and the audit trail), i.e. through the library pages; the admin shows
them read-only so support staff can inspect what HR configured.
"""

from django.contrib import admin

from goals.models import (
    Indicator,
    RatingLevel,
    RatingScale,
    ScoringThreshold,
    Template,
    TemplateItem,
    TemplateSection,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RatingLevelInline(ReadOnlyMixin, admin.TabularInline):
    model = RatingLevel
    fields = ["value", "label", "descriptor"]


@admin.register(RatingScale)
class RatingScaleAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "is_default", "version"]
    search_fields = ["name"]
    inlines = [RatingLevelInline]


class ScoringThresholdInline(ReadOnlyMixin, admin.TabularInline):
    model = ScoringThreshold
    fields = ["min_achievement", "level_value"]


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "direction", "unit", "scale", "is_active"]
    list_filter = ["kind", "direction", "is_active"]
    list_select_related = ["scale"]
    search_fields = ["name", "definition"]
    inlines = [ScoringThresholdInline]


class TemplateSectionInline(ReadOnlyMixin, admin.TabularInline):
    model = TemplateSection
    fields = ["kind", "weight", "position"]


@admin.register(Template)
class TemplateAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "method", "department", "job_title", "is_active"]
    list_filter = ["method", "is_active"]
    list_select_related = ["department"]
    search_fields = ["name", "job_title"]
    inlines = [TemplateSectionInline]


@admin.register(TemplateItem)
class TemplateItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["indicator", "section", "weight"]
    list_select_related = ["indicator", "section__template"]
    search_fields = ["indicator__name", "section__template__name"]
