"""Time opening and closing the appraisal of the 10,000-person cycle, and HR's
calibration board, against the large-organisation database.

    BENCH_DB=perfcycle_bench_calib bench/seed_large.sh 10000     # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfcycle_bench_calib \\
        .venv/bin/python -m bench.appraisal_cycle [--pages 15] [--keep]

Starts from a clean slate (it deletes the current cycle's appraisals and calibration
rows; the audit log is append-only, so earlier runs' events stay) and puts the cycle in
the appraisal phase without running the phase hooks, then times:

- ``open_missing_appraisals`` (what the phase hook on entering appraisal runs), twice:
  the second run finds every appraisal there and opens none;
- the calibration board for HR (the whole organisation and the largest department), as
  the median of ``--pages`` in-process requests with ``DEBUG`` off, with its queries;
- ``finalize_appraisals`` (what the phase hook on leaving appraisal runs), twice: the
  second finds nothing to do;
- then, from a clean slate again, the whole phase changes as HR's button or the nightly
  scheduler makes them (``advance_cycle_phase``: guards, every stage's hooks, the audit
  event and the in-app notice to each participant, in one transaction): implementation →
  appraisal (opening inside it) and, after the same calibration setup, appraisal →
  feedback (the close inside it).

Between opening and the board it moves four appraisals in five into calibration with a
proposed score (setup, not timed: the review lane's services would do it one by one),
and half of the rest to manager review; they are finalised "not reviewed" at close.
Targets: open and close ≤ 10 s each. At the end it deletes what it made (``--keep`` to
look at it) and puts the cycle back in implementation.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfcycle_bench")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from appraisal.models import (  # noqa: E402
    Appraisal,
    AppraisalItem,
    AppraisalSettings,
    AppraisalStatus,
    CalibrationAdjustment,
    CalibrationSession,
    ItemEvidence,
    PeerRating,
    PeerReview,
    Reopening,
)
from appraisal.services.closing import finalize_appraisals  # noqa: E402
from appraisal.services.opening import open_missing_appraisals  # noqa: E402
from goals.demo import seed_planning  # noqa: E402
from perfcycle.models import Cycle, Employee, Notification  # noqa: E402
from perfcycle.phases import advance_cycle_phase  # noqa: E402
from perfcycle.workflow import SYSTEM  # noqa: E402

TARGET_SECONDS = 10
# Static files by the plain storage: the hashed manifest needs collectstatic.
PLAIN_STATIC = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def bench_cycle() -> Cycle:
    cycle = (
        Cycle.objects.filter(phase__in=[Cycle.Phase.IMPLEMENTATION, Cycle.Phase.APPRAISAL])
        .order_by("-start_date")
        .first()
    )
    if cycle is None or not cycle.participations.exists():
        raise SystemExit("No cycle in implementation: run bench/seed_large.sh first.")
    return cycle


def clean_slate(cycle: Cycle) -> None:
    if not connection.settings_dict["NAME"].startswith("perfcycle_bench"):
        raise SystemExit("Refusing to clean a database whose name is not perfcycle_bench*.")
    appraisals = Appraisal.objects.filter(participation__cycle=cycle)
    ItemEvidence.objects.filter(item__appraisal__in=appraisals).delete()
    PeerRating.objects.filter(item__appraisal__in=appraisals).delete()
    PeerReview.objects.filter(appraisal__in=appraisals).delete()
    CalibrationAdjustment.objects.filter(appraisal__in=appraisals).delete()
    Reopening.objects.filter(appraisal__in=appraisals).delete()
    AppraisalItem.objects.filter(appraisal__in=appraisals).delete()
    appraisals.delete()
    CalibrationSession.objects.filter(cycle=cycle).delete()
    AppraisalSettings.objects.filter(cycle=cycle).delete()
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.APPRAISAL)
    cycle.refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def timed(label: str, call) -> dict:
    with CaptureQueriesContext(connection) as queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        value = call()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
    return {
        "label": label,
        "value": value,
        "seconds": seconds,
        "cpu": cpu,
        "queries": len(queries),
    }


def phase_change(cycle: Cycle, to_phase: str):
    """The whole move; returns the new phase and the notices it sent."""
    before = Notification.objects.count()
    moved = advance_cycle_phase(actor=SYSTEM, cycle_id=cycle.pk, to_phase=to_phase)
    return f"{moved.phase}, {Notification.objects.count() - before:,} notices"


def into_calibration(cycle: Cycle) -> dict:
    """Setup: 4 in 5 reviewed with a proposed score spread over the scale (by id), half
    of the rest with the manager. One UPDATE each."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE appraisal_appraisal AS a SET
                status = %s, self_submitted_at = now(), manager_submitted_at = now(),
                proposed_score = 1 + ((a.id * 37) %% 401) / 100.0,
                final_score = 1 + ((a.id * 37) %% 401) / 100.0
            FROM perfcycle_participation AS p
            WHERE p.id = a.participation_id AND p.cycle_id = %s AND a.id %% 5 <> 0
            """,
            [AppraisalStatus.CALIBRATION, cycle.pk],
        )
        cursor.execute(
            """
            UPDATE appraisal_appraisal AS a SET status = %s, self_submitted_at = now()
            FROM perfcycle_participation AS p
            WHERE p.id = a.participation_id AND p.cycle_id = %s AND a.id %% 10 = 0
            """,
            [AppraisalStatus.MANAGER_REVIEW, cycle.pk],
        )
    return dict(
        Appraisal.objects.filter(participation__cycle=cycle)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


def board_timings(cycle: Cycle, *, department_id=None, pages: int) -> dict:
    hr = Employee.objects.select_related("user").get(user__username="hr").user
    client = Client(HTTP_HOST="127.0.0.1", headers={"x-forwarded-proto": "https"})
    client.force_login(hr)
    url = f"{reverse('appraisal:calibration-board')}?cycle={cycle.pk}"
    if department_id:
        url += f"&department={department_id}"
    secure = not settings.DEBUG
    started = time.perf_counter()
    client.get(url, secure=secure)  # warm-up (and the first after a write: nothing stored)
    first_ms = (time.perf_counter() - started) * 1000
    times, cpu, queries = [], [], 0
    for _ in range(pages):
        with CaptureQueriesContext(connection) as ctx:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, secure=secure)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, response.status_code
        queries = len(ctx)
    return {
        "median_ms": statistics.median(times) * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
        "first_ms": first_ms,
        "queries": queries,
        "url": url,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=15)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--no-phase-changes", action="store_true", help="skip the whole phase changes"
    )
    args = parser.parse_args()
    cycle = bench_cycle()
    seed_planning(cycle, actor=SYSTEM)  # idempotent: the plan, scale and goals
    clean_slate(cycle)
    last_notice = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    people = cycle.participations.count()
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}: {people:,} participants in "
        f"“{cycle}”, DEBUG={settings.DEBUG}\n"
    )
    runs = [
        timed("open_missing_appraisals, run 1", lambda: open_missing_appraisals(cycle=cycle)),
        timed("open_missing_appraisals, run 2", lambda: open_missing_appraisals(cycle=cycle)),
    ]
    items = AppraisalItem.objects.filter(appraisal__participation__cycle=cycle).count()
    statuses = into_calibration(cycle)
    largest = (
        Appraisal.objects.filter(participation__cycle=cycle)
        .values("department_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    with override_settings(STORAGES=PLAIN_STATIC):
        boards = [
            ("the organisation", board_timings(cycle, pages=args.pages)),
            (
                f"one department ({largest['n']:,} people)",
                board_timings(cycle, department_id=largest["department_id"], pages=args.pages),
            ),
        ]
    runs += [
        timed("finalize_appraisals, run 1", lambda: finalize_appraisals(cycle=cycle, actor=SYSTEM)),
        timed("finalize_appraisals, run 2", lambda: finalize_appraisals(cycle=cycle, actor=SYSTEM)),
    ]
    if not args.no_phase_changes:
        clean_slate(cycle)
        Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)
        runs.append(
            timed(
                "phase change implementation → appraisal (opening inside)",
                lambda: phase_change(cycle, Cycle.Phase.APPRAISAL),
            )
        )
        into_calibration(cycle)
        runs.append(
            timed(
                "phase change appraisal → feedback (the close inside)",
                lambda: phase_change(cycle, Cycle.Phase.FEEDBACK),
            )
        )
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{items:,} appraisal items; before close: {statuses}; load average {load}\n")
    print("| run | result | seconds | CPU s | queries | target |")
    print("|---|---|--:|--:|--:|---|")
    for run in runs:
        ok = "met" if run["seconds"] <= TARGET_SECONDS else "MISSED"
        print(
            f"| {run['label']} | {run['value']} | {run['seconds']:.2f} | {run['cpu']:.2f} | "
            f"{run['queries']} | ≤ {TARGET_SECONDS} s: {ok} |"
        )
    print("\n| calibration board | median (ms) | CPU median (ms) | queries | first request (ms) |")
    print("|---|--:|--:|--:|--:|")
    for label, board in boards:
        print(
            f"| {label} | {board['median_ms']:.1f} | {board['cpu_ms']:.1f} | {board['queries']} | "
            f"{board['first_ms']:.0f} |"
        )
    if not args.keep:
        clean_slate(cycle)
        Notification.objects.filter(pk__gt=last_notice).delete()
        Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.IMPLEMENTATION)


if __name__ == "__main__":
    main()
