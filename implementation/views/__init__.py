"""Implementation pages, one module per area; each defines ``urlpatterns``."""
