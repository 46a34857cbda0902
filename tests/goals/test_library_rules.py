"""Pure rule checks of the planning library (goals/library_rules.py): no database, no
Django models; plain objects stand in for indicators."""

import subprocess
import sys
from decimal import Decimal as D
from types import SimpleNamespace

from goals.library_rules import (
    ItemInput,
    LevelInput,
    SectionInput,
    gap_message,
    level_problems,
    template_problems,
)

LABELS = {
    "goals": "Individual goals",
    "indicators": "Indicators (KPIs)",
    "competencies": "Competencies",
    "peer": "Peer (360°) input",
}


class Named(SimpleNamespace):
    def __str__(self):
        return self.name


def kpi(pk, name="Revenue", kind="quantitative"):
    return Named(pk=pk, kind=kind, name=name)


def problems(*sections):
    return template_problems(list(sections), section_labels=LABELS)


def test_a_scale_needs_two_labelled_levels_with_distinct_values_from_one():
    """Each problem says which row and field it is about."""
    assert level_problems([LevelInput(1, "Low"), LevelInput(2, "High")]) == []
    found = level_problems([LevelInput(0, "Zero"), LevelInput(2, ""), LevelInput(2, "Two")])
    assert [(p.row, p.field) for p in found] == [(0, "value"), (1, "label"), (2, "value")]
    assert [p.message for p in level_problems([LevelInput(1, "Only")])] == [
        "A rating scale needs at least 2 levels."
    ]


def test_section_weights_must_total_one_hundred():
    """60 + 30: 10 % missing, at the sections."""
    found = problems(SectionInput("goals", D("60")), SectionInput("peer", D("30")))
    assert found == {"sections": ["Section weights total 90 % — 10 % missing"]}
    assert problems(SectionInput("goals", D("70")), SectionInput("peer", D("30"))) == {}


def test_an_itemised_section_needs_items_totalling_one_hundred_without_repeats():
    """Indicators 50 + 40 and one listed twice: both said at the section."""
    revenue = kpi(1)
    found = problems(
        SectionInput(
            "indicators",
            D("100"),
            (ItemInput(revenue, D("50")), ItemInput(revenue, D("40"))),
        )
    )
    assert found == {
        "indicators": [
            "Indicators (KPIs) items total 90 % — 10 % missing",
            "“Revenue” is listed twice in the Indicators (KPIs) section.",
        ]
    }
    assert problems(SectionInput("indicators", D("100"))) == {
        "indicators": ["The Indicators (KPIs) section needs at least one indicator."]
    }


def test_competencies_take_only_behavioural_indicators_and_goals_take_no_items():
    """A quantitative KPI under competencies, an item under goals: refused by section."""
    found = problems(
        SectionInput("competencies", D("50"), (ItemInput(kpi(1), D("100")),)),
        SectionInput("goals", D("50"), (ItemInput(kpi(2, "Care", "behavioural"), D("100")),)),
    )
    assert "not a behavioural indicator" in found["competencies"][0]
    assert "takes no items" in found["goals"][0]
    fine = SectionInput("competencies", D("100"), (ItemInput(kpi(3, "Care", "behavioural"), 100),))
    assert problems(fine) == {}


def test_unknown_or_repeated_sections_are_refused_first():
    """An unknown kind or a kind twice: only those problems, before any weight check."""
    assert problems() == {"sections": ["Give at least one section a weight."]}
    assert problems(SectionInput("bonus", D("100"))) == {
        "sections": ["“bonus” is not a kind of section."]
    }
    assert problems(SectionInput("goals", D("50")), SectionInput("goals", D("50"))) == {
        "sections": ["The Individual goals section appears more than once."]
    }


def test_gap_message_says_missing_or_over():
    assert gap_message("Items", [D("60"), D("50")]) == "Items total 110 % — 10 % over"
    assert gap_message("Items", [D("100")]) is None


def test_the_pure_modules_load_no_models_and_no_orm():
    """goals.rules, goals.library_rules, implementation.trajectory and perfcycle.charts
    import without django.db or any models module (in a fresh interpreter)."""
    code = (
        "import sys, goals.rules, goals.library_rules, implementation.trajectory, "
        "perfcycle.charts; "
        "print(sorted(n for n in sys.modules if n.startswith('django.db') "
        "or n.endswith('.models')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
