"""Core services: cycles, enrolment, audit log and notifications."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

from perfcycle import phases, services
from perfcycle.models import AuditEvent, Cycle, Notification, Participation
from tests.factories import enrol, make_cycle, make_employee

pytestmark = pytest.mark.django_db

START = dt.date(2027, 1, 1)


def cycle_data(**overrides):
    data = {
        "name": "FY2027",
        "start_date": START,
        "end_date": START + dt.timedelta(days=364),
        "planning_deadline": START + dt.timedelta(days=31),
        "implementation_deadline": START + dt.timedelta(days=300),
        "appraisal_deadline": START + dt.timedelta(days=330),
        "feedback_deadline": START + dt.timedelta(days=345),
        "application_deadline": START + dt.timedelta(days=364),
        "checkin_cadence": Cycle.Cadence.MONTHLY,
    }
    data.update(overrides)
    return data


def test_hr_creates_cycle_and_it_is_audited(hr_admin):
    """Creating a cycle stores it in planning and writes an audit event with the values."""
    cycle = services.create_cycle(actor=hr_admin.user, data=cycle_data())
    assert cycle.phase == Cycle.Phase.PLANNING
    event = AuditEvent.objects.get(verb="cycle.created")
    assert event.actor == hr_admin.user
    assert event.object_id == str(cycle.pk)
    assert event.after["planning_deadline"] == "2027-02-01"


def test_non_hr_cannot_create_cycle(manager):
    """Only HR admins create cycles."""
    with pytest.raises(PermissionDenied):
        services.create_cycle(actor=manager.user, data=cycle_data())
    assert not Cycle.objects.exists()


def test_deadlines_out_of_order_are_refused_per_field(hr_admin):
    """A deadline before the previous one is reported on that field and nothing is saved."""
    data = cycle_data(appraisal_deadline=START + dt.timedelta(days=100))
    with pytest.raises(ValidationError) as excinfo:
        services.create_cycle(actor=hr_admin.user, data=data)
    assert "appraisal_deadline" in excinfo.value.error_dict
    assert not Cycle.objects.exists()


def test_cycle_must_end_after_start(hr_admin):
    """An end date before the start is refused on end_date."""
    with pytest.raises(ValidationError) as excinfo:
        services.create_cycle(actor=hr_admin.user, data=cycle_data(end_date=START))
    assert "end_date" in excinfo.value.error_dict


def test_update_records_only_changed_fields(hr_admin):
    """Editing a cycle audits the before and after of what changed."""
    cycle = services.create_cycle(actor=hr_admin.user, data=cycle_data())
    services.update_cycle(
        actor=hr_admin.user,
        cycle_id=cycle.pk,
        data=cycle_data(name="FY2027 (revised)"),
        expected_version=cycle.version,
    )
    event = AuditEvent.objects.get(verb="cycle.updated")
    assert event.before == {"name": "FY2027"}
    assert event.after == {"name": "FY2027 (revised)"}
    cycle.refresh_from_db()
    assert cycle.version == 2


def test_concurrent_edit_is_detected_not_overwritten(hr_admin):
    """A save based on a stale version is refused and the other edit survives."""
    cycle = services.create_cycle(actor=hr_admin.user, data=cycle_data())
    stale = cycle.version
    services.update_cycle(
        actor=hr_admin.user,
        cycle_id=cycle.pk,
        data=cycle_data(name="First"),
        expected_version=stale,
    )
    with pytest.raises(services.ConcurrentEditError):
        services.update_cycle(
            actor=hr_admin.user,
            cycle_id=cycle.pk,
            data=cycle_data(name="Second"),
            expected_version=stale,
        )
    cycle.refresh_from_db()
    assert cycle.name == "First"


def test_phases_advance_one_step_at_a_time(hr_admin, employee):
    """Planning moves to implementation; skipping a phase is refused; participants are told."""
    cycle = make_cycle()
    enrol(cycle, employee)
    with pytest.raises(ValidationError):
        phases.advance_cycle_phase(
            actor=hr_admin.user, cycle_id=cycle.pk, to_phase=Cycle.Phase.APPRAISAL
        )
    phases.advance_cycle_phase(
        actor=hr_admin.user, cycle_id=cycle.pk, to_phase=Cycle.Phase.IMPLEMENTATION
    )
    cycle.refresh_from_db()
    assert cycle.phase == Cycle.Phase.IMPLEMENTATION
    assert Notification.objects.filter(recipient=employee.user, url=f"/cycles/{cycle.pk}/").exists()
    event = AuditEvent.objects.get(verb="cycle.phase_changed")
    assert (event.before, event.after) == ({"phase": "planning"}, {"phase": "implementation"})


def test_closed_cycle_cannot_move(hr_admin):
    """A closed cycle has no next phase."""
    cycle = make_cycle(phase=Cycle.Phase.CLOSED)
    with pytest.raises(ValidationError):
        phases.advance_cycle_phase(
            actor=hr_admin.user, cycle_id=cycle.pk, to_phase=Cycle.Phase.PLANNING
        )


def test_enrol_snapshots_reviewer_and_skips_existing(org):
    """Enrolment adds active people once each, with today's manager as reviewer."""
    cycle = make_cycle()
    make_employee("leaver", manager=org["manager"], is_active=False)
    from perfcycle.models import Employee

    added = services.enrol_employees(
        actor=org["hr"].user, cycle=cycle, employees=Employee.objects.all()
    )
    assert added == len(org)
    again = services.enrol_employees(
        actor=org["hr"].user, cycle=cycle, employees=Employee.objects.all()
    )
    assert again == 0
    assert (
        Participation.objects.get(cycle=cycle, employee=org["employee"]).reviewer == org["manager"]
    )
    assert not Participation.objects.filter(employee__user__username="leaver").exists()


def test_audit_log_is_append_only_in_the_database(hr_admin):
    """PostgreSQL itself refuses to change or delete an audit record."""
    event = services.record_event(actor=hr_admin.user, verb="test.event", obj=hr_admin)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(verb="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.event"


def test_notification_email_is_sent_once(employee):
    """The outbox sends each email once, however often delivery is attempted."""
    note = services.notify(recipient=employee.user, title="Your goals were approved", url="/me/")
    assert services.deliver_notification_email(notification_id=note.pk) is True
    assert services.deliver_notification_email(notification_id=note.pk) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [employee.user.email]
    assert mail.outbox[0].subject == "Your goals were approved"


def test_read_marks_belong_to_the_recipient(employee, peer):
    """Only the recipient can mark a notification read."""
    note = services.notify(recipient=employee.user, title="Hello")
    with pytest.raises(PermissionDenied):
        services.mark_notification_read(notification=note, actor=peer.user)
    services.mark_notification_read(notification=note, actor=employee.user)
    note.refresh_from_db()
    assert note.read_at is not None


def test_registered_guard_blocks_leaving_a_phase(hr_admin):
    """A stage's guard keeps the cycle in its phase and says why."""
    cycle = make_cycle()

    def guard(c):
        return ["2 people have goal weights that do not total 100 %."]

    phases.register_phase_guard(leaving=Cycle.Phase.PLANNING, guard=guard)
    try:
        with pytest.raises(ValidationError) as excinfo:
            phases.advance_cycle_phase(
                actor=hr_admin.user, cycle_id=cycle.pk, to_phase=Cycle.Phase.IMPLEMENTATION
            )
    finally:
        phases.GUARDS[Cycle.Phase.PLANNING].remove(guard)
    assert "do not total 100 %" in excinfo.value.messages[0]
    cycle.refresh_from_db()
    assert cycle.phase == Cycle.Phase.PLANNING
