"""Template side of perfcycle/formatting.py (a template builtin: no {% load %} needed).

{{ goal.due_date|format_date }}            1 Dec 2026
{{ note.created_at|format_datetime }}      1 Dec 2026, 14:05
{% format_date_range c.start c.end %}      1–17 Dec 2026
{{ people|format_number }}                 10,000
{{ share|format_percent }}                 42.5 %
"""

from django import template

from perfcycle import formatting

register = template.Library()


@register.filter
def format_date(value, style=""):
    """``|format_date`` or ``|format_date:"short"``."""
    return formatting.format_date(value, short=style == "short")


@register.filter
def format_datetime(value):
    return formatting.format_datetime(value)


def _or_as_is(function, value, places):
    # Like Django's own number filters, a value that is no number is shown as it is.
    try:
        return function(value, decimal_places=None if places is None else int(places))
    except (ArithmeticError, TypeError, ValueError):
        return value


@register.filter
def format_number(value, places=None):
    """``|format_number`` (up to 2 places, trailing zeros dropped) or ``|format_number:1``."""
    return _or_as_is(formatting.format_number, value, places)


@register.filter
def format_percent(value, places=None):
    return _or_as_is(formatting.format_percent, value, places)


@register.simple_tag
def format_date_range(start, end):
    return formatting.format_date_range(start, end)


@register.filter(name="format_date_range")
def format_date_range_filter(start, end):
    """``start|format_date_range:end``, for use inside ``{% blocktranslate with … %}``."""
    return formatting.format_date_range(start, end)
