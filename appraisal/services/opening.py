"""Opening the appraisals of a cycle: one per participation, with its snapshot and items.

``open_appraisals`` is the phase hook run when a cycle enters appraisal (inside the phase
change's transaction); ``open_missing_appraisals`` does the same for people enrolled
later (beat, and the enrolment path). Both are idempotent: a participation that has an
appraisal is skipped, and two concurrent runs never create two (``insert_new``). Work is
done in chunks of participations, a fixed number of queries per chunk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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
from perfcycle.models import Cycle, Participation
from perfcycle.workflow import SYSTEM, DomainError, insert_new

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


def suggestion(goal: Goal, thresholds: dict[int, list[Threshold]], scale: Scale):
    """(achievement %, suggested level) of a goal, by the indicator's scoring rule
    (appraisal.scoring.suggested_rating); (None, None) when there is nothing to measure."""
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


def _items_for(appraisal: Appraisal, template, goals, thresholds, scale) -> list[AppraisalItem]:
    items: list[AppraisalItem] = []
    kinds = [s["kind"] for s in appraisal.section_weights]
    position = 0
    if SectionKind.GOALS in kinds:
        for goal in goals:
            achieved, suggested = suggestion(goal, thresholds, scale)
            items.append(
                AppraisalItem(
                    appraisal=appraisal,
                    kind=ItemKind.GOAL,
                    section=SectionKind.GOALS,
                    goal=goal,
                    indicator=goal.indicator,
                    title=goal.title,
                    description=goal.description,
                    weight=goal.weight,
                    unit=goal.unit,
                    target=goal.target,
                    actual=goal.current_value,
                    achievement_percent=achieved,
                    suggested_rating=suggested,
                    position=position,
                )
            )
            position += 1
    if template is not None:
        for section in template.sections.all():
            if section.kind == SectionKind.GOALS:
                continue
            if section.kind == SectionKind.PEER:
                # Weighted as a whole: one item, which the approved peers rate.
                items.append(
                    AppraisalItem(
                        appraisal=appraisal,
                        kind=ItemKind.PEER,
                        section=SectionKind.PEER,
                        title=str(PEER_ITEM_TITLE),
                        description=str(PEER_ITEM_DESCRIPTION),
                        weight=Decimal("100"),
                        position=position,
                    )
                )
                position += 1
                continue
            for item in section.items.all():
                items.append(
                    AppraisalItem(
                        appraisal=appraisal,
                        kind=ItemKind.TEMPLATE_ITEM,
                        section=section.kind,
                        template_item=item,
                        indicator=item.indicator,
                        title=item.indicator.name,
                        description=item.indicator.definition,
                        weight=item.weight,
                        unit=item.indicator.unit,
                        position=position,
                    )
                )
                position += 1
    return items


def _open_chunk(cycle: Cycle, participations: list[Participation], *, scale, levels) -> int:
    resolutions = resolutions_for_participants(
        cycle,
        people=[
            (p.employee_id, p.employee.department_id, p.employee.job_title) for p in participations
        ],
    )
    templates = _templates(r.template.pk for r in resolutions.values() if r.template is not None)
    owners = [p.employee_id for p in participations]
    goals_by_owner: dict[int, list[Goal]] = defaultdict(list)
    for goal in (
        Goal.objects.filter(
            cycle=cycle,
            owner_id__in=owners,
            level=GoalLevel.INDIVIDUAL,
            status=GoalStatus.APPROVED,
        )
        .select_related("indicator")
        .order_by("created_at", "pk")
    ):
        goals_by_owner[goal.owner_id].append(goal)
    thresholds = _thresholds(
        g.indicator_id for goals in goals_by_owner.values() for g in goals if g.indicator_id
    )
    rating_scale = Scale.of(levels)
    now = timezone.now()
    new = []
    for p in participations:
        resolution = resolutions.get(p.employee_id)
        template = (
            templates.get(resolution.template.pk) if resolution and resolution.template else None
        )
        department = p.employee.department
        new.append(
            Appraisal(
                participation=p,
                job_title=p.employee.job_title,
                department=department,
                department_name=department.name if department else "",
                reviewer_id=p.reviewer_id,
                template=template,
                template_name=template.name if template else "",
                scale=scale,
                scale_name=scale.name,
                scale_levels=levels,
                section_weights=_section_weights(template),
                created_at=now,
                updated_at=now,
            )
        )
    created = insert_new(new, key="participation_id")
    items: list[AppraisalItem] = []
    for appraisal in created:
        participation = appraisal.participation
        items.extend(
            _items_for(
                appraisal,
                appraisal.template,
                goals_by_owner.get(participation.employee_id, []),
                thresholds,
                rating_scale,
            )
        )
    AppraisalItem.objects.bulk_create(items, batch_size=2000)
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
        .select_related("employee__department")
        .order_by("pk")
    )
    opened = 0
    last_pk = 0
    while True:
        chunk = list(missing.filter(pk__gt=last_pk)[:CHUNK])
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
