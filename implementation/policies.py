"""Who reads and who acts on each kind of implementation record: the one place the
implementation stage states it (registered with perfcycle.access in
implementation/apps.py; the selectors ask only these).

Read is the same rule as the goal pages (perfcycle.access.READ): the person, this
participation's reviewer, the reviewer's manager, the management chain above the person
and HR. So a skip-level manager reads a check-in as they read the goal progress page
that shows its values. Acting stays with the person and this participation's reviewer
(HR where it decides).

Four-eyes: evidence recorded by the reviewer is verified one step up (NEXT_UP, the
reviewer's own manager) or by HR when the reviewer has no manager; never by the person
who recorded it, never by the participant.
"""

from perfcycle.access import READ, Policy
from perfcycle.access import Relation as R

CHECKIN = Policy(
    kind="implementation.checkin",
    read=READ,
    act={
        "fill_in": R.SELF,
        "respond": R.REVIEWER | R.HR,  # reply, review, follow up (never the participant)
        "comment": R.SELF | R.REVIEWER | R.HR,
    },
)
# Progress updates reach their participation through the goal, by (cycle, owner).
PROGRESS = Policy(
    kind="implementation.progressupdate",
    read=READ,
    act={"record": R.SELF | R.REVIEWER},
    path=None,
    cycle="goal__cycle",
    person="goal__owner",
)
EVIDENCE = Policy(
    kind="implementation.evidence",
    read=READ,
    act={
        "record": R.SELF | R.REVIEWER,
        # recorded by the participant: the reviewer or HR verifies
        "verify": R.REVIEWER | R.HR,
        # recorded by this participation's reviewer: one step up, or HR
        "verify_reviewer_record": R.NEXT_UP | R.HR,
    },
)
DEVIATION = Policy(
    kind="implementation.deviation",
    read=READ,
    act={
        "agree": R.SELF | R.REVIEWER,  # agree the corrective action together
        "decide": R.REVIEWER | R.HR,  # resolve, accept (never the owner)
    },
)

POLICIES = (CHECKIN, PROGRESS, EVIDENCE, DEVIATION)
