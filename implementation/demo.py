"""Demo data of the implementation stage: a few evidence records per person and the
deviations the nightly detection would raise. Bulk writes, safe to run again."""

import datetime as dt

from django.db import transaction

from goals.models import Goal, GoalLevel, GoalStatus
from implementation.models import Evidence
from implementation.services.deviations import detect_deviations
from perfcycle.models import Cycle, Participation

EVIDENCE_TITLES = [
    ("Shipped the quarterly release on time", "Release notes and the customer sign-off."),
    ("Customer workshop held", "Agenda, attendance and the follow-up actions agreed."),
    ("Process improvement adopted by the team", "Before/after cycle times for the last sprint."),
]


def seed_implementation(cycle: Cycle, *, today: dt.date) -> int:
    """Evidence for everyone in ``cycle`` who has none yet; returns the records created."""
    with transaction.atomic():
        people = list(
            Participation.objects.filter(cycle=cycle, employee__is_active=True)
            .exclude(evidence__isnull=False)
            .values_list("id", "employee_id", "employee__user_id")
        )
        first_goal = {}
        for goal_id, owner_id in (
            Goal.objects.filter(cycle=cycle, level=GoalLevel.INDIVIDUAL, status=GoalStatus.APPROVED)
            .order_by("owner_id", "id")
            .values_list("id", "owner_id")
        ):
            first_goal.setdefault(owner_id, goal_id)
        rows = []
        for n, (participation_id, employee_id, user_id) in enumerate(people):
            for k in range(2):
                title, description = EVIDENCE_TITLES[(n + k) % len(EVIDENCE_TITLES)]
                day = max(cycle.start_date, today - dt.timedelta(days=7 + 17 * k + n % 11))
                rows.append(
                    Evidence(
                        participation_id=participation_id,
                        title=title,
                        description=description,
                        occurred_on=day,
                        goal_id=first_goal.get(employee_id),
                        created_by_id=user_id,
                    )
                )
        Evidence.objects.bulk_create(rows, batch_size=2000)
    detect_deviations(today=today, cycle_ids=[cycle.pk])
    return len(rows)
