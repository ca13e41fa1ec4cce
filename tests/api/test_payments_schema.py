"""The OpenAPI schema documents the posting contract: endpoints, examples, error responses."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_payment_endpoints_are_documented(schema):
    paths = schema["paths"]

    assert set(paths["/api/v1/payments/"]) == {"get", "post"}
    assert set(paths["/api/v1/payments/{id}/"]) == {"get", "patch"}
    for action in ("apply", "unapply"):
        assert set(paths[f"/api/v1/payments/{{id}}/{action}/"]) == {"post"}
    assert set(paths["/api/v1/payments/bulk/"]) == {"post"}
    assert set(paths["/api/v1/applications/"]) == {"get"}


def test_posting_has_examples_and_error_responses(schema):
    post = schema["paths"]["/api/v1/payments/"]["post"]

    assert set(post["responses"]) == {"201", "400", "401", "403", "409", "422"}
    request_examples = post["requestBody"]["content"]["application/json"]["examples"]
    assert "PaymentWithRemittance" in request_examples
    assert request_examples["PaymentWithRemittance"]["value"]["remittance"][0] == {
        "invoice_number": "INV-00012",
        "amount": "1000.00",
    }
    posted = post["responses"]["201"]["content"]["application/json"]["examples"]
    [example] = posted.values()
    assert example["value"]["exceptions"][0]["code"] == "invoice_not_found"
    for code, error in (
        ("400", "not_positive"),
        ("409", "duplicate_external_id"),
        ("422", "idempotency_key_reused"),
    ):
        examples = post["responses"][code]["content"]["application/json"]["examples"]
        assert error in {e["value"]["errors"][0]["code"] for e in examples.values()}
    assert "Idempotency-Key" in {p["name"] for p in post["parameters"]}


def test_list_filters_are_documented(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/payments/"]["get"]["parameters"]}

    assert {
        "customer",
        "rep",
        "segment",
        "received_date_after",
        "received_date_before",
        "amount_min",
        "amount_max",
        "currency",
        "method",
        "has_unapplied",
        "updated_after",
        "search",
        "ordering",
        "limit",
        "offset",
    } <= names
