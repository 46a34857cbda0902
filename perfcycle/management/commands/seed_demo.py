"""``manage.py seed_demo``: the demo organisation, or a large one for benchmarks."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from appraisal.demo import seed_last_year
from feedback.demo import last_year_steps
from goals.demo import seed_planning
from implementation.demo import seed_implementation
from implementation.services.checkins import open_checkins
from perfcycle import demo
from perfcycle.models import Cycle
from perfcycle.workflow import SYSTEM


class Command(BaseCommand):
    help = (
        "Create a demo organisation with two cycles and the fixed logins (password "
        f"{demo.DEMO_PASSWORD!r}). Safe to run again: an existing demo is left as it is. "
        "--employees N builds (or grows to) an organisation of about N people for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--employees",
            type=int,
            metavar="N",
            help="Total number of people, e.g. 10000 (default: the 41-person demo).",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="Seed as if it were this day (default: today): the cycle's dates and its "
            "history are relative to it.",
        )

    def handle(self, *args, employees=None, today=None, **options):
        if employees is not None and employees < 1:
            raise CommandError("--employees must be a positive number.")
        started = time.perf_counter()
        today = today or timezone.localdate()
        try:
            result = demo.seed_demo(employees=employees, today=today, last_year_history=True)
        except demo.DemoConflictError as error:
            raise CommandError(str(error)) from error
        # The command is the one place that composes every stage's demo data; the core's
        # own modules never import a later stage.
        previous = result.previous_cycle
        if previous is not None and previous.phase == Cycle.Phase.PLANNING:
            # Last year first, appraised and closed by the services (the demo company's
            # people), with the feedback stage's interviews, answers and plans on their
            # days before the close: the goals agreed in those interviews become drafts of
            # this year's cycle, still in planning; then everyone else of a large org joins
            # last year as history, as before.
            seed_last_year(previous, steps=last_year_steps(today))
            previous.refresh_from_db()
            if previous.phase == Cycle.Phase.CLOSED:
                demo.enrol_last_year(previous)
        current = result.current_cycle
        if current is not None and (result.created or result.added):
            history_for = demo.history_people()
            seed_planning(current, actor=SYSTEM, history_for=history_for)
            demo.start_implementation(current)
            # The demo cycle is in implementation: open this period's check-ins now rather
            # than waiting for the nightly task, then give it the months behind it.
            open_checkins(cycle=current, today=today)
            seed_implementation(current, today=today, history_for=history_for)
        elapsed = time.perf_counter() - started

        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo organisation created: {result.total:,} people, "
                    f"{result.departments} departments, cycles "
                    f"“{result.current_cycle}” ({result.current_cycle.get_phase_display()}) "
                    f"and “{previous}” ({previous.get_phase_display()}) "
                    f"in {elapsed:.1f} s."
                )
            )
        elif result.added:
            self.stdout.write(
                self.style.SUCCESS(
                    f"The demo organisation was already there; added {result.added:,} people "
                    f"(now {result.total:,}) in {elapsed:.1f} s."
                )
            )
        else:
            self.stdout.write(
                f"The demo organisation is already there ({result.total:,} people); "
                "nothing was changed."
            )
        self._print_logins(result.logins)

    def _print_logins(self, logins):
        rows = [("Username", "Role", "Name", "Department", "Password")]
        rows += [(x.username, x.role, x.name, x.department, demo.DEMO_PASSWORD) for x in logins]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        self.stdout.write("")
        for n, row in enumerate(rows):
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write(
            f"\nEveryone else in the demo (e.g. olivia.bennett, the CEO) also logs in with "
            f"password {demo.DEMO_PASSWORD!r}."
        )
