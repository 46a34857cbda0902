"""What the consensus pages read: the employee's result and answer, the disputes a
manager decides or whose ratings they gave, HR's open disputes, and the to-dos.

Every answer and dispute is fetched through ``acknowledgements_visible_to`` /
``disputes_visible_to`` (feedback/policies.py: the employee, the reviewer, the reviewer's
manager, the chain above and HR): anything else is a 404. The interview record shown to
the employee is the record's own fields only — never a preparation note (those are read
by their author alone, feedback/policies.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Count, F, JSONField, Min, Q, Value, When
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisal.models import Appraisal, AppraisalItem
from appraisal.selectors.assessment import cited_column, cited_from_rows
from feedback.models import (
    Acknowledgement,
    AcknowledgementStatus,
    Dispute,
    DisputeStatus,
    Interview,
    InterviewStatus,
    RootCause,
)
from feedback.policies import ACKNOWLEDGEMENT, DISPUTE
from feedback.selectors.todos import rows_for
from feedback.services.consensus import may_dispute_more, may_resolve
from goals.models import SectionKind
from perfcycle import access
from perfcycle.compiled import CompiledQuery
from perfcycle.models import Cycle, Employee
from perfcycle.paging import RowsOfIds
from perfcycle.selectors import Todo
from perfcycle.stages import Health, running_first

A = AcknowledgementStatus


def acknowledgements_visible_to(user):
    return Acknowledgement.objects.filter(ACKNOWLEDGEMENT.readable(user))


def disputes_visible_to(user):
    return Dispute.objects.filter(DISPUTE.readable(user))


# What the lists show of a dispute: the person, the cycle, the item and who decides (not
# the reviewer: each join costs the planner more than reading the rows, ~7 ms for all ten
# tables against ~1.6 ms for these eight at 10,000 people).
LIST_ROWS = (
    "item",
    "participation__employee__user",
    "participation__cycle",
    "resolver__user",
)


@dataclass
class _Named:
    name: str = ""
    title: str = ""
    full_name: str = ""


@dataclass
class _Participation:
    employee: _Named
    cycle: _Named


@dataclass
class DisputeRow:
    """One row of a list of disputes, as the lists' templates read a dispute."""

    pk: int
    status: str
    opened_at: dt.datetime
    due_date: dt.date
    rating_before: int | None
    rating_after: int | None
    item: _Named
    participation: _Participation
    resolver: _Named | None

    def get_status_display(self):
        return DisputeStatus(self.status).label


def _dispute_row(values: dict) -> DisputeRow:
    resolver = None
    if values["resolver_id"] is not None:
        resolver = _Named(full_name=Employee.name_in(values, "resolver"))
    return DisputeRow(
        pk=values["pk"],
        status=values["status"],
        opened_at=values["opened_at"],
        due_date=values["due_date"],
        rating_before=values["rating_before"],
        rating_after=values["rating_after"],
        item=_Named(title=values["item__title"]),
        participation=_Participation(
            employee=_Named(full_name=Employee.name_in(values, "participation__employee")),
            cycle=_Named(name=values["participation__cycle__name"]),
        ),
        resolver=resolver,
    )


# The lists' rows of a page's ids as values, their SQL built once (perfcycle/paging.py):
# what LIST_ROWS joins, without the eight model instances a row (the item's wide row
# among them).
dispute_rows = RowsOfIds(
    lambda: Dispute.objects.values(
        "pk",
        "status",
        "opened_at",
        "due_date",
        "rating_before",
        "rating_after",
        "resolver_id",
        "item__title",
        "participation__cycle__name",
        *(
            f"{person}__{name}"
            for person in ("participation__employee", "resolver")
            for name in Employee.NAME_VALUES
        ),
    ),
    row=_dispute_row,
)


# The dispute page's row, its SQL built once (perfcycle/compiled.py): the dispute with what
# the page shows and its appraisal (the scale, the rating's author), in one query.
_dispute_page_row = CompiledQuery(
    lambda dispute_id: Dispute.objects.select_related(*LIST_ROWS, "appraisal").filter(pk=dispute_id)
)


def get_dispute_for(user, dispute_id: int) -> Dispute:
    """A dispute the user reads (feedback/policies.py) or is asked to decide (the routed
    resolver keeps it even if the chart changed since); anything else is a 404.

    Read by its id, then the rule asked of its one participation (``DISPUTE.may_read``:
    the relations that cost no query first): the same people as filtering by the read
    rule, without building every participation the user may read (a VP's 7,000: ~12 ms)."""
    rows = _dispute_page_row(int(dispute_id))
    if not rows:
        raise Http404
    dispute = rows[0]
    employee = access.employee_of(user)
    routed = employee is not None and dispute.resolver_id == employee.pk
    if not routed and not DISPUTE.may_read(user, dispute.participation):
        raise Http404
    appraisal = dispute.appraisal
    if appraisal.participation_id == dispute.participation_id:
        appraisal.participation = dispute.participation
    return dispute


# --- The employee's result -------------------------------------------------------------------


# The root causes recorded at an appraisal's interview, as one column of its row
# ([id, name] each, in HR's order): My result shows their names.
def _causes_column() -> RawSQL:
    joins = (
        " FROM feedback_interview AS i"
        " JOIN feedback_interview_root_causes AS r ON r.interview_id = i.id"
        " JOIN feedback_rootcause AS c ON c.id = r.rootcause_id"
        ' WHERE i.appraisal_id = "appraisal_appraisal"."id"'
    )
    if connection.vendor == "postgresql":
        sql = (
            "SELECT COALESCE(jsonb_agg(jsonb_build_array(c.id, c.name)"
            f" ORDER BY c.position, c.name), '[]'){joins}"
        )
    else:  # SQLite (make run's default): the same array, from an ordered subquery
        sql = (
            "SELECT json_group_array(json_array(id, name)) FROM"
            f" (SELECT c.id, c.name{joins} ORDER BY c.position, c.name)"
        )
    return RawSQL(sql, (), output_field=JSONField())


# The reads of "My result" (one appraisal, by id), their SQL built once per process and
# connection (perfcycle/compiled.py): building them cost ~8–11 ms of CPU a request, more
# than PostgreSQL took to answer them.
_my_released = CompiledQuery(
    lambda employee_id: (
        Appraisal.objects.filter(participation__employee_id=employee_id, released_at__isnull=False)
        .select_related(
            "participation__cycle",
            "participation__reviewer__user",
            "acknowledgement",
            "interview",
        )
        .annotate(causes=_causes_column())
        .order_by("pk")
    )
)
# The employee's own disputes, with what My result shows of them (the item, who decides):
# the participation's people are the reader and the reviewer already on the appraisal's
# row, and each join costs PostgreSQL's planner more than reading the rows (~1.5 ms).
_disputes_of = CompiledQuery(
    lambda appraisal_id: (
        Dispute.objects.filter(appraisal_id=appraisal_id)
        .select_related("item", "resolver__user")
        .order_by("item__position", "pk")
    )
)
_items_of = CompiledQuery(
    lambda appraisal_id: (
        AppraisalItem.objects.filter(appraisal_id=appraisal_id)
        .select_related("goal__cycle", "goal__indicator")
        .annotate(cited=cited_column())
        .order_by("position", "pk")
    )
)


def my_released_appraisals(user) -> list[Appraisal]:
    """The person's appraisals whose result HR released, in the default-cycle order."""
    employee = access.employee_of(user)
    if employee is None:
        return []
    return running_first(_my_released(employee.pk), cycle_of=lambda a: a.participation.cycle)


def pick_appraisal(appraisals: list[Appraisal], cycle_id: int | None) -> Appraisal | None:
    """The one in ``cycle_id`` (404 if none), else the first."""
    if cycle_id is None:
        return appraisals[0] if appraisals else None
    for appraisal in appraisals:
        if appraisal.participation.cycle_id == cycle_id:
            return appraisal
    raise Http404


def _rated_items(appraisal: Appraisal) -> list:
    """The appraisal's rated items (not the peer section's) with their goal and cited
    evidence, as ``assessment_items`` gives them, read with the peer items in one go and
    kept on the appraisal as its prefetched ``items``: the breakdown then reads none of
    its own (one compiled query: the items with their citations)."""
    items = _items_of(appraisal.pk)
    # As prefetch_related leaves them: the breakdown reads the appraisal's items from here.
    prefetched = appraisal.items.all()
    prefetched._result_cache, prefetched._prefetch_done = items, True
    if not hasattr(appraisal, "_prefetched_objects_cache"):
        appraisal._prefetched_objects_cache = {}
    appraisal._prefetched_objects_cache["items"] = prefetched
    rated = [item for item in items if item.section != SectionKind.PEER]
    cited_from_rows(rated)
    return rated


def recorded_causes(appraisal: Appraisal) -> list[RootCause]:
    """The root causes recorded at the appraisal's interview (as ``my_released_appraisals``
    gives it: read with it), in HR's order: their id and name."""
    return [RootCause.from_db("default", ["id", "name"], row) for row in appraisal.causes]


@dataclass
class Result:
    """What "My result" shows for one appraisal."""

    appraisal: Appraisal
    acknowledgement: Acknowledgement | None
    interview: Interview | None
    disputes: list
    items: list  # the rated items (what may be disputed), with their cited evidence
    can_agree: bool
    can_dispute: bool

    @property
    def disputed_ids(self) -> set[int]:
        return {d.item_id for d in self.disputes}

    @property
    def open_items(self) -> list:
        return [item for item in self.items if item.pk not in self.disputed_ids]


def _one_to_one(obj, name: str):
    """A reverse one-to-one (loaded with select_related, else one query), or None."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def result_for(appraisal: Appraisal, *, today: dt.date | None = None) -> Result:
    """The answer, the held interview's record (with its root causes), the disputes and
    what the employee may still do. ``appraisal`` as ``my_released_appraisals`` gives it
    (its answer and interview joined); the items come with their cited evidence
    (as appraisal.selectors.assessment.assessment_items gives them) for the breakdown
    table too."""
    today = today or timezone.localdate()
    acknowledgement = _one_to_one(appraisal, "acknowledgement")
    interview = _one_to_one(appraisal, "interview")
    if interview is not None and interview.status != InterviewStatus.HELD:
        interview = None
    disputes = _disputes_of(appraisal.pk) if acknowledgement is not None else []
    items = _rated_items(appraisal)
    pending = acknowledgement is not None and acknowledgement.status == A.PENDING
    can_dispute = acknowledgement is not None and may_dispute_more(acknowledgement, today)
    result = Result(appraisal, acknowledgement, interview, disputes, items, pending, can_dispute)
    if can_dispute and not result.open_items:
        result.can_dispute = False
    return result


# --- Managers: disputes on my team -------------------------------------------------------------


# Open disputes first (soonest due first), then the decided ones, latest decided first.
OPEN_FIRST = (
    Case(When(status=DisputeStatus.OPEN, then=Value(0)), default=Value(1)),
    Case(When(status=DisputeStatus.OPEN, then=F("due_date"))),
    F("resolved_at").desc(nulls_last=True),
    "pk",
)


TEAM_PAGE_SIZE = 50

# The two lists' ids and statuses in their order, their SQL built once: a person decides
# or reviews tens of disputes, hundreds at most, so each list is read whole (one index
# read) and paged in memory, its open count and length coming with it.
_to_decide = CompiledQuery(
    lambda employee_id: (
        Dispute.objects.filter(resolver_id=employee_id).order_by(*OPEN_FIRST).values("pk", "status")
    )
)
_on_my_ratings = CompiledQuery(
    lambda employee_id: (
        Dispute.objects.filter(participation__reviewer_id=employee_id)
        .order_by(*OPEN_FIRST)
        .values("pk", "status")
    )
)


@dataclass
class TeamDisputes:
    decide: Page  # routed to the user (the routing is their scope: no read rule to join)
    mine: Page  # on participations the user reviews (read only; the reviewer relation is
    # their read rule)
    open_count: int  # of those to decide, on every page


def _page(rows: list[dict], number) -> Page:
    """Page ``number`` (as ``perfcycle.paging.get_page_of_ids`` takes it) of the ids."""
    paginator = Paginator([row["pk"] for row in rows], TEAM_PAGE_SIZE)
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    return paginator.page(min(number, paginator.num_pages))


def team_disputes(user, *, decide_page=None, mine_page=None) -> TeamDisputes:
    """One page of each of the manager's two lists (TEAM_PAGE_SIZE rows), open disputes
    first (soonest due first), then the decided ones (latest first). Three queries (each
    list's ids, the rows of both pages), two when neither has a row."""
    employee = access.employee_of(user)
    decide_rows = _to_decide(employee.pk) if employee is not None else []
    mine_rows = _on_my_ratings(employee.pk) if employee is not None else []
    decide, mine = _page(decide_rows, decide_page), _page(mine_rows, mine_page)
    ids = {*decide.object_list, *mine.object_list}
    # In the lists' order from the ids: no ORDER BY for the rows (perfcycle/paging.py).
    by_id = {row.pk: row for row in dispute_rows(ids)}
    for page in (decide, mine):
        page.object_list = [by_id[pk] for pk in page.object_list if pk in by_id]
    return TeamDisputes(
        decide=decide,
        mine=mine,
        open_count=sum(1 for row in decide_rows if row["status"] == DisputeStatus.OPEN),
    )


# --- HR: open disputes -----------------------------------------------------------------------


def hr_open_disputes(*, cycle_id: int | None = None):
    """The lean list (perfcycle.paging) of open disputes, oldest first."""
    qs = Dispute.objects.filter(status=DisputeStatus.OPEN)
    if cycle_id is not None:
        qs = qs.filter(participation__cycle_id=cycle_id)
    return qs.order_by("opened_at", "pk")


def dispute_cycles() -> list[Cycle]:
    """The cycles with disputes, newest first (HR's filter): the disputes' few cycles
    looked up by id, not every participation joined to its disputes (~2 ms)."""
    return list(
        Cycle.objects.filter(
            pk__in=Dispute.objects.order_by().values("participation__cycle_id")
        ).order_by("-start_date", "-pk")
    )


def hr_dispute_rows():
    return dispute_rows


def open_dispute_counts(*, cycle_id: int | None = None, today: dt.date) -> dict:
    """{"open", "overdue", "to_hr"} in one query."""
    qs = hr_open_disputes(cycle_id=cycle_id).order_by()
    return qs.aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(due_date__lt=today)),
        to_hr=Count("pk", filter=Q(resolver__isnull=True)),
    )


def days_open(dispute: Dispute, today: dt.date) -> int:
    return (today - timezone.localdate(dispute.opened_at)).days


# --- To-dos ------------------------------------------------------------------------------------


# Answers and disputes live in cycles past the appraisal (feedback, then application).
AFTER_APPRAISAL = (Cycle.Phase.FEEDBACK, Cycle.Phase.APPLICATION)


def consensus_todos(viewer) -> list[Todo]:
    """The employee's answer to give (due its deadline) and the disputes the person
    decides (one to-do, due the earliest). At most one query each, and none for someone
    with no participation past the appraisal, or who manages no reviewer there."""
    todos: list[Todo] = []
    own = viewer.own_participation_ids(*AFTER_APPRAISAL)
    if own:
        waiting = (row for row in rows_for(viewer, own) if row["ack_status"] == A.PENDING)
        for row in sorted(waiting, key=lambda row: row["ack_due"]):
            cycle_id, due = row["cycle_id"], row["ack_due"]
            todos.append(
                Todo(
                    title=_("Agree or disagree with your result"),
                    url=f"{reverse('feedback:consensus-mine')}?cycle={cycle_id}",
                    action=_("Answer"),
                    due=due,
                )
            )
    if viewer.is_manager and viewer.next_up_rows(*AFTER_APPRAISAL):
        waiting = Dispute.objects.filter(
            resolver=viewer.employee, status=DisputeStatus.OPEN
        ).aggregate(count=Count("pk"), due=Min("due_date"))
        if waiting["count"]:
            todos.append(
                Todo(
                    title=ngettext(
                        "%(count)s dispute waits for your decision",
                        "%(count)s disputes wait for your decision",
                        waiting["count"],
                    )
                    % {"count": waiting["count"]},
                    url=reverse("feedback:consensus-team"),
                    action=_("Decide"),
                    due=waiting["due"],
                )
            )
    return todos


def consensus_health(cycle: Cycle, *, today: dt.date) -> list[Health]:
    """HR home, per cycle past the appraisal: results answered (agreed, disagreed; no
    response counts as overdue, never as answered) and disputes decided (open past their
    due date overdue). One query; stored by HR home until an answer or dispute changes
    (feedback/migrations/0003_consensus_track_rollups.py)."""
    if cycle.phase not in AFTER_APPRAISAL:
        return []
    counts = Acknowledgement.objects.filter(participation__cycle=cycle).aggregate(
        total=Count("pk", distinct=True),
        agreed=Count("pk", filter=Q(status=A.AGREED), distinct=True),
        disagreed=Count("pk", filter=Q(status=A.DISAGREED), distinct=True),
        no_response=Count("pk", filter=Q(status=A.NO_RESPONSE), distinct=True),
        late=Count("pk", filter=Q(status=A.PENDING, due_date__lt=today), distinct=True),
        dispute_count=Count("disputes", distinct=True),
        decided=Count("disputes", filter=~Q(disputes__status=DisputeStatus.OPEN), distinct=True),
        overdue=Count(
            "disputes",
            filter=Q(disputes__status=DisputeStatus.OPEN, disputes__due_date__lt=today),
            distinct=True,
        ),
    )
    if not counts["total"]:
        return []
    url = f"{reverse('feedback:consensus-hr')}?cycle={cycle.pk}"
    lines = [
        Health(
            key="consensus_answers",
            label=_("Results answered"),
            url=url,
            done=counts["agreed"] + counts["disagreed"],
            total=counts["total"],
            overdue=counts["no_response"] + counts["late"],
            parts=(
                (_("agreed"), counts["agreed"], url),
                (_("disagreed"), counts["disagreed"], url),
                (_("no response"), counts["no_response"], url),
            ),
        )
    ]
    if counts["dispute_count"]:
        lines.append(
            Health(
                key="consensus_disputes",
                label=_("Disputes decided"),
                url=url,
                done=counts["decided"],
                total=counts["dispute_count"],
                overdue=counts["overdue"],
            )
        )
    return lines


def can_resolve(user, dispute: Dispute) -> bool:
    return dispute.status == DisputeStatus.OPEN and may_resolve(user, dispute)
