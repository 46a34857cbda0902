"""Time each role's daily pages against the large-organisation benchmark database.

    bench/seed_large.sh                     # once: builds perfcycle_bench
    .venv/bin/python -m bench.landing_pages [--requests 50] [--only team] [--profile]

Runs Django's test Client in-process (no HTTP server, no network), logged in with
force_login, so a figure is the cost of the request through the middleware, the view, the
queries and the template. Reports the median and 95th percentile over the requests, and
the number of queries one request makes (and the milliseconds they took, measured on that
one request), the HTML size, and the median CPU time this process spent per request
(``time.process_time``: Python's share of a request, the figure least inflated when other
work shares the machine; PostgreSQL's own time is not in it). The minimum is the wall-clock
figure least disturbed by other work on the machine.

It runs as production does: ``DEBUG`` off (unless the environment sets ``DEBUG=1``), so
templates come from Django's cached loader and no query is logged; only the static files
are served by the plain storage (the hashed manifest needs ``collectstatic``).
``--profile`` prints the 25 most expensive functions (cumulative) of each page under
cProfile instead of timing it.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfcycle_bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from perfcycle import access  # noqa: E402
from perfcycle.models import Employee  # noqa: E402

# (what, username, url)
PAGES = [
    ("HR home", "hr", "/hr/"),
    ("Team home, 4 direct reports", "manager", "/team/"),
    ("My home", "employee", "/me/"),
    ("Team home, VP of Engineering", "rajesh.iyer", "/team/"),
    ("My goals", "employee", "/planning/my-goals/"),
    ("Team goals, 4 direct reports", "manager", "/planning/team/"),
    ("Team goals, VP of Engineering", "rajesh.iyer", "/planning/team/"),
    ("My check-ins", "employee", "/implementation/checkins/"),
    ("Team check-ins, 4 direct reports", "manager", "/implementation/team/checkins/"),
    ("Team check-ins, VP of Engineering", "rajesh.iyer", "/implementation/team/checkins/"),
]

PLAIN_STATIC = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def client_for(username: str, url: str) -> Client:
    user = get_user_model().objects.get(username=username)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for _ in range(5):  # warm up: template loading, connection, caches
        response = client.get(url)
        assert response.status_code == 200, (username, url, response.status_code)
    return client


def timed_requests(client: Client, url: str, requests: int):
    """The wall-clock and CPU milliseconds of each of ``requests`` GETs of ``url``, then
    one more GET with its queries captured: ``(wall, cpu, queries, response)``."""
    wall, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return wall, cpu, queries, response


def time_page(username: str, url: str, requests: int) -> dict:
    timings, cpu, queries, response = timed_requests(client_for(username, url), url, requests)
    timings.sort()
    user = get_user_model().objects.get(username=username)
    return {
        "min": timings[0],
        "median": statistics.median(timings),
        "cpu": statistics.median(cpu),
        "p95": timings[int(0.95 * (len(timings) - 1))],
        "queries": len(queries),
        "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
        "kb": len(response.content) / 1024,
        "reports": access.reports_of(user).count(),
    }


def profile_page(username: str, url: str, requests: int) -> str:
    client = client_for(username, url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
        int(os.environ.get("TOP", "25"))
    )
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    parser.add_argument("--profile", action="store_true", help="cProfile instead of timing")
    args = parser.parse_args()
    pages = [p for p in PAGES if args.only.lower() in p[0].lower()]
    employees = Employee.objects.count()
    print(f"{connection.vendor} {connection.settings_dict['NAME']}: {employees:,} employees")
    print(
        f"DEBUG={int(settings.DEBUG)}, {args.requests} requests per page, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    report(pages, requests=args.requests, profile=args.profile)


def report(pages, *, requests: int, profile: bool) -> None:
    """Print the table of ``pages`` ((what, username, url) each), or their profiles."""
    with override_settings(STORAGES=PLAIN_STATIC):
        if profile:
            for what, username, url in pages:
                print(f"## {what} ({username} {url})\n")
                print(profile_page(username, url, requests))
            return
        print(
            "| page | login | url | reports (all levels) | min ms | median ms | p95 ms "
            "| this process's CPU ms (median) | queries | SQL ms | KB |"
        )
        print("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        for what, username, url in pages:
            r = time_page(username, url, requests)
            print(
                f"| {what} | `{username}` | `{url}` | {r['reports']:,} | {r['min']:.1f} "
                f"| {r['median']:.1f} | {r['p95']:.1f} | {r['cpu']:.1f} | {r['queries']} "
                f"| {r['sql_ms']:.1f} "
                f"| {r['kb']:.0f} |"
            )


if __name__ == "__main__":
    main()
