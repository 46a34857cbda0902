"""Long lists, one page at a time, at any size of organisation.

A list page's rows come with their people, cycle, goal … (``select_related``) and
annotations. Sorting and cutting the whole filtered list with all those joins makes the
database join every row before it keeps 50 (past eight joins PostgreSQL no longer reorders
them, so the filter that keeps a handful of rows may be applied after the joins). So a page
is read in two steps: the ids of the page, with the size of the whole list, from the lean
filtered queryset (a window count: one query), then the full rows of only those ids.

When the page already knows the size of the list (a count it shows anyway, or a stored
roll-up: perfcycle/rollups.py), it passes it as ``total``: the window count makes the
database read every row of the list before it keeps 50, where a plain ``ORDER BY … LIMIT``
walks an index and stops (HR's deviation list at 15,000 rows: 0.2 ms against 20–85 ms).
"""

from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, QuerySet, Window

from perfcycle.compiled import CompiledQuery
from perfcycle.lookups import IdsIn

# HR's lists across the whole organisation (all evidence, every deviation, planning
# progress, the audit log) show 25 rows a page: reading and rendering a row costs 0.2–0.5 ms,
# so 50 kept them over the 15 ms budget of a daily page. A person's or a team's lists are
# short and keep their 50.
ORGANISATION_PAGE_SIZE = 25


class RowsOfIds:
    """A list's ``full`` rows whose SQL is built once per process (perfcycle/compiled.py):
    ``RowsOfIds(lambda: Plan.objects.select_related(…).annotate(…))`` at module level,
    then ``rows(ids)`` reads those rows (no order) with the ids as one array parameter
    (PostgreSQL; elsewhere the queryset is built each time). Building the SQL of a row with
    its joins and annotations costs ~1–2 ms of CPU a request; a values() row instead of
    the model instances of its joins (eight a row for a plan) ~0.1 ms a row more."""

    def __init__(self, build: Callable[[], QuerySet], *, row: Callable | None = None):
        """``row``: for a ``values()`` queryset, what makes each dict the page's row (an
        object with a ``pk``)."""
        self._build = build
        self._row = row
        self._compiled = CompiledQuery(lambda ids: build().order_by().filter(IdsIn(F("pk"), ids)))

    def __call__(self, ids) -> list:
        if not ids:
            return []
        if connection.vendor != "postgresql":
            rows = list(self._build().filter(pk__in=list(ids)).order_by())
        else:
            rows = self._compiled("{" + ",".join(str(int(pk)) for pk in ids) + "}")
        return [self._row(values) for values in rows] if self._row is not None else rows


def _rows(full, ids) -> dict:
    if not ids:
        return {}
    rows = full(ids) if isinstance(full, RowsOfIds) else full.filter(pk__in=ids).order_by()
    return {row.pk: row for row in rows}


def get_page(lean, full, number, *, per_page: int, total: int | None = None) -> Page:
    """Page ``number`` (as given, e.g. ``request.GET.get("page")``; not a number is the
    first page, past the end the last) of ``lean``, an ordered queryset; its rows are read
    from ``full`` (the same model with what the template needs: a queryset, or
    :class:`RowsOfIds`), in ``lean``'s order. Two queries (three for a page past the end).
    ``total``: the number of rows of ``lean`` if the caller knows it exactly (then no
    count is made)."""
    if total is not None:  # past the end is known without a query
        number = page_number(number, total=total, per_page=per_page)
        ids = _ids(lean, number, per_page)
    else:
        number = _number(number)
        ids, total = _ids_and_total(lean, number, per_page)
        if not ids and number > 1:  # past the end: the last page, as Paginator.get_page does
            number = max(1, -(-lean.count() // per_page))
            ids, total = _ids_and_total(lean, number, per_page)
    return _page(lean, full, ids, number, per_page, total)


def get_page_by_groups(
    rows, number, *, per_page: int, field: str, groups, read: Callable | None = None
) -> Page:
    """Page ``number`` (as ``get_page`` takes it) of ``rows``, an ordered queryset with
    what the template needs, ordered first by ``field``, when the page knows how many rows
    each value of ``field`` has: ``groups``, ``[(value, rows), …]`` in the list's order
    (e.g. the per-department counts it shows anyway). Only the rows of the values this
    page spans are read and sorted, so the first page and the last cost the same: HR's
    interview completion sorted all 8,000 released appraisals by department and name
    (35 ms) to keep 25, and sorts one or two departments (~250 rows) this way — few enough
    to read the page's rows with their joins in the same query. One query, none for an
    empty page.

    ``read``: what reads the rows instead of ``rows`` (then None), e.g. a compiled query
    (perfcycle/compiled.py), as ``read(first, last, skip, count)``: the rows whose
    ``field`` is from ``first`` to ``last`` (the values this page spans: ``groups`` in the
    database's order of ``field``, so every value between is one of them), in the list's
    order, after the first ``skip`` of them, ``count`` at most."""
    groups = list(groups)
    total = sum(count for _, count in groups)
    number = _within(_number(number), total, per_page)
    start = (number - 1) * per_page
    values, before, seen = [], 0, 0
    for value, count in groups:
        if count and seen + count > start and seen < start + per_page:
            if not values:
                before = seen
            values.append(value)
        seen += count
    skip = start - before
    if not values:
        chosen = []
    elif read is not None:
        chosen = list(read(values[0], values[-1], skip, per_page))
    else:
        chosen = list(rows.filter(**{f"{field}__in": values})[skip : skip + per_page])
    paginator = Paginator(rows if rows is not None else range(total), per_page)
    paginator.count = total  # a cached_property: no COUNT query
    return Page(chosen, number, paginator)


def _number(number) -> int:
    try:
        return max(1, int(number))
    except (TypeError, ValueError):
        return 1


def _within(number: int, total: int, per_page: int) -> int:
    return min(number, max(1, -(-total // per_page)))


def _page(lean, full, ids: list, number: int, per_page: int, total: int) -> Page:
    paginator = Paginator(lean, per_page)
    paginator.count = total  # a cached_property: no COUNT query
    # The rows come back in ``lean``'s order from the ids: no ORDER BY for them (a model's
    # default ordering through its relations costs ~1–2 ms of compiling, and a sort).
    by_id = _rows(full, ids)
    return Page([by_id[pk] for pk in ids if pk in by_id], number, paginator)


def page_number(number, *, total: int, per_page: int) -> int:
    """The page ``get_page`` shows for ``number`` (as it takes it) of a list of ``total``
    rows: not a number is the first page, past the end the last."""
    return _within(_number(number), total, per_page)


def page_without_rows(number: int, *, total: int, per_page: int) -> Page:
    """Page ``number`` (from ``page_number``) of a list of ``total`` rows, without them:
    its number and the list's size for the count and the pagination, when the rows' HTML
    is kept from an earlier request (no query)."""
    paginator = Paginator(range(total), per_page)
    paginator.count = total
    return Page([], number, paginator)


def _ids(lean, number: int, per_page: int) -> list:
    start = (number - 1) * per_page
    return list(lean.values_list("pk", flat=True)[start : start + per_page])


def _ids_and_total(lean, number: int, per_page: int) -> tuple[list, int]:
    start = (number - 1) * per_page
    rows = list(
        lean.annotate(_list_total=Window(Count("pk"))).values_list("pk", "_list_total")[
            start : start + per_page
        ]
    )
    return [pk for pk, _ in rows], (rows[0][1] if rows else 0)


def get_page_of_ids(ids: list, full, number, *, per_page: int) -> Page:
    """Page ``number`` (as ``get_page`` takes it) of ``ids``, a list already in the list's
    order that the page holds in memory (e.g. a scope read once for its counts as well);
    the rows read from ``full`` as ``get_page`` does. One query, none for an empty list."""
    paginator = Paginator(ids, per_page)
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    number = min(number, paginator.num_pages)
    start = (number - 1) * per_page
    chosen = ids[start : start + per_page]
    by_id = _rows(full, chosen)
    return Page([by_id[pk] for pk in chosen if pk in by_id], number, paginator)
