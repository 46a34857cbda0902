"""What implementation adds to the core's pages (registered in implementation/apps.py):
navigation, to-dos, cycle-page links and the removal guard with its cleanup of untouched
check-ins. The core never imports this app."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from implementation.models import (
    CheckIn,
    CheckinAnswer,
    CheckinComment,
    CheckinGoalProgress,
    CheckinStatus,
    Deviation,
    Evidence,
    ProgressUpdate,
)
from perfcycle.audit import record_event
from perfcycle.stages import (
    OPEN_PHASES,
    Area,
    CycleAction,
    NavEntry,
    NavGroup,
    RemovalGuard,
    Role,
    register_cycle_action,
    register_nav,
    register_nav_group,
    register_removal_guard,
    register_todo_provider,
)

STAGE = "implementation"
HR = frozenset({Role.HR})

NAV = (
    NavEntry("checkins", _("Check-ins"), "implementation:my-checkins", Area.MY, 30, stage=STAGE),
    NavEntry("evidence", _("Evidence"), "implementation:evidence-list", Area.MY, 40, stage=STAGE),
    NavEntry(
        "deviations", _("Deviations"), "implementation:my-deviations", Area.MY, 50, stage=STAGE
    ),
    NavEntry(
        "teamcheckins",
        _("Team check-ins"),
        "implementation:team-board",
        Area.TEAM,
        30,
        stage=STAGE,
    ),
    NavEntry(
        "teamdeviations",
        _("Team deviations"),
        "implementation:team-deviations",
        Area.TEAM,
        40,
        stage=STAGE,
    ),
    NavEntry(
        "verify",
        _("Evidence to verify"),
        "implementation:evidence-list",
        Area.TEAM,
        50,
        query="to_verify=1",
        stage=STAGE,
    ),
    NavEntry(
        "participation",
        _("Check-in participation"),
        "implementation:checkin-participation",
        Area.HR,
        10,
        stage=STAGE,
    ),
    NavEntry(
        "alldeviations",
        _("All deviations"),
        "implementation:team-deviations",
        Area.HR,
        20,
        stage=STAGE,
    ),
    NavEntry(
        "allevidence",
        _("All evidence"),
        "implementation:evidence-list",
        Area.HR,
        30,
        stage=STAGE,
    ),
)

CYCLE_ACTIONS = (
    CycleAction(
        "checkin-settings",
        _("Check-in settings"),
        "implementation:checkin-settings",
        40,
        roles=HR,
        phases=OPEN_PHASES,
        stage=STAGE,
    ),
)

# What the person (or their reviewer) wrote into a check-in; without any of it, a
# pending or missed check-in is the system's row, not theirs.
_WRITTEN = (
    ~Q(went_well="")
    | ~Q(blockers="")
    | Q(confidence__isnull=False)
    | Q(submitted_at__isnull=False)
    | Exists(CheckinGoalProgress.objects.filter(checkin=OuterRef("pk")))
    | Exists(CheckinAnswer.objects.filter(checkin=OuterRef("pk")))
    | Exists(CheckinComment.objects.filter(checkin=OuterRef("pk")))
    | Exists(ProgressUpdate.objects.filter(checkin=OuterRef("pk")))
    | Exists(Deviation.objects.filter(agreed_in=OuterRef("pk")))
)
_UNTOUCHED_STATUSES = (CheckinStatus.PENDING, CheckinStatus.MISSED)


def _untouched_checkins(participation):
    return CheckIn.objects.filter(
        participation=participation, status__in=_UNTOUCHED_STATUSES
    ).exclude(_WRITTEN)


def removal_blockers(participation) -> list[str]:
    """Evidence, check-ins someone wrote in and deviations keep a person in the cycle."""
    checkins = CheckIn.objects.filter(participation=participation)
    counts = {
        "evidence": Evidence.objects.filter(participation=participation).count(),
        "submitted": checkins.exclude(status__in=_UNTOUCHED_STATUSES).count(),
        "drafts": checkins.filter(status__in=_UNTOUCHED_STATUSES).filter(_WRITTEN).count(),
        "deviations": Deviation.objects.filter(participation=participation).count(),
    }
    texts = {
        "evidence": lambda n: ngettext(
            "has %(count)s evidence record", "has %(count)s evidence records", n
        ),
        "submitted": lambda n: ngettext(
            "has %(count)s submitted check-in", "has %(count)s submitted check-ins", n
        ),
        "drafts": lambda n: ngettext(
            "has %(count)s check-in filled in but not submitted",
            "has %(count)s check-ins filled in but not submitted",
            n,
        ),
        "deviations": lambda n: ngettext(
            "has %(count)s deviation record", "has %(count)s deviation records", n
        ),
    }
    return [texts[key](n) % {"count": n} for key, n in counts.items() if n]


def remove_untouched_checkins(participation, actor) -> dict:
    """Delete the person's check-ins nobody wrote in (opened by the system), one audit
    record listing them. Runs only once no guard objects to the removal."""
    rows = list(
        _untouched_checkins(participation)
        .order_by("period_start")
        .values("pk", "period_start", "status")
    )
    if not rows:
        return {}
    removed = [
        {"id": r["pk"], "period_start": r["period_start"].isoformat(), "status": r["status"]}
        for r in rows
    ]
    CheckIn.objects.filter(pk__in=[r["pk"] for r in rows]).delete()
    record_event(
        actor=actor,
        verb="checkins.removed_with_participant",
        obj=participation,
        before={"checkins": removed},
    )
    return {"checkins": removed}


def register() -> None:
    from implementation.selectors.checkins import todos_for
    from implementation.selectors.deviations import deviation_todos
    from implementation.selectors.evidence import evidence_todos

    register_nav_group(NavGroup("implementation", _("Implementation"), 30, stage=STAGE))
    for entry in NAV:
        register_nav(entry)
    for action in CYCLE_ACTIONS:
        register_cycle_action(action)
    # The home pages list this stage's to-dos: check-ins to fill in and review,
    # evidence to verify, deviations that need an action or a follow-up.
    register_todo_provider(todos_for)
    register_todo_provider(evidence_todos)
    register_todo_provider(deviation_todos)
    register_removal_guard(
        RemovalGuard(stage=STAGE, guard=removal_blockers, cleanup=remove_untouched_checkins)
    )
    register_audit_sentences()


# --- How implementation's events read in the audit log (perfcycle/audit.py) -------------


def _checkins(ids):
    from perfcycle.audit import Target
    from perfcycle.formatting import format_date_range

    rows = CheckIn.objects.filter(pk__in=ids).select_related("participation__employee__user")
    return {
        str(c.pk): Target(
            format_date_range(c.period_start, c.period_end),
            c.participation.employee.full_name,
            c.get_absolute_url(),
            c.participation.employee.user_id,
        )
        for c in rows
    }


def _evidence(ids):
    from perfcycle.audit import Target

    rows = Evidence.objects.filter(pk__in=ids).select_related("participation__employee__user")
    return {
        str(e.pk): Target(
            f"“{e.title}”",
            e.participation.employee.full_name,
            e.get_absolute_url(),
            e.participation.employee.user_id,
        )
        for e in rows
    }


def _deviations(ids):
    from perfcycle.audit import Target

    rows = Deviation.objects.filter(pk__in=ids).select_related("goal", "owner__user")
    return {
        str(d.pk): Target(
            f"“{d.goal.title}”", d.owner.full_name, d.get_absolute_url(), d.owner.user_id
        )
        for d in rows
    }


def _count(key):
    from perfcycle.formatting import format_number

    return lambda event: {"count": format_number((event.after or {}).get(key) or 0)}


def register_audit_sentences() -> None:
    from perfcycle.audit import ObjectKind, register_sentences

    register_sentences(
        _("Implementation"),
        kinds=[
            ObjectKind("implementation.checkin", _("check-in"), load=_checkins),
            ObjectKind("implementation.evidence", _("evidence"), load=_evidence),
            ObjectKind("implementation.deviation", _("deviation"), load=_deviations),
            ObjectKind("implementation.checkinsettings", _("check-in settings")),
            ObjectKind("implementation.checkinquestion", _("check-in question")),
        ],
        verbs=[
            (
                "checkin.draft_saved",
                _("Check-in draft saved"),
                _("%(actor)s saved a draft of %(whose)s check-in for %(object)s"),
            ),
            (
                "checkin.submitted",
                _("Check-in submitted"),
                _("%(actor)s submitted %(whose)s check-in for %(object)s"),
            ),
            (
                "checkin.replied",
                _("Check-in replied to"),
                _("%(actor)s replied to %(whose)s check-in for %(object)s"),
            ),
            (
                "checkin.reviewed",
                _("Check-in reviewed"),
                _("%(actor)s marked %(whose)s check-in for %(object)s reviewed"),
            ),
            (
                "checkin.follow_up_asked",
                _("Follow-up question asked"),
                _("%(actor)s asked a follow-up question on %(whose)s check-in for %(object)s"),
            ),
            (
                "checkin.commented",
                _("Check-in commented on"),
                _("%(actor)s commented on %(whose)s check-in for %(object)s"),
            ),
            (
                "checkins.opened",
                _("Check-ins opened"),
                _("%(actor)s opened %(count)s check-ins in %(object)s"),
                None,
                _count("count"),
            ),
            (
                "checkins.marked_missed",
                _("Check-ins marked missed"),
                _("%(actor)s marked %(count)s check-ins as missed"),
                None,
                _count("count"),
            ),
            (
                "checkins.removed_with_participant",
                _("Check-ins removed with a participant"),
                _("%(actor)s removed the unstarted check-ins of %(owner)s"),
                _("%(actor)s removed the unstarted check-ins of %(object)s"),
            ),
            (
                "progress.recorded",
                _("Progress recorded"),
                _("%(actor)s recorded progress on %(whose)s goal %(object)s"),
            ),
            (
                "checkin_settings.created",
                _("Check-in settings created"),
                _("%(actor)s set up check-ins: %(object)s"),
            ),
            (
                "checkin_settings.updated",
                _("Check-in settings changed"),
                _("%(actor)s changed the check-in settings: %(object)s"),
            ),
            (
                "checkin_question.added",
                _("Check-in question added"),
                _("%(actor)s added the check-in question %(object)s"),
            ),
            (
                "checkin_question.moved",
                _("Check-in question moved"),
                _("%(actor)s moved the check-in question %(object)s"),
            ),
            (
                "checkin_question.activated",
                _("Check-in question switched on"),
                _("%(actor)s switched on the check-in question %(object)s"),
            ),
            (
                "checkin_question.deactivated",
                _("Check-in question switched off"),
                _("%(actor)s switched off the check-in question %(object)s"),
            ),
            (
                "evidence.created",
                _("Evidence recorded"),
                _("%(actor)s recorded %(whose)s evidence %(object)s"),
            ),
            (
                "evidence.updated",
                _("Evidence edited"),
                _("%(actor)s edited %(whose)s evidence %(object)s"),
            ),
            (
                "evidence.deleted",
                _("Evidence deleted"),
                _("%(actor)s deleted %(whose)s evidence %(object)s"),
                _("%(actor)s deleted the evidence %(object)s"),
            ),
            (
                "evidence.verified",
                _("Evidence verified"),
                _("%(actor)s verified %(whose)s evidence %(object)s"),
            ),
            (
                "evidence.unverified",
                _("Evidence verification withdrawn"),
                _("%(actor)s withdrew the verification of %(whose)s evidence %(object)s"),
            ),
            (
                "deviation.detected",
                _("Deviation detected"),
                _("%(actor)s found %(whose)s goal %(object)s behind plan"),
            ),
            (
                "deviation.action_agreed",
                _("Corrective action agreed"),
                _("%(actor)s agreed a corrective action on %(whose)s goal %(object)s"),
            ),
            (
                "deviation.action_revised",
                _("Corrective action revised"),
                _("%(actor)s revised the corrective action on %(whose)s goal %(object)s"),
            ),
            (
                "deviation.resolved",
                _("Deviation resolved"),
                _("%(actor)s resolved the deviation on %(whose)s goal %(object)s"),
            ),
            (
                "deviation.accepted",
                _("Shortfall accepted"),
                _("%(actor)s accepted the shortfall on %(whose)s goal %(object)s"),
            ),
            (
                "deviation.back_on_track",
                _("Back on track"),
                _("%(actor)s closed the deviation: %(whose)s goal %(object)s is back on track"),
            ),
            (
                "deviations.checked",
                _("Deviations checked"),
                _("%(actor)s checked %(object)s for goals behind plan"),
            ),
        ],
    )
