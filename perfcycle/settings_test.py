"""Test settings: the real PostgreSQL and Redis on 127.0.0.1, never SQLite."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfcycle")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/15")

from perfcycle.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not os.environ.get("EMAIL_HOST"):  # a worker subprocess may send to a test's SMTP sink
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405

# Several test runs at once on one machine (parallel work) each need their own database.
if os.environ.get("PERFCYCLE_TEST_DB"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["PERFCYCLE_TEST_DB"]}  # noqa: F405
    # ... and their own default Celery queue, so one run's worker never takes another's tasks.
    CELERY_TASK_DEFAULT_QUEUE = f"celery-{os.environ['PERFCYCLE_TEST_DB']}"

# Rate-limit counters in this process's memory: the test client runs in it, and nothing shared
# with other test runs is touched (tests/conftest.py clears it between tests).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
