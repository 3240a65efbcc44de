"""The one settings module. Everything that differs between sites comes from the environment.

`.env.example` and the README list every variable with its default.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off; "
        "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "accounts",
    "monitoring",
    "telemetry",
    "generation",
    "events",
    "jobs",
    "economics",
    "field",
    "web",
    "demo",
]

MIDDLEWARE = [
    # Compresses what the others wrote (it weakens the ETag, as compressed bytes differ).
    "solarsite.middleware.ApiGZipMiddleware",
    # Then, so it sees every error page any other part made under /api/.
    "solarsite.api_errors.ApiJsonErrorsMiddleware",
    "solarsite.middleware.ApiConditionalGetMiddleware",
    "solarsite.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "solarsite.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.LoginActivityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "solarsite.urls"
WSGI_APPLICATION = "solarsite.wsgi.application"
# Every scheduled job (jobs/table.py reads it from here, as Django reads ROOT_URLCONF).
JOB_TABLE = "solarsite.schedules.JOBS"

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
                "django.template.context_processors.i18n",
            ],
            "libraries": {"admin_dates": "solarsite.admin_dates"},
        },
    },
]


# --- Databases -------------------------------------------------------------------------------
def _database(url: str, *, name: str) -> dict:
    """A DATABASES entry from a URL, with the options each engine needs here."""
    config = env.db_url_config(url)
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets readers go on while the ingest writes; IMMEDIATE takes the write lock at
            # BEGIN so two writers queue on the busy timeout instead of failing on upgrade.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        # File test databases, so a test can start a real server or job process on them.
        config["TEST"] = {"NAME": str(VAR_DIR / f"test_{name}.sqlite3")}
    elif engine in ("django.db.backends.mysql",):
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            "init_command": (
                "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'"
            ),
            "isolation_level": "read committed",
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


VAR_DIR.mkdir(exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)
DATABASES = {
    "default": _database(
        env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'solarsite.sqlite3'}"),
        name="default",
    ),
    "telemetry": _database(
        env.str("TELEMETRY_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'telemetry.sqlite3'}"),
        name="telemetry",
    ),
}
LEGACY_DATABASE_URL = env.str("LEGACY_DATABASE_URL", default="")
# The old system's MongoDB (read-only): import_legacy reads it after the MySQL database.
LEGACY_MONGODB_URI = env.str("LEGACY_MONGODB_URI", default="")
if LEGACY_DATABASE_URL:
    DATABASES["legacy"] = _database(LEGACY_DATABASE_URL, name="legacy")
    DATABASES["legacy"]["TEST"] = {"MIRROR": None, "NAME": None}
DATABASE_ROUTERS = ["solarsite.db_routers.TelemetryRouter"]
# Where raw readings live (telemetry/store.py): "sql" (the telemetry database above) or
# "mongodb" (MONGODB_URI, with the database name in its path). Rollups and the late-hour marks
# stay in the telemetry database either way.
TELEMETRY_STORE = env.str("TELEMETRY_STORE", default="sql")
MONGODB_URI = env.str("MONGODB_URI", default="")
MONGODB_SERVER_SELECTION_TIMEOUT_MS = env.int("MONGODB_SERVER_SELECTION_TIMEOUT_MS", default=5000)
MONGODB_SOCKET_TIMEOUT_MS = env.int("MONGODB_SOCKET_TIMEOUT_MS", default=60000)
if TELEMETRY_STORE not in ("sql", "mongodb"):
    raise ImproperlyConfigured("TELEMETRY_STORE must be 'sql' or 'mongodb'.")
if TELEMETRY_STORE == "mongodb" and not re.match(r"^mongodb(\+srv)?://[^/]*/[^/?]+", MONGODB_URI):
    raise ImproperlyConfigured(
        "TELEMETRY_STORE=mongodb needs MONGODB_URI with a database name, "
        "e.g. mongodb://db-host:27017/solarsite."
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How often each server process rebuilds, in the background, the fleet's rows written since
# (web/refresh.py); 0 turns it off. Only with REDIS_URL: without a shared cache nothing is kept.
FLEET_ROWS_REFRESH_SECONDS = env.float("FLEET_ROWS_REFRESH_SECONDS", default=0.5)

# --- Accounts and sessions --------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
LOGIN_IDLE_MINUTES = env.int("LOGIN_IDLE_MINUTES", default=40)
CONCURRENT_LOGIN = env.str("CONCURRENT_LOGIN", default="refuse")
if CONCURRENT_LOGIN not in ("refuse", "replace"):
    raise ImproperlyConfigured("CONCURRENT_LOGIN must be 'refuse' or 'replace'.")
# Lockout (accounts/lockout.py): a user id from one address is locked first; the user id from
# every address, or one address for every user id, only at a much higher count, so nobody
# locks someone else out with a few guesses.
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=5)
LOGIN_MAX_FAILURES_PER_USER = env.int("LOGIN_MAX_FAILURES_PER_USER", default=50)
LOGIN_MAX_FAILURES_PER_ADDRESS = env.int("LOGIN_MAX_FAILURES_PER_ADDRESS", default=50)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=1)
LOGIN_LOCKOUT_MAX_MINUTES = env.int("LOGIN_LOCKOUT_MAX_MINUTES", default=60)
if min(LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_USER, LOGIN_MAX_FAILURES_PER_ADDRESS) < 1 or (
    not 1 <= LOGIN_LOCKOUT_MINUTES <= LOGIN_LOCKOUT_MAX_MINUTES
):
    raise ImproperlyConfigured(
        "LOGIN_MAX_FAILURES* must be 1 or more, and LOGIN_LOCKOUT_MINUTES 1 or more and at most "
        "LOGIN_LOCKOUT_MAX_MINUTES."
    )
SESSION_COOKIE_AGE = LOGIN_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ko")
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Seoul")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end libraries come from the npm registry at install time (package.json, `npm ci`).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    # the overview's map: Natural Earth's outlines and the projection that draws them
    ("vendor/d3-array", BASE_DIR / "node_modules" / "d3-array" / "dist"),
    ("vendor/d3-geo", BASE_DIR / "node_modules" / "d3-geo" / "dist"),
    ("vendor/topojson-client", BASE_DIR / "node_modules" / "topojson-client" / "dist"),
    ("vendor/world-atlas", BASE_DIR / "node_modules" / "world-atlas"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- E-mail and SMS ---------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="solarsite <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SOLAPI_API_KEY = env.str("SOLAPI_API_KEY", default="")
SOLAPI_API_SECRET = env.str("SOLAPI_API_SECRET", default="")
SOLAPI_SENDER = env.str("SOLAPI_SENDER", default="")
SOLAPI_BASE_URL = env.str("SOLAPI_BASE_URL", default="https://api.solapi.com")
WEBHOOK_SECRET = env.str("WEBHOOK_SECRET", default="")
# Hosts (names, addresses or networks such as 10.0.0.0/8) a webhook may reach although they are
# loopback, private or link-local: by default a webhook may only call public addresses.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
if SMS_BACKEND not in ("console", "solapi"):
    raise ImproperlyConfigured("SMS_BACKEND must be 'console' or 'solapi'.")

# --- Telemetry and monitoring -----------------------------------------------------------------
INGEST_MAX_ITEMS = env.int("INGEST_MAX_ITEMS", default=5000)
RAW_RETENTION_DAYS = env.int("RAW_RETENTION_DAYS", default=400)
REFUSED_READINGS_DAYS = env.int("REFUSED_READINGS_DAYS", default=30)
# A collector refusing more than this share of the items it sent in the last
# REFUSAL_WINDOW_MINUTES (and at least REFUSAL_MIN_ITEMS of them) raises event 302.
REFUSAL_ALARM_SHARE = env.float("REFUSAL_ALARM_SHARE", default=0.2)
REFUSAL_MIN_ITEMS = env.int("REFUSAL_MIN_ITEMS", default=20)
REFUSAL_WINDOW_MINUTES = env.int("REFUSAL_WINDOW_MINUTES", default=60)
COLLECTOR_DOWN_MINUTES = env.int("COLLECTOR_DOWN_MINUTES", default=10)
ESCALATE_MINUTES = env.int("ESCALATE_MINUTES", default=30)
# More than this share of the watched inverters changing state in one pass is a storm
# (the server lost its network, say): administrators get one summary instead.
STORM_SHARE = env.float("STORM_SHARE", default=0.3)
STORM_MIN_SUBJECTS = env.int("STORM_MIN_SUBJECTS", default=20)
WEAK_STRING_SHARE = env.float("WEAK_STRING_SHARE", default=0.5)
WEAK_STRING_MINUTES = env.int("WEAK_STRING_MINUTES", default=30)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=8)
NOTIFY_BATCH_SIZE = env.int("NOTIFY_BATCH_SIZE", default=200)
# The longest wait for one message: a whole SMS or webhook delivery, each step of an SMTP talk.
NOTIFY_TIMEOUT_SECONDS = env.float("NOTIFY_TIMEOUT_SECONDS", default=10.0)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=NOTIFY_TIMEOUT_SECONDS)
# One run of a channel's send job starts no message after this many seconds; the rest wait for
# the next run. With the longest wait for the last message it stays inside the job's minute.
NOTIFY_RUN_SECONDS = env.float("NOTIFY_RUN_SECONDS", default=30.0)
if min(NOTIFY_TIMEOUT_SECONDS, EMAIL_TIMEOUT, NOTIFY_RUN_SECONDS) <= 0 or (
    NOTIFY_RUN_SECONDS + max(NOTIFY_TIMEOUT_SECONDS, EMAIL_TIMEOUT) > 50
):
    raise ImproperlyConfigured(
        "NOTIFY_RUN_SECONDS plus the larger of NOTIFY_TIMEOUT_SECONDS and EMAIL_TIMEOUT must be "
        "positive and at most 50, so a send run ends within its minute; e.g. 30 and 10."
    )
# A command nobody carried out within this many minutes expires (a request may ask for less).
COMMAND_TTL_MINUTES = env.int("COMMAND_TTL_MINUTES", default=60)
# A fetched command with no result after this long is handed out again (the collector died
# mid-command), at most COMMAND_MAX_ATTEMPTS times in all.
COMMAND_RESULT_WAIT_SECONDS = env.int("COMMAND_RESULT_WAIT_SECONDS", default=300)
COMMAND_MAX_ATTEMPTS = env.int("COMMAND_MAX_ATTEMPTS", default=3)
if COMMAND_TTL_MINUTES < 1 or COMMAND_RESULT_WAIT_SECONDS < 1 or COMMAND_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured(
        "COMMAND_TTL_MINUTES, COMMAND_RESULT_WAIT_SECONDS and COMMAND_MAX_ATTEMPTS must be whole "
        "numbers of 1 or more."
    )

# --- Jobs (django-q2) -------------------------------------------------------------------------
# Each notification channel has its own job every minute, and a run of one may wait on its
# peer for up to ~40 s: four workers leave room for detection and the other channels meanwhile.
# `timeout` is the default kill time of a run (a job in solarsite/schedules.py may set a shorter
# one); `retry` (ORM broker: a task not finished by then is handed out again) stays above it.
Q_CLUSTER = {
    # Also the Redis key prefix: two sites (or a test) sharing one Redis need different names.
    "name": env.str("Q_QUEUE_NAME", default="solarsite"),
    "workers": env.int("Q_WORKERS", default=4),
    "timeout": 300,
    "retry": 600,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 1000,
    # django-q2's section of the admin, beside the jobs app's own "Jobs" (the runs)
    "label": _("Job queue"),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
# Every scheduled run leaves a JobRun (about 4,300 a day); the purge_job_runs job deletes older.
JOB_RUN_RETENTION_DAYS = env.int("JOB_RUN_RETENTION_DAYS", default=30)
if JOB_RUN_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("JOB_RUN_RETENTION_DAYS must be a whole number of days, 1 or more.")

# --- Generation rollups (generation/rollups.py) -----------------------------------------------
# The interval a collector sends readings at: an hour expects 3600 / this many readings.
READING_INTERVAL_SECONDS = env.int("READING_INTERVAL_SECONDS", default=60)
# Readings further apart than this are a gap: the energy between them is spread (estimated)
# over the hours it spans instead of being piled into one.
ROLLUP_MAX_GAP_MINUTES = env.int("ROLLUP_MAX_GAP_MINUTES", default=15)
# A plant whose specific yield is below this share of its region's median that day is flagged.
UNDERPERFORMING_SHARE = env.float("UNDERPERFORMING_SHARE", default=0.7)
if READING_INTERVAL_SECONDS < 1 or ROLLUP_MAX_GAP_MINUTES < 1:
    raise ImproperlyConfigured(
        "READING_INTERVAL_SECONDS and ROLLUP_MAX_GAP_MINUTES must be whole numbers of 1 or more."
    )
if not 0 < UNDERPERFORMING_SHARE <= 1:
    raise ImproperlyConfigured("UNDERPERFORMING_SHARE must be a share between 0 and 1, e.g. 0.7.")

# A TrueType font with Hangul for the monthly report PDF; empty: look for Debian's fonts-nanum.
REPORT_FONT_PATH = env.str("REPORT_FONT_PATH", default="")

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "solarsite.api_schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    # Throttles count per REMOTE_ADDR, which ClientAddressMiddleware already took from a trusted
    # proxy's header; DRF must not read X-Forwarded-For itself (any client can send one).
    "NUM_PROXIES": 0,
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "EXCEPTION_HANDLER": "solarsite.api_errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "solarsite.api_views.Pagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "solarsite.api_throttles.AnonThrottle",
        "solarsite.api_throttles.UserThrottle",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "solarsite.api_renderers.JSONRenderer",
        "solarsite.api_renderers.BrowsableAPIRenderer",
    ],
}
# Throttle counters live in the default cache: Redis (shared by every worker) when REDIS_URL is
# set, else each process's memory.
API_THROTTLE_RATES = {
    "anon": env.str("API_THROTTLE_ANON", default="60/min"),
    "user": env.str("API_THROTTLE_USER", default="1200/min"),
    "login": env.str("API_THROTTLE_LOGIN", default="10/min"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "solarsite API",
    # Semantic: a client generator makes it its package's version.
    "VERSION": "1.0.0",
    "DEFAULT_GENERATOR_CLASS": "solarsite.api_schema.SchemaGenerator",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "DESCRIPTION": "Plants, inverters, generation and alarms of the stations you may see. "
    "Send `Authorization: Token <token>` from POST /api/v1/auth/login. Every 4xx answer is "
    '`{"error": code, "detail": sentence, "fields": {name: [sentences]}}`.',
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v[0-9]+",
    # Three models have a field named "kind"; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "CommandKindEnum": "monitoring.models.Command.Kind",
        "SensorKindEnum": "monitoring.models.Sensor.Kind",
        "PlantStateEnum": "monitoring.states.PlantState",
        "StationStatusEnum": "monitoring.models.PowerStation.Status",
    },
}

# --- Security (production) --------------------------------------------------------------------
# The client's address (login lockout, throttles, login history, collectors' addresses) comes
# from CLIENT_ADDRESS_HEADER only on requests from one of these proxies (solarsite/middleware.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an address or network, e.g. 10.0.0.5 or "
            "10.0.0.0/24."
        ) from None
CLIENT_ADDRESS_HEADER = env.str("CLIENT_ADDRESS_HEADER", default="X-Forwarded-For")
if CLIENT_ADDRESS_HEADER.lower() not in ("x-forwarded-for", "x-real-ip"):
    raise ImproperlyConfigured("CLIENT_ADDRESS_HEADER must be 'X-Forwarded-For' or 'X-Real-IP'.")
# Who may read the database errors of /healthz besides administrators: `Authorization: Bearer`.
HEALTHZ_TOKEN = env.str("HEALTHZ_TOKEN", default="")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # HSTS preload is the site owner's decision

# One console handler, on the root: Django's own "django" logger would print a request's
# warning a second time with DEBUG on, so it keeps only the mail to ADMINS and passes the rest
# up. django-q tells every scheduled run at INFO (about ten lines a minute): warnings only,
# unless Q_LOG_LEVEL asks for more.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "django-q": {"level": env.str("Q_LOG_LEVEL", default="WARNING")},
    },
}
