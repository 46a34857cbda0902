from django.urls import path

from perfcycle import org_import_views

urlpatterns = [
    path("import/", org_import_views.org_import_upload, name="org-import"),
    path("import/<int:pk>/", org_import_views.org_import_detail, name="org-import-detail"),
    path("import/<int:pk>/apply/", org_import_views.org_import_apply, name="org-import-apply"),
    path(
        "import/<int:pk>/discard/", org_import_views.org_import_discard, name="org-import-discard"
    ),
]
