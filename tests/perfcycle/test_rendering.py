"""perfcycle/templatetags/rendering.py: ``include_per`` renders a row fragment once per
distinct key on a page and repeats its HTML, with the same output as ``{% include %}``."""

import datetime as dt

from django.template import engines
from django.utils import translation

from perfcycle.formatting import format_date

BADGE = "implementation/deviation_badges.html"


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


class Row:
    def __init__(self, severity, status, calls):
        self.severity, self.status, self._calls = severity, status, calls

    def get_severity_display(self):
        self._calls.append("severity")
        return self.severity.title()

    def get_status_display(self):
        return self.status.replace("_", " ").capitalize()


def test_the_badges_read_the_same_as_with_include():
    """Each row shows the badges of its own severity and status, as {% include %} does."""
    rows = [Row(s, t, []) for s, t in [("high", "open"), ("low", "open"), ("high", "open")]]
    loop = "{% for deviation in rows %}[{% INCLUDE %}]{% endfor %}"
    plain = _render(
        "{% load rendering %}" + loop.replace("INCLUDE", f'include "{BADGE}"'), rows=rows
    )
    keyed = _render(
        "{% load rendering %}"
        + loop.replace("INCLUDE", f'include_per "{BADGE}" deviation.severity deviation.status'),
        rows=rows,
    )
    assert keyed == plain
    assert 'data-severity="low"' in keyed.split("][")[1]


def test_a_fragment_is_rendered_once_per_key_on_a_page():
    """Fifty rows with two distinct (severity, status) pairs render the fragment twice."""
    calls: list[str] = []
    rows = [Row("high" if i % 2 else "low", "open", calls) for i in range(50)]
    html = _render(
        "{% load rendering %}{% for deviation in rows %}"
        f'{{% include_per "{BADGE}" deviation.severity deviation.status %}}{{% endfor %}}',
        rows=rows,
    )
    assert html.count("data-severity=") == 50
    assert len(calls) == 2


def test_with_passes_values_to_the_fragment_and_a_missing_key_is_no_error():
    """``with`` works as for include; a key the page does not define counts as empty."""
    html = _render(
        '{% load rendering %}{% include_per "components/no_update_badge.html" count with count=n %}',
        n=3,
    )
    assert "3 goals" in html
    assert "No update yet" in _render(
        '{% load rendering %}{% include_per "components/no_update_badge.html" count %}'
    )


def test_a_remembered_date_follows_the_language():
    """Dates are formatted once per language and day: switching the language still changes
    the text."""
    day = dt.date(2026, 12, 1)
    assert format_date(day) == "1 Dec 2026"
    with translation.override("de"):
        assert format_date(day) != "1 Dec 2026"
    assert format_date(day) == "1 Dec 2026"
