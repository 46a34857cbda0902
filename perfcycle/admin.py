from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from perfcycle.models import AuditEvent, Cycle, Department, Employee, Participation, User

admin.site.register(User, UserAdmin)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "parent"]
    search_fields = ["name"]


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["employee_number", "user", "department", "job_title", "manager", "is_active"]
    list_select_related = ["user", "department", "manager__user"]
    search_fields = ["employee_number", "user__username", "user__last_name"]
    raw_id_fields = ["user", "manager"]


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    """Read-only here: cycles change through the HR pages so every change is audited."""

    list_display = ["name", "phase", "start_date", "end_date"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ["cycle", "employee", "reviewer"]
    list_select_related = ["cycle", "employee__user", "reviewer__user"]
    raw_id_fields = ["employee", "reviewer"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is append-only: nobody edits or deletes it, even in the admin."""

    list_display = ["created_at", "actor", "verb", "object_repr"]
    list_filter = ["verb", "object_type"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
