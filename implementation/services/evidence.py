"""Evidence log: dated records of work, their attachments and their verification.

Every function is keyword-only and runs in one transaction: it locks the record, checks
the actor and the state, saves with ``update_fields`` and a bumped ``version``, writes an
audit event and notifies the participant. Views fetch evidence through
``implementation.selectors.get_evidence_for`` first, so a record outside a user's scope is
a 404 before it gets here; the actor checks below are the second line (PermissionDenied).

Rules decided here:

- A participant records evidence of their own work, and their reviewer in the cycle (the
  manager at enrolment) records it for them; nobody else, HR included. The cycle must be
  in planning, implementation or appraisal.
- The date of the work is not in the future and falls within the cycle. The goal, if
  any, is one of the participant's own goals in that cycle.
- Only the person who recorded it edits or deletes a record, and only until it is
  verified. The reviewer or HR verifies it (never the participant), and may withdraw the
  verification with a reason, which the participant is told. Four-eyes: whoever recorded
  a record never verifies it; what the reviewer recorded for a report, the reviewer's own
  manager (or HR, when the reviewer has no manager) verifies (implementation/policies.py).
- Attachments are checked by content (implementation/uploads.py), stored under a random
  name and served only by the download view. A refused file refuses the whole save:
  nothing is written. Files leave the disk only after the deleting transaction commits.
"""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from goals.models import GoalLevel
from implementation import uploads
from implementation.models import Evidence, EvidenceAttachment
from implementation.policies import EVIDENCE
from implementation.selectors import evidence as evidence_selectors
from perfcycle.audit import record_event, snapshot
from perfcycle.formatting import format_date_range
from perfcycle.models import Participation
from perfcycle.notifications import notify
from perfcycle.workflow import DomainError, check_version, lock_for_update, save_versioned

CONTENT_FIELDS = ["title", "description", "occurred_on", "goal", "indicator"]
AUDIT_FIELDS = ["participation", *CONTENT_FIELDS]


class EvidenceError(DomainError):
    """Evidence cannot change as asked (its state, or the cycle's phase)."""


# --- Shared checks --------------------------------------------------------------------------


def lock_evidence(evidence: Evidence) -> Evidence:
    """The record's row, locked for this transaction, with its people and cycle."""
    return lock_for_update(Evidence.objects.with_people(), evidence.pk)


def _require_open(participation: Participation) -> None:
    cycle = participation.cycle
    if cycle.phase not in evidence_selectors.EVIDENCE_RECORDING_PHASES:
        raise EvidenceError(
            _(
                "%(cycle)s is in its %(phase)s phase: evidence is recorded, changed and "
                "verified only during planning, implementation and appraisal."
            )
            % {"cycle": cycle.name, "phase": cycle.get_phase_display()}
        )


def _may_record(actor, participation: Participation) -> bool:
    return EVIDENCE.may(actor, "record", participation)


def _require_creator(actor, evidence: Evidence) -> None:
    if not evidence_selectors.is_evidence_creator(actor, evidence):
        raise PermissionDenied


def _require_unverified(evidence: Evidence, action: str) -> None:
    if evidence.verified_at is not None:
        raise EvidenceError(
            _("This evidence is verified, so it cannot be %(action)s.") % {"action": action}
        )


def _name(user) -> str:
    return user.get_full_name() or user.username


def _notify_participant(
    evidence: Evidence, *, actor, title: str, body: str = "", url: str | None = None
) -> None:
    """Tell the participant what someone else did to their evidence (never themself)."""
    recipient = evidence.participation.employee.user
    if recipient.pk == actor.pk:
        return
    url = evidence.get_absolute_url() if url is None else url
    notify(recipient=recipient, title=title, body=body, url=url)


# --- Content and files -------------------------------------------------------------------------


def _clean_content(*, participation: Participation, data: dict[str, Any], current=None) -> dict:
    """The record's fields after the business rules; errors keyed by field for the form."""
    cycle = participation.cycle
    values = {
        "title": (data.get("title") or "").strip(),
        "description": (data.get("description") or "").strip(),
        "occurred_on": data.get("occurred_on"),
        "goal": data.get("goal"),
        "indicator": data.get("indicator"),
    }
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = _("Give the evidence a short title.")
    occurred_on = values["occurred_on"]
    if occurred_on is None:
        errors["occurred_on"] = _("Give the date of the work.")
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = _("The date of the work cannot be in the future.")
    elif not cycle.start_date <= occurred_on <= cycle.end_date:
        errors["occurred_on"] = _("The work must fall within the cycle (%(period)s).") % {
            "period": format_date_range(cycle.start_date, cycle.end_date)
        }
    goal = values["goal"]
    if goal is not None and not (
        goal.level == GoalLevel.INDIVIDUAL
        and goal.owner_id == participation.employee_id
        and goal.cycle_id == participation.cycle_id
    ):
        errors["goal"] = _("Choose one of %(name)s's own goals in %(cycle)s.") % {
            "name": participation.employee.full_name,
            "cycle": cycle.name,
        }
    indicator = values["indicator"]
    unchanged = (
        current is not None and indicator is not None and current.indicator_id == indicator.pk
    )
    if indicator is not None and not indicator.is_active and not unchanged:
        errors["indicator"] = _("This indicator is no longer in use; choose another.")
    if errors:
        raise ValidationError(errors)
    return values


def _check_files(files: Sequence, *, existing: int) -> list[tuple[Any, uploads.CheckedUpload]]:
    """Every new file checked by content; any refusal refuses them all (keyed
    ``attachments`` for the form)."""
    limit = uploads.max_attachments()
    if existing + len(files) > limit:
        # Too many: refuse before reading any of them.
        raise ValidationError(
            {
                "attachments": ngettext(
                    "A record holds at most %(limit)s file; it would have %(count)s.",
                    "A record holds at most %(limit)s files; it would have %(count)s.",
                    limit,
                )
                % {"limit": limit, "count": existing + len(files)}
            }
        )
    errors = []
    accepted = []
    for upload in files:
        try:
            accepted.append((upload, uploads.check_upload(upload, name=upload.name)))
        except uploads.UploadRejected as rejected:
            errors.append(rejected.message)
    if errors:
        raise ValidationError({"attachments": errors})
    return accepted


def _store(evidence: Evidence, accepted, *, actor, saved: list[str]) -> list[EvidenceAttachment]:
    """Write each accepted file under a random name; ``saved`` collects the storage
    names so the caller can remove them if the transaction fails."""
    attachments = []
    for upload, checked in accepted:
        attachment = EvidenceAttachment(
            evidence=evidence,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        upload.seek(0)
        attachment.file.save(uuid.uuid4().hex, upload, save=False)
        saved.append(attachment.file.name)
        attachment.save()
        attachments.append(attachment)
    return attachments


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _delete_files_on_commit(names: list[str]) -> None:
    if names:
        transaction.on_commit(lambda: _delete_files(names))


def _describe(attachments) -> list[dict]:
    return [
        {"name": a.original_name, "size": a.size, "sha256": a.sha256, "type": a.content_type}
        for a in attachments
    ]


# --- Recording, editing, deleting ------------------------------------------------------------


def create_evidence(
    *, actor, participation: Participation, data: dict[str, Any], files: Sequence = ()
) -> Evidence:
    """Record evidence of ``participation``'s work, with its attachments, all or nothing."""
    saved: list[str] = []
    try:
        with transaction.atomic():
            participation = Participation.objects.with_people().get(pk=participation.pk)
            if not _may_record(actor, participation):
                raise PermissionDenied
            _require_open(participation)
            errors: dict[str, list] = {}
            values = {}
            accepted = []
            try:
                values = _clean_content(participation=participation, data=data)
            except ValidationError as error:
                errors.update(error.message_dict)
            try:
                accepted = _check_files(files, existing=0)
            except ValidationError as error:
                errors.update(error.message_dict)
            if errors:
                raise ValidationError(errors)
            evidence = Evidence.objects.create(
                participation=participation, created_by=actor, **values
            )
            attachments = _store(evidence, accepted, actor=actor, saved=saved)
            record_event(
                actor=actor,
                verb="evidence.created",
                obj=evidence,
                after={**snapshot(evidence, AUDIT_FIELDS), "attachments": _describe(attachments)},
            )
            _notify_participant(
                evidence,
                actor=actor,
                title=_("%(name)s recorded evidence of your work: %(title)s")
                % {"name": _name(actor), "title": evidence.title},
            )
    except BaseException:
        _delete_files(saved)
        raise
    return evidence


def update_evidence(
    *,
    actor,
    evidence: Evidence,
    data: dict[str, Any],
    expected_version: int,
    files: Sequence = (),
    remove_attachments: Iterable[int] = (),
) -> Evidence:
    """Change a record: its content, new files, files to drop. Only its creator, only
    until it is verified; ConcurrentEditError if it changed since the form was loaded."""
    saved: list[str] = []
    try:
        with transaction.atomic():
            evidence = lock_evidence(evidence)
            _require_creator(actor, evidence)
            check_version(evidence, expected_version)
            _require_unverified(evidence, _("edited"))
            _require_open(evidence.participation)
            existing = list(evidence.attachments.all())
            remove_ids = {int(pk) for pk in remove_attachments}
            removed = [a for a in existing if a.pk in remove_ids]
            errors: dict[str, list] = {}
            values = {}
            accepted = []
            try:
                values = _clean_content(
                    participation=evidence.participation, data=data, current=evidence
                )
            except ValidationError as error:
                errors.update(error.message_dict)
            try:
                accepted = _check_files(files, existing=len(existing) - len(removed))
            except ValidationError as error:
                errors.update(error.message_dict)
            if errors:
                raise ValidationError(errors)
            before = snapshot(evidence, CONTENT_FIELDS)
            for name, value in values.items():
                setattr(evidence, name, value)
            after = snapshot(evidence, CONTENT_FIELDS)
            changed = [name for name in CONTENT_FIELDS if after[name] != before[name]]
            if not changed and not accepted and not removed:
                return evidence
            save_versioned(evidence, changed)
            added = _store(evidence, accepted, actor=actor, saved=saved)
            EvidenceAttachment.objects.filter(pk__in=[a.pk for a in removed]).delete()
            _delete_files_on_commit([a.file.name for a in removed])
            record_event(
                actor=actor,
                verb="evidence.updated",
                obj=evidence,
                before={
                    **{name: before[name] for name in changed},
                    **({"attachments_removed": _describe(removed)} if removed else {}),
                },
                after={
                    **{name: after[name] for name in changed},
                    **({"attachments_added": _describe(added)} if added else {}),
                },
            )
            _notify_participant(
                evidence,
                actor=actor,
                title=_("%(name)s changed evidence of your work: %(title)s")
                % {"name": _name(actor), "title": evidence.title},
            )
    except BaseException:
        _delete_files(saved)
        raise
    return evidence


def delete_evidence(*, actor, evidence: Evidence) -> None:
    """Delete an unverified record and its files (its creator only)."""
    with transaction.atomic():
        evidence = lock_evidence(evidence)
        _require_creator(actor, evidence)
        _require_unverified(evidence, _("deleted"))
        _require_open(evidence.participation)
        attachments = list(evidence.attachments.all())
        record_event(
            actor=actor,
            verb="evidence.deleted",
            obj=evidence,
            before={**snapshot(evidence, AUDIT_FIELDS), "attachments": _describe(attachments)},
        )
        title = evidence.title
        _notify_participant(
            evidence,
            actor=actor,
            title=_("%(name)s deleted evidence of your work: %(title)s")
            % {"name": _name(actor), "title": title},
            url=reverse("implementation:evidence-list"),
        )
        evidence.delete()
        _delete_files_on_commit([a.file.name for a in attachments])


# --- Verification ----------------------------------------------------------------------------


def verify_evidence(*, actor, evidence: Evidence, expected_version: int) -> Evidence:
    """The reviewer (or HR) confirms the record, as it was when they looked at it
    (``expected_version``)."""
    with transaction.atomic():
        evidence = lock_evidence(evidence)
        if not evidence_selectors.may_verify_evidence(actor, evidence):
            raise PermissionDenied
        check_version(evidence, expected_version)
        _require_unverified(evidence, _("verified again"))
        _require_open(evidence.participation)
        evidence.verified_at = timezone.now()
        evidence.verified_by = actor
        save_versioned(evidence, ["verified_at", "verified_by"])
        record_event(
            actor=actor,
            verb="evidence.verified",
            obj=evidence,
            after={"verified_at": evidence.verified_at.isoformat(), "verified_by": actor.pk},
        )
        _notify_participant(
            evidence,
            actor=actor,
            title=_("%(name)s verified your evidence: %(title)s")
            % {"name": _name(actor), "title": evidence.title},
        )
    return evidence


def unverify_evidence(*, actor, evidence: Evidence, reason: str, expected_version: int) -> Evidence:
    """Withdraw a verification, with a reason the participant reads; only the
    verification the user saw (``expected_version``)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        evidence = lock_evidence(evidence)
        if not evidence_selectors.may_verify_evidence(actor, evidence):
            raise PermissionDenied
        check_version(evidence, expected_version)
        if evidence.verified_at is None:
            raise EvidenceError(_("This evidence is not verified."))
        _require_open(evidence.participation)
        if not reason:
            raise ValidationError({"reason": _("Say why; the reason is shown to the employee.")})
        before = {
            "verified_at": evidence.verified_at.isoformat(),
            "verified_by": evidence.verified_by_id,
        }
        evidence.verified_at = None
        evidence.verified_by = None
        save_versioned(evidence, ["verified_at", "verified_by"])
        record_event(
            actor=actor,
            verb="evidence.unverified",
            obj=evidence,
            before=before,
            after={"reason": reason},
        )
        _notify_participant(
            evidence,
            actor=actor,
            title=_("%(name)s withdrew the verification of your evidence: %(title)s")
            % {"name": _name(actor), "title": evidence.title},
            body=reason,
        )
    return evidence
