from django.apps import AppConfig


class GoalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "goals"

    def ready(self):
        from goals import stage
        from goals.policies import POLICIES
        from goals.selectors import planning_blockers
        from perfcycle import phases
        from perfcycle.access import register_policies
        from perfcycle.models import Cycle

        # Who reads and acts on each kind of planning record: goals/policies.py.
        register_policies(*POLICIES)
        # Planning cannot end while approved weights are off or goals await approval.
        phases.register_phase_guard(leaving=Cycle.Phase.PLANNING, guard=planning_blockers)
        # Navigation, to-dos, cycle-page links and the removal guard: goals/stage.py.
        stage.register()
