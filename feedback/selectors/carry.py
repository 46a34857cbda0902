"""Reads of the next-cycle goals and of HR's feedback configuration and root-cause report.
Everything a view fetches is scoped to the asking user (feedback.policies): out of scope
is a 404, never a leak."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404

from feedback.models import GoalProposal, Interview, InterviewStatus, RootCause
from feedback.policies import INTERVIEW, PROPOSAL
from feedback.selectors import interviews
from feedback.services.carry import EDITABLE
from goals.models import Indicator
from perfcycle import rollups
from perfcycle.compiled import CompiledQuery
from perfcycle.models import Cycle

# The smallest group of interviewed people whose root causes are shown.
SMALLEST_GROUP = 3


def interviews_visible_to(user):
    return Interview.objects.filter(INTERVIEW.readable(user))


def get_interview_for(user, interview_id: int) -> Interview:
    """The interview with its person, manager and cycle, if the user may read it: the
    interview page's own read (feedback/selectors/interviews.py, SQL built once)."""
    return interviews.get_interview_for(user, interview_id)


def is_proposer(user, interview: Interview) -> bool:
    """Whether the user writes this interview's next-cycle goals (its reviewer)."""
    return PROPOSAL.may(user, "propose", interview.participation)


def may_propose(user, interview: Interview) -> bool:
    """Whether the user writes this interview's next-cycle goals, and may now."""
    return interview.status in EDITABLE and is_proposer(user, interview)


def proposals_of(interview: Interview) -> list[GoalProposal]:
    """The interview's proposals in order, with their indicator and where each went."""
    proposals = _proposals_of(interview.pk)
    for proposal in proposals:  # the interview in hand: no query for it
        proposal.interview = interview
    return proposals


# The next-cycle goals page's list: SQL built once per process (perfcycle/compiled.py).
_proposals_of = CompiledQuery(
    lambda interview_id: GoalProposal.objects.filter(interview_id=interview_id).select_related(
        "indicator", "carried_goal", "carried_into__cycle"
    )
)


# The indicators a next-cycle goal may name, in the form's order: what its select shows.
_indicator_options = CompiledQuery(
    lambda: Indicator.objects.filter(is_active=True).order_by("name").values("pk", "name"),
    arguments=0,
)


def indicator_options() -> list[tuple[int, str]]:
    """(id, name) of each indicator the proposal form offers (ProposalForm's queryset)."""
    return [(row["pk"], row["name"]) for row in _indicator_options()]


def get_proposal_for_proposer(user, proposal_id: int) -> GoalProposal:
    """A proposal the user writes (the reviewer's), with its interview; else 404."""
    proposal = (
        GoalProposal.objects.filter(PROPOSAL.acting(user, "propose"))
        .select_related(
            "indicator",
            "interview__participation__employee__user",
            "interview__participation__cycle",
            "carried_goal",
        )
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


@dataclass
class InterviewGoals:
    interview: Interview
    proposals: list = field(default_factory=list)

    @property
    def held(self) -> bool:
        return self.interview.status == InterviewStatus.HELD


# "My next-cycle goals": SQL built once per process (perfcycle/compiled.py); building it
# (five joins, four orderings) cost more than the rest of the page's Python.
_my_proposals = CompiledQuery(
    lambda employee_id: (
        GoalProposal.objects.filter(participation__employee_id=employee_id)
        .exclude(interview__status=InterviewStatus.CANCELLED)
        .select_related(
            "interview__participation__cycle",
            "interview__manager__user",
            "indicator",
            "carried_goal",
            "carried_into__cycle",
        )
        .order_by("-interview__participation__cycle__start_date", "interview_id", "position", "pk")
    )
)


def my_proposals(employee) -> list[InterviewGoals]:
    """The person's next-cycle goals, per interview, latest cycle first (one query)."""
    if employee is None:
        return []
    groups: dict[int, InterviewGoals] = {}
    for proposal in _my_proposals(employee.pk):
        group = groups.setdefault(proposal.interview_id, InterviewGoals(proposal.interview))
        group.proposals.append(proposal)
    return list(groups.values())


def carried_origin(goal_ids) -> dict[int, GoalProposal]:
    """The proposals that became these goals (for "agreed in your interview of …")."""
    rows = GoalProposal.objects.filter(carried_goal_id__in=list(goal_ids)).select_related(
        "participation__cycle", "interview"
    )
    return {row.carried_goal_id: row for row in rows}


# --- HR: root causes ----------------------------------------------------------------------


def root_causes_with_use():
    """Every cause, offered first, with how many interviews and plans name it (one
    query: the counts are subqueries, not joins that multiply each other)."""
    interviews = Interview.root_causes.through.objects.filter(rootcause_id=OuterRef("pk"))
    return RootCause.objects.annotate(
        interview_uses=_count_of(interviews),
        in_use=Exists(interviews)
        | Exists(RootCause.plans.through.objects.filter(rootcause_id=OuterRef("pk"))),
    ).order_by("-is_active", "position", "name")


def _count_of(qs):
    from django.db.models import IntegerField, Subquery
    from django.db.models.functions import Coalesce

    counted = qs.order_by().values("rootcause_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def get_root_cause(cause_id: int) -> RootCause:
    cause = RootCause.objects.filter(pk=cause_id).first()
    if cause is None:
        raise Http404
    return cause


def report_cycles():
    """The cycles whose interviews may have been held: feedback and later."""
    return Cycle.objects.filter(
        phase__in=[Cycle.Phase.FEEDBACK, Cycle.Phase.APPLICATION, Cycle.Phase.CLOSED]
    )


@dataclass
class CauseGroup:
    """One row of the report: a department (or the merged small ones) with how many
    people were interviewed and how many interviews named each cause."""

    label: str
    people: int
    counts: dict[int, int]
    departments: int = 1
    merged: bool = False

    def count(self, cause_id: int) -> int:
        return self.counts.get(cause_id, 0)

    def share(self, cause_id: int) -> int:
        return round(100 * self.count(cause_id) / self.people) if self.people else 0


@dataclass
class CauseReport:
    causes: list  # RootCause rows named at least once in the shown groups, most frequent first
    groups: list[CauseGroup]  # departments of at least SMALLEST_GROUP people, then "Other"
    total: CauseGroup | None  # the shown groups together
    hidden_people: int  # interviewed people in groups too small to show, even merged
    hidden_departments: int

    def cells(self, group: CauseGroup) -> list[tuple]:
        """(cause, interviews naming it, % of the group's people) per cause shown."""
        return [(cause, group.count(cause.pk), group.share(cause.pk)) for cause in self.causes]

    @property
    def rows(self) -> list[dict]:
        return [{"group": group, "cells": self.cells(group)} for group in self.groups]

    @property
    def total_cells(self) -> list[tuple]:
        return self.cells(self.total) if self.total is not None else []


def root_cause_report(cycle: Cycle, *, other_label: str, total_label: str) -> CauseReport:
    """The most frequent root causes of the cycle's held interviews, per department.

    A department with fewer than SMALLEST_GROUP interviewed people is merged into
    "Other departments"; if those together are still fewer, they are left out (and the
    total leaves them out too, so that nobody can subtract their way to a small group).
    The counts come from one query (one row per department), the causes from a second,
    whatever the number of interviews."""
    names = {cause.pk: cause for cause in RootCause.objects.all()}
    cause_ids = list(names)
    rows = _cause_counts(cycle, cause_ids)
    shown: list[CauseGroup] = []
    small: list[CauseGroup] = []
    for row in rows:
        group = CauseGroup(
            label=row["participation__employee__department__name"] or "—",
            people=row["people"],
            counts={pk: row[f"c{pk}"] for pk in cause_ids if row[f"c{pk}"]},
        )
        (shown if group.people >= SMALLEST_GROUP else small).append(group)
    shown.sort(key=lambda g: g.label)
    hidden_people = hidden_departments = 0
    if small:
        other = _merge(small, label=other_label)
        if other.people >= SMALLEST_GROUP:
            shown.append(other)
        else:
            hidden_people, hidden_departments = other.people, other.departments
    total = _merge(shown, label=total_label) if shown else None
    causes = []
    if total is not None:
        named = [pk for pk in cause_ids if total.count(pk)]
        named.sort(key=lambda pk: (-total.count(pk), names[pk].position, names[pk].name))
        causes = [names[pk] for pk in named]
    return CauseReport(causes, shown, total, hidden_people, hidden_departments)


# What the report's counts read: a write to any of them computes them again.
CAUSE_SOURCES = (
    "feedback_interview",
    "feedback_interview_root_causes",
    "perfcycle_participation",
    "perfcycle_employee",
    "perfcycle_department",
)


def _cause_counts(cycle: Cycle, cause_ids: list[int]) -> list[dict]:
    """Per department, the people interviewed (held) and how many interviews named each
    cause: one aggregate over the cycle's held interviews and their causes (~13 ms at
    10,000), stored (perfcycle/rollups.py) until an interview, its causes or the chart
    changes; the key names the causes, so a new one computes it again."""

    def compute() -> list[dict]:
        held = Interview.objects.filter(
            participation__cycle=cycle, status=InterviewStatus.HELD
        ).order_by()
        aggregates = {
            f"c{pk}": Count("pk", filter=Q(root_causes__id=pk), distinct=True) for pk in cause_ids
        }
        return list(
            held.values(
                "participation__employee__department_id",
                "participation__employee__department__name",
            ).annotate(people=Count("pk", distinct=True), **aggregates)
        )

    key = f"feedback.causes:{cycle.pk}:{','.join(map(str, sorted(cause_ids)))}"
    return rollups.cached(key, compute, sources=CAUSE_SOURCES)


def _merge(groups: list[CauseGroup], *, label: str) -> CauseGroup:
    counts: dict[int, int] = {}
    for group in groups:
        for pk, n in group.counts.items():
            counts[pk] = counts.get(pk, 0) + n
    return CauseGroup(
        label=label,
        people=sum(g.people for g in groups),
        counts=counts,
        departments=sum(g.departments for g in groups),
        merged=True,
    )
