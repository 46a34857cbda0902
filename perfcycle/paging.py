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

from django.core.paginator import Page, Paginator
from django.db.models import Count, Window

# HR's lists across the whole organisation (all evidence, every deviation, planning
# progress, the audit log) show 25 rows a page: reading and rendering a row costs 0.2–0.5 ms,
# so 50 kept them over the 15 ms budget of a daily page. A person's or a team's lists are
# short and keep their 50.
ORGANISATION_PAGE_SIZE = 25


def get_page(lean, full, number, *, per_page: int, total: int | None = None) -> Page:
    """Page ``number`` (as given, e.g. ``request.GET.get("page")``; not a number is the
    first page, past the end the last) of ``lean``, an ordered queryset; its rows are read
    from ``full`` (the same model with what the template needs), in ``lean``'s order. Two
    queries (three for a page past the end). ``total``: the number of rows of ``lean``
    if the caller knows it exactly (then no count is made)."""
    paginator = Paginator(lean, per_page)
    if total is not None:  # past the end is known without a query
        number = page_number(number, total=total, per_page=per_page)
        ids = _ids(lean, number, per_page)
    else:
        number = _number(number)
        ids, total = _ids_and_total(lean, number, per_page)
        if not ids and number > 1:  # past the end: the last page, as Paginator.get_page does
            number = max(1, -(-lean.count() // per_page))
            ids, total = _ids_and_total(lean, number, per_page)
    paginator.count = total  # a cached_property: no COUNT query
    # The rows come back in ``lean``'s order from the ids: no ORDER BY for them (a model's
    # default ordering through its relations costs ~1–2 ms of compiling, and a sort).
    by_id = {row.pk: row for row in full.filter(pk__in=ids).order_by()} if ids else {}
    return Page([by_id[pk] for pk in ids if pk in by_id], number, paginator)


def _number(number) -> int:
    try:
        return max(1, int(number))
    except (TypeError, ValueError):
        return 1


def page_number(number, *, total: int, per_page: int) -> int:
    """The page ``get_page`` shows for ``number`` (as it takes it) of a list of ``total``
    rows: not a number is the first page, past the end the last."""
    return min(_number(number), max(1, -(-total // per_page)))


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
    by_id = {row.pk: row for row in full.filter(pk__in=chosen).order_by()} if chosen else {}
    return Page([by_id[pk] for pk in chosen if pk in by_id], number, paginator)
