"""Demo data of the feedback stage: last year's interviews, answers, disputes, plans.

``last_year_steps(today)`` gives appraisal/demo.py's ``seed_last_year`` the feedback
stage's steps (composed by ``manage.py seed_demo``), each run through the services on
its day of last year (``perfcycle.demo.clock``):

- as the feedback phase opens: every reviewer of a released appraisal schedules the
  interview, writes next-cycle goals for a few people (``PROPOSALS``), holds it and
  records it (achievements, deficiencies, root causes from HR's list, spread so that
  HR's root-cause report has groups of three or more); the employees answer: most
  agree, ``SILENT`` give no answer (the deadline task records "no response"), and
  ``DISPUTES`` disagree with one item, which the skip-level manager decides (one
  upheld, one changed); the people below the qualified level get their required
  improvement plan, written by the manager, signed by both and started (``BY_CHOICE``
  gets one either way, by the manager's choice if their result is just qualified);
- once the cycle is closed: the plans' check-points up to ``today`` are recorded on
  their days; the later ones are upcoming, so this year's check-in pages show the plan
  (the plan of the demo's leaver ends "not met" at the cycle's end).

This year's demo cycle waits in planning while last year is written (``manage.py
seed_demo``), so the goals agreed in the interviews are carried into it as drafts when
each interview is recorded (``carry_after_interview``, through goals' ``draft_goal_for``);
the goals demo then plans the rest of those people's weight and approves them with it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery

from appraisal.models import Appraisal, RatingRevision
from appraisal.services.assessment import rated_items
from feedback.models import (
    Acknowledgement,
    ActionOwner,
    Dispute,
    GoalProposal,
    ImprovementPlan,
    Interview,
    PlanStatus,
    RootCause,
)
from feedback.services import consensus, plans
from feedback.services.carry import add_proposal
from feedback.services.interviews import Record, Slot, record_interview, schedule_interview
from feedback.services.settings import below_qualified, settings_for
from perfcycle.demo import clock, moment, pseudo_random
from perfcycle.models import Cycle

# Who never answers on their result (recorded as no response at the deadline).
SILENT = ("ethan.brooks", "chloe.dubois")
# Who disputes which of their rated items (by position), and how it is decided.
DISPUTES = {
    "employee2": (
        "The EMEA renewals I closed in the last quarter are not in this rating.",
        consensus.Decision(
            change=True,
            rating=None,  # one up from the reviewer's rating (set below)
            resolution="Checked with Sales operations: the two renewals count for the year. "
            "The rating goes up one level.",
        ),
    ),
    "employee": (
        "The scope of this goal was halved by the customer; the rating should reflect that.",
        consensus.Decision(
            change=False,
            resolution="The re-planned scope is already reflected in the override on your "
            "main goal; this one was measured against an unchanged target. Upheld.",
        ),
    ),
}
PROPOSALS = {
    "employee": (
        ("Lead the platform migration's second phase", Decimal(100), "%", Decimal(10)),
        ("Mentor the two new developers", Decimal(2), "people", Decimal(10)),
    ),
    "employee2": (("Grow EMEA renewals", Decimal(110), "% of target", Decimal(20)),),
    "peer": (("Run the quarterly architecture review", Decimal(4), "reviews", Decimal(10)),),
}
ACHIEVEMENTS = {
    True: "We went through the goals one by one; the results you delivered this year "
    "are clear in the breakdown and in the evidence.",
    False: "Some goals were met, and the work on the customer side was appreciated.",
}
DEFICIENCIES = (
    "Several goals ended well short of their targets; updates came late in the year.",
    "Deadlines slipped in the second half; help was asked for late.",
    "Reporting was irregular, so problems surfaced late.",
)
EXPECTATIONS = "Agree the next cycle's goals early and keep the monthly check-ins."
# Root causes by HR's names, for people at or below the middle of the scale.
CAUSES = ("Workload", "Goal clarity", "Resources", "Skills", "Process")
PLAN_GAP = "The year's results fell below the qualified level: {causes}."
PLAN_CRITERIA = (
    "Every goal of the next cycle on track at its check-ins; the two main goals at 90 % "
    "of target by the end of the plan."
)
# The weakest result of someone who stayed: their plan runs into this year's check-ins.
BY_CHOICE = "oliver.grant"
LEFT_NOTE = "Left the company at the end of the cycle, before the plan could be completed."
CHECKPOINT_NOTES = (
    ("on_track", "The weekly plan is in place and the first results are coming in."),
    ("behind", "Two actions slipped because of the year-end freeze; agreed new dates."),
    ("on_track", "Back on track: both main goals are where we said they would be."),
    ("on_track", "Steady progress; the training is done and applied."),
)


def last_year_steps(today: dt.date) -> dict:
    """The feedback stage's steps of last year's demo cycle, by the phase they run in."""
    return {
        Cycle.Phase.FEEDBACK: lambda cycle, hr: FeedbackYear(cycle, hr, today).feedback(),
        Cycle.Phase.CLOSED: lambda cycle, hr: FeedbackYear(cycle, hr, today).checkpoints(),
    }


class FeedbackYear:
    def __init__(self, cycle: Cycle, hr, today: dt.date):
        self.cycle = cycle
        self.hr = hr
        self.today = today
        # Day 0: the morning the feedback phase opened.
        self.opened = cycle.appraisal_deadline + dt.timedelta(days=1)

    def day(self, n: int, hour: int = 9, minutes: int = 0) -> dt.datetime:
        return moment(self.opened + dt.timedelta(days=n), minutes, hour=hour)

    def appraisals(self) -> list[Appraisal]:
        return list(
            Appraisal.objects.with_people()
            .filter(
                participation__cycle=self.cycle,
                released_at__isnull=False,
                participation__reviewer__isnull=False,
            )
            .order_by("participation__employee__user__username")
        )

    # --- The feedback phase -------------------------------------------------------------

    def feedback(self) -> None:
        rules = settings_for(self.cycle)
        causes = {c.name: c for c in RootCause.objects.filter(is_active=True)}
        for n, appraisal in enumerate(self.appraisals()):
            self._interview(n, appraisal, rules, causes)
        # The deadline task, the morning after the silent ones' answers were due.
        due = Acknowledgement.objects.filter(
            participation__cycle=self.cycle,
            participation__employee__user__username__in=SILENT,
        ).values_list("due_date", flat=True)
        if due:
            last = max(due) + dt.timedelta(days=1)
            with clock(moment(last, 5)):
                consensus.record_no_responses(today=last)
        self._date_defaults()

    def _date_defaults(self) -> None:
        """The rows whose creation time is a field default (``timezone.now`` itself, which
        the clock does not reach) carry the day they were written, as the appraisal demo
        does for its own."""
        cycle = self.cycle
        interviews = Interview.objects.filter(participation__cycle=cycle)
        interviews.update(created_at=F("scheduled_at"), updated_at=F("held_at"))
        held = Interview.objects.filter(appraisal_id=OuterRef("appraisal_id")).values("held_at")
        Acknowledgement.objects.filter(participation__cycle=cycle).update(
            created_at=Subquery(held[:1])
        )
        Dispute.objects.filter(participation__cycle=cycle).update(
            opened_at=Subquery(
                Acknowledgement.objects.filter(pk=OuterRef("acknowledgement_id")).values(
                    "responded_at"
                )[:1]
            )
        )
        RatingRevision.objects.filter(appraisal__participation__cycle=cycle).update(
            revised_at=Subquery(
                Dispute.objects.filter(item_id=OuterRef("item_id")).values("resolved_at")[:1]
            )
        )
        ImprovementPlan.objects.filter(participation__cycle=cycle).update(
            created_at=Subquery(held[:1]), updated_at=F("manager_signed_at")
        )
        GoalProposal.objects.filter(participation__cycle=cycle).update(
            created_at=Subquery(
                Interview.objects.filter(pk=OuterRef("interview_id")).values("scheduled_at")[:1]
            )
        )

    def _interview(self, n: int, appraisal: Appraisal, rules, causes: dict) -> None:
        participation = appraisal.participation
        username = participation.employee.user.username
        reviewer = participation.reviewer.user
        held = n % 10 + 2  # the interviews spread over the phase's first two weeks
        # Outside the clock: ``moment`` is never later than "now".
        starts_at = self.day(held, 10 + n % 6)
        with clock(self.day(n % 2, 9, n * 7)):
            interview = schedule_interview(
                actor=reviewer,
                appraisal=appraisal,
                slot=Slot(
                    starts_at=starts_at,
                    duration_minutes=60,
                    location="Meeting room 2" if n % 3 else "",
                    video_link="" if n % 3 else "https://meet.example.com/feedback",
                ),
            )
            for title, target, unit, weight in PROPOSALS.get(username, ()):
                add_proposal(
                    actor=reviewer,
                    interview=interview,
                    data={"title": title, "target": target, "unit": unit, "weight": weight},
                )
        interview.refresh_from_db()
        score = appraisal.final_score or Decimal(3)
        strong = score >= Decimal("3.5")
        chosen = self._causes(username, score, causes)
        with clock(self.day(held, 10 + n % 6, 75)):
            interview = record_interview(
                actor=reviewer,
                interview=interview,
                record=Record(
                    held_on=(self.opened + dt.timedelta(days=held)),
                    achievements=ACHIEVEMENTS[strong],
                    deficiencies="" if not chosen else DEFICIENCIES[n % len(DEFICIENCIES)],
                    root_causes=chosen,
                    expectations=EXPECTATIONS,
                    agreed_actions="Monthly one-to-ones, and the goals of the next cycle "
                    "drafted together in its first week.",
                ),
                expected_version=interview.version,
            )
        self._answer(held, username, appraisal, participation)
        if rules.plan_required and below_qualified(appraisal, rules):
            self._plan(held, ImprovementPlan.objects.get(appraisal=appraisal, required=True))
        elif username == BY_CHOICE:
            # Their score sits on the qualified level's edge (the goals demo's draws
            # differ between databases): a plan by the manager's choice either way.
            with clock(self.day(held, 17)):
                plan = plans.start_plan(appraisal=appraisal, actor=reviewer)
            self._plan(held, plan)

    def _causes(self, username: str, score: Decimal, causes: dict) -> list[RootCause]:
        """One or two causes for anyone at or below 3.5; the same two most often, so that
        each department's group reaches the report's smallest size."""
        if score > Decimal("3.5"):
            return []
        draw = pseudo_random(len(username), sum(map(ord, username)), 91)
        names = [CAUSES[int(draw * 2)]]  # Workload or Goal clarity
        if score < Decimal("3.0"):
            names.append(CAUSES[2 + int(draw * 3)])
        return [causes[name] for name in names if name in causes]

    def _answer(self, held: int, username: str, appraisal: Appraisal, participation) -> None:
        if username in SILENT:
            return
        acknowledgement = Acknowledgement.objects.get(appraisal=appraisal)
        user = participation.employee.user
        with clock(self.day(held + 1 + len(username) % 3, 18)):
            if username not in DISPUTES:
                consensus.agree_with_result(
                    actor=user,
                    acknowledgement_id=acknowledgement.pk,
                    comment="Thanks, a fair summary of the year." if len(username) % 2 else "",
                    expected_version=acknowledgement.version,
                )
                return
            reason, decision = DISPUTES[username]
            fresh = Appraisal.objects.with_people().get(pk=appraisal.pk)
            items = [i for i in rated_items(fresh) if i.manager_rating]
            item = next((i for i in items if i.manager_rating < 5), items[0])
            disputes = consensus.disagree_with_items(
                actor=user,
                acknowledgement_id=acknowledgement.pk,
                reasons={item.pk: reason},
                expected_version=acknowledgement.version,
            )
        for dispute in disputes:
            resolver = dispute.resolver.user if dispute.resolver_id else self.hr
            if decision.change:
                decision = consensus.Decision(
                    change=True,
                    rating=min(5, item.manager_rating + 1),
                    resolution=decision.resolution,
                )
            with clock(self.day(held + 6, 11)):
                consensus.resolve_dispute(
                    actor=resolver,
                    dispute_id=dispute.pk,
                    decision=decision,
                    expected_version=dispute.version,
                )

    def _plan(self, held: int, plan: ImprovementPlan) -> None:
        manager = plan.manager.user
        employee = plan.participation.employee.user
        starts = self.opened + dt.timedelta(days=held + 4)
        ends = self.today + dt.timedelta(days=80)
        points = []
        point = starts + dt.timedelta(days=14)
        while point <= self.today + dt.timedelta(days=70):
            points.append(plans.CheckpointInput(due_date=point))
            point += dt.timedelta(days=60)
        names = ", ".join(c.name.lower() for c in plan.causes.all()) or "see the interview"
        data = plans.PlanInput(
            gap=PLAN_GAP.format(causes=names),
            cause_ids=list(plan.causes.values_list("pk", flat=True)),
            success_criteria=PLAN_CRITERIA,
            starts_on=starts,
            ends_on=ends,
            actions=[
                plans.ActionInput(
                    description="Weekly planning session with the team lead",
                    owner=ActionOwner.EMPLOYEE,
                    due_date=starts + dt.timedelta(days=14),
                ),
                plans.ActionInput(
                    description="Training on estimation and reporting",
                    owner=ActionOwner.MANAGER,
                    due_date=min(ends, starts + dt.timedelta(days=120)),
                ),
                plans.ActionInput(
                    description="Present the plan's results to the team",
                    owner=ActionOwner.EMPLOYEE,
                    due_date=ends,
                ),
            ],
            checkpoints=points,
        )
        with clock(moment(starts - dt.timedelta(days=2), hour=14)):
            plan = plans.save_plan(
                plan=plan, data=data, actor=manager, expected_version=plan.version
            )
        with clock(moment(starts - dt.timedelta(days=1), hour=10)):
            plan = plans.sign_plan(plan=plan, actor=employee, expected_version=plan.version)
        with clock(moment(starts, hour=9)):
            plans.sign_plan(plan=plan, actor=manager, expected_version=plan.version)

    # --- After the close: the plans run on -------------------------------------------------

    def checkpoints(self) -> None:
        """The running plans' check-points up to today, each on its day; a plan whose
        person has left since ends "not met" at the cycle's end, after the check-points
        recorded before."""
        for plan in ImprovementPlan.objects.filter(
            participation__cycle=self.cycle, status__in=plans.RUNNING
        ).select_related("manager__user", "participation__employee__user"):
            stayed = plan.participation.employee.user.is_active
            last = self.today if stayed else self.cycle.end_date
            due = plan.checkpoints.filter(due_date__lte=last).order_by("due_date")
            for k, checkpoint in enumerate(due):
                status, note = CHECKPOINT_NOTES[k % len(CHECKPOINT_NOTES)]
                with clock(moment(checkpoint.due_date, hour=15)):
                    plans.record_checkpoint(
                        checkpoint=checkpoint,
                        status=status,
                        note=note,
                        actor=plan.manager.user,
                        expected_version=checkpoint.version,
                        today=checkpoint.due_date,
                    )
            if stayed:
                self._tick_actions(plan)
            else:
                plan.refresh_from_db()
                with clock(moment(self.cycle.end_date, hour=16)):
                    plans.close_plan(
                        plan=plan,
                        outcome=PlanStatus.NOT_MET,
                        note=LEFT_NOTE,
                        actor=plan.manager.user,
                        expected_version=plan.version,
                    )

    def _tick_actions(self, plan: ImprovementPlan) -> None:
        """The actions due by today are done, each ticked off by its owner's side on
        its day."""
        employee = plan.participation.employee.user
        for action in plan.actions.filter(due_date__lte=self.today).order_by("due_date", "pk"):
            actor = employee if action.owner == ActionOwner.EMPLOYEE else plan.manager.user
            with clock(moment(action.due_date, hour=12)):
                plans.mark_action_done(action=action, done=True, actor=actor)
