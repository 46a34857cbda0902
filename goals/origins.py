"""Where a goal came from, as a later stage knows it ("Agreed in your feedback interview
of 2026"), shown on the goal's page. Goals never imports a later stage: the stage
registers a provider from its AppConfig.ready() (feedback/stage.py)::

    register_goal_origin(provider)   # provider(goal_ids, *, for_owner) -> {goal_id: text}

One query per provider for the page, whatever the goal."""

from collections.abc import Callable

PROVIDERS: list[Callable] = []


def register_goal_origin(provider: Callable) -> None:
    if provider not in PROVIDERS:  # ready() may run more than once (tests, reloads)
        PROVIDERS.append(provider)


def origin_of(goal, *, for_owner: bool) -> str:
    """The first provider's sentence about ``goal``, or ""."""
    for provider in PROVIDERS:
        text = provider([goal.pk], for_owner=for_owner).get(goal.pk)
        if text:
            return str(text)
    return ""
