"""Real processes for tests: a Celery worker on a queue of the test's own, and "the same
call from two places at once" (threads, each with its own database connection)."""

import threading
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from django.db import connection

from perfcycle.celery import app


@contextmanager
def worker_on_queue(queue: str):
    """A real worker thread consuming ``queue`` from Redis (no eager mode). Other test
    runs share this Redis: a queue of the test's own keeps their workers off our
    messages (and ours off theirs)."""
    app.conf.broker_url = "redis://127.0.0.1:6379/14"
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]
        ) as worker:
            yield worker
    finally:
        # The queue selection is global to the app: leave it as found for other workers.
        app.amqp.queues._consume_from = None
        app.amqp.queues.pop(queue, None)


def fresh_connections():
    """Forget the app's cached pools so the next publish uses the current broker URL.
    (kombu keeps one pool per URL globally; closing it would break later tests.)"""
    app._pool = None
    app.amqp._producer_pool = None


def run_at_once(call, times: int = 2) -> list:
    """Start ``call()`` in ``times`` threads released together; returns their results
    (in finishing order). Needs a transactional test: each thread commits for real."""
    barrier = threading.Barrier(times)
    results = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
