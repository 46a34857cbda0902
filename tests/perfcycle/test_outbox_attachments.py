"""Notifications may carry files for their email: stored with the row when it is
written, attached by the outbox when it sends (whenever that is), never for an in-app
message alone."""

import pytest
from django.core import mail

from perfcycle import notifications, tasks
from perfcycle.models import NotificationAttachment
from perfcycle.notifications import Attachment, Message

pytestmark = pytest.mark.django_db


def _parts(message):
    return [p for p in message.message().walk() if p.get_content_disposition() == "attachment"]


def test_the_email_carries_the_stored_files(employee):
    notifications.notify(
        recipient=employee.user,
        title="Your invitation",
        attachments=[
            Attachment(
                "invite.ics",
                b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                "text/calendar; method=REQUEST",
            ),
            Attachment("report.pdf", b"%PDF-1.4 \x00\x01", "application/pdf"),
        ],
    )
    assert tasks.deliver_pending_emails() == 1
    (message,) = mail.outbox
    calendar, pdf = _parts(message)
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_filename() == "invite.ics"
    assert calendar.get_payload(decode=True) == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_payload(decode=True) == b"%PDF-1.4 \x00\x01"


def test_an_in_app_message_stores_no_file(employee, peer):
    notifications.notify(
        recipient=employee.user,
        title="No email",
        email=False,
        attachments=[Attachment("x.txt", b"x", "text/plain")],
    )
    notifications.notify_messages(
        [
            Message(
                peer.user_id,
                peer.user.email,
                "With a file",
                attachments=(Attachment("a.txt", b"a", "text/plain"),),
            ),
            Message(employee.user_id, employee.user.email, "Without"),
        ]
    )
    assert list(NotificationAttachment.objects.values_list("filename", "notification__title")) == [
        ("a.txt", "With a file")
    ]


def test_an_email_without_files_is_plain(employee):
    notifications.notify(recipient=employee.user, title="Plain")
    tasks.deliver_pending_emails()
    (message,) = mail.outbox
    assert message.attachments == [] and _parts(message) == []


def test_a_link_to_a_page_is_absolute_in_the_email(employee, settings):
    settings.PERFCYCLE_SITE_URL = "https://perf.example.com"
    notifications.notify(recipient=employee.user, title="Open it", url="/feedback/interview/")
    notifications.notify(recipient=employee.user, title="Elsewhere", url="https://other.example/x")
    tasks.deliver_pending_emails()
    bodies = {m.subject: m.body for m in mail.outbox}
    assert bodies["Open it"].endswith("https://perf.example.com/feedback/interview/")
    assert bodies["Elsewhere"].endswith("https://other.example/x")
