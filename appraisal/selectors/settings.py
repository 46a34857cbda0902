"""What the cycle's appraisal rules are set against: the levels of its rating scale."""

from appraisal.models import Appraisal
from goals.models import RatingLevel
from goals.plans import plan_of
from perfcycle.models import Cycle


def cycle_levels(cycle: Cycle) -> list[dict]:
    """The cycle's rating scale as ``[{"value", "label", "descriptor"}]``, lowest first:
    the snapshot its appraisals were opened with (what they are scored on), else the
    scale chosen on its planning setup, else none."""
    snapshot = (
        Appraisal.objects.filter(participation__cycle=cycle)
        .exclude(scale_levels=[])
        .order_by("pk")
        .values_list("scale_levels", flat=True)
        .first()
    )
    if snapshot:
        return sorted(snapshot, key=lambda level: level["value"])
    plan = plan_of(cycle)
    if plan is None:
        return []
    return list(
        RatingLevel.objects.filter(scale_id=plan.rating_scale_id)
        .order_by("value")
        .values("value", "label", "descriptor")
    )
