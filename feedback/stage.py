"""What feedback adds to the core's pages (registered in feedback/apps.py): navigation,
to-dos, health, cycle-page links, removal guards and audit sentences. The core never
imports this app.

Each part of the stage keeps its entries in its own function and tuple below (interview,
consensus, plans, next-cycle goals and HR), so they read apart and merge apart."""

from django.utils.translation import gettext_lazy as _

from perfcycle.stages import Area, NavEntry, NavGroup, register_nav, register_nav_group

STAGE = "feedback"

# Each part's navigation entries (perfcycle.stages.NavEntry), filled by the part.
INTERVIEW_NAV: tuple = ()
CONSENSUS_NAV: tuple = ()
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
CARRY_NAV: tuple = ()


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


def register_carry_part() -> None:
    pass
