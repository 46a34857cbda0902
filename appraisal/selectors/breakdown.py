"""An appraisal's score, explained: the ORM side of ``appraisal.scoring``.

``breakdown_for`` turns one appraisal's snapshot (section weights, item weights), its
items' *manager* ratings (self ratings are shown beside them, never scored), the peer
section's item means and its calibration adjustments into ``scoring.Breakdown``: every
line, its weight and effective weight, the proposed score, each calibration change and
the final score, adding up exactly. ``score_appraisals`` does the same for many
appraisals in a fixed number of queries (close, the calibration board).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from appraisal import scoring
from appraisal.models import Appraisal, AppraisalItem, CalibrationAdjustment
from goals.models import SectionKind


def _section_label(kind: str) -> str:
    try:
        return str(SectionKind(kind).label)
    except ValueError:
        return kind


def _rating(item: AppraisalItem, peer_means: Mapping | None):
    if item.section == SectionKind.PEER:
        return (peer_means or {}).get(item.pk)
    return item.manager_rating


def _adjuster(adjustment: CalibrationAdjustment) -> str:
    user = adjustment.changed_by
    return user.get_full_name() or user.username


def _compose(
    appraisal: Appraisal,
    items: Iterable[AppraisalItem],
    adjustments: Iterable[CalibrationAdjustment],
    peer_means: Mapping | None,
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
    changes = [
        scoring.CalibrationChange(to_score=a.to_score, reason=a.reason, by=_adjuster(a))
        for a in sorted(adjustments, key=lambda a: (a.changed_at, a.pk))
    ]
    return scoring.score_breakdown(
        sections, scale=scale, calibration=changes, bands=scoring.bands(scale)
    )


def _peer_means(ids, items) -> dict:
    """The peer means of those of ``ids`` that have a peer item (no query for the rest)."""
    from appraisal.selectors.peer_input import peer_means

    with_peers = {i.appraisal_id for i in items if i.section == SectionKind.PEER}
    return peer_means([pk for pk in ids if pk in with_peers]) if with_peers else {}


def breakdown_for(appraisal: Appraisal, *, peer_means: Mapping | None = None) -> scoring.Breakdown:
    """The Breakdown of one appraisal (two queries; none for what is prefetched as
    ``items`` and ``adjustments``). ``peer_means``: {item id: mean of the answered peer
    ratings}; by default read from the answered peer reviews (appraisal.selectors.peer_input:
    only from enough answers), and without any the peer section is re-weighted away."""
    cache = getattr(appraisal, "_prefetched_objects_cache", {})
    items = cache.get("items")
    if items is None:
        items = AppraisalItem.objects.filter(appraisal=appraisal)
    adjustments = cache.get("adjustments")
    if adjustments is None:
        adjustments = CalibrationAdjustment.objects.filter(appraisal=appraisal).select_related(
            "changed_by"
        )
    items = list(items)
    if peer_means is None:
        peer_means = _peer_means([appraisal.pk], items).get(appraisal.pk)
    return _compose(appraisal, items, list(adjustments), peer_means)


def score_appraisals(
    appraisals: Iterable[Appraisal], *, peer_means: Mapping | None = None
) -> dict[int, scoring.Breakdown]:
    """{appraisal id: Breakdown} for many appraisals: two queries, however many.
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
    if peer_means is None:
        peer_means = _peer_means(ids, [i for rows in items.values() for i in rows])
    return {
        a.pk: _compose(a, items[a.pk], adjustments[a.pk], peer_means.get(a.pk)) for a in appraisals
    }
