"""A fragment rendered once is kept per its key and the active language, and rendered
each time with DEBUG on."""

from django.test import override_settings
from django.utils import translation

from perfcycle import fragments
from perfcycle.fragments import rendered_once

TEMPLATE = "components/form_errors.html"


class Form:
    def __init__(self, message):
        self.errors = {"x": [message]}
        self.non_field_errors = [message]

    def __iter__(self):
        return iter(())


@override_settings(DEBUG=False)
def test_a_fragment_is_kept_per_key_and_language():
    fragments._fragments.clear()
    first = rendered_once(TEMPLATE, ("k", 1), {"form": Form("one")})
    assert "one" in first
    # The key decides: the same key reads the kept HTML, another key renders again.
    assert rendered_once(TEMPLATE, ("k", 1), {"form": Form("two")}) == first
    assert "two" in rendered_once(TEMPLATE, ("k", 2), {"form": Form("two")})
    with translation.override("de"):
        assert "three" in rendered_once(TEMPLATE, ("k", 1), {"form": Form("three")})


@override_settings(DEBUG=True)
def test_with_debug_on_a_fragment_is_rendered_each_time():
    fragments._fragments.clear()
    assert "one" in rendered_once(TEMPLATE, ("k",), {"form": Form("one")})
    assert "two" in rendered_once(TEMPLATE, ("k",), {"form": Form("two")})
    assert not fragments._fragments
