from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "feedback"
    verbose_name = "Feedback"

    def ready(self):
        from feedback import stage
        from feedback.policies import POLICIES
        from perfcycle.access import register_policies

        # Who reads and acts on interviews, answers, disputes, plans and proposals.
        register_policies(*POLICIES)
        # Navigation, to-dos, health, cycle-page links, audit sentences: feedback/stage.py.
        stage.register()
