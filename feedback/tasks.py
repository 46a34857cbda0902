"""The feedback stage's Celery tasks. Celery's autodiscovery imports this module; each
part keeps its tasks in its own module (feedback/tasks_<part>.py), named there, so the
beat entries in perfcycle/settings.py use those names."""

from feedback.tasks_carry import carry_over_sweep
from feedback.tasks_consensus import consensus_deadlines_task
from feedback.tasks_interview import interview_reminders_task
from feedback.tasks_plans import plan_schedule_task

__all__ = [
    "carry_over_sweep",
    "consensus_deadlines_task",
    "interview_reminders_task",
    "plan_schedule_task",
]
