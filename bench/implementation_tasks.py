"""Time the implementation stage's scheduled work against the large-organisation database.

    bench/seed_large.sh                              # once: builds perfcycle_bench
    .venv/bin/python -m bench.alignment_tree         # once: seeds ~35,000 goals
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfcycle_bench \\
        .venv/bin/python manage.py migrate           # the implementation tables
    .venv/bin/python -m bench.implementation_tasks [--today 2026-11-28]

Starts from a clean slate each time (it deletes the current cycle's check-ins,
deviations and sent reminders, and the notifications they made; the audit log is
append-only, so earlier runs' audit events stay), then
runs each service a task calls, twice, as beat would on a busy night: open last period's
and this period's check-ins, mark missed ones, detect deviations, check-in reminders,
overdue nudges, corrective-action follow-ups and the managers' digests; last, detection
as of the cycle's first week, when the open deviations are back on track. For each run it
reports the seconds, the queries and the rows it wrote. Every run must stay under 60 s.

``--today`` defaults to two days before the current check-in period ends, so that the
due-soon reminders have something to remind. At the end it deletes what it made again
(``--keep`` to look at it), except the ~31,000 audit events of a run: the audit log is
append-only, and only ``bench/seed_large.sh`` starts it afresh.
"""

import argparse
import datetime as dt
import os
import resource
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfcycle_bench")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from goals.demo import seed_planning  # noqa: E402
from goals.models import Goal  # noqa: E402
from implementation.models import (  # noqa: E402
    CheckIn,
    Deviation,
    DeviationStatus,
)
from implementation.services import checkins, deviations, reminders  # noqa: E402
from perfcycle.models import AuditEvent, Cycle, Employee, Notification, SentReminder  # noqa: E402
from perfcycle.workflow import SYSTEM  # noqa: E402

LIMIT_SECONDS = 60


def current_cycle() -> Cycle:
    cycle = Cycle.objects.filter(phase=Cycle.Phase.IMPLEMENTATION).order_by("-start_date").first()
    if cycle is None or not cycle.participations.exists():
        raise SystemExit("No cycle in implementation: run bench/seed_large.sh first.")
    return cycle


def clean_slate(cycle: Cycle) -> None:
    """Forget what earlier runs wrote, so every run measures the same work."""
    if not connection.settings_dict["NAME"].startswith("perfcycle_bench"):
        raise SystemExit("Refusing to clean a database whose name is not perfcycle_bench*.")
    Deviation.objects.filter(participation__cycle=cycle).delete()
    CheckIn.objects.filter(participation__cycle=cycle).delete()
    SentReminder.objects.all().delete()
    Notification.objects.filter(
        Q(url__startswith="/implementation/") | Q(title__startswith="Your team this week")
    ).delete()
    # The audit log is append-only (a database trigger): earlier runs' events stay.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would after such deletes


def counts() -> dict:
    return {
        "check-ins": CheckIn.objects.count(),
        "deviations": Deviation.objects.count(),
        "notifications": Notification.objects.count(),
        "audit": AuditEvent.objects.count(),
        "sent reminders": SentReminder.objects.count(),
    }


def timed(label: str, call) -> dict:
    before = counts()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        value = call()
        seconds = time.perf_counter() - started
    after = counts()
    written = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    return {
        "label": label,
        "value": value,
        "seconds": seconds,
        "queries": len(queries),
        "written": written,
    }


def agree_half(today: dt.date) -> int:
    """Bench setup, not timed: half the deviations get an action due for follow-up today."""
    ids = list(
        Deviation.objects.filter(status=DeviationStatus.OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)[::2]
    )
    Deviation.objects.filter(pk__in=ids).update(
        status=DeviationStatus.ACTION_AGREED,
        corrective_action="Weekly pairing session",
        follow_up_date=today,
    )
    return len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument(
        "--keep", action="store_true", help="keep the check-ins, deviations and notifications"
    )
    args = parser.parse_args()
    cycle = current_cycle()
    seed_planning(cycle, actor=SYSTEM)  # idempotent: adds the goals only if they are not there yet
    real_today = timezone.localdate()
    period = checkins.checkin_period(cycle, real_today)
    today = args.today or (period[1] - dt.timedelta(days=2) if period else real_today)
    previous = checkins.checkin_period(cycle, (period[0] if period else today) - dt.timedelta(1))
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}: "
        f"{Employee.objects.count():,} employees, cycle “{cycle}” "
        f"({cycle.participations.count():,} participants, "
        f"{Goal.objects.filter(cycle=cycle).count():,} goals); today = {today}\n"
    )
    clean_slate(cycle)
    runs = []
    if previous:
        runs.append(
            timed(
                f"open_checkins, last period ({previous[0]})",
                lambda: checkins.open_checkins(cycle=cycle, today=previous[0]),
            )
        )
    for n in (1, 2):
        runs.append(
            timed(
                f"open_checkins, this period, run {n}",
                lambda: checkins.open_checkins(cycle=cycle, today=today),
            )
        )
    for n in (1, 2):
        runs.append(
            timed(f"detect_deviations, run {n}", lambda: deviations.detect_deviations(today=today))
        )
    for n in (1, 2):
        runs.append(
            timed(
                f"send_checkin_reminders, run {n}",
                lambda: reminders.send_checkin_reminders(today=today),
            )
        )
    for n in (1, 2):
        runs.append(
            timed(
                f"send_overdue_nudges, run {n}", lambda: reminders.send_overdue_nudges(today=today)
            )
        )
    runs.append(timed("mark_missed_checkins", lambda: checkins.mark_missed_checkins(today=today)))
    agreed = agree_half(today)
    for n in (1, 2):
        runs.append(
            timed(
                f"send_follow_up_reminders, run {n} ({agreed:,} actions due)",
                lambda: reminders.send_follow_up_reminders(today=today),
            )
        )
    for n in (1, 2):
        runs.append(
            timed(
                f"send_manager_digests, run {n}",
                lambda: reminders.send_manager_digests(today=today),
            )
        )
    # Early in the cycle almost nothing is expected yet: the open deviations close.
    early = cycle.start_date + dt.timedelta(days=7)
    runs.append(
        timed(
            f"detect_deviations as of {early} (back on track)",
            lambda: deviations.detect_deviations(today=early),
        )
    )
    print("| run | result | seconds | queries | rows written |")
    print("|---|---|--:|--:|---|")
    for run in runs:
        value = run["value"]
        if hasattr(value, "as_dict"):
            value = ", ".join(f"{k} {v:,}" for k, v in value.as_dict().items())
        written = ", ".join(f"{k} {v:,}" for k, v in run["written"].items()) or "–"
        flag = "" if run["seconds"] < LIMIT_SECONDS else " **over 60 s**"
        print(
            f"| {run['label']} | {value} | {run['seconds']:.2f}{flag} | {run['queries']} "
            f"| {written} |"
        )
    outbox = Notification.objects.filter(send_email=True, emailed_at__isnull=True).count()
    print(f"\nemails waiting in the outbox for deliver_pending_emails: {outbox:,}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    if not args.keep:
        # Leave the database as the other benchmarks expect it (the audit events stay).
        clean_slate(cycle)


if __name__ == "__main__":
    main()
