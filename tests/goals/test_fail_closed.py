"""Optimistic locking fails closed in planning too (issue 7, defect 4): a goal edit, a
library edit or a cycle plan that does not say which version it was made on is refused
like a stale one (409 on the page, ConcurrentEditError in the service) and nothing is
overwritten."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from goals.models import CyclePlan, Goal
from goals.rules import Threshold
from goals.services import library, setup
from goals.services.library import LevelInput, SectionInput
from goals.services.workflow import update_goal
from perfcycle.models import AuditEvent
from perfcycle.workflow import SYSTEM, ConcurrentEditError
from tests.factories import enrol, make_cycle

pytestmark = pytest.mark.django_db

D = Decimal
CONFLICT = "Someone else changed this"


@pytest.fixture
def cycle(org):
    cycle = make_cycle("FY2026", start=dt.date(2026, 1, 1))
    enrol(cycle, org["employee"])
    return cycle


@pytest.fixture
def draft(org, cycle):
    return Goal.objects.create(
        cycle=cycle,
        level="individual",
        owner=org["employee"],
        status="draft",
        title="As drafted",
        weight=D("40"),
    )


def row(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def test_goal_edit_without_version_is_refused(org, login, draft):
    """The owner's edit form posted without its version: 409, the draft untouched."""
    before, events = row(draft), AuditEvent.objects.count()
    response = login(org["employee"]).post(
        reverse("goals:goal-edit", args=[draft.pk]), {"title": "Overwritten", "weight": "40"}
    )
    assert response.status_code == 409
    assert CONFLICT in response.content.decode()
    assert 'value="Overwritten"' in response.content.decode()  # what was typed is kept
    assert row(draft) == before
    assert AuditEvent.objects.count() == events


def test_scale_edit_without_version_is_refused(hr_admin, login):
    """HR's scale form posted without its version: 409, the scale untouched."""
    scale = library.ensure_default_scale(actor=SYSTEM)
    data = {
        "name": "Renamed",
        "description": "",
        "levels-TOTAL_FORMS": "2",
        "levels-INITIAL_FORMS": "0",
        "levels-0-value": "1",
        "levels-0-label": "Low",
        "levels-1-value": "2",
        "levels-1-label": "High",
    }
    before = row(scale)
    response = login(hr_admin).post(reverse("goals:scale-edit", args=[scale.pk]), data)
    assert response.status_code == 409
    assert CONFLICT in response.content.decode()
    assert row(scale) == before
    assert scale.levels.count() == 5


def test_goal_service_refuses_a_missing_version(org, draft):
    before = row(draft)
    with pytest.raises(ConcurrentEditError):
        update_goal(
            actor=org["employee"].user,
            goal=draft,
            data={"title": "Overwritten", "weight": D("40")},
            expected_version=None,
        )
    assert row(draft) == before


def test_library_services_refuse_a_missing_version(hr_admin):
    """Scale, indicator and template edits with ``expected_version=None``: refused."""
    actor = hr_admin.user
    scale = library.ensure_default_scale(actor=SYSTEM)
    indicator = library.create_indicator(
        actor=actor,
        data={"name": "Revenue", "unit": "EUR", "scale": scale},
        thresholds=[Threshold(D("0"), 1), Threshold(D("100"), 5)],
    )
    template = library.create_template(
        actor=actor, data={"name": "T", "method": "mbo"}, sections=[SectionInput("goals", D("100"))]
    )
    before = [row(scale), row(indicator), row(template)]
    with pytest.raises(ConcurrentEditError):
        library.update_scale(
            actor=actor,
            scale_id=scale.pk,
            data={"name": "Renamed"},
            levels=[LevelInput(1, "Low"), LevelInput(5, "High")],
            expected_version=None,
        )
    with pytest.raises(ConcurrentEditError):
        library.update_indicator(
            actor=actor,
            indicator_id=indicator.pk,
            data={"name": "Renamed", "scale": scale},
            thresholds=[Threshold(D("0"), 1)],
            expected_version=None,
        )
    with pytest.raises(ConcurrentEditError):
        library.update_template(
            actor=actor,
            template_id=template.pk,
            data={"name": "Renamed", "method": "mbo"},
            sections=[SectionInput("goals", D("100"))],
            expected_version=None,
        )
    assert [row(scale), row(indicator), row(template)] == before


def test_cycle_plan_refuses_a_missing_token(hr_admin, cycle):
    """Once a plan exists, a save that does not say which plan it saw is refused (before:
    ``expected_token=None`` skipped the check and overwrote HR's choice)."""
    scale = library.ensure_default_scale(actor=SYSTEM)
    other = library.create_scale(
        actor=hr_admin.user,
        data={"name": "Three levels"},
        levels=[LevelInput(1, "Low"), LevelInput(2, "Mid"), LevelInput(3, "High")],
    )
    setup.set_cycle_plan(
        actor=hr_admin.user, cycle=cycle, rating_scale=scale, expected_token=setup.NO_PLAN_TOKEN
    )
    with pytest.raises(ConcurrentEditError):
        setup.set_cycle_plan(
            actor=hr_admin.user, cycle=cycle, rating_scale=other, expected_token=None
        )
    assert CyclePlan.objects.get(cycle=cycle).rating_scale == scale
