"""Fragments of a page rendered once per what they show, kept in the process.

A table of 25–50 rows or a form with its crispy fields costs 2–10 ms to render on every
request, though it changes only when what it shows does. ``rendered_once(template, key,
context)`` renders it the first time and keeps the HTML per ``key`` and the active
language, the newest FRAGMENTS_KEPT. ``key`` must determine everything the fragment
shows (each row's shown values, the form's version and prefix): two keys alike read the
same, whoever asks, so nothing that differs from one person to another may be left out
of it. Not kept with DEBUG on (templates edited while the server runs).
"""

from collections import OrderedDict

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import get_language

FRAGMENTS_KEPT = 256
_fragments: OrderedDict = OrderedDict()


def rendered_once(template_name: str, key: tuple, context: dict) -> str:
    if settings.DEBUG:
        return render_to_string(template_name, context)
    key = (template_name, get_language(), *key)
    html = _fragments.get(key)
    if html is None:
        html = _fragments[key] = render_to_string(template_name, context)
        while len(_fragments) > FRAGMENTS_KEPT:
            _fragments.popitem(last=False)
    return html
