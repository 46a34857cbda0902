"""What planning adds to the core's pages (registered in goals/apps.py): navigation,
to-dos, cycle-page links and the removal guard. The core never imports this app."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from goals.models import Goal
from perfcycle.stages import (
    OPEN_PHASES,
    Area,
    CycleAction,
    NavEntry,
    NavGroup,
    Place,
    RemovalGuard,
    Role,
    register_cycle_action,
    register_health_provider,
    register_nav,
    register_nav_group,
    register_removal_guard,
    register_todo_provider,
)

STAGE = "goals"
HR = frozenset({Role.HR})

NAV = (
    NavEntry("goals", _("Goals"), "goals:my-goals", Area.MY, 20, stage=STAGE),
    NavEntry(
        "teamgoals", _("Team goals"), "goals:team-goals", Area.TEAM, 20, group="team", stage=STAGE
    ),
    NavEntry(
        "progress",
        _("Planning progress"),
        "goals:planning-progress",
        Area.HR,
        10,
        group="planning",
        stage=STAGE,
    ),
    NavEntry(
        "library",
        _("Scales, indicators and templates"),
        "goals:library",
        Area.HR,
        20,
        group="planning",
        stage=STAGE,
        current_on=tuple(
            f"goals:{name}"
            for name in (
                "library",
                "scale-list",
                "scale-create",
                "scale-detail",
                "scale-edit",
                "indicator-list",
                "indicator-create",
                "indicator-detail",
                "indicator-edit",
                "template-list",
                "template-create",
                "template-detail",
                "template-edit",
            )
        ),
    ),
)

CYCLE_ACTIONS = (
    CycleAction("tree", _("Alignment tree"), "goals:tree", 10, stage=STAGE),
    CycleAction(
        "planning-progress",
        _("Planning progress"),
        "goals:planning-progress",
        20,
        roles=HR,
        with_cycle=False,
        query="cycle={cycle}",
        stage=STAGE,
    ),
    CycleAction(
        "cycle-setup",
        _("Set up"),
        "goals:cycle-setup",
        30,
        roles=HR,
        phases=OPEN_PHASES,
        stage=STAGE,
    ),
    CycleAction(
        "my-goals",
        _("My goals"),
        "goals:my-goals",
        10,
        place=Place.MY_CYCLE,
        roles=frozenset({Role.EMPLOYEE}),
        with_cycle=False,
        stage=STAGE,
    ),
    CycleAction(
        "my-tree",
        _("How my goals align"),
        "goals:tree",
        20,
        place=Place.MY_CYCLE,
        roles=frozenset({Role.EMPLOYEE}),
        stage=STAGE,
    ),
)


def removal_blockers(participation) -> list[str]:
    """A person with goals in the cycle stays in it (their goals name them as owner)."""
    count = Goal.objects.filter(
        cycle_id=participation.cycle_id, owner_id=participation.employee_id
    ).count()
    if not count:
        return []
    return [ngettext("has %(count)s goal", "has %(count)s goals", count) % {"count": count}]


def register() -> None:
    from goals.selectors import todos_for
    from goals.selectors.team import planning_health

    register_nav_group(NavGroup("planning", _("Planning"), Area.HR, 30, stage=STAGE))
    for entry in NAV:
        register_nav(entry)
    for action in CYCLE_ACTIONS:
        register_cycle_action(action)
    register_todo_provider(todos_for)
    register_health_provider(planning_health)
    register_removal_guard(RemovalGuard(stage=STAGE, guard=removal_blockers))
