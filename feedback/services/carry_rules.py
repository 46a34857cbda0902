"""HR's configuration of the feedback stage: a cycle's feedback rules (FeedbackSettings)
and the list of root causes interviews choose from. HR only, transactional, versioned
(a stale form changes nothing), audited with before → after.

Root causes are never deleted once an interview or a plan names them: HR retires them
(no longer offered in new interviews; past records keep the name) and may offer them
again. One added by mistake and never used may be removed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from appraisal.selectors.settings import cycle_levels
from feedback.models import FeedbackSettings, RootCause
from feedback.services.settings import settings_for
from perfcycle.audit import changes, record_event, snapshot
from perfcycle.formatting import format_date
from perfcycle.models import Cycle
from perfcycle.workflow import (
    DomainError,
    check_version,
    lock_for_update,
    require_hr,
    save_versioned,
)

SETTINGS_FIELDS = [
    "interviews_due",
    "response_days",
    "dispute_days",
    "qualified_level",
    "plan_required",
]
LIMITS = {"response_days": (1, 60), "dispute_days": (1, 90)}
CAUSE_FIELDS = ["name", "description", "is_active"]


class RulesError(DomainError):
    pass


# --- The cycle's feedback rules ----------------------------------------------------------------


def settings_problems(cycle: Cycle, levels: list[dict], data: dict[str, Any]) -> dict[str, str]:
    """Why ``data`` cannot be the cycle's feedback rules, by field (empty when it can)."""
    problems: dict[str, str] = {}
    due = data.get("interviews_due")
    first, last = cycle.appraisal_deadline, cycle.feedback_deadline
    if due is not None and not (first < due <= last):
        problems["interviews_due"] = _(
            "Choose a day in the feedback phase, after %(start)s and by %(end)s."
        ) % {"start": format_date(first), "end": format_date(last)}
    for name, (low, high) in LIMITS.items():
        value = data.get(name)
        if value is None or not low <= value <= high:
            problems[name] = _("A number of days from %(low)s to %(high)s.") % {
                "low": low,
                "high": high,
            }
    values = {level["value"] for level in levels}
    if levels and data.get("qualified_level") not in values:
        problems["qualified_level"] = _("Choose one of the levels of the cycle's rating scale.")
    return problems


def update_feedback_settings(
    *, actor, cycle: Cycle, data: dict[str, Any], expected_version
) -> FeedbackSettings:
    """HR sets the cycle's feedback rules to ``data`` (every field of SETTINGS_FIELDS).
    Without a rating scale the qualified level is kept as it is."""
    require_hr(actor)
    if not cycle.is_open:
        raise RulesError(_("The cycle is closed: its feedback rules can no longer change."))
    levels = cycle_levels(cycle)
    data = {**data}
    with transaction.atomic():
        settings = lock_for_update(FeedbackSettings, settings_for(cycle).pk)
        check_version(settings, expected_version, noun=_("feedback rules"))
        if not levels:
            data["qualified_level"] = settings.qualified_level
        problems = settings_problems(cycle, levels, data)
        if problems:
            raise RulesError(problems)
        before = snapshot(settings, SETTINGS_FIELDS)
        for name in SETTINGS_FIELDS:
            setattr(settings, name, data[name])
        before, after = changes(before, snapshot(settings, SETTINGS_FIELDS))
        if after:
            save_versioned(settings, SETTINGS_FIELDS)
            record_event(
                actor=actor,
                verb="feedback.settings_changed",
                obj=settings,
                before=before,
                after=after,
            )
    return settings


# --- Root causes ---------------------------------------------------------------------------


def _clean_cause(data: dict[str, Any], *, cause_id: int | None) -> dict[str, str]:
    name = " ".join((data.get("name") or "").split())
    description = " ".join((data.get("description") or "").split())
    if not name:
        raise RulesError({"name": _("Give the cause a name.")})
    taken = (
        RootCause.objects.annotate(lower=Lower("name"))
        .filter(lower=name.lower())
        .exclude(pk=cause_id)
        .first()
    )
    if taken is not None:
        state = _("offered") if taken.is_active else _("retired")
        raise RulesError(
            {
                "name": _("“%(name)s” is already on the list (%(state)s).")
                % {"name": taken.name, "state": state}
            }
        )
    return {"name": name, "description": description}


def add_root_cause(*, actor, data: dict[str, Any]) -> RootCause:
    """HR adds a cause at the end of the list, offered in interviews from now on."""
    require_hr(actor)
    with transaction.atomic():
        # The list's first row serialises concurrent additions (unique names, positions).
        RootCause.objects.select_for_update().order_by("pk").first()
        values = _clean_cause(data, cause_id=None)
        last = RootCause.objects.aggregate(last=Max("position"))["last"]
        cause = RootCause.objects.create(position=(last or 0) + 10, **values)
        record_event(
            actor=actor,
            verb="feedback.root_cause_added",
            obj=cause,
            after=snapshot(cause, CAUSE_FIELDS),
        )
    return cause


def _locked_cause(cause: RootCause, expected_version) -> RootCause:
    cause = lock_for_update(RootCause, cause.pk)
    check_version(cause, expected_version, noun=_("root cause"))
    return cause


def update_root_cause(
    *, actor, cause: RootCause, data: dict[str, Any], expected_version
) -> RootCause:
    """HR renames a cause or rewords its description (past records show the new name)."""
    require_hr(actor)
    with transaction.atomic():
        cause = _locked_cause(cause, expected_version)
        values = _clean_cause(data, cause_id=cause.pk)
        before = snapshot(cause, CAUSE_FIELDS)
        for name, value in values.items():
            setattr(cause, name, value)
        before, after = changes(before, snapshot(cause, CAUSE_FIELDS))
        if after:
            save_versioned(cause, list(values))
            record_event(
                actor=actor,
                verb="feedback.root_cause_changed",
                obj=cause,
                before=before,
                after=after,
            )
    return cause


def set_root_cause_offered(
    *, actor, cause: RootCause, offered: bool, expected_version
) -> RootCause:
    """HR retires a cause (new interviews no longer offer it) or offers it again."""
    require_hr(actor)
    with transaction.atomic():
        cause = _locked_cause(cause, expected_version)
        if cause.is_active == offered:
            raise RulesError(
                _("“%(name)s” is already offered.") % {"name": cause.name}
                if offered
                else _("“%(name)s” is already retired.") % {"name": cause.name}
            )
        cause.is_active = offered
        save_versioned(cause, ["is_active"])
        record_event(
            actor=actor,
            verb="feedback.root_cause_offered" if offered else "feedback.root_cause_retired",
            obj=cause,
            before={"is_active": not offered},
            after={"is_active": offered},
        )
    return cause


def root_cause_uses(cause: RootCause) -> int:
    """How many interviews and plans name the cause."""
    return cause.interviews.count() + cause.plans.count()


def remove_root_cause(*, actor, cause: RootCause, expected_version) -> None:
    """HR removes a cause nobody has used (a mistake); one in use can only be retired."""
    require_hr(actor)
    with transaction.atomic():
        cause = _locked_cause(cause, expected_version)
        uses = root_cause_uses(cause)
        if uses:
            raise RulesError(
                _(
                    "“%(name)s” is named in %(count)s interviews or plans, so it stays on the "
                    "list: retire it instead."
                )
                % {"name": cause.name, "count": uses}
            )
        record_event(
            actor=actor,
            verb="feedback.root_cause_removed",
            obj=cause,
            before=snapshot(cause, CAUSE_FIELDS),
        )
        cause.delete()
