"""Settings for o2c-api, read from the environment.

`DATABASE_URL` picks the database (SQLite file by default, PostgreSQL in production),
`SECRET_KEY`, `DEBUG` and `ALLOWED_HOSTS` behave as usual. `O2C_PRODUCTION=1` turns on the
hardening that `manage.py check --deploy` asks for.
"""

import os
from pathlib import Path

import dj_database_url

from o2c_api import caches

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = env_bool("O2C_PRODUCTION", False)
DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when O2C_PRODUCTION is on.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("ALLOWED_HOSTS", "" if PRODUCTION else "*").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]
# Browser apps on other origins (a dashboard) may call the APIs: comma-separated origins,
# e.g. https://dash.example.com. Empty (the default): no CORS headers, same-origin only.
CORS_ALLOWED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("CORS_ALLOWED_ORIGINS", "").split(",")
    if origin.strip()
]
CORS_URLS_REGEX = r"^/(api|graphql)/"
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-csrftoken",
    "x-requested-with",
)
CORS_EXPOSE_HEADERS = ("Content-Disposition", "Idempotent-Replayed", "Retry-After")
CORS_PREFLIGHT_MAX_AGE = 86400

INSTALLED_APPS = [
    "o2c_api.apps.O2CAdminConfig",  # django.contrib.admin with the project's index
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "strawberry_django",
    # Locks out repeated failed sign-ins (admin, API browser login): AXES_* below.
    "axes",
    # The audit trail of money records (o2c_api/audit.py).
    "simple_history",
    "o2c_api",
    "accounts",
    "receivables",
    "metrics",
    "dashboard",
    "outlook",
    "worklist",
    "dunning",
    "django_tasks_db",
    "integrations",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before host checks, HTTPS redirects and authentication.
    "o2c_api.health.HealthMiddleware",
    # Request id, the JSON request log line and the request metrics (o2c_api/observability.py).
    "o2c_api.observability.RequestLogMiddleware",
    # Reads right after a client's own write go to the primary (o2c_api/routers.py).
    "o2c_api.routers.ReplicaMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the collected static files (docs, GraphiQL, dashboard) in production too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before CommonMiddleware and authentication: a preflight is answered here.
    "corsheaders.middleware.CorsMiddleware",
    # Django's own 404/405/413/414 pages under /api/ and /graphql/ become the JSON error shape.
    "o2c_api.api.middleware.JSONErrorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The audit trail's user (the request's) and source (from the path): o2c_api/audit.py.
    "simple_history.middleware.HistoryRequestMiddleware",
    "o2c_api.audit.AuditSourceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: answers a locked-out sign-in attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "o2c_api.urls"
WSGI_APPLICATION = "o2c_api.wsgi.application"
ASGI_APPLICATION = "o2c_api.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and a management command share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compiling the KPI queries' large CASE expressions costs more than it saves
    # (measured: a ten-year weekly series 1.8 s with JIT, 0.3 s without).
    # work_mem: the planner over-estimates the groups of the KPI queries (GROUP BY a CASE over
    # period boundaries: estimated 190k groups, really under 100) and, with the 4 MB default,
    # sorts 1.6M rollup rows on disk instead of hashing them (1.0 s vs 0.37 s at 1M invoices).
    work_mem = os.environ.get("PG_WORK_MEM", "32MB")
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c jit=off -c work_mem={work_mem}"

# Read replica (optional): KPI reads, lists and exports go there, writes and a client's reads
# right after its own write to the primary (o2c_api/routers.py, docs/scaling.md).
O2C_REPLICA_ALIAS = None
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    O2C_REPLICA_ALIAS = "replica"
DATABASE_ROUTERS = ["o2c_api.routers.ReplicaRouter"]
# How long after a write a client's reads stay on the primary (longer than the replica lag).
O2C_REPLICA_PIN_SECONDS = int(os.environ.get("O2C_REPLICA_PIN_SECONDS", "10"))
# The cache every worker process and server shares (throttle counters, the replica pins
# above): the database by default, Redis with CACHE_URL=redis://… (o2c_api/caches.py).
CACHES = {"default": caches.from_url(os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL"))}

# Behind PgBouncer in transaction pooling mode (docs/scaling.md).
if env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False):
    for alias_settings in DATABASES.values():
        alias_settings["DISABLE_SERVER_SIDE_CURSORS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ModelBackend, reading a user's permissions in one query (see accounts/backends.py).
# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.RoleBackend"]

# Failed sign-ins (admin and the API's browser login): after AXES_FAILURE_LIMIT failures for
# one username from one address, that pair is locked out for AXES_COOLOFF_TIME hours.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")

# Request bodies are bounded: a bulk post of 500 payments fits well inside 5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
# Longer addresses are a 414 under /api/ and /graphql/ (filters fit well inside this).
O2C_MAX_URL_LENGTH = int(os.environ.get("O2C_MAX_URL_LENGTH", "8192"))

# One JSON line per request on the `o2c.requests` logger (method, route, status, latency,
# client, request id); on by default in production. Other records stay plain text unless
# O2C_JSON_LOGS is on, then they are JSON too.
O2C_JSON_LOGS = env_bool("O2C_JSON_LOGS", PRODUCTION)
O2C_REQUEST_LOG = env_bool("O2C_REQUEST_LOG", O2C_JSON_LOGS)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "json": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {
        "handlers": ["json" if O2C_JSON_LOGS else "console"],
        "level": os.environ.get("LOG_LEVEL", "WARNING"),
    },
    "loggers": {
        "o2c.requests": {"handlers": ["json"], "level": "INFO", "propagate": False},
        # Each task's start and end at INFO would be a line every few seconds.
        "django.tasks": {"level": os.environ.get("TASKS_LOG_LEVEL", "WARNING")},
        "django_tasks_db": {"level": os.environ.get("TASKS_LOG_LEVEL", "WARNING")},
    },
}

# Prometheus metrics at /metrics (request latency by route, payments posted, events, webhook
# failures). With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (see docs/scaling.md).
O2C_METRICS = env_bool("O2C_METRICS", False)

# --- Background jobs, webhooks, health ---------------------------------------------------

# Django's tasks framework with django-tasks-db: the queue is a table of this database, run
# by `manage.py run_worker`. docs/scaling.md shows a broker-backed backend instead.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
O2C_WEBHOOK_TIMEOUT_SECONDS = int(os.environ.get("O2C_WEBHOOK_TIMEOUT_SECONDS", "5"))
O2C_WEBHOOK_RETRY_BASE_SECONDS = int(os.environ.get("O2C_WEBHOOK_RETRY_BASE_SECONDS", "30"))
O2C_WEBHOOK_RETRY_CAP_SECONDS = int(os.environ.get("O2C_WEBHOOK_RETRY_CAP_SECONDS", "3600"))
O2C_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("O2C_WEBHOOK_MAX_ATTEMPTS", "10"))
O2C_WEBHOOK_DISABLE_AFTER = int(os.environ.get("O2C_WEBHOOK_DISABLE_AFTER", "20"))
# Events (and their webhook deliveries) older than this are purged by the daily job.
O2C_EVENT_RETENTION_DAYS = int(os.environ.get("O2C_EVENT_RETENTION_DAYS", "90"))
# /readyz wants a worker heartbeat younger than this (0: do not check the worker).
O2C_WORKER_STALE_SECONDS = int(os.environ.get("O2C_WORKER_STALE_SECONDS", "60"))
# The dashboard's cash outlook and risk bands show figures computed at most this long ago
# (dashboard.stored); the worker's refresh_panels job computes them before they expire.
O2C_PANEL_MAX_AGE_SECONDS = int(os.environ.get("O2C_PANEL_MAX_AGE_SECONDS", "900"))

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes and the metrics scraper talk plain HTTP to the app server.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# The audit trail (o2c_api/audit.py) is read in the admin, never used to restore a version:
# money moves only through the services.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Domain settings -------------------------------------------------------------------

# The currency KPIs are computed in when a scope names none; amounts never cross currencies.
O2C_BASE_CURRENCY = os.environ.get("O2C_BASE_CURRENCY", "USD")
# Opt-in: leftover cash of a posted payment is applied to the oldest open invoices.
O2C_AUTO_APPLY_OLDEST_FIRST = env_bool("O2C_AUTO_APPLY_OLDEST_FIRST", False)
# The longest KPI period a client may ask for, in days (ten years).
O2C_MAX_PERIOD_DAYS = int(os.environ.get("O2C_MAX_PERIOD_DAYS", str(366 * 10)))
# "What changed" names a KPI whose value moved by more than this relative amount.
O2C_WHAT_CHANGED_RELATIVE = os.environ.get("O2C_WHAT_CHANGED_RELATIVE", "0.10")
# How long an Idempotency-Key is remembered.
O2C_IDEMPOTENCY_TTL_HOURS = int(os.environ.get("O2C_IDEMPOTENCY_TTL_HOURS", "48"))
# A key still "in progress" after this long belongs to a request that died: a retry takes over.
O2C_IDEMPOTENCY_STALE_SECONDS = int(os.environ.get("O2C_IDEMPOTENCY_STALE_SECONDS", "300"))
O2C_BULK_MAX_ITEMS = 500

# --- APIs ------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # `Authorization: Token <key>`, looked up by the key's digest (accounts/tokens.py).
        "accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # Last: counts requests that sent no credentials against the anonymous rate.
        "o2c_api.api.throttling.AnonymousRateLimit",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["o2c_api.api.throttling.ClientRateThrottle"],
    # JSON bodies only: a form body carries every value as text ("true", "0"), which the
    # strict fields (o2c_api/api/fields.py) would have to coerce. Another content type is a
    # 415 `unsupported_media_type`. The browsable API keeps its raw JSON form; the admin and
    # the dashboard's pages are Django views, not DRF's, and keep their HTML forms.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PERMISSION_CLASSES": ["o2c_api.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "o2c_api.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "o2c_api.api.filters.StableOrderingFilter",
    ],
    "EXCEPTION_HANDLER": "o2c_api.api.exceptions.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "o2c_api.api.negotiation.StrictContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "o2c_api.api.schema.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}


def throttle_rate(name: str, default: str) -> str | None:
    """A rate such as "1200/min" from the environment; "off" (or empty) means no limit."""
    value = os.environ.get(name, default).strip()
    return None if value.lower() in {"", "off", "none"} else value


# Rate limits (o2c_api/api/throttling.py): per API token, per address without credentials,
# and per address for failed token attempts. Over a rate: 429 `throttled` with Retry-After.
O2C_THROTTLE_RATES = {
    "client": throttle_rate("O2C_THROTTLE_CLIENT", "1200/min"),
    "anon": throttle_rate("O2C_THROTTLE_ANON", "60/min"),
    "failed_auth": throttle_rate("O2C_THROTTLE_FAILED_AUTH", "20/min"),
}
# The OpenAPI schema, Swagger UI and ReDoc for anonymous visitors: on in DEBUG, off by default
# in production (then they need a signed-in user or a token of any role).
O2C_PUBLIC_API_DOCS = env_bool("O2C_PUBLIC_API_DOCS", DEBUG)

SPECTACULAR_SETTINGS = {
    "TITLE": "o2c-api",
    "DESCRIPTION": (
        "Order-to-cash backend: customers, orders, invoices, payments with automatic cash "
        "application, disputes, promises-to-pay, collection activity and the KPIs that move "
        "cash. Every 4xx answers with one error shape: "
        '`{"errors": [{"code", "field", "message"}]}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Who may read the schema and docs pages: `O2C_PUBLIC_API_DOCS` (o2c_api/api/permissions).
    "SERVE_PERMISSIONS": ["o2c_api.api.permissions.CanReadAPIDocs"],
    # The anonymous rate limit is an authenticator of no scheme: the schema lists the real ones.
    "AUTHENTICATION_WHITELIST": [
        "accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # The project's serializer bases document themselves for developers: a serializer without
    # a docstring gets no description rather than theirs.
    "GET_LIB_DOC_EXCLUDES": "o2c_api.api.schema.lib_doc_excludes",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "o2c_api.api.schema.link_creates_to_their_routes",
        "o2c_api.api.schema.empty_query_values_mean_absent",
        "o2c_api.api.schema.state_date_bounds",
    ],
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status` (or `kind`, `resolution`) with its own choices: name each.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "receivables.models.Order.Status",
        "InvoiceStatusEnum": "receivables.models.Invoice.Status",
        "NewInvoiceStatusEnum": [("draft", "Draft"), ("open", "Open")],
        "DisputeStatusEnum": "receivables.models.Dispute.Status",
        "DisputeResolutionEnum": "receivables.models.Dispute.Resolution",
        "PromiseStatusEnum": "receivables.models.PromiseToPay.Status",
        "AdjustmentKindEnum": "receivables.models.Adjustment.Kind",
        "ActivityKindEnum": "receivables.models.CollectionActivity.Kind",
        "ActivityOutcomeEnum": "receivables.models.CollectionActivity.Outcome",
        "KpiStatusEnum": [("green", "Green"), ("amber", "Amber"), ("red", "Red")],
    },
}

STRAWBERRY_DJANGO = {
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
    "PAGINATION_DEFAULT_LIMIT": 50,
    "PAGINATION_MAX_LIMIT": 500,
    "DEFAULT_PK_FIELD_NAME": "id",
}
O2C_GRAPHIQL = env_bool("O2C_GRAPHIQL", DEBUG)
O2C_GRAPHQL_INTROSPECTION = env_bool("O2C_GRAPHQL_INTROSPECTION", DEBUG)
# Cost limits of one GraphQL document: nesting depth (customers.results.invoices.results...
# counts every level), aliases (a dashboard's tile grid aliases its KPI fields) and tokens.
O2C_GRAPHQL_MAX_DEPTH = int(os.environ.get("O2C_GRAPHQL_MAX_DEPTH", "10"))
O2C_GRAPHQL_MAX_ALIASES = int(os.environ.get("O2C_GRAPHQL_MAX_ALIASES", "30"))
O2C_GRAPHQL_MAX_TOKENS = int(os.environ.get("O2C_GRAPHQL_MAX_TOKENS", "2000"))

# --- Input bounds (o2c_api/bounds.py) ----------------------------------------------------

# Every date and timestamp a client sends (KPI periods, as_of, filters, documents' dates)
# lies in this range; any other is a 400 `date_out_of_range`.
O2C_DATE_MIN = os.environ.get("O2C_DATE_MIN", "1900-01-01")
O2C_DATE_MAX = os.environ.get("O2C_DATE_MAX", "2200-12-31")
# JSON bodies (REST writes, /graphql/) nesting deeper are a 400 `invalid_json`, checked on the
# raw bytes before any parser recurses (the deepest real body, a bulk post, nests 4 levels).
O2C_MAX_JSON_DEPTH = int(os.environ.get("O2C_MAX_JSON_DEPTH", "32"))
# Points of the KPI series one request may ask for (keys × sub-periods): a ten-year weekly
# series of one KPI is 523 points. Over it: `too_many_points` (REST 400 and GraphQL alike);
# GraphQL also counts the points in a document's cost (below).
O2C_MAX_SERIES_POINTS = int(os.environ.get("O2C_MAX_SERIES_POINTS", "600"))
# The most a GraphQL document may cost, computed before it runs (o2c_api/graphql/guard.py):
# a row a list may return costs 1, a KPI series point or breakdown group 200. Over it: an
# error `query_too_costly` and nothing runs.
O2C_GRAPHQL_MAX_COST = int(os.environ.get("O2C_GRAPHQL_MAX_COST", "300000"))
