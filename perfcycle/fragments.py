"""Page fragments rendered once per what they show, kept in the process.

A fragment whose HTML follows from a few stored figures (the calibration board's figures,
HR's interview completion per department) renders in 3–5 ms and changes only when those
figures do. ``rendered_once`` keeps its HTML per key and the active language, the newest
``FRAGMENTS_KEPT``: the key must determine everything the fragment shows, and a fragment
that shows one person's data must name that person in its key (or not be kept at all).
"""

from collections import OrderedDict

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import get_language

FRAGMENTS_KEPT = 64
_fragments: OrderedDict = OrderedDict()


def rendered_once(template_name: str, key: tuple, context: dict) -> str:
    """``template_name`` rendered with ``context``, kept per ``key`` and the active
    language. Not kept with DEBUG on (templates edited while the server runs)."""
    if settings.DEBUG:
        return render_to_string(template_name, context)
    key = (template_name, get_language(), *key)
    html = _fragments.get(key)
    if html is None:
        html = _fragments[key] = render_to_string(template_name, context)
        while len(_fragments) > FRAGMENTS_KEPT:
            _fragments.popitem(last=False)
    return html
