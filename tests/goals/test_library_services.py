"""The planning library's writes: rating scales, indicators and templates."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from goals.models import (
    Indicator,
    IndicatorKind,
    RatingScale,
    ScoringThreshold,
    SectionKind,
    Template,
    TemplateItem,
)
from goals.rules import Threshold
from goals.services import library
from goals.services.library import ItemInput, LevelInput, SectionInput
from perfcycle.models import AuditEvent
from perfcycle.services import ConcurrentEditError
from perfcycle.workflow import SYSTEM

pytestmark = pytest.mark.django_db

THREE_LEVELS = [LevelInput(1, "Low", "Falls short."), LevelInput(2, "Mid"), LevelInput(3, "High")]
RULE = [Threshold(D("0"), 2), Threshold(D("80"), 3), Threshold(D("100"), 4), Threshold(D("120"), 5)]


def messages_of(excinfo, key):
    return excinfo.value.message_dict[key]


def new_indicator(actor, name="Revenue", *, kind=IndicatorKind.QUANTITATIVE, scale=None, rule=RULE):
    scale = scale or library.ensure_default_scale(actor=SYSTEM)
    return library.create_indicator(
        actor=actor,
        data={"name": name, "kind": kind, "unit": "EUR", "direction": "higher", "scale": scale},
        thresholds=rule,
    )


def mixed_sections(indicators, competencies, *, goals=D("50")):
    """Goals 50 %, Indicators 30 %, Competencies 20 % with the items split evenly."""

    def items(indicator_list):
        share = D("100") / len(indicator_list)
        return tuple(ItemInput(i, share) for i in indicator_list)

    return [
        SectionInput("goals", goals),
        SectionInput("indicators", D("30"), items(indicators)),
        SectionInput("competencies", D("20"), items(competencies)),
    ]


# --- Rating scales ---------------------------------------------------------------------


def test_hr_creates_a_scale_with_its_levels_and_it_is_audited(hr_admin):
    """A new scale stores its levels in order and the audit event lists them."""
    scale = library.create_scale(
        actor=hr_admin.user,
        data={"name": "Three steps", "description": "Short"},
        levels=list(reversed(THREE_LEVELS)),
    )
    assert [(lv.value, lv.label) for lv in scale.levels.all()] == [
        (1, "Low"),
        (2, "Mid"),
        (3, "High"),
    ]
    event = AuditEvent.objects.get(verb="scale.created")
    assert event.actor == hr_admin.user
    assert event.object_id == str(scale.pk)
    assert event.after["levels"][0] == [1, "Low", "Falls short."]


def test_a_scale_may_have_any_number_of_levels(hr_admin):
    """Seven levels are as fine as two."""
    levels = [LevelInput(v, f"Level {v}") for v in range(1, 8)]
    scale = library.create_scale(actor=hr_admin.user, data={"name": "Seven"}, levels=levels)
    assert scale.levels.count() == 7


def test_a_scale_needs_at_least_two_levels(hr_admin):
    """One level is not a scale; nothing is saved."""
    with pytest.raises(ValidationError) as excinfo:
        library.create_scale(
            actor=hr_admin.user, data={"name": "One"}, levels=[LevelInput(1, "Only")]
        )
    assert messages_of(excinfo, "levels") == ["A rating scale needs at least 2 levels."]
    assert not RatingScale.objects.exists()


def test_level_values_must_be_unique(hr_admin):
    """Two levels with the same value are refused."""
    with pytest.raises(ValidationError) as excinfo:
        library.create_scale(
            actor=hr_admin.user,
            data={"name": "Dupes"},
            levels=[LevelInput(1, "A"), LevelInput(1, "B")],
        )
    assert messages_of(excinfo, "levels") == ["Value 1 is already used by another level."]


def test_level_values_must_be_positive(hr_admin):
    """Level values start at 1."""
    with pytest.raises(ValidationError) as excinfo:
        library.create_scale(
            actor=hr_admin.user,
            data={"name": "Zero"},
            levels=[LevelInput(0, "Zero"), LevelInput(1, "One")],
        )
    assert messages_of(excinfo, "levels") == ["Values must be whole numbers from 1 up."]


def test_level_labels_must_not_be_empty(hr_admin):
    """Every level has a label."""
    with pytest.raises(ValidationError) as excinfo:
        library.create_scale(
            actor=hr_admin.user,
            data={"name": "Blank"},
            levels=[LevelInput(1, "  "), LevelInput(2, "Two")],
        )
    assert messages_of(excinfo, "levels") == ["Every level needs a label."]


def test_scale_names_are_unique(hr_admin):
    """A second scale with the same name is refused on the name."""
    library.create_scale(actor=hr_admin.user, data={"name": "Same"}, levels=THREE_LEVELS)
    with pytest.raises(ValidationError) as excinfo:
        library.create_scale(actor=hr_admin.user, data={"name": "Same"}, levels=THREE_LEVELS)
    assert messages_of(excinfo, "name") == ["Another rating scale is already called “Same”."]


def test_non_hr_cannot_create_a_scale(manager):
    """Only HR admins edit the library."""
    with pytest.raises(PermissionDenied):
        library.create_scale(actor=manager.user, data={"name": "Mine"}, levels=THREE_LEVELS)
    assert not RatingScale.objects.exists()


def test_ensure_default_scale_creates_the_standard_scale_once(db):
    """The standard 5-point scale is created once, as the default, with descriptors."""
    first = library.ensure_default_scale(actor=SYSTEM)
    second = library.ensure_default_scale(actor=SYSTEM)
    assert first.pk == second.pk
    assert RatingScale.objects.count() == 1
    assert first.is_default
    assert [(lv.value, lv.label) for lv in first.levels.all()] == [
        (1, "Unsatisfactory"),
        (2, "Needs improvement"),
        (3, "Meets expectations"),
        (4, "Exceeds expectations"),
        (5, "Outstanding"),
    ]
    assert all(len(lv.descriptor) > 40 for lv in first.levels.all())
    assert AuditEvent.objects.filter(verb="scale.created").count() == 1


def test_ensure_default_scale_leaves_an_existing_default_alone(hr_admin):
    """If HR already chose a default, the standard scale is added without taking it."""
    mine = library.create_scale(
        actor=hr_admin.user, data={"name": "Ours", "is_default": True}, levels=THREE_LEVELS
    )
    standard = library.ensure_default_scale(actor=SYSTEM)
    mine.refresh_from_db()
    assert mine.is_default
    assert not standard.is_default


def test_ensure_default_scale_refuses_a_non_hr_actor(employee):
    """Called with an actor, that actor must be HR."""
    with pytest.raises(PermissionDenied):
        library.ensure_default_scale(actor=employee.user)


def test_making_a_scale_default_moves_the_flag_and_audits_both(hr_admin):
    """Only one scale is the default: the previous one steps down, with its own event."""
    standard = library.ensure_default_scale(actor=SYSTEM)
    other = library.create_scale(
        actor=hr_admin.user, data={"name": "New", "is_default": True}, levels=THREE_LEVELS
    )
    standard.refresh_from_db()
    assert other.is_default and not standard.is_default
    assert standard.version == 2
    event = AuditEvent.objects.get(verb="scale.updated", object_id=str(standard.pk))
    assert (event.before, event.after) == ({"is_default": True}, {"is_default": False})


def test_editing_labels_of_a_scale_in_use_is_allowed_and_audits_the_change(hr_admin):
    """Labels and descriptors change freely even when a rule uses the scale."""
    scale = library.ensure_default_scale(actor=SYSTEM)
    new_indicator(hr_admin.user)
    levels = [LevelInput(lv.value, lv.label, lv.descriptor) for lv in scale.levels.all()]
    levels[4] = LevelInput(5, "Exceptional", "Sets the standard.")
    library.update_scale(
        actor=hr_admin.user,
        scale_id=scale.pk,
        data={"name": scale.name, "description": scale.description, "is_default": True},
        levels=levels,
        expected_version=scale.version,
    )
    assert scale.levels.get(value=5).label == "Exceptional"
    event = AuditEvent.objects.get(verb="scale.updated")
    assert list(event.after) == ["levels"]
    assert event.before["levels"][4][1] == "Outstanding"
    assert event.after["levels"][4] == [5, "Exceptional", "Sets the standard."]


def test_removing_a_level_a_rule_uses_is_refused(hr_admin):
    """A level an indicator's thresholds use cannot be removed; the message names the rule."""
    scale = library.ensure_default_scale(actor=SYSTEM)
    new_indicator(hr_admin.user, "Revenue")
    levels = [LevelInput(lv.value, lv.label) for lv in scale.levels.all() if lv.value != 5]
    with pytest.raises(ValidationError) as excinfo:
        library.update_scale(
            actor=hr_admin.user,
            scale_id=scale.pk,
            data={"name": scale.name},
            levels=levels,
            expected_version=scale.version,
        )
    assert messages_of(excinfo, "levels") == [
        "Level 5 (Outstanding) cannot be removed: the scoring rule of “Revenue” uses it. "
        "Change those rules first."
    ]
    assert scale.levels.count() == 5


def test_removing_and_adding_unused_levels_is_allowed(hr_admin):
    """A level no rule uses may go; new levels may come."""
    scale = library.create_scale(actor=hr_admin.user, data={"name": "S"}, levels=THREE_LEVELS)
    library.update_scale(
        actor=hr_admin.user,
        scale_id=scale.pk,
        data={"name": "S"},
        levels=[LevelInput(1, "Low"), LevelInput(2, "Mid"), LevelInput(4, "Top")],
        expected_version=scale.version,
    )
    assert list(scale.levels.values_list("value", flat=True)) == [1, 2, 4]


def test_concurrent_scale_edit_is_detected(hr_admin):
    """Saving with a stale version is refused; the other person's change stays."""
    scale = library.create_scale(actor=hr_admin.user, data={"name": "S"}, levels=THREE_LEVELS)
    library.update_scale(
        actor=hr_admin.user,
        scale_id=scale.pk,
        data={"name": "S1"},
        levels=THREE_LEVELS,
        expected_version=1,
    )
    with pytest.raises(ConcurrentEditError):
        library.update_scale(
            actor=hr_admin.user,
            scale_id=scale.pk,
            data={"name": "S2"},
            levels=THREE_LEVELS,
            expected_version=1,
        )
    scale.refresh_from_db()
    assert (scale.name, scale.version) == ("S1", 2)


def test_non_hr_cannot_edit_a_scale(hr_admin, manager):
    """Editing is HR only too."""
    scale = library.ensure_default_scale(actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        library.update_scale(
            actor=manager.user,
            scale_id=scale.pk,
            data={"name": "Hijacked"},
            levels=THREE_LEVELS,
            expected_version=scale.version,
        )


# --- Indicators ------------------------------------------------------------------------


def test_hr_creates_an_indicator_with_its_rule_and_it_is_audited(hr_admin):
    """The indicator stores its thresholds in order; the event holds them."""
    indicator = new_indicator(hr_admin.user, rule=list(reversed(RULE)))
    assert [(t.min_achievement, t.level_value) for t in indicator.thresholds.all()] == [
        (D("0"), 2),
        (D("80"), 3),
        (D("100"), 4),
        (D("120"), 5),
    ]
    event = AuditEvent.objects.get(verb="indicator.created")
    assert event.after["thresholds"] == [["0.00", 2], ["80.00", 3], ["100.00", 4], ["120.00", 5]]
    assert event.after["scale"] == indicator.scale_id


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ([], "A scoring rule needs at least one threshold."),
        (
            [Threshold(D("10"), 2), Threshold(D("90"), 3)],
            "The first threshold must start at 0 % so every result gets a rating.",
        ),
        (
            [Threshold(D("0"), 2), Threshold(D("0"), 3)],
            "Two thresholds start at the same achievement %.",
        ),
        (
            [Threshold(D("0"), 2), Threshold(D("100"), 9)],
            "Level 9 is not a level of the chosen rating scale.",
        ),
        (
            [Threshold(D("0"), 4), Threshold(D("100"), 3)],
            "Rating levels must increase as achievement increases.",
        ),
        ([Threshold(D("-1"), 1), Threshold(D("0"), 2)], "-1 %: thresholds cannot be negative."),
    ],
)
def test_unsound_rules_are_refused_with_the_reason(hr_admin, rule, message):
    """Each problem of a scoring rule is reported on the rule; nothing is saved."""
    with pytest.raises(ValidationError) as excinfo:
        new_indicator(hr_admin.user, rule=rule)
    assert message in messages_of(excinfo, "thresholds")
    assert not Indicator.objects.exists()


def test_rule_levels_must_exist_on_the_chosen_scale(hr_admin):
    """Level 5 exists on the standard scale but not on a three-level one."""
    small = library.create_scale(actor=hr_admin.user, data={"name": "S"}, levels=THREE_LEVELS)
    with pytest.raises(ValidationError) as excinfo:
        new_indicator(hr_admin.user, scale=small)
    assert messages_of(excinfo, "thresholds") == [
        "Level 4 is not a level of the chosen rating scale.",
        "Level 5 is not a level of the chosen rating scale.",
    ]


def test_indicator_names_are_unique(hr_admin):
    """Two indicators cannot share a name."""
    new_indicator(hr_admin.user, "Revenue")
    with pytest.raises(ValidationError) as excinfo:
        new_indicator(hr_admin.user, "Revenue")
    assert messages_of(excinfo, "name") == ["Another indicator is already called “Revenue”."]


def test_non_hr_cannot_create_an_indicator(hr_admin, employee):
    """Employees do not edit the library."""
    with pytest.raises(PermissionDenied):
        new_indicator(employee.user)


def test_editing_an_indicator_replaces_the_rule_and_audits_only_changes(hr_admin):
    """Changing the unit and one threshold records just those."""
    indicator = new_indicator(hr_admin.user)
    rule = [Threshold(D("0"), 1), Threshold(D("80"), 3), Threshold(D("100"), 4)]
    library.update_indicator(
        actor=hr_admin.user,
        indicator_id=indicator.pk,
        data={"name": "Revenue", "unit": "kEUR", "direction": "higher", "scale": indicator.scale},
        thresholds=rule,
        expected_version=indicator.version,
    )
    indicator.refresh_from_db()
    assert indicator.unit == "kEUR"
    assert indicator.version == 2
    assert ScoringThreshold.objects.filter(indicator=indicator).count() == 3
    event = AuditEvent.objects.get(verb="indicator.updated")
    assert set(event.after) == {"unit", "thresholds"}
    assert event.before["unit"] == "EUR"


def test_concurrent_indicator_edit_is_detected(hr_admin):
    """A stale version is refused with ConcurrentEditError."""
    indicator = new_indicator(hr_admin.user)
    data = {"name": "Revenue", "scale": indicator.scale}
    library.update_indicator(
        actor=hr_admin.user,
        indicator_id=indicator.pk,
        data=data,
        thresholds=RULE,
        expected_version=1,
    )
    with pytest.raises(ConcurrentEditError):
        library.update_indicator(
            actor=hr_admin.user,
            indicator_id=indicator.pk,
            data=data,
            thresholds=RULE,
            expected_version=1,
        )


def test_a_competency_in_use_cannot_stop_being_behavioural(hr_admin):
    """Turning a competency used in a Competencies section into a KPI is refused."""
    kpi = new_indicator(hr_admin.user, "Revenue")
    teamwork = new_indicator(hr_admin.user, "Teamwork", kind=IndicatorKind.BEHAVIOURAL)
    library.create_template(
        actor=hr_admin.user,
        data={"name": "Mixed", "method": "mixed"},
        sections=mixed_sections([kpi], [teamwork]),
    )
    with pytest.raises(ValidationError) as excinfo:
        library.update_indicator(
            actor=hr_admin.user,
            indicator_id=teamwork.pk,
            data={"name": "Teamwork", "kind": "quantitative", "scale": teamwork.scale},
            thresholds=RULE,
            expected_version=teamwork.version,
        )
    assert "Competencies section takes only behavioural" in messages_of(excinfo, "kind")[0]


# --- Templates -------------------------------------------------------------------------


@pytest.fixture
def library_items(hr_admin):
    return {
        "revenue": new_indicator(hr_admin.user, "Revenue"),
        "nps": new_indicator(hr_admin.user, "NPS"),
        "teamwork": new_indicator(hr_admin.user, "Teamwork", kind=IndicatorKind.BEHAVIOURAL),
        "ownership": new_indicator(hr_admin.user, "Ownership", kind=IndicatorKind.BEHAVIOURAL),
    }


def test_hr_creates_a_template_with_sections_and_items_and_it_is_audited(hr_admin, library_items):
    """Sections are stored in their canonical order with their items; the event lists them."""
    lib = library_items
    sections = list(
        reversed(mixed_sections([lib["revenue"], lib["nps"]], [lib["teamwork"], lib["ownership"]]))
    )
    template = library.create_template(
        actor=hr_admin.user,
        data={"name": "Sales mixed", "method": "mixed", "job_title": "Account exec"},
        sections=sections,
    )
    stored = [(s.kind, s.weight, s.position) for s in template.sections.all()]
    assert stored == [
        ("goals", D("50"), 0),
        ("indicators", D("30"), 1),
        ("competencies", D("20"), 2),
    ]
    assert TemplateItem.objects.filter(section__template=template).count() == 4
    event = AuditEvent.objects.get(verb="template.created")
    assert event.after["sections"][1] == {
        "kind": "indicators",
        "weight": "30.00",
        "items": [[lib["revenue"].pk, "50.00"], [lib["nps"].pk, "50.00"]],
    }


def test_section_weights_must_total_100_and_the_gap_is_named(hr_admin, library_items):
    """90 % in total is refused, saying 10 % is missing; nothing is saved."""
    lib = library_items
    sections = mixed_sections([lib["revenue"]], [lib["teamwork"]], goals=D("40"))
    with pytest.raises(ValidationError) as excinfo:
        library.create_template(
            actor=hr_admin.user, data={"name": "T", "method": "mixed"}, sections=sections
        )
    assert messages_of(excinfo, "sections") == ["Section weights total 90 % — 10 % missing"]
    assert not Template.objects.exists()


def test_section_weights_over_100_say_by_how_much(hr_admin, library_items):
    """105 % in total is refused as 5 % over."""
    lib = library_items
    sections = mixed_sections([lib["revenue"]], [lib["teamwork"]], goals=D("55"))
    with pytest.raises(ValidationError) as excinfo:
        library.create_template(
            actor=hr_admin.user, data={"name": "T", "method": "mixed"}, sections=sections
        )
    assert messages_of(excinfo, "sections") == ["Section weights total 105 % — 5 % over"]


def test_item_weights_of_a_section_must_total_100(hr_admin, library_items):
    """Competency items totalling 105 % are refused on that section, 5 % over."""
    lib = library_items
    sections = [
        SectionInput("goals", D("70")),
        SectionInput(
            "competencies",
            D("30"),
            (ItemInput(lib["teamwork"], D("60")), ItemInput(lib["ownership"], D("45"))),
        ),
    ]
    with pytest.raises(ValidationError) as excinfo:
        library.create_template(
            actor=hr_admin.user, data={"name": "T", "method": "mixed"}, sections=sections
        )
    assert messages_of(excinfo, "competencies") == ["Competencies items total 105 % — 5 % over"]


def test_itemised_section_needs_items(hr_admin, library_items):
    """An Indicators section with a weight but no indicators is refused."""
    sections = [SectionInput("goals", D("70")), SectionInput("indicators", D("30"))]
    with pytest.raises(ValidationError) as excinfo:
        library.create_template(
            actor=hr_admin.user, data={"name": "T", "method": "kpi"}, sections=sections
        )
    assert messages_of(excinfo, "indicators") == [
        "The Indicators (KPIs) section needs at least one indicator."
    ]


@pytest.mark.parametrize("kind", ["goals", "peer"])
def test_goals_and_peer_sections_take_no_items(hr_admin, library_items, kind):
    """Goals and peer sections are weighted as a whole, never item by item."""
    sections = [
        SectionInput(kind, D("100"), (ItemInput(library_items["revenue"], D("100")),)),
    ]
    with pytest.raises(ValidationError) as excinfo:
        library.create_template(
            actor=hr_admin.user, data={"name": "T", "method": "mbo"}, sections=sections
        )
    assert "section takes no items" in messages_of(excinfo, kind)[0]


def test_an_indicator_appears_once_per_section(hr_admin, library_items):
    """The same indicator twice in a section is refused."""
    revenue = library_items["revenue"]
    sections = [
        SectionInput(
            "indicators", D("100"), (ItemInput(revenue, D("50")), ItemInput(revenue, D("50")))
        )
    ]
    with pytest.raises(ValidationError) as excinfo:
        library.create_template(
            actor=hr_admin.user, data={"name": "T", "method": "kpi"}, sections=sections
        )
    assert messages_of(excinfo, "indicators") == [
        "“Revenue” is listed twice in the Indicators (KPIs) section."
    ]


def test_competencies_take_only_behavioural_indicators(hr_admin, library_items):
    """A KPI in the Competencies section is refused, naming it."""
    sections = [
        SectionInput("competencies", D("100"), (ItemInput(library_items["revenue"], D("100")),))
    ]
    with pytest.raises(ValidationError) as excinfo:
        library.create_template(
            actor=hr_admin.user, data={"name": "T", "method": "competency"}, sections=sections
        )
    assert messages_of(excinfo, "competencies") == [
        "“Revenue” is not a behavioural indicator; the Competencies section takes only "
        "behavioural ones."
    ]


def test_a_section_kind_appears_once(hr_admin):
    """Two Goals sections are refused."""
    sections = [SectionInput("goals", D("50")), SectionInput("goals", D("50"))]
    with pytest.raises(ValidationError) as excinfo:
        library.create_template(
            actor=hr_admin.user, data={"name": "T", "method": "mbo"}, sections=sections
        )
    assert messages_of(excinfo, "sections") == [
        "The Individual goals section appears more than once."
    ]


def test_a_template_needs_a_section(hr_admin):
    """No sections at all is refused."""
    with pytest.raises(ValidationError) as excinfo:
        library.create_template(
            actor=hr_admin.user, data={"name": "T", "method": "mbo"}, sections=[]
        )
    assert messages_of(excinfo, "sections") == ["Give at least one section a weight."]


def test_non_hr_cannot_create_a_template(manager):
    """Managers do not edit the library."""
    with pytest.raises(PermissionDenied):
        library.create_template(
            actor=manager.user,
            data={"name": "T", "method": "mbo"},
            sections=[SectionInput("goals", D("100"))],
        )


def test_editing_a_template_keeps_rows_that_stay_and_audits_the_composition(
    hr_admin, library_items
):
    """Reweighting keeps the existing section and item rows; removed ones go."""
    lib = library_items
    template = library.create_template(
        actor=hr_admin.user,
        data={"name": "T", "method": "mixed"},
        sections=mixed_sections([lib["revenue"], lib["nps"]], [lib["teamwork"]]),
    )
    goals_section = template.sections.get(kind="goals")
    revenue_item = TemplateItem.objects.get(section__template=template, indicator=lib["revenue"])
    library.update_template(
        actor=hr_admin.user,
        template_id=template.pk,
        data={"name": "T", "method": "mixed"},
        sections=[
            SectionInput("goals", D("60")),
            SectionInput("indicators", D("40"), (ItemInput(lib["revenue"], D("100")),)),
        ],
        expected_version=template.version,
    )
    assert list(template.sections.values_list("kind", "weight")) == [
        ("goals", D("60")),
        ("indicators", D("40")),
    ]
    assert template.sections.get(kind="goals").pk == goals_section.pk
    revenue_item.refresh_from_db()
    assert revenue_item.weight == D("100")
    assert not TemplateItem.objects.filter(indicator=lib["nps"]).exists()
    event = AuditEvent.objects.get(verb="template.updated")
    assert list(event.after) == ["sections"]
    assert [s["kind"] for s in event.before["sections"]] == ["goals", "indicators", "competencies"]


def test_concurrent_template_edit_is_detected(hr_admin):
    """Two people editing the same template: the second save is refused."""
    template = library.create_template(
        actor=hr_admin.user,
        data={"name": "T", "method": "mbo"},
        sections=[SectionInput("goals", D("100"))],
    )
    kwargs = {
        "actor": hr_admin.user,
        "template_id": template.pk,
        "sections": [SectionInput("goals", D("100"))],
        "expected_version": 1,
    }
    library.update_template(data={"name": "First", "method": "mbo"}, **kwargs)
    with pytest.raises(ConcurrentEditError):
        library.update_template(data={"name": "Second", "method": "mbo"}, **kwargs)
    template.refresh_from_db()
    assert template.name == "First"


def test_template_method_must_be_known(hr_admin):
    """An unknown method is refused on the method field."""
    with pytest.raises(ValidationError) as excinfo:
        library.create_template(
            actor=hr_admin.user,
            data={"name": "T", "method": "astrology"},
            sections=[SectionInput(SectionKind.GOALS, D("100"))],
        )
    assert "method" in excinfo.value.message_dict


def test_gap_message_uses_plain_numbers():
    """Weights read 12.5 and 90, not 12.50 and 90.00."""
    assert (
        library.gap_message("Items", [D("12.50"), D("77.50")]) == "Items total 90 % — 10 % missing"
    )
    assert library.gap_message("Items", [D("50.00"), D("50")]) is None
