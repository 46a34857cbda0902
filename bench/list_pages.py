"""Time the list pages (evidence, deviations, HR participation and planning progress, the
audit log) and the alignment tree's top level against a benchmark database.

    BENCH_DB=perfcycle_bench bench/seed_large.sh 10000    # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfcycle_bench \\
        .venv/bin/python -m bench.list_pages [--requests 20] [--only evidence]

In-process with Django's test Client (force_login, no HTTP server), DEBUG off unless the
environment says otherwise: min / median / p95 ms, the queries of one request and the HTML
size, like bench/landing_pages.py.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfcycle_bench")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.landing_pages import PLAIN_STATIC  # noqa: E402
from perfcycle.models import Cycle, Employee, Rollup  # noqa: E402


def pages() -> list[tuple[str, str, str]]:
    cycle = Cycle.objects.filter(phase=Cycle.Phase.IMPLEMENTATION).order_by("-start_date").first()
    return [
        ("Evidence, the employee's own", "employee", reverse("implementation:evidence-list")),
        ("Evidence, a team lead's team", "manager", reverse("implementation:evidence-list")),
        ("Evidence, HR", "hr", reverse("implementation:evidence-list")),
        ("Deviations, the owner's", "employee", reverse("implementation:my-deviations")),
        ("Deviations, a team lead's team", "manager", reverse("implementation:team-deviations")),
        ("Deviations, HR", "hr", reverse("implementation:team-deviations")),
        (
            "Deviations, HR, all statuses",
            "hr",
            f"{reverse('implementation:team-deviations')}?status=all",
        ),
        (
            "Check-in participation, HR",
            "hr",
            reverse("implementation:checkin-participation"),
        ),
        (
            "Planning progress, HR",
            "hr",
            f"{reverse('goals:planning-progress')}?cycle={cycle.pk}",
        ),
        ("Audit log, HR", "hr", reverse("audit-list")),
        ("Alignment tree, HR top level", "hr", reverse("goals:tree", args=[cycle.pk])),
    ]


def time_page(username: str, url: str, requests: int, *, cold: bool = False) -> dict:
    user = get_user_model().objects.get(username=username)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for _ in range(3):  # warm up: template loading, connection
        response = client.get(url)
        assert response.status_code == 200, (username, url, response.status_code)
    timings, cpu = [], []
    for _ in range(requests):
        if cold:
            Rollup.objects.all().delete()
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    if cold:
        Rollup.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    timings.sort()
    return {
        "min": timings[0],
        "median": statistics.median(timings),
        "cpu": statistics.median(cpu),
        "p95": timings[int(0.95 * (len(timings) - 1))],
        "queries": len(queries),
        "kb": len(response.content) / 1024,
        "sql": queries.captured_queries,
        "sql_ms": 1000 * sum(float(q["time"]) for q in queries.captured_queries),
    }


def explain(captured: list[dict], slower_than_ms: float) -> None:
    for q in captured:
        sql = q["sql"]
        if sql.startswith("DECLARE"):  # a server-side cursor (a form field's iterator)
            sql = sql.split(" FOR ", 1)[1]
        if float(q["time"]) * 1000 < slower_than_ms or not sql.lstrip().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(f"      {row[0]}" for row in cursor.fetchall())
        print(f"    {q['time']}s  {sql}\n{plan}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", default="", help="only pages whose label contains this")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="forget the stored roll-ups before each request (the first request after a write)",
    )
    parser.add_argument("--sql", action="store_true", help="print each query of one request")
    parser.add_argument(
        "--explain", type=float, metavar="MS", help="EXPLAIN ANALYZE the queries slower than MS"
    )
    args = parser.parse_args()
    print(
        f"{connection.settings_dict['NAME']}: {Employee.objects.count():,} employees, "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {args.requests} requests "
        f"per page{', roll-ups forgotten before each' if args.cold else ''}\n"
    )
    print(
        "| page | login | min ms | median ms | p95 ms | this process's CPU ms (median) "
        "| queries | SQL ms (1 request) | HTML KB |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for what, username, url in pages():
        if args.only.lower() not in what.lower():
            continue
        r = time_page(username, url, args.requests, cold=args.cold)
        print(
            f"| {what} | `{username}` | {r['min']:.1f} | {r['median']:.1f} | {r['p95']:.1f} "
            f"| {r['cpu']:.1f} | {r['queries']} | {r['sql_ms']:.1f} | {r['kb']:.0f} |",
            flush=True,
        )
        if args.sql:
            for q in r["sql"]:
                print(f"    {q['time']}s  {q['sql'][:300]}")
        if args.explain is not None:
            explain(r["sql"], args.explain)


if __name__ == "__main__":
    with override_settings(STORAGES=PLAIN_STATIC):  # the hashed manifest needs collectstatic
        main()
