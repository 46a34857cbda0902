"""The benchmark's floor page: one query and a template, served like any other page.

Only routed when ``BENCH_FLOOR_PAGE`` is on (``PERFCYCLE_BENCH_FLOOR_PAGE=1``, set by
``bench/pages.py`` for its own gunicorn); never in production. Requests per second of a
real page are quoted as a share of this page's, measured in the same run (bench/README.md).
"""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render

from perfcycle.models import Department


@login_not_required
def floor_page(request):
    """TechEmpower's "fortunes" in PerfCycle's terms: every department, sorted, as a table."""
    departments = list(Department.objects.order_by("name").values_list("id", "name"))
    return render(request, "bench/floor.html", {"departments": departments})
