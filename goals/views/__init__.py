"""Planning pages, one module per area (library, workflow, tree, setup); each module
defines its own ``urlpatterns``, joined in goals/urls.py."""
