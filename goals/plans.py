"""Which evaluation standard and method apply to a participation: the read API of the
planning stage for the stages after it (appraisal scores against these).

The cycle's plan holds the rating scale (one per cycle) and the default template; HR's
assignment rules pick a person's template, the most specific rule winning: a person
override, then department + job title, then job title, then department, then the cycle's
default template. A department rule covers its sub-departments too; the nearest
department wins. The setup page's preview and every later stage read it here, so they
cannot disagree.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from goals.models import CyclePlan, RatingScale, Template, TemplateAssignment
from perfcycle.models import Cycle, Department, Participation


def title_key(title: str) -> str:
    """Job titles match whatever their case or surrounding spaces."""
    return " ".join(title.split()).casefold()


def plan_of(cycle: Cycle) -> CyclePlan | None:
    return (
        CyclePlan.objects.select_related("rating_scale", "default_template")
        .filter(cycle=cycle)
        .first()
    )


class Rule:
    PERSON = "person"
    DEPARTMENT_TITLE = "department_title"
    TITLE = "title"
    DEPARTMENT = "department"
    DEFAULT = "default"
    NONE = "none"


@dataclass(frozen=True)
class Resolution:
    template: Template | None
    rule: str
    assignment_id: int | None = None


def department_chains(parent_of: Mapping[int, int | None]) -> dict[int, list[int]]:
    """Each department with its ancestors, nearest first (a loop in bad data stops)."""
    chains: dict[int, list[int]] = {}
    for start in parent_of:
        chain, node = [], start
        while node is not None and node not in chain:
            chain.append(node)
            node = parent_of.get(node)
        chains[start] = chain
    return chains


def resolve_templates(
    *,
    people: Iterable[tuple[int, int | None, str]],
    assignments: Iterable[TemplateAssignment],
    default_template: Template | None,
    parent_of: Mapping[int, int | None],
) -> dict[int, Resolution]:
    """The winning template of each (employee_id, department_id, job_title); no queries."""
    by_person, by_department_title, by_title, by_department = {}, {}, {}, {}
    for a in sorted(assignments, key=lambda a: a.pk or 0):  # oldest wins a duplicate
        if a.employee_id:
            by_person.setdefault(a.employee_id, a)
        elif a.department_id and a.job_title:
            by_department_title.setdefault((a.department_id, title_key(a.job_title)), a)
        elif a.job_title:
            by_title.setdefault(title_key(a.job_title), a)
        elif a.department_id:
            by_department.setdefault(a.department_id, a)
    chains = department_chains(parent_of)
    result: dict[int, Resolution] = {}
    for employee_id, department_id, job_title in people:
        key = title_key(job_title or "")
        chain = chains.get(department_id, [department_id] if department_id else [])
        found = by_person.get(employee_id)
        rule = Rule.PERSON
        if found is None and key:
            found = next(
                (by_department_title[(d, key)] for d in chain if (d, key) in by_department_title),
                None,
            )
            rule = Rule.DEPARTMENT_TITLE
            if found is None:
                found, rule = by_title.get(key), Rule.TITLE
        if found is None:
            found = next((by_department[d] for d in chain if d in by_department), None)
            rule = Rule.DEPARTMENT
        if found is not None:
            result[employee_id] = Resolution(found.template, rule, found.pk)
        elif default_template is not None:
            result[employee_id] = Resolution(default_template, Rule.DEFAULT)
        else:
            result[employee_id] = Resolution(None, Rule.NONE)
    return result


def _participant_rows(cycle: Cycle) -> list[tuple[int, int | None, str]]:
    return list(
        Participation.objects.filter(cycle=cycle)
        .order_by()
        .values_list("employee_id", "employee__department_id", "employee__job_title")
    )


def resolutions_for_participants(
    cycle: Cycle, *, people: list[tuple[int, int | None, str]] | None = None
) -> dict[int, Resolution]:
    """Every participant's template and the rule that chose it: four queries in all.

    ``people`` (employee id, department id, job title) limits the resolution to them,
    e.g. one page of a list; by default it is every participant of ``cycle``.
    """
    plan = CyclePlan.objects.select_related("default_template").filter(cycle=cycle).first()
    assignments = list(
        TemplateAssignment.objects.filter(cycle=cycle).select_related("template").order_by("pk")
    )
    parent_of = dict(Department.objects.order_by().values_list("id", "parent_id"))
    return resolve_templates(
        people=_participant_rows(cycle) if people is None else people,
        assignments=assignments,
        default_template=plan.default_template if plan else None,
        parent_of=parent_of,
    )


def templates_for_participants(cycle: Cycle) -> dict[int, Template | None]:
    """employee_id → the template that applies to them in ``cycle`` (None: no template)."""
    return {e: r.template for e, r in resolutions_for_participants(cycle).items()}


@dataclass
class TemplatePreview:
    """The setup page's "who gets which template" table."""

    total: int
    per_template: list[tuple[Template, int]]
    without_template: list[int]  # employee ids, all of them
    # (department id, job title) → how many of the people without a template
    without_groups: Counter = field(default_factory=Counter)
    per_rule: Counter = field(default_factory=Counter)  # assignment id → people it decides
    per_kind: Counter = field(default_factory=Counter)  # Rule.* → people


def template_preview(cycle: Cycle) -> TemplatePreview:
    people = _participant_rows(cycle)
    resolutions = resolutions_for_participants(cycle, people=people)
    counts: Counter = Counter()
    templates: dict[int, Template] = {}
    preview = TemplatePreview(total=len(resolutions), per_template=[], without_template=[])
    for employee_id, department_id, job_title in people:
        r = resolutions[employee_id]
        preview.per_kind[r.rule] += 1
        if r.assignment_id:
            preview.per_rule[r.assignment_id] += 1
        if r.template is None:
            preview.without_template.append(employee_id)
            preview.without_groups[(department_id, job_title)] += 1
        else:
            counts[r.template.pk] += 1
            templates[r.template.pk] = r.template
    preview.per_template = sorted(
        ((templates[pk], n) for pk, n in counts.items()), key=lambda row: (-row[1], row[0].name)
    )
    return preview


# --- The read API for one participation ------------------------------------------------


@dataclass(frozen=True)
class EvaluationBasis:
    """What a participation is evaluated against: the cycle's rating scale and the
    template that applies to the person, and the rule that chose it."""

    rating_scale: RatingScale | None
    template: Template | None
    rule: str


def evaluation_basis_for(participation: Participation) -> EvaluationBasis:
    """The rating scale and template that apply to ``participation`` (four queries)."""
    employee = participation.employee
    plan = plan_of(participation.cycle)
    resolution = resolutions_for_participants(
        participation.cycle,
        people=[(employee.pk, employee.department_id, employee.job_title)],
    )[employee.pk]
    return EvaluationBasis(
        rating_scale=plan.rating_scale if plan else None,
        template=resolution.template,
        rule=resolution.rule,
    )


def template_for(participation: Participation) -> Template | None:
    """The template (evaluation method) that applies to ``participation``; None when no
    rule and no default gives one."""
    return evaluation_basis_for(participation).template


def rating_scale_for(participation: Participation) -> RatingScale | None:
    """The rating scale (evaluation standard) of ``participation``'s cycle."""
    plan = plan_of(participation.cycle)
    return plan.rating_scale if plan else None
