from django.apps import AppConfig


class ImplementationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "implementation"

    def ready(self):
        from implementation import stage
        from implementation.policies import POLICIES
        from implementation.services.checkins import open_checkins_on_entering
        from perfcycle import phases
        from perfcycle.access import register_policies
        from perfcycle.models import Cycle

        # Who reads and acts on check-ins, progress, evidence, deviations.
        register_policies(*POLICIES)
        # The first period's check-ins exist as soon as implementation starts, not at
        # the next nightly run.
        phases.register_phase_hook(
            entering=Cycle.Phase.IMPLEMENTATION, hook=open_checkins_on_entering
        )
        # Navigation, to-dos, cycle-page links and the removal guard: implementation/stage.py.
        stage.register()
