"""Who reads and who acts on each kind of planning record: the one place the goals stage
states it (registered with perfcycle.access in goals/apps.py; the selectors ask only
these). Relations are perfcycle.access.Relation; READ is the read rule of every stage.

Company and department goals are the organisation's strategy and readable by every
employee; these policies are about a person's individual goals and what hangs on them.

Four-eyes: the person who asks for an adjustment never decides it. When the reviewer
of the participation asks, the decision goes one step up (NEXT_UP: the reviewer's own
manager) or to HR when the reviewer has no manager.
"""

from perfcycle.access import READ, Policy
from perfcycle.access import Relation as R

# Individual goals reach their participation by (cycle, owner).
GOAL = Policy(
    kind="goals.goal",
    read=READ,
    act={
        "own": R.SELF,  # draft, edit, submit, delete
        "review": R.REVIEWER | R.HR,  # approve, return (never the owner: see services)
        "comment": READ,
        "align": READ,  # align one's own goal below it
        "request_adjustment": R.SELF | R.REVIEWER | R.HR,
    },
    path=None,
)
GOAL_COMMENT = Policy(
    kind="goals.goalcomment",
    read=READ,
    act={"write": READ},
    path=None,
    cycle="goal__cycle",
    person="goal__owner",
)
ADJUSTMENT = Policy(
    kind="goals.adjustmentrequest",
    read=READ,
    act={
        "request": R.SELF | R.REVIEWER | R.HR,
        # asked by the owner (or HR): the reviewer or HR decides
        "decide": R.REVIEWER | R.HR,
        # asked by this participation's reviewer: one step up, or HR
        "decide_reviewer_request": R.NEXT_UP | R.HR,
    },
    path=None,
    cycle="goal__cycle",
    person="goal__owner",
)

POLICIES = (GOAL, GOAL_COMMENT, ADJUSTMENT)
