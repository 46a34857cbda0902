"""Next-cycle goals: the reviewer writes them down with the interview (proposals), and
each becomes a draft goal of the person's next participation when that cycle opens.

- ``add_proposal`` / ``update_proposal`` / ``remove_proposal``: the reviewer of the
  interview's participation, while the interview is scheduled, rescheduled or held and
  the proposal has not been carried yet. Versioned, audited, the employee told (in-app).
- ``carry_proposals``: the proposals of held interviews become draft goals (through
  goals' own ``draft_goal_for``) of the person's *next* participation — the first cycle
  of theirs that starts after the interview's cycle — while that cycle is in planning.
  Exactly once: the waiting proposals (``carried_at`` empty) are locked (``SELECT … FOR
  UPDATE``) and re-read under the lock, and ``carried_goal`` is unique, so a second or
  concurrent run creates nothing. If the person later deletes the draft goal (goals'
  own ``delete_goal``), ``release_deleted_goal`` lets go of the link and keeps
  ``carried_at``/``carried_into``: the proposal reads "removed from the next cycle" and
  is never carried again. Called by the core's enrolment hook (perfcycle.phases), after an interview is
  recorded, and by the beat sweep (``sweep_carry_over``) for cycles in planning.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.models import GoalProposal, Interview, InterviewStatus
from feedback.policies import PROPOSAL
from goals.services.workflow import draft_goal_for
from perfcycle.audit import changes, record_event, snapshot
from perfcycle.models import Cycle, Participation
from perfcycle.notifications import notify
from perfcycle.workflow import (
    SYSTEM,
    DomainError,
    check_version,
    lock_for_update,
    save_versioned,
)

logger = logging.getLogger(__name__)

FIELDS = ["title", "description", "indicator", "target", "unit", "weight"]
# Proposals are written before the interview and completed in it; not after a cancel.
EDITABLE = (InterviewStatus.SCHEDULED, InterviewStatus.RESCHEDULED, InterviewStatus.HELD)
CARRY_CHUNK = 500


class ProposalError(DomainError):
    """A next-cycle goal cannot be changed as asked (carried already, interview cancelled)."""


# --- Writing proposals ---------------------------------------------------------------------


def _require_proposer(actor, interview: Interview) -> None:
    """Only the reviewer of the interview's participation writes its next-cycle goals
    (views fetch through the proposer's scope first: anyone else gets a 404)."""
    if not PROPOSAL.may(actor, "propose", interview.participation):
        raise PermissionDenied


def _require_editable(interview: Interview) -> None:
    if interview.status not in EDITABLE:
        raise ProposalError(
            _(
                "The interview was cancelled: schedule it again to agree the goals of the "
                "next cycle."
            )
        )


def _require_waiting(proposal: GoalProposal) -> None:
    if proposal.carried_at is not None:
        raise ProposalError(
            _(
                "This goal is already a draft goal of the next cycle: change it there, "
                "with the person."
            )
        )


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """The proposal's fields after the rules; errors keyed by field for the form."""
    values = {
        "title": (data.get("title") or "").strip(),
        "description": (data.get("description") or "").strip(),
        "indicator": data.get("indicator"),
        "target": data.get("target"),
        "unit": (data.get("unit") or "").strip(),
        "weight": data.get("weight"),
    }
    errors = {}
    if not values["title"]:
        errors["title"] = _("Say what the goal is.")
    weight = values["weight"]
    if weight is not None and not Decimal(0) <= weight <= Decimal(100):
        errors["weight"] = _("The weight is a percentage from 0 to 100.")
    indicator = values["indicator"]
    if indicator is not None and not indicator.is_active:
        errors["indicator"] = _("This indicator is no longer in use: choose another.")
    if errors:
        raise ProposalError(errors)
    if indicator is not None and not values["unit"]:
        values["unit"] = indicator.unit
    return values


def _tell_employee(interview: Interview, *, actor, title: str) -> None:
    employee = interview.participation.employee
    if employee.user_id == getattr(actor, "pk", None):
        return
    notify(
        recipient=employee.user,
        title=title,
        url=reverse("feedback:carry-mine"),
        email=False,
    )


def _interview(pk: int) -> Interview:
    return lock_for_update(
        Interview.objects.select_related("participation__employee__user", "participation__cycle"),
        pk,
    )


def add_proposal(*, actor, interview: Interview, data: dict[str, Any]) -> GoalProposal:
    """The reviewer adds a goal for the person's next cycle to the interview."""
    with transaction.atomic():
        # The interview's row lock orders the positions of concurrent additions.
        interview = _interview(interview.pk)
        _require_proposer(actor, interview)
        _require_editable(interview)
        values = _clean(data)
        last = interview.proposals.aggregate(last=Max("position"))["last"]
        proposal = GoalProposal.objects.create(
            interview=interview,
            participation=interview.participation,
            position=0 if last is None else last + 1,
            created_by=actor,
            **values,
        )
        record_event(
            actor=actor,
            verb="feedback.proposal_added",
            obj=proposal,
            after=snapshot(proposal, FIELDS),
        )
        _tell_employee(
            interview,
            actor=actor,
            title=_("A goal for your next cycle was noted for your feedback interview: %(title)s")
            % {"title": proposal.title},
        )
    return proposal


def _locked_proposal(proposal: GoalProposal) -> GoalProposal:
    return lock_for_update(
        GoalProposal.objects.select_related(
            "interview__participation__employee__user", "interview__participation__cycle"
        ),
        proposal.pk,
    )


def update_proposal(
    *, actor, proposal: GoalProposal, data: dict[str, Any], expected_version
) -> GoalProposal:
    """The reviewer changes a proposal not yet carried (a stale form changes nothing)."""
    with transaction.atomic():
        proposal = _locked_proposal(proposal)
        interview = proposal.interview
        _require_proposer(actor, interview)
        check_version(proposal, expected_version, noun=_("next-cycle goal"))
        _require_waiting(proposal)
        _require_editable(interview)
        values = _clean(data)
        before = snapshot(proposal, FIELDS)
        for name, value in values.items():
            setattr(proposal, name, value)
        before, after = changes(before, snapshot(proposal, FIELDS))
        if after:
            save_versioned(proposal, FIELDS)
            record_event(
                actor=actor,
                verb="feedback.proposal_changed",
                obj=proposal,
                before=before,
                after=after,
            )
            _tell_employee(
                interview,
                actor=actor,
                title=_("A goal for your next cycle was changed: %(title)s")
                % {"title": proposal.title},
            )
    return proposal


def remove_proposal(*, actor, proposal: GoalProposal, expected_version) -> None:
    """The reviewer takes back a proposal not yet carried (its content stays in the
    audit record)."""
    with transaction.atomic():
        proposal = _locked_proposal(proposal)
        interview = proposal.interview
        _require_proposer(actor, interview)
        check_version(proposal, expected_version, noun=_("next-cycle goal"))
        _require_waiting(proposal)
        _require_editable(interview)
        record_event(
            actor=actor,
            verb="feedback.proposal_removed",
            obj=proposal,
            before=snapshot(proposal, FIELDS),
        )
        title = proposal.title
        proposal.delete()
        _tell_employee(
            interview,
            actor=actor,
            title=_("A goal for your next cycle was taken off the list: %(title)s")
            % {"title": title},
        )


# --- Carrying proposals into the next cycle ---------------------------------------------------


def _next_participations(employee_ids) -> dict[int, list[Participation]]:
    """Each person's participations, earliest cycle first (one query)."""
    by_person: dict[int, list[Participation]] = {}
    rows = (
        Participation.objects.filter(employee_id__in=employee_ids)
        .select_related("cycle")
        .order_by("cycle__start_date", "cycle_id")
    )
    for participation in rows:
        by_person.setdefault(participation.employee_id, []).append(participation)
    return by_person


def next_participation(participation: Participation, among: list[Participation]):
    """The person's first participation in a cycle that starts after ``participation``'s
    (``among``: theirs, earliest first), or None."""
    start = participation.cycle.start_date
    return next((p for p in among if p.cycle.start_date > start), None)


def carry_proposals(*, participation_ids, actor) -> int:
    """Carry the waiting proposals of held interviews into ``participation_ids`` where
    each is the person's next participation and its cycle is in planning. Returns how
    many became goals. Idempotent; one transaction per person (chunked)."""
    ids = sorted({int(pk) for pk in participation_ids})
    carried = 0
    for start in range(0, len(ids), CARRY_CHUNK):
        targets = (
            Participation.objects.filter(
                pk__in=ids[start : start + CARRY_CHUNK], cycle__phase=Cycle.Phase.PLANNING
            )
            .select_related("cycle", "employee__user", "reviewer__user")
            .order_by("pk")
        )
        targets = list(targets)
        waiting = set(
            GoalProposal.objects.filter(
                carried_at__isnull=True,
                interview__status=InterviewStatus.HELD,
                participation__employee_id__in=[t.employee_id for t in targets],
            ).values_list("participation__employee_id", flat=True)
        )
        targets = [t for t in targets if t.employee_id in waiting]
        if not targets:
            continue
        theirs = _next_participations({t.employee_id for t in targets})
        for target in targets:
            carried += _carry_or_log(target, theirs[target.employee_id], actor=actor)
    return carried


def _carry_or_log(target: Participation, theirs: list[Participation], *, actor) -> int:
    """One person's carry in a savepoint of its own: a goal the goals stage refuses (say,
    the cycle left planning meanwhile) must not undo HR's enrolment of everyone else. It
    stays waiting; the sweep tries again."""
    try:
        with transaction.atomic():
            return _carry_into(target, theirs, actor=actor)
    except DomainError as error:
        logger.warning(
            "Next-cycle goals of participation %s not carried: %s", target.pk, error.messages
        )
        return 0


def _waiting_for(target: Participation):
    """Proposals of the person's held interviews of earlier cycles, not carried yet."""
    return GoalProposal.objects.filter(
        carried_at__isnull=True,
        interview__status=InterviewStatus.HELD,
        participation__employee_id=target.employee_id,
        participation__cycle__start_date__lt=target.cycle.start_date,
    )


def _carry_into(target: Participation, theirs: list[Participation], *, actor) -> int:
    with transaction.atomic():
        # Re-read under the row locks: a concurrent run that got here first has carried
        # them, and PostgreSQL re-checks "not carried" once it has waited for it.
        proposals = list(
            _waiting_for(target)
            .select_for_update(of=("self",))
            .select_related("participation__cycle", "indicator")
            .order_by("participation__cycle__start_date", "interview_id", "position", "pk")
        )
        proposals = [
            p for p in proposals if _is_next(p.participation, target, theirs) and _is_open(target)
        ]
        if not proposals:
            return 0
        now = timezone.now()
        for proposal in proposals:
            origin = _("Agreed in the feedback interview of %(cycle)s") % {
                "cycle": proposal.participation.cycle.name
            }
            goal = draft_goal_for(
                actor=SYSTEM,
                cycle=target.cycle,
                owner=target.employee,
                data={
                    "title": proposal.title,
                    "description": proposal.description,
                    "indicator": proposal.indicator,
                    "target": proposal.target,
                    "unit": proposal.unit,
                    "weight": proposal.weight if proposal.weight is not None else Decimal(0),
                },
                origin=origin,
            )
            proposal.carried_goal = goal
            proposal.carried_into = target
            proposal.carried_at = now
            save_versioned(proposal, ["carried_goal", "carried_into", "carried_at"])
            record_event(
                actor=actor,
                verb="feedback.proposal_carried",
                obj=proposal,
                after={"goal": goal.pk, "participation": target.pk, "cycle": target.cycle_id},
            )
        _tell_carried(target, proposals)
    return len(proposals)


def _is_next(source: Participation, target: Participation, theirs: list[Participation]) -> bool:
    following = next_participation(source, theirs)
    return following is not None and following.pk == target.pk


def _is_open(target: Participation) -> bool:
    return target.cycle.phase == Cycle.Phase.PLANNING


def _tell_carried(target: Participation, proposals: list[GoalProposal]) -> None:
    count = len(proposals)
    url = f"{reverse('goals:my-goals')}?cycle={target.cycle_id}"
    earlier = proposals[0].participation.cycle.name
    notify(
        recipient=target.employee.user,
        title=ngettext(
            "The goal agreed in your feedback interview of %(earlier)s is a draft in "
            "%(cycle)s: review it and submit it",
            "The %(count)s goals agreed in your feedback interview of %(earlier)s are "
            "drafts in %(cycle)s: review them and submit them",
            count,
        )
        % {"count": count, "earlier": earlier, "cycle": target.cycle.name},
        url=url,
    )
    if target.reviewer is not None and target.reviewer.is_active:
        notify(
            recipient=target.reviewer.user,
            title=ngettext(
                "%(name)s has %(count)s draft goal from last cycle's feedback interview",
                "%(name)s has %(count)s draft goals from last cycle's feedback interview",
                count,
            )
            % {"name": target.employee.full_name, "count": count},
            url=reverse("goals:team-goals"),
            email=False,
        )


def release_deleted_goal(*, goal, actor) -> None:
    """goals.origins hook, inside delete_goal's transaction: the draft goal a proposal
    became is being deleted by its owner; the proposal keeps when and where it was
    carried (so it is not carried again) and the audit record keeps which goal it was."""
    for proposal in GoalProposal.objects.select_for_update().filter(carried_goal=goal):
        record_event(
            actor=actor,
            verb="feedback.proposal_goal_deleted",
            obj=proposal,
            before={"goal": goal.pk},
        )
        proposal.carried_goal = None
        save_versioned(proposal, ["carried_goal"])


def carry_on_enrolment(*, cycle, participation_ids, actor) -> None:
    """The core's enrolment hook (perfcycle.phases.register_enrolment_hook)."""
    if cycle.phase == Cycle.Phase.PLANNING:
        carry_proposals(participation_ids=participation_ids, actor=actor)


def carry_after_interview(*, interview, actor) -> None:
    """An interview recorded after the next cycle opened: carry its goals now (the
    feedback.services.events listener; the sweep would do it within the hour)."""
    later = Participation.objects.filter(
        employee_id=interview.participation.employee_id,
        cycle__phase=Cycle.Phase.PLANNING,
        cycle__start_date__gt=interview.participation.cycle.start_date,
    ).values_list("pk", flat=True)
    ids = list(later)
    if ids:
        carry_proposals(participation_ids=ids, actor=actor)


def sweep_carry_over() -> int:
    """Beat: every participation of a cycle in planning whose person has waiting
    proposals of a held interview (idempotent: what is carried is not carried again)."""
    waiting_people = GoalProposal.objects.filter(
        carried_at__isnull=True, interview__status=InterviewStatus.HELD
    ).values("participation__employee_id")
    ids = list(
        Participation.objects.filter(
            cycle__phase=Cycle.Phase.PLANNING, employee_id__in=waiting_people
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return carry_proposals(participation_ids=ids, actor=SYSTEM) if ids else 0
