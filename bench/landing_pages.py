"""Time each role's landing page against the large-organisation benchmark database.

    bench/seed_large.sh                     # once: builds perfcycle_bench
    .venv/bin/python -m bench.landing_pages [--requests 50]

Runs Django's test Client in-process (no HTTP server, no network), logged in with
force_login, so a figure is the cost of the request through the middleware, the view, the
queries and the template. Reports the median and 95th percentile over the requests, and
the number of queries one request makes. The minimum is the figure least disturbed by
other work on the machine.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfcycle_bench")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from perfcycle import access  # noqa: E402
from perfcycle.models import Employee  # noqa: E402

# (what, username, url)
PAGES = [
    ("HR home", "hr", "/hr/"),
    ("Team home, 4 direct reports", "manager", "/team/"),
    ("My home", "employee", "/me/"),
    ("Team home, VP of Engineering", "rajesh.iyer", "/team/"),
]


def time_page(username: str, url: str, requests: int) -> dict:
    user = get_user_model().objects.get(username=username)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for _ in range(5):  # warm up: template loading, connection, caches
        response = client.get(url)
        assert response.status_code == 200, (username, url, response.status_code)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings.sort()
    return {
        "min": timings[0],
        "median": statistics.median(timings),
        "p95": timings[int(0.95 * (len(timings) - 1))],
        "queries": len(queries),
        "reports": access.reports_of(user).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    employees = Employee.objects.count()
    print(f"{connection.vendor} {connection.settings_dict['NAME']}: {employees:,} employees")
    print(f"{args.requests} requests per page\n")
    print("| page | login | url | reports (all levels) | min ms | median ms | p95 ms | queries |")
    print("|---|---|---|--:|--:|--:|--:|--:|")
    for what, username, url in PAGES:
        r = time_page(username, url, args.requests)
        print(
            f"| {what} | `{username}` | `{url}` | {r['reports']:,} | {r['min']:.1f} "
            f"| {r['median']:.1f} | {r['p95']:.1f} | {r['queries']} |"
        )


if __name__ == "__main__":
    main()
