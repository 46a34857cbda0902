"""Evidence: who may record and act, the list page, history and to-dos."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import BooleanField, Count, Exists, F, Min, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from goals.models import Goal, GoalLevel
from goals.selectors import goals_visible_to
from implementation.models import Evidence
from implementation.policies import EVIDENCE
from implementation.selectors import evidence_visible_to, participations_followed_by
from perfcycle import access, rollups
from perfcycle.access import Relation
from perfcycle.compiled import CompiledQuery
from perfcycle.lookups import in_id_list
from perfcycle.models import AuditEvent, Cycle, Employee
from perfcycle.selectors import Todo, due_after

# Evidence is recorded while the work is planned, done and appraised; once the cycle has
# moved on to feedback its record is what the appraisal cited, so it is read-only.
EVIDENCE_RECORDING_PHASES = (
    Cycle.Phase.PLANNING,
    Cycle.Phase.IMPLEMENTATION,
    Cycle.Phase.APPRAISAL,
)


def evidence_recordable_participations(user):
    """Participations the user may record evidence for: their own and those they review
    (the reviewer at enrolment), in a cycle in planning, implementation or appraisal.
    HR reads and verifies evidence but records it only for themselves."""
    return (
        access.participations_related(user, EVIDENCE.act["record"])
        .filter(cycle__phase__in=EVIDENCE_RECORDING_PHASES)
        .select_related("cycle", "employee__user")
        .order_by("-cycle__start_date", "employee__user__last_name", "employee__user__first_name")
    )


def evidence_goal_options(participations):
    """The individual goals of these participants in their own cycles (one query)."""
    same_person_and_cycle = participations.filter(
        employee_id=OuterRef("owner_id"), cycle_id=OuterRef("cycle_id")
    )
    return (
        Goal.objects.filter(level=GoalLevel.INDIVIDUAL)
        .filter(Exists(same_person_and_cycle.order_by().values("pk")))
        .select_related("owner__user", "cycle")
        .order_by("cycle_id", "owner_id", "title", "pk")
    )


def is_evidence_creator(user, evidence: Evidence) -> bool:
    return user.is_authenticated and evidence.created_by_id == user.pk


def is_evidence_participant(user, evidence: Evidence) -> bool:
    employee = access.employee_of(user)
    return employee is not None and evidence.participation.employee_id == employee.pk


def recorded_by_reviewer(evidence: Evidence) -> bool:
    """Whether this participation's reviewer recorded the evidence (four-eyes: then
    someone one step up verifies it)."""
    reviewer = evidence.participation.reviewer
    return reviewer is not None and evidence.created_by_id == reviewer.user_id


def may_verify_evidence(user, evidence: Evidence) -> bool:
    """The participant's reviewer in the cycle, or HR; never the participant themself,
    never whoever recorded it. What the reviewer recorded, the reviewer's own manager
    (or HR) verifies. No query when the evidence comes ``with_people()``."""
    if is_evidence_participant(user, evidence) or is_evidence_creator(user, evidence):
        return False
    action = "verify_reviewer_record" if recorded_by_reviewer(evidence) else "verify"
    return EVIDENCE.may(user, action, evidence.participation)


def may_verify_anyone(user) -> bool:
    """Whether the user verifies anyone's evidence: HR, a reviewer in some cycle, or the
    manager of one."""
    if access.is_hr(user):
        return True
    return access.participations_related(user, Relation.REVIEWER | Relation.NEXT_UP).exists()


def evidence_list_flags(user) -> tuple[bool, bool]:
    """For the list page, in one query: whether the user verifies anyone's evidence
    (``may_verify_anyone``) and whether they may record any
    (``evidence_recordable_participations`` is not empty)."""
    employee = access.employee_of(user)
    if employee is None:
        return access.is_hr(user), False
    verifying = access.participations_related(user, Relation.REVIEWER | Relation.NEXT_UP)
    recording = access.participations_related(user, EVIDENCE.act["record"]).filter(
        cycle__phase__in=EVIDENCE_RECORDING_PHASES
    )
    verifies, records = (
        Employee.objects.filter(pk=employee.pk)
        .annotate(verifies=Exists(verifying.values("pk")), records=Exists(recording.values("pk")))
        .values_list("verifies", "records")
        .get()
    )
    return access.is_hr(user) or verifies, records


def evidence_is_open(evidence: Evidence) -> bool:
    return evidence.participation.cycle.phase in EVIDENCE_RECORDING_PHASES


@dataclass(frozen=True)
class EvidenceActions:
    """Which buttons an evidence page offers this user; the services enforce the same rules."""

    edit: bool = False
    delete: bool = False
    verify: bool = False
    unverify: bool = False


def evidence_actions(user, evidence: Evidence) -> EvidenceActions:
    is_open = evidence_is_open(evidence)
    verified = evidence.verified_at is not None
    mine = is_evidence_creator(user, evidence)
    verifier = may_verify_evidence(user, evidence)
    return EvidenceActions(
        edit=mine and is_open and not verified,
        delete=mine and is_open and not verified,
        verify=verifier and is_open and not verified,
        unverify=verifier and is_open and verified,
    )


def evidence_for_list(user):
    """The evidence the list page may show (filter and sort it with ``filter_evidence``)."""
    return evidence_visible_to(user)


def evidence_rows():
    """What a row of the list shows: people, cycle, goal and the attachment count (read
    for one page of ids at a time: perfcycle.paging)."""
    return Evidence.objects.with_people().annotate(attachment_count=Count("attachments"))


def evidence_order(sort: str) -> list[str]:
    return EVIDENCE_SORTS.get(sort, EVIDENCE_SORTS[EVIDENCE_DEFAULT_SORT])


def _routed_for_verification(user) -> Q:
    """Unverified evidence waiting on this user: as this cycle's reviewer what the
    participant recorded; one step up what the reviewer recorded; as HR what a reviewer
    without a manager recorded. Never what the user recorded or their own."""
    by_reviewer = Q(created_by=F("participation__reviewer__user"))
    routed = (~by_reviewer & EVIDENCE.q(user, Relation.REVIEWER)) | (
        by_reviewer & EVIDENCE.q(user, Relation.NEXT_UP)
    )
    if access.is_hr(user):
        routed |= by_reviewer & Q(participation__reviewer__manager__isnull=True)
    return routed


def _not_own(qs, user):
    employee = access.employee_of(user)
    if employee is not None:
        qs = qs.exclude(participation__employee=employee)
    if user.is_authenticated:
        qs = qs.exclude(created_by_id=user.pk)
    return qs


def evidence_to_verify(user):
    """Unverified evidence in open cycles that this user may verify: of the people they
    review, what the reviewers below them recorded (HR: everyone's but their own)."""
    qs = Evidence.objects.filter(
        verified_at__isnull=True, participation__cycle__phase__in=EVIDENCE_RECORDING_PHASES
    )
    if not access.is_hr(user):
        qs = qs.filter(_routed_for_verification(user))
    return _not_own(qs, user)


def hr_counts(user) -> dict | None:
    """For HR, the size of the whole list (every evidence record) and of what is to verify,
    as ``{"total": …, "to_verify": …}``: a stored roll-up (perfcycle/rollups.py, one query
    while nothing they read changes), so the page reads its 50 ids by index instead of
    counting 20,000 rows twice on each request. None for anyone else (their lists are
    counted with the page)."""
    if not access.is_hr(user):
        return None
    every, every_params = evidence_for_list(user).order_by().values("pk").query.sql_with_params()
    waiting, waiting_params = (
        evidence_to_verify(user).order_by().values("pk").query.sql_with_params()
    )
    sql = (
        f"SELECT jsonb_build_object('total', (SELECT COUNT(*) FROM ({every}) AS every),"
        f" 'to_verify', (SELECT COUNT(*) FROM ({waiting}) AS waiting))"
    )
    return rollups.cached_sql(
        f"evidence-counts:{user.pk}",
        sql,
        (*every_params, *waiting_params),
        sources=(
            "implementation_evidence",
            "perfcycle_participation",
            "perfcycle_cycle",
            "perfcycle_employee",
        ),
        compute=lambda: {
            "total": evidence_for_list(user).count(),
            "to_verify": evidence_to_verify(user).count(),
        },
    )


EVIDENCE_SORTS = {
    "date": ["occurred_on", "id"],
    "-date": ["-occurred_on", "-id"],
    "title": ["title", "id"],
    "-title": ["-title", "-id"],
    "person": [
        "participation__employee__user__last_name",
        "participation__employee__user__first_name",
        "-occurred_on",
        "-id",
    ],
    "-person": [
        "-participation__employee__user__last_name",
        "-participation__employee__user__first_name",
        "-occurred_on",
        "-id",
    ],
}
EVIDENCE_DEFAULT_SORT = "-date"


def filter_evidence(qs, *, user, filters: dict, sort: str = EVIDENCE_DEFAULT_SORT):
    """Narrow the list by the filter form's cleaned data; unknown sorts fall back to
    newest first."""
    query = (filters.get("q") or "").strip()
    if query:
        person = "participation__employee__user__"
        qs = qs.filter(
            Q(title__icontains=query)
            | Q(description__icontains=query)
            | Q(**{f"{person}first_name__icontains": query})
            | Q(**{f"{person}last_name__icontains": query})
        )
    if filters.get("person") is not None:
        qs = qs.filter(participation__employee=filters["person"])
    if filters.get("cycle") is not None:
        qs = qs.filter(participation__cycle=filters["cycle"])
    if filters.get("goal") is not None:
        qs = qs.filter(goal=filters["goal"])
    if filters.get("verified") == "yes":
        qs = qs.filter(verified_at__isnull=False)
    elif filters.get("verified") == "no":
        qs = qs.filter(verified_at__isnull=True)
    if filters.get("date_from"):
        qs = qs.filter(occurred_on__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(occurred_on__lte=filters["date_to"])
    if filters.get("to_verify"):
        qs = qs.filter(pk__in=evidence_to_verify(user).values("pk"))
    return qs.order_by(*evidence_order(sort))


def evidence_people(user):
    """People other than the user whose evidence the user may read and who have some:
    the choices of the list's person filter."""
    employee = access.employee_of(user)
    owners = evidence_visible_to(user).values("participation__employee_id")
    qs = Employee.objects.filter(pk__in=owners).select_related("user")
    if employee is not None:
        qs = qs.exclude(pk=employee.pk)
    return qs.order_by("user__last_name", "user__first_name", "pk")


def evidence_cycles(user):
    """Cycles in which the user may read someone's evidence, newest first."""
    return Cycle.objects.filter(
        pk__in=participations_followed_by(user).values("cycle_id")
    ).order_by("-start_date", "-pk")


def evidence_goals(user, *, asked_for: int | None = None):
    """Goals that some evidence the user may read supports: the goal filter's scope.
    ``asked_for``: the goal a link asked about (a goal page's "Evidence" button), offered
    too when the user may read it, so a goal with no evidence yet lists nothing rather
    than being refused as a bad filter."""
    scope = Q(pk__in=evidence_visible_to(user).filter(goal__isnull=False).values("goal_id"))
    if asked_for is not None:
        scope |= Q(pk=asked_for, pk__in=goals_visible_to(user).values("pk"))
    return Goal.objects.filter(scope).select_related("owner__user").order_by("title", "pk")


def evidence_history(evidence: Evidence):
    """The audit trail of one record (created, edited, verified, unverified with reason)."""
    return AuditEvent.objects.filter(
        object_type=Evidence._meta.label_lower, object_id=str(evidence.pk)
    ).select_related("actor")


def _routed_counts_queryset(reviewed, next_up, employee_id, user_id):
    """Per participation, the unverified evidence routed to a non-HR verifier (``count``,
    ``oldest``): what was recorded where they review (``reviewed``, participation ids),
    what the reviewer recorded one step up (``next_up``: participations whose reviewer
    they manage); never their own record or what they recorded. The ids go to PostgreSQL
    as arrays, so the SQL is built once per process (``_routed_counts``)."""
    participation = f'"{Evidence._meta.db_table}"."participation_id"'
    reviews = RawSQL(in_id_list(participation), [reviewed], BooleanField())
    one_up = RawSQL(in_id_list(participation), [next_up], BooleanField())
    return (
        Evidence.objects.filter(
            Q(reviews) | (Q(one_up) & Q(created_by=F("participation__reviewer__user"))),
            verified_at__isnull=True,
        )
        .exclude(participation__employee_id=employee_id)
        .exclude(created_by_id=user_id)
        .values("participation_id")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
        .order_by()
    )


_routed_counts = CompiledQuery(_routed_counts_queryset, arguments=4)


def _per_cycle(viewer, per_participation) -> list[dict]:
    """Rows per participation (``count``, ``oldest``) summed per cycle, with the cycle's
    appraisal deadline from ``Viewer.reviewed``: no join of participations and cycles."""
    known = {row["pk"]: row for row in viewer.reviewed}
    cycles: dict[int, dict] = {}
    for row in per_participation:
        of = known[row["participation_id"]]
        cycle = cycles.setdefault(
            of["cycle_id"],
            {
                "participation__cycle_id": of["cycle_id"],
                "participation__cycle__appraisal_deadline": of["appraisal_deadline"],
                "count": 0,
                "oldest": row["oldest"],
            },
        )
        cycle["count"] += row["count"]
        cycle["oldest"] = min(cycle["oldest"], row["oldest"])
    return sorted(
        cycles.values(),
        key=lambda c: (
            c["participation__cycle__appraisal_deadline"] is None,
            c["participation__cycle__appraisal_deadline"] or dt.date.max,
            c["participation__cycle_id"],
        ),
    )


def evidence_todos(viewer) -> list[Todo]:
    """For a verifier (this cycle's reviewer; one step up for what the reviewer recorded;
    HR when that reviewer has no manager): "N evidence records to verify", one to-do per
    open cycle, due ``evidence_verification`` days after the oldest was recorded
    (PERFCYCLE_TODO_DUE_DAYS), and at the latest when the cycle's appraisal ends (ratings
    cite verified evidence). Registered in implementation/stage.py; ``viewer``:
    perfcycle.stages.Viewer. One query (by participation ids, ``Viewer.reviewed``), none
    for someone who reviews nobody and has no reviewer below them and is not HR."""
    user = viewer.user
    if viewer.employee is None and not viewer.is_hr:
        return []
    if viewer.is_hr:
        waiting = Evidence.objects.filter(
            _routed_for_verification(user),
            verified_at__isnull=True,
            participation__cycle__phase__in=EVIDENCE_RECORDING_PHASES,
        )
        rows = list(
            _not_own(waiting, user)
            .values("participation__cycle_id", "participation__cycle__appraisal_deadline")
            .annotate(count=Count("pk"), oldest=Min("created_at"))
            .order_by("participation__cycle__appraisal_deadline", "participation__cycle_id")
        )
    else:
        reviewed = viewer.reviewed_ids(*EVIDENCE_RECORDING_PHASES)
        next_up = [row["pk"] for row in viewer.next_up_rows(*EVIDENCE_RECORDING_PHASES)]
        if not reviewed and not next_up:
            return []
        rows = _per_cycle(viewer, _routed_counts(reviewed, next_up, viewer.employee.pk, user.pk))
    url = reverse("implementation:evidence-list")
    todos = []
    for row in rows:
        due = due_after("evidence_verification", row["oldest"])
        deadline = row["participation__cycle__appraisal_deadline"]
        if deadline is not None and deadline < due:
            due = deadline
        todos.append(
            Todo(
                title=ngettext(
                    "%(count)s evidence record to verify",
                    "%(count)s evidence records to verify",
                    row["count"],
                )
                % {"count": row["count"]},
                url=f"{url}?to_verify=1&cycle={row['participation__cycle_id']}",
                action=_("Verify evidence"),
                due=due,
            )
        )
    return todos
