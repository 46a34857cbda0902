"""Queries whose SQL is built once per process, for the few that every request runs.

Building a queryset's SQL costs Python time on every execution (resolving lookups and
joins, compiling expressions, ordering): ~1.2 ms of CPU for the viewer's employee row with
its annotations, while PostgreSQL answers it in a tenth of that. A :class:`CompiledQuery`
builds the queryset and its SQL once per database connection (compiled with marker
values for its arguments), then runs that SQL with the request's values and turns the
rows into model instances with Django's own machinery (``select_related`` rows,
annotations, the backend's converters), or into dicts for a ``values()`` queryset, as
iterating the queryset would::

    employee_row = CompiledQuery(lambda user_id: Employee.objects.filter(user_id=user_id)[:1])
    employees = employee_row(request.user.pk)   # a list of Employee

On PostgreSQL the SQL is also a prepared statement of each database session (``PREPARE``
once per connection, then ``EXECUTE`` with the request's values), planned once: the
connection runs with ``plan_cache_mode=force_generic_plan`` (settings.py), which applies
to prepared statements only. Planning is what these queries cost in the database: ~5 ms
for the interview page's read with its ten joins and the scope's four subqueries, against
0.3 ms to run it. A statement PostgreSQL will not prepare (a parameter of no inferable
type) runs as plain SQL instead, as it does on SQLite. Not for a connection pooler in
transaction mode, where a session's prepared statements do not follow it. PostgreSQL plans
a statement again after a migration changes its tables; one that drops a column a
statement reads fails until the process reconnects (a deploy restarts the processes).

An argument may appear several times in the SQL. Only for querysets whose SQL does not depend on anything but the arguments (no
``timezone.now()``, no settings read at build time, no prefetching, no deferred fields),
and arguments passed to the database as they are (integers, or strings for a text column:
the marker reaches the SQL as its text): a value that needs ``get_db_prep_value`` (a date,
a UUID) must be prepared by the caller.
"""

from __future__ import annotations

import itertools
import json
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators

# Marker arguments: values no real key takes, each found once among the SQL's parameters.
_MARKER = -7_319_402_811_000_000


def _is_marker(param, marker: int) -> bool:
    """Whether a parameter is the marker, as an integer or (a text field's lookup) its text."""
    return (type(param) is int and param == marker) or (type(param) is str and param == str(marker))


_names = itertools.count(1)
_PLACEHOLDER = re.compile(r"%%|%s")
# Per database session (the driver's connection object): {statement name: prepared?}.
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_EXECUTE = re.compile(r"EXECUTE (perfcycle_q\d+)\b")
_by_name: dict[str, CompiledQuery] = {}


def plain_sql(logged: str) -> str:
    """A logged query as SQL: for the ``EXECUTE`` of a compiled query, its statement (with
    ``%s`` where its values go), so that what a page runs can be read; others as they are."""
    match = _EXECUTE.match(logged)
    query = _by_name.get(match.group(1)) if match else None
    if query is None or not query._compiled:
        return logged
    return next(iter(query._compiled.values())).sql


def _statements(name: str, sql: str, params) -> tuple[str, str] | None:
    """``PREPARE`` and ``EXECUTE`` statements for ``sql`` (a Django ``%s`` statement)."""
    numbers = itertools.count(1)
    prepare = _PLACEHOLDER.sub(
        lambda match: "%" if match.group() == "%%" else f"${next(numbers)}", sql
    )
    count = next(numbers) - 1
    if count != len(params):
        return None
    arguments = f"({', '.join(['%s'] * count)})" if count else ""
    return f"PREPARE {name} AS {prepare}", f"EXECUTE {name}{arguments}"


def _prepare(raw, statement: str) -> bool:
    """Run ``statement`` (a PREPARE) on the driver's connection, out of Django's query log;
    inside a savepoint when a transaction is open, so that a refusal leaves it usable."""
    import psycopg2

    guarded = not raw.autocommit
    with raw.cursor() as cursor:
        if guarded:
            cursor.execute("SAVEPOINT perfcycle_prepare")
        try:
            cursor.execute(statement)
        except psycopg2.Error:
            if guarded:
                cursor.execute("ROLLBACK TO SAVEPOINT perfcycle_prepare")
            return False
        if guarded:
            cursor.execute("RELEASE SAVEPOINT perfcycle_prepare")
    return True


@dataclass(frozen=True)
class _Compiled:
    sql: str
    statements: tuple[str, str] | None  # PREPARE and EXECUTE, on PostgreSQL
    params: tuple
    slots: tuple[tuple[int, ...], ...]  # where each argument goes among ``params``
    compiler: Any
    init_list: list[str]
    model_fields: slice
    related_populators: list
    annotation_col_map: dict
    names: tuple[str, ...] | None  # a values() queryset's keys; None for instances
    # The backend's and the fields' converters of the selected columns, as results_iter
    # gathers them on every run (~1 µs a column: ~0.1 ms for a row of 100 columns).
    converters: dict


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], *, arguments: int = 1):
        self._build = build
        self._arguments = arguments
        self._name = f"perfcycle_q{next(_names)}"
        _by_name[self._name] = self
        # One per connection object (Django keeps one per thread and alias).
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _compile(self, connection) -> _Compiled:
        markers = [_MARKER - index for index in range(self._arguments)]
        queryset = self._build(*markers)
        if queryset._prefetch_related_lookups or queryset.query.deferred_loading[0]:
            raise ImproperlyConfigured("CompiledQuery: no prefetching or deferred fields.")
        if queryset._iterable_class not in (ModelIterable, ValuesIterable):
            raise ImproperlyConfigured("CompiledQuery: model instances or values() only.")
        query = queryset.query
        names = None
        if queryset._iterable_class is ValuesIterable:
            names = (
                tuple(query.selected)
                if query.selected
                else (*query.extra_select, *query.values_select, *query.annotation_select)
            )
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        columns = [col[0] for col in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ImproperlyConfigured("CompiledQuery: no composite primary keys.")
        slots = []
        for marker in markers:
            found = [i for i, param in enumerate(params) if _is_marker(param, marker)]
            if not found:
                raise ImproperlyConfigured(
                    f"CompiledQuery: argument {marker} is not among the SQL's parameters."
                )
            slots.append(tuple(found))
        init_list, model_fields, related_populators = [], slice(0), []
        if names is None:  # as ModelIterable
            klass_info = compiler.klass_info
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            init_list = [f[0].target.attname for f in compiler.select[start:end]]
            model_fields = slice(start, end)
            related_populators = get_related_populators(
                klass_info, compiler.select, connection.alias
            )
        statements = None
        if connection.vendor == "postgresql":
            statements = _statements(self._name, sql, params)
        compiled = _Compiled(
            sql=sql,
            statements=statements,
            params=tuple(params),
            slots=tuple(slots),
            compiler=compiler,
            init_list=init_list,
            model_fields=model_fields,
            related_populators=related_populators,
            annotation_col_map=dict(compiler.annotation_col_map or {}),
            names=names,
            converters=compiler.get_converters(columns),
        )
        self._compiled[connection] = compiled
        return compiled

    def _params(self, connection, compiled: _Compiled, args) -> list:
        if len(args) != self._arguments:
            raise TypeError(f"CompiledQuery takes {self._arguments} argument(s), not {len(args)}")
        params = list(compiled.params)
        for slots, value in zip(compiled.slots, args, strict=True):
            if isinstance(value, list | tuple) and connection.vendor != "postgresql":
                value = json.dumps(list(value))  # a list of ids (perfcycle.lookups.in_id_list)
            for slot in slots:
                params[slot] = value
        return params

    def _sql(self, connection, compiled: _Compiled) -> str:
        """The prepared statement's EXECUTE if this session has it (preparing it the first
        time), else the plain SQL."""
        if compiled.statements is None:
            return compiled.sql
        connection.ensure_connection()
        raw = connection.connection
        sessions = _prepared.get(raw)
        if sessions is None:
            sessions = _prepared[raw] = {}
        prepared = sessions.get(self._name)
        if prepared is None:
            # A failure other than the refusal (a transaction already aborted) is raised
            # as Django's own DatabaseError, as the query itself would be.
            with connection.wrap_database_errors:
                prepared = sessions[self._name] = _prepare(raw, compiled.statements[0])
        return compiled.statements[1] if prepared else compiled.sql

    def statement(self, *args, using: str = DEFAULT_DB_ALIAS) -> str:
        """The SQL this runs for ``args``, with their values in, as the ORM's queryset would
        run it unprepared (for comparing the two)."""
        connection = connections[using]
        compiled = self._compiled.get(connection) or self._compile(connection)
        params = self._params(connection, compiled, args)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                return cursor.mogrify(compiled.sql, params).decode()
            return connection.ops.last_executed_query(cursor, compiled.sql, params)

    def __call__(self, *args, using: str = DEFAULT_DB_ALIAS) -> list:
        connection = connections[using]
        compiled = self._compiled.get(connection) or self._compile(connection)
        params = self._params(connection, compiled, args)
        sql = self._sql(connection, compiled)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if compiled.converters:  # as results_iter, with the converters gathered once
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        if compiled.names is not None:  # as ValuesIterable
            names = compiled.names
            return [dict(zip(names, row, strict=True)) for row in rows]
        model = compiled.compiler.klass_info["model"]
        objects = []
        for row in rows:
            obj = model.from_db(using, compiled.init_list, row[compiled.model_fields])
            for populator in compiled.related_populators:
                populator.populate(row, obj)
            for attr_name, col_pos in compiled.annotation_col_map.items():
                setattr(obj, attr_name, row[col_pos])
            objects.append(obj)
        return objects
