from django.apps import AppConfig


class GoalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "goals"

    def ready(self):
        # Planning cannot end while approved weights are off or goals await approval.
        from goals import stage
        from goals.selectors import planning_blockers
        from perfcycle import phases
        from perfcycle.models import Cycle

        phases.register_phase_guard(leaving=Cycle.Phase.PLANNING, guard=planning_blockers)
        # Navigation, to-dos, cycle-page links and the removal guard: goals/stage.py.
        stage.register()
