"""PerfCycle settings.

Everything comes from environment variables. With none set the app runs on embedded
defaults (a SQLite file and Celery's filesystem broker) so that ``make run`` works on a
machine with nothing but Python; production sets DATABASE_URL, CELERY_BROKER_URL,
SECRET_KEY, ALLOWED_HOSTS and the email variables (see README).
"""

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PERFCYCLE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Two ways to run. With SECRET_KEY set, PerfCycle is deployed: behind an HTTPS proxy, DEBUG off
# unless asked for, every production safeguard on. Without it, PerfCycle runs on this machine
# only ("local": `make run`, `make dev`, the tests): served over plain http on 127.0.0.1, with a
# secret key generated once and kept under var/. DEBUG is never implied: `make dev` sets DEBUG=1.
LOCAL = not os.environ.get("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]


def local_secret_key(path: Path) -> str:
    """This machine's secret key: read from `path`, or made and written there once.

    Written to a temporary file and linked into place, so that processes starting together
    (gunicorn's workers, Celery) all end up with the one key whoever writes first."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(get_random_secret_key())
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


if LOCAL:
    SECRET_KEY = local_secret_key(VAR_DIR / "secret_key")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ",".join(LOOPBACK_HOSTS))
    if not set(ALLOWED_HOSTS) <= set(LOOPBACK_HOSTS):
        raise ImproperlyConfigured(
            "Set SECRET_KEY: without it PerfCycle serves this machine only "
            f"(ALLOWED_HOSTS {', '.join(LOOPBACK_HOSTS)})."
        )
else:
    SECRET_KEY = os.environ["SECRET_KEY"]
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
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
    "axes",
    "csp",
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
    "perfcycle.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that it sees the login view's answer and can turn it into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "perfcycle.urls"
# bench/pages.py serves a one-query page at /bench/floor/ to compare requests/s against.
BENCH_FLOOR_PAGE = env_bool("PERFCYCLE_BENCH_FLOOR_PAGE", False)

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
            # format_date, format_date_range, format_number… in every template, no {% load %}.
            "builtins": ["perfcycle.templatetags.formatting"],
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: a page's queries run in milliseconds, but a recursive CTE (the
    # reporting chain) makes the planner over-estimate rows, cross jit_above_cost and spend
    # 40-50 ms compiling a 60 ms query (the alignment tree, HR's evidence list).
    # Prepared statements (perfcycle/compiled.py) planned once, not on every run.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c jit=off -c plan_cache_mode=force_generic_plan"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several people saving at once: each write transaction takes the write lock when it
    # begins (so none fails half-way with "database is locked"), waits up to 20 s for it, and
    # readers never block the writer (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# Counters shared by every web process (password-reset rate limits): in the database unless a
# Redis cache is configured. The table is made by `manage.py createcachetable` (make migrate).
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "perfcycle_cache",
        }
    }

AUTH_USER_MODEL = "perfcycle.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "perfcycle.throttling.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
# One language until PerfCycle ships translations: without this list LocaleMiddleware
# would follow the browser's Accept-Language to "en-us" and show "Dec. 17, 2026".
LANGUAGES = [("en-gb", "English")]
# PerfCycle's own en-GB formats (24-hour clock; ISO and dd/mm/yyyy both parse).
FORMAT_MODULE_PATH = ["perfcycle.locale_formats"]
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
# Where the site is reached from outside, for links in files that leave it (the URL of a
# calendar invitation must be absolute).
PERFCYCLE_SITE_URL = os.environ.get("PERFCYCLE_SITE_URL", "http://localhost:8000").rstrip("/")

# Celery. Without CELERY_BROKER_URL, kombu's filesystem transport needs no server.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "control_folder": str(_broker_dir / "control"),
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
    # HR home's stored roll-ups: drop the change log's old rows (perfcycle/rollups.py).
    "prune-rollup-changes": {
        "task": "perfcycle.tasks.prune_rollup_changes",
        "schedule": crontab(minute=17),
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
    # Appraisal (stage 3): self-assessments locked at their deadline, reviewers reminded,
    # overdue reviews escalated to HR.
    "appraisal-deadlines": {
        "task": "appraisal.tasks.appraisal_deadlines_task",
        "schedule": crontab(hour=1, minute=30),
    },
    # Appraisal (stage 3), peer input: remind once before the due date, expire after it.
    "appraisal-peer-deadlines": {
        "task": "appraisal.tasks.peer_deadlines_task",
        "schedule": crontab(hour=6, minute=30),
    },
    # --- Feedback (stage 4), interview: the reminder the day before, to both sides. ---
    "feedback-interview-reminders": {
        "task": "feedback.tasks_interview.interview_reminders_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # --- Feedback, consensus: answer reminders, "no response" at the deadline, dispute
    # reminders and overdue disputes to HR. ---
    "feedback-consensus-deadlines": {
        "task": "feedback.tasks_consensus.consensus_deadlines_task",
        "schedule": crontab(hour=6, minute=45),
    },
    # --- Feedback (stage 4), next-cycle goals (lane carry) ---
    # Goals agreed in held interviews become drafts of the person's next cycle in planning
    # (the enrolment hook does it at once; this catches interviews recorded later).
    "feedback-carry-over": {
        "task": "feedback.tasks.carry_over_sweep",
        "schedule": crontab(minute=40),
    },
    # --- end of lane carry ---
    # --- Feedback (stage 4), improvement plans (lane plans): agreed plans start on their
    # day, check-points reminded once before, missed a week after.
    "feedback-plan-schedule": {
        "task": "feedback.tasks_plans.plan_schedule_task",
        "schedule": crontab(hour=1, minute=45),
    },
}

# Production hardening: on when deployed (SECRET_KEY set) with DEBUG off. Local mode serves plain
# http on 127.0.0.1, so it keeps no-redirect and cookies that a browser sends over http.
if not LOCAL and not DEBUG:
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
# How many proxies in front of PerfCycle append to X-Forwarded-For: the proxy trusted for
# X-Forwarded-Proto above (one when deployed), none in local mode. Login throttling counts
# attempts by the address that the nearest trusted proxy saw.
TRUSTED_PROXY_COUNT = int(
    os.environ.get("TRUSTED_PROXY_COUNT", "1" if not LOCAL and not DEBUG else "0")
)
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, their per-request query built once per process.
SESSION_ENGINE = "perfcycle.sessions"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Login throttling (django-axes, perfcycle/throttling.py). Failures count per account (from any
# address, known account or not) and per address (across accounts) separately; a success
# clears that account's count. Locked out means the sign-in page answers 429 "too many
# attempts, try again in N minutes" until the cool-off since the last failure has passed.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))  # per account
LOGIN_FAILURE_LIMIT_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_ADDRESS", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
# Knocking on a locked door does not push the end of the cool-off further away, so the
# minutes the page promises are the minutes it takes.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_HANDLER = "perfcycle.throttling.AccountAndAddressHandler"
AXES_LOCKOUT_CALLABLE = "perfcycle.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "perfcycle.throttling.client_ip"
AXES_VERBOSE = False
# Password-reset requests per hour, counted whether or not the address belongs to anyone.
PASSWORD_RESET_LIMIT_PER_EMAIL = 3
PASSWORD_RESET_LIMIT_PER_ADDRESS = 10

# Content-Security-Policy (django-csp) on every response: scripts and style sheets from
# PerfCycle's own static files only, no inline script or <style> element. Inline style
# *attributes* stay allowed (style-src-attr): the templates draw data-sized bars with
# style="width: 42%" and a style attribute cannot run script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        # Bootstrap's CSS draws its icons (menu, close, check marks) as data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

PERFCYCLE_HR_GROUP = "HR admins"

# Policy: when a to-do the workflow gives no date of its own is due, in days after what
# started it (perfcycle.selectors.due_after). Every to-do on a home page has a due date,
# so the list sorts by urgency.
PERFCYCLE_TODO_DUE_DAYS = {
    "checkin_review": 7,  # a submitted check-in is reviewed within a week of submission
    "evidence_verification": 14,  # recorded evidence is verified within two weeks
    "deviation_action": 7,  # a corrective action is agreed within a week of detection
    "adjustment_decision": 7,  # a goal adjustment request is decided within a week
    "import_confirmation": 3,  # a validated organisation import is confirmed or discarded
}
