"""Error codes every API shares, and domain errors that are not plain validation failures.

`ErrorCode` holds the codes of refusals that concern the request rather than one app's rules
(input bounds, request shape, cost). REST answers them as `errors[].code`, GraphQL as
`extensions.code` (or `OperationInfo.messages[].code` in a mutation's data). Values are stable.
"""

from enum import StrEnum

from django.core.exceptions import ValidationError


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


class Conflict(ValidationError):
    """The request is valid but clashes with the current state (an API answers 409).

    `details` carries machine-readable context, e.g. the id of the existing object.
    """

    def __init__(self, message: str, code: str, details: dict | None = None) -> None:
        super().__init__(message, code=code)
        self.details = details or {}
