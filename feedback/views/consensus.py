"""Views of the feedback stage (filled by its lane)."""

urlpatterns: list = []
