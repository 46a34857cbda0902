from django.apps import AppConfig


class GoalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "goals"

    def ready(self):
        # Planning cannot end while approved weights are off or goals await approval.
        from goals.selectors import planning_blockers, todos_for
        from perfcycle.models import Cycle
        from perfcycle.selectors import register_todo_provider
        from perfcycle.services import register_phase_guard

        register_phase_guard(leaving=Cycle.Phase.PLANNING, guard=planning_blockers)
        register_todo_provider(todos_for)

        from goals.policies import POLICIES
        from perfcycle.access import register_policies

        register_policies(*POLICIES)
