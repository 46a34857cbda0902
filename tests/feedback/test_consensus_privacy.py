"""The manager's private preparation notes never reach the employee through the consensus
part: not in "My result" (before and after answering, and with bad input), the dispute
page, the breakdown, the notifications or the emails — every state the employee meets."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from feedback.models import PreparationNote
from feedback.services import consensus as services
from perfcycle import tasks
from perfcycle.models import Notification
from tests.feedback.consensus_factories import PRIVATE_NOTE, hold_interview, items_of
from tests.feedback.factories import released_org

pytestmark = pytest.mark.django_db
SECRET = PRIVATE_NOTE.encode()


def test_no_employee_page_notification_or_email_carries_the_private_note(client):
    org = released_org()
    ack = hold_interview(org)
    assert PreparationNote.objects.filter(text=PRIVATE_NOTE).exists()
    client.force_login(org.employee.user)
    seen = []

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, url
        seen.append((url, response.content))

    mine = reverse("feedback:consensus-mine")
    get(mine)
    item = items_of(org)[0]
    bad = client.post(
        reverse("feedback:consensus-disagree", args=[ack.pk]),
        {"version": ack.version, f"item_{item.pk}": "on", f"reason_{item.pk}": ""},
    )
    assert bad.status_code == 400
    seen.append(("bad input", bad.content))
    stale = client.post(reverse("feedback:consensus-agree", args=[ack.pk]), {"version": 0})
    seen.append(("stale", stale.content))
    client.post(
        reverse("feedback:consensus-disagree", args=[ack.pk]),
        {"version": ack.version, f"item_{item.pk}": "on", f"reason_{item.pk}": "I did more."},
    )
    dispute = ack.disputes.get()
    get(mine)
    get(reverse("feedback:consensus-dispute", args=[dispute.pk]))
    services.resolve_dispute(
        actor=org.skip.user,
        dispute_id=dispute.pk,
        decision=services.Decision(change=True, rating=4, resolution="You did more."),
        expected_version=dispute.version,
    )
    services.run_deadlines(today=ack.due_date + dt.timedelta(days=30))
    get(mine)
    get(reverse("feedback:consensus-dispute", args=[dispute.pk]))
    get(reverse("appraisal:appraisal-breakdown", args=[ack.appraisal_id]))
    get(reverse("appraisal:my-appraisal"))
    get(reverse("notification-list"))
    get(reverse("my-home"))
    for url, content in seen:
        assert SECRET not in content, url
    notes = Notification.objects.filter(recipient=org.employee.user)
    assert notes.count() >= 3
    for note in notes:
        assert PRIVATE_NOTE not in note.title + note.body + note.url
    tasks.deliver_pending_emails()
    to_employee = [m for m in mail.outbox if org.employee.user.email in m.to]
    assert to_employee
    for message in to_employee:
        assert PRIVATE_NOTE not in message.subject + message.body
        for alternative, _type in getattr(message, "alternatives", []):
            assert PRIVATE_NOTE not in alternative
