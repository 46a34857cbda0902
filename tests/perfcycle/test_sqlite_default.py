"""``make run`` without a ``DATABASE_URL`` serves from SQLite, the no-server default. The
suite runs on PostgreSQL, so these pages' SQLite path (no arrays, no ``::`` casts) is
checked here: the demo is migrated and seeded into a fresh SQLite file in a process of its
own, and every GET page answers each demo login (none fails with a 500)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_every_demo_page_answers_on_the_sqlite_default(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "SECRET_KEY"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="perfcycle.settings",
        PERFCYCLE_VAR_DIR=str(tmp_path),
        DEBUG="1",  # static files without collectstatic's manifest
        LOG_LEVEL="ERROR",
    )
    for step in (["manage.py", "migrate", "--noinput"], ["manage.py", "seed_demo"]):
        done = _run(step, env)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (tmp_path / "perfcycle.sqlite3").exists()
    walked = _run(["-m", "tests.sqlite_walk"], env)
    assert walked.returncode == 0, walked.stdout[-4000:] + walked.stderr[-3000:]
    assert "pages answered" in walked.stdout
