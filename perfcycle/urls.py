from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from perfcycle import account_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.my_home, name="my-home"),
    path("team/", views.team_home, name="team-home"),
    path("hr/", views.hr_home, name="hr-home"),
    path("cycles/", views.cycle_list, name="cycle-list"),
    path("cycles/new/", views.cycle_create, name="cycle-create"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle-detail"),
    path("cycles/<int:pk>/edit/", views.cycle_edit, name="cycle-edit"),
    path("cycles/<int:pk>/advance/", views.cycle_advance, name="cycle-advance"),
    path("cycles/<int:pk>/enrol/", views.cycle_enrol, name="cycle-enrol"),
    path("people/", views.employee_list, name="employee-list"),
    path("people/find/", views.person_search, name="person-search"),
    path("org/", include("perfcycle.org_import.urls")),
    path("planning/", include("goals.urls")),
    path("implementation/", include("implementation.urls")),
    path("appraisal/", include("appraisal.urls")),
    path("feedback/", include("feedback.urls")),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
    path("audit/", views.audit_list, name="audit-list"),
    path("hr/email-failures/", views.email_failure_list, name="email-failures"),
    path(
        "hr/email-failures/<int:pk>/retry/",
        views.email_failure_retry,
        name="email-failure-retry",
    ),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        account_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH_FLOOR_PAGE:  # bench/pages.py's one-query page; off unless asked for
    from perfcycle import bench_views

    urlpatterns.append(path("bench/floor/", bench_views.floor_page, name="bench-floor"))

handler403 = "perfcycle.error_views.permission_denied"
handler404 = "perfcycle.error_views.page_not_found"
handler500 = "perfcycle.error_views.server_error"
