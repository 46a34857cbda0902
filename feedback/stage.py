"""What feedback adds to the core's pages (registered in feedback/apps.py): navigation,
to-dos, health, cycle-page links, removal guards and audit sentences. The core never
imports this app.

Each part of the stage keeps its entries in its own function and tuple below (interview,
consensus, plans, next-cycle goals and HR), so they read apart and merge apart."""

from django.utils.translation import gettext_lazy as _

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
INTERVIEW_NAV: tuple = ()
CONSENSUS_NAV: tuple = ()
PLAN_NAV: tuple = ()
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


def register() -> None:
    register_nav_group(NavGroup("feedback", _("Feedback"), 50, stage=STAGE))
    for entry in INTERVIEW_NAV + CONSENSUS_NAV + PLAN_NAV + CARRY_NAV:
        register_nav(entry)
    register_interview_part()
    register_consensus_part()
    register_plan_part()
    register_carry_part()


# --- Interview (lane interview) ----------------------------------------------------------


def register_interview_part() -> None:
    pass


# --- Agreement and disputes (lane consensus) ---------------------------------------------


def register_consensus_part() -> None:
    pass


# --- Improvement plans (lane plans) ------------------------------------------------------


def register_plan_part() -> None:
    pass


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
