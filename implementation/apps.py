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
        from perfcycle.selectors import register_todo_provider

        register_todo_provider(todos_for)
        register_todo_provider(evidence_todos)
        register_todo_provider(deviation_todos)

        from implementation.policies import POLICIES
        from perfcycle.access import register_policies

        register_policies(*POLICIES)
