"""The demo's first nightly run: a goal with no update yet is not a deviation (defect 8:
88 of 143 demo goals were flagged high on day one because "no value" counted as 0 %)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from goals.models import Goal
from implementation.models import Deviation
from implementation.services.deviations import detect_deviations
from perfcycle.models import Cycle

pytestmark = pytest.mark.django_db


def test_the_demo_flags_no_goal_without_a_reported_value():
    """Seed the demo (which runs detection), run the nightly detection again: every
    deviation is on a goal with a reported value or past its due date, and goals with no
    update yet are reported as not assessed rather than behind."""
    call_command("seed_demo", stdout=io.StringIO())
    cycle = Cycle.objects.get(phase=Cycle.Phase.IMPLEMENTATION)
    today = timezone.localdate()
    without_value = Goal.objects.filter(
        cycle=cycle,
        level="individual",
        status="approved",
        target__isnull=False,
        current_value__isnull=True,
    )
    assert without_value.exists()  # the demo has goals with no update yet

    result = detect_deviations(today=today)

    flagged = Deviation.objects.filter(goal__in=without_value)
    assert [
        (d.goal.title, d.severity) for d in flagged if (d.goal.due_date or today) >= today
    ] == []
    assert result.not_assessed >= without_value.count()


def test_the_demo_s_accepted_shortfalls_hold_on_the_nights_that_follow():
    """The demo's accepted shortfalls are the latest deviation of their goals, and the
    nightly checks of the next week raise none again (the accepted figure still holds)."""
    from implementation.models import DeviationStatus

    call_command("seed_demo", stdout=io.StringIO())
    today = timezone.localdate()
    accepted = set(
        Deviation.objects.filter(status=DeviationStatus.ACCEPTED).values_list("goal_id", flat=True)
    )
    assert accepted  # the demo shows accepted shortfalls
    for n in range(1, 8):
        detect_deviations(today=today + dt.timedelta(days=n))
    latest = {}
    for goal_id, status in (
        Deviation.objects.filter(goal_id__in=accepted)
        .order_by("detected_on", "id")
        .values_list("goal_id", "status")
    ):
        latest[goal_id] = status
    assert set(latest.values()) == {DeviationStatus.ACCEPTED}
