"""`/healthz` and `/readyz` for load balancers and orchestrators: unauthenticated and cheap.

Answered by a middleware placed first, so neither the host check (a probe often calls the
pod's IP), the HTTPS redirect, sessions nor authentication run for them.

- `/healthz`: the process answers (no database).
- `/readyz`: the database answers `SELECT 1`, no migration is waiting to be applied (checked
  against the migration files until it passes once; then remembered for the process), and a
  worker (`manage.py run_worker`) was seen within `O2C_WORKER_STALE_SECONDS` (0 skips it).
  503 with the failing checks otherwise.
"""

import json
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpResponse
from django.utils import timezone

_migrations_applied = False


def _json(status: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


def _migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return f"unknown: {type(exc).__name__}"
    if plan:
        return f"{len(plan)} migrations not applied"
    _migrations_applied = True
    return "ok"


def _worker() -> str:
    stale = settings.O2C_WORKER_STALE_SECONDS
    if not stale:
        return "not checked"
    from integrations.models import WorkerHeartbeat

    try:
        recent = WorkerHeartbeat.objects.filter(
            seen_at__gte=timezone.now() - timedelta(seconds=stale)
        ).exists()
    except DatabaseError as exc:
        return f"unknown: {type(exc).__name__}"
    return "ok" if recent else f"no worker seen in the last {stale} s"


def readiness() -> dict[str, str]:
    """The readiness checks, each "ok" or why not (database first: the others need it)."""
    database = _database()
    if database != "ok":
        return {"database": database, "migrations": "unknown", "worker": "unknown"}
    return {"database": database, "migrations": _migrations(), "worker": _worker()}


class HealthMiddleware:
    """Answers `/healthz` and `/readyz` itself; every other request goes on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return _json(200, {"status": "ok"})
        if request.path == "/readyz":
            checks = readiness()
            ready = all(value in ("ok", "not checked") for value in checks.values())
            return _json(200 if ready else 503, {"status": "ok" if ready else "unavailable",
                                                 "checks": checks})  # fmt: skip
        return self.get_response(request)
