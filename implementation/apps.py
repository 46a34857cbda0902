from django.apps import AppConfig


class ImplementationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "implementation"

    def ready(self):
        # Navigation, to-dos, cycle-page links and the removal guard: implementation/stage.py.
        from implementation import stage

        stage.register()
