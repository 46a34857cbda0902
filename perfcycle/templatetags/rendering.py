"""Cheaper rendering for the rows of the daily lists.

{% load rendering %}
{% include_per "implementation/deviation_badges.html" deviation.severity deviation.status %}
{% progress_chart progress.chart goal.title %}

``include_per`` is ``{% include %}`` for a fragment that depends only on the values after
its name (the keys): a status badge, a severity label. It renders the fragment the first
time a page meets a combination of keys and repeats that HTML for every later row with the
same keys, so 50 rows with four statuses cost four renders, not 50 (an include with its
translated labels costs ~0.1–0.3 ms a row). ``with`` and ``only`` work as for ``include``.
A fragment that reads anything else of the row (a title, a date) must not use it: it would
show the first row's value on every row.
"""

from django import template
from django.template.base import Node, TemplateSyntaxError
from django.template.loader_tags import IncludeNode, construct_relative_path, token_kwargs

from perfcycle.charts import progress_chart_html

register = template.Library()


class IncludePerNode(Node):
    def __init__(self, include: IncludeNode, keys: list):
        self.include = include
        self.keys = keys

    def render(self, context):
        # The cache lives for one page's render, like {% include %}'s template cache.
        cache = context.render_context.dicts[0].setdefault(self, {})
        key = tuple(k.resolve(context, ignore_failures=True) for k in self.keys)
        html = cache.get(key)
        if html is None:
            html = cache[key] = self.include.render(context)
        return html


@register.tag
def include_per(parser, token):
    """``{% include_per "template.html" key1 key2 … [with a=b …] [only] %}``."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise TemplateSyntaxError(f"{bits[0]!r} takes the template to include, then its keys.")
    name = construct_relative_path(parser.origin.template_name, bits[1])
    rest = bits[2:]
    options: dict = {}
    keys = []
    while rest and rest[0] not in ("with", "only"):
        keys.append(parser.compile_filter(rest.pop(0)))
    while rest:
        option = rest.pop(0)
        if option in options:
            raise TemplateSyntaxError(f"The {option!r} option was given more than once.")
        if option == "with":
            value = token_kwargs(rest, parser, support_legacy=False)
            if not value:
                raise TemplateSyntaxError(f'"with" in {bits[0]!r} needs at least one name=value.')
        elif option == "only":
            value = True
        else:
            raise TemplateSyntaxError(f"Unknown argument for {bits[0]!r}: {option!r}.")
        options[option] = value
    include = IncludeNode(
        parser.compile_filter(name),
        extra_context=options.get("with", {}),
        isolated_context=options.get("only", False),
    )
    # The parser sets these on the node a tag returns; the inner include needs them too.
    include.origin, include.token = parser.origin, token
    return IncludePerNode(include, keys)


@register.simple_tag
def progress_chart(chart, title):
    """``{% progress_chart progress.chart goal.title %}``: a goal's progress chart
    (perfcycle.charts.progress_chart_html)."""
    return progress_chart_html(chart, title=title)
