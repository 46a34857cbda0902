"""Planning tasks: reminders to everyone not ready with their goals, daily on the beat
schedule (``send_all_planning_reminders``) and on HR's button (``send_planning_reminders``)."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError

from goals.services import reminders
from perfcycle.models import Cycle
from perfcycle.workflow import SYSTEM

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(bind=True, **RETRY)
def send_planning_reminders(self, cycle_id: int, actor_id: int | None = None) -> int:
    """Remind the people of one cycle who are not ready; idempotent per person per day
    (running it twice, or on two workers at once, reminds nobody twice). ``actor_id`` is
    the HR admin who asked; without it the reminders are the scheduler's."""
    cycle = Cycle.objects.filter(pk=cycle_id).first()
    if cycle is None:
        return 0
    # HR's button passes who asked; the beat schedule passes nobody: the scheduler. A
    # login deleted since is recorded like the scheduler too (its audit column would be
    # empty either way).
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return reminders.send_planning_reminders(cycle=cycle, actor=actor or SYSTEM)


@shared_task(bind=True, **RETRY)
def send_all_planning_reminders(self) -> int:
    """The daily beat run: remind the people not ready in every cycle in planning;
    returns how many people were reminded."""
    cycles = Cycle.objects.filter(phase=Cycle.Phase.PLANNING).order_by("pk")
    return sum(reminders.send_planning_reminders(cycle=cycle, actor=SYSTEM) for cycle in cycles)
