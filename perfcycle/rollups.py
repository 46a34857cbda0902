"""Stored roll-ups: whole-table aggregates (HR home's head counts, participants per cycle,
each cycle's health) computed once and kept until a table they read changes.

Invalidation is the database's, not the code's: a statement-level trigger on every table a
roll-up reads appends a row to ``perfcycle_datachange`` (any INSERT, UPDATE, DELETE or
TRUNCATE, whoever runs it: services, bulk seeds, the admin, a psql session). A roll-up is
stored with the change log's stamp (lowest id, highest id, row count) read *before* it was
computed, and served only while the stamp is unchanged:

- a write committed after the stamp was read adds a row, so the stamp moves on;
- a transaction that started earlier but commits later still adds to the count;
- pruning (``prune``, hourly) raises the lowest id.

So a stored value is never older than the data it was computed from, and reading it is one
query (``cached``). Within a transaction that writes, its own change rows are visible to it
and move the stamp as well.

Tables are tracked with ``track_tables`` in a migration of the app that owns them (a
stage whose health provider reads its own tables tracks them: see
implementation/migrations and goals/migrations). SQLite (the no-server development
default) has no triggers here: there every roll-up is computed on each request.
"""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, migrations
from django.utils import timezone

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION perfcycle_note_change() RETURNS trigger AS $$
BEGIN
    INSERT INTO perfcycle_datachange (at) VALUES (now());
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

READ_SQL = """
SELECT stamp.low, stamp.high, stamp.count, rollup.data
FROM (
    SELECT COALESCE(MIN(id), 0) AS low, COALESCE(MAX(id), 0) AS high, COUNT(*) AS count
    FROM perfcycle_datachange
) AS stamp
LEFT JOIN perfcycle_rollup AS rollup
    ON rollup.key = %s AND rollup.low = stamp.low AND rollup.high = stamp.high
    AND rollup.count = stamp.count
"""
WRITE_SQL = """
INSERT INTO perfcycle_rollup (key, low, high, count, data, computed_at)
VALUES (%s, %s, %s, %s, %s, now())
ON CONFLICT (key) DO UPDATE SET low = EXCLUDED.low, high = EXCLUDED.high,
    count = EXCLUDED.count, data = EXCLUDED.data, computed_at = EXCLUDED.computed_at
"""

# How long change rows are kept (pruning moves every stamp on: each roll-up is computed
# again once afterwards) and how long an unused roll-up (yesterday's key) is kept.
KEEP_CHANGES = timedelta(hours=1)
KEEP_ROLLUPS = timedelta(days=2)


def enabled() -> bool:
    return connection.vendor == "postgresql"


def cached(key: str, compute: Callable[[], Any]) -> Any:
    """The stored value of ``key`` if nothing it may depend on changed since it was
    computed (one query), else ``compute()`` (a JSON-serialisable value), stored. The key
    must name everything else the value depends on: the day, the language, the ids."""
    if not enabled():
        return compute()
    with connection.cursor() as cursor:
        cursor.execute(READ_SQL, [key])
        low, high, count, data = cursor.fetchone()
    if data is not None:
        return json.loads(data) if isinstance(data, str) else data  # Django reads jsonb raw
    value = compute()
    encoded = DjangoJSONEncoder().encode(value)
    with connection.cursor() as cursor:
        cursor.execute(WRITE_SQL, [key, low, high, count, encoded])
    return value


def prune(*, now=None) -> int:
    """Drop change rows older than KEEP_CHANGES (stored roll-ups are computed again once)
    and roll-ups unused for KEEP_ROLLUPS; the change rows removed."""
    from perfcycle.models import DataChange, Rollup

    now = now or timezone.now()
    removed, _ = DataChange.objects.filter(at__lt=now - KEEP_CHANGES).delete()
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
