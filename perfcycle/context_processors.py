from perfcycle.stages import registry, viewer_for


def navigation(request):
    """The navigation bar from the stage registry, for the request's one viewer (the
    same lookups the home pages' to-dos use, so a page pays for them once)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": None}
    viewer = viewer_for(request)
    match = getattr(request, "resolver_match", None)
    bar = registry.menus(viewer, view_name=match.view_name if match else "", query=request.GET)
    return {
        "nav": {
            "viewer": viewer,
            "is_hr": viewer.is_hr,
            "is_manager": viewer.is_manager,
            "employee": viewer.employee,
            "menus": bar["menus"],
            "account": bar["account"],
        }
    }
