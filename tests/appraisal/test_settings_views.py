"""HR's page of a cycle's appraisal rules: valid rules are stored and audited; each bad
input is a 400 with its message at the field and nothing saved; a stale form is a 409
that overwrites nothing; nobody but HR finds the page; it makes few queries."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import AppraisalSettings
from appraisal.services.opening import settings_for
from appraisal.services.settings import update_settings
from goals.models import CyclePlan
from perfcycle.models import AuditEvent, Cycle
from tests.appraisal.factories import LEVEL_LABELS, make_org, open_org
from tests.factories import version_of

pytestmark = pytest.mark.django_db
MAX_QUERIES = 12


@pytest.fixture
def org():
    return open_org()


def url(org):
    return reverse("appraisal:appraisal-settings", args=[org.cycle.pk])


def as_user(client, person):
    client.force_login(person.user)
    return client


def valid(settings, **changes):
    """A complete, valid post of the rules (the cycle's appraisal phase is
    2026-10-28 exclusive to 2026-11-27)."""
    data = {
        "version": version_of(settings),
        "evidence_required_at_or_below": "1",
        "evidence_required_at_or_above": "5",
        "peer_min": "2",
        "peer_max": "4",
        "peer_deadline": "2026-11-20",
        "peer_anonymity_threshold": "3",
        "peers_attributed_to_manager": "on",
        "guideline_0": "5",
        "guideline_1": "15",
        "guideline_2": "50",
        "guideline_3": "20",
        "guideline_4": "10",
        "self_assessment_deadline": "2026-11-10",
        "review_deadline": "2026-11-20",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def stored(settings) -> dict:
    return AppraisalSettings.objects.filter(pk=settings.pk).values().get()


def test_hr_sees_the_rules_with_the_scale_and_one_input_per_band(client, org):
    settings = settings_for(org.cycle)
    page = as_user(client, org.hr).get(url(org))
    assert page.status_code == 200
    html = page.content.decode()
    for i, label in enumerate(LEVEL_LABELS):
        assert (
            f'<label class="form-label small mb-1" for="id_guideline_{i}">{label}</label>' in html
        )
        assert f">{i + 1} · {label}</option>" in html
    assert f'name="version" value="{settings.version}"' in html
    assert 'name="guideline_2" value="40"' in html  # the default guideline


def test_hr_saves_valid_rules_stored_and_audited(client, org):
    settings = settings_for(org.cycle)
    response = as_user(client, org.hr).post(url(org), valid(settings))
    assert response.status_code == 302
    row = stored(settings)
    assert row["evidence_required_at_or_below"] == 1
    assert row["evidence_required_at_or_above"] == 5
    assert (row["peer_min"], row["peer_max"], row["peer_anonymity_threshold"]) == (2, 4, 3)
    assert row["peers_attributed_to_manager"] is True
    assert row["guideline"] == [5, 15, 50, 20, 10]
    assert row["peer_deadline"] == dt.date(2026, 11, 20)
    assert row["self_assessment_deadline"] == dt.date(2026, 11, 10)
    assert row["review_deadline"] == dt.date(2026, 11, 20)
    assert row["version"] == settings.version + 1
    event = AuditEvent.objects.get(verb="appraisal.settings_changed")
    assert event.actor_id == org.hr.user_id
    assert event.before["guideline"] == [10, 20, 40, 20, 10]
    assert event.after["guideline"] == [5, 15, 50, 20, 10]
    assert event.before["peer_min"] == 3 and event.after["peer_min"] == 2
    assert "peer_max" not in event.after or event.after["peer_max"] == 4
    page = client.get(url(org)).content.decode()
    assert "Appraisal rules saved." in page
    # The audit log reads it as a sentence.
    log = client.get(reverse("audit-list")).content.decode()
    assert "changed the appraisal rules" in log


def test_saving_the_same_rules_again_changes_nothing(client, org):
    settings = settings_for(org.cycle)
    as_user(client, org.hr).post(url(org), valid(settings))
    settings.refresh_from_db()
    assert client.post(url(org), valid(settings)).status_code == 302
    assert AuditEvent.objects.filter(verb="appraisal.settings_changed").count() == 1


BAD = [
    ({"peer_min": "5", "peer_max": "4"}, "peer_max", "Must be at least the fewest peers (5)."),
    ({"peer_anonymity_threshold": "2"}, "peer_anonymity_threshold", "greater than or equal to 3"),
    ({"peer_min": "many"}, "peer_min", "Enter a whole number."),
    ({"evidence_required_at_or_below": "9"}, "evidence_required_at_or_below", "valid choice"),
    (
        {"evidence_required_at_or_below": "4", "evidence_required_at_or_above": "3"},
        "evidence_required_at_or_above",
        "Choose a level above the one evidence is required at or below.",
    ),
    ({"guideline_4": "20"}, "guideline", "total 100. These total 110."),
    ({"guideline_4": None}, "guideline", "Give a % for every band."),
    ({"guideline_0": "-5", "guideline_4": "20"}, "guideline", "greater than or equal to 0"),
    ({"review_deadline": "2026-12-01"}, "review_deadline", "Choose a day in the appraisal phase"),
    ({"peer_deadline": "2026-06-01"}, "peer_deadline", "Choose a day in the appraisal phase"),
    (
        {"self_assessment_deadline": "2026-11-25", "review_deadline": "2026-11-20"},
        "self_assessment_deadline",
        "Self-assessments would be due after the manager reviews",
    ),
    (
        {"self_assessment_deadline": "", "review_deadline": "2026-11-20"},
        "self_assessment_deadline",
        "Self-assessments would be due after the manager reviews",
    ),
    ({"review_deadline": "31/31/2026"}, "review_deadline", "Enter a valid date."),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD)
def test_bad_input_is_a_400_at_the_field_and_nothing_is_saved(client, org, changes, field, message):
    settings = settings_for(org.cycle)
    before = stored(settings)
    response = as_user(client, org.hr).post(url(org), valid(settings, **changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert message in " ".join(errors[field])
    assert message.replace("%", "%") in response.content.decode().replace("&#x27;", "'")
    assert stored(settings) == before
    assert not AuditEvent.objects.filter(verb="appraisal.settings_changed").exists()


def test_a_stale_form_is_a_409_and_overwrites_nothing(client, org):
    settings = settings_for(org.cycle)
    as_user(client, org.hr)
    first = valid(settings)
    assert client.post(url(org), first).status_code == 302
    saved = stored(settings)
    stale = valid(
        settings, version=str(first["version"]), peer_min="1", guideline_2="45", guideline_3="25"
    )
    response = client.post(url(org), stale)
    assert response.status_code == 409
    assert "Someone else changed these settings" in response.content.decode()
    assert stored(settings) == saved
    missing = valid(settings, peer_min="1")
    del missing["version"]
    assert client.post(url(org), missing).status_code == 409
    assert stored(settings) == saved


def test_a_closed_cycle_refuses_changes(client, org):
    settings = settings_for(org.cycle)
    Cycle.objects.filter(pk=org.cycle.pk).update(phase=Cycle.Phase.CLOSED)
    page = as_user(client, org.hr).get(url(org)).content.decode()
    assert 'data-testid="closed-note"' in page and "Save rules" not in page
    response = as_user(client, org.hr).post(url(org), valid(settings))
    assert response.status_code == 400
    assert "The cycle is closed" in response.content.decode()


def test_before_appraisal_the_plans_scale_gives_the_levels(client):
    org = make_org(phase=Cycle.Phase.PLANNING)
    page = as_user(client, org.hr).get(url(org)).content.decode()
    assert ">5 · Outstanding</option>" in page
    assert "id_guideline_4" in page


@pytest.mark.parametrize("who", ["employee", "manager", "skip"])
def test_nobody_else_finds_the_page(client, org, who):
    settings = settings_for(org.cycle)
    before = stored(settings)
    as_user(client, getattr(org, who))
    assert client.get(url(org)).status_code == 404
    assert client.post(url(org), valid(settings)).status_code == 404
    assert stored(settings) == before


def test_reachable_from_the_cycle_page_and_the_hr_pages(client, org):
    as_user(client, org.hr)
    target = f'href="{url(org)}"'
    assert (
        'data-action="appraisal-settings"'
        in client.get(org.cycle.get_absolute_url()).content.decode()
    )
    assert target in client.get(org.cycle.get_absolute_url()).content.decode()
    progress = client.get(f"{reverse('appraisal:hr-progress')}?cycle={org.cycle.pk}")
    assert target in progress.content.decode()


def test_the_page_makes_few_queries(client, org):
    settings_for(org.cycle)
    as_user(client, org.hr)
    client.get(url(org))  # warm caches (session, navigation)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url(org)).status_code == 200
    assert len(ctx.captured_queries) <= MAX_QUERIES, [q["sql"] for q in ctx.captured_queries]


def test_the_audit_log_reads_the_change_with_before_and_after(client, org):
    settings = settings_for(org.cycle)
    as_user(client, org.hr).post(url(org), valid(settings))
    log = client.get(reverse("audit-list")).content.decode()
    assert (
        f'{org.hr.full_name} changed the appraisal rules of <a href="{url(org)}">{org.cycle.name}</a>'
        in log
    )
    assert "10, 20, 40, 20, 10 → 5, 15, 50, 20, 10" in log
    assert "— → 20 Nov 2026" in log


def test_without_a_scale_the_guideline_is_kept(client):
    """A cycle whose planning setup chose no scale yet: no level to choose, no band to
    give a % to; the other rules save and the guideline stays as it was."""
    org = make_org(phase=Cycle.Phase.PLANNING)
    CyclePlan.objects.filter(cycle=org.cycle).delete()
    settings = settings_for(org.cycle)
    as_user(client, org.hr)
    page = client.get(url(org)).content.decode()
    assert "Choose the cycle's rating scale on its planning setup first" in page
    assert "guideline_0" not in page
    data = valid(settings, evidence_required_at_or_below="", evidence_required_at_or_above="")
    assert client.post(url(org), data).status_code == 302
    row = stored(settings)
    assert row["peer_min"] == 2 and row["guideline"] == [10, 20, 40, 20, 10]


def test_the_service_is_for_hr_only(org):
    settings = settings_for(org.cycle)
    with pytest.raises(PermissionDenied):
        update_settings(
            actor=org.manager.user, cycle=org.cycle, data={}, expected_version=settings.version
        )


# --- Peer limits against the nominations already made -----------------------------------


def _peer_org():
    from tests.appraisal.peer_factories import peer_org

    return peer_org(4)


def _field_error(response, field: str) -> str:
    html = response.content.decode()
    start = html.index(f'id="div_id_{field}"')
    return html[start : start + 1500]


def test_a_maximum_below_the_nominations_waiting_is_refused_at_the_field(client):
    """Four colleagues nominated, waiting for the manager: a maximum of 3 is refused at
    its field, saying how many it must be at least; nothing is saved."""
    from tests.appraisal.peer_factories import nominate

    org = _peer_org()
    nominate(org)
    settings = settings_for(org.cycle)
    before = stored(settings)

    response = as_user(client, org.hr).post(url(org), valid(settings, peer_min="2", peer_max="3"))

    assert response.status_code == 400
    assert "choose at least 4" in _field_error(response, "peer_max")
    assert stored(settings) == before


def test_a_maximum_equal_to_the_longest_list_is_saved_and_declined_ones_do_not_count(client):
    """The most peers may come down to the longest list of nominations; a declined
    nomination is not part of a list."""
    from appraisal.models import PeerReview
    from appraisal.services import peers
    from tests.appraisal.peer_factories import nominate

    org = _peer_org()
    nominate(org)
    review = PeerReview.objects.filter(appraisal=org.appraisal).order_by("pk").first()
    peers.decide_nomination(
        review=review, approve=False, actor=org.manager.user, expected_version=review.version
    )
    settings = settings_for(org.cycle)

    response = as_user(client, org.hr).post(url(org), valid(settings, peer_min="2", peer_max="3"))

    assert response.status_code == 302
    assert settings_for(org.cycle).peer_max == 3


def test_a_minimum_above_a_list_already_asked_is_refused_at_the_field(client):
    """Three peers asked: that list is final, so a minimum of 4 is refused at its field."""
    from tests.appraisal.peer_factories import asked

    org = _peer_org()
    asked(org, org.peers[:3])
    settings = settings_for(org.cycle)
    before = stored(settings)

    response = as_user(client, org.hr).post(url(org), valid(settings, peer_min="4", peer_max="5"))

    assert response.status_code == 400
    assert "choose at most 3" in _field_error(response, "peer_min")
    assert stored(settings) == before


def test_a_higher_minimum_applies_to_lists_not_asked_yet(client):
    """Three approved, not asked yet: a minimum of 4 is saved, the page says what it does,
    and the manager must approve a fourth before asking."""
    from appraisal.services import peers
    from appraisal.services.peers import PeerError
    from tests.appraisal.peer_factories import approve_all, nominate

    org = _peer_org()
    nominate(org, org.peers[:3])
    approve_all(org)
    settings = settings_for(org.cycle)
    page = as_user(client, org.hr).get(url(org)).content.decode()
    assert "a list already sent is final" in page

    response = client.post(url(org), valid(settings, peer_min="4", peer_max="5"))

    assert response.status_code == 302
    with pytest.raises(PeerError, match="Approve 1 more peer"):
        peers.ask_peers(appraisal=org.appraisal, actor=org.manager.user)
