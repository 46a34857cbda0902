"""The email outbox under real faults: a real Celery worker process (over Redis) sending
real SMTP to a sink and killed mid-sweep; and a broker that is down while a manager
approves a team's goals."""

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal
from perfcycle import services, tasks
from perfcycle.celery import app
from perfcycle.models import Notification
from perfcycle.notifications import Message, notify_messages
from tests.factories import enrol, make_cycle, make_employee
from tests.goals.factories import make_goal
from tests.smtp_sink import smtp_sink
from tests.workers import fresh_connections

pytestmark = [pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/14"


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def start_worker_process(queue: str, smtp_port: int, log: Path) -> subprocess.Popen:
    """``celery worker`` in its own process (solo pool: killing it kills the worker),
    on the test database, sending through the SMTP sink."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "perfcycle.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "0",
    }
    if db.get("PASSWORD"):
        env["DATABASE_URL"] = env["DATABASE_URL"].replace(
            f"{db['USER']}@", f"{db['USER']}:{db['PASSWORD']}@"
        )
    command = [sys.executable, "-m", "celery", "-A", "perfcycle", "worker", "--pool", "solo"]
    if os.environ.get("PERFCYCLE_TEST_TODAY"):  # the session travels: the worker goes along
        command[1:1] = [str(ROOT / "tests" / "travelling.py"), timezone.now().isoformat()]
    command += ["-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)


def test_a_worker_killed_mid_sweep_repeats_at_most_the_message_in_flight(
    transactional_db, employee, tmp_path
):
    """Defect 9a: kill -9 the worker while the mail server holds a message it has not
    yet acknowledged, start another: every notification is delivered, only that one
    may come twice, and both copies carry the same Message-ID (mail clients show one)."""
    titles = [f"Check-in due {n:02d}" for n in range(30)]
    notify_messages(Message(employee.user.pk, employee.user.email, t) for t in titles)
    queue = f"{app.conf.task_default_queue}-kill"
    redis.Redis.from_url(BROKER).delete(queue)
    log = tmp_path / "workers.log"
    with smtp_sink(reply_delay=0.25) as sink:
        first = start_worker_process(queue, sink.port, log)
        try:
            tasks.deliver_pending_emails.apply_async(queue=queue)
            wait_for(lambda: sink.count() >= 8, timeout=90, what="the first emails")
            first.send_signal(signal.SIGKILL)  # during the 0.25 s before the server's "250"
            first.wait(timeout=10)
        finally:
            first.kill()
        in_flight = Notification.objects.filter(
            email_status="pending", email_attempts=1, next_attempt_at__gt=timezone.now()
        )
        assert in_flight.count() == 1  # claimed and sent, never marked: leased
        assert Notification.objects.filter(email_status="sent").count() >= 7
        # A minute later its lease has run out, and beat's next sweep goes to a new worker.
        in_flight.update(next_attempt_at=F("next_attempt_at") - services.EMAIL_BACKOFF[0])
        second = start_worker_process(queue, sink.port, log)
        try:
            tasks.deliver_pending_emails.apply_async(queue=queue)
            wait_for(
                lambda: not Notification.objects.exclude(email_status="sent").exists(),
                timeout=90,
                what="every email to be delivered",
            )
        finally:
            second.terminate()
            second.wait(timeout=20)
        received = list(sink.messages)
    redis.Redis.from_url(BROKER).delete(queue)

    by_subject = Counter(m["Subject"] for m in received)
    assert set(by_subject) == set(titles), log.read_text()[-3000:]
    repeated = [subject for subject, n in by_subject.items() if n > 1]
    assert len(repeated) <= 1 and all(by_subject[s] == 2 for s in repeated)
    stored = dict(Notification.objects.values_list("title", "message_id"))
    for message in received:
        assert message["Message-ID"] == stored[message["Subject"]]
    assert len(set(stored.values())) == len(titles)  # one Message-ID per notification


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own (never the shared one), stopped at the end."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)

    def up():
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    wait_for(up, timeout=10, what="redis-server")
    old = (app.conf.broker_url, app.conf.broker_write_url)
    app.conf.broker_url = app.conf.broker_write_url = f"redis://127.0.0.1:{port}/0"
    fresh_connections()
    try:
        yield server
    finally:
        app.conf.broker_url, app.conf.broker_write_url = old
        fresh_connections()
        server.terminate()
        server.wait(timeout=10)


def test_bulk_approval_with_the_broker_down_answers_at_once(
    transactional_db, manager, client, own_redis, caplog
):
    """Defect 9b: the broker stops while the app is running; a manager then approves 14
    goals of 14 people at once. The page answers at once (it used to take 0.6-0.8 s per
    notification), all 14 emails wait in the outbox, and the request tried the broker
    once, not 14 times."""
    cycle = make_cycle("FY2026")
    goals = []
    for n in range(14):
        person = make_employee(f"report{n}", manager=manager)
        enrol(cycle, person)
        goals.append(make_goal(person, cycle=cycle, status="submitted", title=f"Goal {n}"))
    tasks.health_check.apply_async(retry=False, ignore_result=True)  # a live connection
    own_redis.terminate()
    own_redis.wait(timeout=10)

    client.force_login(manager.user)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="perfcycle.notifications"):
        response = client.post(
            f"{reverse('goals:team-goals-review')}?cycle={cycle.pk}",
            {"goal": [g.pk for g in goals], "action": "approve"},
        )
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert Goal.objects.filter(pk__in=[g.pk for g in goals], status="approved").count() == 14
    outbox = Notification.objects.filter(
        send_email=True, email_status="pending", title__startswith="Your goal was approved"
    )
    assert outbox.count() == 14
    attempts = [r.getMessage() for r in caplog.records if "Broker unavailable" in r.getMessage()]
    assert attempts == ["Broker unavailable; 14 notification(s) left in outbox"]
    assert elapsed < 3, f"the approval took {elapsed:.1f} s with the broker down"
