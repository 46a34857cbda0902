"""Who reads and who acts on each kind of feedback record: the one place the feedback
stage states it (registered with perfcycle.access in feedback/apps.py; the selectors and
services ask only these).

Read: the core's READ rule (the employee, the reviewer of this participation, the
reviewer's manager, the management chain and HR).

- Interview: the reviewer schedules, reschedules, cancels and records it; the employee
  answers (prepares notes, agrees or disagrees).
- Preparation notes are not a policy matter: each note is read and written by its author
  only (feedback/selectors fetch ``author=me``), so the manager's private notes never
  reach the employee, HR or anyone else.
- Dispute: opened by the employee; resolved by the reviewer's manager (NEXT_UP), or by HR
  when the reviewer has none. The services refuse the employee and the author of the
  disputed rating even when they also hold HR.
- Improvement plan: written and signed by the employee and the reviewer; HR reads all,
  and may close one whose manager has left.
- Goal proposals: written by the reviewer in the interview record; read as the interview.
"""

from perfcycle.access import READ, Policy
from perfcycle.access import Relation as R

INTERVIEW = Policy(
    kind="feedback.interview",
    read=READ,
    act={
        "schedule": R.REVIEWER,
        "record": R.REVIEWER,
        "prepare": R.SELF | R.REVIEWER,
    },
)
ACKNOWLEDGEMENT = Policy(
    kind="feedback.acknowledgement",
    read=READ,
    act={"respond": R.SELF},
)
DISPUTE = Policy(
    kind="feedback.dispute",
    read=READ,
    act={"open": R.SELF, "resolve": R.NEXT_UP | R.HR},
)
PLAN = Policy(
    kind="feedback.improvementplan",
    read=READ,
    act={"write": R.SELF | R.REVIEWER, "sign": R.SELF | R.REVIEWER, "close": R.REVIEWER | R.HR},
)
PROPOSAL = Policy(
    kind="feedback.goalproposal",
    read=READ,
    act={"propose": R.REVIEWER},
)

POLICIES = (INTERVIEW, ACKNOWLEDGEMENT, DISPUTE, PLAN, PROPOSAL)
