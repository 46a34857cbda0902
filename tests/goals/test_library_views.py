"""The planning library pages: HR only, forms that keep input and say what is wrong."""

import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.models import Indicator, IndicatorKind, RatingScale, Template
from goals.rules import Threshold
from goals.services import library
from goals.services.library import ItemInput, LevelInput, SectionInput
from perfcycle.models import AuditEvent
from perfcycle.workflow import SYSTEM

pytestmark = pytest.mark.django_db

RULE = [Threshold(D("0"), 2), Threshold(D("80"), 3), Threshold(D("100"), 4), Threshold(D("120"), 5)]


def make_indicator(actor, name, *, kind=IndicatorKind.QUANTITATIVE):
    return library.create_indicator(
        actor=actor,
        data={
            "name": name,
            "kind": kind,
            "unit": "%",
            "scale": library.ensure_default_scale(actor=SYSTEM),
        },
        thresholds=RULE,
    )


@pytest.fixture
def setup(hr_admin):
    """A scale, two indicators and a mixed template using both."""
    scale = library.ensure_default_scale(actor=SYSTEM)
    revenue = make_indicator(hr_admin.user, "Revenue growth")
    teamwork = make_indicator(hr_admin.user, "Teamwork", kind=IndicatorKind.BEHAVIOURAL)
    template = library.create_template(
        actor=hr_admin.user,
        data={"name": "Sales mixed", "method": "mixed"},
        sections=[
            SectionInput("goals", D("60")),
            SectionInput("indicators", D("25"), (ItemInput(revenue, D("100")),)),
            SectionInput("competencies", D("15"), (ItemInput(teamwork, D("100")),)),
        ],
    )
    return {"scale": scale, "indicator": revenue, "teamwork": teamwork, "template": template}


def urls(setup):
    return {
        "library": reverse("goals:library"),
        "scale-list": reverse("goals:scale-list"),
        "scale-create": reverse("goals:scale-create"),
        "scale-detail": reverse("goals:scale-detail", args=[setup["scale"].pk]),
        "scale-edit": reverse("goals:scale-edit", args=[setup["scale"].pk]),
        "indicator-list": reverse("goals:indicator-list"),
        "indicator-create": reverse("goals:indicator-create"),
        "indicator-detail": reverse("goals:indicator-detail", args=[setup["indicator"].pk]),
        "indicator-edit": reverse("goals:indicator-edit", args=[setup["indicator"].pk]),
        "template-list": reverse("goals:template-list"),
        "template-create": reverse("goals:template-create"),
        "template-detail": reverse("goals:template-detail", args=[setup["template"].pk]),
        "template-edit": reverse("goals:template-edit", args=[setup["template"].pk]),
    }


URL_NAMES = [
    "library",
    "scale-list",
    "scale-create",
    "scale-detail",
    "scale-edit",
    "indicator-list",
    "indicator-create",
    "indicator-detail",
    "indicator-edit",
    "template-list",
    "template-create",
    "template-detail",
    "template-edit",
]


def rows(prefix, items, *, initial=0):
    """POST data of a formset: its management form and one dict per row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(items)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(items):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def text(response):
    return response.content.decode()


def error_next_to(page, field_id):
    """The error rendered right after the input with this id."""
    match = re.search(rf'id="{field_id}-error">([^<]*)<', page)
    return match.group(1) if match else None


# --- Access ----------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", URL_NAMES)
def test_hr_opens_every_library_page(setup, hr_admin, login, url_name):
    """HR admins open each library page."""
    assert login(hr_admin).get(urls(setup)[url_name]).status_code == 200


@pytest.mark.parametrize("url_name", URL_NAMES)
@pytest.mark.parametrize("role", ["employee", "manager"])
def test_library_pages_are_not_found_for_others(setup, org, login, url_name, role):
    """Managers and employees get 404 on every library page, for GET and POST."""
    client = login(org[role])
    assert client.get(urls(setup)[url_name]).status_code == 404
    assert client.post(urls(setup)[url_name], {"name": "x"}).status_code == 404
    assert RatingScale.objects.count() == 1


# --- Library home ----------------------------------------------------------------------


def test_library_home_counts_each_kind(setup, hr_admin, login):
    """The index shows how many scales, indicators and templates exist, with links."""
    page = text(login(hr_admin).get(reverse("goals:library")))
    assert re.search(r'data-testid="scale-count">1<', page)
    assert re.search(r'data-testid="indicator-count">2<', page)
    assert re.search(r'data-testid="template-count">1<', page)
    assert "Default for new cycles: Standard 5-point scale" in page
    for name in ["goals:scale-list", "goals:indicator-list", "goals:template-list"]:
        assert reverse(name) in page


# --- Scales ----------------------------------------------------------------------------


def scale_post(levels, *, name="Four steps", initial=0, version=""):
    data = {"name": name, "description": "A short scale", "version": version}
    data.update(rows("levels", levels, initial=initial))
    return data


def test_hr_creates_a_scale_in_the_browser_form(hr_admin, login):
    """Levels typed in the rows make the scale; blank rows are ignored."""
    levels = [
        {"value": "1", "label": "Low", "descriptor": "Misses"},
        {"value": "2", "label": "Fair", "descriptor": ""},
        {"value": "3", "label": "Good", "descriptor": ""},
        {"value": "4", "label": "Great", "descriptor": "Beyond"},
        {"value": "", "label": "", "descriptor": ""},
    ]
    response = login(hr_admin).post(reverse("goals:scale-create"), scale_post(levels))
    scale = RatingScale.objects.get(name="Four steps")
    assert response.status_code == 302
    assert response.url == scale.get_absolute_url()
    assert scale.levels.count() == 4


def test_bad_scale_form_gives_400_with_errors_next_to_the_rows_and_keeps_input(hr_admin, login):
    """Duplicate values and a missing label are shown on their rows; nothing is saved."""
    levels = [
        {"value": "1", "label": "Low", "descriptor": "Typed text stays"},
        {"value": "1", "label": "Again", "descriptor": ""},
        {"value": "3", "label": "", "descriptor": ""},
    ]
    response = login(hr_admin).post(reverse("goals:scale-create"), scale_post(levels))
    page = text(response)
    assert response.status_code == 400
    assert error_next_to(page, "id_levels-2-label") == "This field is required."
    assert error_next_to(page, "id_levels-1-value") == "Value 1 is already used by another level."
    assert "Typed text stays" in page
    assert 'value="Four steps"' in page
    assert 'data-testid="form-errors"' in page
    assert not RatingScale.objects.exists()


def test_duplicate_level_value_is_shown_on_its_row(hr_admin, login):
    """A value used twice is flagged on the second row."""
    levels = [{"value": "2", "label": "A"}, {"value": "2", "label": "B"}]
    page = text(login(hr_admin).post(reverse("goals:scale-create"), scale_post(levels)))
    assert error_next_to(page, "id_levels-1-value") == "Value 2 is already used by another level."


def test_a_single_level_is_refused_at_the_top_of_the_levels(hr_admin, login):
    """Fewer than two levels: the message sits with the level table and in the summary."""
    response = login(hr_admin).post(
        reverse("goals:scale-create"), scale_post([{"value": "1", "label": "Only"}])
    )
    assert response.status_code == 400
    assert text(response).count("A rating scale needs at least 2 levels.") == 2


def test_removing_a_used_level_in_the_form_is_refused(setup, hr_admin, login):
    """Ticking “Remove” on a level an indicator's rule uses gives a clear 400."""
    scale = setup["scale"]
    levels = [
        {"value": str(lv.value), "label": lv.label, "descriptor": lv.descriptor}
        for lv in scale.levels.all()
    ]
    levels[4]["DELETE"] = "on"
    response = login(hr_admin).post(
        reverse("goals:scale-edit", args=[scale.pk]),
        scale_post(levels, name=scale.name, initial=5, version=str(scale.version)),
    )
    assert response.status_code == 400
    assert "Level 5 (Outstanding) cannot be removed" in text(response)
    assert scale.levels.count() == 5


def test_hr_edits_level_labels_of_a_scale_in_use(setup, hr_admin, login):
    """Relabelling a level in use is saved and audited."""
    scale = setup["scale"]
    levels = [{"value": str(lv.value), "label": lv.label} for lv in scale.levels.all()]
    levels[0]["label"] = "Poor"
    response = login(hr_admin).post(
        reverse("goals:scale-edit", args=[scale.pk]),
        scale_post(levels, name=scale.name, initial=5, version=str(scale.version)),
    )
    assert response.status_code == 302
    assert scale.levels.get(value=1).label == "Poor"
    assert AuditEvent.objects.filter(verb="scale.updated", object_id=str(scale.pk)).exists()


def test_stale_scale_form_shows_the_concurrent_edit(setup, hr_admin, login):
    """Saving a form loaded before someone else's save is refused with a message."""
    scale = setup["scale"]
    levels = [{"value": str(lv.value), "label": lv.label} for lv in scale.levels.all()]
    response = login(hr_admin).post(
        reverse("goals:scale-edit", args=[scale.pk]),
        scale_post(levels, name="Renamed", initial=5, version=str(scale.version - 1 or 99)),
    )
    assert response.status_code == 409
    assert "Someone else changed this rating scale while you were editing" in text(response)
    scale.refresh_from_db()
    assert scale.name == "Standard 5-point scale"


def test_scale_detail_lists_levels_and_the_indicators_using_it(setup, hr_admin, login):
    """The scale page shows each level's descriptor and the rules that depend on it."""
    page = text(login(hr_admin).get(setup["scale"].get_absolute_url()))
    assert "Exceeds expectations" in page
    assert "Revenue growth" in page and "Teamwork" in page


# --- Indicators ------------------------------------------------------------------------


def indicator_post(scale, thresholds, *, name="On-time delivery", kind="quantitative", **extra):
    data = {
        "name": name,
        "definition": "Share of orders delivered by the promised date.",
        "kind": kind,
        "unit": "%",
        "direction": "higher",
        "scale": str(scale.pk),
        "is_active": "on",
        "version": "",
        **extra,
    }
    data.update(
        rows(
            "thresholds",
            [{"min_achievement": start, "level_value": level} for start, level in thresholds],
        )
    )
    return data


def test_hr_creates_an_indicator_with_its_rule(hr_admin, login):
    """The form's thresholds become the indicator's scoring rule."""
    scale = library.ensure_default_scale(actor=SYSTEM)
    data = indicator_post(scale, [("0", "1"), ("60", "2"), ("90", "3"), ("100", "4"), ("", "")])
    response = login(hr_admin).post(reverse("goals:indicator-create"), data)
    indicator = Indicator.objects.get(name="On-time delivery")
    assert response.status_code == 302
    assert response.url == indicator.get_absolute_url()
    assert [t.level_value for t in indicator.thresholds.all()] == [1, 2, 3, 4]


def test_indicator_form_shows_the_preview_of_the_rule(hr_admin, login):
    """The new-indicator form starts with a sample rule and its server-rendered preview."""
    library.ensure_default_scale(actor=SYSTEM)
    page = text(login(hr_admin).get(reverse("goals:indicator-create")))
    preview = page[page.index("data-threshold-preview") :]
    cells = re.findall(r"<td data-preview-label>([^<]*)</td>", preview)
    # 50, 80, 95, 100, 110, 130 % under 0→2, 80→3, 100→4, 120→5
    assert cells == [
        "Needs improvement",
        "Meets expectations",
        "Meets expectations",
        "Exceeds expectations",
        "Exceeds expectations",
        "Outstanding",
    ]
    assert "js/threshold_preview.js" in page


def test_bad_rule_gives_400_with_the_message_at_the_rule_and_keeps_input(hr_admin, login):
    """A rule not starting at 0 % is refused next to the thresholds; typed values stay."""
    scale = library.ensure_default_scale(actor=SYSTEM)
    data = indicator_post(scale, [("10", "2"), ("95", "4")])
    response = login(hr_admin).post(reverse("goals:indicator-create"), data)
    page = text(response)
    assert response.status_code == 400
    rule_errors = page[page.index('data-testid="thresholds-errors"') :]
    assert "The first threshold must start at 0 %" in rule_errors[:400]
    assert 'name="thresholds-1-min_achievement" value="95"' in page
    assert not Indicator.objects.exists()


def test_level_missing_from_scale_is_refused(hr_admin, login):
    """A threshold naming a level the scale lacks is refused on the rule."""
    scale = library.ensure_default_scale(actor=SYSTEM)
    data = indicator_post(scale, [("0", "2"), ("100", "8")])
    response = login(hr_admin).post(reverse("goals:indicator-create"), data)
    assert response.status_code == 400
    assert "Level 8 is not a level of the chosen rating scale." in text(response)


def test_negative_threshold_is_refused_on_its_row(hr_admin, login):
    """A negative start is flagged on the cell itself."""
    scale = library.ensure_default_scale(actor=SYSTEM)
    data = indicator_post(scale, [("0", "2"), ("-5", "3")])
    page = text(login(hr_admin).post(reverse("goals:indicator-create"), data))
    assert "greater than or equal to 0" in error_next_to(page, "id_thresholds-1-min_achievement")


def test_duplicate_indicator_name_is_shown_next_to_the_name(setup, hr_admin, login):
    """A name already in the library is refused on the name field, with the row errors."""
    data = indicator_post(setup["scale"], [("0", "2"), ("-1", "3")], name="Revenue growth")
    response = login(hr_admin).post(reverse("goals:indicator-create"), data)
    page = text(response)
    assert response.status_code == 400
    name_error = page[page.index('id="error_1_id_name"') :][:200]
    assert "Another indicator is already called “Revenue growth”." in name_error
    assert error_next_to(page, "id_thresholds-1-min_achievement")


def test_editing_keeps_its_own_name(setup, hr_admin, login):
    """Saving an indicator under its current name is not a clash."""
    indicator = setup["indicator"]
    data = indicator_post(
        setup["scale"], [("0", "2")], name=indicator.name, version=str(indicator.version)
    )
    response = login(hr_admin).post(reverse("goals:indicator-edit", args=[indicator.pk]), data)
    assert response.status_code == 302


def test_hr_edits_an_indicator(setup, hr_admin, login):
    """Editing changes the fields and the rule, then shows the indicator."""
    indicator = setup["indicator"]
    data = indicator_post(
        setup["scale"],
        [("0", "1"), ("100", "3")],
        name="Revenue growth",
        version=str(indicator.version),
    )
    data["thresholds-INITIAL_FORMS"] = "2"
    response = login(hr_admin).post(reverse("goals:indicator-edit", args=[indicator.pk]), data)
    assert response.status_code == 302
    assert [t.level_value for t in indicator.thresholds.all()] == [1, 3]


def test_stale_indicator_form_shows_the_concurrent_edit(setup, hr_admin, login):
    """A version older than the saved one gives a 400 with the reason."""
    indicator = setup["indicator"]
    data = indicator_post(setup["scale"], [("0", "2")], name="Revenue growth", version="99")
    response = login(hr_admin).post(reverse("goals:indicator-edit", args=[indicator.pk]), data)
    assert response.status_code == 409
    assert "Someone else changed this indicator" in text(response)


def test_indicator_detail_shows_rule_preview_and_where_it_is_used(setup, hr_admin, login):
    """The detail page previews the rule and lists templates with the effective weight."""
    page = text(login(hr_admin).get(setup["indicator"].get_absolute_url()))
    assert "data-threshold-preview" in page
    usage = page[page.index('data-testid="usage-table"') :]
    assert "Sales mixed" in usage
    assert "25&nbsp;%" in usage  # 100 % of a 25 % section


def test_indicator_list_filters_by_kind_and_search_with_a_count(setup, hr_admin, login):
    """Kind and text filters narrow the list; the count says how many match."""
    client = login(hr_admin)
    page = text(client.get(reverse("goals:indicator-list"), {"kind": "behavioural"}))
    assert "Teamwork" in page and "Revenue growth" not in page
    assert 'data-testid="indicator-count">(1)' in page
    page = text(client.get(reverse("goals:indicator-list"), {"q": "revenue"}))
    assert "Revenue growth" in page and "Teamwork" not in page
    page = text(client.get(reverse("goals:indicator-list"), {"q": "nothing like it"}))
    assert "No indicator matches that filter." in page


def test_indicator_list_query_count_does_not_grow_with_rows(hr_admin, login):
    """Listing 30 indicators costs the same queries as listing 3."""
    client = login(hr_admin)

    def count_for(total):
        for n in range(Indicator.objects.count(), total):
            make_indicator(hr_admin.user, f"Indicator {n:03d}")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("goals:indicator-list")).status_code == 200
        return len(ctx.captured_queries)

    assert count_for(3) == count_for(30)


# --- Templates -------------------------------------------------------------------------


def template_post(setup, *, goals="60", indicators="25", competencies="15", comp_items=None):
    data = {
        "name": "Engineering mixed",
        "method": "mixed",
        "description": "Goals first, then KPIs and competencies.",
        "department": "",
        "job_title": "Engineer",
        "is_active": "on",
        "version": "",
        "sections-goals": goals,
        "sections-indicators": indicators,
        "sections-competencies": competencies,
        "sections-peer": "",
    }
    data.update(rows("indicators", [{"indicator": str(setup["indicator"].pk), "weight": "100"}]))
    comp_items = comp_items or [{"indicator": str(setup["teamwork"].pk), "weight": "100"}]
    data.update(rows("competencies", comp_items))
    return data


def test_hr_creates_a_template_in_the_browser_form(setup, hr_admin, login):
    """Weights per section and items per section make the template."""
    response = login(hr_admin).post(reverse("goals:template-create"), template_post(setup))
    template = Template.objects.get(name="Engineering mixed")
    assert response.status_code == 302
    assert response.url == template.get_absolute_url()
    assert list(template.sections.values_list("kind", "weight")) == [
        ("goals", D("60")),
        ("indicators", D("25")),
        ("competencies", D("15")),
    ]


def test_section_weights_off_give_400_saying_by_how_much(setup, hr_admin, login):
    """Sections totalling 90 % are refused at the sections table; typed values stay."""
    response = login(hr_admin).post(
        reverse("goals:template-create"), template_post(setup, goals="50")
    )
    page = text(response)
    assert response.status_code == 400
    section_errors = page[page.index('data-testid="sections-errors"') :][:300]
    assert "Section weights total 90 % — 10 % missing" in section_errors
    assert 'name="sections-goals" value="50"' in page
    assert not Template.objects.filter(name="Engineering mixed").exists()


def test_competency_items_off_give_400_at_that_section(setup, hr_admin, login):
    """Competency items totalling 105 % are refused with the message at that table."""
    other = make_indicator(hr_admin.user, "Ownership", kind=IndicatorKind.BEHAVIOURAL)
    comp_items = [
        {"indicator": str(setup["teamwork"].pk), "weight": "60"},
        {"indicator": str(other.pk), "weight": "45"},
    ]
    response = login(hr_admin).post(
        reverse("goals:template-create"), template_post(setup, comp_items=comp_items)
    )
    page = text(response)
    assert response.status_code == 400
    item_errors = page[page.index('data-testid="competencies-errors"') :][:300]
    assert "Competencies items total 105 % — 5 % over" in item_errors


def test_kpi_cannot_be_chosen_as_a_competency(setup, hr_admin, login):
    """Only behavioural indicators are offered (and accepted) in the Competencies table."""
    comp_items = [{"indicator": str(setup["indicator"].pk), "weight": "100"}]
    response = login(hr_admin).post(
        reverse("goals:template-create"), template_post(setup, comp_items=comp_items)
    )
    assert response.status_code == 400
    assert "Select a valid choice" in error_next_to(text(response), "id_competencies-0-indicator")


def test_items_without_a_section_weight_are_refused(setup, hr_admin, login):
    """Competency items with no section weight ask for a weight or their removal."""
    response = login(hr_admin).post(
        reverse("goals:template-create"), template_post(setup, goals="75", competencies="")
    )
    assert response.status_code == 400
    assert "which has no weight" in text(response)


def test_hr_edits_a_template(setup, hr_admin, login):
    """Editing reweights the sections and is audited."""
    template = setup["template"]
    data = template_post(setup, goals="50", indicators="30", competencies="20")
    data.update({"name": "Sales mixed", "version": str(template.version)})
    data["indicators-INITIAL_FORMS"] = data["competencies-INITIAL_FORMS"] = "1"
    response = login(hr_admin).post(reverse("goals:template-edit", args=[template.pk]), data)
    assert response.status_code == 302
    assert template.sections.get(kind="goals").weight == D("50")
    assert AuditEvent.objects.filter(verb="template.updated").exists()


def test_stale_template_form_shows_the_concurrent_edit(setup, hr_admin, login):
    """A stale version is refused with a message at the top."""
    template = setup["template"]
    data = template_post(setup)
    data.update({"name": "Sales mixed", "version": "99"})
    response = login(hr_admin).post(reverse("goals:template-edit", args=[template.pk]), data)
    assert response.status_code == 409
    assert "Someone else changed this template" in text(response)


def test_template_detail_shows_composition_items_and_effective_weights(setup, hr_admin, login):
    """Goals 60 %, Indicators 25 %, Competencies 15 %, each item's share of the final score."""
    page = text(login(hr_admin).get(setup["template"].get_absolute_url()))
    composition = page[page.index('data-testid="composition-table"') :]
    assert "Individual goals" in composition and "60&nbsp;%" in composition
    competencies = page[page.index('data-testid="items-competencies"') :]
    assert "Teamwork" in competencies and "15&nbsp;%" in competencies


def test_template_list_query_count_does_not_grow_with_rows(setup, hr_admin, login):
    """Listing 30 templates costs the same queries as listing 3."""
    client = login(hr_admin)
    revenue, teamwork = setup["indicator"], setup["teamwork"]

    def count_for(total):
        for n in range(Template.objects.count(), total):
            library.create_template(
                actor=hr_admin.user,
                data={"name": f"Template {n:03d}", "method": "mixed"},
                sections=[
                    SectionInput("goals", D("50")),
                    SectionInput("indicators", D("30"), (ItemInput(revenue, D("100")),)),
                    SectionInput("competencies", D("20"), (ItemInput(teamwork, D("100")),)),
                ],
            )
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("goals:template-list")).status_code == 200
        return len(ctx.captured_queries)

    assert count_for(3) == count_for(30)


def test_scale_list_shows_the_default_first(setup, hr_admin, login):
    """Scales are listed with their level range; the default is marked."""
    library.create_scale(
        actor=hr_admin.user,
        data={"name": "A three-step scale"},
        levels=[LevelInput(1, "Low"), LevelInput(2, "Mid"), LevelInput(3, "High")],
    )
    page = text(login(hr_admin).get(reverse("goals:scale-list")))
    assert page.index("Standard 5-point scale") < page.index("A three-step scale")
    assert "1–5" in page and "1–3" in page


def test_removing_an_item_in_the_template_form_takes_it_out(setup, hr_admin, login):
    """Ticking Remove on an item deletes it; the other items stay."""
    template = setup["template"]
    ownership = make_indicator(hr_admin.user, "Ownership", kind=IndicatorKind.BEHAVIOURAL)
    comp_items = [
        {"indicator": str(setup["teamwork"].pk), "weight": "100", "DELETE": "on"},
        {"indicator": str(ownership.pk), "weight": "100"},
    ]
    data = template_post(setup, comp_items=comp_items)
    data.update({"name": "Sales mixed", "version": str(template.version)})
    data["indicators-INITIAL_FORMS"] = data["competencies-INITIAL_FORMS"] = "1"
    response = login(hr_admin).post(reverse("goals:template-edit", args=[template.pk]), data)
    assert response.status_code == 302
    items = template.sections.get(kind="competencies").items.all()
    assert [item.indicator.name for item in items] == ["Ownership"]


def test_removing_an_unused_level_in_the_form_deletes_it(hr_admin, login):
    """A level no rule uses goes when HR ticks Remove."""
    scale = library.create_scale(
        actor=hr_admin.user,
        data={"name": "Three"},
        levels=[LevelInput(1, "Low"), LevelInput(2, "Mid"), LevelInput(3, "High")],
    )
    levels = [{"value": str(lv.value), "label": lv.label} for lv in scale.levels.all()]
    levels[1]["DELETE"] = "on"
    response = login(hr_admin).post(
        reverse("goals:scale-edit", args=[scale.pk]),
        scale_post(levels, name="Three", initial=3, version=str(scale.version)),
    )
    assert response.status_code == 302
    assert list(scale.levels.values_list("value", flat=True)) == [1, 3]


def test_indicator_form_without_any_scale_says_to_create_one(hr_admin, login):
    """With no rating scale in the library, the indicator form points to creating one."""
    page = text(login(hr_admin).get(reverse("goals:indicator-create")))
    assert 'data-testid="no-scale"' in page
    assert reverse("goals:scale-create") in page


def test_competency_choices_offer_only_behavioural_indicators(setup, hr_admin, login):
    """On edit, the Competencies rows offer behavioural indicators, never the KPIs used above."""
    page = text(login(hr_admin).get(reverse("goals:template-edit", args=[setup["template"].pk])))
    select = page[page.index('name="competencies-0-indicator"') :]
    select = select[: select.index("</select>")]
    assert "Teamwork" in select
    assert "Revenue growth" not in select
