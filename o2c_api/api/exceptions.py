"""One error shape for every 4xx of the REST API.

    {"errors": [{"code": "exceeds_open_amount", "field": "amount", "message": "..."}]}

`code` is stable and machine-readable, `field` names the input the error is about (null when
it concerns the whole request), `message` is a sentence for a person. The status says which
kind of refusal it is (`status_for`, from the codes): 400 when the request breaks a rule the
OpenAPI schema states, 409 or 422 when it is refused for what is stored (`STATUS_BY_CODE`).
`Conflict`, IntegrityError and ProtectedError are 409; a ValidationError is never a 500.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from o2c_api.errors import Conflict, database_refusal

NON_FIELD = ("non_field_errors", "__all__")

# Refusals no schema can state, by kind; every other code is a 400 (the request breaks a rule
# the schema states: type, format, pattern, length, enum, bounds, required). GraphQL answers
# the same codes (it has no statuses). docs/rest-api.md, "Errors", lists them.
CONFLICT_CODES = frozenset(
    {
        # A value that must be unique is taken, or the change collided with another one.
        "unique",
        "duplicate_external_id",
        "conflict",
        "concurrent_update",
        "idempotency_in_progress",
        # The object is in a state that forbids the change.
        "protected",
        "customer_currency_locked",
        "credit_hold_unchanged",
        "already_on_credit_hold",
        "customer_on_credit_hold",
        "action_already_done",
        "dispute_already_resolved",
        "invoice_already_void",
        "invoice_has_applications",
        "invoice_issued_immutable",
        "invoice_not_draft",
        "invoice_not_open",
        "invoice_paid",
        "invoice_void",
        "payment_has_applications",
    }
)
UNPROCESSABLE_CODES = frozenset(
    {
        # An id or a reference in the request names no record (or none the client may see).
        "does_not_exist",
        "invoice_not_found",
        "unknown_rep",
        "unknown_segment",
        "unknown_customer",
        "customer_ambiguous",
        # The request disagrees with the records it names.
        "customer_mismatch",
        "order_customer_mismatch",
        "opportunity_customer_mismatch",
        "currency_mismatch",
        "exceeds_invoice_amount",
        "exceeds_open_amount",
        "exceeds_unapplied_amount",
        "applied_before_received",
        "date_before_issue",
        "date_before_opened",
        # One field disagrees with another.
        "clicked_before_occurred",
        # A credit amount with a resolution other than `credited` (an unknown resolution,
        # the service's other use of the code, is refused by REST's serializer first).
        "invalid_resolution",
        "due_before_issue",
        "promised_before_created",
        "closed_before_created",
        "closed_date_mismatch",
        "end_before_start",
        "period_too_long",
        "no_month_end",
        # One of several fields is required (the schema marks each optional).
        "customer_required",
        "invoice_required",
        "invoice_or_number_required",
        # What the stored records hold decides: open invoices in several currencies.
        "currency_required",
        # Today decides: a forecast's accuracy asked before its horizon is over.
        "horizon_not_over",
        # The Idempotency-Key was used with another request (o2c_api.api.idempotency).
        "idempotency_key_reused",
    }
)
STATUS_BY_CODE = {
    **dict.fromkeys(CONFLICT_CODES, status.HTTP_409_CONFLICT),
    **dict.fromkeys(UNPROCESSABLE_CODES, status.HTTP_422_UNPROCESSABLE_ENTITY),
}


def status_for(errors: list[dict]) -> int:
    """The status of a refusal with these errors: 400 when any breaks a rule the schema
    states, else 422 when any is unprocessable, else 409."""
    statuses = {
        STATUS_BY_CODE.get(str(error["code"]), status.HTTP_400_BAD_REQUEST) for error in errors
    }
    for candidate in (status.HTTP_400_BAD_REQUEST, status.HTTP_422_UNPROCESSABLE_ENTITY):
        if candidate in statuses:
            return candidate
    return status.HTTP_409_CONFLICT


def flatten(detail, field: str | None = None) -> list[dict]:
    """Turn DRF's nested error detail into a flat list of {code, field, message}."""
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            if key in NON_FIELD:
                name = field  # a nested object's own errors concern the object's field
            elif isinstance(key, int):
                name = f"{field}[{key}]"  # ListField reports items by index
            else:
                name = f"{field}.{key}" if field else str(key)
            errors.extend(flatten(value, name))
        return errors
    if isinstance(detail, list):
        errors = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list) and not _is_leaf_list(value):
                errors.extend(flatten(value, f"{field}[{index}]" if field else f"[{index}]"))
            else:
                errors.extend(flatten(value, field))
        return errors
    code = getattr(detail, "code", None) or "invalid"
    return [{"code": code, "field": field, "message": str(detail)}]


def _is_leaf_list(value) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


def django_validation_errors(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        errors = []
        for field, field_errors in exc.error_dict.items():
            name = None if field in NON_FIELD else field
            for error in field_errors:
                errors.append(
                    {"code": error.code or "invalid", "field": name, "message": _message(error)}
                )
        return errors
    return [
        {"code": error.code or "invalid", "field": None, "message": _message(error)}
        for error in exc.error_list
    ]


def _message(error: DjangoValidationError) -> str:
    return " ".join(error.messages)


def error_response(errors: list[dict], status_code: int, **extra) -> Response:
    return Response({"errors": errors, **extra}, status=status_code)


def exception_handler(exc, context):
    """DRF exception handler producing the one error shape."""
    request = context.get("request")
    if getattr(getattr(request, "accepted_renderer", None), "format", None) == "csv":
        # An error is never a CSV: the client gets the error shape in JSON.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    if isinstance(exc, Conflict):
        errors = django_validation_errors(exc)
        for error in errors:
            error.update(exc.details)
        return error_response(errors, status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        errors = django_validation_errors(exc)
        return error_response(errors, status_for(errors))
    if isinstance(exc, ProtectedError | IntegrityError):
        refusal = database_refusal(exc)
        return error_response(
            [{"code": refusal.code, "field": None, "message": refusal.message}],
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, RequestDataTooBig):
        return error_response(
            [
                {
                    "code": "request_too_large",
                    "field": None,
                    "message": "The request body is larger than this API accepts "
                    f"({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes).",
                }
            ],
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        # Keep Django's sentence ("No Invoice matches the given query."): it names the kind.
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        response.status_code = status_for(errors)
    else:
        errors = [
            {
                "code": exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code,
                "field": None,
                "message": str(exc.detail),
            }
        ]
    response.data = {"errors": errors}
    return response


def _json_error(request, status_code: int, code: str, message: str):
    from django.http import JsonResponse

    return JsonResponse(
        {"errors": [{"code": code, "field": None, "message": message}]}, status=status_code
    )


def page_not_found(request, exception=None):
    """Django's 404 handler: the error shape under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _json_error(request, 404, "not_found", f"No route matches {request.path}.")
    from django.views import defaults

    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500 handler: the error shape under /api/ (nothing internal leaks)."""
    if request.path.startswith("/api/"):
        return _json_error(request, 500, "server_error", "Internal error; nothing was saved.")
    from django.views import defaults

    return defaults.server_error(request)
