"""/healthz, /readyz, the JSON request log with its request id, and /metrics."""

import json
import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import WorkerHeartbeat
from o2c_api import health

pytestmark = pytest.mark.django_db


def beat(seconds_ago: int) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="w1",
        hostname="h",
        pid=1,
        started_at=now,
        seen_at=now - timedelta(seconds=seconds_ago),
    )


def test_healthz_answers_without_a_database_or_a_valid_host(client, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert len(queries) == 0


def test_readyz_wants_a_worker_seen_recently(client):
    health._migrations_applied = False
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "worker": "no worker seen in the last 60 s",
        },
    }
    beat(seconds_ago=5)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }
    assert len(queries) == 2  # SELECT 1, the heartbeat (migrations: checked once per process)


def test_readyz_reports_a_stale_worker_and_can_skip_the_check(client, settings):
    beat(seconds_ago=120)
    assert client.get("/readyz").status_code == 503
    settings.O2C_WORKER_STALE_SECONDS = 0
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == "not checked"


def test_readyz_reports_unapplied_migrations(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    health._migrations_applied = False
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [1, 2])
    beat(seconds_ago=0)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "2 migrations not applied"
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def request_log(settings):
    settings.O2C_REQUEST_LOG = True
    handler = Lines()
    logger = logging.getLogger("o2c.requests")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_one_json_line_per_request_with_route_status_latency_client_and_id(api, request_log):
    response = api.get(
        "/api/v1/invoices/12345/", HTTP_X_REQUEST_ID="req-42", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-42"
    (record,) = request_log.records
    from pythonjsonlogger.json import JsonFormatter

    line = json.loads(JsonFormatter("%(message)s").format(record))
    assert line["latency_ms"] >= 0
    del line["latency_ms"]
    assert line == {
        "message": "request",
        "method": "GET",
        "route": "api/v1/invoices/<pk>/",
        "path": "/api/v1/invoices/12345/",
        "status": 404,
        "client": "10.1.2.3",
        "request_id": "req-42",
        "user": api.user.pk,
    }


def test_a_request_id_is_made_when_the_client_sends_none_or_a_bad_one(client, request_log):
    first = client.get("/healthz")  # answered before the log: no line, no id
    assert "X-Request-ID" not in first
    response = client.get("/api/v1/", HTTP_X_REQUEST_ID="bad id with spaces")
    assert len(response["X-Request-ID"]) == 32
    assert request_log.records[-1].request_id == response["X-Request-ID"]


def sample(name: str, **labels) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_off_by_default_and_scrapeable_when_on(
    api, client, settings, django_capture_on_commit_callbacks
):
    assert client.get("/metrics").status_code == 404
    settings.O2C_METRICS = True
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    posted = sample("o2c_payments_posted_total")
    route = {"method": "POST", "route": "api/v1/payments/", "status": "201"}
    requests = sample("o2c_http_request_duration_seconds_count", **route)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/payments/",
            {"customer": customer.pk, "amount": "10.00", "received_date": "2026-01-05"},
            format="json",
        )
    assert response.status_code == 201
    assert sample("o2c_payments_posted_total") == posted + 1
    assert sample("o2c_http_request_duration_seconds_count", **route) == requests + 1
    text = client.get("/metrics").content.decode()
    for line in (
        'o2c_http_request_duration_seconds_bucket{le="0.005",method="POST",'
        'route="api/v1/payments/",status="201"}',
        "o2c_payments_posted_total ",
        'o2c_events_recorded_total{type="payment.posted"} ',
        "o2c_webhook_failures_total ",
    ):
        assert line in text
