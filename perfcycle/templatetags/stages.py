"""Template tags that render what the stages registered (perfcycle/stages.py), so the
core's templates name no stage's URLs."""

from django import template

from perfcycle.models import Cycle
from perfcycle.stages import Place, registry, viewer_for

register = template.Library()

TIMELINE_PHASES = [phase for phase in Cycle.Phase if phase != Cycle.Phase.CLOSED]


@register.simple_tag(takes_context=True)
def cycle_actions(context, cycle, place=Place.CYCLE_PAGE):
    """The registered actions at ``place`` for ``cycle`` that the viewer may use."""
    return registry.cycle_actions(viewer_for(context["request"]), cycle, Place(place))


@register.simple_tag(takes_context=True)
def cycle_timeline(context, cycle):
    """The timeline's phases in order: label, deadline, state ("current", "done" or "")
    and the timeline actions registered for that phase."""
    actions = registry.cycle_actions(viewer_for(context["request"]), cycle, Place.TIMELINE)
    order = list(Cycle.Phase)
    now = order.index(Cycle.Phase(cycle.phase))
    rows = []
    for phase in TIMELINE_PHASES:
        index = order.index(phase)
        rows.append(
            {
                "phase": phase,
                "label": phase.label,
                "deadline": getattr(cycle, Cycle.DEADLINE_FIELDS[phase]),
                "state": "current" if index == now else "done" if index < now else "",
                "actions": [a for a in actions if phase in a["phases"]],
            }
        )
    return rows
