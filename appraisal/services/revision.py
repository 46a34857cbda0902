"""Changing one manager rating after the result was released: the appraisal's own way for
a later stage (feedback's dispute resolution) to correct a rating, with its history.

``revise_rating`` runs on a finalised, released appraisal only. It writes one
:class:`appraisal.models.RatingRevision` (the item, from → to, why, who, when, the scores
before and after), sets the item's manager rating, scores the appraisal again through the
breakdown (appraisal/selectors/breakdown.py: a calibration change made before keeps its
delta, so HR's judgement relative to the ratings stands), stores the new proposed and final
score and band, and audits ``appraisal.rating_revised``. The caller tells the people (the
dispute's decision is the caller's message).

Who may: HR, or the manager of the participation's reviewer (the four-eyes step up) —
never the appraisee, the reviewer or whoever submitted the manager review, even when they
hold HR: nobody decides on their own rating.

It takes no form version of the appraisal: the caller's decision is versioned (the
dispute), and the appraisal is locked here and scored afresh under the lock, so two
revisions of one appraisal at once apply one after the other.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from appraisal import scoring
from appraisal.models import Appraisal, AppraisalItem, AppraisalStatus, RatingRevision
from appraisal.selectors.breakdown import breakdown_for
from appraisal.services.calibration import band_of
from goals.models import SectionKind
from perfcycle.access import Relation, employee_of, relations_of
from perfcycle.audit import record_event
from perfcycle.workflow import DomainError, lock_for_update, require_actor, save_versioned

REVISERS = Relation.NEXT_UP | Relation.HR


class RevisionError(DomainError):
    pass


def is_rating_author(user, appraisal: Appraisal) -> bool:
    """Whether ``user`` gave (or owns) the manager ratings of ``appraisal``: the
    participation's reviewer, the appraisal's snapshot reviewer, or whoever submitted the
    review."""
    if not getattr(user, "is_authenticated", False):
        return False
    if appraisal.manager_submitted_by_id == user.pk:
        return True
    reviewers = {appraisal.participation.reviewer_id, appraisal.reviewer_id} - {None}
    employee = employee_of(user)
    return employee is not None and employee.pk in reviewers


def may_revise(user, appraisal: Appraisal) -> bool:
    """HR or the reviewer's manager; never the appraisee nor the rating's author."""
    participation = appraisal.participation
    relations = relations_of(user, participation, REVISERS | Relation.SELF)
    if Relation.SELF in relations or is_rating_author(user, appraisal):
        return False
    return bool(relations & REVISERS)


def _score(value) -> str | None:
    return None if value is None else str(value)


def revise_rating(*, actor, item_id: int, rating, reason: str) -> RatingRevision:
    """Change the manager rating of item ``item_id`` to ``rating`` (a level of the
    appraisal's scale) with a written ``reason``; see the module's docstring. Refused at
    the field: no reason, a rating off the scale or the same as now; refused outright: an
    appraisal not finalised and released, the peer section, the wrong person."""
    require_actor(actor)
    reason = (reason or "").strip()
    with transaction.atomic():
        appraisal_id = AppraisalItem.objects.values_list("appraisal_id", flat=True).get(pk=item_id)
        appraisal = lock_for_update(Appraisal.objects.with_people(), appraisal_id)
        if not may_revise(actor, appraisal):
            raise PermissionDenied
        if appraisal.status != AppraisalStatus.FINALIZED or appraisal.released_at is None:
            raise RevisionError(
                _("Only a finalised result that was released can have a rating changed.")
            )
        item = AppraisalItem.objects.select_for_update().get(pk=item_id)
        if item.section == SectionKind.PEER:
            raise RevisionError(_("Peer input is the peers' answers: it cannot be changed."))
        errors: dict[str, list] = {}
        scale = scoring.Scale.of(appraisal.scale_levels)
        new = None
        try:
            new = scoring.validate_rating(rating, scale)
        except DomainError as error:
            errors["rating"] = error.messages
        if new is not None and new == item.manager_rating:
            errors["rating"] = [
                _("The rating is %(rating)s already: choose another level, or uphold it.")
                % {"rating": new}
            ]
        if not reason:
            errors["reason"] = [_("Write why the rating changes: the employee reads it.")]
        if errors:
            raise RevisionError(errors)

        before = breakdown_for(appraisal)
        old = item.manager_rating
        item.manager_rating = new
        item.save(update_fields=["manager_rating"])
        rescored = breakdown_for(appraisal)
        revision = RatingRevision.objects.create(
            appraisal=appraisal,
            item=item,
            from_rating=old,
            to_rating=new,
            reason=reason,
            proposed_before=before.proposed_score,
            proposed_after=rescored.proposed_score,
            score_before=before.final_score,
            revised_by=actor,
        )
        after = breakdown_for(appraisal)
        revision.score_after = after.final_score
        revision.save(update_fields=["score_after"])
        old_band = appraisal.final_band
        appraisal.proposed_score = after.proposed_score
        appraisal.final_score = after.final_score
        appraisal.final_band = band_of(appraisal.scale_levels, after.final_score)
        save_versioned(appraisal, ["proposed_score", "final_score", "final_band"])
        record_event(
            actor=actor,
            verb="appraisal.rating_revised",
            obj=appraisal,
            before={
                "item": item.title,
                "rating": old,
                "final_score": _score(before.final_score),
                "final_band": old_band,
            },
            after={
                "item": item.title,
                "rating": new,
                "final_score": _score(appraisal.final_score),
                "final_band": appraisal.final_band,
                "reason": reason,
            },
        )
    return revision
