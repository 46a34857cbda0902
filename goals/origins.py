"""Where a goal came from, as a later stage knows it ("Agreed in your feedback interview
of 2026"), shown on the goal's page, and what that stage does when such a goal is
deleted. Goals never imports a later stage: the stage registers from its
AppConfig.ready() (feedback/stage.py)::

    register_goal_origin(provider)      # provider(goal_ids, *, for_owner) -> {goal_id: text}
    register_goal_delete_hook(hook)     # hook(*, goal, actor), in delete_goal's transaction

One query per provider for the page, whatever the goal."""

from collections.abc import Callable

PROVIDERS: list[Callable] = []
DELETE_HOOKS: list[Callable] = []


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


def register_goal_delete_hook(hook: Callable) -> None:
    if hook not in DELETE_HOOKS:
        DELETE_HOOKS.append(hook)


def before_delete(goal, *, actor) -> None:
    """Let the stages that hold a link to ``goal`` let go of it (e.g. the next-cycle goal
    proposal it was made from), inside the deletion's transaction."""
    for hook in DELETE_HOOKS:
        hook(goal=goal, actor=actor)
