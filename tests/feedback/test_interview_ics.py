"""The invitation files parse as iCalendar and carry what a calendar client needs to
import and update them; the emails carry them as attachments through the real outbox."""

import datetime as dt

import icalendar
import pytest
from django.core import mail

from feedback import ics
from feedback.services import interviews as services
from perfcycle import tasks
from tests.feedback.factories import released_org
from tests.feedback.interview_factories import schedule, slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def _event(data: bytes):
    calendar = icalendar.Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def _sent_calendars():
    """The calendar parts of the emails the outbox sent, in order: (email, part)."""
    found = []
    for message in mail.outbox:
        for part in message.message().walk():
            if part.get_content_type() == "text/calendar":
                found.append((message, part))
    return found


def test_the_invitation_carries_identity_people_and_time_zone(berlin):
    org = released_org()
    interview = schedule(org, hour=14, minutes=90)
    calendar, event = _event(services.calendar_file(interview, method=ics.REQUEST))
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert str(event["UID"]) == interview.ics_uid
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("DTSTAMP").tzinfo is not None
    start, end = event["DTSTART"], event["DTEND"]
    assert start.params["TZID"] == "Europe/Berlin" and end.params["TZID"] == "Europe/Berlin"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin"
    assert event.decoded("DTSTART") == interview.starts_at
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=90)
    assert str(event["ORGANIZER"]) == f"mailto:{org.manager.user.email}"
    assert event["ORGANIZER"].params["CN"] == org.manager.full_name
    attendee = event["ATTENDEE"]
    assert str(attendee) == f"mailto:{org.employee.user.email}"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "TRUE"
    assert str(event["LOCATION"]) == "Room 4.12"
    assert str(event["URL"]).endswith(f"/feedback/interviews/{interview.pk}/")
    assert str(event["URL"]).startswith("http")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert org.employee.full_name in str(event["SUMMARY"])


def test_utc_times_are_written_in_the_utc_form(settings):
    settings.TIME_ZONE = "UTC"
    org = released_org()
    interview = schedule(org)
    calendar, event = _event(services.calendar_file(interview, method=ics.REQUEST))
    assert b"DTSTART:" in services.calendar_file(interview, method=ics.REQUEST)
    assert event.decoded("DTSTART") == interview.starts_at


def test_an_update_keeps_the_uid_and_raises_the_sequence_and_a_cancel_cancels(berlin):
    org = released_org()
    interview = schedule(org)
    moved = services.reschedule_interview(
        actor=org.manager.user, interview=interview, slot=slot(days=5), expected_version=1
    )
    cancelled = services.cancel_interview(
        actor=org.manager.user, interview=moved, reason="Clash", expected_version=moved.version
    )
    assert tasks.deliver_pending_emails() >= 3
    parts = [(m, p) for m, p in _sent_calendars() if org.employee.user.email in m.to]
    assert len(parts) == 3
    parsed = [_event(part.get_payload(decode=True)) for _m, part in parts]
    methods = [str(cal["METHOD"]) for cal, _e in parsed]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    assert {str(e["UID"]) for _c, e in parsed} == {interview.ics_uid}
    assert [e.decoded("SEQUENCE") for _c, e in parsed] == [0, 1, 2]
    assert parsed[1][1].decoded("DTSTART") == moved.starts_at
    assert str(parsed[2][1]["STATUS"]) == "CANCELLED"
    # The part's Content-Type names the method, as calendar clients expect.
    assert [p.get_param("method") for _m, p in parts] == methods
    assert cancelled.ics_sequence == 2


def test_the_invitation_email_has_the_file_attached():
    org = released_org()
    schedule(org)
    mail.outbox.clear()
    tasks.deliver_pending_emails()
    (message,) = [m for m in mail.outbox if m.subject.startswith("Feedback interview on")]
    assert message.to == [org.employee.user.email]
    (part,) = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "interview.ics"
    assert part.get_content_disposition() == "attachment"
    _calendar, event = _event(part.get_payload(decode=True))
    assert str(event["ATTENDEE"]) == f"mailto:{org.employee.user.email}"


def test_the_description_never_carries_notes():
    org = released_org()
    interview = schedule(org)
    services.save_note(
        actor=org.manager.user, interview=interview, text="PRIVATE-XYZ", expected_version=0
    )
    services.save_note(
        actor=org.employee.user, interview=interview, text="OWN-XYZ", expected_version=0
    )
    for method in (ics.REQUEST, ics.PUBLISH, ics.CANCEL):
        data = services.calendar_file(interview, method=method)
        assert b"PRIVATE-XYZ" not in data and b"OWN-XYZ" not in data


def test_the_download_publishes_the_event_without_attendees():
    org = released_org()
    interview = schedule(org)
    calendar, event = _event(services.calendar_file(interview, method=ics.PUBLISH))
    assert calendar["METHOD"] == "PUBLISH"
    assert str(event["UID"]) == interview.ics_uid
    assert "ATTENDEE" not in event and "ORGANIZER" in event
