"""What feedback adds to the core's pages (registered in feedback/apps.py): navigation,
to-dos, health, cycle-page links, removal guards and audit sentences. The core never
imports this app.

Each part of the stage keeps its entries in its own function and tuple below (interview,
consensus, plans, next-cycle goals and HR), so they read apart and merge apart."""

from django.utils.translation import gettext_lazy as _

from perfcycle.stages import NavGroup, register_nav, register_nav_group

STAGE = "feedback"

# Each part's navigation entries (perfcycle.stages.NavEntry), filled by the part.
INTERVIEW_NAV: tuple = ()
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


def register_interview_part() -> None:
    pass


# --- Agreement and disputes (lane consensus) ---------------------------------------------


def register_consensus_part() -> None:
    pass


# --- Improvement plans (lane plans) ------------------------------------------------------


def register_plan_part() -> None:
    pass


# --- Next-cycle goals and HR overview (lane carry) -----------------------------------------


def register_carry_part() -> None:
    pass
