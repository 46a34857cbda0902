from importlib import import_module

app_name = "implementation"

# Areas are joined here; a missing module means that area is still being built.
urlpatterns = []
for _area in ["checkins", "evidence", "deviations"]:
    try:
        urlpatterns += import_module(f"implementation.views.{_area}").urlpatterns
    except ModuleNotFoundError as error:
        if error.name != f"implementation.views.{_area}":
            raise
