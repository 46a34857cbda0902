"""HR's appraisal pages: progress, lists, calibration board (adjust, lock), overdue with
a nudge, release, reopen. HR only (everyone else gets 404, GET or POST); bad input is a
message at the field and a 4xx, never a 500; the pages make the same number of queries
(at most 12) at two sizes of organisation."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import AppraisalStatus, CalibrationAdjustment, CalibrationSession
from appraisal.services import calibration
from appraisal.services.opening import open_missing_appraisals, settings_for
from perfcycle.models import Cycle
from perfcycle.phases import advance_cycle_phase
from tests.appraisal.calib_factories import calibrated_org_appraisals, in_calibration, in_review
from tests.appraisal.factories import appraisal_of, make_org, open_org
from tests.factories import enrol, make_department, make_employee, version_of

pytestmark = pytest.mark.django_db
D = Decimal
MAX_QUERIES = 12


@pytest.fixture
def org():
    return open_org()


def as_user(client, person):
    client.force_login(person.user)
    return client


def board_url(org, department=None):
    url = f"{reverse('appraisal:calibration-board')}?cycle={org.cycle.pk}"
    return f"{url}&department={department.pk}" if department else url


def get_pages(org):
    c = org.cycle.pk
    return [
        f"{reverse('appraisal:hr-progress')}?cycle={c}",
        f"{reverse('appraisal:hr-appraisals')}?cycle={c}&status=calibration",
        f"{reverse('appraisal:hr-overdue')}?cycle={c}",
        f"{reverse('appraisal:hr-release')}?cycle={c}",
        board_url(org),
        board_url(org, org.employee.department),
    ]


def test_hr_opens_every_page(client, org):
    calibrated_org_appraisals(org)
    as_user(client, org.hr)
    for url in get_pages(org):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("appraisal:hr-progress")).status_code == 200  # default cycle


def test_nobody_else_finds_them(client, org):
    """Managers, the skip level and employees get 404 on every page and action."""
    appraisal, _other = calibrated_org_appraisals(org)
    session = calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    posts = [
        (
            reverse("appraisal:calibration-adjust"),
            {
                "session": session.pk,
                "appraisal": appraisal.pk,
                "to_score": "4",
                "reason": "x",
                "version": appraisal.version,
            },
        ),
        (reverse("appraisal:calibration-start"), {"cycle": org.cycle.pk}),
        (reverse("appraisal:calibration-lock", args=[session.pk]), {"version": session.version}),
        (reverse("appraisal:calibration-unlock", args=[session.pk]), {"version": session.version}),
        (reverse("appraisal:hr-nudge"), {"appraisal": appraisal.pk}),
        (reverse("appraisal:hr-release"), {"cycle": org.cycle.pk, "version": 1}),
        (reverse("appraisal:appraisal-reopen", args=[appraisal.pk]), {"reason": "x", "version": 1}),
        (reverse("appraisal:appraisal-refinalize", args=[appraisal.pk]), {"version": 1}),
    ]
    for person in (org.manager, org.skip, org.employee):
        as_user(client, person)
        for url in [*get_pages(org), reverse("appraisal:appraisal-reopen", args=[appraisal.pk])]:
            assert client.get(url).status_code == 404, (person, url)
        for url, data in posts:
            assert client.post(url, data).status_code == 404, (person, url)
    assert not CalibrationAdjustment.objects.exists()
    assert not settings_for(org.cycle).released_at


def test_progress_counts_link_to_their_lists(client, org):
    calibrated_org_appraisals(org)
    in_review(appraisal_of(org, org.outsider))
    response = as_user(client, org.hr).get(
        f"{reverse('appraisal:hr-progress')}?cycle={org.cycle.pk}"
    )
    html = response.content.decode()
    assert 'data-department="Engineering"' in html
    engineering = response.context["rows"][0]
    assert engineering.name == "Engineering"
    counts = {status: count for status, _label, count, _url in engineering.counts}
    assert counts[AppraisalStatus.CALIBRATION] == 2 and counts[AppraisalStatus.NOT_STARTED] == 2
    url = next(u for s, _l, _c, u in engineering.counts if s == AppraisalStatus.CALIBRATION)
    listed = client.get(url)
    assert listed.status_code == 200
    assert listed.context["page"].paginator.count == 2


def post_adjust(client, org, appraisal, session, **data):
    payload = {
        "session": session.pk,
        "appraisal": appraisal.pk,
        "to_score": "4.00",
        "reason": "Led the migration",
        "version": version_of(appraisal),
    }
    payload.update(data)
    return client.post(reverse("appraisal:calibration-adjust"), payload)


def test_hr_adjusts_on_the_board_and_the_score_is_listed(client, org):
    appraisal, _other = calibrated_org_appraisals(org)
    as_user(client, org.hr)
    client.post(reverse("appraisal:calibration-start"), {"cycle": org.cycle.pk, "department": ""})
    session = CalibrationSession.objects.get(cycle=org.cycle, department__isnull=True)
    response = post_adjust(client, org, appraisal, session)
    assert response.status_code == 302
    appraisal.refresh_from_db()
    assert appraisal.final_score == D("4.00")
    page = client.get(board_url(org))
    bands = {b.label: b for b in page.context["board"].bands}
    assert bands["Exceeds"].final == 2 and bands["Meets"].proposed == 1
    assert 'data-testid="distribution-chart"' in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"to_score": "5.9"}, "to_score", "outside the scale"),
        ({"to_score": "lots"}, "to_score", "Enter a number"),
        ({"reason": ""}, "reason", "Give the reason"),
    ],
)
def test_bad_adjustments_are_refused_at_the_field(client, org, data, field, message):
    appraisal, _other = calibrated_org_appraisals(org)
    session = calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    response = post_adjust(as_user(client, org.hr), org, appraisal, session, **data)
    assert response.status_code == 400
    assert message in response.context["error_form"].errors[field][0]
    assert f'data-testid="{field.replace("_", "-")}-error"' in response.content.decode()
    assert not CalibrationAdjustment.objects.exists()


def test_a_stale_adjust_form_is_a_409(client, org):
    appraisal, _other = calibrated_org_appraisals(org)
    session = calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    response = post_adjust(as_user(client, org.hr), org, appraisal, session, version=0)
    assert response.status_code == 409
    assert "Someone else changed" in response.content.decode()


def test_lock_hides_the_adjust_forms_and_refuses_adjustments(client, org):
    appraisal, _other = calibrated_org_appraisals(org)
    session = calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    as_user(client, org.hr)
    assert 'data-testid="adjust-form"' in client.get(board_url(org)).content.decode()
    client.post(
        reverse("appraisal:calibration-lock", args=[session.pk]), {"version": session.version}
    )
    session.refresh_from_db()
    assert session.status == "locked"
    page = client.get(board_url(org)).content.decode()
    assert 'data-testid="adjust-form"' not in page
    assert post_adjust(client, org, appraisal, session).status_code == 400


def test_release_page_confirms_then_releases(client, org):
    calibrated_org_appraisals(org)
    as_user(client, org.hr)
    url = f"{reverse('appraisal:hr-release')}?cycle={org.cycle.pk}"
    page = client.get(url).content.decode()
    assert 'data-testid="not-released"' in page and 'name="confirm"' in page
    settings = settings_for(org.cycle)
    response = client.post(
        reverse("appraisal:hr-release"),
        {"cycle": org.cycle.pk, "version": settings.version, "confirm": "on"},
    )
    assert response.status_code == 302
    assert 'data-testid="released-at"' in client.get(url).content.decode()
    stale = client.post(
        reverse("appraisal:hr-release"), {"cycle": org.cycle.pk, "version": settings.version}
    )
    assert stale.status_code == 409


def test_overdue_list_and_nudge(client, org):
    settings = settings_for(org.cycle)
    settings.self_assessment_deadline = dt.date(2020, 1, 1)
    settings.save()
    as_user(client, org.hr)
    page = client.get(f"{reverse('appraisal:hr-overdue')}?cycle={org.cycle.pk}")
    assert page.context["page"].paginator.count == 5
    appraisal = appraisal_of(org, org.employee)
    first = client.post(reverse("appraisal:hr-nudge"), {"appraisal": appraisal.pk}, follow=True)
    assert "Nudged" in first.content.decode()
    again = client.post(reverse("appraisal:hr-nudge"), {"appraisal": appraisal.pk}, follow=True)
    assert "Already nudged today" in again.content.decode()


def test_reopen_form_needs_a_reason_then_reopens_and_finalises_again(client, org):
    calibrated_org_appraisals(org)
    advance_cycle_phase(actor=org.hr.user, cycle_id=org.cycle.pk, to_phase=Cycle.Phase.FEEDBACK)
    appraisal = appraisal_of(org, org.employee)
    as_user(client, org.hr)
    url = reverse("appraisal:appraisal-reopen", args=[appraisal.pk])
    assert 'data-testid="reopen-form"' in client.get(url).content.decode()
    missing = client.post(url, {"reason": "", "version": appraisal.version})
    assert missing.status_code == 400
    assert "Say why" in missing.content.decode()
    assert (
        client.post(url, {"reason": "New evidence", "version": appraisal.version}).status_code
        == 302
    )
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.CALIBRATION
    assert 'data-testid="refinalize-form"' in client.get(url).content.decode()
    client.post(
        reverse("appraisal:appraisal-refinalize", args=[appraisal.pk]),
        {"version": appraisal.version},
    )
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.FINALIZED


def test_hr_home_shows_appraisal_completion(client, org):
    calibrated_org_appraisals(org)
    html = as_user(client, org.hr).get(reverse("hr-home")).content.decode()
    assert 'data-health="appraisal_self"' in html
    assert 'data-health="appraisal_reviews"' in html


def test_the_hr_menu_lists_the_calibration_pages(client, org):
    html = as_user(client, org.hr).get(reverse("hr-home")).content.decode()
    for key in ("appraisalprogress", "calibration", "appraisaloverdue", "appraisalrelease"):
        assert f'data-nav="{key}"' in html


# --- Query counts --------------------------------------------------------------------------


def grow(org, people: int):
    """More people in a new sub-department and in Engineering, reviewed and calibrated."""
    team = make_department(f"Team {people}")
    team.parent = org.employee.department
    team.save()
    for n in range(people):
        lead = org.manager if n % 2 else org.skip
        person = make_employee(manager=lead, department=team if n % 3 else org.employee.department)
        enrol(org.cycle, person)
    open_missing_appraisals(cycle=org.cycle)
    from appraisal.models import Appraisal

    for n, appraisal in enumerate(
        Appraisal.objects.filter(participation__cycle=org.cycle, status=AppraisalStatus.NOT_STARTED)
    ):
        if n % 3:
            in_calibration(appraisal, f"{1 + n % 4}.{n % 10}0")
        else:
            in_review(appraisal)


def counts(client, org) -> dict:
    as_user(client, org.hr)
    found = {}
    for url in get_pages(org):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        found[url] = len(ctx.captured_queries)
    return found


def test_hr_pages_make_the_same_few_queries_at_two_sizes(client, org):
    calibrated_org_appraisals(org)
    session = calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    assert session
    small = counts(client, org)
    grow(org, 30)
    large = counts(client, org)
    assert large == small
    assert max(large.values()) <= MAX_QUERIES, large


def test_the_board_before_any_appraisal_says_so(client):
    """A cycle in appraisal whose appraisals are not opened yet: an empty board, no 500."""
    org = make_org()
    response = as_user(client, org.hr).get(board_url(org))
    assert response.status_code == 200
    assert "No appraisal has reached calibration" in response.content.decode()


def test_tampered_posts_are_not_found_not_500(client, org):
    as_user(client, org.hr)
    for url in ("hr-nudge", "hr-release", "calibration-start", "calibration-adjust"):
        data = {"appraisal": "x", "cycle": "x", "session": "x", "version": "x"}
        assert client.post(reverse(f"appraisal:{url}"), data).status_code == 404, url


def test_the_stored_board_follows_any_change_to_the_scores(client, org):
    """The board's figures are stored (perfcycle/rollups.py): a second look shows the same
    page, and a score changed by any means (here a bare UPDATE) shows at once."""
    from appraisal.models import Appraisal

    appraisal, _other = calibrated_org_appraisals(org)
    as_user(client, org.hr)
    first = client.get(board_url(org))
    again = client.get(board_url(org))
    assert again.context["board"] == first.context["board"]
    before = {b.label: b.final for b in first.context["board"].bands}
    Appraisal.objects.filter(pk=appraisal.pk).update(final_score=Decimal("1.00"))
    after = {b.label: b.final for b in client.get(board_url(org)).context["board"].bands}
    assert after != before
    assert sum(after.values()) == sum(before.values()) == 2
    assert (
        after[first.context["board"].bands[0].label]
        == before[first.context["board"].bands[0].label] + 1
    )


def test_the_board_shows_a_renamed_reviewer_or_department_at_once(client, org):
    """The board's figures and department options are rendered once per what they show
    (appraisal/views/calibration.py): a name changed without any rating changing still
    shows on the next look, and the scores' form follows its session."""
    appraisal, _other = calibrated_org_appraisals(org)
    as_user(client, org.hr)
    reviewer = appraisal.reviewer.user
    department = org.employee.department
    first = client.get(board_url(org)).content.decode()
    assert f">{appraisal.reviewer.full_name}<" in first
    assert 'data-testid="adjust-form"' not in first  # no session yet
    reviewer.first_name, reviewer.last_name = "Renamed", "Reviewer"
    reviewer.save()
    department.name = "Renamed department"
    department.save()
    calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    again = client.get(board_url(org)).content.decode()
    tendencies = again.split('data-testid="tendency-table"')[1].split("</table>")[0]
    assert ">Renamed Reviewer<" in tendencies
    assert f'<option value="{department.pk}">Renamed department (' in again
    assert again.count('data-testid="adjust-form"') == 2
    chosen = client.get(board_url(org, department)).content.decode()
    assert f'<option value="{department.pk}" selected>Renamed department (' in chosen


def test_the_kept_score_rows_carry_each_request_its_own_csrf_token(org):
    """The board's rows are rendered once per what they show and kept: a second HR
    session gets them without reading the list again, its adjust forms holding its own
    CSRF token (the one of the page), which the adjust POST accepts."""
    from django.test import Client

    appraisal, _other = calibrated_org_appraisals(org)
    session = calibration.open_session(cycle=org.cycle, department=None, actor=org.hr.user)
    seen = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        client.force_login(org.hr.user)
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(board_url(org)).content.decode()
        tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
        assert len(tokens) == 1 and html.count('data-testid="adjust-form"') == 2
        seen.append((client, tokens.pop(), len(ctx.captured_queries)))
    (_first, first_token, computed), (client, token, kept) = seen
    assert token != first_token and kept < computed
    data = {
        "csrfmiddlewaretoken": token,
        "session": session.pk,
        "appraisal": appraisal.pk,
        "version": version_of(appraisal),
        "to_score": "4.00",
        "reason": "Agreed in the calibration panel",
    }
    response = client.post(reverse("appraisal:calibration-adjust"), data)
    assert response.status_code == 302
