#!/usr/bin/env bash
# Build the large-organisation benchmark database from scratch and time the seed.
#
#   bench/seed_large.sh [N]          # N people, default 10000
#
# Drops and recreates $BENCH_DB (default perfcycle_bench) on the PostgreSQL server at
# $PGHOST:$PGPORT (default 127.0.0.1:5432) as $PGUSER (default postgres), migrates it,
# runs `manage.py seed_demo --employees N` and prints the row counts.
set -euo pipefail

N="${1:-10000}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
BENCH_DB="${BENCH_DB:-perfcycle_bench}"
case "$BENCH_DB" in
  perfcycle_bench*) ;;
  *) echo "BENCH_DB must start with perfcycle_bench: this script drops it." >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
export DEBUG=1 DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$BENCH_DB"

psql -q -d postgres -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
psql -q -d postgres -c "CREATE DATABASE $BENCH_DB"
"$PYTHON" manage.py migrate --verbosity 0

TIMEFORMAT=$'\n'"seed_demo --employees $N: %1R s wall clock (Python start-up included)"$'\n'
time "$PYTHON" manage.py seed_demo --employees "$N"

psql -d "$BENCH_DB" -c "
  SELECT 'users' AS table_name, count(*) FROM perfcycle_user
  UNION ALL SELECT 'employees', count(*) FROM perfcycle_employee
  UNION ALL SELECT 'managers', count(DISTINCT manager_id) FROM perfcycle_employee
  UNION ALL SELECT 'departments', count(*) FROM perfcycle_department
  UNION ALL SELECT 'cycles', count(*) FROM perfcycle_cycle
  UNION ALL SELECT 'participations', count(*) FROM perfcycle_participation
  UNION ALL SELECT 'audit events', count(*) FROM perfcycle_auditevent
  UNION ALL (
    WITH RECURSIVE chart(id, level) AS (
      SELECT id, 1 FROM perfcycle_employee WHERE manager_id IS NULL
      UNION ALL
      SELECT e.id, c.level + 1 FROM perfcycle_employee e JOIN chart c ON e.manager_id = c.id
    )
    SELECT 'levels in the chart', max(level) FROM chart)"
psql -q -d "$BENCH_DB" -c "ANALYZE"
