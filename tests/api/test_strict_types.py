"""REST writes take JSON only, and each field only the JSON type its schema names.

DRF coerced what it was sent: `{"notes": 0}` was stored as "0", `"true"` (or a form's "0")
became a boolean, a JSON number became a money amount through a float. Now a value of another
type is a 400 `invalid_type` on that field, a body that is not JSON a 415, and nothing changes.
"""

import importlib

import pytest
from django.urls import get_resolver
from rest_framework import serializers
from rest_framework.fields import HiddenField, JSONField, SerializerMethodField
from rest_framework.relations import ManyRelatedField

from integrations.models import WebhookSubscription
from o2c_api.api.fields import StrictTypeMixin
from o2c_api.api.serializers import StrictFieldsMixin
from tests.api.conftest import snapshot
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def wrong_types(world, payment):
    """(method, url, body, field, message) of writes each with one value of the wrong type."""
    invoice, customer = world.invoice, world.customer
    payment_body = {"customer": customer.pk, "amount": "5.00", "received_date": "2026-01-10"}
    return [
        # The example: a number for a string.
        ("patch", f"/api/v1/disputes/{world.dispute.pk}/", {"notes": 0}, "notes", "a string"),
        ("patch", f"/api/v1/segments/{world.segment.pk}/", {"name": 12}, "name", "a string"),
        ("patch", f"/api/v1/reps/{world.rep.pk}/", {"active": "true"}, "active", "a boolean"),
        ("patch", f"/api/v1/reps/{world.rep.pk}/", {"active": 0}, "active", "a boolean"),
        (
            "patch",
            f"/api/v1/customers/{customer.pk}/",
            {"payment_terms_days": "30"},
            "payment_terms_days",
            "a whole number",
        ),
        (
            "patch",
            f"/api/v1/customers/{customer.pk}/",
            {"payment_terms_days": True},
            "payment_terms_days",
            "a whole number",
        ),
        (
            "patch",
            f"/api/v1/customers/{customer.pk}/",
            {"segment": str(world.spare_segment.pk)},
            "segment",
            "an id",
        ),
        (
            "patch",
            f"/api/v1/customers/{customer.pk}/",
            {"credit_limit": 1000},
            "credit_limit",
            "a decimal string",
        ),
        (
            "post",
            "/api/v1/adjustments/",
            {"invoice": invoice.pk, "kind": 1, "amount": "1.00", "adjustment_date": "2026-01-10"},
            "kind",
            "a string",
        ),
        ("post", "/api/v1/payments/", {**payment_body, "amount": 5.0}, "amount", "a decimal"),
        (
            "post",
            "/api/v1/payments/",
            {**payment_body, "customer": str(customer.pk)},
            "customer",
            "a whole number",
        ),
        (
            "post",
            "/api/v1/payments/",
            {**payment_body, "remittance": [{"invoice": invoice.pk, "amount": 5}]},
            "remittance[0].amount",
            "a decimal",
        ),
        ("patch", f"/api/v1/payments/{payment.pk}/", {"reference": 7}, "reference", "a string"),
        (
            "post",
            f"/api/v1/payments/{payment.pk}/apply/",
            {"invoice": str(invoice.pk), "amount": "1.00"},
            "invoice",
            "an id",
        ),
        (
            "post",
            f"/api/v1/payments/{payment.pk}/apply/",
            {"invoice_number": 1, "amount": "1.00"},
            "invoice_number",
            "a string",
        ),
        (
            "post",
            f"/api/v1/invoices/{invoice.pk}/void/",
            {"reason": False},
            "reason",
            "a string",
        ),
    ]


EXPECTED = {
    "a string": "Expected a string, got {}.",
    "a boolean": "Expected a boolean (true or false), got {}.",
    "a whole number": "Expected a whole number, got {}.",
    "an id": "Expected an id (a whole number), got {}.",
    "a decimal": 'Expected a decimal string such as "12.50", got {}.',
    "a decimal string": 'Expected a decimal string such as "12.50", got {}.',
}


def sent_type(body: dict, field: str) -> str:
    value = body[field.split("[")[0]]
    if field.startswith("remittance"):
        value = value[0]["amount"]
    if isinstance(value, bool):
        return "a boolean"
    return "a string" if isinstance(value, str) else "a number"


@pytest.mark.parametrize("index", range(16))
def test_a_value_of_the_wrong_type_is_refused_and_nothing_changes(api, world, index):
    # Given a write whose body is valid but for one value of another JSON type
    payment = PaymentFactory(customer=world.customer)
    method, url, body, field, expected = wrong_types(world, payment)[index]
    before = snapshot()

    # When it is sent
    response = getattr(api, method)(url, body, format="json")

    # Then it is a 400 `invalid_type` on that field, saying what was expected, and nothing
    # changed
    assert response.status_code == 400, response.content
    assert response.json() == {
        "errors": [
            {
                "code": "invalid_type",
                "field": field,
                "message": EXPECTED[expected].format(sent_type(body, field)),
            }
        ]
    }
    assert snapshot() == before


def test_a_string_field_still_takes_a_string(api, world):
    response = api.patch(
        f"/api/v1/disputes/{world.dispute.pk}/", {"notes": "Called twice"}, format="json"
    )

    assert response.status_code == 200, response.content
    world.dispute.refresh_from_db()
    assert world.dispute.notes == "Called twice"


def test_a_webhook_subscription_is_not_deactivated_by_a_string(api):
    # Given an active subscription (the fuzzer's case: a form's "0" for a boolean)
    subscription = WebhookSubscription.objects.create(url="https://example.com/hook")

    response = api.patch(
        f"/api/v1/webhook-subscriptions/{subscription.pk}/", {"is_active": "0"}, format="json"
    )

    assert response.status_code == 400
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [
        ("invalid_type", "is_active")
    ]
    subscription.refresh_from_db()
    assert subscription.is_active is True


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "notes=0"),
        (
            "multipart/form-data; boundary=b",
            '--b\r\nContent-Disposition: form-data; name="notes"\r\n\r\n0\r\n--b--\r\n',
        ),
        ("text/plain", '{"notes": "0"}'),
    ],
    ids=["form", "multipart", "text"],
)
def test_a_body_that_is_not_json_is_a_415_and_changes_nothing(api, world, content_type, body):
    before = snapshot()

    response = api.generic(
        "PATCH", f"/api/v1/disputes/{world.dispute.pk}/", body, content_type=content_type
    )

    assert response.status_code == 415
    assert response.json() == {
        "errors": [
            {
                "code": "unsupported_media_type",
                "field": None,
                "message": f'Unsupported media type "{content_type}" in request.',
            }
        ]
    }
    assert snapshot() == before


def test_the_schema_offers_json_bodies_only(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    content_types = {
        content_type
        for operations in schema["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict)
        for content_type in operation.get("requestBody", {}).get("content", {})
    }
    assert content_types == {"application/json"}


def test_the_browsable_api_still_offers_its_json_form(api, world):
    response = api.get(f"/api/v1/disputes/{world.dispute.pk}/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id__content_type"' in page  # the raw data form
    assert "application/json" in page


def _serializer_classes() -> set[type]:
    """Every strict serializer the URLconf's views import (their modules are loaded)."""
    get_resolver().url_patterns  # noqa: B018 - loads every app's api module

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {cls for cls in subclasses(StrictFieldsMixin) if not cls.__module__.startswith("o2c")}


def _loose_fields(serializer, prefix="") -> list[str]:
    loose = []
    for name, field in serializer.fields.items():
        if field.read_only or isinstance(field, HiddenField | SerializerMethodField):
            continue
        path = f"{prefix}{name}"
        if isinstance(field, serializers.ListSerializer):
            loose += _loose_fields(field.child, f"{path}[].")
        elif isinstance(field, serializers.BaseSerializer):
            loose += _loose_fields(field, f"{path}.")
        elif isinstance(field, ManyRelatedField):
            if not isinstance(field.child_relation, StrictTypeMixin):
                loose.append(path)
        elif isinstance(field, serializers.ListField | serializers.DictField):
            child = field.child
            if not isinstance(child, StrictTypeMixin | serializers.DictField | JSONField):
                loose.append(f"{path}[]")
        elif not isinstance(
            field, StrictTypeMixin | serializers.DateField | serializers.DateTimeField | JSONField
        ):
            # Dates and timestamps refuse any non-string already (DRF parses strings only).
            loose.append(path)
    return loose


def test_every_writable_field_of_every_strict_serializer_is_strict():
    importlib.import_module("o2c_api.urls")
    classes = _serializer_classes()
    assert len(classes) > 20  # the apps' write serializers were found

    loose = {
        f"{cls.__module__}.{cls.__name__}": fields
        for cls in classes
        if (fields := _loose_fields(cls()))
    }

    assert loose == {}
