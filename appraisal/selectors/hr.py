"""HR's pages of the appraisal: progress per department, the calibration board, the
overdue list, the appraisal lists they link to, and the cycle health line on HR's home.
HR only (the views check it): every query here reads the whole cycle. A few queries
per page, none per row or per person."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from appraisal import scoring
from appraisal.models import (
    Appraisal,
    AppraisalSettings,
    AppraisalStatus,
    CalibrationAdjustment,
    CalibrationSession,
)
from appraisal.services.calibration import descendants
from appraisal.services.closing import NOT_SUBMITTED, review_deadline, self_deadline
from appraisal.services.opening import settings_for
from perfcycle import rollups
from perfcycle.formatting import format_number
from perfcycle.models import Cycle, Department, Employee
from perfcycle.stages import Health

S = AppraisalStatus
SCORED = (S.CALIBRATION, S.FINALIZED)
# The board lists the reviewers whose tendency is flagged (else the furthest off), at most
# this many: an organisation has over a thousand reviewers.
TENDENCIES_SHOWN = 25
# How a status reads in HR's progress table, in the order of the columns.
PROGRESS_COLUMNS = (
    (S.NOT_STARTED, _("Not started")),
    (S.SELF_ASSESSMENT, _("Self-assessment in progress")),
    (S.MANAGER_REVIEW, _("Self done, with the manager")),
    (S.CALIBRATION, _("Manager done, in calibration")),
    (S.FINALIZED, _("Finalised")),
)


def appraisal_cycles():
    """Cycles that have reached appraisal, newest first."""
    return Cycle.objects.exclude(
        phase__in=[Cycle.Phase.PLANNING, Cycle.Phase.IMPLEMENTATION]
    ).order_by("-start_date", "-pk")


def choose_cycle(cycles, cycle_id: int | None):
    """The cycle asked for (None if not one of ``cycles``), else the one in appraisal,
    else the newest."""
    cycles = list(cycles)
    if cycle_id is not None:
        return next((c for c in cycles if c.pk == cycle_id), None), cycles
    in_appraisal = [c for c in cycles if c.phase == Cycle.Phase.APPRAISAL]
    return (in_appraisal or cycles or [None])[0], cycles


# --- Departments ---------------------------------------------------------------------------


@dataclass
class Tree:
    """The department tree in one query: names, and a department's sub-departments."""

    names: dict[int, str]
    children: dict[int | None, list[int]]

    @classmethod
    def load(cls) -> Tree:
        names, children = {}, {}
        for pk, name, parent in Department.objects.values_list("pk", "name", "parent_id"):
            names[pk] = name
            children.setdefault(parent, []).append(pk)
        return cls(names, children)

    def below(self, department_id: int) -> list[int]:
        return descendants(self.children, department_id)

    def choices(self) -> list[tuple[int, str]]:
        return sorted(self.names.items(), key=lambda item: item[1].lower())


def in_scope(cycle: Cycle, tree: Tree, department_id: int | None):
    qs = Appraisal.objects.filter(participation__cycle=cycle)
    if department_id is not None:
        qs = qs.filter(department_id__in=tree.below(department_id))
    return qs


# --- Progress ------------------------------------------------------------------------------


@dataclass
class ProgressRow:
    department_id: int | None
    name: str
    counts: list  # (status, label, count, url) per column
    total: int
    calibrated: int
    not_reviewed: int
    calibrated_url: str = ""
    not_reviewed_url: str = ""


def list_url(cycle: Cycle, *, department=None, status="", extra="", base: str = "") -> str:
    query = f"cycle={cycle.pk}"
    if department is not None:
        query += f"&department={department}"
    if status:
        query += f"&status={status}"
    if extra:
        query += f"&{extra}"
    return f"{base or reverse('appraisal:hr-appraisals')}?{query}"


# What the progress counts read: a write to any of them moves the stored copy's stamp.
PROGRESS_SOURCES = ("appraisal_appraisal", "appraisal_calibrationadjustment")


def progress_counts(cycle: Cycle) -> dict:
    """Per snapshot department, how many appraisals are at each status, finalised without
    a review, and calibrated (adjusted at least once): two queries, stored per cycle
    (perfcycle/rollups.py) until an appraisal or an adjustment changes."""

    def compute() -> dict:
        per_status = {
            f"n_{status}": Count("pk", filter=Q(status=status))
            for status, _label in PROGRESS_COLUMNS
        }
        rows = (
            Appraisal.objects.filter(participation__cycle=cycle)
            .order_by()
            .values("department_id", "department_name")
            .annotate(
                total=Count("pk"),
                not_reviewed=Count(
                    "pk", filter=Q(status=S.FINALIZED, manager_submitted_at__isnull=True)
                ),
                **per_status,
            )
        )
        adjusted = (
            CalibrationAdjustment.objects.filter(appraisal__participation__cycle=cycle)
            .order_by()
            .values("appraisal__department_id")
            .annotate(n=Count("appraisal_id", distinct=True))
            .values_list("appraisal__department_id", "n")
        )
        return {"rows": list(rows), "adjusted": [list(pair) for pair in adjusted]}

    return rollups.cached(f"appraisal.progress:{cycle.pk}", compute, sources=PROGRESS_SOURCES)


def progress_key(cycle: Cycle, rows: list[ProgressRow], total: ProgressRow) -> tuple:
    """Everything the progress table's rows show (perfcycle/fragments.py): the cycle (in
    every link), each row's department (its name and links) and numbers."""
    return (
        cycle.pk,
        tuple(
            (
                row.department_id,
                row.name,
                tuple(count for _status, _label, count, _url in row.counts),
                row.total,
                row.calibrated,
                row.not_reviewed,
            )
            for row in (*rows, total)
        ),
    )


def progress(cycle: Cycle) -> tuple[list[ProgressRow], ProgressRow]:
    """The progress table: a row per snapshot department (``progress_counts``) with the
    link of each number to its list, and the organisation's total."""
    counts = progress_counts(cycle)
    rows = counts["rows"]
    adjusted = dict(counts["adjusted"])
    base = reverse("appraisal:hr-appraisals")

    def row(department_id, name, values, calibrated) -> ProgressRow:
        return ProgressRow(
            department_id=department_id,
            name=name,
            counts=[
                (
                    status,
                    label,
                    values[f"n_{status}"],
                    list_url(cycle, department=department_id, status=status, base=base),
                )
                for status, label in PROGRESS_COLUMNS
            ],
            total=values["total"],
            calibrated=calibrated,
            not_reviewed=values["not_reviewed"],
            calibrated_url=list_url(
                cycle, department=department_id, extra="calibrated=1", base=base
            ),
            not_reviewed_url=list_url(
                cycle,
                department=department_id,
                status=S.FINALIZED,
                extra="not_reviewed=1",
                base=base,
            ),
        )

    result = [
        row(
            r["department_id"],
            r["department_name"] or _("No department"),
            r,
            adjusted.get(r["department_id"], 0),
        )
        for r in sorted(rows, key=lambda r: (r["department_name"] or "").lower())
    ]
    keys = ["total", "not_reviewed", *(f"n_{status}" for status, _label in PROGRESS_COLUMNS)]
    totals = {key: sum(r_[key] for r_ in rows) for key in keys}
    total = row(None, _("All departments"), totals, sum(adjusted.values()))
    return result, total


# --- Lists ---------------------------------------------------------------------------------


def hr_appraisal_list(
    cycle: Cycle, tree: Tree, *, department_id=None, status="", calibrated=False, not_reviewed=False
):
    """The lean queryset of a list HR opens from the progress table, sorted by person."""
    qs = in_scope(cycle, tree, department_id)
    if status in S.values:
        qs = qs.filter(status=status)
    if calibrated:
        qs = qs.filter(
            pk__in=CalibrationAdjustment.objects.filter(
                appraisal__participation__cycle=cycle
            ).values("appraisal_id")
        )
    if not_reviewed:
        qs = qs.filter(status=S.FINALIZED, manager_submitted_at__isnull=True)
    return qs.order_by("participation__employee__user__last_name", "pk")


def appraisal_rows():
    """What a row of HR's lists shows: the person, the reviewer, the cycle."""
    return Appraisal.objects.with_people()


# --- The calibration board -----------------------------------------------------------------


@dataclass
class BandRow:
    label: str
    value: int | None
    proposed: int
    proposed_percent: Decimal
    final: int
    final_percent: Decimal
    guideline_percent: Decimal | None


@dataclass
class Tendency:
    reviewer_id: int
    name: str
    count: int
    mean: Decimal
    spread: Decimal
    difference: Decimal
    flagged: bool


@dataclass
class Board:
    levels: list
    bands: list[BandRow]
    rated: int
    org_mean: Decimal | None
    org_spread: Decimal | None
    tendencies: list[Tendency] = field(default_factory=list)  # the ones shown
    reviewers: int = 0  # how many reviewers rated in the scope
    flagged: int = 0
    guideline_problem: str | None = None
    chart: dict | None = None
    # What the board is made of (its stored figures and the shown reviewers' names): two
    # boards with the same fingerprint read the same (the view renders its figures once).
    fingerprint: str = ""
    # The change log's stamp the figures were read with (perfcycle/rollups.py; None off
    # PostgreSQL): while it holds, nothing BOARD_SOURCES hold has changed, so neither has
    # a page of the list (the view keeps its rendered rows under it).
    stamp: tuple | None = None


# What the board's figures and its list read: a write to any of them moves the stored
# copy's stamp. The people's names are among them (perfcycle_user is tracked for its name
# columns only), so the shown reviewers' names are stored with the figures.
BOARD_SOURCES = (
    "appraisal_appraisal",
    "perfcycle_department",
    "perfcycle_participation",
    "perfcycle_employee",
    "perfcycle_user",
)


def board(cycle: Cycle, tree: Tree, department_id: int | None, guideline: list) -> Board:
    """The distribution of proposed (and calibrated) ratings per band in the scope against
    the cycle's guideline, and each reviewer's tendency against the organisation, by
    appraisal/scoring.py's rules (bands, distribution, rating_tendencies). The figures are
    stored (perfcycle/rollups.py) per cycle, scope, guideline and language until an
    appraisal, a department, a participation, the chart or a name changes, with the names
    of the reviewers shown: one query to read them. When they must be computed: one query
    for the scale's levels and every rating of the cycle with its reviewer's name (the
    organisation's figures and the scope's, picked out here), one to store them."""
    key = "appraisal.board:{}:{}:{}:{}".format(
        cycle.pk,
        department_id or "",
        get_language() or "",
        hashlib.sha1(json.dumps(guideline, default=str).encode()).hexdigest()[:16],
    )
    names: dict[int, str] = {}  # filled when computed here: no second read of them
    figures, stamp = rollups.cached_with_stamp(
        key,
        lambda: board_figures(cycle, tree, department_id, guideline, names=names),
        sources=BOARD_SOURCES,
    )
    stored = {int(pk): name for pk, name in figures.get("names", {}).items()}
    result = board_of(figures, names=names or stored)
    shown = [(t.reviewer_id, t.name) for t in result.tendencies]
    result.fingerprint = hashlib.sha1(
        json.dumps([figures, shown], sort_keys=True, default=str).encode()
    ).hexdigest()
    result.stamp = stamp
    return result


RATINGS_SQL = """
(SELECT 0, a.scale_levels, NULL::numeric, NULL::numeric, NULL::bigint, NULL::bigint,
        NULL, NULL, NULL
 FROM appraisal_appraisal AS a
 JOIN perfcycle_participation AS p ON p.id = a.participation_id
 WHERE p.cycle_id = %s AND a.scale_levels <> '[]'::jsonb
 ORDER BY a.id LIMIT 1)
UNION ALL
(SELECT 1, NULL, a.proposed_score, a.final_score, a.department_id, a.reviewer_id,
        u.first_name, u.last_name, u.username
 FROM appraisal_appraisal AS a
 JOIN perfcycle_participation AS p ON p.id = a.participation_id
 LEFT JOIN perfcycle_employee AS e ON e.id = a.reviewer_id
 LEFT JOIN perfcycle_user AS u ON u.id = e.user_id
 WHERE p.cycle_id = %s AND a.status = ANY(%s) AND a.proposed_score IS NOT NULL)
"""


def _ratings(cycle: Cycle):
    """The scale's levels of the cycle (its first appraisal's snapshot) and every rating:
    (proposed, final, department, reviewer, the reviewer's (first name, last name,
    username) or None). One query on
    PostgreSQL (reviewers' names read with the ratings), three elsewhere."""
    if not rollups.enabled():
        levels = (
            Appraisal.objects.filter(participation__cycle=cycle)
            .exclude(scale_levels=[])
            .order_by("pk")
            .values_list("scale_levels", flat=True)
            .first()
        ) or []
        rows = [
            (*row, None)
            for row in Appraisal.objects.filter(
                participation__cycle=cycle, status__in=SCORED, proposed_score__isnull=False
            ).values_list("proposed_score", "final_score", "department_id", "reviewer_id")
        ]
        return levels, rows
    levels, rows = [], []
    with connection.cursor() as cursor:
        cursor.execute(RATINGS_SQL, [cycle.pk, cycle.pk, list(SCORED)])
        for kind, snapshot, proposed, final, dept, reviewer, first, last, username in cursor:
            if kind == 0:
                levels = json.loads(snapshot) if isinstance(snapshot, str) else snapshot
                continue
            user = None if username is None else (first, last, username)
            rows.append((proposed, final, dept, reviewer, user))
    return levels, rows


def board_figures(
    cycle: Cycle, tree: Tree, department_id: int | None, guideline: list, *, names: dict
) -> dict:
    """The board's figures as JSON (decimals as strings, names left out: the shown
    reviewers' names are put in ``names`` when read with the ratings)."""
    levels, rows = _ratings(cycle)
    if not levels:
        return {"levels": []}
    scale = scoring.Scale.of(levels)
    in_force = scoring.bands(scale)
    wanted = None if department_id is None else set(tree.below(department_id))
    everyone: list[Decimal] = []
    proposed: list[Decimal] = []
    final: list[Decimal] = []
    by_reviewer: dict[int, list[Decimal]] = defaultdict(list)
    users: dict[int, tuple] = {}
    for proposed_score, final_score, dept, reviewer_id, user in rows:
        everyone.append(proposed_score)
        if wanted is not None and dept not in wanted:
            continue
        proposed.append(proposed_score)
        final.append(final_score if final_score is not None else proposed_score)
        if reviewer_id is not None:
            by_reviewer[reviewer_id].append(proposed_score)
            if user is not None:
                users[reviewer_id] = user
    before = scoring.distribution(proposed, in_force, guideline)
    after = scoring.distribution(final, in_force, guideline)
    org, found = scoring.rating_tendencies(by_reviewer, organisation=everyone)
    found.sort(key=lambda t: (not t.flagged, -abs(t.difference or 0), t.manager))
    shown = ([t for t in found if t.flagged] or found)[:TENDENCIES_SHOWN]
    if rollups.enabled():  # the names came with the ratings
        names.update({t.manager: _full_name(users.get(t.manager)) for t in shown})
    return {
        "levels": levels,
        "bands": [
            {
                "label": row.band.label,
                "value": row.band.level,
                "proposed": row.count,
                "proposed_percent": _str(row.percent),
                "final": calibrated.count,
                "final_percent": _str(calibrated.percent),
                "guideline_percent": _str(row.guideline),
            }
            for row, calibrated in zip(before.rows, after.rows, strict=True)
        ],
        "rated": before.scored,
        "org_mean": _str(_dec(org.mean)),
        "org_spread": _str(_dec(org.std_dev)),
        "tendencies": [
            {
                "reviewer_id": t.manager,
                "count": t.spread.count,
                "mean": _str(_dec(t.spread.mean)),
                "spread": _str(_dec(t.spread.std_dev)),
                "difference": _str(_dec(t.difference)),
                "flagged": t.flagged,
            }
            for t in shown
        ],
        "reviewers": len(found),
        "flagged": sum(t.flagged for t in found),
        "guideline_problem": before.guideline_problem,
        # The shown reviewers' names (JSON keys are text), when read with the ratings.
        "names": {str(pk): name for pk, name in names.items()},
    }


def _full_name(user: tuple | None) -> str:
    return "" if user is None else Employee.name_of(*user)


def board_of(figures: dict, *, names: dict) -> Board:
    """The Board from its stored figures, with the shown reviewers' names (``names``, else
    one query)."""
    if not figures["levels"]:
        return Board(
            levels=[],
            bands=[],
            rated=0,
            org_mean=None,
            org_spread=None,
            chart=distribution_chart([]),
        )
    bands = [
        BandRow(
            label=row["label"],
            value=row["value"],
            proposed=row["proposed"],
            proposed_percent=_decimal(row["proposed_percent"]),
            final=row["final"],
            final_percent=_decimal(row["final_percent"]),
            guideline_percent=_decimal(row["guideline_percent"]),
        )
        for row in figures["bands"]
    ]
    shown = figures["tendencies"]
    if not names:
        names = {
            pk: Employee.name_of(*user)
            for pk, *user in Employee.objects.filter(
                pk__in=[t["reviewer_id"] for t in shown]
            ).values_list("pk", "user__first_name", "user__last_name", "user__username")
        }
    return Board(
        levels=list(scoring.Scale.of(figures["levels"]).levels),
        bands=bands,
        rated=figures["rated"],
        org_mean=_decimal(figures["org_mean"]),
        org_spread=_decimal(figures["org_spread"]),
        tendencies=[
            Tendency(
                reviewer_id=t["reviewer_id"],
                name=names.get(t["reviewer_id"], ""),
                count=t["count"],
                mean=_decimal(t["mean"]),
                spread=_decimal(t["spread"]),
                difference=_decimal(t["difference"]),
                flagged=t["flagged"],
            )
            for t in shown
        ],
        reviewers=figures["reviewers"],
        flagged=figures["flagged"],
        guideline_problem=figures["guideline_problem"],
        chart=distribution_chart(bands),
    )


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def distribution_chart(bands: list[BandRow], *, width=480, height=200) -> dict:
    """SVG geometry of grouped bars (proposed, calibrated) per band with the guideline as
    a tick; every coordinate a ready string. The table beside it carries the numbers."""
    left, bottom, top = 32, 28, 8
    plot_h = height - bottom - top
    slot = (width - left) / max(len(bands), 1)
    bar = slot / 4
    peak = max(
        [
            50,
            *(float(b.proposed_percent) for b in bands),
            *(float(b.final_percent) for b in bands),
            *(float(b.guideline_percent or 0) for b in bands),
        ]
    )

    def y(percent) -> float:
        return top + plot_h - plot_h * float(percent) / peak

    groups = []
    for index, band in enumerate(bands):
        x0 = left + index * slot + bar / 2
        groups.append(
            {
                "label": band.label,
                "label_x": f"{left + index * slot + slot / 2:.1f}",
                "bars": [
                    {
                        "kind": kind,
                        "x": f"{x0 + offset * bar:.1f}",
                        "y": f"{y(percent):.1f}",
                        "height": f"{top + plot_h - y(percent):.1f}",
                        "percent": percent,
                    }
                    for offset, (kind, percent) in enumerate(
                        (("proposed", band.proposed_percent), ("final", band.final_percent))
                    )
                ],
                "guide_y": None
                if band.guideline_percent is None
                else f"{y(band.guideline_percent):.1f}",
                "guide_x1": f"{x0:.1f}",
                "guide_x2": f"{x0 + 2 * bar:.1f}",
            }
        )
    return {
        "width": width,
        "height": height,
        "bar": f"{bar:.1f}",
        "base_y": f"{top + plot_h:.1f}",
        "label_y": f"{height - 8:.1f}",
        "left": left,
        "groups": groups,
        "peak": round(peak),
        "peak_y": f"{top:.1f}",
    }


def board_rows(cycle: Cycle, tree: Tree, department_id: int | None):
    """The lean list of the board (the rated ones: as many as ``Board.rated``), highest
    score first."""
    return (
        in_scope(cycle, tree, department_id)
        .filter(status__in=SCORED, proposed_score__isnull=False)
        .order_by(F("final_score").desc(nulls_last=True), "pk")
    )


# What a row of the board's list reads (``board_row_details``), in the order of ScoreRow.
ROW_FIELDS = (
    "pk",
    "status",
    "self_locked_at_deadline",
    "manager_submitted_at",
    "version",
    "department_name",
    "proposed_score",
    "final_score",
    "final_band",
    "participation__employee__user__first_name",
    "participation__employee__user__last_name",
    "participation__employee__user__username",
    "reviewer__user__first_name",
    "reviewer__user__last_name",
    "reviewer__user__username",
)


def board_row_details():
    """What a row of the board's list shows, as values (``ROW_FIELDS``): the person, the
    reviewer, the scores, what the status badge and the adjust form read. No model
    instances (six a row with the people) and no JSON snapshots; ``score_rows`` turns a
    page of them into ScoreRows."""
    return Appraisal.objects.values_list(*ROW_FIELDS, named=True)


@dataclass
class ScoreRow:
    """A row of the board's list, its numbers formatted. Read by the status badge
    (appraisal_status_badge.html) as an appraisal is."""

    pk: int
    key: str  # the id as text: the row's and its form's attributes
    name: str
    status: str
    self_locked_at_deadline: bool
    manager_submitted_at: dt.datetime | None
    version: int
    department_name: str
    reviewer: str  # the reviewer's name, "—" for none
    proposed: str  # "—" for none
    final: str
    final_band: str  # "—" for none

    def get_status_display(self) -> str:
        return S(self.status).label


def score_rows(records) -> list[ScoreRow]:
    """The ScoreRows of a page of ``board_row_details`` records."""
    numbers: dict = {}  # a page repeats scores: each formatted once

    def number(value) -> str:
        if value is None:
            return "—"
        text = numbers.get(value)
        if text is None:
            text = numbers[value] = format_number(value, decimal_places=2)
        return text

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
        rows.append(
            ScoreRow(
                pk=r.pk,
                key=str(r.pk),
                name=Employee.name_of(
                    r.participation__employee__user__first_name,
                    r.participation__employee__user__last_name,
                    r.participation__employee__user__username,
                ),
                status=r.status,
                self_locked_at_deadline=r.self_locked_at_deadline,
                manager_submitted_at=r.manager_submitted_at,
                version=r.version,
                department_name=r.department_name,
                reviewer=reviewer,
                proposed=number(r.proposed_score),
                final=number(r.final_score),
                final_band=r.final_band or "—",
            )
        )
    return rows


def session_of(cycle: Cycle, department_id: int | None) -> CalibrationSession | None:
    qs = CalibrationSession.objects.filter(cycle=cycle)
    if department_id is None:
        return qs.filter(department__isnull=True).first()
    return qs.filter(department_id=department_id).first()


# --- Overdue -------------------------------------------------------------------------------


def overdue_q(cycle: Cycle, settings: AppraisalSettings, today: dt.date) -> Q:
    """Self-assessments not submitted after their deadline, reviews not submitted after
    theirs (before the deadline task locks the first: it runs once a night)."""
    condition = Q(pk__in=[])
    if self_deadline(cycle, settings) < today:
        condition |= Q(status__in=NOT_SUBMITTED)
    if review_deadline(cycle, settings) < today:
        condition |= Q(status=S.MANAGER_REVIEW)
    return condition


def overdue(cycle: Cycle, today: dt.date):
    """The lean overdue list of a cycle in appraisal, by person."""
    if cycle.phase != Cycle.Phase.APPRAISAL:
        return Appraisal.objects.none()
    settings = settings_for(cycle)
    return (
        Appraisal.objects.filter(participation__cycle=cycle)
        .filter(overdue_q(cycle, settings, today))
        .order_by("participation__employee__user__last_name", "pk")
    )


# --- HR home: the cycle's health -----------------------------------------------------------


def appraisal_health(cycle: Cycle, *, today: dt.date) -> list[Health]:
    """Self-assessments submitted and manager reviews done, of all appraisals, with what
    is overdue; finalised (and not reviewed) once the cycle has left appraisal. Two
    queries (the settings, the counts)."""
    if cycle.phase == Cycle.Phase.APPRAISAL:
        settings = settings_for(cycle)
        self_late = self_deadline(cycle, settings) < today
        review_late = review_deadline(cycle, settings) < today
    elif cycle.phase in (Cycle.Phase.FEEDBACK, Cycle.Phase.APPLICATION):
        self_late = review_late = False
    else:
        return []
    counts = Appraisal.objects.filter(participation__cycle=cycle).aggregate(
        total=Count("pk"),
        self_done=Count("pk", filter=~Q(status__in=NOT_SUBMITTED)),
        self_open=Count("pk", filter=Q(status__in=NOT_SUBMITTED)),
        review_done=Count("pk", filter=Q(status__in=SCORED, manager_submitted_at__isnull=False)),
        review_open=Count("pk", filter=Q(status=S.MANAGER_REVIEW)),
        finalised=Count("pk", filter=Q(status=S.FINALIZED)),
        not_reviewed=Count("pk", filter=Q(status=S.FINALIZED, manager_submitted_at__isnull=True)),
    )
    if not counts["total"]:
        return []
    progress_url = f"{reverse('appraisal:hr-progress')}?cycle={cycle.pk}"
    overdue_url = f"{reverse('appraisal:hr-overdue')}?cycle={cycle.pk}"
    if cycle.phase == Cycle.Phase.APPRAISAL:
        return [
            Health(
                key="appraisal_self",
                label=_("Self-assessments submitted"),
                url=overdue_url if self_late and counts["self_open"] else progress_url,
                done=counts["self_done"],
                total=counts["total"],
                overdue=counts["self_open"] if self_late else 0,
            ),
            Health(
                key="appraisal_reviews",
                label=_("Manager reviews done"),
                url=overdue_url if review_late and counts["review_open"] else progress_url,
                done=counts["review_done"],
                total=counts["total"],
                overdue=counts["review_open"] if review_late else 0,
            ),
        ]
    return [
        Health(
            key="appraisal_finalised",
            label=_("Appraisals finalised"),
            url=progress_url,
            done=counts["finalised"],
            total=counts["total"],
            parts=(
                (
                    _("not reviewed"),
                    counts["not_reviewed"],
                    list_url(cycle, status=S.FINALIZED, extra="not_reviewed=1"),
                ),
            )
            if counts["not_reviewed"]
            else (),
        )
    ]
