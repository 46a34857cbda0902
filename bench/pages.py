"""Time every GET page of every role, in-process and over HTTP, and write bench/RESULTS.md.

    BENCH_DB=perfcycle_bench_bench bench/seed_large.sh 10000     # once
    BENCH_DB=perfcycle_bench_bench make bench                     # or:
    .venv/bin/python -m bench.pages [--requests 10] [--roles hr,employee] [--no-http]

In-process: the pages come from ``bench.urlwalk`` (every named GET route of the URLconf,
parametrised ones filled with the role's own objects from the bench database); each is
requested with Django's test ``Client`` (``force_login``), DEBUG off, 2 warm-up requests
then ``--requests`` timed ones: median and 95th percentile in ms, the queries of one
request and the HTML size.

Over HTTP: gunicorn with 2 sync workers on ``--port`` (DEBUG off, the settings of
``make run``), a load generator of 2 processes × 4 threads (``http.client``, a new
connection per request, as a sync worker closes it) sending ``Cookie: sessionid=…`` and
``X-Forwarded-Proto: https`` (the cookies are ``Secure`` when deployed). Each key daily
page's requests/s is reported beside the floor page's (``/bench/floor/``: one query and a
template, routed only with ``PERFCYCLE_BENCH_FLOOR_PAGE=1``), measured in the same run
before and after the pages; the ratio is the figure that counts.
"""

import argparse
import datetime as dt
import http.client
import logging
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BENCH_DB = os.environ.get("BENCH_DB", "perfcycle_bench")
DATABASE_URL = os.environ.get("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}")
# DEBUG off, no SECRET_KEY: the settings of `make run` (local mode, plain http on 127.0.0.1).
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "perfcycle.settings",
    "DEBUG": "0",
    "DATABASE_URL": DATABASE_URL,
    "PERFCYCLE_BENCH_FLOOR_PAGE": "1",
}
for _name, _value in SERVER_ENV.items():
    os.environ[_name] = _value
os.environ.pop("SECRET_KEY", None)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from bench import urlwalk  # noqa: E402
from perfcycle.models import Employee  # noqa: E402

ROLES = ("hr", "manager", "employee", "rajesh.iyer")
START = "<!-- bench/pages.py: start (generated, replaced on each run) -->"
END = "<!-- bench/pages.py: end -->"

# (what, login, url name): the pages people use daily, for the HTTP run.
KEY_PAGES = [
    ("HR home", "hr", "hr-home"),
    ("Team home", "manager", "team-home"),
    ("Team home, VP (3,498 reports)", "rajesh.iyer", "team-home"),
    ("My home", "employee", "my-home"),
    ("My goals", "employee", "goals:my-goals"),
    ("Team goals", "manager", "goals:team-goals"),
    ("My check-ins", "employee", "implementation:my-checkins"),
    ("Team board", "manager", "implementation:team-board"),
    ("Evidence", "employee", "implementation:evidence-list"),
    ("My deviations", "employee", "implementation:my-deviations"),
    ("Team deviations", "manager", "implementation:team-deviations"),
    ("Check-in participation", "hr", "implementation:checkin-participation"),
    ("Planning progress", "hr", "goals:planning-progress"),
    ("Audit log", "hr", "audit-list"),
]


# --- In-process -----------------------------------------------------------------------------


def time_pages(roles, requests: int) -> urlwalk.Walk:
    timings = {}

    def on_page(page, client):
        for _ in range(2):
            client.get(page.url)
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(page.url)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        timings[id(page)] = (
            statistics.median(samples),
            samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))],
        )
        print(f"  {page.role:12} {page.url:55} {timings[id(page)][0]:8.1f} ms", flush=True)

    result = urlwalk.walk(roles, on_page=on_page)
    for page in result.pages:
        page.median_ms, page.p95_ms = timings[id(page)]
    return result


# --- Over HTTP ------------------------------------------------------------------------------


def _load(port: int, path: str, headers: dict, seconds: float, threads: int, out):
    """One load-generator process: ``threads`` threads requesting ``path`` for ``seconds``."""
    stop_at = time.perf_counter() + seconds
    counts = [0] * threads
    errors = [0] * threads

    def run(i):
        while time.perf_counter() < stop_at:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[i] += 1
                else:
                    errors[i] += 1
            except OSError:
                errors[i] += 1
            finally:
                conn.close()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((sum(counts), sum(errors)))


def requests_per_second(port, path, headers, seconds, processes=2, threads=4):
    out = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_load, args=(port, path, headers, seconds, threads, out))
        for _ in range(processes)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    ok = sum(r[0] for r in results)
    return ok / elapsed, sum(r[1] for r in results)


def _wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/floor/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on port {port}")


def http_run(port: int, seconds: float) -> dict:
    from django.urls import reverse

    users = {u.username: u for u in get_user_model().objects.filter(username__in=ROLES)}
    cookies = {}
    for role, user in users.items():
        client = urlwalk.client_for(user)
        cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    env = {**os.environ, **SERVER_ENV}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "perfcycle.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    rows = []
    try:
        _wait_for(port)
        base = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
        requests_per_second(port, "/bench/floor/", base, 2)  # warm both workers
        floor_before, _ = requests_per_second(port, "/bench/floor/", base, seconds)
        print(f"  floor page {floor_before:.0f} req/s", flush=True)
        for what, role, name in KEY_PAGES:
            if role not in cookies:
                continue
            path = reverse(name)
            headers = {**base, "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookies[role]}"}
            requests_per_second(port, path, headers, 1)
            rate, errors = requests_per_second(port, path, headers, seconds)
            rows.append((what, role, path, rate, errors))
            print(f"  {what:35} {rate:7.1f} req/s ({errors} errors)", flush=True)
        floor_after, _ = requests_per_second(port, "/bench/floor/", base, seconds)
        print(f"  floor page {floor_after:.0f} req/s", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {"floor": (floor_before, floor_after), "rows": rows}


# --- Report ---------------------------------------------------------------------------------


def _loadavg() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def report(walk: urlwalk.Walk, http: dict | None, args, load_before: str) -> str:
    people = Employee.objects.count()
    lines = [
        START,
        f"## Every GET page, {dt.datetime.now(dt.UTC):%d %B %Y %H:%M} UTC",
        "",
        f"`bench/pages.py --requests {args.requests}` against `{connection.settings_dict['NAME']}` "
        f"({people:,} people), DEBUG off, in-process (Django's test `Client`, `force_login`, "
        "2 warm-up requests). Load average (1, 5, 15 min) before the run "
        f"{load_before}, after {_loadavg()} (2 cores shared with other engineers: the times "
        "are inflated, the query counts are exact). Pages over the daily budget "
        "(15 ms median, 12 queries) are not marked: the budget applies to the pages used "
        "daily, listed in the HTTP table below.",
        "",
        "| page | login | url | median ms | p95 ms | queries | HTML KB |",
        "|---|---|---|--:|--:|--:|--:|",
    ]
    for page in walk.pages:
        lines.append(
            f"| `{page.route.name}` | `{page.role}` | `{page.url}` | {page.median_ms:.1f} "
            f"| {page.p95_ms:.1f} | {page.queries} | {page.html_bytes / 1024:.0f} |"
        )
    lines += ["", "Routes not timed (per role, or `all`):", ""]
    merged: dict[tuple[str, str], list[str]] = {}
    for label, role, reason in walk.skipped:
        # "redirects to /planning/goals/166/": the same reason for every role, other ids
        key = (label, re.sub(r"/\d+/", "/<id>/", reason))
        merged.setdefault(key, []).append(role)
    lines += ["| route | logins | why |", "|---|---|---|"]
    for (label, reason), roles in merged.items():
        who = "all" if "all" in roles or set(roles) >= set(args.roles) else ", ".join(roles)
        lines.append(f"| `{label}` | {who} | {reason} |")
    if http:
        before, after = http["floor"]
        floor = (before + after) / 2
        lines += [
            "",
            f"### Over HTTP: gunicorn, 2 sync workers, DEBUG off, {args.seconds:g} s per page",
            "",
            "Load generator: 2 processes × 4 threads of `http.client` on the same 2 cores, a "
            "new connection per request. Floor: `/bench/floor/` (one query and a template, "
            f"routed only for the bench) {before:.0f} req/s before the pages and {after:.0f} "
            f"after (ratio against their mean, {floor:.0f}). Target ≥ 25 %.",
            "",
            "| page | login | url | requests/s | % of the floor | errors |",
            "|---|---|---|--:|--:|--:|",
        ]
        for what, role, path, rate, errors in http["rows"]:
            lines.append(
                f"| {what} | `{role}` | `{path}` | {rate:.1f} | {100 * rate / floor:.1f} % "
                f"| {errors} |"
            )
    lines.append(END)
    return "\n".join(lines)


def write_results(section: str) -> None:
    path = BENCH_DIR / "RESULTS.md"
    text = path.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--roles", default=",".join(ROLES), type=lambda s: s.split(","))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8814")))
    parser.add_argument("--seconds", type=float, default=5.0, help="per page over HTTP")
    parser.add_argument("--no-http", action="store_true", help="in-process only")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args()
    # The walk asks every login for every page: "Not Found" is the expected answer to most.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    load_before = _loadavg()
    print(f"{connection.settings_dict['NAME']}: {Employee.objects.count():,} people", flush=True)
    walk = time_pages(args.roles, args.requests)
    http = None if args.no_http else http_run(args.port, args.seconds)
    section = report(walk, http, args, load_before)
    if args.no_write:
        print(section)
    else:
        write_results(section)
        print(f"wrote {BENCH_DIR / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
