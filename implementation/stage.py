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
    register_health_provider,
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
        group="team",
        stage=STAGE,
    ),
    NavEntry(
        "teamdeviations",
        _("Team deviations"),
        "implementation:team-deviations",
        Area.TEAM,
        40,
        group="team",
        stage=STAGE,
    ),
    NavEntry(
        "verify",
        _("Evidence to verify"),
        "implementation:evidence-list",
        Area.TEAM,
        50,
        query="to_verify=1",
        group="team",
        stage=STAGE,
    ),
    NavEntry(
        "participation",
        _("Check-in participation"),
        "implementation:checkin-participation",
        Area.HR,
        10,
        group="implementation",
        stage=STAGE,
    ),
    NavEntry(
        "alldeviations",
        _("All deviations"),
        "implementation:team-deviations",
        Area.HR,
        20,
        group="implementation",
        stage=STAGE,
    ),
    NavEntry(
        "allevidence",
        _("All evidence"),
        "implementation:evidence-list",
        Area.HR,
        30,
        group="implementation",
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
    from implementation.selectors.health import implementation_health

    register_nav_group(NavGroup("implementation", _("Implementation"), Area.HR, 40, stage=STAGE))
    for entry in NAV:
        register_nav(entry)
    for action in CYCLE_ACTIONS:
        register_cycle_action(action)
    # The home pages list this stage's to-dos: check-ins to fill in and review,
    # evidence to verify, deviations that need an action or a follow-up.
    register_todo_provider(todos_for)
    register_todo_provider(evidence_todos)
    register_todo_provider(deviation_todos)
    register_health_provider(implementation_health)
    register_removal_guard(
        RemovalGuard(stage=STAGE, guard=removal_blockers, cleanup=remove_untouched_checkins)
    )
