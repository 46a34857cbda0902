from django.http import Http404
from django.urls import path


def _todo(request, *args, **kwargs):  # replaced by the org import work
    raise Http404


urlpatterns = [
    path("import/", _todo, name="org-import"),
    path("import/<int:pk>/", _todo, name="org-import-detail"),
    path("import/<int:pk>/apply/", _todo, name="org-import-apply"),
    path("import/<int:pk>/discard/", _todo, name="org-import-discard"),
]
