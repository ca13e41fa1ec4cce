"""Read replica routing (`DATABASE_REPLICA_URL`): reads that tolerate lag go to the replica.

What goes to the replica: GET/HEAD requests for KPIs and reports (`api/v1/kpis/…`, the
forecast, risk, worklist, reliability and funnel reports, the dashboard), list endpoints
(a viewset's `list`) and CSV exports. Everything else reads the primary: single objects (a
client reads back what it just wrote), GraphQL (one POST endpoint for reads and writes),
the admin, management commands and the worker, and any read inside a transaction.

Read-your-writes: after a client's write (any non-GET request that did not fail), its reads
stay on the primary for `O2C_REPLICA_PIN_SECONDS` (set it above the replica's lag). The
client is its `Authorization` header or session cookie, hashed, kept in Django's cache: with
several app servers that cache must be shared: it is, by default (the database, or Redis with
`CACHE_URL`: o2c_api/caches.py).
"""

import contextvars
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

_read_alias: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "o2c_read_alias", default=None
)

REPLICA_PREFIXES = (
    "api/v1/kpis/",
    "api/v1/forecast/",
    "api/v1/risk/",
    "api/v1/worklist/",
    "api/v1/playbook-funnel/",
    "api/v1/promise-reliability/",
    "dashboard/",
)
SAFE_METHODS = ("GET", "HEAD")


def read_alias() -> str:
    """The database a read of the domain tables goes to now: the replica while a request the
    middleware sent there runs, unless inside a transaction; else the primary.

    The ORM's reads ask it through the router; the reads in raw SQL ask it directly (the KPI
    engine's queries compiled once, `o2c_api.sqlcache`; the cash forecast; the risk score),
    which `connection.cursor()` would send to the primary.
    """
    alias = _read_alias.get()
    if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return alias


class ReplicaRouter:
    """Writes to the primary; reads to the replica only when the request allows it."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label == "django_cache":
            return DEFAULT_DB_ALIAS  # the shared cache (throttle counters) never lags
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS or db != settings.O2C_REPLICA_ALIAS


def client_key(request) -> str | None:
    credential = request.META.get("HTTP_AUTHORIZATION") or request.COOKIES.get(
        settings.SESSION_COOKIE_NAME
    )
    if not credential:
        return None
    return "o2c:wrote:" + hashlib.sha256(credential.encode()).hexdigest()[:32]


def replica_eligible(request, view_func) -> bool:
    """KPI and report reads, lists and CSV exports (see the module doc)."""
    if request.method not in SAFE_METHODS:
        return False
    route = request.resolver_match.route if request.resolver_match else ""
    if route.startswith(REPLICA_PREFIXES):
        return True
    if request.GET.get("format") == "csv" or "export" in request.GET:
        return True
    actions = getattr(view_func, "actions", None) or {}
    return actions.get("get") == "list"


class ReplicaMiddleware:
    """Chooses the read database of each request and pins a client after its writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _read_alias.set(None)
        try:
            response = self.get_response(request)
        finally:
            _read_alias.reset(token)
        alias = settings.O2C_REPLICA_ALIAS
        if alias and request.method not in SAFE_METHODS and response.status_code < 400:
            key = client_key(request)
            if key:
                cache.set(key, 1, settings.O2C_REPLICA_PIN_SECONDS)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        alias = settings.O2C_REPLICA_ALIAS
        if not alias or not replica_eligible(request, view_func):
            return
        key = client_key(request)
        if key and cache.get(key):
            return  # this client wrote a moment ago: read its own writes
        _read_alias.set(alias)
        return
