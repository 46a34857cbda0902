#!/usr/bin/env bash
# Serve PerfCycle the way production does, on one machine: gunicorn (2 workers) and one Celery
# worker with embedded beat. Stops both on Ctrl-C / TERM, and stops the other if one dies.
# `make run` migrates, seeds and collects static files first; this script only serves.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
VAR_DIR=${PERFCYCLE_VAR_DIR:-var}
URL="http://$HOST:$PORT/"
# Links in e-mails (and the .ics files) point at this server unless the site's URL is given.
export PERFCYCLE_SITE_URL=${PERFCYCLE_SITE_URL:-http://$HOST:$PORT}

if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
    echo "run: ERROR: something is already listening on $HOST:$PORT (another \`make run\`?)." \
        "Stop it, or choose another port: PORT=8001 make run" >&2
    exit 1
fi

# Celery's filesystem broker (the default without CELERY_BROKER_URL) needs its folders, all under
# var/ (the settings point its control folder there too).
mkdir -p "$VAR_DIR/broker/processed" "$VAR_DIR/broker/control"
# DEBUG=1 (make dev): Django's debug pages, and gunicorn reloads the code when it changes.
reload=()
mode="DEBUG off, PerfCycle's own error pages (\`make dev\` for debug mode)"
case "${DEBUG:-}" in
    1 | true | yes | on)
        reload=(--reload)
        mode="DEBUG mode (make dev): Django's debug pages, code reloads on change"
        ;;
esac
# Beat rewrites its schedule file when it starts: newer than this marker means beat is up.
started_marker="$VAR_DIR/run.started"
touch "$started_marker"

pids=()
stop_all() {
    # Ignore (rather than reset) further signals: make forwards its own TERM to this script, and
    # a second signal must not kill the script half-way through stopping the others.
    trap '' INT TERM
    trap - EXIT
    rm -f "$started_marker"
    if [ ${#pids[@]} -gt 0 ]; then
        echo
        echo "run: stopping web and worker..."
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

"$BIN/gunicorn" perfcycle.wsgi --workers 2 --bind "$HOST:$PORT" \
    --access-logfile - --graceful-timeout 10 --no-control-socket ${reload[@]+"${reload[@]}"} &
pids+=($!)
# The worker gets its own session: a signal to our whole process group (Ctrl-C, `kill -- -PGID`)
# would otherwise also hit its pool processes, and a pool process killed while holding the
# queue lock leaves the worker hanging at exit. Only this script signals it, so it always
# gets a clean warm shutdown. (From a script, setsid execs in place: $! is the worker itself.)
setsid "$BIN/celery" -A perfcycle worker -B --concurrency 2 -l info \
    --schedule "$VAR_DIR/celerybeat-schedule" </dev/null &
pids+=($!)
# ...and should this script die without running its trap (SIGKILL, say), a watchdog in the
# worker's session stops the worker too, rather than leaving it running on its own.
setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -TERM "$2" 2>/dev/null' \
    _ $$ "${pids[1]}" </dev/null >/dev/null 2>&1 &
names=(gunicorn "the Celery worker")

site_answers() {
    "$BIN/python" - "$URL" 2>/dev/null <<'PY'
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "accounts/login/", timeout=2)
PY
}

beat_started() {
    local f
    for f in "$VAR_DIR"/celerybeat-schedule*; do
        [ -e "$f" ] && [ "$f" -nt "$started_marker" ] && return 0
    done
    return 1
}

# Print the banner once the site answers and beat is up, so that it comes after the start-up
# noise and the URL works when you read it. Give up waiting after a minute, but say so.
web_up=false
for _ in $(seq 1 120); do
    $web_up || { site_answers && web_up=true; } || true
    if $web_up && beat_started; then
        sleep 0.5 # let the worker print its "ready" line first
        break
    fi
    for i in 0 1; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            echo "run: ERROR: ${names[$i]} exited; see its output above" \
                "(port $PORT taken? then set PORT=...)" >&2
            exit 1
        fi
    done
    sleep 0.5
done
$web_up || echo "run: WARNING: $URL did not answer within a minute; see the output above" >&2

cat <<EOF

==========================================================================
  PerfCycle is running:  $URL
  Mode: $mode
  Demo logins (password for all: perfcycle-demo)
      hr          HR admin
      manager     manager of employee and peer
      employee    employee, reports to manager
      peer        employee, peer of employee
      manager2    manager in another department
      employee2   employee, reports to manager2
  E-mail goes to this console. Press Ctrl-C to stop web and worker.
==========================================================================

EOF

# Whichever stops first (a crash, or a signal) brings the other one down too.
status=0
wait -n "${pids[@]}" || status=$?
echo "run: a process exited (status $status); stopping the rest" >&2
exit "$status"
