"""What feedback adds to the core's pages (registered in feedback/apps.py): navigation,
to-dos, health, cycle-page links, removal guards and audit sentences. The core never
imports this app.

Each part of the stage keeps its entries in its own function and tuple below (interview,
consensus, plans, next-cycle goals and HR), so they read apart and merge apart."""

from django.utils.translation import gettext_lazy as _

from perfcycle.models import Cycle
from perfcycle.stages import (
    Area,
    CycleAction,
    NavEntry,
    NavGroup,
    Role,
    register_nav,
    register_nav_group,
)

STAGE = "feedback"

# Each part's navigation entries (perfcycle.stages.NavEntry), filled by the part.
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
CONSENSUS_NAV: tuple = ()
PLAN_NAV: tuple = ()
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


def register_consensus_part() -> None:
    pass


# --- Improvement plans (lane plans) ------------------------------------------------------


def register_plan_part() -> None:
    pass


# --- Next-cycle goals and HR overview (lane carry) -----------------------------------------


def register_carry_part() -> None:
    pass
