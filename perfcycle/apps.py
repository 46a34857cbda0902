from django.apps import AppConfig
from django.utils.autoreload import file_changed
from django.utils.translation import gettext_lazy as _


def forget_rendered_navigation(sender, file_path, **kwargs):
    """Under the development server a template edit is picked up without a restart
    (Django resets its template loaders): the bar rendered from the old one goes too."""
    if file_path.suffix == ".html":
        from perfcycle.stages import registry

        registry.clear_rendered()


class PerfcycleConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "perfcycle"

    def ready(self):
        file_changed.connect(forget_rendered_navigation, dispatch_uid="perfcycle-navigation")
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
        register_audit_sentences()
        register_cycle_action(
            CycleAction(
                "cycle-edit", _("Edit dates"), "cycle-edit", 90, roles=hr, phases=OPEN_PHASES
            )
        )


def _people(ids):
    from django.contrib.auth import get_user_model

    from perfcycle.audit import Target

    users = get_user_model().objects.filter(pk__in=ids).only("first_name", "last_name", "username")
    return {str(u.pk): Target(u.get_full_name() or u.username) for u in users}


def _employees(ids):
    from perfcycle.audit import Target
    from perfcycle.models import Employee

    rows = Employee.objects.filter(pk__in=ids).select_related("user")
    return {str(e.pk): Target(e.full_name, e.full_name) for e in rows}


def _participations(ids):
    from perfcycle.audit import Target
    from perfcycle.models import Participation

    rows = Participation.objects.filter(pk__in=ids).select_related("employee__user", "cycle")
    return {
        str(p.pk): Target(
            _("%(name)s in %(cycle)s") % {"name": p.employee.full_name, "cycle": p.cycle.name},
            p.employee.full_name,
        )
        for p in rows
    }


def _phase_words(event) -> dict:
    from perfcycle.models import Cycle

    phase = (event.after or {}).get("phase", "")
    labels = dict(Cycle.Phase.choices)
    return {"phase": str(labels.get(phase, phase)).lower()}


def register_audit_sentences() -> None:
    """The core's audit sentences (the stages add theirs in their stage.py)."""
    from django.urls import reverse

    from perfcycle.audit import ObjectKind, register_sentences

    register_sentences(
        _("Cycles and people"),
        kinds=[
            ObjectKind("auth.user", _("person"), load=_people),
            ObjectKind("perfcycle.employee", _("person"), load=_employees),
            ObjectKind(
                "perfcycle.cycle", _("cycle"), url=lambda pk: reverse("cycle-detail", args=[pk])
            ),
            ObjectKind("perfcycle.participation", _("participant"), load=_participations),
            ObjectKind(
                "perfcycle.orgimport",
                _("organisation import"),
                url=lambda pk: reverse("org-import-detail", args=[pk]),
            ),
            ObjectKind("perfcycle.notification", _("notification")),
        ],
        verbs=[
            ("cycle.created", _("Cycle created"), _("%(actor)s created the cycle %(object)s")),
            ("cycle.updated", _("Cycle dates changed"), _("%(actor)s changed %(object)s")),
            (
                "cycle.enrolled",
                _("People enrolled"),
                _("%(actor)s enrolled people in %(object)s"),
            ),
            (
                "cycle.phase_changed",
                _("Phase changed"),
                _("%(actor)s moved %(object)s to the %(phase)s phase"),
                None,
                _phase_words,
            ),
            (
                "cycle.advance_blocked",
                _("Phase change blocked"),
                _("%(actor)s could not move %(object)s on: something blocks it"),
            ),
            (
                "cycle.advance_failed",
                _("Phase change failed"),
                _("%(actor)s failed to move %(object)s on"),
            ),
            (
                "participation.reviewer_changed",
                _("Reviewer changed"),
                _("%(actor)s changed the reviewer of %(object)s"),
            ),
            (
                "org_import.validated",
                _("Organisation file checked"),
                _("%(actor)s uploaded and checked %(object)s"),
            ),
            (
                "org_import.applied",
                _("Organisation file applied"),
                _("%(actor)s applied %(object)s"),
            ),
            (
                "org_import.discarded",
                _("Organisation file discarded"),
                _("%(actor)s discarded %(object)s"),
            ),
            (
                "employee.created",
                _("Person added"),
                _("%(actor)s added %(object)s to the organisation"),
            ),
            ("employee.updated", _("Person changed"), _("%(actor)s updated %(object)s")),
            ("hr.granted", _("HR access granted"), _("%(actor)s gave %(object)s HR access")),
            (
                "notification.email_retried",
                _("Email sent again"),
                _("%(actor)s sent an undelivered email again"),
            ),
            (
                "reminders.sent",
                _("Reminders sent"),
                _("%(actor)s sent reminders: %(object)s"),
            ),
        ],
    )
