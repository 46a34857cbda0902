"""Time the alignment tree page against the large-organisation benchmark database.

    bench/seed_large.sh                       # once: builds perfcycle_bench (10,000 people)
    .venv/bin/python -m bench.alignment_tree [--requests 20]

Seeds the planning data of the current cycle first (``goals.demo.seed_planning``: 3–4
goals per participant, ~35,000 goals at 10,000 people; a second run adds nothing and
is timed too), then requests the tree as HR, as managers with small and large teams and
as an employee, in-process with Django's test Client (force_login, no HTTP server), and
reports min / median / p95 milliseconds, the queries of one request and the HTML size.
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
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from goals.demo import seed_planning  # noqa: E402
from goals.models import Goal, GoalLevel  # noqa: E402
from perfcycle import access  # noqa: E402
from perfcycle.models import Cycle, Employee  # noqa: E402
from perfcycle.workflow import SYSTEM  # noqa: E402


def current_cycle() -> Cycle:
    """The open cycle running today (the demo's "FY… performance cycle")."""
    cycle = (
        Cycle.objects.exclude(phase=Cycle.Phase.CLOSED)
        .filter(start_date__lte=timezone.localdate())
        .order_by("-start_date")
        .first()
    )
    if cycle is None or not cycle.participations.exists():
        raise SystemExit("No open cycle with participants: run bench/seed_large.sh first.")
    return cycle


def time_seed(cycle: Cycle) -> list[tuple[str, float]]:
    runs = []
    for label in ["seed_planning, run 1", "seed_planning, run 2"]:
        before = Goal.objects.filter(cycle=cycle).count()
        started = time.perf_counter()
        seed_planning(cycle, actor=SYSTEM)
        elapsed = time.perf_counter() - started
        after = Goal.objects.filter(cycle=cycle).count()
        runs.append((f"{label}: {after - before:,} goals added", elapsed))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE goals_goal")  # fresh statistics, as autovacuum would give
    return runs


def pages(cycle: Cycle) -> list[tuple[str, str, str]]:
    tree = reverse("goals:tree", args=[cycle.pk])

    def children(goal):
        return reverse("goals:tree-children", args=[cycle.pk, goal.pk])

    company = Goal.objects.filter(cycle=cycle, level=GoalLevel.COMPANY).order_by("pk").first()
    busiest = (
        Goal.objects.filter(cycle=cycle, level=GoalLevel.DEPARTMENT)
        .annotate(n=Count("children"))
        .order_by("-n", "pk")
        .first()
    )
    return [
        ("HR, top level", "hr", tree),
        ("HR, a company goal as root", "hr", f"{tree}?root={company.pk}"),
        (
            f"HR, a department goal with {busiest.n} contributing goals",
            "hr",
            f"{tree}?root={busiest.pk}",
        ),
        ("HR, its page 3", "hr", f"{tree}?root={busiest.pk}&page=3"),
        ("HR, its expander's fragment", "hr", children(busiest)),
        ("HR, the fragment's page 3", "hr", children(busiest) + "?page=3"),
        ("HR, a company goal's fragment", "hr", children(company)),
        ("Team lead", "manager", tree),
        ("VP of Engineering", "rajesh.iyer", tree),
        ("Employee", "employee", tree),
    ]


def time_page(username: str, url: str, requests: int) -> dict:
    user = get_user_model().objects.get(username=username)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for _ in range(2):  # warm up: template loading, connection
        response = client.get(url)
        assert response.status_code == 200, (username, url, response.status_code)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    timings.sort()
    return {
        "min": timings[0],
        "median": statistics.median(timings),
        "p95": timings[int(0.95 * (len(timings) - 1))],
        "queries": len(queries),
        "kb": len(response.content) / 1024,
        "reports": access.reports_of(user).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    cycle = current_cycle()
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}: "
        f"{Employee.objects.count():,} employees, cycle “{cycle}” "
        f"({cycle.participations.count():,} participants)\n"
    )
    for label, seconds in time_seed(cycle):
        print(f"{label}: {seconds:.2f} s")
    counts = dict(
        Goal.objects.filter(cycle=cycle).order_by().values_list("level").annotate(n=Count("id"))
    )
    print(f"goals in the cycle: {sum(counts.values()):,} {counts}\n")
    print(f"{args.requests} requests per page\n")
    print("| page | login | reports | min ms | median ms | p95 ms | queries | HTML KB |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    for what, username, url in pages(cycle):
        r = time_page(username, url, args.requests)
        print(
            f"| {what} | `{username}` | {r['reports']:,} | {r['min']:.0f} | {r['median']:.0f} "
            f"| {r['p95']:.0f} "
            f"| {r['queries']} | {r['kb']:.0f} |"
        )


if __name__ == "__main__":
    main()
