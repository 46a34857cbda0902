"""The settings as `make run` and a deployment get them, each read in a fresh process.

The test settings (PostgreSQL, DEBUG on) are not what a user meets: these tests start Python
with the environment of each way to run and look at what perfcycle.settings decided."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What the developer's or CI's shell may have set; each test says what it wants instead.
CONFIG_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CACHE_URL",
    "TRUSTED_PROXY_COUNT",
)


def run_python(code: str, var_dir: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    environment.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="perfcycle.settings",
        PERFCYCLE_VAR_DIR=str(var_dir),
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_settings(var_dir: Path, **env: str) -> dict:
    result = run_python(
        """
        import json
        from django.conf import settings
        names = ["DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT",
                 "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER",
                 "TRUSTED_PROXY_COUNT", "DATABASES", "CELERY_BROKER_TRANSPORT_OPTIONS"]
        print(json.dumps({n: getattr(settings, n) for n in names}, default=str))
        """,
        var_dir,
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_make_run_is_the_product_on_plain_http(tmp_path):
    """Without configuration (make run): DEBUG off, served over http on this machine only
    (no https redirect, cookies a browser sends over http), a secret key kept under var/."""
    first = read_settings(tmp_path)
    assert first["DEBUG"] is False
    assert first["SECURE_SSL_REDIRECT"] is False
    assert first["SESSION_COOKIE_SECURE"] is False
    assert first["CSRF_COOKIE_SECURE"] is False
    assert set(first["ALLOWED_HOSTS"]) == {"localhost", "127.0.0.1", "[::1]"}
    assert first["TRUSTED_PROXY_COUNT"] == 0
    key = (tmp_path / "secret_key").read_text().strip()
    assert first["SECRET_KEY"] == key and len(key) >= 50
    assert read_settings(tmp_path)["SECRET_KEY"] == key  # the same key on every start


def test_a_deployment_keeps_every_safeguard(tmp_path):
    """With SECRET_KEY set, DEBUG is off and https, secure cookies and the proxy are trusted."""
    deployed = read_settings(
        tmp_path, SECRET_KEY="x" * 60, ALLOWED_HOSTS="perf.example.com", DATABASE_URL="sqlite://"
    )
    assert deployed["DEBUG"] is False
    assert deployed["SECURE_SSL_REDIRECT"] is True
    assert deployed["SESSION_COOKIE_SECURE"] is True
    assert deployed["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert deployed["TRUSTED_PROXY_COUNT"] == 1
    assert not (tmp_path / "secret_key").exists()


def test_serving_other_hosts_needs_a_secret_key(tmp_path):
    """A site meant for other machines never runs on a key generated on this one."""
    result = run_python("import django; django.setup()", tmp_path, ALLOWED_HOSTS="perf.example.com")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_sqlite_takes_the_write_lock_up_front_and_waits_for_it(tmp_path):
    """The embedded SQLite database: immediate transactions, a busy timeout, WAL journal."""
    database = read_settings(tmp_path)["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "perfcycle.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database["OPTIONS"]["timeout"] >= 20
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert "synchronous=NORMAL" in database["OPTIONS"]["init_command"]


def test_the_filesystem_broker_keeps_everything_under_var(tmp_path):
    """Celery's filesystem broker (make run) keeps its control folder under var/broker too."""
    options = read_settings(tmp_path)["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert options["control_folder"] == str(tmp_path / "broker" / "control")
    assert options["data_folder_in"] == str(tmp_path / "broker")


def test_sqlite_survives_several_people_saving_at_once(tmp_path):
    """Eight people saving at once on the embedded database: nobody gets "database is locked",
    and no save is lost (each read-then-write transaction waits for the one before)."""
    result = run_python(
        """
        import json, threading, time
        import django
        django.setup()
        from django.db import connection, connections, transaction

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE tally (id integer PRIMARY KEY, n integer NOT NULL)")
            cursor.execute("INSERT INTO tally VALUES (1, 0)")
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
        errors, start = [], threading.Barrier(8)

        def save_twenty_times():
            start.wait()
            try:
                for _ in range(20):
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute("SELECT n FROM tally WHERE id = 1")
                        n = cursor.fetchone()[0]
                        time.sleep(0.002)  # the view does some work between read and write
                        cursor.execute("UPDATE tally SET n = %s WHERE id = 1", [n + 1])
            except Exception as error:  # noqa: BLE001 - reported to the test below
                errors.append(repr(error))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=save_twenty_times) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with connection.cursor() as cursor:
            cursor.execute("SELECT n FROM tally WHERE id = 1")
            print(json.dumps({"n": cursor.fetchone()[0], "errors": errors, "journal": journal}))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["errors"] == []
    assert outcome["n"] == 8 * 20
    assert outcome["journal"] == "wal"


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """A var/ folder with the static files collected, as `make run` leaves it."""
    var_dir = tmp_path_factory.mktemp("var")
    result = run_python(
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(['manage.py', 'collectstatic', '--noinput', '-v', '0'])",
        var_dir,
    )
    assert result.returncode == 0, result.stderr
    return var_dir


def test_make_run_shows_perfcycles_own_error_pages(collected_static):
    """A missing page is PerfCycle's 404 and a crash is PerfCycle's 500 (here: a database that
    was never migrated), never Django's debug pages listing the URLconf or a traceback."""
    result = run_python(
        """
        import json
        import django
        django.setup()
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        missing = client.get("/no-such-page/")
        broken = client.post("/accounts/login/", {"username": "a", "password": "b"})
        print(json.dumps({
            "missing": [missing.status_code, missing.content.decode()],
            "broken": [broken.status_code, broken.content.decode()],
        }))
        """,
        collected_static,
    )
    assert result.returncode == 0, result.stderr
    pages = json.loads(result.stdout.splitlines()[-1])
    status, body = pages["missing"]
    assert status == 404
    assert "We could not find that page" in body
    assert "Using the URLconf" not in body and "DEBUG = True" not in body
    status, body = pages["broken"]
    assert status == 500
    assert "Something went wrong on our side" in body
    assert "Traceback" not in body and "DEBUG = True" not in body
