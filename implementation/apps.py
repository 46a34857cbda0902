from django.apps import AppConfig


class ImplementationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "implementation"

    def ready(self):
        # The home pages list this stage's to-dos: check-ins to fill in and review,
        # evidence to verify, deviations that need an action or a follow-up.
        from implementation.selectors.checkins import todos_for
        from implementation.selectors.deviations import deviation_todos
        from implementation.selectors.evidence import evidence_todos
        from implementation.services.checkins import open_checkins_on_entering
        from perfcycle import phases
        from perfcycle.models import Cycle
        from perfcycle.selectors import register_todo_provider

        # The first period's check-ins exist as soon as implementation starts, not at
        # the next nightly run.
        phases.register_phase_hook(
            entering=Cycle.Phase.IMPLEMENTATION, hook=open_checkins_on_entering
        )
        register_todo_provider(todos_for)
        register_todo_provider(evidence_todos)
        register_todo_provider(deviation_todos)
