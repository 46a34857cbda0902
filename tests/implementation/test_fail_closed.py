"""Optimistic locking fails closed (issue 7, defect 4): a check-in, deviation or evidence
change that does not say which version it was made on is refused like a stale one. The
page comes back with the conflict message and a 409, and nothing is written: not the row,
not an audit event, not a notification. Before the fix these POSTs silently overwrote."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from implementation.models import CheckIn, Deviation
from implementation.services import checkins, deviations, evidence
from perfcycle.models import AuditEvent, Notification
from perfcycle.workflow import ConcurrentEditError
from tests.factories import enrol
from tests.goals.factories import make_goal
from tests.implementation.evidence_factories import make_evidence, open_cycle
from tests.implementation.factories import make_checkin, make_deviation

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when used: a run may cross midnight
CONFLICT = "Someone else changed this"


@pytest.fixture
def participation(org):
    cycle = open_cycle("FY now")
    return enrol(cycle, org["employee"])[0]


@pytest.fixture
def goal(org, participation):
    return make_goal(
        org["employee"],
        cycle=participation.cycle,
        status="approved",
        weight=100,
        baseline=Decimal("0"),
        target=Decimal("10"),
    )


@pytest.fixture
def pending(participation):
    return make_checkin(
        participation, period_start=TODAY() - dt.timedelta(days=10), went_well="As it was"
    )


@pytest.fixture
def submitted(participation):
    return make_checkin(
        participation,
        period_start=TODAY() - dt.timedelta(days=40),
        status="submitted",
        went_well="Closed two",
        manager_reply="First reply",
    )


@pytest.fixture
def deviation(goal, participation):
    return make_deviation(goal, participation=participation)


@pytest.fixture
def agreed(org, participation):
    other = make_goal(org["employee"], cycle=participation.cycle, status="approved", target=5)
    return make_deviation(
        other,
        participation=participation,
        status=Deviation.Status.ACTION_AGREED,
        corrective_action="Pair on the API",
        follow_up_date=TODAY() + dt.timedelta(days=7),
    )


@pytest.fixture
def record(participation):
    return make_evidence(participation, title="As recorded")


@pytest.fixture
def verified(org, participation):
    return make_evidence(participation, title="Checked", verified_by=org["manager"])


def row(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def traces() -> tuple[int, int]:
    return AuditEvent.objects.count(), Notification.objects.count()


def url(name, obj) -> str:
    return reverse(f"implementation:{name}", args=[obj.pk])


def assert_refused(response, obj, before_row, before_traces):
    """409, the conflict message on the page, and nothing written."""
    assert response.status_code == 409
    assert CONFLICT in response.content.decode()
    assert row(obj) == before_row
    assert traces() == before_traces


# --- Pages: a POST without the version changes nothing ----------------------------------------


def post_without_version(client, address, obj, data):
    before_row, before_traces = row(obj), traces()
    assert "version" not in data
    response = client.post(address, data)
    assert_refused(response, obj, before_row, before_traces)
    return response


def test_checkin_draft_without_version_is_refused(org, login, pending, goal):
    """The participant's draft save without a version: 409, the check-in untouched."""
    post_without_version(
        login(org["employee"]),
        url("checkin-edit", pending),
        pending,
        {"went_well": "Overwritten", "blockers": "", "confidence": "3"},
    )


def test_checkin_submit_without_version_is_refused(org, login, pending, goal):
    """Submitting without a version: 409, still pending, no progress recorded."""
    post_without_version(
        login(org["employee"]),
        url("checkin-submit", pending),
        pending,
        {
            "went_well": "Overwritten",
            "blockers": "",
            "confidence": "3",
            f"goal_{goal.pk}_value": "9",
        },
    )
    goal.refresh_from_db()
    assert goal.current_value is None


def test_checkin_review_without_version_is_refused(org, login, submitted):
    """Marking reviewed without a version: 409, still submitted, the reply kept."""
    post_without_version(
        login(org["manager"]),
        url("checkin-review", submitted),
        submitted,
        {"manager_reply": "Mine"},
    )


def test_checkin_reply_without_version_is_refused(org, login, submitted):
    """A reply without a version does not replace the reply that is there."""
    response = post_without_version(
        login(org["manager"]),
        url("checkin-reply", submitted),
        submitted,
        {"manager_reply": "Overwritten"},
    )
    assert "Overwritten" in response.content.decode()  # what was typed is kept on the page


def test_deviation_agree_without_version_is_refused(org, login, deviation):
    """Agreeing an action without a version: 409, the deviation still open."""
    post_without_version(
        login(org["employee"]),
        url("deviation-agree", deviation),
        deviation,
        {
            "corrective_action": "Overwritten",
            "follow_up_date": (TODAY() + dt.timedelta(days=3)).isoformat(),
        },
    )


def test_deviation_resolve_without_version_is_refused(org, login, agreed):
    """Resolving without a version: 409, the agreed action still stands."""
    post_without_version(
        login(org["manager"]), url("deviation-resolve", agreed), agreed, {"note": "Done"}
    )


def test_deviation_accept_without_version_is_refused(org, login, deviation):
    """Accepting the shortfall without a version: 409, the deviation still open."""
    post_without_version(
        login(org["manager"]), url("deviation-accept", deviation), deviation, {"reason": "Obsolete"}
    )


def test_evidence_edit_without_version_is_refused(org, login, record):
    """Editing without a version: 409, the title as recorded."""
    post_without_version(
        login(org["employee"]),
        url("evidence-edit", record),
        record,
        {"title": "Overwritten", "occurred_on": record.occurred_on.isoformat()},
    )


def test_evidence_verify_without_version_is_refused(org, login, record):
    """Verifying without a version (the list's and the page's button carry it): 409."""
    post_without_version(login(org["manager"]), url("evidence-verify", record), record, {})


def test_evidence_unverify_without_version_is_refused(org, login, verified):
    """Withdrawing a verification without a version: 409, still verified."""
    post_without_version(
        login(org["manager"]), url("evidence-unverify", verified), verified, {"reason": "Oops"}
    )


def test_a_stale_version_is_refused_the_same_way(org, login, deviation):
    """A version from before someone else's save: the same 409, nothing overwritten."""
    Deviation.objects.filter(pk=deviation.pk).update(version=3, corrective_action="Theirs")
    before_row, before_traces = row(deviation), traces()
    response = login(org["manager"]).post(
        url("deviation-agree", deviation),
        {
            "corrective_action": "Mine",
            "follow_up_date": (TODAY() + dt.timedelta(days=3)).isoformat(),
            "version": "2",
        },
    )
    assert_refused(response, deviation, before_row, before_traces)


def test_the_forms_carry_the_version(org, login, pending, submitted, deviation, record, verified):
    """Every form that posts to a versioned service renders the hidden version field
    (the withdraw-verification form did not)."""
    pages = [
        (org["manager"], url("evidence-detail", verified), verified),
        (org["employee"], url("checkin-edit", pending), pending),
        (org["manager"], url("checkin-detail", submitted), submitted),
        (org["employee"], url("deviation-detail", deviation), deviation),
        (org["manager"], url("deviation-detail", deviation), deviation),
        (org["employee"], url("evidence-edit", record), record),
        (org["manager"], url("evidence-detail", record), record),
    ]
    for person, address, obj in pages:
        html = login(person).get(address).content.decode()
        assert f'name="version" value="{obj.version}"' in html, address


# --- Services: expected_version=None is a conflict, not "skip the check" -------------------


CALLS = {
    "save_checkin_draft": lambda o, x: checkins.save_checkin_draft(
        actor=o["employee"].user, checkin=x["pending"], data={}, expected_version=None
    ),
    "submit_checkin": lambda o, x: checkins.submit_checkin(
        actor=o["employee"].user,
        checkin=x["pending"],
        data={"confidence": 3},
        expected_version=None,
    ),
    "reply_to_checkin": lambda o, x: checkins.reply_to_checkin(
        actor=o["manager"].user, checkin=x["submitted"], reply="Hi", expected_version=None
    ),
    "review_checkin": lambda o, x: checkins.review_checkin(
        actor=o["manager"].user, checkin=x["submitted"], expected_version=None
    ),
    "agree_corrective_action": lambda o, x: deviations.agree_corrective_action(
        actor=o["employee"].user,
        deviation=x["deviation"],
        action="Catch up",
        follow_up_date=TODAY() + dt.timedelta(days=3),
        expected_version=None,
    ),
    "resolve_deviation": lambda o, x: deviations.resolve_deviation(
        actor=o["manager"].user, deviation=x["agreed"], note="Done", expected_version=None
    ),
    "accept_deviation": lambda o, x: deviations.accept_deviation(
        actor=o["manager"].user, deviation=x["deviation"], reason="Obsolete", expected_version=None
    ),
    "update_evidence": lambda o, x: evidence.update_evidence(
        actor=o["employee"].user,
        evidence=x["record"],
        data={"title": "Overwritten", "occurred_on": x["record"].occurred_on},
        expected_version=None,
    ),
    "verify_evidence": lambda o, x: evidence.verify_evidence(
        actor=o["manager"].user, evidence=x["record"], expected_version=None
    ),
    "unverify_evidence": lambda o, x: evidence.unverify_evidence(
        actor=o["manager"].user, evidence=x["verified"], reason="Oops", expected_version=None
    ),
}
TARGET = {
    "save_checkin_draft": "pending",
    "submit_checkin": "pending",
    "reply_to_checkin": "submitted",
    "review_checkin": "submitted",
    "agree_corrective_action": "deviation",
    "resolve_deviation": "agreed",
    "accept_deviation": "deviation",
    "update_evidence": "record",
    "verify_evidence": "record",
    "unverify_evidence": "verified",
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_services_refuse_a_missing_version(
    name, org, pending, submitted, deviation, agreed, record, verified
):
    """``expected_version=None`` raises ConcurrentEditError and writes nothing."""
    objects = {
        "pending": pending,
        "submitted": submitted,
        "deviation": deviation,
        "agreed": agreed,
        "record": record,
        "verified": verified,
    }
    target = objects[TARGET[name]]
    before_row, before_traces = row(target), traces()
    with pytest.raises(ConcurrentEditError):
        CALLS[name](org, objects)
    assert row(target) == before_row
    assert traces() == before_traces


def test_services_take_the_version_as_a_required_argument(org, submitted):
    """Leaving the version out is a programming error, not a way to skip the check."""
    with pytest.raises(TypeError):
        checkins.review_checkin(actor=org["manager"].user, checkin=submitted)
    assert CheckIn.objects.get(pk=submitted.pk).status == "submitted"
