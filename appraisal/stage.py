"""What appraisal adds to the core's pages (registered in appraisal/apps.py): navigation,
to-dos, health, cycle-page links, removal guard and audit sentences. The core never
imports this app.

Each part of the stage keeps its entries in its own tuple below (assessment, peers,
calibration and close), so they read apart."""

from django.utils.translation import gettext_lazy as _

from perfcycle.models import Cycle
from perfcycle.stages import (
    Area,
    CycleAction,
    NavEntry,
    NavGroup,
    Role,
    register_cycle_action,
    register_health_provider,
    register_nav,
    register_nav_group,
    register_todo_provider,
)

STAGE = "appraisal"

# Self-assessment, manager review, breakdown (employee and manager pages).
ASSESSMENT_NAV: tuple = (
    NavEntry(
        "appraisal",
        _("Appraisal"),
        "appraisal:my-appraisal",
        Area.MY,
        10,
        stage=STAGE,
    ),
    NavEntry(
        "teamappraisals",
        _("Team appraisals"),
        "appraisal:team-appraisals",
        Area.TEAM,
        10,
        stage=STAGE,
    ),
)
# Peer (360°) input: nominations, approvals, questionnaires.
PEER_NAV: tuple = (
    NavEntry("peerinput", _("Peer input"), "appraisal:peer-input", Area.MY, 20, stage=STAGE),
    NavEntry(
        "peerasked",
        _("Feedback asked of me"),
        "appraisal:peer-requests",
        Area.MY,
        30,
        stage=STAGE,
        current_on=("appraisal:peer-requests", "appraisal:peer-questionnaire"),
    ),
    NavEntry(
        "peerapprovals",
        _("Peer nominations"),
        "appraisal:peer-approvals",
        Area.TEAM,
        20,
        stage=STAGE,
    ),
    NavEntry(
        "allpeerapprovals",
        _("Peer nominations"),
        "appraisal:peer-approvals",
        Area.HR,
        20,
        stage=STAGE,
    ),
)
# HR's sub-navigation on the stage's HR pages (appraisal/hr_nav.html): key, label, URL
# name, and the views each link is the current page on (as NavEntry.current_on).
PROGRESS_PAGES = ("appraisal:hr-progress", "appraisal:hr-appraisals")
CALIBRATION_PAGES = (
    "appraisal:calibration-board",
    "appraisal:calibration-start",
    "appraisal:calibration-adjust",
)
HR_SUBNAV: tuple = (
    ("progress", _("Progress"), "appraisal:hr-progress", PROGRESS_PAGES),
    ("calibration", _("Calibration"), "appraisal:calibration-board", CALIBRATION_PAGES),
    ("overdue", _("Overdue"), "appraisal:hr-overdue", ("appraisal:hr-overdue",)),
    ("release", _("Release"), "appraisal:hr-release", ("appraisal:hr-release",)),
    ("rules", _("Rules"), "appraisal:appraisal-settings", ("appraisal:appraisal-settings",)),
)
# HR: progress, calibration, overdue, release, close.
CALIBRATION_NAV: tuple = (
    NavEntry(
        "appraisalprogress",
        _("Appraisal progress"),
        "appraisal:hr-progress",
        Area.HR,
        10,
        stage=STAGE,
        current_on=PROGRESS_PAGES,
    ),
    NavEntry(
        "calibration",
        _("Calibration"),
        "appraisal:calibration-board",
        Area.HR,
        20,
        stage=STAGE,
        current_on=CALIBRATION_PAGES,
    ),
    NavEntry(
        "appraisaloverdue",
        _("Overdue appraisals"),
        "appraisal:hr-overdue",
        Area.HR,
        30,
        stage=STAGE,
    ),
    NavEntry(
        "appraisalrelease", _("Release ratings"), "appraisal:hr-release", Area.HR, 40, stage=STAGE
    ),
)

# The cycle's appraisal rules (HR), on the cycle page until the appraisal is under way.
SETTINGS_ACTIONS: tuple = (
    CycleAction(
        "appraisal-settings",
        _("Appraisal rules"),
        "appraisal:appraisal-settings",
        45,
        roles=frozenset({Role.HR}),
        phases=frozenset({Cycle.Phase.PLANNING, Cycle.Phase.IMPLEMENTATION, Cycle.Phase.APPRAISAL}),
        stage=STAGE,
    ),
)


def register() -> None:
    register_nav_group(NavGroup("appraisal", _("Appraisal"), 40, stage=STAGE))
    for entry in (*ASSESSMENT_NAV, *PEER_NAV, *CALIBRATION_NAV):
        register_nav(entry)
    # Assessment (self-assessment, manager review, breakdown): to-dos, the removal guard
    # and the audit sentences of its verbs.
    register_assessment()
    # Calibration and close (lane calib): HR home's appraisal completion, audit sentences.
    from appraisal.selectors.hr import appraisal_health

    register_health_provider(appraisal_health)
    register_calibration_sentences()
    # Peer (360°) input: to-dos and the audit sentences of its verbs.
    register_peer_part()
    # The cycle's appraisal rules: the cycle-page link and the audit sentence.
    register_settings_part()


# --- Assessment: self-assessment, manager review, breakdown -----------------------------------


def _remove_unrated_appraisal(participation, actor) -> dict:
    """Delete the person's appraisal nobody rated (opened by the system), once no guard
    objects to the removal."""
    from appraisal.models import Appraisal, AppraisalItem, ItemEvidence
    from perfcycle.audit import record_event

    appraisal = Appraisal.objects.filter(participation=participation).first()
    if appraisal is None:
        return {}
    ItemEvidence.objects.filter(item__appraisal=appraisal).delete()
    AppraisalItem.objects.filter(appraisal=appraisal).delete()
    removed = {"appraisal": appraisal.pk, "status": appraisal.status}
    appraisal.delete()
    record_event(
        actor=actor,
        verb="appraisal.removed_with_participant",
        obj=participation,
        before=removed,
    )
    return removed


def _appraisals(ids):
    from appraisal.models import Appraisal
    from perfcycle.audit import Target

    rows = Appraisal.objects.filter(pk__in=ids).select_related(
        "participation__employee__user", "participation__cycle"
    )
    return {
        str(a.pk): Target(
            a.participation.cycle.name,
            a.participation.employee.full_name,
            a.get_absolute_url(),
            a.participation.employee.user_id,
        )
        for a in rows
    }


def register_assessment() -> None:
    from appraisal.selectors.assessment import assessment_todos, removal_blockers
    from perfcycle.audit import ObjectKind, register_sentences
    from perfcycle.stages import RemovalGuard, register_removal_guard, register_todo_provider

    register_todo_provider(assessment_todos)
    register_removal_guard(
        RemovalGuard(stage=STAGE, guard=removal_blockers, cleanup=_remove_unrated_appraisal)
    )
    register_sentences(
        _("Appraisal"),
        kinds=[ObjectKind("appraisal.appraisal", _("appraisal"), load=_appraisals)],
        verbs=[
            (
                "appraisal.self_draft_saved",
                _("Self-assessment draft saved"),
                _("%(actor)s saved a draft of %(whose)s self-assessment in %(object)s"),
            ),
            (
                "appraisal.self_submitted",
                _("Self-assessment submitted"),
                _("%(actor)s submitted %(whose)s self-assessment in %(object)s"),
            ),
            (
                "appraisal.review_draft_saved",
                _("Manager review draft saved"),
                _("%(actor)s saved a draft review of %(whose)s appraisal in %(object)s"),
            ),
            (
                "appraisal.review_submitted",
                _("Manager review submitted"),
                _("%(actor)s submitted the review of %(whose)s appraisal in %(object)s"),
            ),
            (
                "appraisal.rescored_with_peer_input",
                _("Score updated with peer input"),
                _("%(actor)s scored %(whose)s appraisal again with the peer input that came in"),
            ),
            (
                "appraisal.removed_with_participant",
                _("Appraisal removed with a participant"),
                _("%(actor)s removed the unrated appraisal of %(owner)s"),
                _("%(actor)s removed the unrated appraisal of %(object)s"),
            ),
        ],
    )


# --- Calibration and close: how their events read in the audit log ------------------------


def _count(key):
    from perfcycle.formatting import format_number

    return lambda event: {"count": format_number((event.after or {}).get(key) or 0)}


def register_calibration_sentences() -> None:
    from perfcycle.audit import ObjectKind, register_sentences

    register_sentences(
        _("Appraisal"),
        kinds=[ObjectKind("appraisal.calibrationsession", _("calibration session"))],
        verbs=[
            (
                "appraisal.calibrated",
                _("Score calibrated"),
                _("%(actor)s changed the score of %(whose)s appraisal in calibration"),
                _("%(actor)s changed a score in calibration"),
            ),
            (
                "appraisal.finalized",
                _("Appraisal finalised"),
                _("%(actor)s finalised %(whose)s appraisal"),
                _("%(actor)s finalised an appraisal"),
            ),
            (
                "appraisal.refinalized",
                _("Appraisal finalised again"),
                _("%(actor)s finalised %(whose)s reopened appraisal again"),
                _("%(actor)s finalised a reopened appraisal again"),
            ),
            (
                "appraisal.reopened",
                _("Appraisal reopened"),
                _("%(actor)s reopened %(whose)s appraisal"),
                _("%(actor)s reopened an appraisal"),
            ),
            (
                "appraisal.released",
                _("Rating released"),
                _("%(actor)s released %(whose)s rating"),
                _("%(actor)s released a rating"),
            ),
            (
                "appraisal.self_locked",
                _("Self-assessment locked at its deadline"),
                _("%(actor)s locked %(whose)s self-assessment at its deadline"),
                _("%(actor)s locked a self-assessment at its deadline"),
            ),
            (
                "appraisal.nudged",
                _("Overdue appraisal nudged"),
                _("%(actor)s nudged about %(whose)s overdue appraisal"),
                _("%(actor)s nudged about an overdue appraisal"),
            ),
            (
                "appraisals.finalized",
                _("Appraisals finalised at close"),
                _("%(actor)s finalised the appraisals of %(object)s"),
            ),
            (
                "appraisals.released",
                _("Ratings released"),
                _("%(actor)s released %(count)s ratings of %(object)s"),
                None,
                _count("count"),
            ),
            (
                "appraisals.reviews_escalated",
                _("Overdue reviews escalated"),
                _("%(actor)s told HR of %(count)s overdue reviews in %(object)s"),
                None,
                _count("count"),
            ),
            (
                "calibration.session_opened",
                _("Calibration started"),
                _("%(actor)s started %(object)s"),
            ),
            (
                "calibration.session_locked",
                _("Calibration locked"),
                _("%(actor)s locked %(object)s"),
            ),
            (
                "calibration.session_unlocked",
                _("Calibration unlocked"),
                _("%(actor)s unlocked %(object)s"),
            ),
        ],
    )


# --- Peer (360°) input: to-dos and audit sentences --------------------------------------------


def _peer_reviews(ids):
    from appraisal.models import PeerReview
    from perfcycle.audit import Target

    rows = PeerReview.objects.filter(pk__in=ids).select_related(
        "appraisal__participation__employee__user", "appraisal__participation__cycle"
    )
    return {
        str(r.pk): Target(
            _("peer input for %(cycle)s") % {"cycle": r.appraisal.participation.cycle.name},
            r.appraisal.participation.employee.full_name,
            "",
            r.appraisal.participation.employee.user_id,
        )
        for r in rows
    }


def register_peer_part() -> None:
    from appraisal.selectors.peer_input import peer_todos
    from perfcycle.audit import ObjectKind, register_sentences

    # Nominate peers; approve nominations; answer a questionnaire, by its due date.
    register_todo_provider(peer_todos)
    register_sentences(
        _("Appraisal"),
        kinds=[ObjectKind("appraisal.peerreview", _("peer input"), load=_peer_reviews)],
        verbs=[
            (
                "appraisal.peers_nominated",
                _("Peers nominated"),
                _(
                    "%(actor)s nominated %(count)s colleagues for peer input on %(whose)s "
                    "appraisal in %(object)s"
                ),
                None,
                _count("count"),
            ),
            (
                "appraisal.peer_approved",
                _("Peer nomination approved"),
                _("%(actor)s approved a nomination for %(whose)s %(object)s"),
            ),
            (
                "appraisal.peer_declined",
                _("Peer nomination declined"),
                _("%(actor)s declined a nomination for %(whose)s %(object)s"),
            ),
            (
                "appraisal.peers_asked",
                _("Peers asked"),
                _("%(actor)s asked %(count)s peers for input on %(whose)s appraisal in %(object)s"),
                None,
                _count("count"),
            ),
            (
                "appraisal.peer_answered",
                _("Peer input given"),
                _("%(actor)s gave %(whose)s %(object)s"),
            ),
            (
                "appraisal.peer_reminders_sent",
                _("Peer input reminders sent"),
                _("%(actor)s reminded %(count)s peers of their due date"),
                None,
                _count("sent"),
            ),
            (
                "appraisal.peer_reviews_expired",
                _("Peer questionnaires expired"),
                _("%(actor)s closed %(count)s unanswered peer questionnaires"),
                None,
                _count("count"),
            ),
        ],
    )


# --- The cycle's appraisal rules (HR) ------------------------------------------------------


def _settings_rows(ids):
    from django.urls import reverse

    from appraisal.models import AppraisalSettings
    from perfcycle.audit import Target

    rows = AppraisalSettings.objects.filter(pk__in=ids).select_related("cycle")
    return {
        str(row.pk): Target(
            row.cycle.name,
            "",
            reverse("appraisal:appraisal-settings", args=[row.cycle_id]),
            None,
        )
        for row in rows
    }


def register_settings_part() -> None:
    from perfcycle.audit import ObjectKind, register_sentences

    for action in SETTINGS_ACTIONS:
        register_cycle_action(action)
    register_sentences(
        _("Appraisal"),
        kinds=[
            ObjectKind("appraisal.appraisalsettings", _("appraisal rules"), load=_settings_rows)
        ],
        verbs=[
            (
                "appraisal.settings_changed",
                _("Appraisal rules changed"),
                _("%(actor)s changed the appraisal rules of %(object)s"),
            ),
        ],
    )
