"""Project middleware."""

from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """Pages behind sign-in are never stored: not by a shared proxy, not in the browser's cache
    (so Back after signing out, or the next person at a shared computer, shows nothing).

    Pages for visitors who are not signed in (the sign-in page) keep their usual caching; static
    files never get here (WhiteNoise answers them first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
