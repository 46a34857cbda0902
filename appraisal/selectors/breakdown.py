"""An appraisal's score, explained: the ORM side of ``appraisal.scoring``.

``breakdown_for`` turns one appraisal's snapshot (section weights, item weights), its
items' *manager* ratings (self ratings are shown beside them, never scored), the peer
section's item means, its calibration adjustments and its ratings revised after release
(a dispute decided by a change: ``RatingRevision``) into ``scoring.Breakdown``: every
line, its weight and effective weight, the proposed score, each calibration change (a
change made before a revision keeps its delta: ``scoring.carry_calibration``), each
revision and the final score, adding up exactly. ``score_appraisals`` does the same for many
appraisals in a fixed number of queries (close, the calibration board).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection

from appraisal import scoring
from appraisal.models import Appraisal, AppraisalItem, CalibrationAdjustment, RatingRevision
from goals.models import SectionKind
from perfcycle.compiled import CompiledQuery


def _section_label(kind: str) -> str:
    try:
        return str(SectionKind(kind).label)
    except ValueError:
        return kind


def _rating(item: AppraisalItem, peer_means: Mapping | None):
    if item.section == SectionKind.PEER:
        return (peer_means or {}).get(item.pk)
    return item.manager_rating


def _name(user) -> str:
    return user.get_full_name() or user.username


def _adjuster(adjustment: CalibrationAdjustment) -> str:
    return _name(adjustment.changed_by)


def _revision(revision: RatingRevision, titles: Mapping) -> scoring.Revision:
    return scoring.Revision(
        key=revision.item_id,
        label=titles.get(revision.item_id, ""),
        from_rating=revision.from_rating,
        to_rating=revision.to_rating,
        reason=revision.reason,
        by=_name(revision.revised_by),
        at=revision.revised_at,
        proposed_before=revision.proposed_before,
        proposed_after=revision.proposed_after,
    )


def _compose(
    appraisal: Appraisal,
    items: Iterable[AppraisalItem],
    adjustments: Iterable[CalibrationAdjustment],
    peer_means: Mapping | None,
    revisions: Iterable[RatingRevision] = (),
) -> scoring.Breakdown:
    by_section: dict[str, list[AppraisalItem]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.position, i.pk)):
        by_section[item.section].append(item)
    sections = [
        scoring.RatedSection(
            kind=section["kind"],
            label=_section_label(section["kind"]),
            weight=Decimal(str(section["weight"])),
            items=tuple(
                scoring.RatedItem(
                    label=item.title,
                    weight=item.weight,
                    rating=_rating(item, peer_means),
                    key=item.pk,
                )
                for item in by_section.get(section["kind"], [])
            ),
        )
        for section in appraisal.section_weights
    ]
    scale = scoring.Scale.of(appraisal.scale_levels)
    titles = {item.pk: item.title for items_ in by_section.values() for item in items_}
    revised = [_revision(r, titles) for r in sorted(revisions, key=lambda r: (r.revised_at, r.pk))]
    changes = scoring.carry_calibration(
        [
            (
                a.changed_at,
                scoring.CalibrationChange(to_score=a.to_score, reason=a.reason, by=_adjuster(a)),
            )
            for a in sorted(adjustments, key=lambda a: (a.changed_at, a.pk))
        ],
        revised,
        scale,
    )
    return scoring.score_breakdown(
        sections, scale=scale, calibration=changes, bands=scoring.bands(scale), revisions=revised
    )


# One appraisal's rows, their SQL built once per process and connection
# (perfcycle/compiled.py): the breakdown is on every "My result" and breakdown page.
_items_of_one = CompiledQuery(
    lambda appraisal_id: AppraisalItem.objects.filter(appraisal_id=appraisal_id)
)
_adjustments_of_one = CompiledQuery(
    lambda appraisal_id: CalibrationAdjustment.objects.filter(
        appraisal_id=appraisal_id
    ).select_related("changed_by")
)
_revisions_of_one = CompiledQuery(
    lambda appraisal_id: RatingRevision.objects.filter(appraisal_id=appraisal_id).select_related(
        "revised_by"
    )
)


# A released appraisal's calibration changes and rating revisions, each with its author's
# name, in one query (the SQL is the same for any appraisal): two queries less than one
# each on every "My result" and breakdown page of a released result.
CHANGES_SQL = """
SELECT 0 AS part, c.id, NULL::bigint AS item_id, c.to_score, NULL::integer AS from_rating,
       NULL::integer AS to_rating, c.reason, c.changed_at AS at,
       NULL::numeric AS proposed_before, NULL::numeric AS proposed_after,
       u.username, u.first_name, u.last_name
FROM appraisal_calibrationadjustment AS c JOIN perfcycle_user AS u ON u.id = c.changed_by_id
WHERE c.appraisal_id = %(id)s
UNION ALL
SELECT 1, r.id, r.item_id, NULL, r.from_rating, r.to_rating, r.reason, r.revised_at,
       r.proposed_before, r.proposed_after, u.username, u.first_name, u.last_name
FROM appraisal_ratingrevision AS r JOIN perfcycle_user AS u ON u.id = r.revised_by_id
WHERE r.appraisal_id = %(id)s
"""


def _changes_of_one(appraisal_id: int) -> tuple[list, list]:
    """(calibration adjustments, rating revisions) of one appraisal, as the breakdown
    reads them (what it shows of each, its author's names): one query."""
    user_model = get_user_model()
    adjustments, revisions = [], []
    with connection.cursor() as cursor:
        cursor.execute(CHANGES_SQL, {"id": appraisal_id})
        rows = cursor.fetchall()
    for row in rows:
        part, pk, item_id, to_score, from_rating, to_rating, reason, at = row[:8]
        proposed_before, proposed_after, username, first_name, last_name = row[8:]
        author = user_model(username=username, first_name=first_name, last_name=last_name)
        if part == 0:
            adjustments.append(
                CalibrationAdjustment(
                    pk=pk,
                    appraisal_id=appraisal_id,
                    to_score=to_score,
                    reason=reason,
                    changed_by=author,
                    changed_at=at,
                )
            )
        else:
            revisions.append(
                RatingRevision(
                    pk=pk,
                    appraisal_id=appraisal_id,
                    item_id=item_id,
                    from_rating=from_rating,
                    to_rating=to_rating,
                    reason=reason,
                    proposed_before=proposed_before,
                    proposed_after=proposed_after,
                    revised_by=author,
                    revised_at=at,
                )
            )
    return adjustments, revisions


def _revisions_of(appraisal: Appraisal, cache: Mapping):
    """The appraisal's rating revisions: none without a query before release (only a
    released result is revised)."""
    revisions = cache.get("revisions")
    if revisions is not None:
        return list(revisions)
    if appraisal.released_at is None:
        return []
    return _revisions_of_one(appraisal.pk)


def _peer_means(ids, items) -> dict:
    """The peer means of those of ``ids`` that have a peer item (no query for the rest)."""
    from appraisal.selectors.peer_input import peer_means

    with_peers = {i.appraisal_id for i in items if i.section == SectionKind.PEER}
    return peer_means([pk for pk in ids if pk in with_peers]) if with_peers else {}


def breakdown_for(appraisal: Appraisal, *, peer_means: Mapping | None = None) -> scoring.Breakdown:
    """The Breakdown of one appraisal (two queries: its items, its calibration changes
    with, once released, its rating revisions; none for what is prefetched as ``items``,
    ``adjustments``, ``revisions``). ``peer_means``: {item id: mean of the answered peer
    ratings}; by default read from the answered peer reviews (appraisal.selectors.peer_input:
    only from enough answers), and without any the peer section is re-weighted away."""
    cache = getattr(appraisal, "_prefetched_objects_cache", {})
    items = cache.get("items")
    if items is None:
        items = _items_of_one(appraisal.pk)
    adjustments = cache.get("adjustments")
    revisions = cache.get("revisions")
    if (
        adjustments is None
        and revisions is None
        and appraisal.released_at is not None
        and connection.vendor == "postgresql"  # CHANGES_SQL; elsewhere the two reads below
    ):
        adjustments, revisions = _changes_of_one(appraisal.pk)
    else:
        if adjustments is None:
            adjustments = _adjustments_of_one(appraisal.pk)
        revisions = _revisions_of(appraisal, cache)
    items = list(items)
    if peer_means is None:
        peer_means = _peer_means([appraisal.pk], items).get(appraisal.pk)
    return _compose(appraisal, items, list(adjustments), peer_means, list(revisions))


def breakdown_rows(breakdown: scoring.Breakdown, items: Iterable[AppraisalItem]) -> list[tuple]:
    """What the breakdown table (appraisal/breakdown_tables.html) walks: per line, the
    line, its item (with its cited evidence, appraisal.selectors.assessment.assessment_items;
    None for the peer section) and its latest revision after release (or None)."""
    by_key = {item.pk: item for item in items}
    revised = breakdown.revised
    return [(line, by_key.get(line.key), revised.get(line.key)) for line in breakdown.lines]


def score_appraisals(
    appraisals: Iterable[Appraisal], *, peer_means: Mapping | None = None
) -> dict[int, scoring.Breakdown]:
    """{appraisal id: Breakdown} for many appraisals: three queries, however many.
    ``peer_means``: {appraisal id: {item id: mean}} (appraisal.selectors.peer_input)."""
    appraisals = list(appraisals)
    ids = [a.pk for a in appraisals]
    items: dict[int, list] = defaultdict(list)
    for item in AppraisalItem.objects.filter(appraisal_id__in=ids):
        items[item.appraisal_id].append(item)
    adjustments: dict[int, list] = defaultdict(list)
    for adjustment in CalibrationAdjustment.objects.filter(appraisal_id__in=ids).select_related(
        "changed_by"
    ):
        adjustments[adjustment.appraisal_id].append(adjustment)
    revisions: dict[int, list] = defaultdict(list)
    released = [a.pk for a in appraisals if a.released_at is not None]
    if released:
        for revision in RatingRevision.objects.filter(appraisal_id__in=released).select_related(
            "revised_by"
        ):
            revisions[revision.appraisal_id].append(revision)
    if peer_means is None:
        peer_means = _peer_means(ids, [i for rows in items.values() for i in rows])
    return {
        a.pk: _compose(a, items[a.pk], adjustments[a.pk], peer_means.get(a.pk), revisions[a.pk])
        for a in appraisals
    }
