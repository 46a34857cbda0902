from django.apps import AppConfig


class AppraisalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "appraisal"
    verbose_name = "Appraisal"

    def ready(self):
        from appraisal import stage
        from appraisal.policies import POLICIES, peer_grants
        from appraisal.services.opening import open_appraisals, opening_blockers
        from perfcycle import phases
        from perfcycle.access import register_peer_grants, register_policies
        from perfcycle.models import Cycle

        # Who reads and acts on appraisals, their items and calibration changes.
        register_policies(*POLICIES)
        # A peer asked for 360° input holds the PEER relation on that participation.
        register_peer_grants(peer_grants)
        # One appraisal per participant as soon as the cycle enters appraisal.
        phases.register_phase_hook(entering=Cycle.Phase.APPRAISAL, hook=open_appraisals)
        phases.register_phase_guard(leaving=Cycle.Phase.IMPLEMENTATION, guard=opening_blockers)
        # Navigation, to-dos, health, cycle-page links: appraisal/stage.py.
        stage.register()
