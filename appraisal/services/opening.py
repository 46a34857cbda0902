"""Opening the appraisals of a cycle: one per participation, with its snapshot and items.

``open_appraisals`` is the phase hook run when a cycle enters appraisal (inside the phase
change's transaction); ``open_missing_appraisals`` does the same for people enrolled
later (beat, and the enrolment path). Both are idempotent: a participation that has an
appraisal is skipped, and two concurrent runs never create two (``bulk.insert_new_rows``). Work is
done in chunks of participations, a fixed number of queries per chunk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.models import Appraisal, AppraisalItem, AppraisalSettings, ItemKind
from appraisal.scoring import GoalFacts, Scale, suggested_rating
from goals.models import (
    Goal,
    GoalLevel,
    GoalStatus,
    RatingLevel,
    ScoringThreshold,
    SectionKind,
    Template,
    TemplateSection,
)
from goals.plans import plan_of, resolutions_for_participants
from goals.rules import Threshold
from perfcycle.audit import record_event
from perfcycle.bulk import insert_new_rows, insert_rows
from perfcycle.models import Cycle, Participation
from perfcycle.workflow import SYSTEM, DomainError

CHUNK = 1000
PEER_ITEM_TITLE = _("Peer input (360°)")
PEER_ITEM_DESCRIPTION = _(
    "How the colleagues who were asked see this person's work overall: the mean of their "
    "ratings, shown to the person only from enough answers that nobody can be singled out."
)


def settings_for(cycle: Cycle) -> AppraisalSettings:
    """The cycle's appraisal rules, created with the defaults on first use."""
    found, _ = AppraisalSettings.objects.get_or_create(cycle=cycle)
    return found


def scale_snapshot(scale) -> list[dict]:
    levels = RatingLevel.objects.filter(scale=scale).order_by("value")
    return [{"value": lv.value, "label": lv.label, "descriptor": lv.descriptor} for lv in levels]


def _templates(ids: Iterable[int]) -> dict[int, Template]:
    sections = TemplateSection.objects.prefetch_related("items__indicator").order_by(
        "position", "id"
    )
    return {
        t.pk: t
        for t in Template.objects.filter(pk__in=set(ids)).prefetch_related(
            Prefetch("sections", queryset=sections)
        )
    }


def _thresholds(indicator_ids: Iterable[int]) -> dict[int, list[Threshold]]:
    found: dict[int, list[Threshold]] = defaultdict(list)
    for indicator_id, minimum, level in ScoringThreshold.objects.filter(
        indicator_id__in=set(indicator_ids)
    ).values_list("indicator_id", "min_achievement", "level_value"):
        found[indicator_id].append(Threshold(min_achievement=minimum, level=level))
    return found


@dataclass(slots=True)
class IndicatorRow:
    """What opening reads of a goal's indicator (no model instance per goal)."""

    pk: int
    kind: str
    direction: str


@dataclass(slots=True)
class GoalRow:
    """What opening reads of a goal: its item's snapshot and what the suggestion needs."""

    pk: int
    owner_id: int
    indicator_id: int | None
    title: str
    description: str
    weight: Decimal
    unit: str
    baseline: Decimal | None
    target: Decimal | None
    current_value: Decimal | None
    indicator: IndicatorRow | None = None


GOAL_COLUMNS = (
    "pk",
    "owner_id",
    "indicator_id",
    "title",
    "description",
    "weight",
    "unit",
    "baseline",
    "target",
    "current_value",
    "indicator__kind",
    "indicator__direction",
)


def suggestion(goal, thresholds: dict[int, list[Threshold]], scale: Scale):
    """(achievement %, suggested level) of a goal (a Goal or a GoalRow), by the
    indicator's scoring rule (appraisal.scoring.suggested_rating); (None, None) when
    there is nothing to measure."""
    indicator = goal.indicator
    found = suggested_rating(
        GoalFacts(
            indicator_kind=indicator.kind if indicator else None,
            direction=indicator.direction if indicator else "",
            target=goal.target,
            actual=goal.current_value,
            baseline=goal.baseline,
        ),
        thresholds.get(goal.indicator_id, []) if indicator else [],
        scale,
    )
    return found.achievement, found.value


def _section_weights(template: Template | None) -> list[dict]:
    if template is None:
        # Without a template the person's goals are the whole appraisal.
        return [{"kind": SectionKind.GOALS.value, "weight": "100.00"}]
    return [{"kind": s.kind, "weight": str(s.weight)} for s in template.sections.all()]


@dataclass(slots=True)
class Shape:
    """What every appraisal on one template has in common: its section weights and the
    items after the goals (the template's indicators and competencies, the peer item),
    built once per chunk rather than per person."""

    section_weights: list[dict]
    rates_goals: bool
    tail: list[dict]

    @classmethod
    def of(cls, template: Template | None) -> Shape:
        weights = _section_weights(template)
        return cls(
            section_weights=weights,
            rates_goals=any(s["kind"] == SectionKind.GOALS for s in weights),
            tail=[] if template is None else _template_items(template),
        )


def _template_items(template: Template) -> list[dict]:
    """The items of ``template`` after the goals (attribute → value, without the
    appraisal and the position)."""
    items: list[dict] = []
    for section in template.sections.all():
        if section.kind == SectionKind.GOALS:
            continue
        if section.kind == SectionKind.PEER:
            # Weighted as a whole: one item, which the approved peers rate.
            items.append(
                {
                    "kind": ItemKind.PEER,
                    "section": SectionKind.PEER,
                    "title": str(PEER_ITEM_TITLE),
                    "description": str(PEER_ITEM_DESCRIPTION),
                    "weight": Decimal("100"),
                }
            )
            continue
        for item in section.items.all():
            items.append(
                {
                    "kind": ItemKind.TEMPLATE_ITEM,
                    "section": section.kind,
                    "template_item_id": item.pk,
                    "indicator_id": item.indicator_id,
                    "title": item.indicator.name,
                    "description": item.indicator.definition,
                    "weight": item.weight,
                    "unit": item.indicator.unit,
                }
            )
    return items


def _items_for(appraisal_id: int, shape: Shape, goals, thresholds, scale) -> list[dict]:
    """The rows of one appraisal's items (attribute → value): its goals, then the
    template's indicator and competency items."""
    items: list[dict] = []
    if shape.rates_goals:
        for goal in goals:
            achieved, suggested = suggestion(goal, thresholds, scale)
            items.append(
                {
                    "appraisal_id": appraisal_id,
                    "kind": ItemKind.GOAL,
                    "section": SectionKind.GOALS,
                    "goal_id": goal.pk,
                    "indicator_id": goal.indicator_id,
                    "title": goal.title,
                    "description": goal.description,
                    "weight": goal.weight,
                    "unit": goal.unit,
                    "target": goal.target,
                    "actual": goal.current_value,
                    "achievement_percent": achieved,
                    "suggested_rating": suggested,
                    "position": len(items),
                }
            )
    for item in shape.tail:
        items.append({**item, "appraisal_id": appraisal_id, "position": len(items)})
    return items


@dataclass(slots=True)
class ParticipantRow:
    """What opening reads of a participation (no model instances per person)."""

    pk: int
    employee_id: int
    reviewer_id: int | None
    job_title: str
    department_id: int | None
    department_name: str | None


PARTICIPANT_COLUMNS = (
    "pk",
    "employee_id",
    "reviewer_id",
    "employee__job_title",
    "employee__department_id",
    "employee__department__name",
)


def _goals_by_owner(cycle: Cycle, owners: list[int]) -> dict[int, list[GoalRow]]:
    goals_by_owner: dict[int, list[GoalRow]] = defaultdict(list)
    indicators: dict[int, IndicatorRow] = {}
    for row in (
        Goal.objects.filter(
            cycle=cycle,
            owner_id__in=owners,
            level=GoalLevel.INDIVIDUAL,
            status=GoalStatus.APPROVED,
        )
        .order_by("created_at", "pk")
        .values_list(*GOAL_COLUMNS)
    ):
        goal = GoalRow(*row[:-2])
        if goal.indicator_id is not None:
            if goal.indicator_id not in indicators:
                indicators[goal.indicator_id] = IndicatorRow(goal.indicator_id, *row[-2:])
            goal.indicator = indicators[goal.indicator_id]
        goals_by_owner[goal.owner_id].append(goal)
    return goals_by_owner


def _open_chunk(cycle: Cycle, participations: list[ParticipantRow], *, scale, levels) -> int:
    resolutions = resolutions_for_participants(
        cycle, people=[(p.employee_id, p.department_id, p.job_title) for p in participations]
    )
    templates = _templates(r.template.pk for r in resolutions.values() if r.template is not None)
    shapes: dict[int | None, Shape] = {None: Shape.of(None)}
    shapes.update((pk, Shape.of(template)) for pk, template in templates.items())
    goals_by_owner = _goals_by_owner(cycle, [p.employee_id for p in participations])
    thresholds = _thresholds(
        g.indicator_id for goals in goals_by_owner.values() for g in goals if g.indicator_id
    )
    rating_scale = Scale.of(levels)
    now = timezone.now()
    new = []
    template_of: dict[int, Template | None] = {}
    for p in participations:
        resolution = resolutions.get(p.employee_id)
        template = (
            templates.get(resolution.template.pk) if resolution and resolution.template else None
        )
        template_of[p.pk] = template
        new.append(
            {
                "participation_id": p.pk,
                "job_title": p.job_title,
                "department_id": p.department_id,
                "department_name": p.department_name or "",
                "reviewer_id": p.reviewer_id,
                "template_id": template.pk if template else None,
                "template_name": template.name if template else "",
                "scale_id": scale.pk,
                "scale_name": scale.name,
                "scale_levels": levels,
                "section_weights": shapes[template.pk if template else None].section_weights,
                "created_at": now,
                "updated_at": now,
            }
        )
    created = insert_new_rows(Appraisal, new, key="participation_id")
    by_participation = {p.pk: p for p in participations}
    items: list[dict] = []
    for appraisal_id, participation_id in created:
        template = template_of[participation_id]
        items.extend(
            _items_for(
                appraisal_id,
                shapes[template.pk if template else None],
                goals_by_owner.get(by_participation[participation_id].employee_id, []),
                thresholds,
                rating_scale,
            )
        )
    insert_rows(AppraisalItem, items)
    return len(created)


def opening_blockers(cycle: Cycle) -> list[str]:
    """Phase guard (leaving implementation): what stops the appraisal from opening."""
    plan = plan_of(cycle)
    if plan is None:
        return ["Choose the cycle's rating scale on its planning setup: the appraisal rates on it."]
    if not RatingLevel.objects.filter(scale=plan.rating_scale).exists():
        return [f"The rating scale “{plan.rating_scale.name}” has no levels yet."]
    return []


def open_missing_appraisals(*, cycle: Cycle, actor=SYSTEM) -> int:
    """An appraisal for every participation of ``cycle`` that has none. Returns how many
    were opened. Idempotent; one transaction per chunk."""
    plan = plan_of(cycle)
    if plan is None:
        raise DomainError(
            "The cycle has no rating scale: choose one on the cycle's planning setup "
            "before the appraisal opens."
        )
    scale = plan.rating_scale
    levels = scale_snapshot(scale)
    if not levels:
        raise DomainError(f"The rating scale “{scale.name}” has no levels.")
    settings_for(cycle)
    missing = (
        Participation.objects.filter(cycle=cycle)
        .filter(~Exists(Appraisal.objects.filter(participation=OuterRef("pk"))))
        .order_by("pk")
        .values_list(*PARTICIPANT_COLUMNS)
    )
    opened = 0
    last_pk = 0
    while True:
        chunk = [ParticipantRow(*row) for row in missing.filter(pk__gt=last_pk)[:CHUNK]]
        if not chunk:
            break
        last_pk = chunk[-1].pk
        with transaction.atomic():
            opened += _open_chunk(cycle, chunk, scale=scale, levels=levels)
    if opened:
        record_event(
            actor=actor,
            verb="appraisals.opened",
            obj=cycle,
            after={"count": opened},
        )
    return opened


def open_appraisals(*, cycle: Cycle, actor) -> None:
    """Phase hook (perfcycle.phases): the cycle enters appraisal."""
    open_missing_appraisals(cycle=cycle, actor=actor)
