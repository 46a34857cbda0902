"""Filters by long lists of ids.

``pk__in=[…]`` compiles one placeholder per id in Python for every query that uses it
(thousands of ids: tens of milliseconds per query before PostgreSQL sees it, and a long
statement to parse). ``ids_in("pk", ids)`` sends them as one array parameter:
``id = ANY('{1,2,…}'::bigint[])``, which PostgreSQL also hashes for the lookup.
"""

import json

from django.db import connection
from django.db.models import F, Lookup, Q


class IdsIn(Lookup):
    """PostgreSQL only: ``ids_in`` picks it."""

    lookup_name = "ids_in"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, self.rhs]


def ids_in(field: str, ids) -> Q | IdsIn:
    """A filter: ``field`` is one of ``ids`` (integers)."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": list(ids)})
    return IdsIn(F(field), "{" + ",".join(str(int(pk)) for pk in ids) + "}")


def in_id_list(column: str) -> str:
    """SQL saying that ``column`` (SQL) is one of a list of ids given as one parameter, so
    the SQL is the same for any number of ids (a compiled query's, perfcycle/compiled.py):
    a PostgreSQL array, or on SQLite (the no-server default of ``make run``) a JSON array
    read with ``json_each``. The parameter: ``id_list(ids)``, or a list of ids passed to a
    CompiledQuery (which makes it one)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])"
    return f"{column} IN (SELECT value FROM json_each(%s))"


def id_list(ids):
    """The parameter of ``in_id_list`` for these ids."""
    return list(ids) if connection.vendor == "postgresql" else json.dumps(list(ids))
