"""Self-assessment and manager review: the ratings, comments and cited evidence of an
appraisal's items, from the first draft to the manager's submit.

Every function is keyword-only and runs in one transaction: it locks the appraisal
(``workflow.lock_for_update``), checks the actor (appraisal/policies.py), the cycle's
phase, the status move (``Appraisal.TRANSITIONS``) and the version the form was rendered
with (``check_version``: the second of two concurrent saves is refused, nothing is
overwritten), writes the items, bumps the version, audits (verbs ``appraisal.*``) and
notifies. Views fetch the appraisal through ``appraisal.selectors.assessment`` first
(outside a user's scope is a 404); the actor checks here are the second line.

Rules decided here:

- Ratings are levels of the appraisal's scale snapshot (``appraisal.scoring``): 5.9, 0
  or 6 on a 1–5 scale are refused, whatever the client sends. A draft may leave items
  unrated; a submit needs every item rated (the peer section is rated by peers, not here).
- Cited evidence is the person's own evidence of *this* participation that the actor may
  read (``implementation.selectors.evidence_visible_to``): nothing else can be cited.
- The person saves drafts (the first moves NOT_STARTED → SELF_ASSESSMENT) and submits
  (→ MANAGER_REVIEW, the reviewer is told); after that the self-assessment is read-only.
- Only this participation's reviewer rates as manager (never HR, never the skip-level).
  At submit: a rating other than the suggested one needs a reason; a rating inside the
  cycle's evidence band (at/below ``evidence_required_at_or_below``, at/above
  ``evidence_required_at_or_above``) needs at least one cited evidence item, cited by
  either side. Submit → CALIBRATION with the proposed (= final, until calibrated) score
  and band from the breakdown (appraisal.selectors.breakdown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal import scoring
from appraisal.models import Appraisal, AppraisalItem, AppraisalStatus, CitedBy, ItemEvidence
from appraisal.policies import APPRAISAL
from appraisal.services.opening import settings_for
from goals.models import SectionKind
from implementation.selectors import evidence_visible_to
from perfcycle.audit import record_event
from perfcycle.models import Cycle
from perfcycle.notifications import notify
from perfcycle.workflow import (
    SYSTEM,
    DomainError,
    check_version,
    lock_for_update,
    require_move,
    save_versioned,
)

S = AppraisalStatus
SELF_EDITABLE = (S.NOT_STARTED, S.SELF_ASSESSMENT)


class AssessmentError(DomainError):
    """The appraisal cannot change as asked (its status or the cycle's phase)."""


def field_name(item, part: str) -> str:
    """The form field of one part of one item ("rating", "comment", "evidence",
    "override_reason"): the services key their errors by it, the forms name fields by it."""
    return f"item_{item.pk}_{part}"


@dataclass
class ItemInput:
    """What a form sends for one item. ``rating``: an int level or None (not rated yet);
    ``evidence``: Evidence ids cited by this side."""

    rating: Any = None
    comment: str = ""
    evidence: list[int] = field(default_factory=list)
    override_reason: str = ""


# --- Shared checks ------------------------------------------------------------------------


def rated_items(appraisal: Appraisal):
    """The items people rate here: all but the peer section's (peers rate those)."""
    return (
        AppraisalItem.objects.filter(appraisal=appraisal)
        .exclude(section=SectionKind.PEER)
        .order_by("position", "pk")
    )


def _lock(appraisal: Appraisal) -> Appraisal:
    return lock_for_update(Appraisal.objects.with_people(), appraisal.pk)


def _require_appraisal_phase(appraisal: Appraisal) -> None:
    cycle = appraisal.participation.cycle
    if cycle.phase != Cycle.Phase.APPRAISAL:
        raise AssessmentError(
            _(
                "%(cycle)s is in its %(phase)s phase: ratings are given only while the "
                "cycle is in its appraisal phase."
            )
            % {"cycle": cycle.name, "phase": cycle.get_phase_display()}
        )


def _require(actor, action: str, appraisal: Appraisal) -> None:
    if not APPRAISAL.may(actor, action, appraisal.participation):
        raise PermissionDenied


def scale_of(appraisal: Appraisal) -> scoring.Scale:
    return scoring.Scale.of(appraisal.scale_levels)


def _check_rating(value, scale: scoring.Scale, item, errors: dict) -> int | None:
    if value is None or value == "":
        return None
    try:
        return scoring.validate_rating(value, scale)
    except ValidationError as error:
        errors[field_name(item, "rating")] = error.messages
        return None


def _allowed_evidence(actor, appraisal: Appraisal) -> set[int]:
    """The evidence ids the actor may cite on this appraisal: the person's evidence of
    this participation, as the actor may read it."""
    return set(
        evidence_visible_to(actor)
        .filter(participation_id=appraisal.participation_id)
        .values_list("pk", flat=True)
    )


def _clean(
    actor, appraisal: Appraisal, items: list[AppraisalItem], data: Mapping[int, ItemInput]
) -> dict[int, tuple[int | None, str, set[int], str]]:
    """Each item's (rating, comment, evidence ids, override reason) after the shape
    rules (levels of the scale, evidence of this participation); errors at the field."""
    scale = scale_of(appraisal)
    allowed = _allowed_evidence(actor, appraisal)
    errors: dict[str, list] = {}
    cleaned = {}
    known = {item.pk for item in items}
    unknown = set(data) - known
    if unknown:
        raise AssessmentError(_("The form names an item that is not part of this appraisal."))
    for item in items:
        given = data.get(item.pk, ItemInput())
        rating = _check_rating(given.rating, scale, item, errors)
        cited = set()
        for raw in given.evidence or []:
            try:
                pk = int(raw)
            except (TypeError, ValueError):
                pk = None
            if pk not in allowed:
                errors[field_name(item, "evidence")] = [
                    _("Cite only evidence from %(name)s's own log in this cycle.")
                    % {"name": appraisal.participation.employee.full_name}
                ]
                break
            cited.add(pk)
        cleaned[item.pk] = (
            rating,
            (given.comment or "").strip(),
            cited,
            (given.override_reason or "").strip(),
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _write_citations(items, cleaned, *, side: str) -> None:
    """Make each item's citations by ``side`` exactly the cleaned set."""
    current: dict[int, set[int]] = {item.pk: set() for item in items}
    for item_id, evidence_id in ItemEvidence.objects.filter(
        item__in=[i.pk for i in items], cited_by=side
    ).values_list("item_id", "evidence_id"):
        current[item_id].add(evidence_id)
    gone = []
    new = []
    for item in items:
        wanted = cleaned[item.pk][2]
        gone.extend((item.pk, e) for e in current[item.pk] - wanted)
        new.extend(
            ItemEvidence(item=item, evidence_id=e, cited_by=side)
            for e in sorted(wanted - current[item.pk])
        )
    for item_id, evidence_id in gone:
        ItemEvidence.objects.filter(
            item_id=item_id, evidence_id=evidence_id, cited_by=side
        ).delete()
    ItemEvidence.objects.bulk_create(new)


def _summary(items, prefix: str) -> str:
    """The ratings as the audit log shows them: "Ship the roadmap: 4; Mentor: —"."""
    return "; ".join(f"{item.title}: {getattr(item, f'{prefix}_rating') or '—'}" for item in items)


def _save_appraisal(appraisal: Appraisal, fields: list[str]) -> None:
    """Bump the version (other open forms become stale) and updated_at."""
    save_versioned(appraisal, fields)


# --- Self-assessment ------------------------------------------------------------------------


def _require_self_editable(appraisal: Appraisal) -> None:
    if appraisal.status not in SELF_EDITABLE:
        if appraisal.self_locked_at_deadline:
            message = _(
                "Your self-assessment was locked as it was at the appraisal deadline, so it "
                "can no longer be changed."
            )
        else:
            message = _("Your self-assessment has been submitted, so it can no longer be changed.")
        raise AssessmentError(message)


def _save_side(*, actor, appraisal, data, expected_version, side: str):
    """Lock, check and write one side's ratings, comments (override reasons) and
    citations: "self" (the person) or "manager" (the reviewer). Returns the locked
    appraisal, its items and the ratings before, for the audit record."""
    appraisal = _lock(appraisal)
    _require(actor, "self_assess" if side == "self" else "review", appraisal)
    _require_appraisal_phase(appraisal)
    (_require_self_editable if side == "self" else _require_review_open)(appraisal)
    check_version(appraisal, expected_version, noun=_("appraisal"))
    items = list(rated_items(appraisal))
    cleaned = _clean(actor, appraisal, items, data)
    before = _summary(items, side)
    fields = [f"{side}_rating", f"{side}_comment"]
    if side == "manager":
        fields.append("override_reason")
    for item in items:
        rating, comment, _cited, reason = cleaned[item.pk]
        setattr(item, f"{side}_rating", rating)
        setattr(item, f"{side}_comment", comment)
        if side == "manager":
            item.override_reason = reason
    AppraisalItem.objects.bulk_update(items, fields)
    _write_citations(items, cleaned, side=CitedBy.SELF if side == "self" else CitedBy.MANAGER)
    return appraisal, items, before


def _self_save(*, actor, appraisal, data, expected_version):
    appraisal, items, before = _save_side(
        actor=actor,
        appraisal=appraisal,
        data=data,
        expected_version=expected_version,
        side="self",
    )
    fields = []
    if appraisal.status == S.NOT_STARTED:
        require_move(appraisal, S.SELF_ASSESSMENT, error=AssessmentError)
        appraisal.status = S.SELF_ASSESSMENT
        fields.append("status")
    return appraisal, items, before, fields


def save_self_assessment(
    *, actor, appraisal: Appraisal, data: Mapping[int, ItemInput], expected_version
) -> Appraisal:
    """Save the person's ratings, comments and citations as a draft (items may stay
    unrated). The first save starts the self-assessment."""
    with transaction.atomic():
        appraisal, items, before, fields = _self_save(
            actor=actor, appraisal=appraisal, data=data, expected_version=expected_version
        )
        _save_appraisal(appraisal, fields)
        record_event(
            actor=actor,
            verb="appraisal.self_draft_saved",
            obj=appraisal,
            before={"ratings": before},
            after={"ratings": _summary(items, "self"), "status": appraisal.status},
        )
    return appraisal


def _missing(items, prefix: str) -> dict[str, list]:
    return {
        field_name(item, "rating"): [_("Rate this item before you submit.")]
        for item in items
        if getattr(item, f"{prefix}_rating") is None
    }


def submit_self_assessment(
    *, actor, appraisal: Appraisal, data: Mapping[int, ItemInput], expected_version
) -> Appraisal:
    """Save and submit the self-assessment: every item rated; then it is locked and the
    reviewer is told (→ MANAGER_REVIEW)."""
    with transaction.atomic():
        appraisal, items, before, fields = _self_save(
            actor=actor, appraisal=appraisal, data=data, expected_version=expected_version
        )
        missing = _missing(items, "self")
        if missing:
            raise ValidationError(missing)
        require_move(appraisal, S.MANAGER_REVIEW, error=AssessmentError)
        appraisal.status = S.MANAGER_REVIEW
        appraisal.self_submitted_at = timezone.now()
        _save_appraisal(appraisal, [*fields, "status", "self_submitted_at"])
        record_event(
            actor=actor,
            verb="appraisal.self_submitted",
            obj=appraisal,
            before={"ratings": before},
            after={"ratings": _summary(items, "self"), "status": appraisal.status},
        )
        reviewer = appraisal.reviewer
        if reviewer is not None:
            notify(
                recipient=reviewer.user,
                title=_("%(name)s submitted their self-assessment")
                % {"name": appraisal.participation.employee.full_name},
                body=_("Their appraisal is ready for your review."),
                url=appraisal.get_absolute_url(),
            )
    return appraisal


# --- Manager review ------------------------------------------------------------------------


def _require_review_open(appraisal: Appraisal) -> None:
    if appraisal.status == S.MANAGER_REVIEW:
        return
    if appraisal.status in SELF_EDITABLE:
        message = _(
            "The self-assessment has not been submitted yet, so the manager's review cannot start."
        )
    else:
        message = _("The manager's review has been submitted, so it can no longer be changed.")
    raise AssessmentError(message)


def _manager_save(*, actor, appraisal, data, expected_version):
    return _save_side(
        actor=actor,
        appraisal=appraisal,
        data=data,
        expected_version=expected_version,
        side="manager",
    )


def save_manager_review(
    *, actor, appraisal: Appraisal, data: Mapping[int, ItemInput], expected_version
) -> Appraisal:
    """Save the reviewer's ratings, comments, override reasons and citations as a draft."""
    with transaction.atomic():
        appraisal, items, before = _manager_save(
            actor=actor, appraisal=appraisal, data=data, expected_version=expected_version
        )
        _save_appraisal(appraisal, [])
        record_event(
            actor=actor,
            verb="appraisal.review_draft_saved",
            obj=appraisal,
            before={"ratings": before},
            after={"ratings": _summary(items, "manager")},
        )
    return appraisal


def evidence_required(rating: int | None, settings) -> bool:
    """Whether a rating falls in the cycle's band that must cite evidence."""
    if rating is None:
        return False
    low = settings.evidence_required_at_or_below
    high = settings.evidence_required_at_or_above
    return (low is not None and rating <= low) or (high is not None and rating >= high)


def _review_rules(appraisal: Appraisal, items) -> dict[str, list]:
    errors = _missing(items, "manager")
    settings = settings_for(appraisal.participation.cycle)
    cited = set(
        ItemEvidence.objects.filter(item__in=[i.pk for i in items]).values_list(
            "item_id", flat=True
        )
    )
    scale = scale_of(appraisal)
    for item in items:
        rating = item.manager_rating
        if rating is None:
            continue
        if (
            item.suggested_rating is not None
            and rating != item.suggested_rating
            and not item.override_reason
        ):
            suggested = scale.level(item.suggested_rating)
            errors[field_name(item, "override_reason")] = [
                _("Your rating differs from the suggested rating (%(level)s): say why.")
                % {"level": suggested.label if suggested else item.suggested_rating}
            ]
        if evidence_required(rating, settings) and item.pk not in cited:
            errors[field_name(item, "evidence")] = [
                _("A rating of %(rating)s needs at least one cited evidence item.")
                % {"rating": rating}
            ]
    return errors


def submit_manager_review(
    *, actor, appraisal: Appraisal, data: Mapping[int, ItemInput], expected_version
) -> Appraisal:
    """Save and submit the manager's review (→ CALIBRATION): every item rated, reasons
    for overrides, evidence where the band asks for it; sets the proposed score."""
    from appraisal.selectors.breakdown import breakdown_for

    with transaction.atomic():
        appraisal, items, before = _manager_save(
            actor=actor, appraisal=appraisal, data=data, expected_version=expected_version
        )
        errors = _review_rules(appraisal, items)
        if errors:
            raise ValidationError(errors)
        require_move(appraisal, S.CALIBRATION, error=AssessmentError)
        breakdown = breakdown_for(appraisal)
        appraisal.status = S.CALIBRATION
        appraisal.manager_submitted_at = timezone.now()
        appraisal.manager_submitted_by = actor
        appraisal.proposed_score = breakdown.proposed_score
        appraisal.final_score = breakdown.final_score
        appraisal.final_band = breakdown.band.label if breakdown.band else ""
        _save_appraisal(
            appraisal,
            [
                "status",
                "manager_submitted_at",
                "manager_submitted_by",
                "proposed_score",
                "final_score",
                "final_band",
            ],
        )
        record_event(
            actor=actor,
            verb="appraisal.review_submitted",
            obj=appraisal,
            before={"ratings": before},
            after={
                "ratings": _summary(items, "manager"),
                "proposed_score": str(appraisal.proposed_score),
                "band": appraisal.final_band,
            },
        )
        notify(
            recipient=appraisal.participation.employee.user,
            title=_("Your manager has completed your appraisal review"),
            body=_("Your ratings are shared with you once HR has calibrated and released them."),
            url=appraisal.get_absolute_url(),
        )
    return appraisal


def rescore_with_peer_input(appraisal: Appraisal) -> bool:
    """An appraisal already in calibration when a peer answers (by the due date) is scored
    again with the peer input: the proposed score moves, a calibrated final score stays as
    HR set it (scoring keeps the calibrated value). Call inside the transaction that holds
    the appraisal's lock. Returns whether a score changed (audited)."""
    from appraisal.selectors.breakdown import breakdown_for

    if appraisal.status != S.CALIBRATION:
        return False
    breakdown = breakdown_for(appraisal)
    before = {
        "proposed_score": appraisal.proposed_score,
        "final_score": appraisal.final_score,
        "final_band": appraisal.final_band,
    }
    appraisal.proposed_score = breakdown.proposed_score
    appraisal.final_score = breakdown.final_score
    appraisal.final_band = breakdown.band.label if breakdown.band else ""
    after = {
        "proposed_score": appraisal.proposed_score,
        "final_score": appraisal.final_score,
        "final_band": appraisal.final_band,
    }
    if after == before:
        return False
    _save_appraisal(appraisal, list(after))
    record_event(
        actor=SYSTEM,
        verb="appraisal.rescored_with_peer_input",
        obj=appraisal,
        before={k: str(v) if v is not None else None for k, v in before.items()},
        after={k: str(v) if v is not None else None for k, v in after.items()},
    )
    return True
