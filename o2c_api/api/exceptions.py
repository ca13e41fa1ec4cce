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

from accounts.errors import ErrorCode as Accounts
from dashboard.errors import ErrorCode as Dashboard
from dunning.errors import ErrorCode as Dunning
from metrics.errors import ErrorCode as Metrics
from o2c_api.errors import Conflict, database_refusal
from o2c_api.errors import ErrorCode as Code
from outlook.errors import ErrorCode as Outlook
from receivables.errors import ErrorCode as Receivables
from worklist.errors import ErrorCode as Worklist

NON_FIELD = ("non_field_errors", "__all__")

# Refusals no schema can state, by kind, as the apps' `errors.ErrorCode` members (a code
# renamed there keeps its status here); every other code is a 400 (the request breaks a rule
# the schema states: type, format, pattern, length, enum, bounds, required). GraphQL answers
# the same codes (it has no statuses). docs/rest-api.md, "Errors", lists them.
CONFLICT_CODES = frozenset(
    {
        # A value that must be unique is taken, or the change collided with another one.
        Code.UNIQUE,
        Receivables.DUPLICATE_EXTERNAL_ID,
        Code.CONFLICT,
        Code.CONCURRENT_UPDATE,
        Code.IDEMPOTENCY_IN_PROGRESS,
        # The object is in a state that forbids the change.
        Code.PROTECTED,
        Accounts.CURRENCY_LOCKED,
        Dunning.CREDIT_HOLD_UNCHANGED,
        Dunning.ALREADY_ON_CREDIT_HOLD,
        Dunning.CUSTOMER_ON_CREDIT_HOLD,
        Dashboard.ACTION_ALREADY_DONE,
        Receivables.DISPUTE_ALREADY_RESOLVED,
        Receivables.INVOICE_ALREADY_VOID,
        Receivables.INVOICE_HAS_APPLICATIONS,
        Receivables.INVOICE_ISSUED_IMMUTABLE,
        Receivables.INVOICE_NOT_DRAFT,
        Receivables.INVOICE_NOT_OPEN,
        Receivables.INVOICE_PAID,
        Receivables.INVOICE_VOID,
        Receivables.PAYMENT_HAS_APPLICATIONS,
    }
)
UNPROCESSABLE_CODES = frozenset(
    {
        # An id or a reference in the request names no record (or none the client may see).
        Receivables.DOES_NOT_EXIST,
        Receivables.INVOICE_NOT_FOUND,
        Metrics.UNKNOWN_REP,
        Metrics.UNKNOWN_SEGMENT,
        Metrics.UNKNOWN_CUSTOMER,
        Receivables.CUSTOMER_AMBIGUOUS,
        # The request disagrees with the records it names.
        Receivables.CUSTOMER_MISMATCH,
        Receivables.ORDER_CUSTOMER_MISMATCH,
        Receivables.OPPORTUNITY_CUSTOMER_MISMATCH,
        Receivables.CURRENCY_MISMATCH,
        Receivables.EXCEEDS_INVOICE_AMOUNT,
        Receivables.EXCEEDS_OPEN_AMOUNT,
        Receivables.EXCEEDS_UNAPPLIED_AMOUNT,
        Receivables.APPLIED_BEFORE_RECEIVED,
        Receivables.DATE_BEFORE_ISSUE,
        Receivables.DATE_BEFORE_OPENED,
        # One field disagrees with another.
        Receivables.CLICKED_BEFORE_OCCURRED,
        # A credit amount with a resolution other than `credited` (an unknown resolution,
        # the service's other use of the code, is refused by REST's serializer first).
        Receivables.INVALID_RESOLUTION,
        Receivables.DUE_BEFORE_ISSUE,
        Receivables.PROMISED_BEFORE_CREATED,
        Accounts.CLOSED_BEFORE_CREATED,
        Accounts.CLOSED_DATE_MISMATCH,
        Metrics.END_BEFORE_START,
        Metrics.PERIOD_TOO_LONG,
        Worklist.NO_MONTH_END,
        # One of several fields is required (the schema marks each optional).
        Receivables.CUSTOMER_REQUIRED,
        Receivables.INVOICE_REQUIRED,
        Receivables.INVOICE_OR_NUMBER_REQUIRED,
        # What the stored records hold decides: open invoices in several currencies.
        Outlook.CURRENCY_REQUIRED,
        # Today decides: a forecast's accuracy asked before its horizon is over.
        Outlook.HORIZON_NOT_OVER,
        # The Idempotency-Key was used with another request (o2c_api.api.idempotency).
        Code.IDEMPOTENCY_KEY_REUSED,
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
    code = getattr(detail, "code", None) or Code.INVALID
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
                    {"code": error.code or Code.INVALID, "field": name, "message": _message(error)}
                )
        return errors
    return [
        {"code": error.code or Code.INVALID, "field": None, "message": _message(error)}
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
                    "code": Code.REQUEST_TOO_LARGE,
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
        return _json_error(request, 404, Code.NOT_FOUND, f"No route matches {request.path}.")
    from django.views import defaults

    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500 handler: the error shape under /api/ (nothing internal leaks)."""
    if request.path.startswith("/api/"):
        return _json_error(request, 500, Code.SERVER_ERROR, "Internal error; nothing was saved.")
    from django.views import defaults

    return defaults.server_error(request)
