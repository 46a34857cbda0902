"""Fixtures shared by the planning tests."""

import pytest

from goals.models import RatingLevel, RatingScale, Template


@pytest.fixture
def scale(db):
    scale = RatingScale.objects.create(name="Five levels", is_default=True)
    for value in range(1, 6):
        RatingLevel.objects.create(scale=scale, value=value, label=f"Level {value}")
    return scale


@pytest.fixture
def templates(db):
    return {
        name: Template.objects.create(name=name, method=Template.Method.MIXED)
        for name in ["Default", "Engineers", "Eng leads", "Leads", "Personal", "Old"]
    }
