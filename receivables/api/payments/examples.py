"""OpenAPI examples and error responses of the payment routes."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
)

from o2c_api.api.idempotency import HEADER
from o2c_api.api.schema import (
    ErrorResponseSerializer,
    error_responses,
)
from o2c_api.errors import ErrorCode as CommonCode
from receivables.errors import ErrorCode

EXAMPLE_POST = OpenApiExample(
    "Payment with remittance",
    request_only=True,
    value={
        "customer_external_id": "ERP-ACME",
        "amount": "1500.00",
        "currency": "USD",
        "received_date": "2026-02-01",
        "method": "ach",
        "reference": "ACME PAYMENT INV-00012 INV-00013",
        "external_id": "BANK-2026-02-01-0042",
        "remittance": [
            {"invoice_number": "INV-00012", "amount": "1000.00"},
            {"invoice_number": "INV-99999", "amount": "500.00"},
        ],
    },
)
EXAMPLE_POST_REFERENCE = OpenApiExample(
    "Payment matched by its reference",
    request_only=True,
    value={
        "customer": 7,
        "amount": "250.00",
        "received_date": "2026-02-01",
        "method": "wire",
        "reference": "INV-00012, INV-00013",
        "external_id": "BANK-0043",
    },
)
EXAMPLE_POSTED = OpenApiExample(
    "Posted, one line not honoured",
    response_only=True,
    status_codes=["201"],
    value={
        "id": 42,
        "customer": 7,
        "customer_name": "Acme Corp",
        "customer_external_id": "ERP-ACME",
        "rep": 3,
        "segment": 1,
        "amount": "1500.00",
        "currency": "USD",
        "received_date": "2026-02-01",
        "method": "ach",
        "reference": "ACME PAYMENT INV-00012 INV-00013",
        "external_id": "BANK-2026-02-01-0042",
        "applied_amount": "1000.00",
        "unapplied_amount": "500.00",
        "posted_by": "erp-integration",
        "applications": [
            {
                "id": 90,
                "payment": 42,
                "invoice": 12,
                "invoice_number": "INV-00012",
                "amount": "1000.00",
                "applied_date": "2026-02-01",
                "automatic": True,
                "created_by": "erp-integration",
                "created_at": "2026-02-01T10:00:00Z",
            }
        ],
        "created_at": "2026-02-01T10:00:00Z",
        "updated_at": "2026-02-01T10:00:00Z",
        "rule": "remittance",
        "exceptions": [
            {
                "line": 1,
                "invoice": "INV-99999",
                "code": ErrorCode.INVOICE_NOT_FOUND.value,
                "message": "No invoice 'INV-99999'.",
                "amount": "500.00",
            }
        ],
    },
)
EXAMPLE_400 = OpenApiExample(
    "Invalid payment (nothing stored)",
    response_only=True,
    status_codes=["400"],
    value={
        "errors": [
            {
                "code": ErrorCode.NOT_POSITIVE.value,
                "field": "amount",
                "message": "Must be greater than zero.",
            }
        ]
    },
)
EXAMPLE_400_CUSTOMER = OpenApiExample(
    "Unknown customer (nothing stored)",
    response_only=True,
    status_codes=["400"],
    value={
        "errors": [
            {
                "code": ErrorCode.DOES_NOT_EXIST.value,
                "field": "customer_external_id",
                "message": "No such customer.",
            }
        ]
    },
)
EXAMPLE_409 = OpenApiExample(
    "external_id already posted",
    response_only=True,
    status_codes=["409"],
    value={
        "errors": [
            {
                "code": ErrorCode.DUPLICATE_EXTERNAL_ID.value,
                "field": None,
                "message": "Payment 'BANK-2026-02-01-0042' was already posted as payment 42.",
                "payment": 42,
            }
        ]
    },
)
EXAMPLE_409_IN_PROGRESS = OpenApiExample(
    "Idempotency key in progress",
    response_only=True,
    status_codes=["409"],
    value={
        "errors": [
            {
                "code": CommonCode.IDEMPOTENCY_IN_PROGRESS.value,
                "field": HEADER,
                "message": "A request with this Idempotency-Key is still being processed; "
                "retry later.",
            }
        ]
    },
)
EXAMPLE_422 = OpenApiExample(
    "Idempotency key reused with another body",
    response_only=True,
    status_codes=["422"],
    value={
        "errors": [
            {
                "code": CommonCode.IDEMPOTENCY_KEY_REUSED.value,
                "field": HEADER,
                "message": "This Idempotency-Key was used for a different request; use a new key.",
            }
        ]
    },
)
EXAMPLE_APPLY_400 = OpenApiExample(
    "Over-application refused (nothing changed)",
    response_only=True,
    status_codes=["400"],
    value={
        "errors": [
            {
                "code": ErrorCode.EXCEEDS_OPEN_AMOUNT.value,
                "field": "amount",
                "message": "120.00 is more than the open amount 100.00 of INV-00012.",
            }
        ]
    },
)

ERRORS_400 = OpenApiResponse(ErrorResponseSerializer, description="Invalid; nothing changed.")
ERRORS_409 = OpenApiResponse(
    ErrorResponseSerializer,
    description="duplicate_external_id (names the existing `payment`) or idempotency_in_progress.",
)
ERRORS_422 = OpenApiResponse(ErrorResponseSerializer, description="idempotency_key_reused.")
ERRORS_AUTH = error_responses(401, 403)
