"""What feedback adds to the core's pages (registered in feedback/apps.py): navigation,
to-dos, health, cycle-page links, removal guards and audit sentences. The core never
imports this app.

Each part of the stage keeps its entries in its own function and tuple below (interview,
consensus, plans, next-cycle goals and HR), so they read apart and merge apart."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from perfcycle.compiled import CompiledQuery
from perfcycle.models import Cycle
from perfcycle.stages import (
    OPEN_PHASES,
    Area,
    CycleAction,
    NavEntry,
    NavGroup,
    Role,
    register_cycle_action,
    register_nav,
    register_nav_group,
)

STAGE = "feedback"

# Each part's navigation entries (perfcycle.stages.NavEntry), filled by the part.
CONSENSUS_NAV: tuple = (
    NavEntry(
        "myresult",
        _("My result"),
        "feedback:consensus-mine",
        Area.MY,
        20,
        stage=STAGE,
    ),
    NavEntry(
        "teamdisputes",
        _("Disputes on my team"),
        "feedback:consensus-team",
        Area.TEAM,
        20,
        stage=STAGE,
    ),
    NavEntry(
        "opendisputes",
        _("Open disputes"),
        "feedback:consensus-hr",
        Area.HR,
        20,
        stage=STAGE,
    ),
)
INTERVIEW_NAV: tuple = (
    NavEntry(
        "myinterview",
        _("My interview"),
        "feedback:interview-mine",
        Area.MY,
        10,
        stage=STAGE,
    ),
    NavEntry(
        "teaminterviews",
        _("Interviews"),
        "feedback:interview-team",
        Area.TEAM,
        10,
        stage=STAGE,
        current_on=("feedback:interview-team", "feedback:interview-schedule"),
    ),
    NavEntry(
        "interviewcompletion",
        _("Interview completion"),
        "feedback:interview-completion",
        Area.HR,
        10,
        stage=STAGE,
    ),
)
# The cycle page's links to the interviews while the cycle is in feedback.
INTERVIEW_ACTIONS: tuple = (
    CycleAction(
        "interview-completion",
        _("Interview completion"),
        "feedback:interview-completion",
        50,
        roles=frozenset({Role.HR}),
        phases=frozenset({Cycle.Phase.FEEDBACK}),
        with_cycle=False,
        query="cycle={cycle}",
        stage=STAGE,
    ),
    CycleAction(
        "team-interviews",
        _("Feedback interviews"),
        "feedback:interview-team",
        50,
        roles=frozenset({Role.MANAGER}),
        phases=frozenset({Cycle.Phase.FEEDBACK}),
        with_cycle=False,
        query="cycle={cycle}",
        stage=STAGE,
    ),
)
# Next-cycle goals (the employee's list) and HR's root causes (list and report).
CARRY_NAV: tuple = (
    NavEntry(
        "nextcyclegoals",
        _("Next-cycle goals"),
        "feedback:carry-mine",
        Area.MY,
        60,
        stage=STAGE,
    ),
    NavEntry(
        "rootcausereport",
        _("Root causes"),
        "feedback:carry-root-cause-report",
        Area.HR,
        70,
        stage=STAGE,
    ),
    NavEntry(
        "rootcauselist",
        _("Root-cause list"),
        "feedback:carry-root-causes",
        Area.HR,
        80,
        stage=STAGE,
        current_on=("feedback:carry-root-causes", "feedback:carry-root-cause-edit"),
    ),
)
# The cycle's feedback rules (HR), on the cycle page while it is open.
CARRY_ACTIONS: tuple = (
    CycleAction(
        "feedback-rules",
        _("Feedback rules"),
        "feedback:carry-rules",
        55,
        roles=frozenset({Role.HR}),
        phases=frozenset(OPEN_PHASES),
        stage=STAGE,
    ),
)
PLAN_NAV: tuple = (
    NavEntry(
        "myplan",
        _("My plan"),
        "feedback:plan-mine",
        Area.MY,
        30,
        stage=STAGE,
    ),
    NavEntry(
        "teamplans",
        _("Plans I support"),
        "feedback:plan-team",
        Area.TEAM,
        30,
        stage=STAGE,
    ),
    NavEntry(
        "hrplans",
        _("Improvement plans"),
        "feedback:plan-hr",
        Area.HR,
        30,
        stage=STAGE,
    ),
)


def register() -> None:
    register_nav_group(NavGroup("feedback", _("Feedback"), 50, stage=STAGE))
    for entry in INTERVIEW_NAV + CONSENSUS_NAV + PLAN_NAV + CARRY_NAV:
        register_nav(entry)
    register_interview_part()
    register_consensus_part()
    register_plan_part()
    register_carry_part()
    register_links()


# --- Interview (lane interview) ----------------------------------------------------------


def _interviews(ids):
    from django.urls import reverse

    from feedback.models import Interview
    from perfcycle.audit import Target

    rows = Interview.objects.filter(pk__in=ids).select_related(
        "participation__employee__user", "participation__cycle"
    )
    return {
        str(row.pk): Target(
            _("feedback interview in %(cycle)s") % {"cycle": row.participation.cycle.name},
            row.participation.employee.full_name,
            reverse("feedback:interview-detail", args=[row.pk]),
            row.participation.employee.user_id,
        )
        for row in rows
    }


def register_interview_part() -> None:
    """The interview's to-dos (prepare; schedule and record) and its audit sentences."""
    from feedback.selectors.interviews import interview_health, interview_todos
    from perfcycle.audit import ObjectKind, register_sentences
    from perfcycle.stages import (
        register_cycle_action,
        register_health_provider,
        register_todo_provider,
    )

    register_todo_provider(interview_todos)
    register_health_provider(interview_health)
    for action in INTERVIEW_ACTIONS:
        register_cycle_action(action)
    register_sentences(
        _("Feedback"),
        kinds=[ObjectKind("feedback.interview", _("feedback interview"), load=_interviews)],
        verbs=[
            (
                "interview.scheduled",
                _("Interview scheduled"),
                _("%(actor)s scheduled %(whose)s %(object)s"),
            ),
            (
                "interview.rescheduled",
                _("Interview rescheduled"),
                _("%(actor)s moved %(whose)s %(object)s"),
            ),
            (
                "interview.cancelled",
                _("Interview cancelled"),
                _("%(actor)s cancelled %(whose)s %(object)s"),
            ),
            (
                "interview.recorded",
                _("Interview recorded"),
                _("%(actor)s recorded %(whose)s %(object)s as held"),
            ),
            (
                "interview.notes_saved",
                _("Interview notes saved"),
                _("%(actor)s saved their preparation notes for %(whose)s %(object)s"),
            ),
        ],
    )


# --- Agreement and disputes (lane consensus) ---------------------------------------------


def _acknowledgements(ids):
    from feedback.models import Acknowledgement
    from perfcycle.audit import Target

    # No link: "My result" is the employee's own page (HR follows the disputes' links).
    rows = Acknowledgement.objects.filter(pk__in=ids).select_related(
        "participation__employee__user", "participation__cycle"
    )
    return {
        str(a.pk): Target(
            _("answer on the result of %(cycle)s") % {"cycle": a.participation.cycle.name},
            a.participation.employee.full_name,
            "",
            a.participation.employee.user_id,
        )
        for a in rows
    }


def _disputes(ids):
    from feedback.models import Dispute
    from feedback.services.consensus import dispute_url
    from perfcycle.audit import Target

    rows = Dispute.objects.filter(pk__in=ids).select_related(
        "participation__employee__user", "item"
    )
    return {
        str(d.pk): Target(
            _("dispute on “%(item)s”") % {"item": d.item.title},
            d.participation.employee.full_name,
            dispute_url(d.pk),
            d.participation.employee.user_id,
        )
        for d in rows
    }


def _sent(event):
    from perfcycle.formatting import format_number

    return {"count": format_number((event.after or {}).get("sent") or 0)}


def register_consensus_part() -> None:
    from feedback.selectors.consensus import consensus_health, consensus_todos
    from feedback.services.consensus import ask_for_agreement
    from feedback.services.events import on_interview_recorded
    from perfcycle.audit import ObjectKind, register_sentences
    from perfcycle.stages import register_health_provider, register_todo_provider

    # Once the interview is recorded the employee is asked to agree or disagree.
    on_interview_recorded(ask_for_agreement)
    register_todo_provider(consensus_todos)
    # HR: answers and disputes per cycle on HR home (stored roll-up: no query per visit).
    register_health_provider(consensus_health)
    register_sentences(
        _("Feedback"),
        kinds=[
            ObjectKind("feedback.acknowledgement", _("answer on a result"), load=_acknowledgements),
            ObjectKind("feedback.dispute", _("dispute"), load=_disputes),
        ],
        verbs=[
            (
                "feedback.agreement_asked",
                _("Agreement asked"),
                _("%(actor)s asked %(owner)s for their %(object)s"),
            ),
            (
                "feedback.result_agreed",
                _("Result agreed"),
                _("%(actor)s gave %(whose)s %(object)s: agreed"),
            ),
            (
                "feedback.result_disagreed",
                _("Result disagreed"),
                _("%(actor)s gave %(whose)s %(object)s: disagreed"),
            ),
            (
                "feedback.no_response",
                _("No response in time"),
                _("%(actor)s recorded no response as %(whose)s %(object)s"),
                _("%(actor)s recorded an answer as no response"),
            ),
            (
                "feedback.dispute_opened",
                _("Dispute opened"),
                _("%(actor)s opened %(whose)s %(object)s"),
            ),
            (
                "feedback.dispute_upheld",
                _("Dispute decided: rating upheld"),
                _("%(actor)s upheld the rating in %(whose)s %(object)s"),
            ),
            (
                "feedback.dispute_changed",
                _("Dispute decided: rating changed"),
                _("%(actor)s changed the rating in %(whose)s %(object)s"),
            ),
            (
                "feedback.dispute_escalated",
                _("Overdue dispute told to HR"),
                _("%(actor)s told HR that %(whose)s %(object)s is overdue"),
                _("%(actor)s told HR of an overdue dispute"),
            ),
            (
                "feedback.answer_reminders_sent",
                _("Answer reminders sent"),
                _("%(actor)s reminded %(count)s employees to answer on their result"),
                None,
                _sent,
            ),
            (
                "feedback.dispute_reminders_sent",
                _("Dispute reminders sent"),
                _("%(actor)s reminded the deciders of %(count)s disputes"),
                None,
                _sent,
            ),
        ],
    )
    # The appraisal's own verb of a rating changed after release (appraisal/services/
    # revision.py), written down here with the consensus part that causes it.
    register_sentences(
        _("Appraisal"),
        verbs=[
            (
                "appraisal.rating_revised",
                _("Rating changed after a dispute"),
                _("%(actor)s changed a rating of %(whose)s appraisal after a dispute"),
                _("%(actor)s changed a rating after a dispute"),
            ),
        ],
    )


# --- Improvement plans (lane plans) ------------------------------------------------------


def _plans(ids):
    from feedback.models import ImprovementPlan
    from perfcycle.audit import Target

    rows = ImprovementPlan.objects.filter(pk__in=ids).select_related(
        "participation__employee__user", "participation__cycle"
    )
    return {
        str(p.pk): Target(
            _("improvement plan (%(cycle)s)") % {"cycle": p.participation.cycle.name},
            p.participation.employee.full_name,
            p.get_absolute_url(),
            p.participation.employee.user_id,
        )
        for p in rows
    }


def register_plan_part() -> None:
    from feedback.models import ImprovementPlan
    from feedback.selectors.plans import checkin_panels, plan_health, plan_todos
    from feedback.services.events import on_interview_recorded
    from feedback.services.plans import start_required_plan
    from perfcycle.audit import ObjectKind, register_sentences
    from perfcycle.stages import (
        RemovalGuard,
        register_checkin_panel,
        register_health_provider,
        register_removal_guard,
        register_todo_provider,
    )

    # A result below the qualified level starts the required plan when the interview is
    # recorded (the cycle's rules permitting).
    on_interview_recorded(start_required_plan)
    # Plans to sign; check-points to record.
    register_todo_provider(plan_todos)
    # The running plan on the person's check-in pages (the next cycle's too).
    register_checkin_panel("feedback-plans", checkin_panels)
    # HR's home: plans signed, running, outcomes, per open cycle.
    register_health_provider(plan_health)

    # A participant with an improvement plan stays in the cycle (the plan is theirs).
    def plan_blockers(participation) -> list[str]:
        if ImprovementPlan.objects.filter(participation=participation).exists():
            return [_("has an improvement plan")]
        return []

    register_removal_guard(RemovalGuard(stage="feedback.plans", guard=plan_blockers))
    register_sentences(
        _("Feedback"),
        kinds=[
            ObjectKind("feedback.improvementplan", _("improvement plan"), load=_plans),
        ],
        verbs=[
            (
                "feedback.plan_started",
                _("Improvement plan started"),
                _("%(actor)s started %(whose)s %(object)s"),
            ),
            (
                "feedback.plan_required",
                _("Improvement plan made required"),
                _("%(actor)s marked %(whose)s %(object)s as required by the cycle's rules"),
            ),
            (
                "feedback.plan_saved",
                _("Improvement plan changed"),
                _("%(actor)s changed %(whose)s %(object)s"),
            ),
            (
                "feedback.plan_signed",
                _("Improvement plan signed"),
                _("%(actor)s signed %(whose)s %(object)s"),
            ),
            (
                "feedback.plan_agreed",
                _("Improvement plan agreed"),
                _("%(actor)s signed last: %(whose)s %(object)s is agreed"),
            ),
            (
                "feedback.plan_activated",
                _("Improvement plan active"),
                _("%(actor)s started %(whose)s agreed %(object)s"),
            ),
            (
                "feedback.checkpoint_recorded",
                _("Plan check-point recorded"),
                _("%(actor)s recorded a check-point of %(whose)s %(object)s"),
            ),
            (
                "feedback.checkpoint_missed",
                _("Plan check-point missed"),
                _("%(actor)s marked a check-point of %(whose)s %(object)s missed"),
            ),
            (
                "feedback.plan_action_done",
                _("Plan action done"),
                _("%(actor)s ticked off an action of %(whose)s %(object)s"),
            ),
            (
                "feedback.plan_action_reopened",
                _("Plan action reopened"),
                _("%(actor)s reopened an action of %(whose)s %(object)s"),
            ),
            (
                "feedback.plan_closed",
                _("Improvement plan outcome"),
                _("%(actor)s recorded the outcome of %(whose)s %(object)s"),
            ),
        ],
    )


# --- Next-cycle goals and HR overview (lane carry) -----------------------------------------


def _proposals(ids):
    from django.urls import reverse

    from feedback.models import GoalProposal
    from perfcycle.audit import Target

    rows = GoalProposal.objects.filter(pk__in=ids).select_related("participation__employee")
    return {
        str(p.pk): Target(
            f"“{p.title}”",
            p.participation.employee.full_name,
            reverse("feedback:carry-proposals", args=[p.interview_id]),
            p.participation.employee.user_id,
        )
        for p in rows
    }


def _rules(ids):
    from django.urls import reverse

    from feedback.models import FeedbackSettings
    from perfcycle.audit import Target

    rows = FeedbackSettings.objects.filter(pk__in=ids).select_related("cycle")
    return {
        str(s.pk): Target(s.cycle.name, "", reverse("feedback:carry-rules", args=[s.cycle_id]))
        for s in rows
    }


def _goal_origins(goal_ids, *, for_owner: bool) -> dict:
    """ "Agreed in your feedback interview of 2026" for the goals carried over."""
    from feedback.selectors.carry import carried_origin

    sentence = (
        _("Agreed in your feedback interview of %(cycle)s")
        if for_owner
        else _("Agreed in the feedback interview of %(cycle)s")
    )
    return {
        goal_id: sentence % {"cycle": proposal.participation.cycle.name}
        for goal_id, proposal in carried_origin(goal_ids).items()
    }


def register_carry_part() -> None:
    from feedback.services.carry import (
        carry_after_interview,
        carry_on_enrolment,
        release_deleted_goal,
    )
    from feedback.services.events import on_interview_recorded
    from goals.origins import register_goal_delete_hook, register_goal_origin
    from perfcycle.audit import ObjectKind, register_sentences
    from perfcycle.phases import register_enrolment_hook

    for action in CARRY_ACTIONS:
        register_cycle_action(action)
    # The goals agreed in an interview become drafts when the person's next cycle opens
    # (the core's enrolment hook), or at once when the interview is recorded after that.
    register_enrolment_hook(carry_on_enrolment)
    on_interview_recorded(carry_after_interview)
    register_goal_origin(_goal_origins)
    register_goal_delete_hook(release_deleted_goal)
    register_sentences(
        _("Feedback"),
        kinds=[
            ObjectKind("feedback.goalproposal", _("next-cycle goal"), load=_proposals),
            ObjectKind("feedback.feedbacksettings", _("feedback rules"), load=_rules),
            ObjectKind("feedback.rootcause", _("root cause")),
        ],
        verbs=[
            (
                "feedback.proposal_added",
                _("Next-cycle goal proposed"),
                _("%(actor)s proposed %(object)s as %(whose)s goal for the next cycle"),
                _("%(actor)s proposed a goal for the next cycle"),
            ),
            (
                "feedback.proposal_changed",
                _("Next-cycle goal changed"),
                _("%(actor)s changed %(whose)s next-cycle goal %(object)s"),
                _("%(actor)s changed a next-cycle goal"),
            ),
            (
                "feedback.proposal_removed",
                _("Next-cycle goal removed"),
                _("%(actor)s removed %(whose)s next-cycle goal %(object)s"),
                _("%(actor)s removed a next-cycle goal"),
            ),
            (
                "feedback.proposal_carried",
                _("Next-cycle goal carried over"),
                _("%(actor)s made %(whose)s next-cycle goal %(object)s a draft goal"),
                _("%(actor)s made a next-cycle goal a draft goal"),
            ),
            (
                "feedback.proposal_goal_deleted",
                _("Carried goal deleted"),
                _(
                    "%(actor)s deleted the draft goal made from %(whose)s next-cycle goal %(object)s"
                ),
                _("%(actor)s deleted a draft goal made from a next-cycle goal"),
            ),
            (
                "feedback.settings_changed",
                _("Feedback rules changed"),
                _("%(actor)s changed the feedback rules of %(object)s"),
            ),
            (
                "feedback.root_cause_added",
                _("Root cause added"),
                _("%(actor)s added the root cause %(object)s"),
            ),
            (
                "feedback.root_cause_changed",
                _("Root cause renamed"),
                _("%(actor)s changed the root cause %(object)s"),
            ),
            (
                "feedback.root_cause_retired",
                _("Root cause retired"),
                _("%(actor)s retired the root cause %(object)s"),
            ),
            (
                "feedback.root_cause_offered",
                _("Root cause offered again"),
                _("%(actor)s offered the root cause %(object)s again"),
            ),
            (
                "feedback.root_cause_removed",
                _("Root cause removed"),
                _("%(actor)s removed the unused root cause %(object)s"),
            ),
        ],
    )


# --- Links between the parts, on the interview page ----------------------------------------


def _proposals_link(user, interview):
    """Everyone who reads the interview reads its next-cycle goals (the reviewer writes
    them there)."""
    return (_("Next-cycle goals"), reverse("feedback:carry-proposals", args=[interview.pk]))


def _result_link(user, interview):
    """The employee answers the result (agree or dispute) once the interview is held."""
    from feedback.models import InterviewStatus
    from perfcycle import access

    employee = access.employee_of(user)
    if interview.status != InterviewStatus.HELD or employee is None:
        return None
    if employee.pk != interview.participation.employee_id:
        return None
    url = reverse("feedback:consensus-mine") + f"?cycle={interview.participation.cycle_id}"
    return (_("My result and agreement"), url)


def _plan_link(user, interview):
    """The improvement plan of this appraisal, when there is one the user may read (one
    query). A plan of the interview's participation reads as the interview does (both
    policies read by the same relations), and the page is shown only to those who read the
    interview: then no read rule is joined (compiling it cost ~1 ms a page), and the
    query is built once per process."""
    from feedback.policies import INTERVIEW, PLAN

    if PLAN.read == INTERVIEW.read:
        rows = _latest_plan(interview.appraisal_id, interview.participation_id)
    else:
        rows = list(
            _latest_plan_queryset(interview.appraisal_id, interview.participation_id)
            .filter(PLAN.readable(user))
            .values("pk")[:1]
        )
    if not rows:
        return None
    return (_("Improvement plan"), reverse("feedback:plan-detail", args=[rows[0]["pk"]]))


def _latest_plan_queryset(appraisal_id, participation_id):
    from feedback.models import ImprovementPlan

    return ImprovementPlan.objects.filter(
        appraisal_id=appraisal_id, participation_id=participation_id
    ).order_by("-created_at", "-pk")


# The interview page's link to the plan: SQL built once per process (perfcycle/compiled.py).
_latest_plan = CompiledQuery(
    lambda appraisal_id, participation_id: _latest_plan_queryset(
        appraisal_id, participation_id
    ).values("pk")[:1],
    arguments=2,
)


def register_links() -> None:
    from feedback.selectors.interviews import register_interview_link

    for provider in (_proposals_link, _result_link, _plan_link):
        register_interview_link(provider)
