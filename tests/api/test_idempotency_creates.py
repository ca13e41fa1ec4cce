"""`Idempotency-Key` on every REST POST that creates or moves money (issue 6: "all creates").

Parametrised over the POST routes of tests/api/test_roles.py (every create, invoice issue and
void, dispute resolve) plus a payment's apply and unapply: a replay answers the same status
and body and changes nothing; the same key with another body is 422 and changes nothing. The
credit-hold actions take no key (they move no money; a repeat is already a harmless 400).
"""

from datetime import date
from decimal import Decimal

import pytest

from o2c_api.api.idempotency import HEADER, REPLAYED_HEADER
from receivables import services
from tests.api.conftest import snapshot
from tests.api.test_roles import ROUTES, Route
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

NOT_IDEMPOTENT = {"place credit hold", "release credit hold"}


def payment_routes() -> list[Route]:
    def payment(w):
        if not hasattr(w, "_payment"):
            w._payment = PaymentFactory(
                customer=w.customer, amount=Decimal("30.00"), received_date=date(2026, 1, 5)
            )
            w._application = services.apply_payment(w._payment, w.invoice, Decimal("10.00"))
        return w._payment

    return [
        Route(
            "apply payment",
            "post",
            lambda w: f"/api/v1/payments/{payment(w).pk}/apply/",
            (),
            201,
            lambda w: {"invoice": w.invoice.pk, "amount": "5.00"},
        ),
        Route(
            "unapply payment",
            "post",
            lambda w: f"/api/v1/payments/{payment(w).pk}/unapply/",
            (),
            200,
            lambda w: {"application": (payment(w), w._application)[1].pk},
        ),
    ]


IDEMPOTENT = [
    pytest.param(route, id=route.name)
    for route in [*ROUTES, *payment_routes()]
    if route.method == "post" and route.name not in NOT_IDEMPOTENT
]


def post(api, route: Route, world, key: str, body: dict | None = None):
    body = route.body(world) if body is None and route.body else (body or {})
    return api.post(route.url(world), body, format="json", headers={HEADER: key})


@pytest.mark.parametrize("route", IDEMPOTENT)
def test_replay_answers_the_first_response_and_changes_nothing(api, world, route):
    # Given a first request with a key that succeeded
    first = post(api, route, world, "key-1")
    assert first.status_code == route.success, first.content
    after_first = snapshot()

    # When the client retries it with the same key and body
    replay = post(api, route, world, "key-1")

    # Then it gets the same answer, marked as a replay, and nothing changed
    assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert replay.headers[REPLAYED_HEADER] == "true"
    assert REPLAYED_HEADER not in first.headers
    assert snapshot() == after_first


@pytest.mark.parametrize("route", IDEMPOTENT)
def test_same_key_with_another_body_is_422_and_changes_nothing(api, world, route):
    first = post(api, route, world, "key-2")
    assert first.status_code == route.success, first.content
    after_first = snapshot()
    other = {**(route.body(world) if route.body else {}), "notes": "another request"}

    response = post(api, route, world, "key-2", other)

    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "code": "idempotency_key_reused",
                "field": HEADER,
                "message": "This Idempotency-Key was used for a different request; use a new key.",
            }
        ]
    }
    assert snapshot() == after_first


def test_a_refused_request_releases_its_key(api, world):
    # Given a create refused by the service (due before issue): nothing stored, key released
    body = {
        "number": "INV-9",
        "customer": world.customer.pk,
        "issue_date": "2026-02-01",
        "due_date": "2026-01-01",
        "amount": "10.00",
    }
    refused = api.post("/api/v1/invoices/", body, format="json", headers={HEADER: "k"})
    assert refused.status_code == 422

    # When the client fixes the body and retries with the same key, it is a first request
    fixed = api.post(
        "/api/v1/invoices/",
        {**body, "due_date": "2026-03-01"},
        format="json",
        headers={HEADER: "k"},
    )

    assert fixed.status_code == 201
    assert REPLAYED_HEADER not in fixed.headers


def test_keys_are_per_client(make_client, world):
    body = {"name": "Globex", "currency": "EUR"}
    first = make_client("integration").post(
        "/api/v1/customers/", body, format="json", headers={HEADER: "same"}
    )
    second = make_client("admin").post(
        "/api/v1/customers/", body, format="json", headers={HEADER: "same"}
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_without_a_key_a_retry_creates_again(api, world):
    body = {"name": "Globex", "currency": "EUR"}
    first = api.post("/api/v1/customers/", body, format="json")
    second = api.post("/api/v1/customers/", body, format="json")

    assert first.json()["id"] != second.json()["id"]


def test_schema_documents_the_header_on_exactly_these_operations(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    documented, undocumented = set(), set()
    for path, operations in schema["paths"].items():
        post_operation = operations.get("post")
        if post_operation is None:
            continue
        headers = {p["name"] for p in post_operation.get("parameters", []) if p["in"] == "header"}
        if HEADER in headers:
            assert "422" in post_operation["responses"], path
            documented.add(path)
        else:
            undocumented.add(path)

    assert undocumented == {
        "/api/v1/customers/{id}/place-credit-hold/",
        "/api/v1/customers/{id}/release-credit-hold/",
    }
    assert {
        "/api/v1/customers/",
        "/api/v1/invoices/",
        "/api/v1/invoices/{id}/void/",
        "/api/v1/disputes/{id}/resolve/",
        "/api/v1/payments/",
        "/api/v1/payments/bulk/",
        "/api/v1/payments/{id}/unapply/",
    } <= documented
