"""GraphQL's Date, DateTime and Decimal scalars, bounded and coded as REST's fields are.

strawberry's own scalars accept any date Python can hold (year 1 to 9999), any timestamp
offset Python accepts (PostgreSQL refuses those past ±15:59) and "NaN" or "Infinity" as a
Decimal; each then failed deep inside a resolver with internal text and no code. These parse
every input with `o2c_api.bounds` (the same functions as REST), so a refusal is an error with
REST's code (`invalid_date`, `date_out_of_range`, `invalid`, `max_digits`) before anything runs.
"""

import dataclasses
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from graphql import GraphQLError
from strawberry.schema.types.base_scalars import (
    DateDefinition,
    DateTimeDefinition,
    DecimalDefinition,
)

from o2c_api import bounds
from o2c_api.errors import ErrorCode

# Every amount is a DecimalField(18, 2): the digits REST's DecimalField allows. The services
# refuse 19 to 40 digits themselves (as OperationInfo, with REST's code); a number longer than
# that is refused here, before any arithmetic on it can fail (1e400 overflows a quantize).
MAX_DIGITS = 18
MAX_PARSED_DIGITS = 40


def _coded(exc: ValidationError) -> GraphQLError:
    error = exc.error_list[0]
    return GraphQLError(" ".join(error.messages), extensions={"code": error.code})


def _string(value, kind: str) -> str:
    if not isinstance(value, str):
        raise GraphQLError(
            f"{value!r} is not a {kind}: send it as a string.",
            extensions={"code": ErrorCode.INVALID_DATE if "date" in kind else ErrorCode.INVALID},
        )
    return value


def parse_date(value) -> date:
    try:
        return bounds.parse_date(_string(value, "date (YYYY-MM-DD)"))
    except ValidationError as exc:
        raise _coded(exc) from None


def parse_datetime(value) -> datetime:
    try:
        return bounds.parse_datetime(_string(value, "timestamp (ISO 8601)"))
    except ValidationError as exc:
        raise _coded(exc) from None


def parse_decimal(value) -> Decimal:
    """A finite number of at most MAX_PARSED_DIGITS digits (REST's `invalid`, `max_digits`)."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise GraphQLError("A valid number is required.", extensions={"code": ErrorCode.INVALID})
    _sign, digits, exponent = number.as_tuple()
    total = len(digits) + exponent if exponent >= 0 else max(len(digits), -exponent)
    if total > MAX_PARSED_DIGITS:
        raise GraphQLError(
            f"Ensure that there are no more than {MAX_DIGITS} digits in total.",
            extensions={"code": ErrorCode.MAX_DIGITS},
        )
    return number


DATE = dataclasses.replace(DateDefinition, parse_value=parse_date, implementation=None)
DATETIME = dataclasses.replace(DateTimeDefinition, parse_value=parse_datetime, implementation=None)
DECIMAL = dataclasses.replace(DecimalDefinition, parse_value=parse_decimal, implementation=None)

# For `strawberry.Schema(scalar_overrides=...)`.
OVERRIDES = {date: DATE, datetime: DATETIME, Decimal: DECIMAL}
