"""The reporting chain, stored: one row (manager, report) for every person above every
other in the chart, at any depth (a closure table), so "everyone below this manager" is
an index range read instead of a walk down the chart on every query that scopes by it
(perfcycle/access.py ``report_ids``).

The database keeps it, not the code: triggers on the employee table (PostgreSQL) update
it in the statement that changes the chart, whoever runs it (the services, the org
import's bulk upserts, the demo seed, the admin, a psql session):

- INSERT: the new people's lines, walking up from them (their managers' lines are there
  already); if an existing row already names a new one as its manager (possible with the
  deferred foreign key), the whole table is rebuilt instead.
- UPDATE: when any row's manager changed (a move, a leaver's reports handed on), the
  whole table is rebuilt from the chart (10,000 people: ~0.2–0.4 s, in the writing
  transaction, once per statement). Updates that leave every manager as it was cost a
  comparison of the statement's old and new rows.
- DELETE: the lines of the people removed (their reports were re-pointed first, by
  ``on_delete=SET_NULL``'s UPDATE). TRUNCATE: emptied.

A rebuild locks the table against other rebuilds (SHARE ROW EXCLUSIVE) before it deletes,
so two transactions changing the chart at once queue up and the second rebuilds from what
the first committed. Reads never wait.

It holds exactly what the recursive walk finds (a loop in bad data included: the walk
and the rebuild both stop at a repeated pair); tests/perfcycle/test_reporting_lines.py
compares the two after every kind of change. Elsewhere than PostgreSQL there are no
triggers and ``report_ids`` walks the chart.
"""

TABLE = "perfcycle_reportingline"

CREATE_TABLE_SQL = f"""
CREATE TABLE {TABLE} (
    manager_id bigint NOT NULL,
    report_id bigint NOT NULL,
    PRIMARY KEY (manager_id, report_id)
);
CREATE INDEX perfcycle_reportingline_report_idx ON {TABLE} (report_id);
"""

# Every (ancestor, person) pair of the chart, walking up from each person.
_ALL_LINES_SQL = """
    WITH RECURSIVE line(manager_id, report_id) AS (
        SELECT manager_id, id FROM perfcycle_employee WHERE manager_id IS NOT NULL
        UNION
        SELECT e.manager_id, l.report_id
        FROM line l JOIN perfcycle_employee e ON e.id = l.manager_id
        WHERE e.manager_id IS NOT NULL
    )
    SELECT manager_id, report_id FROM line
"""

FUNCTIONS_SQL = f"""
CREATE OR REPLACE FUNCTION perfcycle_rebuild_reporting_lines() RETURNS void AS $$
BEGIN
    LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM {TABLE};
    INSERT INTO {TABLE} (manager_id, report_id) {_ALL_LINES_SQL};
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION perfcycle_reporting_lines_inserted() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM perfcycle_employee e
        WHERE e.manager_id IN (SELECT id FROM new_rows) AND e.id NOT IN (SELECT id FROM new_rows)
    ) THEN
        PERFORM perfcycle_rebuild_reporting_lines();
        RETURN NULL;
    END IF;
    LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO {TABLE} (manager_id, report_id)
    WITH RECURSIVE line(manager_id, report_id) AS (
        SELECT manager_id, id FROM new_rows WHERE manager_id IS NOT NULL
        UNION
        SELECT e.manager_id, l.report_id
        FROM line l JOIN perfcycle_employee e ON e.id = l.manager_id
        WHERE e.manager_id IS NOT NULL
    )
    SELECT manager_id, report_id FROM line
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION perfcycle_reporting_lines_updated() RETURNS trigger AS $$
BEGIN
    -- A set difference (hashed): the transition tables have no index, and a join of
    -- them row by row is quadratic (10,000 rows updated: 24 s).
    IF EXISTS (
        SELECT id, manager_id FROM old_rows EXCEPT SELECT id, manager_id FROM new_rows
    ) THEN
        PERFORM perfcycle_rebuild_reporting_lines();
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION perfcycle_reporting_lines_deleted() RETURNS trigger AS $$
BEGIN
    LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM {TABLE} l USING old_rows o WHERE l.report_id = o.id OR l.manager_id = o.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION perfcycle_reporting_lines_truncated() RETURNS trigger AS $$
BEGIN
    DELETE FROM {TABLE};
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS_SQL = """
CREATE TRIGGER perfcycle_reporting_lines_ins AFTER INSERT ON perfcycle_employee
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION perfcycle_reporting_lines_inserted();
CREATE TRIGGER perfcycle_reporting_lines_upd AFTER UPDATE ON perfcycle_employee
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION perfcycle_reporting_lines_updated();
CREATE TRIGGER perfcycle_reporting_lines_del AFTER DELETE ON perfcycle_employee
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION perfcycle_reporting_lines_deleted();
CREATE TRIGGER perfcycle_reporting_lines_trunc AFTER TRUNCATE ON perfcycle_employee
    FOR EACH STATEMENT EXECUTE FUNCTION perfcycle_reporting_lines_truncated();
"""

DROP_SQL = f"""
DROP TRIGGER IF EXISTS perfcycle_reporting_lines_ins ON perfcycle_employee;
DROP TRIGGER IF EXISTS perfcycle_reporting_lines_upd ON perfcycle_employee;
DROP TRIGGER IF EXISTS perfcycle_reporting_lines_del ON perfcycle_employee;
DROP TRIGGER IF EXISTS perfcycle_reporting_lines_trunc ON perfcycle_employee;
DROP FUNCTION IF EXISTS perfcycle_reporting_lines_inserted();
DROP FUNCTION IF EXISTS perfcycle_reporting_lines_updated();
DROP FUNCTION IF EXISTS perfcycle_reporting_lines_deleted();
DROP FUNCTION IF EXISTS perfcycle_reporting_lines_truncated();
DROP FUNCTION IF EXISTS perfcycle_rebuild_reporting_lines();
DROP TABLE IF EXISTS {TABLE};
"""

# All reports below a manager, from the stored lines (PostgreSQL).
REPORTS_SQL = f"SELECT report_id FROM {TABLE} WHERE manager_id = %s"

# The lines as the chart gives them now, to compare with the stored ones (tests, checks).
ALL_LINES_SQL = _ALL_LINES_SQL


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_TABLE_SQL)
    schema_editor.execute(FUNCTIONS_SQL)
    schema_editor.execute(TRIGGERS_SQL)
    schema_editor.execute("SELECT perfcycle_rebuild_reporting_lines()")
    schema_editor.execute(f"ANALYZE {TABLE}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)
