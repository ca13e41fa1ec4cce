"""Webhooks against a receiver on loopback: signature, retries with backoff, disabling,
redelivery, the delivery log and the subscription API."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations import feed, webhooks
from integrations.models import Event, WebhookDelivery, WebhookSubscription
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
D = Decimal
DOCS = Path(__file__).resolve().parents[2] / "docs" / "rest-api.md"


def docs_verify():
    """The `verify` function of docs/rest-api.md, executed from the docs' own text."""
    text = DOCS.read_text()
    code = re.search(r"<!-- webhook-verification -->\n```python\n(.*?)```", text, re.S)[1]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


def subscribe(receiver, **fields) -> WebhookSubscription:
    return webhooks.save_subscription(url=receiver.url, secret="s3cret", **fields)


def run_worker_round() -> dict:
    webhooks.dispatch()
    return webhooks.deliver_due()


def make_due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_an_event_is_posted_signed_and_logged(receiver):
    subscription = subscribe(receiver, event_types=["invoice.issued"])
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, number="INV-W1", amount=D("75.00"))
    from receivables import services

    services.void_invoice(invoice)  # invoice.voided: not subscribed
    assert run_worker_round() == {"sent": 1, "failed": 0, "disabled": 0}
    (request,) = receiver.requests
    event = Event.objects.get(type="invoice.issued")
    assert json.loads(request["body"]) == feed.envelope(event)
    headers = request["headers"]
    assert (headers["O2C-Event-Id"], headers["O2C-Event-Type"]) == (str(event.pk), "invoice.issued")
    assert headers["Content-Type"] == "application/json"
    verify = docs_verify()
    assert verify("s3cret", headers["O2C-Signature"], request["body"]) is True
    assert verify("wrong", headers["O2C-Signature"], request["body"]) is False
    assert verify("s3cret", headers["O2C-Signature"], request["body"] + b" ") is False
    old = webhooks.sign("s3cret", int(timezone.now().timestamp()) - 600, request["body"])
    assert verify("s3cret", old, request["body"]) is False  # a replay
    delivery = WebhookDelivery.objects.get()
    assert (delivery.subscription, delivery.event, delivery.status, delivery.attempts) == (
        subscription,
        event,
        "succeeded",
        1,
    )
    assert (delivery.response_code, delivery.last_error, delivery.next_attempt_at) == (
        200,
        "",
        None,
    )
    assert delivery.latency_ms is not None
    assert delivery.delivered_at is not None
    # Nothing is sent twice.
    assert run_worker_round() == {"sent": 0, "failed": 0, "disabled": 0}
    assert len(receiver.requests) == 1


def test_a_failed_attempt_is_retried_with_a_doubling_capped_delay(receiver, settings):
    settings.O2C_WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.O2C_WEBHOOK_RETRY_CAP_SECONDS = 100
    receiver.codes = [500, 503, 502, 200]
    subscribe(receiver)
    InvoiceFactory()
    delays = []
    for expected in ("failed", "failed", "failed", "sent"):
        counts = run_worker_round()
        assert counts[expected] == 1
        delivery = WebhookDelivery.objects.get()
        if delivery.status == "pending":
            delays.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
            assert run_worker_round() == {"sent": 0, "failed": 0, "disabled": 0}  # not yet due
            make_due(delivery)
    assert delays == [30, 60, 100]  # 30, 60, then 120 capped at 100
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 4, 200)
    assert len(receiver.requests) == 4
    assert len({r["headers"]["O2C-Event-Id"] for r in receiver.requests}) == 1


def test_after_the_last_attempt_a_delivery_fails(receiver, settings):
    settings.O2C_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.codes = [500]
    subscribe(receiver)
    InvoiceFactory()
    run_worker_round()
    make_due(WebhookDelivery.objects.get())
    run_worker_round()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 2, 500)
    assert (delivery.last_error, delivery.next_attempt_at) == ("HTTP 500", None)


def test_repeated_failures_disable_the_subscription_with_the_reason(receiver, settings, api):
    settings.O2C_WEBHOOK_DISABLE_AFTER = 3
    receiver.codes = [500]
    subscription = subscribe(receiver)
    customer = CustomerFactory()
    for _ in range(4):
        InvoiceFactory(customer=customer)
    counts = run_worker_round()
    assert counts == {"sent": 0, "failed": 3, "disabled": 1}  # the 4th was not sent
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert subscription.consecutive_failures == 3
    assert subscription.disabled_reason.startswith(
        "Disabled after 3 failed attempts in a row; the last: HTTP 500 (event "
    )
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert run_worker_round() == {"sent": 0, "failed": 0, "disabled": 0}
    assert len(receiver.requests) == 3
    # Turning it back on (the API) resumes it and its pending deliveries.
    receiver.codes = [200]
    response = api.patch(
        f"/api/v1/webhook-subscriptions/{subscription.pk}/", {"is_active": True}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["is_active"], body["consecutive_failures"], body["disabled_reason"]) == (
        True,
        0,
        "",
    )
    assert run_worker_round() == {"sent": 4, "failed": 0, "disabled": 0}


def test_redelivery_sends_the_event_again(receiver, api, gql):
    subscribe(receiver)
    InvoiceFactory()
    run_worker_round()
    delivery = WebhookDelivery.objects.get()
    response = api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 0)
    assert run_worker_round()["sent"] == 1
    body = gql(
        "mutation($id: ID!) { redeliverWebhook(id: $id) { ... on WebhookDeliveryType "
        "{ status attempts } } }",
        {"id": str(delivery.pk)},
    )
    assert body["data"]["redeliverWebhook"] == {"status": "pending", "attempts": 0}
    assert run_worker_round()["sent"] == 1
    assert len(receiver.requests) == 3
    assert len({r["headers"]["O2C-Event-Id"] for r in receiver.requests}) == 1


def test_an_unreachable_url_is_a_failed_attempt_without_a_code(receiver):
    url = receiver.url
    receiver.close()
    webhooks.save_subscription(url=url)
    InvoiceFactory()
    assert run_worker_round() == {"sent": 0, "failed": 1, "disabled": 0}
    delivery = WebhookDelivery.objects.get()
    assert delivery.response_code is None
    assert delivery.last_error.startswith("URLError: ")
    receiver.server = type(
        "Closed", (), {"shutdown": lambda s: None, "server_close": lambda s: None}
    )()


def test_the_subscription_api_shows_the_secret_once_and_checks_event_types(api, gql):
    response = api.post(
        "/api/v1/webhook-subscriptions/",
        {"url": "https://erp.example.com/hooks", "event_types": ["invoice.paid"]},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    subscription = WebhookSubscription.objects.get()
    assert created["secret"] == subscription.secret
    assert len(subscription.secret) == 43
    assert created["event_types"] == ["invoice.paid"]
    assert api.get(f"/api/v1/webhook-subscriptions/{subscription.pk}/").json()["secret"] is None
    bad = api.post(
        "/api/v1/webhook-subscriptions/",
        {"url": "https://erp.example.com/hooks", "event_types": ["invoice.exploded"]},
        format="json",
    )
    assert bad.status_code == 400
    assert [(e["code"], e["field"]) for e in bad.json()["errors"]] == [
        ("unknown_event_type", "event_types")
    ]
    body = gql(
        'mutation { createWebhookSubscription(data: {url: "https://erp.example.com/h2", '
        'eventTypes: ["invoice.exploded"]}) { ... on OperationInfo { messages { code field } } } }'
    )
    assert body["data"]["createWebhookSubscription"]["messages"] == [
        {"code": "unknown_event_type", "field": "eventTypes"}
    ]
    assert WebhookSubscription.objects.count() == 1
    created_gql = gql(
        'mutation { createWebhookSubscription(data: {url: "https://erp.example.com/h3"}) '
        "{ ... on CreatedWebhookSubscription { url secret eventTypes } } }"
    )["data"]["createWebhookSubscription"]
    assert created_gql["url"] == "https://erp.example.com/h3"
    assert created_gql["secret"] == WebhookSubscription.objects.get(url=created_gql["url"]).secret


def test_webhooks_are_for_admins(make_client):
    payload = {"url": "https://erp.example.com/hooks"}
    assert (
        make_client("integration").post("/api/v1/webhook-subscriptions/", payload).status_code
        == 403
    )
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.parametrize("size", [2, 12])
def test_the_delivery_log_costs_the_same_queries_at_any_size(api, receiver, size):
    subscription = subscribe(receiver)
    customer = CustomerFactory()
    for _ in range(size):
        InvoiceFactory(customer=customer)
    run_worker_round()
    api.get("/api/v1/webhook-deliveries/?limit=1")
    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"/api/v1/webhook-deliveries/?subscription={subscription.pk}").json()
    assert body["count"] == size
    assert body["results"][0]["status"] == "succeeded"
    assert body["results"][0]["response_code"] == 200
    assert len(queries) == 5  # token, permissions, the subscription filter, count, page


@pytest.mark.parametrize("size", [2, 12])
def test_the_subscription_list_costs_the_same_queries_at_any_size(api, size):
    for n in range(size):
        webhooks.save_subscription(url=f"https://erp.example.com/h{n}")
    api.get("/api/v1/webhook-subscriptions/?limit=1")
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/v1/webhook-subscriptions/").json()
    assert body["count"] == size
    assert body["results"][0]["secret"] is None
    assert len(queries) == 4  # token, permissions, count, page


@pytest.mark.parametrize("size", [2, 12])
def test_graphql_deliveries_cost_the_same_queries_at_any_size(gql, receiver, size):
    subscribe(receiver)
    customer = CustomerFactory()
    for _ in range(size):
        InvoiceFactory(customer=customer)
    run_worker_round()
    query = (
        "{ webhookDeliveries { totalCount results { status responseCode "
        "subscription { url } event { type objectId cursor data } } } }"
    )
    gql(query)
    with CaptureQueriesContext(connection) as queries:
        body = gql(query)
    page = body["data"]["webhookDeliveries"]
    assert page["totalCount"] == size
    assert {r["status"] for r in page["results"]} == {"succeeded"}
    assert page["results"][0]["subscription"] == {"url": receiver.url}
    assert len(queries) == 4  # token, permissions, count, page (joined)


def test_failed_attempts_are_counted_for_prometheus(receiver, settings):
    from prometheus_client import REGISTRY

    def failures() -> float:
        return REGISTRY.get_sample_value("o2c_webhook_failures_total") or 0.0

    receiver.codes = [500, 200]
    subscribe(receiver)
    InvoiceFactory()
    settings.O2C_METRICS = False
    before_off = failures()
    assert run_worker_round()["failed"] == 1
    assert failures() == before_off  # metrics off: nothing counted
    settings.O2C_METRICS = True
    receiver.codes = [502, 200]
    make_due(WebhookDelivery.objects.get())
    assert run_worker_round()["failed"] == 1
    assert failures() == before_off + 1
    make_due(WebhookDelivery.objects.get())
    assert run_worker_round()["sent"] == 1
    assert failures() == before_off + 1  # a success counts nothing
