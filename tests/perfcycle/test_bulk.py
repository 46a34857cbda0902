"""Bulk inserts without model instances (perfcycle.bulk): every value arrives as the ORM
would have stored it — texts with quotes, backslashes, braces, commas, line breaks and
the word NULL, empty and missing values, decimals, JSON snapshots, aware datetimes —
whether a column varies or is the same in every row, and a second run of the same rows
inserts nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from appraisal.models import Appraisal
from perfcycle.bulk import insert_new_rows, insert_rows
from perfcycle.models import AuditEvent, Notification
from tests.appraisal.factories import make_org
from tests.factories import make_employee

pytestmark = pytest.mark.django_db

AWKWARD = [
    'He said "ship it"',
    "C:\\temp\\new",
    "{braces}, commas, and (parentheses)",
    "two\nlines\tand a tab",
    "NULL",
    "",
    "  spaces around  ",
    "Ünïcödé — 360° ✓",
    "'single' quotes",
    '\\"',
]


def test_texts_numbers_flags_and_moments_arrive_as_given():
    user = make_employee().user
    moment = dt.datetime(2026, 12, 2, 16, 30, 15, 123456, tzinfo=dt.UTC)
    rows = [
        {
            "recipient_id": user.pk,
            "title": text,
            "body": text * 2,
            "url": "",
            "send_email": i % 2 == 0,
            "email_attempts": i,
            "read_at": moment if i % 3 else None,
            "created_at": moment,
        }
        for i, text in enumerate(AWKWARD)
    ]
    assert insert_rows(Notification, rows) == len(AWKWARD)
    stored = list(Notification.objects.order_by("email_attempts"))
    assert [n.title for n in stored] == AWKWARD
    assert [n.body for n in stored] == [t * 2 for t in AWKWARD]
    assert [n.send_email for n in stored] == [i % 2 == 0 for i in range(len(AWKWARD))]
    assert [n.read_at for n in stored] == [moment if i % 3 else None for i in range(len(AWKWARD))]
    assert {n.created_at for n in stored} == {moment}
    # A field the rows leave out takes its default, as the ORM would give it.
    assert {n.email_status for n in stored} == {
        Notification._meta.get_field("email_status").default
    }


def test_a_single_row_and_columns_the_same_in_every_row():
    user = make_employee().user
    assert insert_rows(Notification, [{"recipient_id": user.pk, "title": 'only "one"'}]) == 1
    same = [{"recipient_id": user.pk, "title": "same", "body": "same"} for _ in range(3)]
    assert insert_rows(Notification, same) == 3
    assert sorted(Notification.objects.values_list("title", flat=True)) == [
        'only "one"',
        "same",
        "same",
        "same",
    ]


def test_json_snapshots_shared_or_not():
    shared = [{"value": 1, "label": 'Needs "work"', "descriptor": "a\\b, {c}"}]
    rows = [
        {
            "verb": "bulk.test",
            "object_type": "test",
            "object_id": str(i),
            "before": shared,
            "after": {"score": Decimal("3.25"), "names": AWKWARD[: i + 1]},
            "created_at": timezone.now(),
        }
        for i in range(3)
    ]
    inserted = insert_new_rows(AuditEvent, rows, key="object_id")
    assert sorted(key for _, key in inserted) == ["0", "1", "2"]
    events = AuditEvent.objects.filter(verb="bulk.test").order_by("object_id")
    assert [e.before for e in events] == [shared] * 3
    assert [e.after for e in events] == [
        {"score": "3.25", "names": AWKWARD[: i + 1]} for i in range(3)
    ]


def test_insert_new_rows_skips_rows_already_there():
    """The appraisals' idempotency: a second run of the same rows inserts none."""
    org = make_org()
    participation = org.cycle.participations.first()
    row = {
        "participation_id": participation.pk,
        "scale_id": org.scale.pk,
        "scale_levels": [{"value": 1, "label": "Low"}],
        "created_at": timezone.now(),
        "updated_at": timezone.now(),
    }
    first = insert_new_rows(Appraisal, [row], key="participation_id")
    assert [key for _, key in first] == [participation.pk]
    assert insert_new_rows(Appraisal, [row], key="participation_id") == []
    assert Appraisal.objects.get(participation=participation).scale_levels == [
        {"value": 1, "label": "Low"}
    ]


def test_naive_datetimes_are_refused():
    user = make_employee().user
    with pytest.raises(ValueError):
        insert_rows(
            Notification,
            [{"recipient_id": user.pk, "title": "x", "created_at": dt.datetime(2026, 1, 1)}],
        )
