from functools import cached_property

from django.utils.functional import SimpleLazyObject

from perfcycle.stages import registry, viewer_for


class NavigationBar:
    """The bar of one request, built only when a template shows it: ``menus_html`` and
    ``account_html`` (what ``base.html`` prints, from the registry's per-process store of
    rendered bars) or ``items`` (the NavItems, as ``nav.menus`` / ``nav.account``)."""

    def __init__(self, viewer, *, view_name: str, query):
        self.viewer = viewer
        self.view_name = view_name
        self.query = query

    @cached_property
    def items(self) -> dict:
        return registry.menus(self.viewer, view_name=self.view_name, query=self.query)

    @cached_property
    def _html(self) -> tuple[str, str]:
        return registry.bar_html(self.viewer, view_name=self.view_name, query=self.query)

    @property
    def menus_html(self) -> str:
        return self._html[0]

    @property
    def account_html(self) -> str:
        return self._html[1]


def navigation(request):
    """The navigation bar from the stage registry, for the request's one viewer (the
    same lookups the home pages' to-dos use, so a page pays for them once)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": None}
    viewer = viewer_for(request)
    match = getattr(request, "resolver_match", None)
    bar = NavigationBar(viewer, view_name=match.view_name if match else "", query=request.GET)
    return {
        "nav": {
            "viewer": viewer,
            "is_hr": viewer.is_hr,
            "is_manager": viewer.is_manager,
            "employee": viewer.employee,
            "bar": bar,
            "menus": SimpleLazyObject(lambda: bar.items["menus"]),
            "account": SimpleLazyObject(lambda: bar.items["account"]),
        }
    }
