from perfcycle import access
from perfcycle.models import Notification


def navigation(request):
    """What the navigation bar may show this user; three cheap queries at most."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": None}
    return {
        "nav": {
            "is_hr": access.is_hr(user),
            "is_manager": access.is_manager(user),
            "employee": access.employee_of(user),
            # The current page's URL name, for the active link ("" on error pages).
            "here": getattr(request.resolver_match, "url_name", "") or "",
            "unread": Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
        }
    }
