"""``{% appraisal_hr_nav cycle %}``: HR's sub-navigation of the appraisal pages, the
current page marked (``active`` and ``aria-current``) by the views of appraisal/stage.py's
``HR_SUBNAV``, the way the bar marks its entries' ``current_on``."""

from django import template
from django.urls import reverse

from appraisal.stage import HR_SUBNAV

register = template.Library()


@register.inclusion_tag("appraisal/hr_nav.html", takes_context=True)
def appraisal_hr_nav(context, cycle):
    match = getattr(context.get("request"), "resolver_match", None)
    view_name = match.view_name if match else ""
    links = []
    if cycle is not None:
        for key, label, url_name, current_on in HR_SUBNAV:
            if url_name == "appraisal:appraisal-settings":
                url = reverse(url_name, args=[cycle.pk])
            else:
                url = f"{reverse(url_name)}?cycle={cycle.pk}"
            links.append(
                {"key": key, "label": label, "url": url, "current": view_name in current_on}
            )
    return {"links": links}
