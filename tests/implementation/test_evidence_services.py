"""Evidence services: who records, edits, deletes and verifies; dates, goals and files
checked; every change audited and the participant told."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from implementation.models import Evidence, EvidenceAttachment
from implementation.selectors import evidence as evidence_selectors
from implementation.services import evidence as services
from perfcycle.models import AuditEvent, Cycle, Notification
from perfcycle.services import ConcurrentEditError
from perfcycle.stages import Viewer
from tests.factories import enrol, version_of
from tests.goals.factories import make_goal
from tests.implementation import evidence_factories as files
from tests.implementation.evidence_factories import make_evidence, open_cycle, upload

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when used: a run may cross midnight
YESTERDAY = TODAY() - dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def cycle(org):
    return open_cycle("FY now")


@pytest.fixture
def parts(org, cycle):
    """Participations by role name; the reviewer is each person's manager."""
    people = ["employee", "peer", "manager", "employee2", "intern"]
    return dict(zip(people, enrol(cycle, *(org[p] for p in people)), strict=True))


def data(**values):
    return {"title": "Shipped billing v2", "occurred_on": YESTERDAY, **values}


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb))


def notes_for(person) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person.user))


# --- Recording -------------------------------------------------------------------------------


def test_employee_records_evidence_of_their_own_work(org, parts):
    """The participant records for themself: created by them, audited, nobody notified."""
    evidence = services.create_evidence(
        actor=org["employee"].user,
        participation=parts["employee"],
        data=data(description="  Cut p95 by 40 %  "),
    )
    assert evidence.participation == parts["employee"]
    assert evidence.created_by == org["employee"].user
    assert evidence.description == "Cut p95 by 40 %"
    assert evidence.verified_at is None and evidence.version == 1
    [event] = events("evidence.created")
    assert event.object_id == str(evidence.pk)
    assert event.after["title"] == "Shipped billing v2"
    assert event.after["occurred_on"] == YESTERDAY.isoformat()
    assert notes_for(org["employee"]) == []


def test_attachments_are_stored_under_random_names_with_their_facts(org, parts, media):
    """Files go to MEDIA_ROOT/evidence/YYYY/MM/<uuid> with the sanitised original name,
    the type found by content, the size and the sha256."""
    evidence = services.create_evidence(
        actor=org["employee"].user,
        participation=parts["employee"],
        data=data(),
        files=[upload("../../Q3 report.pdf", files.PDF), upload("notes.txt", files.TEXT)],
    )
    pdf, text = evidence.attachments.order_by("original_name")
    assert (pdf.original_name, pdf.content_type, pdf.size) == (
        "Q3 report.pdf",
        "application/pdf",
        len(files.PDF),
    )
    assert text.content_type == "text/plain; charset=utf-8"
    now = timezone.now()
    prefix = f"evidence/{now:%Y}/{now:%m}/"
    for attachment in (pdf, text):
        assert attachment.file.name.startswith(prefix)
        stored = attachment.file.name.removeprefix(prefix)
        assert len(stored) == 32 and all(c in "0123456789abcdef" for c in stored)
        assert attachment.uploaded_by == org["employee"].user
    assert (media / pdf.file.name).read_bytes() == files.PDF
    assert len(pdf.sha256) == 64
    [event] = events("evidence.created")
    assert {a["name"] for a in event.after["attachments"]} == {"Q3 report.pdf", "notes.txt"}


def test_manager_records_evidence_for_a_report_and_the_report_is_told(org, parts):
    """The reviewer records for the person they review; the person gets a notification."""
    evidence = services.create_evidence(
        actor=org["manager"].user, participation=parts["employee"], data=data()
    )
    assert evidence.created_by == org["manager"].user
    [note] = notes_for(org["employee"])
    assert "recorded evidence of your work" in note.title
    assert note.url == evidence.get_absolute_url()


@pytest.mark.parametrize("role", ["peer", "manager2", "director", "hr", "intern"])
def test_nobody_else_records_evidence_for_an_employee(org, parts, role):
    """A peer, another manager, a skip-level manager, HR or a stranger is refused."""
    with pytest.raises(PermissionDenied):
        services.create_evidence(actor=org[role].user, participation=parts["employee"], data=data())
    assert not Evidence.objects.exists()


def test_the_date_of_the_work_cannot_be_in_the_future(org, parts):
    """Tomorrow is refused, next to the date field."""
    with pytest.raises(ValidationError) as excinfo:
        services.create_evidence(
            actor=org["employee"].user,
            participation=parts["employee"],
            data=data(occurred_on=TODAY() + dt.timedelta(days=1)),
        )
    assert "cannot be in the future" in excinfo.value.message_dict["occurred_on"][0]


def test_the_date_of_the_work_falls_within_the_cycle(org, parts, cycle):
    """A day before the cycle started is refused."""
    with pytest.raises(ValidationError) as excinfo:
        services.create_evidence(
            actor=org["employee"].user,
            participation=parts["employee"],
            data=data(occurred_on=cycle.start_date - dt.timedelta(days=1)),
        )
    assert "within the cycle" in excinfo.value.message_dict["occurred_on"][0]


def test_today_is_allowed(org, parts):
    """Work done today can be recorded today."""
    evidence = services.create_evidence(
        actor=org["employee"].user, participation=parts["employee"], data=data(occurred_on=TODAY())
    )
    assert evidence.occurred_on == TODAY()


def test_a_goal_of_another_person_is_refused(org, parts, cycle):
    """Evidence links only to the participant's own goals."""
    peers_goal = make_goal(org["peer"], cycle=cycle, status="approved")
    with pytest.raises(ValidationError) as excinfo:
        services.create_evidence(
            actor=org["employee"].user,
            participation=parts["employee"],
            data=data(goal=peers_goal),
        )
    assert "goal" in excinfo.value.message_dict


def test_a_goal_of_another_cycle_is_refused(org, parts):
    """The participant's own goal, but of another cycle, is refused."""
    other = open_cycle("Last year")
    old_goal = make_goal(org["employee"], cycle=other, status="approved")
    with pytest.raises(ValidationError) as excinfo:
        services.create_evidence(
            actor=org["employee"].user, participation=parts["employee"], data=data(goal=old_goal)
        )
    assert "goal" in excinfo.value.message_dict


def test_own_goal_in_the_cycle_is_linked(org, parts, cycle):
    """One of the participant's goals in the cycle is accepted."""
    goal = make_goal(org["employee"], cycle=cycle, status="approved")
    evidence = services.create_evidence(
        actor=org["employee"].user, participation=parts["employee"], data=data(goal=goal)
    )
    assert evidence.goal == goal


@pytest.mark.parametrize(
    ("phase", "allowed"),
    [
        (Cycle.Phase.PLANNING, True),
        (Cycle.Phase.IMPLEMENTATION, True),
        (Cycle.Phase.APPRAISAL, True),
        (Cycle.Phase.FEEDBACK, False),
        (Cycle.Phase.APPLICATION, False),
        (Cycle.Phase.CLOSED, False),
    ],
)
def test_evidence_is_recorded_only_while_the_cycle_is_open_for_it(org, phase, allowed):
    """Planning, implementation and appraisal: yes; later phases and closed: no."""
    cycle = open_cycle(phase=phase)
    [participation] = enrol(cycle, org["employee"])
    if allowed:
        services.create_evidence(
            actor=org["employee"].user, participation=participation, data=data()
        )
    else:
        with pytest.raises(services.EvidenceError):
            services.create_evidence(
                actor=org["employee"].user, participation=participation, data=data()
            )


def test_a_refused_file_refuses_the_whole_record_and_nothing_is_saved(org, parts, media):
    """One good file, one disguised: no record, no attachment, no file on disk."""
    with pytest.raises(ValidationError) as excinfo:
        services.create_evidence(
            actor=org["employee"].user,
            participation=parts["employee"],
            data=data(),
            files=[upload("ok.pdf", files.PDF), upload("invoice.pdf", files.HTML)],
        )
    [message] = excinfo.value.message_dict["attachments"]
    assert "invoice.pdf" in message
    assert not Evidence.objects.exists()
    assert not EvidenceAttachment.objects.exists()
    assert stored_files(media) == []


def test_content_and_file_errors_come_back_together(org, parts):
    """A missing title and an empty file are both reported at once."""
    with pytest.raises(ValidationError) as excinfo:
        services.create_evidence(
            actor=org["employee"].user,
            participation=parts["employee"],
            data=data(title="  "),
            files=[upload("empty.txt", b"")],
        )
    assert set(excinfo.value.message_dict) == {"title", "attachments"}


def test_at_most_five_files_per_record(org, parts, settings):
    """Six files are refused (the default limit is five)."""
    with pytest.raises(ValidationError) as excinfo:
        services.create_evidence(
            actor=org["employee"].user,
            participation=parts["employee"],
            data=data(),
            files=[upload(f"f{i}.pdf", files.PDF) for i in range(6)],
        )
    assert "at most 5 files" in excinfo.value.message_dict["attachments"][0]


def test_a_failure_after_files_were_written_removes_them(org, parts, media, monkeypatch):
    """If the transaction fails after storing, the stored files are deleted too."""

    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "record_event", broken)
    with pytest.raises(RuntimeError):
        services.create_evidence(
            actor=org["employee"].user,
            participation=parts["employee"],
            data=data(),
            files=[upload("ok.pdf", files.PDF)],
        )
    assert stored_files(media) == []


# --- Editing and deleting ------------------------------------------------------------------------


def test_creator_edits_unverified_evidence_with_history(org, parts):
    """Changed fields are saved with a new version and audited before/after."""
    evidence = make_evidence(parts["employee"], title="Draft title")
    services.update_evidence(
        actor=org["employee"].user,
        evidence=evidence,
        data=data(title="Final title", occurred_on=evidence.occurred_on),
        expected_version=1,
    )
    evidence.refresh_from_db()
    assert (evidence.title, evidence.version) == ("Final title", 2)
    [event] = events("evidence.updated")
    assert event.before == {"title": "Draft title"}
    assert event.after == {"title": "Final title"}


def test_an_edit_with_no_change_writes_nothing(org, parts):
    """Saving the same content keeps the version and adds no audit row."""
    evidence = make_evidence(parts["employee"], title="Same", description="")
    services.update_evidence(
        actor=org["employee"].user,
        evidence=evidence,
        data=data(title="Same", occurred_on=evidence.occurred_on),
        expected_version=1,
    )
    evidence.refresh_from_db()
    assert evidence.version == 1
    assert events("evidence.updated") == []


def test_edit_refused_when_someone_changed_it_meanwhile(org, parts):
    """A stale version is refused (optimistic locking)."""
    evidence = make_evidence(parts["employee"])
    Evidence.objects.filter(pk=evidence.pk).update(version=2)
    with pytest.raises(ConcurrentEditError):
        services.update_evidence(
            actor=org["employee"].user,
            evidence=evidence,
            data=data(),
            expected_version=1,
        )


def test_edit_after_verification_is_refused(org, parts):
    """Verified evidence is settled: its creator cannot change it."""
    evidence = make_evidence(parts["employee"], verified_by=org["manager"])
    with pytest.raises(services.EvidenceError, match="verified"):
        services.update_evidence(
            actor=org["employee"].user, evidence=evidence, data=data(), expected_version=1
        )


def test_only_the_creator_edits(org, parts):
    """The reviewer reads the employee's record but cannot change it."""
    evidence = make_evidence(parts["employee"])
    with pytest.raises(PermissionDenied):
        services.update_evidence(
            actor=org["manager"].user, evidence=evidence, data=data(), expected_version=1
        )


def test_edit_adds_and_removes_files(org, parts, media, django_capture_on_commit_callbacks):
    """New files are stored; removed ones leave the database, and the disk after commit."""
    evidence = services.create_evidence(
        actor=org["employee"].user,
        participation=parts["employee"],
        data=data(),
        files=[upload("old.pdf", files.PDF)],
    )
    old = evidence.attachments.get()
    old_path = media / old.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.update_evidence(
            actor=org["employee"].user,
            evidence=evidence,
            data=data(),
            expected_version=evidence.version,
            files=[upload("new.png", files.PNG)],
            remove_attachments=[old.pk],
        )
    assert [a.original_name for a in evidence.attachments.all()] == ["new.png"]
    assert not old_path.exists()
    [event] = events("evidence.updated")
    assert event.before["attachments_removed"][0]["name"] == "old.pdf"
    assert event.after["attachments_added"][0]["name"] == "new.png"


def test_edit_counts_existing_files_against_the_limit(org, parts, settings):
    """A record with 4 files takes one more, not two."""
    evidence = services.create_evidence(
        actor=org["employee"].user,
        participation=parts["employee"],
        data=data(),
        files=[upload(f"f{i}.pdf", files.PDF) for i in range(4)],
    )
    with pytest.raises(ValidationError) as excinfo:
        services.update_evidence(
            actor=org["employee"].user,
            evidence=evidence,
            data=data(),
            expected_version=evidence.version,
            files=[upload("a.pdf", files.PDF), upload("b.pdf", files.PDF)],
        )
    assert "it would have 6" in excinfo.value.message_dict["attachments"][0]


def test_creator_deletes_unverified_evidence_and_its_files(
    org, parts, media, django_capture_on_commit_callbacks
):
    """The record, its attachments and their files go; the audit keeps what was there."""
    evidence = services.create_evidence(
        actor=org["manager"].user,
        participation=parts["employee"],
        data=data(),
        files=[upload("a.pdf", files.PDF)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_evidence(actor=org["manager"].user, evidence=evidence)
    assert not Evidence.objects.exists()
    assert stored_files(media) == []
    [event] = events("evidence.deleted")
    assert event.before["title"] == "Shipped billing v2"
    assert event.before["attachments"][0]["name"] == "a.pdf"
    assert any("deleted evidence" in n.title for n in notes_for(org["employee"]))


def test_verified_evidence_cannot_be_deleted(org, parts):
    """Deleting is refused once verified."""
    evidence = make_evidence(parts["employee"], verified_by=org["manager"])
    with pytest.raises(services.EvidenceError):
        services.delete_evidence(actor=org["employee"].user, evidence=evidence)
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_only_the_creator_deletes(org, parts):
    """Evidence the manager recorded cannot be deleted by the employee, and vice versa."""
    by_manager = make_evidence(parts["employee"], by=org["manager"])
    with pytest.raises(PermissionDenied):
        services.delete_evidence(actor=org["employee"].user, evidence=by_manager)


# --- Verification -------------------------------------------------------------------------------


def test_reviewer_verifies_and_the_employee_is_told(org, parts):
    """Verified by and when, a new version, an audit row, a notification."""
    evidence = make_evidence(parts["employee"])
    services.verify_evidence(actor=org["manager"].user, evidence=evidence, expected_version=1)
    evidence.refresh_from_db()
    assert evidence.verified_by == org["manager"].user
    assert evidence.verified_at is not None
    assert evidence.version == 2
    [event] = events("evidence.verified")
    assert event.actor == org["manager"].user
    [note] = notes_for(org["employee"])
    assert "verified your evidence" in note.title


def test_hr_verifies(org, parts):
    """HR may verify anyone's evidence."""
    evidence = make_evidence(parts["employee"])
    services.verify_evidence(
        actor=org["hr"].user, evidence=evidence, expected_version=version_of(evidence)
    )
    evidence.refresh_from_db()
    assert evidence.verified_by == org["hr"].user


@pytest.mark.parametrize("role", ["employee", "peer", "manager2", "director"])
def test_others_cannot_verify(org, parts, role):
    """The employee themself, a peer, another manager and a skip-level manager cannot."""
    evidence = make_evidence(parts["employee"])
    with pytest.raises(PermissionDenied):
        services.verify_evidence(
            actor=org[role].user, evidence=evidence, expected_version=version_of(evidence)
        )


def test_verifying_twice_is_refused(org, parts):
    """Already verified: a clear refusal, not a silent no-op."""
    evidence = make_evidence(parts["employee"], verified_by=org["manager"])
    with pytest.raises(services.EvidenceError, match="verified again"):
        services.verify_evidence(
            actor=org["manager"].user, evidence=evidence, expected_version=version_of(evidence)
        )


def test_verifying_a_version_that_changed_is_refused(org, parts):
    """The reviewer verifies what they read: an edit since then is a conflict."""
    evidence = make_evidence(parts["employee"])
    Evidence.objects.filter(pk=evidence.pk).update(version=3)
    with pytest.raises(ConcurrentEditError):
        services.verify_evidence(actor=org["manager"].user, evidence=evidence, expected_version=1)


def test_unverify_needs_a_reason(org, parts):
    """Withdrawing a verification without saying why is refused, next to the reason."""
    evidence = make_evidence(parts["employee"], verified_by=org["manager"])
    with pytest.raises(ValidationError) as excinfo:
        services.unverify_evidence(
            actor=org["manager"].user,
            evidence=evidence,
            reason="  ",
            expected_version=version_of(evidence),
        )
    assert "reason" in excinfo.value.message_dict


def test_unverify_with_a_reason_reopens_the_record(org, parts):
    """The record is unverified, editable again; the reason is audited and sent."""
    evidence = make_evidence(parts["employee"], verified_by=org["manager"])
    services.unverify_evidence(
        actor=org["manager"].user,
        evidence=evidence,
        reason="The date is wrong",
        expected_version=version_of(evidence),
    )
    evidence.refresh_from_db()
    assert evidence.verified_at is None and evidence.verified_by is None
    [event] = events("evidence.unverified")
    assert event.after == {"reason": "The date is wrong"}
    assert event.before["verified_by"] == org["manager"].user.pk
    [note] = notes_for(org["employee"])
    assert note.body == "The date is wrong"
    services.update_evidence(
        actor=org["employee"].user,
        evidence=evidence,
        data=data(title="Corrected"),
        expected_version=evidence.version,
    )


def test_unverify_of_unverified_evidence_is_refused(org, parts):
    """Nothing to withdraw."""
    evidence = make_evidence(parts["employee"])
    with pytest.raises(services.EvidenceError):
        services.unverify_evidence(
            actor=org["manager"].user,
            evidence=evidence,
            reason="x",
            expected_version=version_of(evidence),
        )


def test_a_peer_cannot_unverify(org, parts):
    """Only the reviewer or HR withdraws a verification."""
    evidence = make_evidence(parts["employee"], verified_by=org["manager"])
    with pytest.raises(PermissionDenied):
        services.unverify_evidence(
            actor=org["peer"].user,
            evidence=evidence,
            reason="x",
            expected_version=version_of(evidence),
        )


def test_verification_is_frozen_once_the_cycle_moves_to_feedback(org, parts, cycle):
    """After appraisal the record is what was cited: no more verifying."""
    evidence = make_evidence(parts["employee"])
    Cycle.objects.filter(pk=cycle.pk).update(phase=Cycle.Phase.FEEDBACK)
    with pytest.raises(services.EvidenceError):
        services.verify_evidence(
            actor=org["manager"].user, evidence=evidence, expected_version=version_of(evidence)
        )


# --- The manager's to-dos ----------------------------------------------------------------------


def test_manager_todo_counts_evidence_to_verify(org, parts, cycle):
    """Unverified records of the people they review, in open cycles, in one to-do."""
    make_evidence(parts["employee"])
    make_evidence(parts["peer"])
    make_evidence(parts["peer"], verified_by=org["manager"])
    make_evidence(parts["intern"])  # reviewed by peer, not by manager
    make_evidence(parts["manager"])  # the manager's own
    closed = open_cycle(phase=Cycle.Phase.CLOSED)
    [old] = enrol(closed, org["employee"])
    make_evidence(old)
    [todo] = evidence_selectors.evidence_todos(Viewer.of(org["manager"].user))
    assert todo.title == "2 evidence records to verify"
    assert f"cycle={cycle.pk}" in todo.url and "to_verify=1" in todo.url
    # Two weeks after the oldest was recorded (the policy), by the end of appraisal at the latest.
    in_two_weeks = timezone.localdate() + dt.timedelta(days=14)
    assert todo.due == min(in_two_weeks, cycle.appraisal_deadline)


def test_employee_has_no_evidence_todo(org, parts):
    """Someone who reviews nobody gets nothing; the singular reads well for one."""
    make_evidence(parts["employee"])
    assert evidence_selectors.evidence_todos(Viewer.of(org["employee"].user)) == []
    assert evidence_selectors.evidence_todos(Viewer.of(org["peer"].user)) == []
    make_evidence(parts["intern"])
    [todo] = evidence_selectors.evidence_todos(Viewer.of(org["peer"].user))
    assert todo.title == "1 evidence record to verify"


@pytest.mark.parametrize("role", ["director", "manager", "peer", "employee", "manager2"])
def test_each_verifiers_todo_counts_what_their_to_verify_list_shows(org, parts, role):
    """The to-do (one compiled query by participation ids) and the list's own rule
    (evidence_to_verify) agree for every verifier: records of the people they review,
    what a reviewer below them recorded, never their own."""
    make_evidence(parts["employee"])
    make_evidence(parts["employee"], by=org["manager"])  # the reviewer's: one step up
    make_evidence(parts["peer"])
    make_evidence(parts["intern"])  # reviewed by peer
    make_evidence(parts["intern"], by=org["peer"])  # peer's: to the manager
    make_evidence(parts["manager"])  # the manager's own: to the director
    make_evidence(parts["employee2"], by=org["manager2"])  # manager2 has no manager: HR
    make_evidence(parts["peer"], verified_by=org["manager"])
    user = org[role].user
    listed = evidence_selectors.evidence_to_verify(user).count()
    todos = evidence_selectors.evidence_todos(Viewer.of(user))
    counted = sum(int(todo.title.split()[0]) for todo in todos)
    assert counted == listed
    assert listed == {"director": 2, "manager": 3, "peer": 1}.get(role, 0)
