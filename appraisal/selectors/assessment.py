"""Self-assessment and manager review: who reads and acts on an appraisal, what its pages
show, the team list and the to-dos.

Every appraisal is fetched through ``appraisals_visible_to`` (appraisal/policies.py:
the appraisee, this participation's reviewer, the chain above and HR): anything else is a
404. What the appraisee reads is narrowed further: no manager rating and no score until
HR releases the ratings (``released_at``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisal.models import Appraisal, AppraisalItem, AppraisalStatus, CitedBy, ItemEvidence
from appraisal.policies import APPRAISAL
from goals.models import SectionKind
from implementation.models import (
    CheckinGoalProgress,
    Deviation,
    DeviationStatus,
    Evidence,
    ProgressUpdate,
    Severity,
)
from implementation.policies import EVIDENCE
from implementation.selectors import evidence_visible_to
from implementation.selectors.checkins import goal_progress
from perfcycle import access, rollups
from perfcycle.access import Relation
from perfcycle.formatting import format_date, format_date_range, format_number
from perfcycle.models import Cycle, Employee
from perfcycle.selectors import Todo
from perfcycle.stages import running_first

S = AppraisalStatus
SELF_OPEN = (S.NOT_STARTED, S.SELF_ASSESSMENT)
BEFORE_CALIBRATION = (S.NOT_STARTED, S.SELF_ASSESSMENT, S.MANAGER_REVIEW)
# Whom the team list shows: the people the user reviews and everyone below them.
TEAM = Relation.REVIEWER | Relation.NEXT_UP | Relation.CHAIN


def appraisals_visible_to(user):
    return Appraisal.objects.filter(APPRAISAL.readable(user))


# The relations told from an appraisal's own row, without a query: most reads of an
# appraisal (and of its evidence) are by the person, their reviewer or HR.
NEAR = Relation.SELF | Relation.REVIEWER | Relation.HR


def get_appraisal_for(user, appraisal_id) -> Appraisal:
    """The appraisal if ``user`` reads it (APPRAISAL's read rule), else 404. The person,
    the reviewer and HR are told from the row read by its pk; anyone else (the chain above)
    through the rule's query. (Compiling and planning that query, the reporting chain's
    UNION of subqueries, cost ~5 ms of CPU and ~2–7 ms of planning a page.)"""
    # order_by(): no ORDER BY to compile for one row (first()'s costs ~1 ms with the joins).
    found = list(Appraisal.objects.with_people().filter(pk=appraisal_id).order_by())
    if not found:
        raise Http404
    appraisal = found[0]
    if access.relations_of(user, appraisal.participation, NEAR) & APPRAISAL.read:
        return appraisal
    if not appraisals_visible_to(user).filter(pk=appraisal_id).exists():
        raise Http404
    return appraisal


# --- Who may do what -------------------------------------------------------------------------


def is_appraisee(user, appraisal: Appraisal) -> bool:
    employee = access.employee_of(user)
    return employee is not None and appraisal.participation.employee_id == employee.pk


def in_appraisal_phase(appraisal: Appraisal) -> bool:
    return appraisal.participation.cycle.phase == Cycle.Phase.APPRAISAL


def may_self_assess(user, appraisal: Appraisal) -> bool:
    return (
        in_appraisal_phase(appraisal)
        and appraisal.status in SELF_OPEN
        and APPRAISAL.may(user, "self_assess", appraisal.participation)
    )


def may_review(user, appraisal: Appraisal) -> bool:
    return (
        in_appraisal_phase(appraisal)
        and appraisal.status == S.MANAGER_REVIEW
        and APPRAISAL.may(user, "review", appraisal.participation)
    )


def is_reviewer(user, appraisal: Appraisal) -> bool:
    return APPRAISAL.may(user, "review", appraisal.participation)


def scores_visible(user, appraisal: Appraisal) -> bool:
    """The appraisee sees manager ratings and scores only once HR released them; the
    reviewer, the chain above and HR always."""
    if is_appraisee(user, appraisal):
        return appraisal.released_at is not None
    return True


def is_overdue(appraisal: Appraisal, today: dt.date) -> bool:
    deadline = appraisal.participation.cycle.appraisal_deadline
    return appraisal.status in BEFORE_CALIBRATION and deadline < today


# --- The items of one appraisal --------------------------------------------------------------


def has_peer_item(appraisal: Appraisal) -> bool:
    """Whether the appraisal has the peer (360°) item: its template had a peer section at
    opening, which opening turns into that one item. Read from the snapshot of the section
    weights, so no query."""
    return any(section["kind"] == SectionKind.PEER for section in appraisal.section_weights)


def assessment_items(appraisal: Appraisal) -> list[AppraisalItem]:
    """The items rated by the person and the manager (not the peer section's), with
    their goal and their citations (each with its evidence): three queries."""
    citations = ItemEvidence.objects.select_related("evidence").order_by("evidence__occurred_on")
    items = list(
        AppraisalItem.objects.filter(appraisal=appraisal)
        .exclude(section=SectionKind.PEER)
        .select_related("goal__cycle", "goal__indicator")
        .prefetch_related(Prefetch("citations", queryset=citations))
        .order_by("position", "pk")
    )
    # Each rating as its pages show it ("3 · Meets expectations"; "" for a value outside
    # the scale), looked up once here rather than by a loop over the levels per item.
    shown = {
        level["value"]: f"{localize(level['value'])} · {level['label']}"
        for level in appraisal.scale_levels
    }
    for item in items:
        item.self_level = shown.get(item.self_rating, "")
        item.manager_level = shown.get(item.manager_rating, "")
        item.self_cited = [c.evidence for c in item.citations.all() if c.cited_by == CitedBy.SELF]
        item.manager_cited = [
            c.evidence for c in item.citations.all() if c.cited_by == CitedBy.MANAGER
        ]
    return items


def citable_evidence(user, appraisal: Appraisal):
    """The person's evidence of this participation that ``user`` may cite (and read): all
    of it for the person, their reviewer and HR (relations the evidence read rule holds on
    the whole participation: no scope query to build), else what the rule lets them read."""
    near = access.relations_of(user, appraisal.participation, NEAR) & EVIDENCE.read
    records = Evidence.objects.all() if near else evidence_visible_to(user)
    return (
        records.filter(participation_id=appraisal.participation_id)
        .select_related("goal")
        .order_by("-occurred_on", "-pk")
    )


def levels(appraisal: Appraisal) -> list[dict]:
    return list(appraisal.scale_levels)


def level_label(appraisal: Appraisal, value) -> str:
    for level in appraisal.scale_levels:
        if level["value"] == value:
            return level["label"]
    return ""


@dataclass
class GoalContext:
    """What the review page shows beside a goal: its progress (the chart) and, as the text
    shown, its progress table (as of, actual, expected), the check-ins that reported on it
    (link, period, value reported or None, note) and its deviations (link, detected on,
    severity, status, corrective action shortened)."""

    progress: object
    points: list[tuple[str, str, str]]
    checkins: list[tuple[str, str, str | None, str]]
    deviations: list[tuple[str, str, str, str, str]]


def _url_of(name: str):
    """pk → the URL of the route ``name`` (one ``<int:pk>`` argument), from one reverse():
    a page of a few dozen links spends ~50 µs on each reverse()."""
    marker = str(2**62)
    prefix, suffix = reverse(name, args=[marker]).split(marker)
    return lambda pk: f"{prefix}{pk}{suffix}"


def goal_contexts(items, *, today: dt.date) -> dict[int, GoalContext]:
    """{goal id: GoalContext} for the goal items: three queries, however many goals. The
    check-ins and deviations are read as values and written out as text here (no model
    rows, no per-row filters in the template)."""
    goals = [item.goal for item in items if item.goal_id]
    if not goals:
        return {}
    ids = [g.pk for g in goals]
    # The goals' progress updates, oldest first (as progress_updates_of, without the
    # recorder and check-in the page does not show: no joins, one model per row).
    updates: dict[int, list] = {pk: [] for pk in ids}
    for update in ProgressUpdate.objects.filter(goal_id__in=ids).order_by("recorded_on", "pk"):
        updates[update.goal_id].append(update)
    checkin_url = _url_of("implementation:checkin-detail")
    checkins: dict[int, list] = defaultdict(list)
    for row in (
        CheckinGoalProgress.objects.filter(goal_id__in=ids)
        .order_by("-checkin__period_start", "-pk")
        .values_list(
            "goal_id",
            "checkin_id",
            "checkin__period_start",
            "checkin__period_end",
            "actual_value",
            "note",
        )
    ):
        goal_id, checkin_id, start, end, actual, note = row
        checkins[goal_id].append(
            (
                checkin_url(checkin_id),
                format_date_range(start, end),
                None if actual is None else format_number(actual),
                note,
            )
        )
    deviation_url = _url_of("implementation:deviation-detail")
    deviations: dict[int, list] = defaultdict(list)
    for pk, goal_id, detected_on, severity, status, action in (
        Deviation.objects.filter(goal_id__in=ids)
        .order_by("-detected_on", "-pk")
        .values_list("pk", "goal_id", "detected_on", "severity", "status", "corrective_action")
    ):
        deviations[goal_id].append(
            (
                deviation_url(pk),
                format_date(detected_on),
                _choice_label(Severity, severity),
                _choice_label(DeviationStatus, status),
                Truncator(action).chars(120) if action else "",
            )
        )
    contexts = {}
    for goal in goals:
        progress = goal_progress(goal, today=today, updates=updates[goal.pk])
        contexts[goal.pk] = GoalContext(
            progress=progress,
            points=[
                (
                    format_date(point.update.recorded_on),
                    format_number(point.update.value),
                    "—" if point.expected is None else format_number(point.expected),
                )
                for point in progress.points
            ],
            checkins=checkins[goal.pk],
            deviations=deviations[goal.pk],
        )
    return contexts


def _choice_label(choices, value) -> str:
    # As get_FOO_display(): a value outside the choices is shown as it is.
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# --- My appraisal ----------------------------------------------------------------------------


def my_appraisals(user):
    """The person's own appraisals, newest cycle first, with what their page shows (the
    read rule lets the appraisee read their own: SELF is in READ)."""
    employee = access.employee_of(user)
    if employee is None:
        return Appraisal.objects.none()
    return (
        Appraisal.objects.filter(participation__employee=employee)
        .with_people()
        .order_by("-participation__cycle__start_date", "-pk")
    )


def my_appraisal(user, cycle_id: int | None):
    """(the appraisal shown, every appraisal of the person for the cycle picker): the one
    in ``cycle_id`` (404 if the person has none there), else the newest."""
    # One appraisal per cycle, which running_first orders fully: no ORDER BY through the
    # joins to compile (~1 ms).
    rows = list(my_appraisals(user).order_by())
    mine = running_first(rows, cycle_of=lambda a: a.participation.cycle)
    if cycle_id is None:
        return (mine[0] if mine else None), mine
    for appraisal in mine:
        if appraisal.participation.cycle_id == cycle_id:
            return appraisal, mine
    raise Http404


# --- Team appraisals -------------------------------------------------------------------------


@dataclass
class TeamScope:
    """The appraisals of the people the user reviews or manages (the user's own left
    out), in the list's order (most urgent first: by status, then the person's last
    name), as ``groups``: per cycle, its status groups in that order, each (status, the
    ids, the participations' reviewer ids). The cycle picker, the counts per status, the
    list's size and the ids of the page shown all come from it, so the reporting-chain
    rule is run once (a VP's 3,498 people a cycle; stored, ``team_scope``) and no query
    sorts or counts the list again. Ids in groups rather than one row per appraisal: a
    third of the stored size, read back in ~0.6 ms instead of ~2 ms."""

    groups: dict[int, list[tuple[str, list[int], list[int | None]]]]

    @classmethod
    def of(cls, stored: list) -> TeamScope:
        """From ``grouped`` rows: [cycle id, status, ids, reviewer ids] in the order."""
        groups: dict = {}
        for cycle_id, state, ids, reviewers in stored:
            groups.setdefault(cycle_id, []).append((state, ids, reviewers))
        return cls(groups)

    @staticmethod
    def grouped(rows) -> list:
        """(id, cycle id, status, reviewer id) rows in the list's order as the stored
        groups: [cycle id, status, ids, reviewer ids], one per run of cycle and status."""
        stored: list = []
        last = None
        for pk, cycle_id, state, reviewer_id in rows:
            if (cycle_id, state) != last:
                last = (cycle_id, state)
                stored.append([cycle_id, state, [], []])
            stored[-1][2].append(pk)
            stored[-1][3].append(reviewer_id)
        return stored

    def cycle_ids(self) -> set[int]:
        return set(self.groups)

    def ids(
        self,
        cycle: Cycle,
        status: str = "",
        *,
        overdue: bool = False,
        mine: int | None = None,
        today: dt.date | None = None,
    ) -> list[int]:
        """The ids of the list in ``cycle``, in its order: only ``status`` if given; with
        ``overdue``, those before calibration past the cycle's appraisal deadline (none
        before it); with ``mine`` (an employee id), those that person reviews."""
        if overdue and not cycle.appraisal_deadline < (today or timezone.localdate()):
            return []
        found: list[int] = []
        for state, ids, reviewers in self.groups.get(cycle.pk, ()):
            if (status and state != status) or (overdue and state not in BEFORE_CALIBRATION):
                continue
            if mine is None:
                found.extend(ids)
            else:
                found.extend(
                    pk for pk, reviewer in zip(ids, reviewers, strict=True) if reviewer == mine
                )
        return found

    def counts(self, cycle: Cycle) -> dict[str, int]:
        """How many of the team's appraisals in ``cycle`` are in each status."""
        counts = dict.fromkeys(S.values, 0)
        for state, ids, _reviewers in self.groups.get(cycle.pk, ()):
            counts[state] += len(ids)
        return counts


# What a team's scope reads: the appraisals' status (their own change rows: a draft saved
# bumps the version, which the scope does not read), the participations (cycle, reviewer),
# the chart (the reporting lines are rewritten with it) and the people's names (the order;
# perfcycle_user is tracked for its name columns only, not for every sign-in).
TEAM_SOURCES = (
    "appraisal_appraisal.status",
    "perfcycle_participation",
    "perfcycle_employee",
    "perfcycle_user",
)


def team_scope(user) -> TeamScope:
    """The user's TeamScope, stored per person (perfcycle/rollups.py) until a table it
    reads changes: one query to read it back. Computing it runs the reporting-chain rule
    over every cycle (a VP's ~3,500 people a cycle: ~30 ms of SQL), which a page read
    then skips. It depends on nothing but the person (TEAM holds no HR relation); a login
    without an employee record has no team and no query."""
    employee = access.employee_of(user)
    if employee is None:
        return TeamScope({})

    def compute() -> list:
        qs = Appraisal.objects.filter(APPRAISAL.q(user, TEAM)).exclude(
            participation__employee=employee
        )
        return TeamScope.grouped(
            qs.order_by(
                "participation__cycle_id",
                "status",
                "participation__employee__user__last_name",
                "pk",
            ).values_list("pk", "participation__cycle_id", "status", "participation__reviewer_id")
        )

    return TeamScope.of(
        rollups.cached(f"appraisal.team:{employee.pk}", compute, sources=TEAM_SOURCES)
    )


def team_cycles(scope: TeamScope):
    """Cycles with appraisals of people the user reviews or manages, newest first."""
    return Cycle.objects.filter(pk__in=scope.cycle_ids()).order_by("-start_date", "-pk")


def team_appraisal_ids(
    user, cycle: Cycle, scope: TeamScope, *, status: str = "", overdue: bool = False, mine=False
) -> list[int]:
    """The ids of the team's appraisals in ``cycle`` (to page through,
    ``perfcycle.paging.get_page_of_ids``), the user's own excluded; most urgent first
    (before calibration, by status). With ``mine``, only those the user reviews (the
    participation's reviewer: the REVIEWER relation). No query."""
    reviewer = None
    if mine:
        employee = access.employee_of(user)
        reviewer = employee.pk if employee is not None else 0
    return scope.ids(cycle, status, overdue=overdue, mine=reviewer)


@functools.cache
def team_rows():
    """What a row shows, as values (no model instances: five a row with the people): the
    person, the reviewer and how many items are rated by each side. ``team_page_rows``
    turns a page of them into TeamRows. Built once per process (~0.7 ms of CPU a page):
    a base that callers narrow (``filter`` clones it), never evaluated itself."""
    rated = ~Q(items__section=SectionKind.PEER)
    return Appraisal.objects.annotate(
        item_count=Count("items", filter=rated),
        self_rated=Count("items", filter=rated & Q(items__self_rating__isnull=False)),
        manager_rated=Count("items", filter=rated & Q(items__manager_rating__isnull=False)),
    ).values_list(
        "pk",
        "status",
        "job_title",
        "reviewer_id",
        "participation__employee__user__first_name",
        "participation__employee__user__last_name",
        "participation__employee__user__username",
        "reviewer__user__first_name",
        "reviewer__user__last_name",
        "reviewer__user__username",
        "item_count",
        "self_rated",
        "manager_rated",
        named=True,
    )


@dataclass
class TeamRow:
    """A row of the team's list. Read by the status badge (status_badge.html) as an
    appraisal is."""

    pk: int
    key: str  # the id as text: the row's attribute
    name: str
    job_title: str
    status: str
    reviewer_id: int | None
    reviewer: str  # the reviewer's name, "—" for none
    item_count: int
    self_rated: int
    manager_rated: int
    url: str
    self_text: str = ""  # "rated / items", each side
    manager_text: str = ""
    mine_to_review: bool = False  # with the manager, and the viewer is its reviewer

    def get_status_display(self) -> str:
        return S(self.status).label


def team_page_rows(
    records, cycle: Cycle, today: dt.date, *, viewer_id: int = 0
) -> list[tuple[TeamRow, bool]]:
    """A page of ``team_rows`` records (all of ``cycle``) as (row, overdue) pairs,
    overdue as ``is_overdue`` says; ``viewer_id``: the viewer's employee id (the rows
    they review stand out). What the template shows of a row comes as text (a row costs
    ~0.15 ms to render; template lookups and number formatting were half of it)."""
    late = cycle.appraisal_deadline < today
    rows = []
    for r in records:
        reviewer = (
            "—"
            if r.reviewer__user__username is None
            else Employee.name_of(
                r.reviewer__user__first_name,
                r.reviewer__user__last_name,
                r.reviewer__user__username,
            )
        )
        row = TeamRow(
            pk=r.pk,
            key=str(r.pk),
            name=Employee.name_of(
                r.participation__employee__user__first_name,
                r.participation__employee__user__last_name,
                r.participation__employee__user__username,
            ),
            job_title=r.job_title,
            status=r.status,
            reviewer_id=r.reviewer_id,
            reviewer=reviewer,
            item_count=r.item_count,
            self_rated=r.self_rated,
            manager_rated=r.manager_rated,
            url=reverse("appraisal:appraisal-detail", args=[r.pk]),
            self_text=f"{r.self_rated} / {r.item_count}",
            manager_text=f"{r.manager_rated} / {r.item_count}",
            mine_to_review=r.status == S.MANAGER_REVIEW and r.reviewer_id == viewer_id,
        )
        rows.append((row, late and r.status in BEFORE_CALIBRATION))
    return rows


# --- To-dos -----------------------------------------------------------------------------------


def assessment_todos(viewer) -> list[Todo]:
    """Self-assessment to do (the person's own appraisal not yet submitted) and reviews to
    do (appraisals waiting for this reviewer), due the cycle's appraisal deadline. One
    query for both; none for someone with no participation in appraisal who reviews
    nobody there."""
    employee = viewer.employee
    if employee is None:
        return []
    own = viewer.own_participation_ids(Cycle.Phase.APPRAISAL)
    reviewed = viewer.reviewed_ids(Cycle.Phase.APPRAISAL)
    if not own and not reviewed:
        return []
    rows = list(
        Appraisal.objects.filter(
            Q(participation_id__in=own, status__in=SELF_OPEN)
            | Q(participation_id__in=reviewed, status=S.MANAGER_REVIEW, reviewer=employee)
        )
        .values("pk", "participation_id", "participation__cycle_id", "status")
        .order_by("pk")
    )
    deadlines = {p.pk: p.cycle.appraisal_deadline for p in viewer.participations}
    for row in viewer.reviewed:
        deadlines.setdefault(row["pk"], row["appraisal_deadline"])
    own_ids = set(own)
    todos = []
    for row in rows:
        if row["participation_id"] in own_ids and row["status"] in SELF_OPEN:
            todos.append(
                Todo(
                    title=_("Complete your self-assessment"),
                    url=reverse("appraisal:my-appraisal")
                    + f"?cycle={row['participation__cycle_id']}",
                    action=_("Self-assess"),
                    due=deadlines.get(row["participation_id"]),
                )
            )
    waiting: dict[int, list] = defaultdict(list)
    for row in rows:
        if row["status"] == S.MANAGER_REVIEW and row["participation_id"] not in own_ids:
            waiting[row["participation__cycle_id"]].append(row)
    url = reverse("appraisal:team-appraisals")
    for cycle_id, cycle_rows in sorted(waiting.items()):
        todos.append(
            Todo(
                title=ngettext(
                    "%(count)s appraisal waits for your review",
                    "%(count)s appraisals wait for your review",
                    len(cycle_rows),
                )
                % {"count": len(cycle_rows)},
                url=f"{url}?cycle={cycle_id}&status={S.MANAGER_REVIEW}&mine=1",
                action=_("Review appraisals"),
                due=deadlines.get(cycle_rows[0]["participation_id"]),
            )
        )
    return todos


# --- Removal guard ----------------------------------------------------------------------------


def removal_blockers(participation) -> list[str]:
    """A participant whose appraisal holds any rating cannot leave the cycle."""
    rated = AppraisalItem.objects.filter(appraisal__participation=participation).filter(
        Q(self_rating__isnull=False) | Q(manager_rating__isnull=False)
    )
    if rated.exists():
        return [_("has an appraisal with ratings")]
    return []
