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
    NavEntry("teamgoals", _("Team goals"), "goals:team-goals", Area.TEAM, 20, stage=STAGE),
    NavEntry(
        "progress",
        _("Planning progress"),
        "goals:planning-progress",
        Area.HR,
        10,
        stage=STAGE,
    ),
    NavEntry(
        "library",
        _("Scales, indicators and templates"),
        "goals:library",
        Area.HR,
        20,
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
        "cycle-people",
        _("Participants"),
        "goals:cycle-setup-people",
        35,
        roles=HR,
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

    register_nav_group(NavGroup("planning", _("Planning"), 20, stage=STAGE))
    for entry in NAV:
        register_nav(entry)
    for action in CYCLE_ACTIONS:
        register_cycle_action(action)
    register_todo_provider(todos_for)
    register_health_provider(planning_health)
    register_removal_guard(RemovalGuard(stage=STAGE, guard=removal_blockers))
    register_audit_sentences()


# --- How planning's events read in the audit log (perfcycle/audit.py) -------------------


def _goals(ids):
    rows = Goal.objects.filter(pk__in=ids).select_related("owner__user")
    return {str(g.pk): _goal_target(g) for g in rows}


def _goal_target(goal):
    from perfcycle.audit import Target

    owner = goal.owner
    return Target(f"“{goal.title}”", owner.full_name, goal.get_absolute_url(), owner.user_id)


def _adjustments(ids):
    from goals.models import AdjustmentRequest

    rows = AdjustmentRequest.objects.filter(pk__in=ids).select_related("goal__owner__user")
    return {str(a.pk): _goal_target(a.goal) for a in rows}


def _url(name):
    from django.urls import reverse

    return lambda pk: reverse(name, args=[pk])


def _named(model_name, url_name):
    """A loader for a library record known by its name (a scale, an indicator, a
    template), linked to its page."""

    def load(ids):
        from django.apps import apps
        from django.urls import reverse

        from perfcycle.audit import Target

        rows = apps.get_model("goals", model_name).objects.filter(pk__in=ids)
        return {
            str(pk): Target(name, "", reverse(url_name, args=[pk]))
            for pk, name in rows.values_list("pk", "name")
        }

    return load


def register_audit_sentences() -> None:
    from perfcycle.audit import ObjectKind, register_sentences

    register_sentences(
        _("Planning"),
        kinds=[
            ObjectKind("goals.goal", _("goal"), load=_goals),
            ObjectKind("goals.adjustmentrequest", _("goal adjustment"), load=_adjustments),
            ObjectKind(
                "goals.ratingscale",
                _("rating scale"),
                load=_named("RatingScale", "goals:scale-detail"),
                url=_url("goals:scale-detail"),
            ),
            ObjectKind(
                "goals.indicator",
                _("indicator"),
                load=_named("Indicator", "goals:indicator-detail"),
                url=_url("goals:indicator-detail"),
            ),
            ObjectKind(
                "goals.template",
                _("template"),
                load=_named("Template", "goals:template-detail"),
                url=_url("goals:template-detail"),
            ),
            ObjectKind("goals.cycleplan", _("planning settings")),
            ObjectKind("goals.templateassignment", _("template assignment")),
        ],
        verbs=[
            ("goal.created", _("Goal drafted"), _("%(actor)s drafted %(whose)s goal %(object)s")),
            (
                "goal.assigned",
                _("Goal assigned"),
                _("%(actor)s assigned %(owner)s the goal %(object)s"),
            ),
            (
                "goal.drafted_for",
                _("Goal drafted from an earlier agreement"),
                _("%(actor)s drafted the goal %(object)s for %(owner)s"),
            ),
            ("goal.updated", _("Goal edited"), _("%(actor)s edited %(whose)s goal %(object)s")),
            (
                "goal.deleted",
                _("Goal deleted"),
                _("%(actor)s deleted %(whose)s goal %(object)s"),
                _("%(actor)s deleted the goal %(object)s"),
            ),
            (
                "goal.submitted",
                _("Goal submitted"),
                _("%(actor)s submitted %(whose)s goal %(object)s for approval"),
            ),
            (
                "goal.approved",
                _("Goal approved"),
                _("%(actor)s approved %(whose)s goal %(object)s"),
            ),
            (
                "goal.returned",
                _("Goal returned"),
                _("%(actor)s returned %(whose)s goal %(object)s for changes"),
            ),
            (
                "goal.commented",
                _("Goal commented on"),
                _("%(actor)s commented on %(whose)s goal %(object)s"),
            ),
            (
                "goal.adjusted",
                _("Goal adjusted"),
                _("%(actor)s adjusted %(whose)s goal %(object)s"),
            ),
            (
                "adjustment.requested",
                _("Adjustment requested"),
                _("%(actor)s asked to adjust %(whose)s goal %(object)s"),
            ),
            (
                "adjustment.approved",
                _("Adjustment approved"),
                _("%(actor)s approved the adjustment of %(whose)s goal %(object)s"),
            ),
            (
                "adjustment.rejected",
                _("Adjustment declined"),
                _("%(actor)s declined the adjustment of %(whose)s goal %(object)s"),
            ),
            (
                "cycle_plan.created",
                _("Planning set up"),
                _("%(actor)s set up planning: %(object)s"),
            ),
            (
                "cycle_plan.updated",
                _("Planning settings changed"),
                _("%(actor)s changed the planning settings: %(object)s"),
            ),
            (
                "template_assignment.added",
                _("Template assigned"),
                _("%(actor)s assigned the template %(object)s"),
            ),
            (
                "template_assignment.removed",
                _("Template unassigned"),
                _("%(actor)s removed the template assignment %(object)s"),
            ),
            (
                "cycle.population_enrolled",
                _("Population enrolled"),
                _("%(actor)s enrolled the chosen population in %(object)s"),
            ),
            (
                "cycle.people_enrolled",
                _("Chosen people enrolled"),
                _("%(actor)s added the people they chose to %(object)s"),
            ),
            (
                "participation.removed",
                _("Participant removed"),
                _("%(actor)s removed %(owner)s from the cycle"),
                _("%(actor)s removed %(object)s from the cycle"),
            ),
            (
                "planning.reminders_sent",
                _("Planning reminders sent"),
                _("%(actor)s sent planning reminders for %(object)s"),
            ),
            (
                "scale.created",
                _("Rating scale created"),
                _("%(actor)s created the rating scale %(object)s"),
            ),
            (
                "scale.updated",
                _("Rating scale changed"),
                _("%(actor)s changed the rating scale %(object)s"),
            ),
            (
                "indicator.created",
                _("Indicator created"),
                _("%(actor)s created the indicator %(object)s"),
            ),
            (
                "indicator.updated",
                _("Indicator changed"),
                _("%(actor)s changed the indicator %(object)s"),
            ),
            (
                "template.created",
                _("Template created"),
                _("%(actor)s created the template %(object)s"),
            ),
            (
                "template.updated",
                _("Template changed"),
                _("%(actor)s changed the template %(object)s"),
            ),
        ],
    )
