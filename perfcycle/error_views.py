"""Error pages in the house look. The 500 page renders without context processors
because a 500 may mean the database itself is the problem."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return HttpResponseServerError(
        loader.get_template("500.html").render({"nav": None, "messages": []})
    )
