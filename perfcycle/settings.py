"""PerfCycle settings.

Everything comes from environment variables. With none set the app runs on embedded
defaults (a SQLite file and Celery's filesystem broker) so that ``make run`` works on a
machine with nothing but Python; production sets DATABASE_URL, CELERY_BROKER_URL,
SECRET_KEY, ALLOWED_HOSTS and the email variables (see README).
"""

import importlib.util
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PERFCYCLE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# No configuration at all means a developer's machine: DEBUG defaults to on only while no
# SECRET_KEY is set. Production always sets SECRET_KEY, so there DEBUG defaults to off.
DEBUG = env_bool("DEBUG", not os.environ.get("SECRET_KEY"))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for development).")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "template_partials",
    "perfcycle",
    "goals",
    "implementation",
    "appraisal",
    "feedback",
    "application",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "perfcycle.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "perfcycle.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "perfcycle.wsgi.application"

if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'perfcycle.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}

AUTH_USER_MODEL = "perfcycle.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Bootstrap's dist files come from the bootstrap-wrapper package on PyPI: nothing from a CDN.
_bootstrap_spec = importlib.util.find_spec("bootstrap")
STATICFILES_DIRS = [BASE_DIR / "static"]
if _bootstrap_spec and _bootstrap_spec.submodule_search_locations:
    STATICFILES_DIRS.append(("bootstrap", list(_bootstrap_spec.submodule_search_locations)[0]))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files (evidence attachments) live outside the web root and are served by views.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# A mail server that stops answering costs a worker at most this per message (well below
# the outbox's 1-minute lease of a claimed row).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "PerfCycle <perfcycle@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. Without CELERY_BROKER_URL, kombu's filesystem transport needs no server.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # An unacknowledged task (its worker died) is redelivered after this; a bit above
        # the hard time limit, so a task still running is never handed out twice.
        "visibility_timeout": 360,
        # Publishing gives up at once when the broker is unreachable (no reconnect loop):
        # the request path enqueues at most once per transaction and the outbox sweep
        # sends what the broker missed. ~5 ms with Redis refusing connections, at most
        # the 2 s connect timeout with Redis unreachable, instead of 0.6-6 s per call.
        "max_retries": 0,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
    }
# Sizing (measured at 10,000 people, bench/README.md): the longest nightly task takes
# ~6 s (deviation detection; ~30 s at 50,000), an email chunk of 500 over one SMTP
# connection ~25 s. Soft limit 4 min (the email chunk stops cleanly and leaves the rest
# in the outbox), hard limit 5 min, visibility timeout 6 min (above), and retry countdowns
# capped at 2 min (tasks' retry_backoff_max): an ETA longer than the visibility timeout
# would be redelivered while it waits.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
# Every task here is idempotent (unique keys, send-once claims, claimed outbox rows), so
# all are acknowledged late: a task whose worker dies is run again, not lost. A task that
# is not idempotent must say acks_late=False. Requeueing when a worker *process* dies is
# opt-in per task (the email tasks), where a poison message cannot loop forever.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# The one place where every schedule lives.
CELERY_BEAT_SCHEDULE = {
    "deliver-pending-emails": {
        "task": "perfcycle.tasks.deliver_pending_emails",
        "schedule": 60.0,
    },
    "health-check": {
        "task": "perfcycle.tasks.health_check",
        "schedule": crontab(minute="*/15"),
    },
    # Cycles set to advance automatically move on soon after midnight past a deadline.
    "advance-due-phases": {
        "task": "perfcycle.tasks.advance_due_phases",
        "schedule": crontab(minute="*/15"),
    },
    # Planning (stage 1): everyone not ready with their goals hears once a day.
    "goals-planning-reminders": {
        "task": "goals.tasks.send_all_planning_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    # Implementation (stage 2): check-ins, deviations, reminders and digests.
    "implementation-open-checkins": {
        "task": "implementation.tasks.open_checkins_task",
        "schedule": crontab(hour=1, minute=0),
    },
    "implementation-mark-missed-checkins": {
        "task": "implementation.tasks.mark_missed_task",
        "schedule": crontab(hour=1, minute=0),
    },
    "implementation-detect-deviations": {
        "task": "implementation.tasks.detect_deviations_task",
        "schedule": crontab(hour=2, minute=0),
    },
    "implementation-checkin-reminders": {
        "task": "implementation.tasks.send_checkin_reminders_task",
        "schedule": crontab(hour=8, minute=0),
    },
    "implementation-overdue-nudges": {
        "task": "implementation.tasks.send_overdue_nudges_task",
        "schedule": crontab(hour=8, minute=0),
    },
    "implementation-manager-digests": {
        "task": "implementation.tasks.send_manager_digests_task",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
    },
    "implementation-follow-up-reminders": {
        "task": "implementation.tasks.send_follow_up_reminders_task",
        "schedule": crontab(hour=8, minute=30),
    },
}

# Production hardening: on whenever DEBUG is off.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a one-way commitment for the whole domain; opt in with the variable.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

PERFCYCLE_HR_GROUP = "HR admins"
