from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerfcycleConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "perfcycle"

    def ready(self):
        # The core's own entries go through the same registry as every stage's, so the
        # bar's order and its "current page" rule are one (perfcycle/stages.py).
        from perfcycle.stages import (
            OPEN_PHASES,
            Area,
            CycleAction,
            NavEntry,
            Role,
            register_cycle_action,
            register_nav,
        )

        hr = frozenset({Role.HR})
        for entry in (
            NavEntry("my", _("My overview"), "my-home", Area.MY, 10),
            NavEntry("teamhome", _("Team overview"), "team-home", Area.TEAM, 10),
            NavEntry("hr", _("HR overview"), "hr-home", Area.HR, 10),
            NavEntry(
                "cycles",
                _("Cycles"),
                "cycle-list",
                Area.HR,
                20,
                current_on=("cycle-list", "cycle-create", "cycle-detail", "cycle-edit"),
            ),
            NavEntry("people", _("People"), "employee-list", Area.HR, 80),
            NavEntry(
                "import",
                _("Import"),
                "org-import",
                Area.HR,
                90,
                current_on=("org-import", "org-import-detail"),
            ),
            NavEntry("audit", _("Audit log"), "audit-list", Area.HR, 100),
            NavEntry(
                "notifications",
                _("Notifications"),
                "notification-list",
                Area.ACCOUNT,
                10,
                badge="unread_notifications",
            ),
        ):
            register_nav(entry)
        register_cycle_action(
            CycleAction(
                "cycle-edit", _("Edit dates"), "cycle-edit", 90, roles=hr, phases=OPEN_PHASES
            )
        )
