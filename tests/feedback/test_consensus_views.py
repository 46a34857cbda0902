"""Consensus pages per role: what each person sees, what each may do (the wrong role is a
404), and bad input answered at the field with a 4xx."""

import pytest
from django.test import override_settings
from django.urls import reverse

from appraisal.models import RatingRevision
from feedback.models import AcknowledgementStatus, Dispute, DisputeStatus
from feedback.services import consensus as services
from perfcycle.models import Employee
from tests.feedback.consensus_factories import hold_interview, items_of
from tests.feedback.factories import released_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return released_org()


def as_(client, person):
    client.force_login(person.user)
    return client


def open_dispute(org, ack, item=None):
    item = item or items_of(org)[0]
    ack.refresh_from_db()
    (dispute,) = services.disagree_with_items(
        actor=org.employee.user,
        acknowledgement_id=ack.pk,
        reasons={item.pk: "I led the release."},
        expected_version=ack.version,
    )
    return dispute


# --- My result ---------------------------------------------------------------------------------


def test_my_result_before_the_interview_shows_the_result_and_says_what_comes(client, org):
    page = as_(client, org.employee).get(reverse("feedback:consensus-mine"))
    assert page.status_code == 200
    assert b'data-testid="not-asked"' in page.content
    assert b'data-testid="breakdown-table"' in page.content
    assert b"agree-form" not in page.content


def test_my_result_without_a_released_result_is_an_empty_state(client, org):
    page = as_(client, org.outsider).get(reverse("feedback:consensus-mine"))
    assert page.status_code == 200
    assert b'data-testid="no-result"' in page.content


def test_my_result_for_a_cycle_not_mine_is_404(client, org):
    page = as_(client, org.employee).get(reverse("feedback:consensus-mine") + "?cycle=999999")
    assert page.status_code == 404


def test_after_the_interview_the_employee_reads_the_record_and_answers(client, org):
    ack = hold_interview(org)
    page = as_(client, org.employee).get(reverse("feedback:consensus-mine"))
    text = page.content.decode()
    assert 'data-testid="interview-record"' in text
    assert "Shipped the roadmap on time." in text
    assert 'data-testid="agree-form"' in text and 'data-testid="disagree-form"' in text
    for item in items_of(org):
        assert f'name="item_{item.pk}"' in text
    response = client.post(
        reverse("feedback:consensus-agree", args=[ack.pk]),
        {"version": ack.version, "comment": "Fair result."},
    )
    assert response.status_code == 302
    ack.refresh_from_db()
    assert ack.status == AcknowledgementStatus.AGREED
    page = client.get(reverse("feedback:consensus-mine"))
    assert b'data-testid="answer-agreed"' in page.content
    assert b"agree-form" not in page.content


def test_disagreeing_without_a_reason_is_refused_at_the_field(client, org):
    ack = hold_interview(org)
    item = items_of(org)[0]
    response = as_(client, org.employee).post(
        reverse("feedback:consensus-disagree", args=[ack.pk]),
        {"version": ack.version, f"item_{item.pk}": "on", f"reason_{item.pk}": ""},
    )
    assert response.status_code == 400
    form = response.context["disagree_form"]
    assert form.errors[f"reason_{item.pk}"]
    assert "checked" in response.content.decode()  # what was ticked is kept
    assert not Dispute.objects.exists()


def test_disagreeing_with_nothing_ticked_is_refused(client, org):
    ack = hold_interview(org)
    response = as_(client, org.employee).post(
        reverse("feedback:consensus-disagree", args=[ack.pk]), {"version": ack.version}
    )
    assert response.status_code == 400
    assert b"Tick at least one item" in response.content


def test_disputing_an_item_twice_is_refused_at_its_field(client, org):
    ack = hold_interview(org)
    item = items_of(org)[0]
    open_dispute(org, ack, item)
    ack.refresh_from_db()
    response = as_(client, org.employee).post(
        reverse("feedback:consensus-disagree", args=[ack.pk]),
        {"version": ack.version, f"item_{item.pk}": "on", f"reason_{item.pk}": "Again."},
    )
    assert response.status_code == 400
    assert response.context["disagree_form"].errors[f"item_{item.pk}"]
    assert Dispute.objects.count() == 1


def test_my_disputes_say_who_decides_and_show_the_resolution_escaped(client, org):
    """The disputes on My result (written in Python, feedback/templatetags/my_result.py):
    HR decides when no one is routed; a decision shows its lines and the rating; what
    people wrote is escaped."""
    from django.utils import timezone

    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    Dispute.objects.filter(pk=dispute.pk).update(resolver=None, reason="<i>mine</i>")
    as_(client, org.employee)
    text = client.get(reverse("feedback:consensus-mine")).content.decode()
    assert "HR decides by" in text
    assert "&lt;i&gt;mine&lt;/i&gt;" in text and "<i>mine</i>" not in text
    assert 'data-dispute-status="open"' in text
    Dispute.objects.filter(pk=dispute.pk).update(
        status=DisputeStatus.UPHELD,
        resolution="Line one\n<b>two</b>",
        rating_after=3,
        resolved_at=timezone.now(),
    )
    text = client.get(reverse("feedback:consensus-mine")).content.decode()
    assert f'data-testid="resolution-{dispute.pk}"' in text
    assert "Line one<br>&lt;b&gt;two&lt;/b&gt;" in text
    assert "Rating stays 3." in text
    assert reverse("feedback:consensus-dispute", args=[dispute.pk]) in text


def test_a_stale_answer_form_is_409(client, org):
    ack = hold_interview(org)
    response = as_(client, org.employee).post(
        reverse("feedback:consensus-agree", args=[ack.pk]), {"version": ack.version + 3}
    )
    assert response.status_code == 409
    assert b"Someone else changed" in response.content


@pytest.mark.parametrize("who", ["manager", "skip", "hr", "colleague", "outsider"])
def test_only_the_employee_may_answer(client, org, who):
    ack = hold_interview(org)
    item = items_of(org)[0]
    person = getattr(org, who)
    as_(client, person)
    assert (
        client.post(reverse("feedback:consensus-agree", args=[ack.pk]), {"version": 1}).status_code
        == 404
    )
    response = client.post(
        reverse("feedback:consensus-disagree", args=[ack.pk]),
        {"version": 1, f"item_{item.pk}": "on", f"reason_{item.pk}": "x"},
    )
    assert response.status_code == 404
    ack.refresh_from_db()
    assert ack.status == AcknowledgementStatus.PENDING


def test_answer_actions_are_post_only(client, org):
    ack = hold_interview(org)
    assert (
        as_(client, org.employee)
        .get(reverse("feedback:consensus-agree", args=[ack.pk]))
        .status_code
        == 405
    )


# --- Disputes on my team -------------------------------------------------------------------------


def test_the_skip_level_manager_sees_the_dispute_to_decide_and_the_reviewer_reads_it(client, org):
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    page = as_(client, org.skip).get(reverse("feedback:consensus-team"))
    assert [d.pk for d in page.context["decide"]] == [dispute.pk]
    assert page.context["mine"] == []
    page = as_(client, org.manager).get(reverse("feedback:consensus-team"))
    assert page.context["decide"] == []
    assert [d.pk for d in page.context["mine"]] == [dispute.pk]
    assert b'data-testid="none-to-decide"' in page.content


def test_disputes_on_my_team_is_404_for_someone_who_manages_nobody(client, org):
    assert as_(client, org.employee).get(reverse("feedback:consensus-team")).status_code == 404


def test_disputes_on_my_team_page_both_lists_and_row_101_is_reachable(client, org):
    """Past a page, each list pages on its own (``page`` for the disputes to decide,
    ``mine_page`` for those on my ratings): every one of 101 disputes is reachable, and
    the open count counts them all."""
    from feedback.selectors.consensus import TEAM_PAGE_SIZE

    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    _more_disputes(ack, dispute, 100)
    everyone = list(Dispute.objects.order_by("pk").values_list("pk", flat=True))
    assert len(everyone) == 101 and TEAM_PAGE_SIZE == 50
    url = reverse("feedback:consensus-team")
    for person, key, param in ((org.skip, "decide", "page"), (org.manager, "mine", "mine_page")):
        first = as_(client, person).get(url)
        assert [d.pk for d in first.context[key]] == everyone[:50]
        assert first.context[f"{key}_page"].paginator.num_pages == 3
        assert f"{param}=2".encode() in first.content
        last = client.get(f"{url}?{param}=3")
        assert [d.pk for d in last.context[key]] == [everyone[100]]
        assert f'data-dispute="{everyone[100]}"'.encode() in last.content
        assert [d.pk for d in client.get(f"{url}?{param}=2").context[key]] == everyone[50:100]
        assert [d.pk for d in client.get(f"{url}?{param}=99").context[key]] == [everyone[100]]
    skip_page = as_(client, org.skip).get(url + "?page=3")
    assert skip_page.context["open_count"] == 101
    assert b'data-testid="open-count">(101)' in skip_page.content


# --- One dispute ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "form"),
    [
        ("employee", 200, False),
        ("manager", 200, False),
        ("skip", 200, True),
        ("hr", 200, True),
        ("colleague", 404, False),
        ("outsider", 404, False),
    ],
)
def test_who_reads_and_who_decides_a_dispute(client, org, who, status, form):
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    page = as_(client, getattr(org, who)).get(
        reverse("feedback:consensus-dispute", args=[dispute.pk])
    )
    assert page.status_code == status
    if status == 200:
        assert (b'data-testid="resolve-form"' in page.content) is form
        assert b"I led the release." in page.content


def test_the_chain_above_the_skip_level_reads_a_dispute_a_manager_elsewhere_does_not(client, org):
    """The read rule's CHAIN (above the reviewer's manager, no other relation) reads the
    dispute without its form; the outsider's manager, outside the chain, gets a 404."""
    from tests.factories import make_employee

    dispute = open_dispute(org, hold_interview(org))
    vp = make_employee(department=org.skip.department, job_title="VP")
    Employee.objects.filter(pk=org.skip.pk).update(manager=vp)
    elsewhere = make_employee(department=org.outsider.department, job_title="Head of sales")
    Employee.objects.filter(pk=org.outsider.pk).update(manager=elsewhere)
    url = reverse("feedback:consensus-dispute", args=[dispute.pk])
    page = as_(client, vp).get(url)
    assert page.status_code == 200 and b'data-testid="resolve-form"' not in page.content
    assert as_(client, elsewhere).get(url).status_code == 404


@pytest.mark.parametrize("who", ["employee", "manager", "colleague", "outsider"])
def test_the_wrong_role_cannot_decide_404(client, org, who):
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    response = as_(client, getattr(org, who)).post(
        reverse("feedback:consensus-resolve", args=[dispute.pk]),
        {"version": dispute.version, "decision": "uphold", "resolution": "Stays."},
    )
    assert response.status_code == 404
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_the_rating_author_holding_hr_still_cannot_decide(client, org):
    from perfcycle.services import hr_group

    org.manager.user.groups.add(hr_group())
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    page = as_(client, org.manager).get(reverse("feedback:consensus-dispute", args=[dispute.pk]))
    assert b"resolve-form" not in page.content
    response = client.post(
        reverse("feedback:consensus-resolve", args=[dispute.pk]),
        {"version": dispute.version, "decision": "uphold", "resolution": "Mine."},
    )
    assert response.status_code == 404


def test_the_skip_level_changes_the_rating_and_everyone_reads_the_resolution(client, org):
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    response = as_(client, org.skip).post(
        reverse("feedback:consensus-resolve", args=[dispute.pk]),
        {
            "version": dispute.version,
            "decision": "change",
            "rating": "4",
            "resolution": "The release was yours.",
        },
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.rating_after) == (DisputeStatus.CHANGED, 4)
    assert RatingRevision.objects.count() == 1
    page = as_(client, org.employee).get(reverse("feedback:consensus-mine"))
    text = page.content.decode()
    assert "The release was yours." in text
    assert f'data-revised="{dispute.item_id}"' in text
    assert 'data-testid="revisions-table"' in text
    breakdown = as_(client, org.hr).get(
        reverse("appraisal:appraisal-breakdown", args=[dispute.appraisal_id])
    )
    assert b"Changed after dispute: The release was yours." in breakdown.content


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"decision": "change", "resolution": "Why"}, "rating"),
        ({"decision": "change", "rating": "9", "resolution": "Why"}, "rating"),
        ({"decision": "change", "rating": "2", "resolution": "Why"}, "rating"),
        ({"decision": "uphold", "resolution": ""}, "resolution"),
        ({"resolution": "Why"}, "decision"),
    ],
)
def test_a_bad_decision_is_refused_at_the_field(client, org, data, field):
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    response = as_(client, org.skip).post(
        reverse("feedback:consensus-resolve", args=[dispute.pk]),
        {"version": dispute.version, **data},
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_a_decided_dispute_offers_no_form_and_a_second_decision_is_refused(client, org):
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    as_(client, org.skip)
    client.post(
        reverse("feedback:consensus-resolve", args=[dispute.pk]),
        {"version": dispute.version, "decision": "uphold", "resolution": "Stays."},
    )
    page = client.get(reverse("feedback:consensus-dispute", args=[dispute.pk]))
    assert b'data-testid="decision"' in page.content
    assert b"resolve-form" not in page.content
    response = client.post(
        reverse("feedback:consensus-resolve", args=[dispute.pk]),
        {"version": dispute.version + 1, "decision": "uphold", "resolution": "Again."},
        follow=True,
    )
    assert b"decided already" in response.content


# --- HR: open disputes ---------------------------------------------------------------------------


def test_hr_sees_open_disputes_oldest_first_with_their_age(client, org):
    ack = hold_interview(org)
    first, second, *_ = items_of(org)
    older = open_dispute(org, ack, first)
    newer = open_dispute(org, ack, second)
    import datetime as dt

    from django.utils import timezone

    Dispute.objects.filter(pk=older.pk).update(opened_at=timezone.now() - dt.timedelta(days=9))
    page = as_(client, org.hr).get(reverse("feedback:consensus-hr"))
    assert page.status_code == 200
    assert [d.pk for d, _age in page.context["rows"]] == [older.pk, newer.pk]
    assert [age for _d, age in page.context["rows"]] == [9, 0]
    assert page.context["counts"] == {"open": 2, "overdue": 0, "to_hr": 0}
    filtered = client.get(reverse("feedback:consensus-hr") + f"?cycle={org.cycle.pk}")
    assert len(filtered.context["rows"]) == 2
    assert client.get(reverse("feedback:consensus-hr") + "?cycle=999999").status_code == 404


def test_hr_open_disputes_paginates(client, org):
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    from perfcycle.paging import ORGANISATION_PAGE_SIZE

    _more_disputes(ack, dispute, ORGANISATION_PAGE_SIZE)
    page = as_(client, org.hr).get(reverse("feedback:consensus-hr"))
    assert len(page.context["rows"]) == ORGANISATION_PAGE_SIZE
    assert page.context["page"].paginator.num_pages == 2
    second = client.get(reverse("feedback:consensus-hr") + "?page=2")
    assert len(second.context["rows"]) == 1


@override_settings(DEBUG=False)
def test_hr_open_disputes_table_rendered_once_shows_a_change_at_once(client, org):
    """With the table kept per what its rows show (DEBUG off), a dispute whose due date
    passes shows "Overdue" at once."""
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    client.force_login(org.hr.user)
    assert b'data-overdue="1"' not in client.get(reverse("feedback:consensus-hr")).content
    import datetime as dt

    Dispute.objects.filter(pk=dispute.pk).update(due_date=dt.date(2020, 1, 1))
    page = client.get(reverse("feedback:consensus-hr")).content
    assert f'data-dispute="{dispute.pk}"'.encode() in page and b'data-overdue="1"' in page


def _more_disputes(ack, dispute, n):
    """n more open disputes like ``dispute`` (same resolver), on n spare items."""
    Dispute.objects.bulk_create(
        Dispute(
            acknowledgement=ack,
            appraisal=dispute.appraisal,
            participation=dispute.participation,
            item=item,
            reason="x",
            resolver=dispute.resolver,
            due_date=dispute.due_date,
        )
        for item in _spare_items(dispute, n)
    )


def _spare_items(dispute, n):
    """n more (unweighted) items on the appraisal, only to have enough disputes to page."""
    from appraisal.models import AppraisalItem, ItemKind
    from goals.models import SectionKind

    return AppraisalItem.objects.bulk_create(
        AppraisalItem(
            appraisal=dispute.appraisal,
            kind=ItemKind.PEER,
            section=SectionKind.PEER,
            title=f"Extra {i}",
            weight=0,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("who", ["employee", "manager", "skip"])
def test_open_disputes_is_hr_only(client, org, who):
    assert as_(client, getattr(org, who)).get(reverse("feedback:consensus-hr")).status_code == 404


def test_the_home_pages_show_the_answer_and_the_decision_to_do(client, org):
    ack = hold_interview(org)
    home = as_(client, org.employee).get(reverse("my-home"))
    assert b"Agree or disagree with your result" in home.content
    open_dispute(org, ack)
    home = as_(client, org.skip).get(reverse("team-home"))
    assert b"1 dispute waits for your decision" in home.content
    home = as_(client, org.hr).get(reverse("hr-home"))
    assert b"Results answered" in home.content
    assert b"Disputes decided" in home.content


def test_the_cycle_health_counts_answers_and_disputes(org):
    from django.utils import timezone

    from feedback.selectors.consensus import consensus_health

    ack = hold_interview(org)
    hold_interview(org, org.colleague)
    open_dispute(org, ack)
    answers, disputes = consensus_health(org.cycle, today=timezone.localdate())
    assert (answers.done, answers.total, answers.overdue) == (1, 2, 0)
    assert [(str(label), n) for label, n, _url in answers.parts] == [
        ("agreed", 0),
        ("disagreed", 1),
        ("no response", 0),
    ]
    assert (disputes.done, disputes.total, disputes.overdue) == (0, 1, 0)
    later = ack.due_date + timezone.timedelta(days=30)
    answers, disputes = consensus_health(org.cycle, today=later)
    assert answers.overdue == 1  # the colleague's answer, past its deadline
    assert disputes.overdue == 1


def test_the_routed_resolver_keeps_the_dispute_after_the_chart_changes(client, org):
    """The reviewer moves under another manager: the routed skip-level manager still opens
    the dispute and may uphold it, but a change is the new line's or HR's."""
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    Employee.objects.filter(pk=org.manager.pk).update(manager=org.outsider)
    as_(client, org.skip)
    page = client.get(reverse("feedback:consensus-dispute", args=[dispute.pk]))
    assert page.status_code == 200
    assert b'data-testid="resolve-form"' in page.content
    response = client.post(
        reverse("feedback:consensus-resolve", args=[dispute.pk]),
        {"version": dispute.version, "decision": "change", "rating": "4", "resolution": "Yes."},
    )
    assert response.status_code == 400
    assert b"no longer manage the reviewer" in response.content
    response = client.post(
        reverse("feedback:consensus-resolve", args=[dispute.pk]),
        {"version": dispute.version, "decision": "uphold", "resolution": "Stays."},
    )
    assert response.status_code == 302


def test_the_audit_log_tells_the_dispute_in_sentences(client, org):
    ack = hold_interview(org)
    dispute = open_dispute(org, ack)
    services.resolve_dispute(
        actor=org.skip.user,
        dispute_id=dispute.pk,
        decision=services.Decision(change=True, rating=4, resolution="Yes."),
        expected_version=dispute.version,
    )
    text = as_(client, org.hr).get(reverse("audit-list")).content.decode()
    name = org.employee.full_name
    assert f"asked {name} for their answer on the result of {org.cycle.name}" in text
    assert f'opened their <a href="/feedback/disputes/{dispute.pk}/">dispute on “' in text
    assert f"changed the rating in {name}’s" in text
    assert f"changed a rating of {name}’s appraisal after a dispute" in text
