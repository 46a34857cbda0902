"""perfcycle/formatting.py: one locale-aware format for dates, ranges, numbers, percentages.
No database: these are pure functions of the active locale."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone, translation

from perfcycle.formatting import (
    format_date,
    format_date_range,
    format_datetime,
    format_number,
    format_percent,
)

D = dt.date


def test_a_date_reads_day_month_year():
    """A date shows as "1 Dec 2026" in en-GB, the one format of every page."""
    assert format_date(D(2026, 12, 1)) == "1 Dec 2026"
    assert format_date(D(2026, 12, 1), short=True) == "01/12/2026"
    assert format_date(None) == ""


def test_a_browser_asking_for_us_english_still_gets_the_one_format(settings):
    """The active language is en-GB even when a request asked for en-US (the cause of
    "Dec. 17, 2026"): LANGUAGES has one entry, so LocaleMiddleware cannot pick en-us."""
    assert [code for code, _name in settings.LANGUAGES] == ["en-gb"]
    with translation.override("en-gb"):
        assert format_date(D(2026, 12, 17)) == "17 Dec 2026"


def test_with_translations_off_dates_still_read_the_site_way():
    """A command run with translations deactivated does not fall back to "Dec. 17, 2026"."""
    with translation.override(None):
        assert format_date(D(2026, 12, 17)) == "17 Dec 2026"
        assert format_number(12345) == "12,345"


def test_an_aware_datetime_is_shown_in_the_current_time_zone():
    """A datetime late on 1 December UTC is 2 December in Auckland, with a 24-hour clock."""
    moment = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)
    assert format_datetime(moment) == "1 Dec 2026, 23:30"
    with timezone.override(ZoneInfo("Pacific/Auckland")):
        assert format_datetime(moment) == "2 Dec 2026, 12:30"
        assert format_date(moment) == "2 Dec 2026"


def test_a_range_in_one_month_names_the_month_once():
    """1–17 December reads "1–17 Dec 2026"."""
    assert format_date_range(D(2026, 12, 1), D(2026, 12, 17)) == "1\u201317 Dec 2026"


def test_a_range_in_one_year_names_the_year_once():
    """May to June of one year: "1 May – 30 Jun 2027"."""
    assert format_date_range(D(2027, 5, 1), D(2027, 6, 30)) == "1 May \u2013 30 Jun 2027"


def test_a_range_across_years_gives_both_dates_in_full():
    """A cycle from May to April: "1 May 2027 – 30 Apr 2028" (not "May 1, 2027 – April…")."""
    assert format_date_range(D(2027, 5, 1), D(2028, 4, 30)) == "1 May 2027 \u2013 30 Apr 2028"


def test_a_range_of_one_day_or_an_open_end_is_one_date():
    assert format_date_range(D(2026, 12, 1), D(2026, 12, 1)) == "1 Dec 2026"
    assert format_date_range(D(2026, 12, 1), None) == "1 Dec 2026"


def test_numbers_have_thousands_separators_and_no_trailing_zeros():
    """10000 people read "10,000"; 12.50 reads "12.5"; 3.00 reads "3"."""
    assert format_number(10000) == "10,000"
    assert format_number(1234567) == "1,234,567"
    assert format_number(Decimal("12.50")) == "12.5"
    assert format_number(Decimal("3.00")) == "3"
    assert format_number(Decimal("1234.567")) == "1,234.57"
    assert format_number(2.5, decimal_places=2) == "2.50"
    assert format_number(None) == ""


def test_percentages_carry_a_non_breaking_space_and_one_place():
    """42.46 % reads "42.5 %", 100 reads "100 %", and the sign never wraps alone."""
    assert format_percent(Decimal("42.46")) == "42.5\u00a0%"
    assert format_percent(100) == "100\u00a0%"
    assert format_percent(0) == "0\u00a0%"
    assert format_percent(Decimal("12.345"), decimal_places=2) == "12.35\u00a0%"
    assert format_percent(None) == ""


def test_template_filters_use_the_same_functions():
    """Templates get the same text through the builtin filters and the range tag."""
    from django.template import engines

    template = engines["django"].from_string(
        "{{ d|format_date }}|{{ n|format_number }}|{{ p|format_percent }}|"
        "{% format_date_range a b %}"
    )
    text = template.render(
        {"d": D(2026, 12, 1), "n": 10000, "p": 50, "a": D(2026, 12, 1), "b": D(2026, 12, 17)}
    )
    assert text == "1 Dec 2026|10,000|50\u00a0%|1\u201317 Dec 2026"


def test_a_template_shows_a_value_that_is_no_number_as_it_is():
    """``|format_number`` on text (a template mistake) shows the text, never a 500."""
    from django.template import engines

    template = engines["django"].from_string("{{ v|format_number }}|{{ n|format_number }}")
    assert template.render({"v": "n/a", "n": None}) == "n/a|"


def test_small_whole_numbers_read_as_the_locale_would_print_them():
    """Counts below a thousand skip Django's number formatting (no separator to place),
    and read exactly as it would print them in every locale, grouping ones included."""
    from django.utils import formats

    for language in ("en-gb", "de", "fr", "hi", "ar"):
        with translation.override(language):
            for value in (-999, -12, 0, 7, 999, 1000, -1000):
                expected = formats.number_format(
                    value, decimal_pos=0, use_l10n=True, force_grouping=True
                )
                assert format_number(value) == expected, (language, value)
