"""Bulk inserts without a model instance per row, for the stages' large one-off writes
(opening 10,000 appraisals writes ~70,000 rows).

On PostgreSQL each call is one ``INSERT … SELECT FROM unnest(…)`` per batch, every column
sent as **one** array literal (``'{1,2,3}'::bigint[]``) that the server parses with
``array_in``. Two slower forms were measured first (opening at 10,000 people, quiet
machine): model instances through ``bulk_create`` (~40 s) and one Python list per column
(~2 s of the item inserts alone: psycopg2 turns a list into ``ARRAY['…', '…', …]``, an
SQL expression of one node per value that the server parses and plans like any other
SQL). Elsewhere (the SQLite development default) the ORM does it.

Rows are dicts of attribute name → value; a missing attribute takes the field's default.
Values must already be what the column stores (ids, not instances; aware datetimes).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

from perfcycle.workflow import insert_new

BATCH = 5000


def insert_rows(model: type[models.Model], rows: Sequence[dict]) -> int:
    """Insert every row of ``rows``; a row that breaks a constraint raises. Returns how
    many were inserted."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=2000)
        return len(rows)
    with connection.cursor() as cursor:
        for batch in _batches(rows):
            cursor.execute(*_insert(model, batch, returning=None))
    return len(rows)


def insert_new_rows(model: type[models.Model], rows: Sequence[dict], *, key: str) -> list[tuple]:
    """Insert ``rows``, skipping any that break a unique constraint (another run got there
    first: ``ON CONFLICT DO NOTHING``); returns (pk, ``key``) of each row this call
    inserted. ``key`` is the attribute that tells the rows apart."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = insert_new([model(**row) for row in rows], key=key)
        return [(obj.pk, getattr(obj, key)) for obj in objs]
    inserted: list[tuple] = []
    with connection.cursor() as cursor:
        for batch in _batches(rows):
            cursor.execute(*_insert(model, batch, returning=key))
            inserted.extend(cursor.fetchall())
    return inserted


def _batches(rows: Sequence[dict]):
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _insert(model, batch: Sequence[dict], *, returning: str | None) -> tuple[str, list[str]]:
    """The statement and its parameters for ``batch``: one array literal per column, or,
    for a column whose value is the same in every row (a default, a snapshot shared by
    the cycle), that value once: the server then parses it once, not once per row."""
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    selected, arrays, params, constants = [], [], [], []
    for field in fields:
        name, default, encode = field.attname, field.get_default(), _encoder(field)
        values = [encode(row.get(name, default)) for row in batch]
        first = values[0]
        # The first column is always an array: it gives the row count.
        if selected and all(value is first or value == first for value in values):
            selected.append(f"(%s::{_array_type(field)})[1]")
            constants.append("{" + first + "}")
        else:
            selected.append(f"u.c{len(arrays)}")
            arrays.append(f"%s::{_array_type(field)}")
            params.append("{" + ",".join(values) + "}")
    # The SELECT list comes first in the statement: so do its parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) "
        f"AS u({', '.join(f'c{i}' for i in range(len(arrays)))})"
    )
    if returning is not None:
        key_column = meta.get_field(returning).column
        sql += f" ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}, {quote(key_column)}"
    return sql, constants + params


def _array_type(field) -> str:
    if isinstance(field, models.JSONField):
        return "jsonb[]"
    db_type = field.db_type(connection)
    return f"{db_type.split('(')[0] if db_type.startswith('varchar') else db_type}[]"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(value) -> str:
    return "NULL" if value is None else str(value)


def _boolean(value) -> str:
    return "NULL" if value is None else ("t" if value else "f")


def _moment(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise ValueError("bulk.insert_rows takes aware datetimes only")
    return _quoted(value.isoformat())


def _text_encoder() -> Callable:
    # Texts repeat too (units, template items' titles, the peer item's description).
    encoded: dict[str, str] = {}

    def encode(value) -> str:
        if value is None:
            return "NULL"
        text = str(value)
        found = encoded.get(text)
        if found is None:
            found = encoded[text] = _quoted(text)
        return found

    return encode


def _json_encoder() -> Callable:
    # Snapshots repeat (every appraisal of a cycle has the same scale levels): encode each
    # object once per column. The rows keep the objects alive, so their ids stay unique.
    encoded: dict[int, str] = {}

    def encode(value) -> str:
        if value is None:
            return "NULL"
        found = encoded.get(id(value))
        if found is None:
            found = encoded[id(value)] = _quoted(json.dumps(value, cls=DjangoJSONEncoder))
        return found

    return encode


def _encoder(field) -> Callable:
    if isinstance(field, models.JSONField):
        return _json_encoder()
    db_type = field.db_type(connection)
    if db_type.startswith(("bigint", "integer", "smallint", "numeric", "double", "real")):
        return _number
    if db_type == "boolean":
        return _boolean
    if db_type.startswith(("timestamp", "date", "time")):
        return _moment
    return _text_encoder()
