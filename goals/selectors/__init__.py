"""The goals stage's read side, one module per concern:

- scopes: who sees and acts on which goals and adjustments (through goals/policies.py)
- cycles: which cycle a page is about, what the user may create or assign in it
- pages: my goals, weight totals, alignment, a goal page's buttons
- team: the team page and HR's planning readiness
- todos: the planning phase guard and the home pages' to-dos

Callers keep ``from goals import selectors; selectors.X``: everything is re-exported here.
"""

from goals.selectors.cycles import (
    assignable_participants,
    creatable_levels,
    current_cycle_among,
    current_cycle_for,
    open_cycles_for,
    reviewing_cycle_for,
    reviewing_cycles,
)
from goals.selectors.pages import (
    HUNDRED,
    STATUS_ORDER,
    ZERO,
    GoalActions,
    StatusGroup,
    WeightSummary,
    aligned_children,
    alignment_chain,
    goal_actions,
    group_by_status,
    my_goals,
    parent_choices,
    percent_text,
    weight_summary,
)
from goals.selectors.scopes import (
    adjustments_decidable_by,
    adjustments_routed_to,
    adjustments_visible_to,
    get_adjustment_for,
    get_goal_for,
    get_goal_from,
    goals_adjustable_by,
    goals_alignable_for,
    goals_editable_by,
    goals_owned_by,
    goals_reviewable_by,
    goals_visible_to,
    is_reviewer,
    pending_adjustments_for,
)
from goals.selectors.team import (
    TEAM_PAGE_SIZE,
    Readiness,
    planning_readiness,
    readiness_counts,
    team_goal_rows,
    team_page,
    team_participants,
)
from goals.selectors.todos import GUARD_NAMES_SHOWN, planning_blockers, todos_for

__all__ = [
    "GUARD_NAMES_SHOWN",
    "HUNDRED",
    "STATUS_ORDER",
    "ZERO",
    "GoalActions",
    "Readiness",
    "StatusGroup",
    "WeightSummary",
    "adjustments_decidable_by",
    "adjustments_routed_to",
    "adjustments_visible_to",
    "aligned_children",
    "alignment_chain",
    "assignable_participants",
    "creatable_levels",
    "current_cycle_among",
    "current_cycle_for",
    "get_adjustment_for",
    "get_goal_for",
    "get_goal_from",
    "goal_actions",
    "goals_adjustable_by",
    "goals_alignable_for",
    "goals_editable_by",
    "goals_owned_by",
    "goals_reviewable_by",
    "goals_visible_to",
    "group_by_status",
    "is_reviewer",
    "my_goals",
    "open_cycles_for",
    "parent_choices",
    "pending_adjustments_for",
    "percent_text",
    "planning_blockers",
    "planning_readiness",
    "readiness_counts",
    "reviewing_cycle_for",
    "reviewing_cycles",
    "TEAM_PAGE_SIZE",
    "team_goal_rows",
    "team_page",
    "team_participants",
    "todos_for",
    "weight_summary",
]
