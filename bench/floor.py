"""The floor: what any page behind login costs before it does anything of its own.

    BENCH_DB=perfcycle_bench_<you> bench/seed_large.sh 10000     # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfcycle_bench_<you> \\
        .venv/bin/python -m bench.floor [--requests 200] [--profile] [--roles hr,manager]

Per login (employee, manager, hr, rajesh.iyer), three pages served through the real
middleware, in-process with Django's test Client (DEBUG off, as bench/landing_pages.py):

- ``bare``: a view behind login that returns a bare string (no template, no viewer);
- ``base``: a view behind login that renders an empty page extending ``base.html``
  (context processors, the navigation, the viewer's lookups, the CSRF token);
- ``home``: the login's real home page, for scale.

The two bench views are routed only here (a URLconf of this module's own that adds them in
front of perfcycle.urls): nothing is added to the app. Static URLs come from the manifest
storage that production uses (``CompressedManifestStaticFilesStorage``), with a manifest
collected once into a temporary folder; ``--plain-static`` uses the plain storage instead,
as landing_pages.py does.

``--profile`` runs each page under cProfile and prints, per request, the cumulative CPU of
the pieces of the floor (each middleware, the context processors, the viewer lookups, the
template tags, static(), reverse(), the session and user loads), then the top functions.
"""

import argparse
import atexit
import cProfile
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # not axes' line per force_login
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfcycle_bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from bench.landing_pages import client_for, timed_requests  # noqa: E402

ROLES = ["employee", "manager", "hr", "rajesh.iyer"]
HOMES = {"employee": "/me/", "manager": "/team/", "hr": "/hr/", "rajesh.iyer": "/team/"}

_EMPTY = engines["django"].from_string('{% extends "base.html" %}')


def bare_page(request):
    return HttpResponse("floor")


def base_page(request):
    return HttpResponse(_EMPTY.render({}, request))


urlpatterns = [
    path("bench/floor-bare/", bare_page, name="bench-floor-bare"),
    path("bench/floor-base/", base_page, name="bench-floor-base"),
    path("", include("perfcycle.urls")),
]
handler403 = "perfcycle.error_views.permission_denied"
handler404 = "perfcycle.error_views.page_not_found"
handler500 = "perfcycle.error_views.server_error"

PAGES = [("bare", "/bench/floor-bare/"), ("base", "/bench/floor-base/"), ("home", None)]

# What --profile breaks the floor into: (label, file suffix, function name), cumulative.
PIECES = [
    ("whole request (Client.get)", "django/test/client.py", "get"),
    ("SecurityMiddleware", "django/middleware/security.py", "process_request"),
    ("WhiteNoiseMiddleware", "whitenoise/middleware.py", "__call__"),
    ("SessionMiddleware.process_request", "sessions/middleware.py", "process_request"),
    ("SessionMiddleware.process_response", "sessions/middleware.py", "process_response"),
    ("session load (SessionStore.load)", "sessions/backends/db.py", "load"),
    ("LocaleMiddleware.process_request", "django/middleware/locale.py", "process_request"),
    ("LocaleMiddleware.process_response", "django/middleware/locale.py", "process_response"),
    ("CommonMiddleware.process_request", "django/middleware/common.py", "process_request"),
    ("CsrfViewMiddleware.process_view", "django/middleware/csrf.py", "process_view"),
    ("CsrfViewMiddleware.process_response", "django/middleware/csrf.py", "process_response"),
    ("auth: get_user (user row)", "django/contrib/auth/__init__.py", "get_user"),
    ("LoginRequiredMiddleware.process_view", "django/contrib/auth/middleware.py", "process_view"),
    ("PrivatePagesMiddleware (whole)", "perfcycle/middleware.py", "__call__"),
    ("patch_cache_control", "django/utils/cache.py", "patch_cache_control"),
    ("MessageMiddleware.process_response", "messages/middleware.py", "process_response"),
    ("XFrameOptions.process_response", "django/middleware/clickjacking.py", "process_response"),
    ("CSPMiddleware.process_response", "csp/middleware.py", "process_response"),
    ("CSPMiddleware.process_request", "csp/middleware.py", "process_request"),
    ("AxesMiddleware (whole)", "axes/middleware.py", "__call__"),
    ("URL resolve", "django/urls/resolvers.py", "resolve"),
    ("view (the page's own function)", "bench/floor.py", "base_page"),
    ("template render (base.html)", "django/template/base.py", "render"),
    ("RequestContext bind (context processors)", "django/template/context.py", "bind_template"),
    ("cp navigation", "perfcycle/context_processors.py", "navigation"),
    ("cp auth", "django/contrib/auth/context_processors.py", "auth"),
    ("cp messages", "django/contrib/messages/context_processors.py", "messages"),
    ("viewer_for", "perfcycle/stages.py", "viewer_for"),
    ("access.employee_of", "perfcycle/access.py", "employee_of"),
    ("registry.menus", "perfcycle/stages.py", "menus"),
    ("{% static %} (StaticNode.render)", "templatetags/static.py", "render"),
    ("{% url %} (URLNode.render)", "django/template/defaulttags.py", "render"),
    ("reverse()", "django/urls/base.py", "reverse"),
    ("{% include %} (IncludeNode.render)", "django/template/loader_tags.py", "render"),
    ("{% csrf_token %} / get_token", "django/middleware/csrf.py", "get_token"),
    ("{% translate %} (TranslateNode.render)", "templatetags/i18n.py", "render"),
    ("SQL execute (cursor)", "django/db/backends/utils.py", "execute"),
    ("SQL compile (as_sql)", "django/db/models/sql/compiler.py", "as_sql"),
    ("model init", "django/db/models/base.py", "__init__"),
]


def collect_manifest() -> str:
    """A STATIC_ROOT holding the manifest production serves from, collected once per run."""
    root = tempfile.mkdtemp(prefix="perfcycle-floor-static-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    env = {**os.environ, "PERFCYCLE_STATIC_ROOT": root}
    code = (
        "import os, django;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'perfcycle.settings');"
        "django.setup();"
        "from django.conf import settings;"
        "settings.STATIC_ROOT = os.environ['PERFCYCLE_STATIC_ROOT'];"
        "from django.core.management import call_command;"
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, cwd=Path(__file__).parent.parent
    )
    return root


def time_page(client: Client, url: str, requests: int) -> dict:
    wall, cpu, queries, response = timed_requests(client, url, requests)
    return {
        "cpu": statistics.median(cpu),
        "cpu_min": min(cpu),
        "wall": statistics.median(wall),
        "queries": len(queries),
        "kb": len(response.content) / 1024,
    }


def profile_page(client: Client, url: str, requests: int, top: int) -> str:
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(requests):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    out = io.StringIO()
    out.write("| piece | calls / request | cumulative CPU ms / request |\n|---|--:|--:|\n")
    for label, suffix, name in PIECES:
        calls = cumulative = 0
        for (filename, _line, function), row in stats.stats.items():
            if function == name and filename.endswith(suffix):
                # row: (primitive calls, total calls, total time, cumulative time, callers)
                calls += row[0]
                cumulative += row[3]
        if calls:
            out.write(
                f"| {label} | {calls / requests:.1f} | {cumulative * 1000 / requests:.3f} |\n"
            )
    out.write("\n")
    stats.stream = out
    stats.sort_stats(os.environ.get("SORT", "cumulative")).print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--pages", default="bare,base,home")
    parser.add_argument("--profile", action="store_true", help="cProfile instead of timing")
    parser.add_argument("--top", type=int, default=30, help="functions listed with --profile")
    parser.add_argument("--plain-static", action="store_true", help="the plain static storage")
    args = parser.parse_args()
    roles = [r for r in args.roles.split(",") if r]
    pages = [p for p in PAGES if p[0] in args.pages.split(",")]

    overrides = {"ROOT_URLCONF": __name__}
    if args.plain_static:
        overrides["STORAGES"] = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    else:
        overrides["STATIC_ROOT"] = collect_manifest()
    static = overrides.get("STORAGES", settings.STORAGES)["staticfiles"]["BACKEND"].rsplit(".")[-1]
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}, DEBUG={int(settings.DEBUG)}, "
        f"static: {static}, {args.requests} requests per page, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    with override_settings(**overrides):
        if args.profile:
            for username in roles:
                for page, url in pages:
                    url = url or HOMES[username]
                    client = client_for(username, url)
                    print(f"## {page}: {username} {url}\n")
                    print(profile_page(client, url, args.requests, args.top))
            return
        print(
            "| login | page | url | CPU ms (median) | CPU ms (min) | wall ms (median) | queries | KB |"
        )
        print("|---|---|---|--:|--:|--:|--:|--:|")
        for username in roles:
            for page, url in pages:
                url = url or HOMES[username]
                r = time_page(client_for(username, url), url, args.requests)
                print(
                    f"| `{username}` | {page} | `{url}` | {r['cpu']:.2f} | {r['cpu_min']:.2f} "
                    f"| {r['wall']:.2f} | {r['queries']} | {r['kb']:.1f} |"
                )
    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
