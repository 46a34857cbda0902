"""Stored roll-ups: whole-table aggregates (HR home's head counts, participants per cycle,
each cycle's health) computed once and kept until a table they read changes.

Invalidation is the database's, not the code's: a statement-level trigger on every table a
roll-up reads appends a row to ``perfcycle_datachange`` (any INSERT, UPDATE, DELETE or
TRUNCATE, whoever runs it: services, bulk seeds, the admin, a psql session). A roll-up is
stored with the change log's stamp (lowest id, highest id, row count; of the rows of the
tables it reads, or of all) read *before* it was computed, and served only while the stamp
is unchanged:

- a write committed after the stamp was read adds a row, so the stamp moves on;
- a transaction that started earlier but commits later still adds to the count;
- pruning (``prune``, hourly) replaces a table's old rows with one new one, so its
  stamp never comes back to an earlier one.

So a stored value is never older than the data it was computed from, and reading it is one
query (``cached``). Within a transaction that writes, its own change rows are visible to it
and move the stamp as well.

Tables are tracked with ``track_tables`` in a migration of the app that owns them (a
stage whose health provider reads its own tables tracks them: see
implementation/migrations and goals/migrations); ``track_columns`` tracks only the
writes that set some columns (``perfcycle_user``'s names, not every sign-in's
``last_login``), under the table's name or a source of its own
(``appraisal_appraisal.status``). SQLite (the no-server development default) has no
triggers here: there every roll-up is computed on each request.
"""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, migrations, transaction
from django.utils import timezone

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION perfcycle_note_change() RETURNS trigger AS $$
BEGIN
    INSERT INTO perfcycle_datachange (source, at) VALUES (TG_TABLE_NAME, clock_timestamp());
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
DROP_FUNCTION_SQL = "DROP FUNCTION IF EXISTS perfcycle_note_change();"

TRIGGER_SQL = """
CREATE TRIGGER perfcycle_note_change
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION perfcycle_note_change();
"""
DROP_TRIGGER_SQL = "DROP TRIGGER IF EXISTS perfcycle_note_change ON {table};"
# The same for a table whose rows are updated often in columns no roll-up reads (a login
# writes ``perfcycle_user.last_login``): only an UPDATE that sets one of ``columns`` counts.
# With a source of its own (``track_columns(..., source=…)``) the change rows are named
# by the trigger's argument, beside the table's own.
COLUMNS_TRIGGER_SQL = """
CREATE TRIGGER {name}
    AFTER INSERT OR UPDATE OF {columns} OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {function};
"""
FUNCTION_AS_SQL = """
CREATE OR REPLACE FUNCTION perfcycle_note_change_as() RETURNS trigger AS $$
BEGIN
    INSERT INTO perfcycle_datachange (source, at) VALUES (TG_ARGV[0], clock_timestamp());
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

STAMP_SQL = """
    SELECT COALESCE(MIN(id), 0) AS low, COALESCE(MAX(id), 0) AS high, COUNT(*) AS count
    FROM perfcycle_datachange {where}
"""
READ_SQL = """
SELECT stamp.low, stamp.high, stamp.count, rollup.data
FROM ({stamp}) AS stamp
LEFT JOIN perfcycle_rollup AS rollup
    ON rollup.key = %s AND rollup.low = stamp.low AND rollup.high = stamp.high
    AND rollup.count = stamp.count
"""
WRITE_SQL = """
INSERT INTO perfcycle_rollup (key, low, high, count, data, computed_at)
VALUES (%s, %s, %s, %s, {value}, now())
ON CONFLICT (key) DO UPDATE SET low = EXCLUDED.low, high = EXCLUDED.high,
    count = EXCLUDED.count, data = EXCLUDED.data, computed_at = EXCLUDED.computed_at
RETURNING data
"""

# How long change rows are kept (pruning moves every stamp on: each roll-up is computed
# again once afterwards) and how long an unused roll-up (yesterday's key) is kept.
KEEP_CHANGES = timedelta(hours=1)
KEEP_ROLLUPS = timedelta(days=2)


def enabled() -> bool:
    return connection.vendor == "postgresql"


def _read(cursor, key: str, sources):
    where, params = ("", []) if sources is None else ("WHERE source = ANY(%s)", [list(sources)])
    cursor.execute(READ_SQL.format(stamp=STAMP_SQL.format(where=where)), [*params, key])
    return cursor.fetchone()


def _decoded(data):
    return json.loads(data) if isinstance(data, str) else data  # Django reads jsonb raw


def cached(key: str, compute: Callable[[], Any], *, sources=None) -> Any:
    """The stored value of ``key`` if nothing it may depend on changed since it was
    computed (one query), else ``compute()`` (a JSON-serialisable value), stored. The key
    must name everything else the value depends on: the day, the language, the ids.
    ``sources``: the tables it reads (each tracked), or None for every tracked table."""
    return cached_with_stamp(key, compute, sources=sources)[0]


def cached_with_stamp(key: str, compute: Callable[[], Any], *, sources=None) -> tuple:
    """``cached``, and the stamp it was read with ((lowest id, highest id, count) of the
    change rows of ``sources``; None off PostgreSQL): what a copy of something else made
    of the same tables (e.g. a rendered fragment kept in the process) can be keyed on, so
    that it is used only while none of them changed. Read before anything is computed,
    like the value's, so such a copy is never older than its stamp says."""
    if not enabled():
        return compute(), None
    with connection.cursor() as cursor:
        low, high, count, data = _read(cursor, key, sources)
    if data is not None:
        return _decoded(data), (low, high, count)
    value = compute()
    encoded = DjangoJSONEncoder().encode(value)
    with connection.cursor() as cursor:
        cursor.execute(WRITE_SQL.format(value="%s"), [key, low, high, count, encoded])
    return value, (low, high, count)


def cached_sql(key: str, sql: str, params, *, sources, compute: Callable[[], Any]) -> Any:
    """``cached`` for a value one SQL expression computes (``sql`` with ``params``): when
    it is not stored, computed and stored in one statement, so two queries at most. Off
    PostgreSQL, ``compute()``."""
    if not enabled():
        return compute()
    with connection.cursor() as cursor:
        low, high, count, data = _read(cursor, key, sources)
        if data is None:
            cursor.execute(
                WRITE_SQL.format(value=f"to_jsonb(({sql}))"), [key, low, high, count, *params]
            )
            (data,) = cursor.fetchone()
    return _decoded(data)


def prune(*, now=None) -> int:
    """Drop change rows older than KEEP_CHANGES and roll-ups unused for KEEP_ROLLUPS; the
    change rows removed. Each table whose rows went gets one new row in their place, so its
    stamp moves on (its roll-ups are computed again once) and can never come back to one a
    roll-up was stored with."""
    from perfcycle.models import DataChange, Rollup

    now = now or timezone.now()
    with transaction.atomic():
        old = DataChange.objects.filter(at__lt=now - KEEP_CHANGES)
        sources = sorted(set(old.values_list("source", flat=True)))
        removed, _ = old.delete()
        DataChange.objects.bulk_create(DataChange(source=source) for source in sources)
    Rollup.objects.filter(computed_at__lt=now - KEEP_ROLLUPS).delete()
    return removed


def track_tables(*tables: str) -> migrations.RunPython:
    """A migration operation: note every write to ``tables`` in the change log (PostgreSQL;
    nothing elsewhere). Reversible."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(FUNCTION_SQL)
            for table in tables:
                schema_editor.execute(DROP_TRIGGER_SQL.format(table=table))
                schema_editor.execute(TRIGGER_SQL.format(table=table))

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in tables:
                schema_editor.execute(DROP_TRIGGER_SQL.format(table=table))

    return migrations.RunPython(forwards, backwards)


def track_columns(table: str, *columns: str, source: str | None = None) -> migrations.RunPython:
    """``track_tables`` for one table, counting only the UPDATEs that set one of
    ``columns`` (every INSERT, DELETE and TRUNCATE counts). A roll-up that lists the
    source in its ``sources`` may read only ``columns`` of the rows (and their ids).

    Without ``source`` the change rows are the table's own (for a table not tracked
    otherwise; ``track_tables`` of it later replaces this and tracks every column). With
    one (e.g. ``"appraisal_appraisal.status"``), a second trigger names them so, beside
    the table's: roll-ups of those columns survive the writes that leave them alone.
    Reversible."""
    if source is None:
        name, function = "perfcycle_note_change", "perfcycle_note_change()"
        drop = DROP_TRIGGER_SQL.format(table=table)
    else:
        name = "perfcycle_note_" + source.replace(".", "_")
        function = f"perfcycle_note_change_as('{source}')"
        drop = f"DROP TRIGGER IF EXISTS {name} ON {table};"

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(FUNCTION_SQL if source is None else FUNCTION_AS_SQL)
            schema_editor.execute(drop)
            schema_editor.execute(
                COLUMNS_TRIGGER_SQL.format(
                    name=name, table=table, columns=", ".join(columns), function=function
                )
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop)

    return migrations.RunPython(forwards, backwards)
