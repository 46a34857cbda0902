"""HR edits a cycle's appraisal rules (AppraisalSettings): the evidence rule, the peer
input's size, due date, anonymity and attribution, the guideline distribution and the
phase's two deadlines. HR only, transactional, versioned, audited with before → after."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisal import scoring
from appraisal.models import AppraisalSettings, PeerReview, PeerStatus
from appraisal.selectors.settings import cycle_levels
from appraisal.services.opening import settings_for
from appraisal.services.peers import ASKED
from perfcycle.audit import changes, record_event, snapshot
from perfcycle.formatting import format_date, format_number
from perfcycle.models import Cycle
from perfcycle.workflow import (
    ConcurrentEditError,
    DomainError,
    check_version,
    lock_for_update,
    require_hr,
    save_versioned,
)

FIELDS = [
    "evidence_required_at_or_below",
    "evidence_required_at_or_above",
    "peer_min",
    "peer_max",
    "peer_deadline",
    "peer_anonymity_threshold",
    "peers_attributed_to_manager",
    "guideline",
    "self_assessment_deadline",
    "review_deadline",
]
LEVEL_FIELDS = ("evidence_required_at_or_below", "evidence_required_at_or_above")
DEADLINE_FIELDS = ("peer_deadline", "self_assessment_deadline", "review_deadline")
FEWEST_ANSWERS = 3


class SettingsError(DomainError):
    pass


def guideline_bands(levels: list[dict]) -> tuple[scoring.Band, ...]:
    """The bands the guideline gives a % to, lowest first (none without a scale)."""
    return scoring.bands(scoring.Scale.of(levels)) if levels else ()


def settings_problems(cycle: Cycle, levels: list[dict], data: dict[str, Any]) -> dict[str, str]:
    """Why ``data`` cannot be the cycle's rules, by field (empty when it can)."""
    problems: dict[str, str] = {}
    values = {level["value"] for level in levels}
    for field in LEVEL_FIELDS:
        if data[field] is not None and data[field] not in values:
            problems[field] = _("Choose one of the levels of the cycle's rating scale.")
    low, high = data["evidence_required_at_or_below"], data["evidence_required_at_or_above"]
    if low is not None and high is not None and low >= high and not problems:
        problems["evidence_required_at_or_above"] = _(
            "Choose a level above the one evidence is required at or below."
        )
    if data["peer_min"] > data["peer_max"]:
        problems["peer_max"] = _("Must be at least the fewest peers (%(min)s).") % {
            "min": data["peer_min"]
        }
    if data["peer_anonymity_threshold"] < FEWEST_ANSWERS:
        problems["peer_anonymity_threshold"] = _(
            "At least %(n)s answers, so that nobody can be singled out."
        ) % {"n": FEWEST_ANSWERS}
    first, last = cycle.implementation_deadline, cycle.appraisal_deadline
    for field in DEADLINE_FIELDS:
        day = data[field]
        if day is not None and not (first < day <= last):
            problems[field] = _(
                "Choose a day in the appraisal phase, after %(start)s and by %(end)s."
            ) % {"start": format_date(first), "end": format_date(last)}
    if not {"self_assessment_deadline", "review_deadline"} & problems.keys():
        self_due = data["self_assessment_deadline"] or last
        review_due = data["review_deadline"] or last
        if self_due > review_due:
            problems["self_assessment_deadline"] = _(
                "Self-assessments would be due after the manager reviews (%(review)s): "
                "choose a day on or before it."
            ) % {"review": format_date(review_due)}
    if levels:
        bands = guideline_bands(levels)
        problem = scoring.guideline_problem(data["guideline"], bands)
        if problem and len(data["guideline"]) == len(bands):
            total = sum((Decimal(str(value)) for value in data["guideline"]), Decimal(0))
            problem = _("%(problem)s These total %(total)s.") % {
                "problem": problem,
                "total": format_number(total),
            }
        if problem:
            problems["guideline"] = problem
    return problems


def peer_limit_problems(cycle: Cycle, settings: AppraisalSettings, data) -> dict[str, str]:
    """Why a changed fewest/most peers conflicts with the nominations the cycle already
    has (empty when it does not; an unchanged limit is never refused). A new rule never
    withdraws a nomination, so:

    - the most peers cannot go below a list already nominated (waiting for the manager)
      or approved — asked or not;
    - the fewest cannot go above a list of peers already asked: that list is final.

    A higher fewest is otherwise fine: lists not asked yet need that many approved
    before the manager asks (the form's help text says so). One query."""
    new_min, new_max = data["peer_min"], data["peer_max"]
    raising_min = new_min > settings.peer_min
    lowering_max = new_max < settings.peer_max
    if not (raising_min or lowering_max):
        return {}
    lists = (
        PeerReview.objects.filter(appraisal__participation__cycle=cycle)
        .exclude(status=PeerStatus.DECLINED)
        .order_by()
        .values("appraisal_id")
        .annotate(peers=Count("pk"), asked=Count("pk", filter=ASKED))
    )
    problems: dict[str, str] = {}
    if lowering_max:
        over = [row["peers"] for row in lists.filter(peers__gt=new_max)]
        if over:
            problems["peer_max"] = ngettext(
                "%(count)s person already has up to %(most)s peers nominated or approved, more "
                "than %(max)s: choose at least %(most)s (a new maximum withdraws no "
                "nomination).",
                "%(count)s people already have up to %(most)s peers nominated or approved, "
                "more than %(max)s: choose at least %(most)s (a new maximum withdraws no "
                "nomination).",
                len(over),
            ) % {"count": len(over), "most": max(over), "max": new_max}
    if raising_min:
        short = [row["asked"] for row in lists.filter(asked__gt=0, asked__lt=new_min)]
        if short:
            problems["peer_min"] = ngettext(
                "The peers of %(count)s person were already asked, %(fewest)s of them, and a "
                "list of peers is final once asked: choose at most %(fewest)s.",
                "The peers of %(count)s people were already asked, as few as %(fewest)s, and "
                "a list of peers is final once asked: choose at most %(fewest)s.",
                len(short),
            ) % {"count": len(short), "fewest": min(short)}
    return problems


def update_settings(
    *, actor, cycle: Cycle, data: dict[str, Any], expected_version
) -> AppraisalSettings:
    """HR sets the cycle's appraisal rules to ``data`` (every field of FIELDS; without a
    rating scale the guideline is kept as it is). A stale ``expected_version`` changes
    nothing (ConcurrentEditError)."""
    require_hr(actor)
    if not cycle.is_open:
        raise SettingsError(_("The cycle is closed: its appraisal rules can no longer change."))
    levels = cycle_levels(cycle)
    data = {**data}
    with transaction.atomic():
        settings = lock_for_update(AppraisalSettings, settings_for(cycle).pk)
        try:
            check_version(settings, expected_version)
        except ConcurrentEditError:
            raise ConcurrentEditError(
                _(
                    "Someone else changed these settings while you were editing. Reload the "
                    "page to see their values, then make your change again."
                )
            ) from None
        if not levels:
            data["guideline"] = settings.guideline
        problems = settings_problems(cycle, levels, data)
        if "peer_max" not in problems:
            problems = {**peer_limit_problems(cycle, settings, data), **problems}
        if problems:
            raise SettingsError(problems)
        before = snapshot(settings, FIELDS)
        for field in FIELDS:
            setattr(settings, field, data[field])
        before, after = changes(before, snapshot(settings, FIELDS))
        if after:
            save_versioned(settings, FIELDS)
            record_event(
                actor=actor,
                verb="appraisal.settings_changed",
                obj=settings,
                before=before,
                after=after,
            )
    return settings
