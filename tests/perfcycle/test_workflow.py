"""The shared workflow and audit machinery (perfcycle.workflow, perfcycle.audit): versions
fail closed, every change has an actor (a person or SYSTEM, never None), and no stage
carries its own copy of the machinery or writes audit rows itself."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from goals.models import Goal
from goals.services.workflow import GoalWorkflowError
from implementation.services.checkins import CheckinError
from implementation.services.deviations import DeviationWorkflowError
from implementation.services.evidence import EvidenceError
from perfcycle import services
from perfcycle.audit import Event, record_event, record_events, snapshot
from perfcycle.models import AuditEvent, Cycle
from perfcycle.org_import.services import OrgImportError
from perfcycle.workflow import (
    SYSTEM,
    ConcurrentEditError,
    DomainError,
    check_version,
    require_hr,
    require_move,
    save_versioned,
)
from tests.factories import make_cycle
from tests.goals.factories import make_goal

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


# --- Versions fail closed --------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, "", "abc", 0, 2])
def test_check_version_refuses_a_missing_or_stale_version(version):
    """Only the version the row has passes; anything else is a conflict."""
    cycle = make_cycle()
    with pytest.raises(ConcurrentEditError, match="Someone else changed this cycle"):
        check_version(cycle, version)
    check_version(cycle, str(cycle.version))


def test_update_cycle_refuses_a_missing_version(hr_admin):
    cycle = make_cycle("As planned")
    data = {f: getattr(cycle, f) for f in services.CYCLE_FIELDS}
    with pytest.raises(ConcurrentEditError):
        services.update_cycle(
            actor=hr_admin.user,
            cycle_id=cycle.pk,
            data={**data, "name": "Overwritten"},
            expected_version=None,
        )
    cycle.refresh_from_db()
    assert (cycle.name, cycle.version) == ("As planned", 1)


def test_cycle_edit_without_version_is_a_409_and_changes_nothing(hr_admin, login):
    """HR's cycle form posted without its version: the conflict message, a 409, no save."""
    cycle = make_cycle("As planned")
    data = {f: getattr(cycle, f) for f in services.CYCLE_FIELDS}
    data = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}
    response = login(hr_admin).post(
        reverse("cycle-edit", args=[cycle.pk]), {**data, "name": "Overwritten"}
    )
    assert response.status_code == 409
    assert "Someone else changed this cycle" in response.content.decode()
    cycle.refresh_from_db()
    assert (cycle.name, cycle.version) == ("As planned", 1)


def test_save_versioned_bumps_the_version_and_the_update_time():
    cycle = make_cycle()
    goal = make_goal(cycle=cycle, title="Before")
    stamp = goal.updated_at
    goal.title = "After"
    save_versioned(goal, ["title"])
    goal.refresh_from_db()
    assert (goal.title, goal.version) == ("After", 2)
    assert goal.updated_at > stamp


def test_require_move_words_the_refusal_with_the_state_and_the_action():
    goal = make_goal(cycle=make_cycle(), status="approved")
    with pytest.raises(GoalWorkflowError, match="This goal is approved, so it cannot be sent"):
        require_move(goal, "submitted", error=GoalWorkflowError, action="sent")
    require_move(make_goal(cycle=goal.cycle), "submitted")  # a draft may be submitted


def test_every_stage_error_is_a_domain_error():
    """Views catch ValidationError; services and tests can tell business refusals apart."""
    for error in (
        GoalWorkflowError,
        CheckinError,
        EvidenceError,
        DeviationWorkflowError,
        OrgImportError,
        ConcurrentEditError,
    ):
        assert issubclass(error, DomainError)


# --- Actors: a person or SYSTEM, never None ---------------------------------------------------


def test_the_audit_log_refuses_an_event_without_an_actor():
    cycle = make_cycle()
    with pytest.raises(TypeError, match="actor is required"):
        record_event(actor=None, verb="cycle.touched", obj=cycle)
    with pytest.raises(TypeError, match="actor is required"):
        record_events([Event(actor=None, verb="cycle.touched", obj=cycle)])
    assert not AuditEvent.objects.filter(verb="cycle.touched").exists()


def test_system_events_are_stored_without_a_person_and_shown_as_the_scheduler(hr_admin, login):
    """The audit page names scheduled changes "PerfCycle (scheduled)"."""
    cycle = make_cycle("FY")
    record_event(actor=SYSTEM, verb="cycle.touched", obj=cycle)
    record_event(actor=hr_admin.user, verb="cycle.looked_at", obj=cycle)
    assert AuditEvent.objects.get(verb="cycle.touched").actor is None
    html = login(hr_admin).get(reverse("audit-list")).content.decode()
    assert re.search(r'data-testid="system-actor">PerfCycle \(scheduled\)<', html)
    assert html.count('data-testid="system-actor"') == 1


def test_require_hr_accepts_system_only_where_the_service_says_so(hr_admin, employee):
    require_hr(hr_admin.user)
    require_hr(SYSTEM, allow_system=True)
    with pytest.raises(PermissionDenied):
        require_hr(SYSTEM)
    with pytest.raises(PermissionDenied):
        require_hr(employee.user, allow_system=True)
    with pytest.raises(TypeError):
        require_hr(None, allow_system=True)


def test_the_scheduler_advances_a_phase_as_system_and_none_is_refused():
    cycle = make_cycle(phase=Cycle.Phase.PLANNING)
    with pytest.raises(TypeError):
        services.advance_cycle_phase(actor=None, cycle_id=cycle.pk, to_phase="implementation")
    services.advance_cycle_phase(actor=SYSTEM, cycle_id=cycle.pk, to_phase="implementation")
    event = AuditEvent.objects.get(verb="cycle.phase_changed")
    assert (event.actor, event.after) == (None, {"phase": "implementation", "automatic": True})


def test_snapshot_keeps_decimals_exact():
    goal = make_goal(cycle=make_cycle(), weight="12.50")
    goal.refresh_from_db()
    assert snapshot(goal, ["weight", "cycle"]) == {"weight": "12.50", "cycle": goal.cycle_id}
    assert isinstance(goal, Goal)


# --- One place for the machinery ---------------------------------------------------------------


def _stage_sources():
    for folder in ("goals", "implementation", "perfcycle"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative == "perfcycle/audit.py":
                continue
            yield relative, path.read_text()


AUDIT_WRITES = re.compile(
    r"(?<!class )AuditEvent\(|AuditEvent\.objects\.(create|bulk_create|get_or_create|update_or_create)\b"
)
COPIED_HELPERS = re.compile(
    r"def (_lock|_require_move|_require_version|_check_version|_check|_save|_snapshot|snapshot"
    r"|_require_hr|_changes|can_move)\("
)


def test_no_stage_writes_audit_rows_or_copies_the_workflow_helpers():
    """Audit rows come only from perfcycle.audit; locks, moves, versions and versioned
    saves only from perfcycle.workflow (a reader finds each in one place)."""
    offences = []
    for relative, source in _stage_sources():
        for number, line in enumerate(source.splitlines(), 1):
            if AUDIT_WRITES.search(line):
                offences.append(f"{relative}:{number}: writes AuditEvent rows: {line.strip()}")
            if COPIED_HELPERS.search(line):
                offences.append(f"{relative}:{number}: copies a workflow helper: {line.strip()}")
            if re.search(r"\bactor=None\b", line):
                offences.append(f"{relative}:{number}: None is not an actor: {line.strip()}")
            if relative != "perfcycle/workflow.py" and re.search(
                r"class \w+\((django\.core\.exceptions\.)?ValidationError\)", line
            ):
                offences.append(f"{relative}:{number}: use DomainError: {line.strip()}")
    assert offences == []


def test_the_source_check_finds_what_it_looks_for():
    """The patterns above match the copies that used to be there."""
    assert AUDIT_WRITES.search("    AuditEvent.objects.bulk_create(")
    assert AUDIT_WRITES.search("            AuditEvent(")
    assert not AUDIT_WRITES.search("class AuditEvent(models.Model):")
    assert COPIED_HELPERS.search("def _lock(checkin: CheckIn) -> CheckIn:")
    assert COPIED_HELPERS.search("def _require_version(evidence, expected_version):")
    assert not COPIED_HELPERS.search("def lock_for_update(queryset_or_model, pk):")
