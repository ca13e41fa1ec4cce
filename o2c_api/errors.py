"""Error codes every API shares, and domain errors that are not plain validation failures.

`ErrorCode` holds the codes of refusals that concern the request rather than one app's rules
(input bounds, request shape, cost). REST answers them as `errors[].code`, GraphQL as
`extensions.code` (or `OperationInfo.messages[].code` in a mutation's data). Values are stable.
"""

from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError


class ErrorCode(StrEnum):
    """A machine-readable reason a request was refused before any domain rule ran."""

    # A date or timestamp outside settings.O2C_DATE_MIN..O2C_DATE_MAX.
    DATE_OUT_OF_RANGE = "date_out_of_range"
    # Not an ISO date (YYYY-MM-DD) or timestamp.
    INVALID_DATE = "invalid_date"
    # Django's and DRF's code for a text value holding a NUL byte.
    NULL_CHARACTERS = "null_characters_not_allowed"
    # A body that is not JSON or nests deeper than settings.O2C_MAX_JSON_DEPTH.
    INVALID_JSON = "invalid_json"
    # A KPI series with more points than settings.O2C_MAX_SERIES_POINTS.
    TOO_MANY_POINTS = "too_many_points"
    # A GraphQL document whose cost is over settings.O2C_GRAPHQL_MAX_COST.
    QUERY_TOO_COSTLY = "query_too_costly"
    # A GraphQL document that does not parse or does not validate against the schema.
    INVALID_QUERY = "invalid_query"
    # A JSON value of another type than the field's: a number for a string, a string for a
    # boolean, a number for a decimal string. REST bodies are never coerced.
    INVALID_TYPE = "invalid_type"
    # A number that is not finite ("NaN", "Infinity"): DRF's code for it.
    INVALID = "invalid"
    # An id that is not a positive whole number names no object: REST's 404.
    NOT_FOUND = "not_found"
    # A filter's id that is a whole number but not a positive one: REST's filters' code.
    INVALID_CHOICE = "invalid_choice"
    # Anything unexpected: the message says nothing internal.
    SERVER_ERROR = "server_error"
    # The database refused a write (`database_refusal`): other rows depend on the row
    # deleted, or a unique or other constraint was hit by a concurrent change.
    PROTECTED = "protected"
    CONFLICT = "conflict"
    # Deadlocks or serialization failures kept recurring (`o2c_api.db.retry_on_deadlock`).
    CONCURRENT_UPDATE = "concurrent_update"
    # A page's limit or offset outside its bounds: every paged report or feed (KPI breakdowns,
    # the worklist, the credit holds, the event feed).
    INVALID_LIMIT = "invalid_limit"
    INVALID_OFFSET = "invalid_offset"
    # An Idempotency-Key that is not 1 to MAX_KEY_LENGTH printable ASCII characters, still held
    # by its first request, or used for another request.
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    # A value that must be unique is taken: Django's code for a unique constraint, kept so a
    # client sees the same code whichever layer noticed.
    UNIQUE = "unique"
    # A required value is missing: DRF's and Django's code.
    REQUIRED = "required"
    # Too few or too many items in a list input (a bulk endpoint's cap): DRF's codes.
    MIN_LENGTH = "min_length"
    MAX_LENGTH = "max_length"
    # A decimal with more digits than its field holds: DRF's code, GraphQL's too.
    MAX_DIGITS = "max_digits"
    # A currency that is not one of settings.O2C_CURRENCIES.
    INVALID_CURRENCY = "invalid_currency"
    # Who is asking: no or a bad credential (401), a role or row the user may not touch (403),
    # too many requests (429). DRF's codes, GraphQL answers the same.
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    THROTTLED = "throttled"
    # The request's shape: a body field no endpoint field reads, a sort key or a `format` the
    # endpoint does not offer, a method or an address it does not answer.
    UNKNOWN_FIELD = "unknown_field"
    INVALID_ORDERING = "invalid_ordering"
    INVALID_FORMAT = "invalid_format"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    REQUEST_TOO_LARGE = "request_too_large"
    URI_TOO_LONG = "uri_too_long"


def database_refusal(exc: ProtectedError | IntegrityError) -> ValidationError:
    """What both APIs answer (409) when the database refused a write the services let through:
    one code and one sentence for each, REST's error entry and GraphQL's message alike."""
    if isinstance(exc, ProtectedError):
        return ValidationError(
            "Other records depend on this one (e.g. cash applications); it cannot be deleted.",
            code=ErrorCode.PROTECTED,
        )
    return ValidationError(
        "The change conflicts with existing data (a duplicate or a concurrent change); "
        "nothing was saved.",
        code=ErrorCode.CONFLICT,
    )


class Conflict(ValidationError):
    """The request is valid but clashes with the current state (an API answers 409).

    `details` carries machine-readable context, e.g. the id of the existing object.
    """

    def __init__(self, message: str, code: str, details: dict | None = None) -> None:
        super().__init__(message, code=code)
        self.details = details or {}
