"""Time the appraisal stage's daily pages against the large-organisation database.

    BENCH_DB=perfcycle_bench_<you> bench/seed_large.sh 10000     # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfcycle_bench_<you> \\
        .venv/bin/python -m bench.appraisal_pages [--requests 20] [--only review] [--profile]

Like ``bench/landing_pages.py`` (whose timing and profiling it uses): Django's test
Client in-process, ``force_login``, DEBUG off, 5 warm-up requests, then ``--requests``
timed ones; min, median and p95 in ms, the median CPU time of this process
(``time.process_time``), the queries of one request and their SQL ms, the HTML size.

It first puts the current cycle in the state the pages are about (idempotent; setup, not
timed): the cycle in appraisal with every appraisal opened (``open_missing_appraisals``,
if not yet), 4 in 5 of them in calibration with a proposed score and 1 in 10 with the
manager (as ``bench/appraisal_cycle.py`` does), ``employee``'s own appraisal not started
(the self-assessment form) and ``peer``'s with the manager, every item self-rated (the
side-by-side review page ``manager`` fills in), and a calibration session open for the
second largest department (its board shows an adjust form per row). ``bench/appraisal_cycle.py`` starts from a
clean slate, so run this one after it, not before.
"""

import argparse
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfcycle_bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.urls import reverse  # noqa: E402

from appraisal.models import (  # noqa: E402
    Appraisal,
    AppraisalItem,
    AppraisalStatus,
    CalibrationSession,
    CalibrationStatus,
)
from appraisal.services.calibration import open_session  # noqa: E402
from appraisal.services.opening import open_missing_appraisals  # noqa: E402
from bench.appraisal_cycle import bench_cycle, into_calibration  # noqa: E402
from bench.landing_pages import report  # noqa: E402
from goals.demo import seed_planning  # noqa: E402
from goals.models import SectionKind  # noqa: E402
from perfcycle.models import Cycle, Department, User  # noqa: E402
from perfcycle.workflow import SYSTEM  # noqa: E402


def prepare() -> tuple[Cycle, dict]:
    if not connection.settings_dict["NAME"].startswith("perfcycle_bench"):
        raise SystemExit("Refusing to change a database whose name is not perfcycle_bench*.")
    cycle = bench_cycle()
    seed_planning(cycle, actor=SYSTEM)  # idempotent
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.APPRAISAL)
    cycle.refresh_from_db()
    open_missing_appraisals(cycle=cycle)
    statuses = into_calibration(cycle)
    mine = Appraisal.objects.get(
        participation__cycle=cycle, participation__employee__user__username="employee"
    )
    reviewed = Appraisal.objects.get(
        participation__cycle=cycle, participation__employee__user__username="peer"
    )
    Appraisal.objects.filter(pk=mine.pk).update(
        status=AppraisalStatus.NOT_STARTED,
        self_submitted_at=None,
        manager_submitted_at=None,
        proposed_score=None,
        final_score=None,
    )
    AppraisalItem.objects.filter(appraisal=mine).update(self_rating=None, self_comment="")
    Appraisal.objects.filter(pk=reviewed.pk).update(
        status=AppraisalStatus.MANAGER_REVIEW,
        manager_submitted_at=None,
        proposed_score=None,
        final_score=None,
    )
    AppraisalItem.objects.filter(appraisal=reviewed).exclude(section=SectionKind.PEER).update(
        self_rating=3, self_comment="Delivered what was agreed, with the evidence listed."
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appraisal_appraisal")
        cursor.execute("ANALYZE appraisal_appraisalitem")
    largest, second = (
        Appraisal.objects.filter(participation__cycle=cycle)
        .values("department_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "department_id")
        .values_list("department_id", flat=True)[:2]
    )
    # The second largest department's calibration is under way: an open session, so its
    # board shows the adjust form on each row in calibration (HR's board while calibrating).
    session = open_session(
        cycle=cycle,
        department=Department.objects.get(pk=second),
        actor=User.objects.get(username="hr"),
    )
    CalibrationSession.objects.filter(pk=session.pk).update(status=CalibrationStatus.OPEN)
    return cycle, {
        "reviewed": reviewed.pk,
        "department": largest,
        "calibrating": second,
        "statuses": statuses,
    }


def pages(cycle: Cycle, state: dict) -> list[tuple[str, str, str]]:
    board = f"{reverse('appraisal:calibration-board')}?cycle={cycle.pk}"
    return [
        ("My appraisal (self-assessment form)", "employee", reverse("appraisal:my-appraisal")),
        (
            "The review page, side by side",
            "manager",
            reverse("appraisal:appraisal-detail", args=[state["reviewed"]]),
        ),
        ("Team appraisals, 4 reports", "manager", reverse("appraisal:team-appraisals")),
        ("Team appraisals, VP of Engineering", "rajesh.iyer", reverse("appraisal:team-appraisals")),
        ("Appraisal progress per department", "hr", reverse("appraisal:hr-progress")),
        ("Calibration board, the organisation", "hr", board),
        ("Calibration board, one department", "hr", f"{board}&department={state['department']}"),
        (
            "Calibration board, one department, session open",
            "hr",
            f"{board}&department={state['calibrating']}",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    parser.add_argument("--profile", action="store_true", help="cProfile instead of timing")
    args = parser.parse_args()
    cycle, state = prepare()
    chosen = [p for p in pages(cycle, state) if args.only.lower() in p[0].lower()]
    print(
        f"{connection.settings_dict['NAME']}: “{cycle}”, {state['statuses']}; "
        f"DEBUG={int(settings.DEBUG)}, {args.requests} requests per page, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    report(chosen, requests=args.requests, profile=args.profile)


if __name__ == "__main__":
    main()
