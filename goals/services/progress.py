"""The one write the implementation stage makes into planning data: a goal's latest
actual value, which the alignment tree and the appraisal read."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from goals import rollups
from goals.models import Goal


def set_goal_current_value(*, goal_id: int, value: Decimal) -> None:
    """Store the latest actual value of a goal (progress updates call this)."""
    with transaction.atomic():
        Goal.objects.filter(pk=goal_id).update(current_value=value, updated_at=timezone.now())
        rollups.refresh([goal_id])
