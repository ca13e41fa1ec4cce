"""Request ids, the JSON request log and the Prometheus metrics.

`RequestLogMiddleware` gives each request an id (the client's `X-Request-ID` when it is a
sane token, else a new one; echoed in the response), logs one line per request on the
`o2c.requests` logger (JSON: method, route, status, latency_ms, client, request_id, user) when
`O2C_REQUEST_LOG` is on, observes the request latency by route when `O2C_METRICS` is on, and
serves `/metrics` then. The route is the URL pattern (`api/v1/invoices/<pk>/`), never the
path, so the metric's label set stays bounded.

With several processes (gunicorn workers, the worker) set `PROMETHEUS_MULTIPROC_DIR` to an
empty directory shared by them: prometheus-client then aggregates every process's values.
"""

import functools
import logging
import os
import re
import time
import uuid

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

logger = logging.getLogger("o2c.requests")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")

REQUEST_LATENCY = Histogram(
    "o2c_http_request_duration_seconds",
    "Time to answer a request, by route (the URL pattern), method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PAYMENTS_POSTED = Counter("o2c_payments_posted", "Payments posted (committed).")
EVENTS_RECORDED = Counter("o2c_events_recorded", "Domain events committed, by type.", ["type"])
WEBHOOK_FAILURES = Counter("o2c_webhook_failures", "Webhook delivery attempts that failed.")


def metrics_enabled() -> bool:
    return settings.O2C_METRICS


def count_events(counts: dict[str, int]) -> None:
    """Count committed events (called on commit by `integrations.events.record_many`)."""
    for event_type, count in counts.items():
        EVENTS_RECORDED.labels(event_type).inc(count)
        if event_type == "payment.posted":
            PAYMENTS_POSTED.inc(count)


def count_webhook_failure() -> None:
    if metrics_enabled():
        WEBHOOK_FAILURES.inc()


def metrics_response() -> HttpResponse:
    """The exposition text of every metric (of all processes in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@functools.lru_cache(maxsize=1024)
def readable_route(route: str) -> str:
    """A URL pattern as people write it: `api/v1/invoices/<pk>/` for DRF's router regexes."""
    return NAMED_GROUP.sub(r"<\1>", route).replace("^", "").replace("$", "")


def client_address(request) -> str:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")


class RequestLogMiddleware:
    """Request id, one JSON log line per request, the latency histogram and `/metrics`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/metrics":
            return metrics_response() if metrics_enabled() else HttpResponseNotFound()
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        response["X-Request-ID"] = request.id
        match = getattr(request, "resolver_match", None)
        route = readable_route(match.route) if match is not None else "<unmatched>"
        if metrics_enabled():
            REQUEST_LATENCY.labels(route, request.method, str(response.status_code)).observe(
                elapsed
            )
        if settings.O2C_REQUEST_LOG:
            user = getattr(request, "user", None)
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "route": route,
                    "path": request.path,
                    "status": response.status_code,
                    "latency_ms": round(elapsed * 1000, 1),
                    "client": client_address(request),
                    "request_id": request.id,
                    "user": user.pk if user is not None and user.is_authenticated else None,
                },
            )
        return response
