"""Read side of peer (360°) input: who reaches what of it.

- A peer reaches only their own questionnaires (``PeerReview`` rows whose ``peer`` is
  them, once asked): the peer-section items to rate, the scale, the appraisee's name and
  — once answered — what they gave. Nothing else of the appraisal (no scores, no
  self-assessment, no other peer's answers).
- The appraisee reaches peer input only aggregated (per item: mean and count; comments
  without attribution, sorted by their text so that the order says nothing), and only
  once collection is over (no asked peer still to answer) and at least
  ``peer_anonymity_threshold`` peers answered. Before that: a sentence.
  Of the nominations they see the names they chose and the manager's decision, and only
  *how many* answered — never who (answered, expired and still asked read the same).
- The reviewer and HR see it attributed only when the cycle says so
  (``peers_attributed_to_manager``), else exactly as the appraisee does; the management
  chain always aggregated.

``peer_means`` feeds the score breakdown (appraisal/selectors/breakdown.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from appraisal.models import (
    Appraisal,
    AppraisalItem,
    AppraisalSettings,
    PeerRating,
    PeerReview,
    PeerStatus,
)
from appraisal.policies import APPRAISAL
from appraisal.services.peers import ANSWERABLE_STATUSES, ASKED, OPEN_STATUSES, due_date_for
from goals.models import SectionKind
from perfcycle import access, paging
from perfcycle.access import Relation
from perfcycle.compiled import CompiledQuery
from perfcycle.models import Cycle, Employee
from perfcycle.selectors import Todo

MEAN_PLACES = Decimal("0.01")
CHOICES_SHOWN = 25


# --- Appraisals: the reader's scope ---------------------------------------------------------


def readable_appraisals(user):
    """Appraisals the user may read (appraisee, reviewer, chain, HR): never a peer's."""
    return Appraisal.objects.with_people().filter(APPRAISAL.readable(user))


def get_appraisal_for(user, pk) -> Appraisal:
    return get_object_or_404(readable_appraisals(user), pk=pk)


def peer_settings_of(cycle: Cycle) -> AppraisalSettings:
    found = AppraisalSettings.objects.filter(cycle=cycle).first()
    return found or AppraisalSettings(cycle=cycle)


# --- The peer's own questionnaires -------------------------------------------------------------


def my_questionnaires(user):
    """What was asked of the user (approved and sent, answered or expired), soonest due
    first: one query."""
    me = access.employee_of(user)
    if me is None:
        return PeerReview.objects.none()
    return (
        PeerReview.objects.filter(ASKED, peer=me)
        .select_related(
            "appraisal__participation__cycle", "appraisal__participation__employee__user"
        )
        .order_by("status", "due_date", "pk")
    )


def get_questionnaire_for(user, pk) -> PeerReview:
    """One of the user's own questionnaires; anything else (another peer's, a nomination
    not yet sent) is a 404."""
    return get_object_or_404(my_questionnaires(user), pk=pk)


def questionnaire_items(review: PeerReview) -> list[AppraisalItem]:
    """The peer-section items of the questionnaire's appraisal, each with ``given`` (this
    peer's own rating, or None): two queries."""
    items = list(
        AppraisalItem.objects.filter(appraisal_id=review.appraisal_id, section=SectionKind.PEER)
        .only("id", "title", "description", "position", "appraisal_id", "section")
        .order_by("position", "id")
    )
    given = {r.item_id: r for r in PeerRating.objects.filter(review=review)}
    for item in items:
        item.given = given.get(item.pk)
    return items


# --- Means for scoring -------------------------------------------------------------------------


# One appraisal's peer answers (its breakdown on "My result" and the breakdown page), their
# SQL built once per process and connection (perfcycle/compiled.py).
_answered_of_one = CompiledQuery(
    lambda appraisal_id: (
        PeerReview.objects.filter(appraisal_id=appraisal_id, status=PeerStatus.ANSWERED)
        .values(
            "appraisal_id",
            threshold=F(
                "appraisal__participation__cycle__appraisal_settings__peer_anonymity_threshold"
            ),
        )
        .annotate(n=Count("pk"))
        .values("appraisal_id", "threshold", "n")
    )
)
_ratings_of_one = CompiledQuery(
    lambda appraisal_id: (
        PeerRating.objects.filter(
            review__appraisal_id=appraisal_id,
            review__status=PeerStatus.ANSWERED,
            rating__isnull=False,
        )
        .values(of_appraisal=F("review__appraisal_id"), of_item=F("item_id"), value=F("rating"))
        .order_by()
    )
)


def peer_means(appraisal_ids) -> dict[int, dict[int, Decimal]]:
    """{appraisal id: {item id: mean of the answered ratings}}, only for appraisals with
    at least their cycle's anonymity threshold of answers (others are left out: the
    peer section is then re-weighted away). Two queries however many appraisals."""
    ids = list(appraisal_ids)
    if not ids:
        return {}
    if len(ids) == 1:
        return _peer_means_of_one(ids[0])
    answered = dict(
        PeerReview.objects.filter(appraisal_id__in=ids, status=PeerStatus.ANSWERED)
        .values("appraisal_id")
        .annotate(n=Count("pk"))
        .values_list("appraisal_id", "n")
    )
    thresholds = dict(
        Appraisal.objects.filter(pk__in=list(answered)).values_list(
            "pk", "participation__cycle__appraisal_settings__peer_anonymity_threshold"
        )
    )
    default = AppraisalSettings._meta.get_field("peer_anonymity_threshold").default
    enough = [a for a, n in answered.items() if n >= (thresholds.get(a) or default)]
    if not enough:
        return {}
    rows = (
        PeerRating.objects.filter(
            review__appraisal_id__in=enough,
            review__status=PeerStatus.ANSWERED,
            rating__isnull=False,
        )
        .values_list("review__appraisal_id", "item_id", "rating")
        .order_by()
    )
    return _means(rows)


def _peer_means_of_one(appraisal_id: int) -> dict[int, dict[int, Decimal]]:
    """``peer_means`` of one appraisal, by the same rules, from the compiled queries (the
    count of answers and the threshold in one)."""
    answered = _answered_of_one(appraisal_id)  # one row: the count and the cycle's threshold
    if not answered:
        return {}
    default = AppraisalSettings._meta.get_field("peer_anonymity_threshold").default
    if answered[0]["n"] < (answered[0]["threshold"] or default):
        return {}
    rows = _ratings_of_one(appraisal_id)
    return _means((row["of_appraisal"], row["of_item"], row["value"]) for row in rows)


def _means(rows) -> dict[int, dict[int, Decimal]]:
    """{appraisal id: {item id: mean}} of ``(appraisal id, item id, rating)`` rows."""
    sums: dict[int, dict[int, list]] = defaultdict(dict)
    for appraisal_id, item_id, rating in rows:
        total = sums[appraisal_id].setdefault(item_id, [0, 0])
        total[0] += rating
        total[1] += 1
    return {
        appraisal_id: {
            item_id: (Decimal(s) / Decimal(n)).quantize(MEAN_PLACES, rounding=ROUND_HALF_UP)
            for item_id, (s, n) in items.items()
        }
        for appraisal_id, items in sums.items()
    }


# --- What the appraisee and the manager see ------------------------------------------------------


@dataclass
class ItemSummary:
    item_id: int
    title: str
    mean: Decimal | None
    count: int
    label: str = ""  # the scale level nearest the mean
    comments: list[str] = field(default_factory=list)


@dataclass
class PeerAnswer:
    """One peer's answer, attributed (the reviewer or HR, when the cycle says so)."""

    name: str
    ratings: list  # [(item title, rating, label, comment)]
    comment: str


@dataclass
class PeerResult:
    """What one reader sees of an appraisal's peer input."""

    has_section: bool
    asked: int
    answered: int
    threshold: int
    shown: bool
    attributed: bool = False
    waiting: int = 0
    items: list[ItemSummary] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    answers: list[PeerAnswer] = field(default_factory=list)

    @property
    def withheld_reason(self) -> str:
        if not self.has_section:
            return _("This appraisal's template has no peer section.")
        if self.answered < self.threshold:
            return ngettext(
                "Peer input is shown when at least %(n)s colleague has answered.",
                "Peer input is shown when at least %(n)s colleagues have answered.",
                self.threshold,
            ) % {"n": self.threshold}
        return _(
            "Peer input is shown once every colleague asked has answered or the due date has "
            "passed."
        )


def _label_for(levels: list[dict], mean: Decimal | None) -> str:
    if mean is None or not levels:
        return ""
    nearest = min(levels, key=lambda lv: (abs(Decimal(lv["value"]) - mean), -lv["value"]))
    return nearest["label"]


def peer_items_of(appraisal: Appraisal) -> list[AppraisalItem]:
    return list(
        appraisal.items.filter(section=SectionKind.PEER)
        .order_by("position", "id")
        .only("id", "title", "description", "position", "appraisal_id", "section")
    )


def peer_result(
    appraisal: Appraisal, *, attributed: bool = False, reviews=None, items=None, rules=None
) -> PeerResult:
    """Peer input of one appraisal: aggregated (anonymous) unless ``attributed``.
    ``reviews`` (with their peers), ``items`` (peer section) and ``rules`` may come
    preloaded. A few queries, none per peer or per item."""
    rules = rules or peer_settings_of(appraisal.participation.cycle)
    items = peer_items_of(appraisal) if items is None else items
    reviews = list(reviews_with_peers(appraisal)) if reviews is None else list(reviews)
    states = [_state(r) for r in reviews]
    result = PeerResult(
        has_section=bool(items),
        asked=states.count("asked"),
        answered=sum(1 for r in reviews if r.status == PeerStatus.ANSWERED),
        waiting=sum(1 for r in reviews if r.status == PeerStatus.APPROVED and r.due_date),
        threshold=rules.peer_anonymity_threshold,
        shown=False,
    )
    if not items:
        return result
    if attributed:
        result.attributed = True
        result.shown = result.answered > 0
        if result.shown:
            result.answers = _attributed(appraisal, items, reviews)
        return result
    if result.waiting or result.answered < result.threshold:
        return result
    result.shown = True
    ratings = defaultdict(list)
    comments = defaultdict(list)
    for item_id, rating, comment in (
        PeerRating.objects.filter(review__appraisal=appraisal, review__status=PeerStatus.ANSWERED)
        .values_list("item_id", "rating", "comment")
        .order_by()
    ):
        if rating is not None:
            ratings[item_id].append(rating)
        if comment.strip():
            comments[item_id].append(comment.strip())
    for item in items:
        values = ratings.get(item.pk, [])
        mean = (
            (Decimal(sum(values)) / Decimal(len(values))).quantize(MEAN_PLACES, ROUND_HALF_UP)
            if values
            else None
        )
        result.items.append(
            ItemSummary(
                item_id=item.pk,
                title=item.title,
                mean=mean,
                count=len(values),
                label=_label_for(appraisal.scale_levels, mean),
                # Sorted by their text: the order says nothing about who wrote which.
                comments=sorted(comments.get(item.pk, []), key=str.casefold),
            )
        )
    result.comments = sorted(
        (
            r.comment.strip()
            for r in reviews
            if r.status == PeerStatus.ANSWERED and r.comment.strip()
        ),
        key=str.casefold,
    )
    return result


def _attributed(appraisal: Appraisal, items: list[AppraisalItem], reviews) -> list[PeerAnswer]:
    labels = {lv["value"]: lv["label"] for lv in appraisal.scale_levels}
    position = {item.pk: n for n, item in enumerate(items)}
    titles = {item.pk: item.title for item in items}
    answered = {r.pk: r for r in reviews if r.status == PeerStatus.ANSWERED}
    given = defaultdict(list)
    for rating in PeerRating.objects.filter(review_id__in=list(answered)).order_by():
        given[rating.review_id].append(rating)
    answers = []
    for review in answered.values():
        ratings = [
            (titles.get(r.item_id, ""), r.rating, labels.get(r.rating, ""), r.comment)
            for r in sorted(given[review.pk], key=lambda r: position.get(r.item_id, 0))
        ]
        answers.append(PeerAnswer(review.peer.full_name, ratings, review.comment))
    return sorted(answers, key=lambda a: a.name.casefold())


def result_for(user, appraisal: Appraisal, **preloaded) -> PeerResult:
    """What ``user`` (who may read the appraisal) sees: the reviewer and HR attributed when
    the cycle says so; everyone else (the appraisee, the chain) aggregated."""
    rules = preloaded.pop("rules", None) or peer_settings_of(appraisal.participation.cycle)
    attributed = False
    if rules.peers_attributed_to_manager:
        relations = access.relations_of(
            user, appraisal.participation, Relation.REVIEWER | Relation.HR
        )
        is_self = appraisal.participation.employee_id == getattr(
            access.employee_of(user), "pk", None
        )
        attributed = bool(relations) and not is_self
    return peer_result(appraisal, attributed=attributed, rules=rules, **preloaded)


# --- Nominations, as the appraisee and the manager see them --------------------------------------


@dataclass
class Nomination:
    review_id: int
    name: str
    job_title: str
    state: str  # nominated | approved | declined | asked (answered, expired, waiting alike)
    version: int


NOMINATION_LABELS = {
    "nominated": gettext_lazy("Waiting for approval"),
    "approved": gettext_lazy("Approved"),
    "declined": gettext_lazy("Not approved"),
    "asked": gettext_lazy("Asked"),
}


def _state(review: PeerReview) -> str:
    if review.status == PeerStatus.NOMINATED:
        return "nominated"
    if review.status == PeerStatus.DECLINED:
        return "declined"
    if review.status == PeerStatus.APPROVED and review.due_date is None:
        return "approved"
    # Answered, expired and still waiting read the same: nobody learns who answered.
    return "asked"


def nominations(reviews) -> list[Nomination]:
    """The nominations, by name (never in the order they were answered)."""
    rows = [
        Nomination(r.pk, r.peer.full_name, r.peer.job_title, _state(r), r.version) for r in reviews
    ]
    return sorted(rows, key=lambda n: n.name.casefold())


def reviews_with_peers(appraisal: Appraisal):
    return appraisal.peer_reviews.select_related("peer__user").order_by("pk")


def colleague_choices(appraisal: Appraisal, query: str = "", *, taken=()) -> list[Employee]:
    """Active colleagues the appraisee may nominate, matching ``query`` (name, login, job
    title or department), else those of their own department; at most ``CHOICES_SHOWN``,
    by name. One query."""
    participation = appraisal.participation
    person = participation.employee
    excluded = {person.pk, *taken}
    excluded |= {
        x for x in (appraisal.reviewer_id, participation.reviewer_id, person.manager_id) if x
    }
    qs = Employee.objects.select_related("user", "department").filter(is_active=True)
    qs = qs.exclude(pk__in=excluded)
    query = " ".join(query.split())[:80]
    if query:
        for word in query.split():
            qs = qs.filter(
                Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(user__username__icontains=word)
                | Q(job_title__icontains=word)
                | Q(department__name__icontains=word)
            )
    else:
        qs = qs.filter(department_id=person.department_id)
    return list(qs.order_by("user__last_name", "user__first_name", "pk")[:CHOICES_SHOWN])


# --- The manager's approval page ----------------------------------------------------------------


@dataclass
class ApprovalRow:
    appraisal: Appraisal
    nominations: list[Nomination]
    peer_min: int
    peer_max: int
    approved: int
    waiting_decision: int
    asked: bool
    due_date: object

    @property
    def missing(self) -> int:
        return max(self.peer_min - self.approved, 0)

    @property
    def can_ask(self) -> bool:
        return not self.asked and not self.missing and not self.waiting_decision


APPROVALS_PER_PAGE = 50


def approval_page(user, cycle: Cycle, number=None):
    """A page of the people the user reviews in ``cycle`` (HR: everyone with nominations
    there) with their nominations to decide and whether the peers can be asked
    (``page.rows``: ApprovalRow). Four queries, however many people and peers."""
    lean = Appraisal.objects.filter(
        Exists(AppraisalItem.objects.filter(appraisal=OuterRef("pk"), section=SectionKind.PEER)),
        participation__cycle=cycle,
        status__in=OPEN_STATUSES,
    )
    me = access.employee_of(user)
    if access.is_hr(user):
        lean = lean.filter(Exists(PeerReview.objects.filter(appraisal=OuterRef("pk"))))
    elif me is not None:
        lean = lean.filter(reviewer=me)
    else:
        lean = lean.none()
    full = Appraisal.objects.with_people().prefetch_related(
        Prefetch(
            "peer_reviews",
            queryset=PeerReview.objects.select_related("peer__user").order_by("pk"),
        )
    )
    page = paging.get_page(
        lean.order_by("participation__employee__user__last_name", "pk"),
        full,
        number,
        per_page=APPROVALS_PER_PAGE,
    )
    rules = peer_settings_of(cycle)
    due = due_date_for(cycle, rules)
    page.rows = []
    for appraisal in page.object_list:
        reviews = list(appraisal.peer_reviews.all())
        page.rows.append(
            ApprovalRow(
                appraisal=appraisal,
                nominations=nominations(reviews),
                peer_min=rules.peer_min,
                peer_max=rules.peer_max,
                approved=sum(1 for r in reviews if r.status == PeerStatus.APPROVED),
                waiting_decision=sum(1 for r in reviews if r.status == PeerStatus.NOMINATED),
                asked=any(_state(r) == "asked" for r in reviews),
                due_date=due,
            )
        )
    return page


def get_nomination_for(user, pk) -> PeerReview:
    """A nomination the user may decide on (the reviewer of that appraisal, or HR): else 404."""
    review = get_object_or_404(
        PeerReview.objects.select_related(
            "peer__user", "appraisal__participation__cycle", "appraisal__participation__employee"
        ),
        pk=pk,
    )
    if not APPRAISAL.may(user, "approve_peers", review.appraisal.participation):
        raise Http404
    return review


# --- To-dos (registered in appraisal/stage.py) ---------------------------------------------------


def peer_todos(viewer) -> list[Todo]:
    """Nominate peers (the appraisee, fewer than the minimum nominated and not yet asked),
    approve nominations (the reviewer), answer a questionnaire (the peer, by its due
    date). One query for all three (a UNION ALL); none for someone with no employee
    record, or outside every cycle in its appraisal phase (both known to the viewer
    already). A peer outside every appraisal-phase cycle still has the notification and
    the "Feedback asked of me" page."""
    if viewer.employee is None:
        return []
    own = viewer.own_participation_ids(Cycle.Phase.APPRAISAL)
    reviewed = viewer.reviewed_ids(Cycle.Phase.APPRAISAL)
    if not own and not reviewed:
        return []
    rows = list(_nominations_rows(own).union(_review_rows(viewer, reviewed), all=True))
    todos = _nominate_todos(rows) + _answer_todos(rows) + _decide_todos(rows)
    return todos


_P = "participation__"
_ROW = ("kind", "pk", "cycle_id", "cycle_name", "due", "counting", "asked", "minimum", "name")


def _count_of(condition: Q):
    return Coalesce(
        Subquery(
            PeerReview.objects.filter(condition, appraisal=OuterRef("pk"))
            .order_by()
            .values("appraisal")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )


def _nominations_rows(own: list[int]):
    """The person's own open appraisals with a peer section, with how many nominations
    count and how many were asked."""
    return (
        Appraisal.objects.filter(
            Exists(
                AppraisalItem.objects.filter(appraisal=OuterRef("pk"), section=SectionKind.PEER)
            ),
            participation_id__in=own,
            status__in=OPEN_STATUSES,
        )
        .annotate(
            kind=Value("nominate"),
            cycle_id=F(f"{_P}cycle_id"),
            cycle_name=F(f"{_P}cycle__name"),
            due=F(f"{_P}cycle__appraisal_deadline"),
            counting=_count_of(~Q(status=PeerStatus.DECLINED)),
            asked=_count_of(ASKED),
            minimum=Coalesce(
                F(f"{_P}cycle__appraisal_settings__peer_min"),
                AppraisalSettings._meta.get_field("peer_min").default,
            ),
            name=Value(""),
        )
        .values_list(*_ROW)
        .order_by()
    )


def _review_rows(viewer, reviewed: list[int]):
    """Nominations waiting for this reviewer, and questionnaires asked of the person."""
    wanted = Q(
        peer=viewer.employee,
        status=PeerStatus.APPROVED,
        due_date__isnull=False,
        appraisal__status__in=ANSWERABLE_STATUSES,
    )
    if reviewed:
        wanted |= Q(
            status=PeerStatus.NOMINATED,
            appraisal__participation_id__in=reviewed,
            appraisal__status__in=OPEN_STATUSES,
        )
    person = f"appraisal__{_P}employee__user__"
    return (
        PeerReview.objects.filter(wanted)
        .annotate(
            kind=Case(
                When(status=PeerStatus.NOMINATED, then=Value("decide")), default=Value("answer")
            ),
            cycle_id=F(f"appraisal__{_P}cycle_id"),
            cycle_name=F(f"appraisal__{_P}cycle__name"),
            due=F("due_date"),
            counting=Value(0),
            asked=Value(0),
            minimum=Value(0),
            name=Concat(
                F(f"{person}first_name"),
                Value(" "),
                F(f"{person}last_name"),
                Value("|"),
                F(f"{person}username"),
                output_field=CharField(),
            ),
        )
        .values_list(*_ROW)
        .order_by()
    )


def _nominate_todos(rows) -> list[Todo]:
    url = reverse("appraisal:peer-input")
    return [
        Todo(
            title=_("Nominate colleagues for peer input on your appraisal (%(cycle)s)")
            % {"cycle": cycle_name},
            url=f"{url}?cycle={cycle_id}",
            action=_("Nominate peers"),
            due=due,
        )
        for kind, _pk, cycle_id, cycle_name, due, counting, asked, minimum, _n in rows
        if kind == "nominate" and not asked and counting < minimum
    ]


def _answer_todos(rows) -> list[Todo]:
    todos = []
    for _kind, pk, _cycle, _cycle_name, due, *_counts, name in sorted(
        (r for r in rows if r[0] == "answer"), key=lambda r: (r[4], r[1])
    ):
        full, _bar, username = name.partition("|")
        todos.append(
            Todo(
                title=_("Give peer input on %(name)s's appraisal")
                % {"name": full.strip() or username},
                url=reverse("appraisal:peer-questionnaire", args=[pk]),
                action=_("Answer"),
                due=due,
            )
        )
    return todos


def _decide_todos(rows) -> list[Todo]:
    waiting: dict[tuple, int] = defaultdict(int)
    for kind, _pk, cycle_id, cycle_name, *_rest in rows:
        if kind == "decide":
            waiting[cycle_id, cycle_name] += 1
    url = reverse("appraisal:peer-approvals")
    return [
        Todo(
            title=ngettext(
                "%(n)s peer nomination to approve or decline (%(cycle)s)",
                "%(n)s peer nominations to approve or decline (%(cycle)s)",
                n,
            )
            % {"n": n, "cycle": cycle_name},
            url=f"{url}?cycle={cycle_id}",
            action=_("Review nominations"),
        )
        for (cycle_id, cycle_name), n in sorted(waiting.items())
    ]
