#!/usr/bin/env bash
# Make sure the services the tests talk to are up: PostgreSQL on 127.0.0.1:5432 and Redis on
# 127.0.0.1:6379. Starts whichever is installed but stopped, waits until it answers, then makes
# sure the `postgres` role can log in over TCP and create the test database.
# Fails with a message naming what is missing; never installs a server itself.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=${SERVICES_PG_PORT:-5432} # overridable only to exercise this script
REDIS_HOST=127.0.0.1
REDIS_PORT=${SERVICES_REDIS_PORT:-6379}
DB_NAME=perfcycle
WAIT_SECONDS=${SERVICES_WAIT_SECONDS:-30}

say() { printf 'services: %s\n' "$*"; }
die() {
    printf 'services: ERROR: %s\n' "$*" >&2
    exit 1
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

pg_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
    else
        port_open "$PG_HOST" "$PG_PORT"
    fi
}

redis_ready() {
    if command -v redis-cli >/dev/null 2>&1; then
        [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
    else
        port_open "$REDIS_HOST" "$REDIS_PORT"
    fi
}

wait_for() { # wait_for <name> <check-function>
    local i
    for ((i = 0; i < WAIT_SECONDS * 4; i++)); do
        if "$2"; then
            say "$1 is ready"
            return 0
        fi
        sleep 0.25
    done
    die "$1 did not answer within ${WAIT_SECONDS}s after starting it"
}

# Runs a command as root: directly, or through passwordless sudo.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        die "need root (or passwordless sudo) to run: $*"
    fi
}

start_postgres() {
    command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] ||
        die "PostgreSQL is not answering on $PG_HOST:$PG_PORT and is not installed" \
            "(no pg_ctlcluster). Install Debian's 'postgresql' package."
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    [ -n "$version" ] || die "PostgreSQL is installed but has no cluster under /etc/postgresql"
    say "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
        die "could not start PostgreSQL $version (see /var/log/postgresql/)"
}

start_redis() {
    command -v redis-server >/dev/null 2>&1 ||
        die "Redis is not answering on $REDIS_HOST:$REDIS_PORT and is not installed" \
            "(no redis-server). Install Debian's 'redis-server' package."
    say "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
        --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log ||
        die "could not start Redis (see /var/log/redis/ci.log)"
}

psql_tcp() { psql -X -w -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -tA "$@"; }

psql_local() { # as the postgres OS user over the local socket (peer auth)
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- psql -X -q -p "$PG_PORT" -d postgres -tA "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n -u postgres psql -X -q -p "$PG_PORT" -d postgres -tA "$@"
    else
        return 1
    fi
}

ensure_role_and_database() {
    if ! command -v psql >/dev/null 2>&1; then
        say "psql not found: not checking the postgres role (the tests will tell)"
        return 0
    fi
    if ! psql_tcp -c 'select 1' >/dev/null 2>&1; then
        say "role 'postgres' cannot log in over TCP; creating it through the local socket"
        psql_local -c "DO \$\$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgres') THEN
                    CREATE ROLE postgres SUPERUSER LOGIN;
                END IF;
            END \$\$;" >/dev/null 2>&1 || true
        psql_tcp -c 'select 1' >/dev/null 2>&1 ||
            die "cannot connect as postgres@$PG_HOST:$PG_PORT without a password. The tests" \
                "need 'host all all 127.0.0.1/32 trust' in pg_hba.conf (or set DATABASE_URL" \
                "with a password)."
    fi
    # The tests create and drop test_perfcycle, so the role must be allowed to create databases.
    if [ "$(psql_tcp -c "select rolsuper or rolcreatedb from pg_roles where rolname = current_user")" != t ]; then
        say "granting CREATEDB to role postgres"
        psql_local -c "ALTER ROLE postgres CREATEDB" >/dev/null ||
            die "role postgres may not create databases and could not be given CREATEDB"
    fi
    if [ "$(psql_tcp -c "select 1 from pg_database where datname = '$DB_NAME'")" != 1 ]; then
        say "creating database $DB_NAME"
        psql_tcp -c "CREATE DATABASE $DB_NAME" >/dev/null 2>&1 ||
            [ "$(psql_tcp -c "select 1 from pg_database where datname = '$DB_NAME'")" = 1 ] ||
            die "could not create database $DB_NAME"
    fi
}

if pg_ready; then
    say "PostgreSQL is answering on $PG_HOST:$PG_PORT"
else
    start_postgres
    wait_for PostgreSQL pg_ready
fi

if redis_ready; then
    say "Redis is answering on $REDIS_HOST:$REDIS_PORT"
else
    start_redis
    wait_for Redis redis_ready
fi

ensure_role_and_database
