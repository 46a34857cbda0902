"""Filters by long lists of ids.

``pk__in=[…]`` compiles one placeholder per id in Python for every query that uses it
(thousands of ids: tens of milliseconds per query before PostgreSQL sees it, and a long
statement to parse). ``ids_in("pk", ids)`` sends them as one array parameter:
``id = ANY('{1,2,…}'::bigint[])``, which PostgreSQL also hashes for the lookup.
"""

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
