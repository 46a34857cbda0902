"""Demo planning data: a cycle's standards, templates and a realistic goal cascade.

``seed_planning(cycle, actor=SYSTEM)`` gives a cycle whose people are already enrolled:

- the standard 5-level rating scale (``goals.services.library.ensure_default_scale``);
- six library indicators with scoring thresholds (revenue growth, customer satisfaction,
  defects per release — lower is better —, on-time delivery, and two behavioural
  competencies, collaboration and ownership);
- two templates, "Individual contributor" (goals 60 %, competencies 30 %, peer 10 %) and
  "Manager" (goals 50 %, KPIs 30 %, competencies 20 %);
- the cycle's plan (that scale, "Individual contributor" as the default template) and a
  job-title rule giving "Manager" to every title held by someone with reports;
- three company goals; two goals per department, a sub-department's aligned to its parent
  department's and a top department's to the company goals, so the cascade is four
  levels deep; 3–4 approved goals per participant whose weights total 100 %, aligned to
  their department's goals, most with a current value for realistic progress; one person
  in twenty also has a personal goal aligned to nothing;
- the approval history of those goals (``history_for``: everyone's by default): each
  drafted by its owner, submitted and approved by their reviewer during planning, with
  the version and audit events the workflow writes, dated then.

Idempotent: each part is created only if missing (people who already have goals in the
cycle are left alone), so running it again changes nothing, and running it after more
people joined gives goals to the newcomers only. It is a data load, not a workflow: rows
are written with ``bulk_create`` (a 10,000-person cycle takes a few seconds) and one
audit event records what was seeded. It never creates users or hashes passwords.
"""

import datetime as dt
import zlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.db import transaction
from django.db.models import Count

from goals import rollups
from goals.models import (
    CyclePlan,
    Direction,
    Goal,
    GoalLevel,
    GoalStatus,
    GoalVersion,
    Indicator,
    IndicatorKind,
    Method,
    RatingLevel,
    RatingScale,
    ScoringThreshold,
    SectionKind,
    Template,
    TemplateAssignment,
    TemplateItem,
    TemplateSection,
)
from goals.rules import HUNDRED
from perfcycle import services
from perfcycle.audit import Event, Subject, record_event, record_events, snapshot
from perfcycle.demo import UserRef, moment
from perfcycle.demo import pseudo_random as _pseudo_random
from perfcycle.models import AuditEvent, Cycle, Department, Participation
from perfcycle.workflow import SYSTEM, user_of

BATCH_SIZE = 2000
D = Decimal

# Achievement % of target → rating level, on the 5-level scale.
THRESHOLDS = ((D("0"), 1), (D("60"), 2), (D("85"), 3), (D("100"), 4), (D("120"), 5))


@dataclass(frozen=True)
class IndicatorPlan:
    key: str
    name: str
    definition: str
    kind: str
    unit: str
    direction: str


REVENUE, CSAT, DEFECTS, ON_TIME, COLLABORATION, OWNERSHIP = (
    "revenue",
    "csat",
    "defects",
    "on_time",
    "collaboration",
    "ownership",
)

INDICATORS = (
    IndicatorPlan(
        REVENUE,
        "Revenue growth",
        "Growth of revenue against the same period last year.",
        IndicatorKind.QUANTITATIVE,
        "%",
        Direction.HIGHER,
    ),
    IndicatorPlan(
        CSAT,
        "Customer satisfaction score",
        "Average answer to “How satisfied are you?” in the quarterly survey, 1 to 5.",
        IndicatorKind.QUANTITATIVE,
        "points",
        Direction.HIGHER,
    ),
    IndicatorPlan(
        DEFECTS,
        "Defects per release",
        "Defects found in production per release, averaged over the period.",
        IndicatorKind.QUANTITATIVE,
        "defects",
        Direction.LOWER,
    ),
    IndicatorPlan(
        ON_TIME,
        "On-time delivery",
        "Share of committed deliverables shipped by their agreed date.",
        IndicatorKind.QUANTITATIVE,
        "%",
        Direction.HIGHER,
    ),
    IndicatorPlan(
        COLLABORATION,
        "Collaboration",
        "Shares information early, helps colleagues succeed and resolves disagreement "
        "openly; rated on the scale's behavioural descriptors.",
        IndicatorKind.BEHAVIOURAL,
        "rating",
        Direction.HIGHER,
    ),
    IndicatorPlan(
        OWNERSHIP,
        "Ownership",
        "Takes responsibility for outcomes, follows through without reminders and raises "
        "risks before they become problems.",
        IndicatorKind.BEHAVIOURAL,
        "rating",
        Direction.HIGHER,
    ),
)

IC_TEMPLATE = "Individual contributor"
MANAGER_TEMPLATE = "Manager"
# name: (description, [(section, weight, [(indicator key, weight within section)])])
TEMPLATES = {
    IC_TEMPLATE: (
        "Goals 60 %, competencies 30 %, peer input 10 %.",
        [
            (SectionKind.GOALS, D("60"), []),
            (SectionKind.COMPETENCIES, D("30"), [(COLLABORATION, D("50")), (OWNERSHIP, D("50"))]),
            (SectionKind.PEER, D("10"), []),
        ],
    ),
    MANAGER_TEMPLATE: (
        "Goals 50 %, team KPIs 30 %, competencies 20 %.",
        [
            (SectionKind.GOALS, D("50"), []),
            (
                SectionKind.INDICATORS,
                D("30"),
                [(REVENUE, D("40")), (CSAT, D("30")), (ON_TIME, D("30"))],
            ),
            (SectionKind.COMPETENCIES, D("20"), [(COLLABORATION, D("50")), (OWNERSHIP, D("50"))]),
        ],
    ),
}


@dataclass(frozen=True)
class GoalPlan:
    """A goal to create: its numbers; ``title`` may hold ``{dept}``."""

    title: str
    indicator: str
    baseline: Decimal
    target: Decimal
    weight: Decimal = D("0")


# Three themes: a company goal each, and what departments and people do for it.
COMPANY_GOALS = (
    GoalPlan("Grow revenue by 20 %", REVENUE, D("0"), D("20"), D("40")),
    GoalPlan("Customers rate us 4.5 out of 5", CSAT, D("3.9"), D("4.5"), D("30")),
    GoalPlan("Ship reliably: at most 2 defects per release", DEFECTS, D("8"), D("2"), D("30")),
)
DEPARTMENT_GOALS = (
    GoalPlan("{dept}: grow our contribution to revenue", REVENUE, D("0"), D("15")),
    GoalPlan("{dept}: raise the satisfaction of the customers we serve", CSAT, D("3.8"), D("4.4")),
    GoalPlan("{dept}: deliver reliably, with fewer defects", DEFECTS, D("8"), D("3")),
)
DEPARTMENT_WEIGHTS = (D("60"), D("40"))
# Per theme, two ways a person contributes; someone with two goals under one department
# goal gets both, never the same title twice.
INDIVIDUAL_GOALS = (
    (
        GoalPlan("Win new business worth 15 % more than last year", REVENUE, D("0"), D("15")),
        GoalPlan("Grow the revenue of the products I work on by 10 %", REVENUE, D("0"), D("10")),
    ),
    (
        GoalPlan("Raise my customers' satisfaction score to 4.5", CSAT, D("3.8"), D("4.5")),
        GoalPlan("Resolve customer issues so satisfaction reaches 4.4", CSAT, D("3.8"), D("4.4")),
    ),
    (
        GoalPlan("Cut the defects in my releases to 3 per release", DEFECTS, D("8"), D("3")),
        GoalPlan("Deliver 95 % of my commitments on time", ON_TIME, D("70"), D("95")),
    ),
)
GROWTH_GOALS = (
    GoalPlan("Be the colleague others want on their project", COLLABORATION, D("3"), D("4")),
    GoalPlan("Own one improvement to how the team works, end to end", OWNERSHIP, D("3"), D("4")),
)
PERSONAL_GOAL = GoalPlan("Complete a professional certification", ON_TIME, D("0"), D("100"))
WEIGHTS = {3: (D("40"), D("30"), D("30")), 4: (D("30"), D("30"), D("20"), D("20"))}


@dataclass(frozen=True)
class PlanningSeed:
    indicators: int
    templates: int
    company_goals: int
    department_goals: int
    individual_goals: int
    people_planned: int


def _scale(actor) -> RatingScale:
    from goals.services.library import ensure_default_scale

    return ensure_default_scale(actor=actor)


def _indicators(scale: RatingScale) -> dict[str, Indicator]:
    found = {i.name: i for i in Indicator.objects.filter(name__in=[p.name for p in INDICATORS])}
    missing = [p for p in INDICATORS if p.name not in found]
    if missing:
        created = Indicator.objects.bulk_create(
            Indicator(
                name=p.name,
                definition=p.definition,
                kind=p.kind,
                unit=p.unit,
                direction=p.direction,
                scale=scale,
            )
            for p in missing
        )
        levels = set(RatingLevel.objects.filter(scale=scale).values_list("value", flat=True))
        ScoringThreshold.objects.bulk_create(
            ScoringThreshold(indicator=i, min_achievement=start, level_value=level)
            for i in created
            for start, level in THRESHOLDS
            if level in levels
        )
        found.update((i.name, i) for i in created)
    return {p.key: found[p.name] for p in INDICATORS}


def _templates(indicators: dict[str, Indicator]) -> dict[str, Template]:
    found = {t.name: t for t in Template.objects.filter(name__in=list(TEMPLATES))}
    for name, (description, sections) in TEMPLATES.items():
        if name in found:
            continue
        template = Template.objects.create(name=name, method=Method.MIXED, description=description)
        for position, (kind, weight, items) in enumerate(sections):
            section = TemplateSection.objects.create(
                template=template, kind=kind, weight=weight, position=position
            )
            TemplateItem.objects.bulk_create(
                TemplateItem(section=section, indicator=indicators[key], weight=w)
                for key, w in items
            )
        found[name] = template
    return found


def _plan(cycle: Cycle, scale: RatingScale, templates: dict[str, Template], actor) -> None:
    if CyclePlan.objects.filter(cycle=cycle).exists():
        return  # HR's choice stands
    plan = CyclePlan.objects.create(
        cycle=cycle, rating_scale=scale, default_template=templates[IC_TEMPLATE]
    )
    record_event(
        actor=actor,
        verb="cycle_plan.created",
        obj=plan,
        after={"rating_scale": scale.pk, "default_template": plan.default_template_id},
    )


def _manager_rules(cycle: Cycle, template: Template) -> None:
    titles = set(
        Participation.objects.filter(cycle=cycle, employee__reports__is_active=True)
        .exclude(employee__job_title="")
        .values_list("employee__job_title", flat=True)
        .distinct()
    )
    ruled = {
        t.casefold()
        for t in TemplateAssignment.objects.filter(
            cycle=cycle, employee__isnull=True, department__isnull=True
        ).values_list("job_title", flat=True)
    }
    TemplateAssignment.objects.bulk_create(
        TemplateAssignment(cycle=cycle, template=template, job_title=title)
        for title in sorted(titles)
        if title.casefold() not in ruled
    )


def _goal(cycle, plan: GoalPlan, indicators, *, actor, title=None, **fields) -> Goal:
    return Goal(
        cycle=cycle,
        title=(title or plan.title)[:200],
        indicator=indicators[plan.indicator],
        baseline=plan.baseline,
        target=plan.target,
        unit=indicators[plan.indicator].unit,
        status=GoalStatus.APPROVED,
        created_by=user_of(actor),
        **fields,
    )


def _company_goals(cycle, indicators, actor) -> list[Goal]:
    existing = {g.title: g for g in Goal.objects.filter(cycle=cycle, level=GoalLevel.COMPANY)}
    new = [
        _goal(cycle, p, indicators, actor=actor, level=GoalLevel.COMPANY, weight=p.weight)
        for p in COMPANY_GOALS
        if p.title not in existing
    ]
    Goal.objects.bulk_create(new)
    existing.update((g.title, g) for g in new)
    return [existing[p.title] for p in COMPANY_GOALS]


def _department_goals(cycle, indicators, company, people, actor) -> dict[int, list[Goal]]:
    """Two goals per department with participants (and each department above one).

    Returns department id → its goals; a goal's theme (which company goal it serves) is
    kept on it as ``theme`` for the people below.
    """
    parent_of = dict(Department.objects.order_by().values_list("id", "parent_id"))
    names = dict(Department.objects.order_by().values_list("id", "name"))
    wanted: set[int] = set()
    for _employee, department_id, _manager_department in people:
        node = department_id
        while node is not None and node not in wanted:
            wanted.add(node)
            node = parent_of.get(node)

    def depth(d: int) -> int:
        n, seen = 0, set()
        while parent_of.get(d) is not None and d not in seen:
            seen.add(d)
            d, n = parent_of[d], n + 1
        return n

    heads: dict[int, int] = {}
    for employee, department_id, manager_department in sorted(people):
        if department_id is not None and manager_department != department_id:
            heads.setdefault(department_id, employee)
    theme_of = {indicators[p.indicator].pk: n for n, p in enumerate(DEPARTMENT_GOALS)}
    existing: dict[int, list[Goal]] = defaultdict(list)
    for g in Goal.objects.filter(
        cycle=cycle, level=GoalLevel.DEPARTMENT, department__in=wanted
    ).order_by("pk"):
        g.theme = theme_of.get(g.indicator_id, 0)
        existing[g.department_id].append(g)
    goals: dict[int, list[Goal]] = dict(existing)
    ordered = sorted(wanted, key=lambda d: (depth(d), names[d]))
    for level in sorted({depth(d) for d in ordered}):
        new = []
        for index, d in enumerate(x for x in ordered if depth(x) == level):
            if d in existing:
                continue  # seeded before, or written by HR: left as it is
            parent_goals = goals.get(parent_of.get(d))
            goals[d] = []
            for k, weight in enumerate(DEPARTMENT_WEIGHTS):
                if parent_goals:
                    parent = parent_goals[k % len(parent_goals)]
                    theme = parent.theme
                else:
                    theme = (index + k) % len(COMPANY_GOALS)
                    parent = company[theme]
                plan = DEPARTMENT_GOALS[theme]
                goal = _goal(
                    cycle,
                    plan,
                    indicators,
                    actor=actor,
                    title=plan.title.format(dept=names[d]),
                    level=GoalLevel.DEPARTMENT,
                    department_id=d,
                    owner_id=heads.get(d),
                    parent=parent,
                    weight=weight,
                )
                goal.theme = theme
                new.append(goal)
                goals[d].append(goal)
        Goal.objects.bulk_create(new, batch_size=BATCH_SIZE)
    return goals


def _split(total: Decimal, count: int) -> tuple[Decimal, ...]:
    """``total`` % in ``count`` weights, multiples of 5 where they can be, the first the
    largest: 55 in 2 is 30 + 25."""
    if count <= 0 or total <= 0:
        return ()
    share = (total / count / 5).to_integral_value(rounding="ROUND_FLOOR") * 5
    return (total - share * (count - 1), *([share] * (count - 1)))


def _agreed_drafts(cycle) -> dict[int, list[Goal]]:
    """Draft goals a person has before the demo plans their year and nothing else: the
    ones agreed elsewhere (last cycle's feedback interview, carried in as drafts through
    ``draft_goal_for``). Owner id → those goals, heaviest first."""
    drafts: dict[int, list[Goal]] = defaultdict(list)
    rows = Goal.objects.filter(cycle=cycle, level=GoalLevel.INDIVIDUAL).order_by(
        "owner_id", "-weight", "pk"
    )
    settled = set()
    for goal in rows:
        if goal.status == GoalStatus.DRAFT:
            drafts[goal.owner_id].append(goal)
        else:
            settled.add(goal.owner_id)
    agreed = {owner: goals for owner, goals in drafts.items() if owner not in settled}
    # Their rows were written under the demo's clock, but a column whose default is
    # ``timezone.now`` is not reached by it: date them by their "drafted for" event.
    by_pk = {str(g.pk): g for goals in agreed.values() for g in goals}
    for object_id, at in AuditEvent.objects.filter(
        object_type=Goal._meta.label_lower, object_id__in=list(by_pk), verb="goal.drafted_for"
    ).values_list("object_id", "created_at"):
        by_pk[object_id].created_at = at
    return agreed


def _approve_agreed(goals: list[Goal], users, employee: int, key: int, first: int) -> None:
    """The person submits the drafts agreed in their interview with the demo's goals and
    their reviewer approves them, on the same planning days (the history below)."""
    owner_user, reviewer_user = users.get(employee, (None, None))
    for j, goal in enumerate(goals, start=first):
        goal.status = GoalStatus.APPROVED
        goal.version += 2  # submitted, approved
        goal.drafted_elsewhere = True  # its "drafted" event is the carry's own
        if owner_user is not None:
            goal.approval = _approval_moments(goal.cycle, key, j)
            goal.created_by_id, goal.reviewer_user_id = owner_user, reviewer_user
            goal.updated_at = goal.approval[2]


def _individual_goals(
    cycle, indicators, department_goals, people, actor, history_for=None, agreed=None, keys=None
) -> list[Goal]:
    """Each person's 3–4 goals totalling 100 %; someone with drafts agreed in last cycle's
    interview (``agreed``) keeps them after the demo's own, which share the rest of their
    weight."""
    goals = []
    agreed = agreed or {}
    keys = keys or {}
    wanted = [p[0] for p in people if history_for is None or p[0] in history_for]
    users = _users(cycle, wanted)
    for employee, department_id, _manager_department in people:
        # The draws' key: from the person's employee number, never a database id (ids
        # differ from one database to the next, the demo must not).
        key = keys.get(employee, employee)
        count = 4 if _pseudo_random(key, 1) < 0.5 else 3
        weights = WEIGHTS[count]
        theirs = agreed.get(employee, [])
        if theirs:
            left = HUNDRED - sum((g.weight or Decimal(0) for g in theirs), Decimal(0))
            weights = _split(left, count)
            _approve_agreed(theirs, users, employee, key, first=len(weights))
        count = len(weights)
        aligned_to = department_goals.get(department_id) or []
        personal = _pseudo_random(key, 2) < 0.05
        for j, weight in enumerate(weights):
            parent = aligned_to[j % len(aligned_to)] if aligned_to else None
            if j == count - 1 and personal:
                plan, parent = PERSONAL_GOAL, None
            elif j == count - 1:
                plan = GROWTH_GOALS[key % len(GROWTH_GOALS)]
            else:
                theme = parent.theme if parent is not None else (key + j) % 3
                plan = INDIVIDUAL_GOALS[theme][(key + j // 2) % 2]
            goal = _goal(
                cycle,
                plan,
                indicators,
                actor=actor,
                level=GoalLevel.INDIVIDUAL,
                owner_id=employee,
                parent=parent,
                weight=weight,
                current_value=_current_value(plan, key, j),
            )
            owner_user, reviewer_user = users.get(employee, (None, None))
            if owner_user is not None:
                # Drafted by its owner, submitted, approved: version 3 (see below).
                goal.approval = _approval_moments(cycle, key, j)
                goal.created_by_id, goal.reviewer_user_id = owner_user, reviewer_user
                goal.created_at, goal.updated_at = goal.approval[0], goal.approval[2]
                goal.version = 3
            goals.append(goal)
    Goal.objects.bulk_create(goals, batch_size=BATCH_SIZE)
    return goals


def _users(cycle: Cycle, employees: list[int]) -> dict[int, tuple[int, int | None]]:
    """Employee id → (their user id, the user id approving their goals): their reviewer
    in the cycle, or the first HR admin for someone without one."""
    hr_user = (
        services.hr_group().user_set.filter(is_active=True).order_by("pk").values_list("pk")
    ).first()
    wanted = set(employees)
    return {
        employee: (user, reviewer or (hr_user[0] if hr_user else None))
        for employee, user, reviewer in Participation.objects.filter(cycle=cycle)
        .order_by()
        .values_list("employee_id", "employee__user_id", "reviewer__user_id")
        if employee in wanted
    }


def _approval_moments(cycle: Cycle, employee: int, j: int) -> tuple:
    """When a person's goal was drafted, submitted and approved: in the first half of
    planning, a few days apart, before the planning deadline."""
    last_day = max(cycle.start_date, cycle.planning_deadline - dt.timedelta(days=1))
    span = (last_day - cycle.start_date).days
    drafted = cycle.start_date + dt.timedelta(days=int(span * 0.5 * _pseudo_random(employee, 3)))
    submitted = min(drafted + dt.timedelta(days=int(4 * _pseudo_random(employee, j, 4))), last_day)
    approved = min(
        submitted + dt.timedelta(days=1 + int(6 * _pseudo_random(employee, 5))), last_day
    )
    minutes = employee * 7 + j * 13
    return (
        moment(drafted, minutes),
        moment(submitted, minutes + 90),
        moment(approved, minutes + 200),
    )


def _approval_history(cycle: Cycle, goals: list[Goal], *, actor) -> None:
    """What the workflow (goals.services.workflow) would have left on the seeded goals:
    a person's goal was created as a draft by its owner, submitted and approved by their
    reviewer during planning (the ``goal.created``, ``goal.submitted`` and
    ``goal.approved`` events, dated then, and a first ``GoalVersion``); a company or
    department goal is created approved (one event, one version). The goal's page shows
    the versions; the deviation grace period reads the approval. Bulk: a few INSERTs."""
    events, versions = [], []
    for goal in goals:
        approval = getattr(goal, "approval", None)
        if approval is None and goal.level == GoalLevel.INDIVIDUAL:
            continue  # no history asked for (a large org's generated people)
        content = _content(goal)
        subject = Subject(Goal, goal.pk, goal.title[:255])
        if approval is None:
            at = moment(cycle.start_date, goal.pk)
            events.append(Event(actor, "goal.created", subject, after=content, at=at))
            versions.append(_version(goal, changed_by=user_of(actor), at=at))
            continue
        drafted, submitted, approved = approval
        owner = UserRef(goal.created_by_id)
        reviewer = UserRef(goal.reviewer_user_id) if goal.reviewer_user_id else SYSTEM
        draft = GoalStatus.DRAFT
        if not getattr(goal, "drafted_elsewhere", False):
            events.append(
                Event(
                    owner, "goal.created", subject, after={**content, "status": draft}, at=drafted
                )
            )
        events += [
            Event(
                owner,
                "goal.submitted",
                subject,
                before={"status": draft},
                after={"status": GoalStatus.SUBMITTED},
                at=submitted,
            ),
            Event(
                reviewer,
                "goal.approved",
                subject,
                before={"status": GoalStatus.SUBMITTED},
                after={
                    "status": GoalStatus.APPROVED,
                    **{k: content[k] for k in ["weight", "target"]},
                },
                at=approved,
            ),
        ]
        versions.append(_version(goal, changed_by=goal.reviewer_user_id, at=approved))
    record_events(events, batch_size=BATCH_SIZE)
    GoalVersion.objects.bulk_create(versions, batch_size=BATCH_SIZE)


def _content(goal: Goal) -> dict:
    """``snapshot(goal, AUDIT_FIELDS)`` as goals.services.workflow records it, read from
    the row's own columns (related objects by id, without loading them)."""
    from goals.services.workflow import AUDIT_FIELDS

    columns = {name: getattr(goal, Goal._meta.get_field(name).attname) for name in AUDIT_FIELDS}
    return snapshot(SimpleNamespace(**columns), AUDIT_FIELDS)


def _version(goal: Goal, *, changed_by, at) -> GoalVersion:
    return GoalVersion(
        goal_id=goal.pk,
        number=1,
        title=goal.title,
        target=goal.target,
        weight=goal.weight,
        due_date=goal.due_date,
        status=GoalStatus.APPROVED,
        changed_by_id=getattr(changed_by, "pk", changed_by),
        changed_at=at,
    )


def _current_value(plan: GoalPlan, employee: int, j: int) -> Decimal | None:
    """Three goals in four have a current value, 10 %–115 % of the way to the target."""
    if _pseudo_random(employee, j, 7) < 0.25:
        return None
    progress = D(str(round(0.1 + 1.05 * _pseudo_random(employee, j, 11), 2)))
    return (plan.baseline + (plan.target - plan.baseline) * progress).quantize(D("0.01"))


def seed_planning(cycle: Cycle, *, actor, history_for=None) -> PlanningSeed:
    """Standards, templates, the plan and the goal cascade of ``cycle``; safe to rerun.
    ``history_for``: the employee ids whose goals get their approval history (None:
    everyone's); the others' goals are simply approved."""
    with transaction.atomic():
        scale = _scale(actor)
        indicators = _indicators(scale)
        templates = _templates(indicators)
        _plan(cycle, scale, templates, actor)
        _manager_rules(cycle, templates[MANAGER_TEMPLATE])
        seeded_before = set(
            Goal.objects.filter(cycle=cycle)
            .exclude(level=GoalLevel.INDIVIDUAL)
            .values_list("pk", flat=True)
        )
        company = _company_goals(cycle, indicators, actor)
        rows = list(
            Participation.objects.filter(cycle=cycle, employee__is_active=True)
            .order_by("employee_id")
            .values_list(
                "employee_id",
                "employee__department_id",
                "employee__manager__department_id",
                "employee__employee_number",
            )
        )
        people = [row[:3] for row in rows]
        keys = {row[0]: zlib.crc32(row[3].encode()) for row in rows}
        department_goals = _department_goals(cycle, indicators, company, people, actor)
        agreed = _agreed_drafts(cycle)
        planned = set(
            Goal.objects.filter(cycle=cycle, level=GoalLevel.INDIVIDUAL)
            .exclude(owner_id__in=agreed)
            .order_by()
            .values_list("owner_id", flat=True)
            .distinct()
        )
        newcomers = [p for p in people if p[0] not in planned]
        history_for = None if history_for is None else set(history_for)
        created = _individual_goals(
            cycle, indicators, department_goals, newcomers, actor, history_for, agreed, keys
        )
        carried = [g for p in newcomers for g in agreed.get(p[0], [])]
        Goal.objects.bulk_update(carried, ["status", "version", "created_at", "updated_at"])
        cascade = list(
            Goal.objects.filter(cycle=cycle)
            .exclude(level=GoalLevel.INDIVIDUAL)
            .exclude(pk__in=seeded_before)
        )
        _approval_history(cycle, [*cascade, *created, *carried], actor=actor)
        rollups.rebuild([cycle.pk])  # bulk_create bypasses the services' refresh
        counts = defaultdict(int)
        for row in (
            Goal.objects.filter(cycle=cycle).order_by().values("level").annotate(n=Count("id"))
        ):
            counts[row["level"]] = row["n"]
        result = PlanningSeed(
            indicators=len(indicators),
            templates=len(templates),
            company_goals=counts[GoalLevel.COMPANY],
            department_goals=counts[GoalLevel.DEPARTMENT],
            individual_goals=counts[GoalLevel.INDIVIDUAL],
            people_planned=len(planned) + len(newcomers),
        )
        if created:
            record_event(
                actor=actor,
                verb="goals.seeded",
                obj=cycle,
                after={"people": len(newcomers), "goals": len(created)},
            )
    return result
