# Placeholder filled in by the org import work.
urlpatterns = []
