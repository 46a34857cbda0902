"""HR's page of a cycle's appraisal rules (evidence, peer input, guideline distribution,
deadlines). HR only (404 for anyone else); bad input is a message at its field (400), a
stale form a conflict (409) with nothing saved."""

from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from appraisal.forms.settings import AppraisalSettingsForm
from appraisal.selectors.settings import cycle_levels
from appraisal.services import settings as services
from appraisal.services.opening import settings_for
from perfcycle import access
from perfcycle.views import hr_required, submit


@hr_required
def appraisal_settings(request, cycle_id):
    cycle = access.get_cycle_for(request.user, cycle_id)
    settings = settings_for(cycle)
    levels = cycle_levels(cycle)
    bands = services.guideline_bands(levels)
    form = AppraisalSettingsForm(
        request.POST or None, settings=settings, levels=levels, bands=bands
    )
    done = submit(
        request,
        form,
        lambda data: services.update_settings(
            actor=request.user, cycle=cycle, data=data, expected_version=data["version"]
        ),
        _("Appraisal rules saved."),
    )
    if done.saved:
        return redirect("appraisal:appraisal-settings", cycle_id=cycle.pk)
    return render(
        request,
        "appraisal/appraisal_settings.html",
        {"cycle": cycle, "form": form, "levels": levels, "settings": settings},
        status=done.status,
    )


urlpatterns = [
    path("hr/cycles/<int:cycle_id>/settings/", appraisal_settings, name="appraisal-settings"),
]
