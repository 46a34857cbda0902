"""One way to show dates, date ranges, numbers and percentages, in the active locale.

Pages, notifications, emails, form errors and the audit log all format through these
functions (templates through the ``format_*`` filters of ``perfcycle.templatetags.formatting``,
which are template builtins), so a person sees one date format everywhere. The formats
come from ``django.utils.formats`` for the active language; PerfCycle's own choices for
en-GB are in ``perfcycle/locale_formats/en_GB/formats.py``. ORM-free: tested without a
database.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache, wraps

from django.conf import settings
from django.core.signals import setting_changed
from django.utils import formats, timezone, translation

# A date format's year token and the separators in front of it ("j M Y" → "j M").
_YEAR_TOKEN = re.compile(r"[\s,./-]*[Yyo]")
# Formats that start with the day ("j M Y", "d/m/Y") can share the month and the year in
# a range: "1–17 Dec 2026". Month-first formats share only the year.
_DAY_FIRST = ("j", "d")
EN_DASH = "\u2013"
NBSP = "\u00a0"


def _in_locale(function):
    """Code running with translations switched off (a command under ``no_translations``)
    formats as the site's language, not as Django's US-English defaults."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        if translation.get_language():
            return function(*args, **kwargs)
        with translation.override(settings.LANGUAGE_CODE):
            return function(*args, **kwargs)

    return wrapper


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@_in_locale
def format_date(value: dt.date | dt.datetime | None, *, short: bool = False) -> str:
    """The locale's date ("1 Dec 2026"; ``short``: "01/12/2026"); "" for no date."""
    if value is None or value == "":
        return ""
    return _date_text(translation.get_language(), _as_date(value), short)


@lru_cache(maxsize=4096)
def _date_text(language: str, day: dt.date, short: bool) -> str:
    # A list page shows the same few dates on every row (a period's end, today): formatting
    # one costs ~20 µs, so each (language, day) is formatted once per process. The language
    # is part of the key; the date formats come from the settings, hence the reset below.
    return formats.date_format(day, "SHORT_DATE_FORMAT" if short else "DATE_FORMAT", use_l10n=True)


def _forget_dates(**kwargs) -> None:
    if (
        kwargs["setting"] in ("LANGUAGE_CODE", "FORMAT_MODULE_PATH")
        or "FORMAT" in kwargs["setting"]
    ):
        _date_text.cache_clear()


setting_changed.connect(_forget_dates)


@_in_locale
def format_datetime(value: dt.datetime | None) -> str:
    """The locale's date and time in the current time zone ("1 Dec 2026, 14:05")."""
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        return format_date(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT", use_l10n=True)


@_in_locale
def format_date_range(start: dt.date | None, end: dt.date | None) -> str:
    """A period, saying the shared month and year once: "1–17 Dec 2026",
    "1 May – 30 Jun 2027", "1 May 2027 – 30 Apr 2028"."""
    if start is None or end is None:
        return format_date(start or end)
    start, end = _as_date(start), _as_date(end)
    if start == end:
        return format_date(start)
    pattern = str(formats.get_format("DATE_FORMAT", use_l10n=True))
    if start.year == end.year:
        if start.month == end.month and pattern.startswith(_DAY_FIRST):
            day = formats.date_format(start, pattern[0], use_l10n=True)
            return f"{day}{EN_DASH}{format_date(end)}"
        without_year = _YEAR_TOKEN.sub("", pattern).strip()
        if without_year and without_year != pattern:
            first = formats.date_format(start, without_year, use_l10n=True)
            return f"{first} {EN_DASH} {format_date(end)}"
    return f"{format_date(start)} {EN_DASH} {format_date(end)}"


def _to_decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@_in_locale
def format_number(value, *, decimal_places: int | None = None, max_places: int = 2) -> str:
    """A number with the locale's separators ("12,345.5"). With ``decimal_places`` exactly
    that many places; without, up to ``max_places`` with trailing zeros dropped."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        value = int(value)
    if decimal_places is None and isinstance(value, int):
        if -1000 < value < 1000:
            # No separator to place in any locale: what number_format would return, at a
            # tenth of the cost (tables print hundreds of small counts a page).
            return str(value)
        places = 0
        number = value
    else:
        number = _to_decimal(value)
        places = max_places if decimal_places is None else decimal_places
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if decimal_places is None:
            # Drop trailing zeros ("12.50" → "12.5", "3.00" → "3") but keep integers whole.
            number = number.normalize() if number != number.to_integral() else number.quantize(1)
            places = max(0, -number.as_tuple().exponent)
    return formats.number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


def format_percent(value, *, decimal_places: int | None = None, max_places: int = 1) -> str:
    """A percentage given in percent (75 → "75 %", 12.345 → "12.3 %"); "" for none."""
    if value is None or value == "":
        return ""
    number = format_number(value, decimal_places=decimal_places, max_places=max_places)
    return f"{number}{NBSP}%"


def gettext(message: str) -> str:
    """Django's gettext, kept per language and message, for HTML written in Python (a card
    or a list row shows ~20 messages; a call costs ~3–5 µs). Named gettext so that
    makemessages finds the messages."""
    return _translated(translation.get_language(), message)


@lru_cache(maxsize=1024)
def _translated(language: str | None, message: str) -> str:
    return translation.gettext(message)
