from goals.views import library, setup, tree, workflow

app_name = "goals"

urlpatterns = [
    *library.urlpatterns,
    *workflow.urlpatterns,
    *tree.urlpatterns,
    *setup.urlpatterns,
]
