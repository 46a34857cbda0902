"""Who reads and who acts on each kind of appraisal record: the one place the appraisal
stage states it (registered with perfcycle.access in appraisal/apps.py; the selectors and
services ask only these).

Read: the appraisee, the reviewer of this participation, the management chain above the
person (and the reviewer's own manager) and HR — the core's READ rule. What the appraisee
reads of it is narrowed further by the selectors: no score before HR releases the ratings,
peer input only aggregated and only from enough answers.

A peer holds no relation that reads an appraisal: a peer reaches only their own
questionnaire (:class:`appraisal.models.PeerReview` rows whose ``peer`` is them), fetched
by that rule in the selectors. The peer grant registered with the core (see
``peer_grants``) lets ``relations_of`` say PEER for a participation the person was asked
to give input on, and nothing more.
"""

from perfcycle.access import READ, Policy
from perfcycle.access import Relation as R

APPRAISAL = Policy(
    kind="appraisal.appraisal",
    read=READ,
    act={
        "self_assess": R.SELF,
        "review": R.REVIEWER,  # the manager's ratings: this participation's reviewer only
        "calibrate": R.HR,
        "reopen": R.HR,
        "nominate_peers": R.SELF,
        "approve_peers": R.REVIEWER | R.HR,
    },
)
ITEM = Policy(
    kind="appraisal.appraisalitem",
    read=READ,
    act={"self_assess": R.SELF, "review": R.REVIEWER},
    path="appraisal__participation",
)
ADJUSTMENT = Policy(
    kind="appraisal.calibrationadjustment",
    read=READ,
    act={"calibrate": R.HR},
    path="appraisal__participation",
)

POLICIES = (APPRAISAL, ITEM, ADJUSTMENT)


def peer_grants(employee):
    """The participations this person was asked (and approved) to give peer input on."""
    from appraisal.models import PeerReview, PeerStatus
    from perfcycle.models import Participation

    return Participation.objects.filter(
        pk__in=PeerReview.objects.filter(
            peer=employee, status__in=[PeerStatus.APPROVED, PeerStatus.ANSWERED]
        ).values("appraisal__participation_id")
    )
