"""One error shape for every 4xx; service errors are 400/409, never 500."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

pytestmark = pytest.mark.django_db


def test_unknown_route_is_404_in_the_error_shape(api):
    response = api.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {
        "errors": [
            {
                "code": "not_found",
                "field": None,
                "message": "No route matches /api/v1/no-such-thing/.",
            }
        ]
    }


def test_unknown_object_is_404(api, world):
    response = api.get("/api/v1/invoices/999999/")

    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"code": "not_found", "field": None, "message": "No Invoice matches the given query."}
    ]


def test_method_not_allowed_is_405(api, world):
    response = api.delete(f"/api/v1/adjustments/{world.adjustment.pk}/")

    assert response.status_code == 405
    assert response.json()["errors"] == [
        {"code": "method_not_allowed", "field": None, "message": 'Method "DELETE" not allowed.'}
    ]


def test_unsupported_media_type_is_415(api):
    response = api.post("/api/v1/segments/", "name=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"


def test_malformed_json_is_400_parse_error(api):
    response = api.post("/api/v1/segments/", "{oops", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_oversized_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post(
        "/api/v1/segments/", '{"name": "' + "x" * 2000 + '"}', content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json()["errors"][0] == {
        "code": "request_too_large",
        "field": None,
        "message": "The request body is larger than this API accepts (1000 bytes).",
    }


def test_serializer_errors_name_their_field(api):
    response = api.post("/api/v1/segments/", {"code": "X"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"code": "required", "field": "name", "message": "This field is required."}]
    }


def test_invalid_token_is_401(make_client):
    client = make_client(None)
    client.credentials(HTTP_AUTHORIZATION="Token nope")

    response = client.get("/api/v1/invoices/")

    assert response.status_code == 401
    assert response.json()["errors"] == [
        {"code": "authentication_failed", "field": None, "message": "Invalid token."}
    ]


def test_service_validation_error_is_400_with_its_code(api, world, monkeypatch):
    # Given a service that refuses with a code of its own
    def refuse(*args, **kwargs):
        raise ValidationError("The ledger is closed for January.", code="period_closed")

    monkeypatch.setattr("receivables.services.issue_invoice", refuse)

    # When the route calling it is used
    response = api.post(f"/api/v1/invoices/{world.draft.pk}/issue/")

    # Then 400 with that code, not 500
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "code": "period_closed",
                "field": None,
                "message": "The ledger is closed for January.",
            }
        ]
    }


def test_integrity_error_is_409(api, world, monkeypatch):
    def clash(*args, **kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr("receivables.services.issue_invoice", clash)

    response = api.post(f"/api/v1/invoices/{world.draft.pk}/issue/")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"


def test_throttled_is_429_in_the_error_shape():
    # Given DRF's throttling exception (no view throttles yet; the shape must hold when one does)
    from rest_framework.exceptions import Throttled

    from o2c_api.api.exceptions import exception_handler

    # When the handler renders it
    response = exception_handler(Throttled(wait=5), {})

    # Then 429 with a clean code and the Retry-After header
    assert response.status_code == 429
    assert response["Retry-After"] == "5"
    assert response.data == {
        "errors": [
            {
                "code": "throttled",
                "field": None,
                "message": "Request was throttled. Expected available in 5 seconds.",
            }
        ]
    }


def test_unexpected_error_is_500_in_the_error_shape(api, world, monkeypatch):
    # Given a bug deep in a service
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("receivables.services.issue_invoice", crash)
    api.raise_request_exception = False

    # When the route is called
    response = api.post(f"/api/v1/invoices/{world.draft.pk}/issue/")

    # Then a 500 in the error shape that leaks nothing
    assert response.status_code == 500
    assert response.json() == {
        "errors": [
            {"code": "server_error", "field": None, "message": "Internal error; nothing was saved."}
        ]
    }
