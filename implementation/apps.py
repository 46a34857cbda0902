from django.apps import AppConfig


class ImplementationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "implementation"
