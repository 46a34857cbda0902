from importlib import import_module

app_name = "goals"

urlpatterns = []
for _area in ["library", "workflow", "tree", "setup"]:
    try:
        urlpatterns += import_module(f"goals.views.{_area}").urlpatterns
    except ModuleNotFoundError as error:  # an area not built yet
        if error.name != f"goals.views.{_area}":
            raise
