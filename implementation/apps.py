from django.apps import AppConfig


class ImplementationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "implementation"

    def ready(self):
        # The home pages list check-ins to fill in and to review (see todos_for, which
        # keeps a place for the deviations area's to-dos).
        from implementation.selectors import todos_for
        from perfcycle.selectors import register_todo_provider

        register_todo_provider(todos_for)
