"""Time the feedback stage's daily pages against the large-organisation database.

    BENCH_DB=perfcycle_bench_<you> bench/seed_large.sh 10000     # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfcycle_bench_<you> \\
        .venv/bin/python -m bench.feedback_pages [--requests 20] [--only plan] [--profile]

Like ``bench/appraisal_pages.py`` (whose timing and profiling, ``bench/landing_pages.py``'s
``report``, it uses): Django's test Client in-process, ``force_login``, DEBUG off, 5
warm-up requests, then ``--requests`` timed ones; min, median and p95 in ms, the median
CPU time of this process, the queries of one request and their SQL ms, the HTML size.

It first puts the current cycle in the feedback phase (idempotent; setup, not timed):

- if the cycle is not in feedback yet: its plan and goals (``seed_planning``), every
  appraisal opened, 4 in 5 calibrated with a score (``bench/appraisal_cycle.py``'s
  ``into_calibration``; the named logins' own appraisals among them), HR's release
  (``release_ratings``) and the whole phase change appraisal → feedback
  (``advance_cycle_phase``: the close finalises every appraisal), as HR's button does;
- once, in one transaction, the feedback stage's rows for every released appraisal,
  written in bulk as the services leave them (``populate``): interviews in a mix of to
  schedule (none), cancelled, scheduled ahead (some moved), scheduled in the past and
  not recorded yet, and held with a record and root causes from HR's list; for the held
  ones the employee's answer (agreed, disagreed, no response, still waiting); for the
  disagreements a dispute on one item routed to the reviewer's manager (HR when there is
  none), open or decided (upheld, changed); improvement plans, required below the
  qualified level and some by choice, in every status with three actions and three
  check-points each (recorded, missed, upcoming as the status implies) and the
  interview's causes; next-cycle goals for a third of the held interviews;
- the named logins in a known state: ``employee`` held, disagreed with one item (open,
  decided by ``rajesh.iyer``, the reviewer's manager) and an active plan; ``peer``
  scheduled ahead; ``manager``'s other two reports: one to schedule, one scheduled
  yesterday and not recorded (a to-do to record).

No notification or audit event is written by the bulk part (no page timed here reads
them beyond the unread count every page shows). Running it again writes nothing.
"""

import argparse
import datetime as dt
import os
import random

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfcycle_bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from appraisal.models import Appraisal, AppraisalItem, AppraisalStatus  # noqa: E402
from appraisal.services.calibration import release_ratings  # noqa: E402
from appraisal.services.opening import open_missing_appraisals  # noqa: E402
from appraisal.services.settings import settings_for as appraisal_settings_for  # noqa: E402
from bench.appraisal_cycle import into_calibration  # noqa: E402
from bench.landing_pages import report  # noqa: E402
from feedback.models import (  # noqa: E402
    Acknowledgement,
    AcknowledgementStatus,
    ActionOwner,
    CheckpointStatus,
    Dispute,
    DisputeStatus,
    GoalProposal,
    ImprovementPlan,
    Interview,
    InterviewStatus,
    PlanAction,
    PlanCheckpoint,
    PlanStatus,
    PreparationNote,
    RootCause,
)
from feedback.services.settings import below_qualified, settings_for  # noqa: E402
from goals.demo import seed_planning  # noqa: E402
from goals.models import SectionKind  # noqa: E402
from perfcycle.models import Cycle, Employee  # noqa: E402
from perfcycle.phases import advance_cycle_phase  # noqa: E402
from perfcycle.workflow import SYSTEM  # noqa: E402

NAMED = ("employee", "peer", "manager", "employee2", "manager2")
PLAN_STATUSES = (
    PlanStatus.DRAFT,
    PlanStatus.AGREED,
    PlanStatus.ACTIVE,
    PlanStatus.ACTIVE,
    PlanStatus.EXTENDED,
    PlanStatus.COMPLETED,
    PlanStatus.NOT_MET,
)


def bucket(pk: int, salt: int) -> int:
    """A stable number in 0..99 from an id and a salt (independent salts, independent
    mixes): the same mix every run."""
    return random.Random(pk * 1000 + salt).randrange(100)


def clear(cycle: Cycle) -> None:
    """``--rebuild``: delete the cycle's feedback rows (the bench database only)."""
    plans = ImprovementPlan.objects.filter(participation__cycle=cycle)
    interviews = Interview.objects.filter(participation__cycle=cycle)
    with transaction.atomic():
        PlanAction.objects.filter(plan__in=plans).delete()
        PlanCheckpoint.objects.filter(plan__in=plans).delete()
        ImprovementPlan.causes.through.objects.filter(improvementplan__in=plans).delete()
        plans.delete()
        Dispute.objects.filter(participation__cycle=cycle).delete()
        Acknowledgement.objects.filter(participation__cycle=cycle).delete()
        GoalProposal.objects.filter(participation__cycle=cycle).delete()
        Interview.root_causes.through.objects.filter(interview__in=interviews).delete()
        PreparationNote.objects.filter(interview__in=interviews).delete()
        interviews.delete()


def feedback_cycle() -> Cycle:
    cycle = (
        Cycle.objects.filter(
            phase__in=[Cycle.Phase.IMPLEMENTATION, Cycle.Phase.APPRAISAL, Cycle.Phase.FEEDBACK]
        )
        .order_by("-start_date")
        .first()
    )
    if cycle is None or not cycle.participations.exists():
        raise SystemExit("No running cycle: run bench/seed_large.sh first.")
    return cycle


def into_feedback(cycle: Cycle) -> None:
    """Appraisal done, released and closed, as HR does it (the phase change's hooks)."""
    if cycle.phase == Cycle.Phase.FEEDBACK:
        return
    hr = Employee.objects.select_related("user").get(user__username="hr").user
    seed_planning(cycle, actor=SYSTEM)  # idempotent
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.APPRAISAL)
    cycle.refresh_from_db()
    open_missing_appraisals(cycle=cycle)
    into_calibration(cycle)
    # The named logins are among the calibrated ones (their pages are the ones timed).
    Appraisal.objects.filter(
        participation__cycle=cycle, participation__employee__user__username__in=NAMED
    ).update(
        status=AppraisalStatus.CALIBRATION,
        self_submitted_at=timezone.now(),
        manager_submitted_at=timezone.now(),
        proposed_score="2.40",
        final_score="2.40",
    )
    release_ratings(cycle=cycle, expected_version=appraisal_settings_for(cycle).version, actor=hr)
    advance_cycle_phase(actor=hr, cycle_id=cycle.pk, to_phase=Cycle.Phase.FEEDBACK)
    cycle.refresh_from_db()


def _released(cycle: Cycle):
    return (
        Appraisal.objects.filter(participation__cycle=cycle, released_at__isnull=False)
        .select_related("participation__reviewer__user", "participation__employee")
        .order_by("pk")
    )


def populate(cycle: Cycle) -> None:
    """The feedback stage's rows for every released appraisal (see the module's
    docstring), once: nothing is written if the cycle has interviews already."""
    if Interview.objects.filter(participation__cycle=cycle).exists():
        return
    rules = settings_for(cycle)
    now = timezone.now()
    today = timezone.localdate()
    causes = list(RootCause.objects.filter(is_active=True).order_by("position", "name"))
    appraisals = [a for a in _released(cycle) if a.participation.reviewer_id]
    named = dict(
        Appraisal.objects.filter(
            participation__cycle=cycle, participation__employee__user__username__in=NAMED
        ).values_list("participation__employee__user__username", "pk")
    )
    forced = {
        named["employee"]: "held",
        named["peer"]: "ahead",
        named["employee2"]: "held",
    }
    others = list(
        Appraisal.objects.filter(
            participation__cycle=cycle,
            participation__reviewer__user__username="manager",
            released_at__isnull=False,
        )
        .exclude(pk__in=list(forced))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk, state in zip(others, ("none", "past"), strict=False):
        forced[pk] = state

    def state_of(pk: int) -> str:
        if pk in forced:
            return forced[pk]
        k = bucket(pk, 37)
        if k < 8:
            return "none"
        if k < 12:
            return "cancelled"
        if k < 32:
            return "ahead"
        if k < 37:
            return "past"
        return "held"

    with transaction.atomic():
        interviews = []
        for n, appraisal in enumerate(appraisals):
            state = state_of(appraisal.pk)
            if state == "none":
                continue
            reviewer = appraisal.participation.reviewer
            days = 1 + n % 25
            minutes = 9 * 60 + (n % 16) * 30
            if state in ("ahead", "cancelled"):
                day = today + dt.timedelta(days=days)
            elif state == "past":
                day = today - dt.timedelta(days=1 + n % 3)
            else:
                day = today - dt.timedelta(days=days + 3)
            starts = timezone.make_aware(dt.datetime.combine(day, dt.time())) + dt.timedelta(
                minutes=minutes
            )
            row = Interview(
                appraisal_id=appraisal.pk,
                participation_id=appraisal.participation_id,
                manager=reviewer,
                status=InterviewStatus.SCHEDULED,
                starts_at=starts,
                location="Meeting room 2" if n % 3 else "",
                video_link="https://meet.example.com/feedback" if n % 3 != 1 else "",
                scheduled_at=starts - dt.timedelta(days=10),
                scheduled_by=reviewer.user,
                created_at=starts - dt.timedelta(days=10),
                updated_at=now,
            )
            if state == "ahead" and n % 5 == 0:
                row.status, row.ics_sequence, row.version = InterviewStatus.RESCHEDULED, 1, 2
            elif state == "cancelled":
                row.status, row.ics_sequence, row.version = InterviewStatus.CANCELLED, 1, 2
                row.cancelled_at = now - dt.timedelta(days=1)
                row.cancel_reason = "Away that week; to be scheduled again."
            elif state == "held":
                row.status, row.version = InterviewStatus.HELD, 2
                row.held_at, row.recorded_by = starts, reviewer.user
                row.achievements = "We went through the goals one by one; the results are clear."
                row.deficiencies = "Updates came late in the year." if n % 2 else ""
                row.expectations = "Agree the next cycle's goals early; keep the check-ins."
                row.agreed_actions = "Monthly one-to-ones; a training on planning."
            interviews.append(row)
        Interview.objects.bulk_create(interviews, batch_size=2000)
        by_appraisal = {a.pk: a for a in appraisals}
        held = [i for i in interviews if i.status == InterviewStatus.HELD]

        # Root causes: one or two from HR's list for the held interviews that name any.
        through = Interview.root_causes.through
        links = []
        for n, interview in enumerate(held):
            if causes and bucket(interview.appraisal_id, 11) < 60:
                for c in {causes[n % len(causes)], causes[(n * 7 + 3) % len(causes)]}:
                    links.append(through(interview_id=interview.pk, rootcause_id=c.pk))
        through.objects.bulk_create(links, batch_size=5000)
        named_causes: dict[int, list[int]] = {}
        for link in links:
            named_causes.setdefault(link.interview_id, []).append(link.rootcause_id)

        # The employee's answer, once the interview is held.
        acks = []
        for interview in held:
            held_on = timezone.localdate(interview.held_at)
            j = bucket(interview.appraisal_id, 53)
            status = (
                AcknowledgementStatus.AGREED
                if j < 65
                else AcknowledgementStatus.DISAGREED
                if j < 75
                else AcknowledgementStatus.NO_RESPONSE
                if j < 85
                else AcknowledgementStatus.PENDING
            )
            if interview.appraisal_id == named["employee"]:
                status = AcknowledgementStatus.DISAGREED
            elif interview.appraisal_id == named["employee2"]:
                status = AcknowledgementStatus.PENDING
            due = held_on + dt.timedelta(days=rules.response_days)
            if status == AcknowledgementStatus.PENDING:
                due = max(due, today + dt.timedelta(days=2))
            acks.append(
                Acknowledgement(
                    appraisal_id=interview.appraisal_id,
                    participation_id=interview.participation_id,
                    status=status,
                    due_date=due,
                    responded_at=None
                    if status in (AcknowledgementStatus.PENDING, AcknowledgementStatus.NO_RESPONSE)
                    else interview.held_at + dt.timedelta(days=1),
                    comment="Thank you for the conversation."
                    if status == AcknowledgementStatus.AGREED
                    else "",
                    created_at=interview.held_at,
                    version=1 if status == AcknowledgementStatus.PENDING else 2,
                )
            )
        Acknowledgement.objects.bulk_create(acks, batch_size=2000)

        # A dispute on the first rated item of each disagreement (rated by the reviewer).
        disagreed = [a for a in acks if a.status == AcknowledgementStatus.DISAGREED]
        first_items = {}
        for item_id, appraisal_id in (
            AppraisalItem.objects.filter(appraisal_id__in=[a.appraisal_id for a in disagreed])
            .exclude(section=SectionKind.PEER)
            .order_by("appraisal_id", "-position", "-pk")
            .values_list("pk", "appraisal_id")
        ):
            first_items[appraisal_id] = item_id  # the last one written is the first item
        AppraisalItem.objects.filter(pk__in=list(first_items.values())).update(
            manager_rating=2, manager_comment="Below what was agreed for the year."
        )
        managers = dict(
            Employee.objects.filter(
                pk__in={by_appraisal[a.appraisal_id].participation.reviewer_id for a in disagreed}
            ).values_list("pk", "manager_id")
        )
        decider = dict(
            Employee.objects.filter(pk__in=set(managers.values()) - {None}).values_list(
                "pk", "user_id"
            )
        )
        hr_user = Employee.objects.get(user__username="hr").user_id
        disputes = []
        for ack in disagreed:
            if ack.appraisal_id not in first_items:
                continue
            appraisal = by_appraisal[ack.appraisal_id]
            resolver = managers.get(appraisal.participation.reviewer_id)
            if resolver == appraisal.participation.employee_id:
                resolver = None
            d = bucket(ack.appraisal_id, 71)
            status = (
                DisputeStatus.OPEN
                if d < 55 or ack.appraisal_id == named["employee"]
                else DisputeStatus.UPHELD
                if d < 80
                else DisputeStatus.CHANGED
            )
            opened = ack.responded_at
            decided = status != DisputeStatus.OPEN
            disputes.append(
                Dispute(
                    acknowledgement_id=ack.pk,
                    appraisal_id=ack.appraisal_id,
                    participation_id=ack.participation_id,
                    item_id=first_items[ack.appraisal_id],
                    reason="The work on the customer side is not in this rating.",
                    status=status,
                    resolver_id=resolver,
                    opened_at=opened,
                    due_date=timezone.localdate(opened) + dt.timedelta(days=rules.dispute_days),
                    rating_before=2,
                    rating_after=3 if status == DisputeStatus.CHANGED else None,
                    resolution="Checked with the reviewer and the evidence." if decided else "",
                    resolved_at=opened + dt.timedelta(days=2) if decided else None,
                    resolved_by_id=decider.get(resolver, hr_user) if decided else None,
                    version=2 if decided else 1,
                )
            )
        Dispute.objects.bulk_create(disputes, batch_size=2000)

        # Improvement plans: required below the qualified level, a few more by choice.
        plans, plan_causes = [], []
        for n, interview in enumerate(held):
            appraisal = by_appraisal[interview.appraisal_id]
            required = rules.plan_required and below_qualified(appraisal, rules)
            if interview.appraisal_id == named["employee"]:
                status = PlanStatus.ACTIVE
            elif not required and bucket(interview.appraisal_id, 29) >= 4:
                continue
            else:
                status = PLAN_STATUSES[n % len(PLAN_STATUSES)]
            start = timezone.localdate(interview.held_at) + dt.timedelta(days=7)
            if status in (PlanStatus.COMPLETED, PlanStatus.NOT_MET):
                start -= dt.timedelta(days=120)
            signed = None if status == PlanStatus.DRAFT else interview.held_at
            plan = ImprovementPlan(
                participation_id=interview.participation_id,
                appraisal_id=interview.appraisal_id,
                interview_id=interview.pk,
                manager_id=interview.manager_id,
                status=status,
                required=required,
                gap=interview.deficiencies or "Results below the qualified level.",
                success_criteria="Every goal on track at its check-ins; the main goals at 90 %.",
                starts_on=start,
                ends_on=start + dt.timedelta(days=90),
                employee_signed_at=signed,
                manager_signed_at=signed or (interview.held_at if n % 2 else None),
                outcome_note="Met." if status == PlanStatus.COMPLETED else "",
                closed_at=now if status in (PlanStatus.COMPLETED, PlanStatus.NOT_MET) else None,
                created_at=interview.held_at,
                created_by=interview.recorded_by,
                updated_at=now,
            )
            if status == PlanStatus.NOT_MET:
                plan.outcome_note = "The goals stayed well short of the criteria."
            plans.append(plan)
        ImprovementPlan.objects.bulk_create(plans, batch_size=2000)
        actions, points = [], []
        for plan in plans:
            plan_causes += [
                ImprovementPlan.causes.through(improvementplan_id=plan.pk, rootcause_id=c)
                for c in named_causes.get(plan.interview_id, [])
            ]
            running = plan.status in (PlanStatus.ACTIVE, PlanStatus.EXTENDED)
            closed = plan.status in (PlanStatus.COMPLETED, PlanStatus.NOT_MET)
            for i, (text, owner) in enumerate(
                (
                    ("Weekly plan of the main goals, shared every Monday.", ActionOwner.EMPLOYEE),
                    ("A half-hour one-to-one every fortnight.", ActionOwner.MANAGER),
                    ("The planning course, and apply it to the next goal.", ActionOwner.EMPLOYEE),
                )
            ):
                due = plan.starts_on + dt.timedelta(days=20 + 30 * i)
                actions.append(
                    PlanAction(
                        plan=plan,
                        description=text,
                        owner=owner,
                        due_date=due,
                        done_at=now if closed or (running and due < today) else None,
                        position=i,
                    )
                )
            for i in range(3):
                due = plan.starts_on + dt.timedelta(days=30 * (i + 1))
                status = CheckpointStatus.UPCOMING
                if closed or (running and due < today):
                    status = (
                        CheckpointStatus.MISSED
                        if i == 1 and plan.pk % 4 == 0
                        else (
                            CheckpointStatus.BEHIND
                            if i == 0 and plan.pk % 3 == 0
                            else CheckpointStatus.ON_TRACK
                        )
                    )
                recorded = status in (CheckpointStatus.ON_TRACK, CheckpointStatus.BEHIND)
                points.append(
                    PlanCheckpoint(
                        plan=plan,
                        due_date=due,
                        status=status,
                        note="The first results are coming in." if recorded else "",
                        recorded_at=now if recorded else None,
                        recorded_by_id=plan.created_by_id if recorded else None,
                        version=2 if status != CheckpointStatus.UPCOMING else 1,
                    )
                )
        PlanAction.objects.bulk_create(actions, batch_size=5000)
        PlanCheckpoint.objects.bulk_create(points, batch_size=5000)
        ImprovementPlan.causes.through.objects.bulk_create(plan_causes, batch_size=5000)

        # Next-cycle goals agreed in a third of the held interviews (two each).
        proposals = []
        for interview in held:
            if (
                bucket(interview.appraisal_id, 17) >= 33
                and interview.appraisal_id != named["employee"]
            ):
                continue
            for i, (title, weight) in enumerate(
                (("Lead the second phase of the migration", 30), ("Mentor a new colleague", 15))
            ):
                proposals.append(
                    GoalProposal(
                        interview_id=interview.pk,
                        participation_id=interview.participation_id,
                        title=title,
                        weight=weight,
                        position=i,
                        created_at=interview.held_at,
                        created_by=interview.recorded_by,
                    )
                )
        GoalProposal.objects.bulk_create(proposals, batch_size=5000)
    with connection.cursor() as cursor:
        for table in (
            "feedback_interview",
            "feedback_interview_root_causes",
            "feedback_acknowledgement",
            "feedback_dispute",
            "feedback_improvementplan",
            "feedback_improvementplan_causes",
            "feedback_planaction",
            "feedback_plancheckpoint",
            "feedback_goalproposal",
            "appraisal_appraisalitem",
        ):
            cursor.execute(f"ANALYZE {table}")


def prepare(*, rebuild: bool = False) -> tuple[Cycle, dict]:
    if not connection.settings_dict["NAME"].startswith("perfcycle_bench"):
        raise SystemExit("Refusing to change a database whose name is not perfcycle_bench*.")
    cycle = feedback_cycle()
    into_feedback(cycle)
    if rebuild:
        clear(cycle)
    populate(cycle)
    mine = Interview.objects.get(
        participation__cycle=cycle, participation__employee__user__username="employee"
    )
    ahead = Interview.objects.get(
        participation__cycle=cycle, participation__employee__user__username="peer"
    )
    dispute = Dispute.objects.get(participation=mine.participation, status=DisputeStatus.OPEN)
    plan = ImprovementPlan.objects.get(participation=mine.participation)
    interviews = Interview.objects.filter(participation__cycle=cycle)
    counts = {
        "interviews": dict(interviews.values_list("status").annotate(n=Count("pk"))),
        "answers": dict(
            Acknowledgement.objects.filter(participation__cycle=cycle)
            .values_list("status")
            .annotate(n=Count("pk"))
        ),
        "disputes": dict(
            Dispute.objects.filter(participation__cycle=cycle)
            .values_list("status")
            .annotate(n=Count("pk"))
        ),
        "plans": dict(
            ImprovementPlan.objects.filter(participation__cycle=cycle)
            .values_list("status")
            .annotate(n=Count("pk"))
        ),
        "proposals": GoalProposal.objects.filter(participation__cycle=cycle).count(),
    }
    busiest = (
        Appraisal.objects.filter(participation__cycle=cycle, released_at__isnull=False)
        .values("participation__reviewer__user__username")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    resolver = dispute.resolver.user.username if dispute.resolver else "hr"
    return cycle, {
        "held": mine.pk,
        "ahead": ahead.pk,
        "dispute": dispute.pk,
        "resolver": resolver,
        "plan": plan.pk,
        "busiest": busiest["participation__reviewer__user__username"],
        "busiest_n": busiest["n"],
        "counts": counts,
    }


def pages(cycle: Cycle, state: dict) -> list[tuple[str, str, str]]:
    c = f"?cycle={cycle.pk}"
    resolver = state["resolver"]
    return [
        ("Home: my home (feedback to-dos)", "employee", reverse("my-home")),
        ("Home: team home, 4 reports", "manager", reverse("team-home")),
        ("Home: team home, VP of Engineering", "rajesh.iyer", reverse("team-home")),
        ("Home: HR home", "hr", reverse("hr-home")),
        ("Employee: my interview (held)", "employee", reverse("feedback:interview-mine")),
        ("Employee: my interview (ahead)", "peer", reverse("feedback:interview-mine")),
        ("Employee: my result and agreement", "employee", reverse("feedback:consensus-mine")),
        ("Employee: my result, to answer", "employee2", reverse("feedback:consensus-mine")),
        ("Employee: my plan", "employee", reverse("feedback:plan-mine")),
        ("Employee: next-cycle goals", "employee", reverse("feedback:carry-mine")),
        ("Reviewer: interviews, 4 reports", "manager", reverse("feedback:interview-team")),
        (
            f"Reviewer: interviews, {state['busiest_n']} reviewed",
            state["busiest"],
            reverse("feedback:interview-team"),
        ),
        (
            "Reviewer: interview page (ahead, forms)",
            "manager",
            reverse("feedback:interview-detail", args=[state["ahead"]]),
        ),
        (
            "Reviewer: interview page (held)",
            "manager",
            reverse("feedback:interview-detail", args=[state["held"]]),
        ),
        (
            "Reviewer: next-cycle goals of an interview",
            "manager",
            reverse("feedback:carry-proposals", args=[state["held"]]),
        ),
        ("Reviewer: disputes on my team", "manager", reverse("feedback:consensus-team")),
        ("Reviewer: plans I support", "manager", reverse("feedback:plan-team")),
        (
            "Reviewer: a plan page",
            "manager",
            reverse("feedback:plan-detail", args=[state["plan"]]),
        ),
        (
            f"Resolver: disputes on my team ({resolver})",
            resolver,
            reverse("feedback:consensus-team"),
        ),
        (
            f"Resolver: a dispute page ({resolver})",
            resolver,
            reverse("feedback:consensus-dispute", args=[state["dispute"]]),
        ),
        (
            "HR: a dispute page",
            "hr",
            reverse("feedback:consensus-dispute", args=[state["dispute"]]),
        ),
        ("HR: interview completion", "hr", reverse("feedback:interview-completion")),
        ("HR: open disputes with age", "hr", reverse("feedback:consensus-hr")),
        ("HR: improvement plans", "hr", reverse("feedback:plan-hr")),
        (
            "HR: improvement plans, outcome not met",
            "hr",
            reverse("feedback:plan-hr") + "?status=not_met",
        ),
        ("HR: root causes report", "hr", reverse("feedback:carry-root-cause-report") + c),
        ("HR: root-cause list", "hr", reverse("feedback:carry-root-causes")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    parser.add_argument("--profile", action="store_true", help="cProfile instead of timing")
    parser.add_argument(
        "--rebuild", action="store_true", help="delete and write the feedback rows again"
    )
    args = parser.parse_args()
    cycle, state = prepare(rebuild=args.rebuild)
    chosen = [p for p in pages(cycle, state) if args.only.lower() in p[0].lower()]
    print(
        f"{connection.settings_dict['NAME']}: “{cycle}” in {cycle.phase}, {state['counts']}; "
        f"DEBUG={int(settings.DEBUG)}, {args.requests} requests per page, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    report(chosen, requests=args.requests, profile=args.profile)


if __name__ == "__main__":
    main()
