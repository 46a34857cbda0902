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
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, JSONField, Q
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.text import Truncator
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

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
from perfcycle.compiled import CompiledQuery
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


# The queries every appraisal page runs, their SQL built once per connection
# (perfcycle/compiled.py): through the ORM, building them (the joins of ``with_people``,
# the items' goals, the citations' evidence) cost more CPU than PostgreSQL's answers.
# order_by(): no ORDER BY to compile for one row (first()'s costs ~1 ms with the joins).
_appraisal_row = CompiledQuery(lambda pk: Appraisal.objects.with_people().filter(pk=pk).order_by())
# The person's own appraisals (the read rule lets the appraisee read their own: SELF is in
# READ); one per cycle, which running_first orders fully: no ORDER BY through the joins.
_appraisals_of = CompiledQuery(
    lambda employee_id: (
        Appraisal.objects.filter(participation__employee_id=employee_id).with_people().order_by()
    )
)


# The relations told from an appraisal's own row, without a query: most reads of an
# appraisal (and of its evidence) are by the person, their reviewer or HR.
NEAR = Relation.SELF | Relation.REVIEWER | Relation.HR


def get_appraisal_for(user, appraisal_id) -> Appraisal:
    """The appraisal if ``user`` reads it (APPRAISAL's read rule), else 404. The person,
    the reviewer and HR are told from the row read by its pk; anyone else (the chain above)
    through the rule's query. (Compiling and planning that query, the reporting chain's
    UNION of subqueries, cost ~5 ms of CPU and ~2–7 ms of planning a page.)"""
    found = _appraisal_row(int(appraisal_id))
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


_items_of = CompiledQuery(
    lambda appraisal_id: (
        AppraisalItem.objects.filter(appraisal_id=appraisal_id)
        .exclude(section=SectionKind.PEER)
        .select_related("goal__cycle", "goal__indicator")
        .order_by("position", "pk")
    )
)
# Every citation of the appraisal's items with its evidence, oldest work first (a prefetch
# cannot be compiled; the peer item has none).
_citations_of = CompiledQuery(
    lambda appraisal_id: (
        ItemEvidence.objects.filter(item__appraisal_id=appraisal_id)
        .select_related("evidence")
        .order_by("evidence__occurred_on", "pk")
    )
)


def assessment_items(appraisal: Appraisal) -> list[AppraisalItem]:
    """The items rated by the person and the manager (not the peer section's), with
    their goal and their citations (each with its evidence): two queries."""
    items = _items_of(appraisal.pk)
    cite_items(appraisal.pk, items)
    # Each rating as its pages show it ("3 · Meets expectations"; "" for a value outside
    # the scale), looked up once here rather than by a loop over the levels per item.
    shown = {
        level["value"]: f"{localize(level['value'])} · {level['label']}"
        for level in appraisal.scale_levels
    }
    for item in items:
        item.self_level = shown.get(item.self_rating, "")
        item.manager_level = shown.get(item.manager_rating, "")
    return items


def cite_items(appraisal_id: int, items) -> None:
    """Put on each of the appraisal's ``items`` the evidence cited for it, oldest work
    first: ``self_cited`` by the person, ``manager_cited`` by the reviewer. One query."""
    cited: dict[int, list] = defaultdict(list)
    for citation in _citations_of(appraisal_id):
        cited[citation.item_id].append(citation)
    for item in items:
        citations = cited.get(item.pk, ())
        item.self_cited = [c.evidence for c in citations if c.cited_by == CitedBy.SELF]
        item.manager_cited = [c.evidence for c in citations if c.cited_by == CitedBy.MANAGER]


# An item's citations as one column of its row, oldest work first, each [cited by,
# evidence id, title]: for a page that shows only their links (My result's breakdown),
# the items and their citations in one query instead of two (``cited_from_rows``).
def cited_column() -> RawSQL:
    """The ``cited`` column (for a queryset built on the connection in use)."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT COALESCE(jsonb_agg(jsonb_build_array(c.cited_by, e.id, e.title)"
            " ORDER BY e.occurred_on, c.id), '[]')"
            " FROM appraisal_itemevidence AS c"
            " JOIN implementation_evidence AS e ON e.id = c.evidence_id"
            ' WHERE c.item_id = "appraisal_appraisalitem"."id"'
        )
    else:  # SQLite (make run's default): the same array, from an ordered subquery
        sql = (
            "SELECT json_group_array(json_array(cited_by, id, title)) FROM"
            " (SELECT c.cited_by, e.id, e.title FROM appraisal_itemevidence AS c"
            " JOIN implementation_evidence AS e ON e.id = c.evidence_id"
            ' WHERE c.item_id = "appraisal_appraisalitem"."id" ORDER BY e.occurred_on, c.id)'
        )
    return RawSQL(sql, (), output_field=JSONField())


def cited_from_rows(items) -> None:
    """As ``cite_items``, from each item's ``cited`` column (``cited_column``), no query: the
    evidence with its id and title only (any other field is deferred)."""
    for item in items:
        item.self_cited, item.manager_cited = [], []
        for cited_by, pk, title in item.cited:
            evidence = Evidence.from_db("default", ["id", "title"], (pk, title))
            if cited_by == CitedBy.SELF:
                item.self_cited.append(evidence)
            elif cited_by == CitedBy.MANAGER:
                item.manager_cited.append(evidence)


def _evidence_of(records, participation_id):
    return (
        records.filter(participation_id=participation_id)
        .select_related("goal")
        .order_by("-occurred_on", "-pk")
    )


_all_evidence_of = CompiledQuery(
    lambda participation_id: _evidence_of(Evidence.objects.all(), participation_id)
)


def citable_evidence(user, appraisal: Appraisal):
    """The person's evidence of this participation that ``user`` may cite (and read): all
    of it for the person, their reviewer and HR (relations the evidence read rule holds on
    the whole participation: no scope query to build, and the SQL compiled once), else
    what the rule lets them read."""
    near = access.relations_of(user, appraisal.participation, NEAR) & EVIDENCE.read
    if near:
        return _all_evidence_of(appraisal.participation_id)
    return _evidence_of(evidence_visible_to(user), appraisal.participation_id)


def levels(appraisal: Appraisal) -> list[dict]:
    return list(appraisal.scale_levels)


def level_label(appraisal: Appraisal, value) -> str:
    for level in appraisal.scale_levels:
        if level["value"] == value:
            return level["label"]
    return ""


@dataclass(frozen=True)
class GoalContext:
    """What the review page shows beside a goal: its progress chart and, as the text
    shown, its progress table (as of, actual, expected), the check-ins that reported on it
    (link, period, value reported or None, note) and its deviations (link, detected on,
    severity, status, corrective action shortened). ``key``: everything it is made of (the
    language, the day, the goal's fields and rows read), so that two equal keys show the
    same: kept per key in this process, shared between requests (never changed)."""

    key: tuple
    chart: object
    points: tuple[tuple[str, str, str], ...]
    checkins: tuple[tuple[str, str, str | None, str], ...]
    deviations: tuple[tuple[str, str, str, str, str], ...]


# The newest GoalContexts, per key: a goal's chart and texts cost ~0.5–1 ms to compute and
# change only when its progress, check-ins or deviations do (or the day).
CONTEXTS_KEPT = 256
_contexts: OrderedDict = OrderedDict()


def _url_of(name: str):
    """pk → the URL of the route ``name`` (one ``<int:pk>`` argument), from one reverse():
    a page of a few dozen links spends ~50 µs on each reverse()."""
    marker = str(2**62)
    prefix, suffix = reverse(name, args=[marker]).split(marker)
    return lambda pk: f"{prefix}{pk}{suffix}"


# The goals' progress updates (oldest first), the check-ins that reported on them and their
# deviations (newest first), in one query: as progress_updates_of, without the recorder and
# check-in the page does not show. The goal ids go as a PostgreSQL array, so the SQL is the
# same for any number of goals.
GOAL_ROWS_SQL = """
SELECT * FROM (
  SELECT 0 AS part, u.goal_id, u.id, u.recorded_on AS day, NULL::date AS day_end,
         u.value AS number, NULL::text AS text1, NULL::text AS text2, NULL::text AS text3,
         NULL::bigint AS checkin_id
  FROM implementation_progressupdate AS u WHERE u.goal_id = ANY(%(ids)s::bigint[])
  UNION ALL
  SELECT 1, p.goal_id, p.id, c.period_start, c.period_end, p.actual_value, p.note, NULL, NULL,
         p.checkin_id
  FROM implementation_checkingoalprogress AS p
  JOIN implementation_checkin AS c ON c.id = p.checkin_id
  WHERE p.goal_id = ANY(%(ids)s::bigint[])
  UNION ALL
  SELECT 2, d.goal_id, d.id, d.detected_on, NULL, NULL, d.severity, d.status,
         d.corrective_action, NULL
  FROM implementation_deviation AS d WHERE d.goal_id = ANY(%(ids)s::bigint[])
) AS r
ORDER BY part, CASE WHEN part = 0 THEN day END, CASE WHEN part <> 0 THEN day END DESC,
         CASE WHEN part = 0 THEN id END, CASE WHEN part <> 0 THEN id END DESC
"""


def _goal_rows_elsewhere(ids: list[int]) -> list[tuple]:
    """GOAL_ROWS_SQL's rows, in its order, read with three ORM queries."""
    updates = ProgressUpdate.objects.filter(goal_id__in=ids).order_by("recorded_on", "pk")
    reported = CheckinGoalProgress.objects.filter(goal_id__in=ids).order_by(
        "-checkin__period_start", "-pk"
    )
    found = Deviation.objects.filter(goal_id__in=ids).order_by("-detected_on", "-pk")
    return [
        *(
            (0, goal, pk, day, None, value, None, None, None, None)
            for goal, pk, day, value in updates.values_list("goal_id", "pk", "recorded_on", "value")
        ),
        *(
            (1, goal, pk, start, end, value, note, None, None, checkin)
            for goal, pk, start, end, value, note, checkin in reported.values_list(
                "goal_id",
                "pk",
                "checkin__period_start",
                "checkin__period_end",
                "actual_value",
                "note",
                "checkin_id",
            )
        ),
        *(
            (2, goal, pk, day, None, None, severity, status, action, None)
            for goal, pk, day, severity, status, action in found.values_list(
                "goal_id", "pk", "detected_on", "severity", "status", "corrective_action"
            )
        ),
    ]


def _goal_rows(ids: list[int]):
    """({goal id: progress updates}, {goal id: check-in rows}, {goal id: deviation rows}):
    the updates as ProgressUpdates (their goal, value and day), the check-ins as (goal id,
    check-in id, period start, period end, value reported, note), the deviations as (id,
    goal id, detected on, severity, status, corrective action)."""
    updates: dict[int, list] = {pk: [] for pk in ids}
    checkins: dict[int, list] = defaultdict(list)
    deviations: dict[int, list] = defaultdict(list)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(GOAL_ROWS_SQL, {"ids": ids})
            rows = cursor.fetchall()
    else:  # SQLite (make run's default): the same rows, typed, through the ORM
        rows = _goal_rows_elsewhere(ids)
    for part, goal_id, pk, day, day_end, number, text1, text2, text3, checkin_id in rows:
        if part == 0:
            updates[goal_id].append(
                ProgressUpdate(id=pk, goal_id=goal_id, recorded_on=day, value=number)
            )
        elif part == 1:
            checkins[goal_id].append((goal_id, checkin_id, day, day_end, number, text1))
        else:
            deviations[goal_id].append((pk, goal_id, day, text1, text2, text3))
    return updates, checkins, deviations


def goal_contexts(items, *, today: dt.date) -> dict[int, GoalContext]:
    """{goal id: GoalContext} for the goal items: one query, however many goals. What a
    context is made of is its key; only a context not kept yet is computed and written out
    as text."""
    goals = [item.goal for item in items if item.goal_id]
    if not goals:
        return {}
    updates, checkins, deviations = _goal_rows([g.pk for g in goals])
    language = get_language()
    texts = _Texts()
    contexts = {}
    for goal in goals:
        cycle = goal.cycle
        key = (
            language,
            today,
            goal.pk,
            goal.title,
            goal.baseline,
            goal.target,
            goal.due_date,
            cycle.start_date,
            cycle.implementation_deadline,
            goal.indicator.direction if goal.indicator_id else None,
            tuple((u.recorded_on, u.value) for u in updates[goal.pk]),
            tuple(checkins[goal.pk]),
            tuple(deviations[goal.pk]),
        )
        context = _contexts.get(key)
        if context is None:
            context = _contexts[key] = _goal_context(
                goal, key, today=today, updates=updates[goal.pk], texts=texts
            )
            while len(_contexts) > CONTEXTS_KEPT:
                _contexts.popitem(last=False)
        else:
            _contexts.move_to_end(key)
        contexts[goal.pk] = context
    return contexts


class _Texts:
    """The texts of one page's goal contexts: the goals of one person share their check-in
    periods and many values, so each is formatted once (~10–20 µs each)."""

    def __init__(self):
        self.period = functools.cache(format_date_range)
        self.number = functools.cache(format_number)
        self.checkin_url = _url_of("implementation:checkin-detail")
        self.deviation_url = _url_of("implementation:deviation-detail")


def _goal_context(goal, key, *, today: dt.date, updates, texts: _Texts) -> GoalContext:
    *_, checkin_rows, deviation_rows = key
    progress = goal_progress(goal, today=today, updates=updates)
    number = texts.number
    return GoalContext(
        key=key,
        chart=progress.chart,
        points=tuple(
            (
                format_date(point.update.recorded_on),
                number(point.update.value),
                "—" if point.expected is None else number(point.expected),
            )
            for point in progress.points
        ),
        checkins=tuple(
            (
                texts.checkin_url(checkin_id),
                texts.period(start, end),
                None if actual is None else number(actual),
                note,
            )
            for _goal_id, checkin_id, start, end, actual, note in checkin_rows
        ),
        deviations=tuple(
            (
                texts.deviation_url(pk),
                format_date(detected_on),
                _choice_label(Severity, severity),
                _choice_label(DeviationStatus, status),
                Truncator(action).chars(120) if action else "",
            )
            for pk, _goal_id, detected_on, severity, status, action in deviation_rows
        ),
    )


def _choice_label(choices, value) -> str:
    # As get_FOO_display(): a value outside the choices is shown as it is.
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# --- My appraisal ----------------------------------------------------------------------------


def my_appraisal(user, cycle_id: int | None):
    """(the appraisal shown, every appraisal of the person for the cycle picker, newest
    cycle first): the one in ``cycle_id`` (404 if the person has none there), else the
    newest."""
    employee = access.employee_of(user)
    rows = [] if employee is None else _appraisals_of(employee.pk)
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
