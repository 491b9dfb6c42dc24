"""Omniflow settings, read once at start-up from the environment (see .env.example).

With nothing set the app runs on an embedded default: SQLite under ./var (the database, and
a second file as the Celery broker) and a local-memory cache. Set DATABASE_URL and REDIS_URL
for PostgreSQL and Redis.
"""

import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _dev_secret_key() -> str:
    """Return the checkout's development secret (`make run` writes it), or a fixed dev-only one.

    Settings create no files: `make run` prepares ./var, so importing settings on a read-only
    install (a container, a fresh clone) writes nothing.
    """
    key_file = VAR_DIR / "dev-secret-key"
    if key_file.exists():
        return key_file.read_text().strip()
    return "django-insecure-development-only-" + hashlib.sha256(str(BASE_DIR).encode()).hexdigest()


DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY: DEBUG is off, so this is not a dev machine.")
    SECRET_KEY = _dev_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    # Redoc's files, served by us: the API docs load nothing from a CDN (see omniflow/csp.py).
    "drf_spectacular_sidecar",
    "workspaces",
    "apikeys",
    "inbox",
    "webhooks",
    "inbound",
    "agenttools",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "omniflow.csp.ContentSecurityPolicyMiddleware",
    # Outside the others, so it counts the status a client really got (see /metrics).
    "omniflow.metrics.MetricsMiddleware",
    # Our 404 page and API problem JSON with DEBUG on too (Django's debug page otherwise).
    "omniflow.not_found.NotFoundPageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's session, CSRF, authentication and messages middleware, skipped for /api/v1/
    # (keys, no sessions): see omniflow/page_middleware.py.
    "omniflow.page_middleware.PageSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "omniflow.page_middleware.PageCsrfViewMiddleware",
    "omniflow.page_middleware.PageAuthenticationMiddleware",
    "omniflow.page_middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apikeys.middleware.RateLimitHeadersMiddleware",
    "omniflow.api.limits.BodySizeLimitMiddleware",
    # Stores what a POST that claimed an Idempotency-Key answered; the claim itself is made by
    # the API view after authentication and scope (omniflow/api/idempotency.py).
    "omniflow.api.idempotency.IdempotencyMiddleware",
]

# Django's "no CSRF middleware" looks for its class path by name and cannot see
# PageCsrfViewMiddleware; omniflow.W003/W016 (omniflow/page_middleware.py) check the same, by class.
SILENCED_SYSTEM_CHECKS = ["security.W003"]

ROOT_URLCONF = "omniflow.urls"
WSGI_APPLICATION = "omniflow.wsgi.application"

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
                "workspaces.context_processors.current_workspace",
                "workspaces.context_processors.settings_nav",
                # The "no worker" banner of Settings pages (templates/settings/_worker_banner.html).
                "webhooks.operations.worker_status",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'omniflow.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with a health check that costs no round trip (omniflow/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "omniflow.db.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write the one file. WAL lets readers go on while one writes;
    # synchronous=NORMAL is WAL's safe mode (a power cut loses at most the last commits, never
    # the file) and spares `make run`'s first migrate an fsync per migration. IMMEDIATE takes
    # the write lock when a transaction begins: a deferred one that reads and then writes
    # cannot wait for the lock (SQLite answers "database is locked" at once, whatever the
    # timeout), while an immediate one waits up to `timeout` seconds like any other writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache (rate-limit counters, key lookups) and Celery broker --------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, cheaper per call (see omniflow/cache.py).
            "BACKEND": "omniflow.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="omniflow"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The embedded default's broker: kombu's SQLAlchemy transport on a SQLite file of its own.
# A message is one row, written and taken in a transaction (the consumer's BEGIN IMMEDIATE),
# so no reader ever sees half of one; the file-system transport's readers could, and an empty
# file killed the worker (kombu #1551). Its own file keeps its polling out of the database's
# lock. It only carries nudges and sweeps: the outbox is the database, so `make run` starts it
# afresh (scripts/run.sh) and a lost message is a delivery the next sweep picks up.
BROKER_SQLITE_PATH = VAR_DIR / "broker.sqlite3"
CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{BROKER_SQLITE_PATH}"
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # SQLAlchemy's create_engine arguments: wait for the file's lock rather than fail.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 20}}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Beat keeps its schedule in memory (no file, so no writable working directory): every entry
# is an interval, and one missed at a restart only waits for its next turn.
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
# Failed log-ins allowed per account and per client IP (omniflow.ratelimits syntax, e.g. 10/15m);
# past either the login page answers 429 until the window resets.
OMNIFLOW_LOGIN_ACCOUNT_RATE = env.str("OMNIFLOW_LOGIN_ACCOUNT_RATE", default="10/15m")
OMNIFLOW_LOGIN_IP_RATE = env.str("OMNIFLOW_LOGIN_IP_RATE", default="50/15m")
LOGIN_REDIRECT_URL = "workspaces:settings-home"
LOGOUT_REDIRECT_URL = "login"
# Member invitations: the emailed link to join a workspace works once, for this many days.
OMNIFLOW_INVITATION_DAYS = env.int("OMNIFLOW_INVITATION_DAYS", default=7)

# --- Email (member invitations, endpoint health notices) ----------------------------------
# EMAIL_URL (django-environ), e.g. smtp+tls://user:password@smtp.example.com:587, or
# EMAIL_HOST with EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS; with
# neither, mail is printed to the console (the tests read Django's locmem outbox).
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Omniflow <no-reply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Where people reach this Omniflow, for links in emails sent without a request (no slash).
OMNIFLOW_PUBLIC_URL = env.str("OMNIFLOW_PUBLIC_URL", default="http://127.0.0.1:8000")

# --- i18n / static ------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve from the app folders when nothing was collected (development, tests).
WHITENOISE_USE_FINDERS = not (BASE_DIR / "staticfiles").exists()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security (production) ----------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Trust X-Forwarded-Proto only when a proxy we run sets it (and strips any a client sent):
# otherwise any client could claim https and get secure-only behaviour over plain http.
OMNIFLOW_TRUSTED_PROXY = env.bool("OMNIFLOW_TRUSTED_PROXY", default=False)
if OMNIFLOW_TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS on https responses: on by default when DEBUG is off; 0 turns it off.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Only our own origin supplies scripts, styles, fonts and images (the API docs: omniflow/csp.py).
OMNIFLOW_CONTENT_SECURITY_POLICY = env.str(
    "OMNIFLOW_CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'",
)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apikeys.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apikeys.permissions.HasApiKeyScope"],
    "DEFAULT_THROTTLE_CLASSES": ["apikeys.throttling.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["omniflow.api.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "omniflow.api.schema.ApiAutoSchema",
    # OPTIONS answers name, description and media types; the schema describes the inputs.
    "DEFAULT_METADATA_CLASS": "omniflow.api.metadata.ApiMetadata",
    "EXCEPTION_HANDLER": "omniflow.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Omniflow API",
    # The introduction's sections come from omniflow/api/introduction.py (a hook below).
    "DESCRIPTION": "",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "REDOC_DIST": "SIDECAR",
    # 3.1: its schemas are JSON Schema 2020-12, and it has a `webhooks` section, where the
    # payload of every event type is documented (webhooks/event_schemas.py).
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": "webhooks.event_schemas.OPENAPI_WEBHOOKS",
    # drf-spectacular's enum hook, then the introduction (one section per topic, the webhooks
    # and their verifiers once) and a curl and a Python sample on every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "omniflow.api.introduction.add_introduction",
        "webhooks.event_schemas.add_webhooks_introduction",
        "omniflow.api.introduction.add_code_samples",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ConversationStatusEnum": "inbox.models.Conversation.Status",
        "TicketStatusEnum": "inbox.models.Ticket.Status",
        "AgentStatusEnum": "inbox.models.Agent.Status",
        "TrainingAttemptStatusEnum": "inbox.models.TrainingAttempt.Status",
        "WebhookDeliveryStatusEnum": "webhooks.models.WebhookDelivery.Status",
        "WebhookEventTypeEnum": "webhooks.events.EVENT_TYPES",
        "ApiKeyAuditActionEnum": "apikeys.models.ApiKeyAuditEntry.Action",
        "InboundTriggerActionEnum": "inbound.models.InboundTrigger.Action",
    },
}

# Largest request body the API accepts; bigger ones get a JSON 413 (documented in the schema).
OMNIFLOW_API_MAX_BODY_BYTES = env.int("OMNIFLOW_API_MAX_BODY_BYTES", default=1024 * 1024)

# --- API keys -----------------------------------------------------------------------------
# Keyed hash of API keys; separate from SECRET_KEY so rotating one does not void the other.
OMNIFLOW_API_KEY_PEPPER = env.str("OMNIFLOW_API_KEY_PEPPER", default="") or SECRET_KEY
# Requests without a valid key, per client IP (REMOTE_ADDR), so keys cannot be guessed at speed.
OMNIFLOW_API_UNAUTHENTICATED_RATE = env.str("OMNIFLOW_API_UNAUTHENTICATED_RATE", default="30/m")

# --- Webhooks -----------------------------------------------------------------------------
OMNIFLOW_SECRETS_KEY = env.str("OMNIFLOW_SECRETS_KEY", default="")
OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS = env.float("OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
OMNIFLOW_WEBHOOK_RETRY_WINDOW_SECONDS = env.int(
    "OMNIFLOW_WEBHOOK_RETRY_WINDOW_SECONDS", default=86400
)
OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS = env.float("OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
# A claim's lease is the request timeout plus this; after it a crashed worker's claim is free.
OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS = env.float(
    "OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS", default=30.0
)
# Requests a worker process has in flight at once, each on its own kept-alive connection.
OMNIFLOW_WEBHOOK_CONCURRENCY = env.int("OMNIFLOW_WEBHOOK_CONCURRENCY", default=64)
# How often the sweeper looks for due deliveries no nudge picked up (retries, crashed workers).
OMNIFLOW_WEBHOOK_SWEEP_SECONDS = env.float("OMNIFLOW_WEBHOOK_SWEEP_SECONDS", default=5.0)
# `/readyz?worker=1` is 503 when the last sweep is older than this (a dead beat or worker)…
OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS = env.float(
    "OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS", default=max(4 * OMNIFLOW_WEBHOOK_SWEEP_SECONDS, 15.0)
)
# …or when the oldest due delivery has waited longer than this (workers too few or stuck).
OMNIFLOW_WEBHOOK_DUE_AGE_LIMIT_SECONDS = env.float(
    "OMNIFLOW_WEBHOOK_DUE_AGE_LIMIT_SECONDS", default=300.0
)

# An endpoint whose every attempt failed for this long is disabled (5 days, as Svix); its
# events are then held, and it is probed every OMNIFLOW_WEBHOOK_PROBE_SECONDS (doubling to
# 24 h) with its oldest held delivery until one succeeds.
OMNIFLOW_WEBHOOK_DISABLE_AFTER_SECONDS = env.float(
    "OMNIFLOW_WEBHOOK_DISABLE_AFTER_SECONDS", default=5 * 86400.0
)
OMNIFLOW_WEBHOOK_PROBE_SECONDS = env.float("OMNIFLOW_WEBHOOK_PROBE_SECONDS", default=3600.0)

# --- Retention and metrics (operations) ---------------------------------------------------
# Succeeded deliveries with their attempts, events no delivery needs any more and inbound
# receipts are pruned after this many days.
OMNIFLOW_RETENTION_DAYS = env.int("OMNIFLOW_RETENTION_DAYS", default=30)
# Failed deliveries stay (and can be replayed) this long, counted from their creation.
OMNIFLOW_FAILED_RETENTION_DAYS = env.int("OMNIFLOW_FAILED_RETENTION_DAYS", default=90)
OMNIFLOW_RETENTION_SWEEP_SECONDS = env.float("OMNIFLOW_RETENTION_SWEEP_SECONDS", default=3600.0)
# Bearer token that /metrics asks for; without one, /metrics is off (404).
OMNIFLOW_METRICS_TOKEN = env.str("OMNIFLOW_METRICS_TOKEN", default="")

CELERY_BEAT_SCHEDULE = {
    "webhooks-sweep": {
        "task": "webhooks.sweep",
        "schedule": OMNIFLOW_WEBHOOK_SWEEP_SECONDS,
        # A sweep that waited longer than one interval is superseded by the next one.
        "options": {"expires": max(OMNIFLOW_WEBHOOK_SWEEP_SECONDS, 1.0)},
    },
    "webhooks-prune": {
        "task": "webhooks.prune",
        "schedule": OMNIFLOW_RETENTION_SWEEP_SECONDS,
        "options": {"expires": OMNIFLOW_RETENTION_SWEEP_SECONDS},
    },
    "inbound-prune": {
        "task": "inbound.prune",
        "schedule": OMNIFLOW_RETENTION_SWEEP_SECONDS,
        "options": {"expires": OMNIFLOW_RETENTION_SWEEP_SECONDS},
    },
}

# --- Agent tools --------------------------------------------------------------------------
# Tool calls of one workspace in flight at once, all its tools together, across every web
# process: more answer concurrency_limited at once, so no tenant holds every web thread.
OMNIFLOW_TOOL_CALLS_PER_WORKSPACE = env.int("OMNIFLOW_TOOL_CALLS_PER_WORKSPACE", default=8)

# --- Inbound webhooks ---------------------------------------------------------------------
# POSTs each trigger takes (omniflow.ratelimits syntax, e.g. 600/m); more get 429 with Retry-After.
OMNIFLOW_INBOUND_RATE = env.str("OMNIFLOW_INBOUND_RATE", default="600/m")
# Most tickets one firing of an inbound rule may change (a rule's own max_tickets overrides it);
# the receipt says when the cap cut a selection short.
OMNIFLOW_INBOUND_RULE_MAX_TICKETS = env.int("OMNIFLOW_INBOUND_RULE_MAX_TICKETS", default=200)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Credentials (trigger URL signatures, keys and tokens) never reach a log line.
    "filters": {
        "redact": {"()": "omniflow.log_redaction.RedactCredentialsFilter"},
        "refusals": {"()": "omniflow.log_refusals.OneLineRefusalsFilter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # On the loggers themselves too: they log request paths and have handlers of their own.
    "loggers": {
        # A 403 or 404 is one line ("Forbidden (Permission denied): /path"), no traceback.
        "django.request": {"filters": ["redact", "refusals"]},
        # runserver's request lines: to our (redacting) console instead of Django's handler.
        "django.server": {"handlers": ["console"], "propagate": False},
    },
}
