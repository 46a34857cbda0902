from django.urls import path

from perfcycle.org_import import views

urlpatterns = [
    path("import/", views.org_import_upload, name="org-import"),
    path("import/<int:pk>/", views.org_import_detail, name="org-import-detail"),
    path("import/<int:pk>/apply/", views.org_import_apply, name="org-import-apply"),
    path("import/<int:pk>/discard/", views.org_import_discard, name="org-import-discard"),
]
