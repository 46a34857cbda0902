"""Last year's appraisal in the demo, as its logins see it: the employee's appraisal and
score breakdown, the manager's team list, HR's progress and calibration board of the
closed cycle; and the cycle pickers once this year's appraisal has opened."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from appraisal.models import Appraisal, CalibrationAdjustment
from perfcycle import phases
from perfcycle.formatting import format_number
from perfcycle.models import Cycle
from perfcycle.workflow import SYSTEM
from tests.demo_pages import page, person

pytestmark = pytest.mark.django_db


def last_years(username: str) -> Appraisal:
    return Appraisal.objects.get(
        participation__employee=person(username), participation__cycle__phase=Cycle.Phase.CLOSED
    )


def test_every_demo_login_sees_last_years_results(client):
    call_command("seed_demo", stdout=io.StringIO())
    cycle = Cycle.objects.get(phase=Cycle.Phase.CLOSED)

    # The employee: last year's appraisal, finalised and released, is the one shown (this
    # year's has not opened); its breakdown explains the score line by line.
    mine = last_years("employee")
    html = page(client, "employee", reverse("appraisal:my-appraisal"))
    assert cycle.name in html and "Finalised" in html
    html = page(client, "employee", reverse("appraisal:appraisal-breakdown", args=[mine.pk]))
    table = html.split('data-testid="breakdown-table"', 1)[1].split("</table>", 1)[0]
    for item in mine.items.exclude(section="peer"):
        assert escape(item.title) in table
    assert table.count("<tr data-line=") >= 4
    final = re.search(r'data-testid="final-score">([^<]+)<', html).group(1)
    assert final == format_number(mine.final_score, decimal_places=2)
    assert mine.final_band in html
    # The calibrated one reads the change and its reason.
    calibrated = last_years("employee2")
    html = page(client, "employee2", reverse("appraisal:appraisal-breakdown", args=[calibrated.pk]))
    assert CalibrationAdjustment.objects.get(appraisal=calibrated).reason in html
    assert 'data-testid="calibration-table"' in html

    # The manager: the team's appraisals of last year, every one finalised.
    html = page(client, "manager", reverse("appraisal:team-appraisals"))
    for username in ("employee", "peer", "lucas.moreau", "leo.martin"):
        assert person(username).full_name in html
    assert html.count("Finalised") >= 4

    # HR: last year's progress is all finalised; the board lists the scores and the change.
    html = page(client, "hr", f"{reverse('appraisal:hr-progress')}?cycle={cycle.pk}")
    assert cycle.name in html and "Finalised" in html
    html = page(client, "hr", f"{reverse('appraisal:calibration-board')}?cycle={cycle.pk}")
    assert person("laura.kim").full_name in html and person("peter.hall").full_name in html
    assert "Outstanding" in html and "Needs improvement" in html


def test_the_cycle_pickers_switch_to_last_year_once_this_years_appraisal_opens(client):
    call_command("seed_demo", stdout=io.StringIO())
    previous = Cycle.objects.get(phase=Cycle.Phase.CLOSED)
    current = Cycle.objects.get(phase=Cycle.Phase.IMPLEMENTATION)
    phases.advance_cycle_phase(actor=SYSTEM, cycle_id=current.pk, to_phase=Cycle.Phase.APPRAISAL)

    picker = re.compile(r'data-testid="cycle-picker".*?</form>', re.S)
    for username, url in (
        ("employee", reverse("appraisal:my-appraisal")),
        ("manager", reverse("appraisal:team-appraisals")),
        ("hr", reverse("appraisal:hr-progress")),
        ("hr", reverse("appraisal:calibration-board")),
    ):
        html = page(client, username, url)
        choices = picker.search(html).group(0)
        assert current.name in choices and previous.name in choices, url
        assert re.search(rf'value="{current.pk}" selected', choices), url
        html = page(client, username, f"{url}?cycle={previous.pk}")
        assert re.search(rf'value="{previous.pk}" selected', picker.search(html).group(0)), url
    html = page(client, "employee", f"{reverse('appraisal:my-appraisal')}?cycle={previous.pk}")
    assert "Finalised" in html


def test_hrs_appraisal_sub_navigation_marks_the_page_it_is_on(client):
    """Progress (and the appraisal lists it links to), Calibration, Overdue, Release and
    Rules: on each page its own link, and only it, is the current one."""
    call_command("seed_demo", stdout=io.StringIO())
    cycle = Cycle.objects.get(phase=Cycle.Phase.CLOSED)
    current = re.compile(r'<a class="nav-link active" aria-current="page" [^>]*data-subnav="(\w+)"')
    for key, url in (
        ("progress", f"{reverse('appraisal:hr-progress')}?cycle={cycle.pk}"),
        ("progress", f"{reverse('appraisal:hr-appraisals')}?cycle={cycle.pk}"),
        ("calibration", f"{reverse('appraisal:calibration-board')}?cycle={cycle.pk}"),
        ("overdue", f"{reverse('appraisal:hr-overdue')}?cycle={cycle.pk}"),
        ("release", f"{reverse('appraisal:hr-release')}?cycle={cycle.pk}"),
        ("rules", reverse("appraisal:appraisal-settings", args=[cycle.pk])),
    ):
        html = page(client, "hr", url)
        nav = html.split('data-testid="appraisal-hr-nav"', 1)[1].split("</nav>", 1)[0]
        assert current.findall(nav) == [key], url
        assert nav.count('data-subnav="') == 5
