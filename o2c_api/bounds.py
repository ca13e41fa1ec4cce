"""The bounds of what a client may send: dates, text, JSON nesting.

One home for each bound. The REST serializers' date fields (`o2c_api.api.fields`), the
django-filter FilterSets (`o2c_api.api.filters.FilterSet`), the KPI scope and every `as_of`
(`metrics.scope.parse_date`) and the GraphQL scalars (`o2c_api.graphql.scalars`) all call the
functions below, so a date the API refuses is refused the same way, with the same code and
sentence, wherever it is sent.

Why dates are bounded: the engines step back and forth from the dates they are given (the
previous period, a year earlier, the trailing weeks of a forecast), and Python's dates end at
years 1 and 9999 (an OverflowError), PostgreSQL's timestamps at a time zone offset of ±15:59.
No receivable is dated outside a few centuries; a narrower range, configurable with
`O2C_DATE_MIN` and `O2C_DATE_MAX`, keeps every computation far from those edges.
"""

import re
from datetime import UTC, date, datetime
from itertools import accumulate

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import dateparse

from o2c_api.errors import ErrorCode

NUL_MESSAGE = "Null characters are not allowed."

# The largest id a client may name: a record's id is a bigint (PostgreSQL's, SQLite's
# INTEGER), and a larger number is no id at all (SQLite raises OverflowError binding it).
MAX_ID = 2**63 - 1


def date_range() -> tuple[date, date]:
    """The first and last day a client may send (settings O2C_DATE_MIN, O2C_DATE_MAX)."""
    return date.fromisoformat(settings.O2C_DATE_MIN), date.fromisoformat(settings.O2C_DATE_MAX)


def out_of_range(value) -> ValidationError:
    """The error for a date or timestamp outside `date_range()`."""
    first, last = date_range()
    return ValidationError(
        f"{value} is outside the dates this API accepts ({first} to {last}).",
        code=ErrorCode.DATE_OUT_OF_RANGE,
    )


def check_date[D: (date, datetime)](value: D) -> D:
    """`value` when its day, as written, lies within `date_range()`.

    A timestamp's day is the one it names, whatever its offset (`1900-01-01T00:30+01:00` is
    in range), so that `date_pattern()` and `datetime_pattern()` state exactly what is taken.
    An aware timestamp is returned converted to UTC: PostgreSQL refuses offsets beyond
    ±15:59 that Python accepts (`-16:09`); a day in range is far from the end of Python's
    dates in UTC too.

    Raises:
        ValidationError: date_out_of_range.
    """
    day = value.date() if isinstance(value, datetime) else value
    first, last = date_range()
    if not first <= day <= last:
        raise out_of_range(value.isoformat())
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


# The shapes of a date and a timestamp a client may write: ISO 8601's extended format only
# (Python also reads `20000101` and `2000-W01-1`; the schema does not promise them).
DATE_SHAPE = r"\d{4}-\d{2}-\d{2}"
TIME_OF_DAY = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?"
OFFSET = r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
_DATE_SHAPE = re.compile(DATE_SHAPE)
_DATETIME_SHAPE = re.compile(rf"{DATE_SHAPE}T{TIME_OF_DAY}{OFFSET}?")
_MONTH_DAYS = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))"
)


def has_date_shape(text: str) -> bool:
    """Whether `text` is written YYYY-MM-DD (any year, any digits: judged further on)."""
    return _DATE_SHAPE.fullmatch(text) is not None


def has_datetime_shape(text: str) -> bool:
    """Whether `text` is written YYYY-MM-DDThh:mm[:ss[.ffffff]][Z|±hh:mm]."""
    return _DATETIME_SHAPE.fullmatch(text) is not None


def date_pattern() -> str:
    """The OpenAPI `pattern` of a date a client may send: a real day of the years of
    `date_range()` (with 29 February in leap years only).

    The pattern names whole years: with O2C_DATE_MIN or O2C_DATE_MAX inside a year, the days
    of that year beyond the bound match it and are refused (`date_out_of_range`).
    """
    first, last = date_range()
    years = range(first.year, last.year + 1)
    leap = "|".join(str(y) for y in years if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0))
    any_year = _number_range(f"{first.year:04d}", f"{last.year:04d}")
    days = rf"(?:{any_year})-{_MONTH_DAYS}"
    if leap:
        days += rf"|(?:{leap})-02-29"
    return rf"^(?:{days})$"


def datetime_pattern() -> str:
    """The OpenAPI `pattern` of a timestamp a client may send: a day of `date_pattern()`, a
    time of day, and an optional offset (without one: the server's time zone)."""
    return rf"^(?:{date_pattern()[1:-1]})T{TIME_OF_DAY}{OFFSET}?$"


def _number_range(low: str, high: str) -> str:
    """A regular expression matching the whole numbers low..high, written with as many digits."""
    if low == high:
        return low
    if len(low) == 1:
        return f"[{low}-{high}]"
    rest = len(low) - 1
    if low[0] == high[0]:
        return f"{low[0]}(?:{_number_range(low[1:], high[1:])})"
    parts = [f"{low[0]}(?:{_number_range(low[1:], '9' * rest)})"]
    if int(high[0]) - int(low[0]) > 1:
        parts.append(f"[{int(low[0]) + 1}-{int(high[0]) - 1}]\\d{{{rest}}}")
    parts.append(f"{high[0]}(?:{_number_range('0' * rest, high[1:])})")
    return "|".join(parts)


def parse_date(value, field: str | None = None) -> date | None:
    """An ISO date (YYYY-MM-DD) within `date_range()`; None when empty.

    Args:
        value: a string or a date.
        field: the parameter's name; when given the error is keyed by it.

    Raises:
        ValidationError: invalid_date, date_out_of_range.
    """
    if value is None or value == "":
        return None
    try:
        parsed = value if isinstance(value, date) else date.fromisoformat(str(value))
        return check_date(parsed)
    except ValueError as exc:
        error = ValidationError(
            f"{value!r} is not a date (YYYY-MM-DD).", code=ErrorCode.INVALID_DATE
        )
        raise _keyed(error, field) from exc
    except ValidationError as exc:
        raise _keyed(exc, field) from None


def parse_datetime(value, field: str | None = None) -> datetime | None:
    """An ISO 8601 timestamp within `date_range()` (aware: in UTC); None when empty.

    A timestamp without an offset is in the server's time zone, as Django reads it.

    Raises:
        ValidationError: invalid_date, date_out_of_range.
    """
    if value is None or value == "":
        return None
    try:
        parsed = value if isinstance(value, datetime) else dateparse.parse_datetime(str(value))
        if parsed is None:
            raise ValueError(value)
        return check_date(parsed)
    except ValueError as exc:  # also an offset of 24 hours or more
        error = ValidationError(
            f"{value!r} is not an ISO 8601 timestamp.", code=ErrorCode.INVALID_DATE
        )
        raise _keyed(error, field) from exc
    except ValidationError as exc:
        raise _keyed(exc, field) from None


def check_text(value: str, field: str | None = None) -> str:
    """`value` unless it holds a NUL byte (PostgreSQL text cannot, and no name or label does).

    Raises:
        ValidationError: null_characters_not_allowed (Django's and DRF's code).
    """
    if "\x00" in value:
        raise _keyed(ValidationError(NUL_MESSAGE, code=ErrorCode.NULL_CHARACTERS), field)
    return value


def _keyed(error: ValidationError, field: str | None) -> ValidationError:
    return ValidationError({field: error}) if field else error


# JSON nesting, measured on the raw bytes so that nothing recursive runs on a hostile body:
# strings are blanked out (a bracket inside a string does not nest), every other byte but the
# four brackets dropped, and the depth is the highest running sum of +1 per opening and -1 per
# closing bracket, all in C loops (a 5 MB body in well under a second).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON body (0 for a scalar)."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_json_depth(body: bytes) -> None:
    """Refuse a body nested deeper than settings.O2C_MAX_JSON_DEPTH.

    Raises:
        ValidationError: invalid_json.
    """
    limit = settings.O2C_MAX_JSON_DEPTH
    if json_depth(body) > limit:
        raise ValidationError(
            f"The JSON body nests deeper than {limit} levels of arrays and objects.",
            code=ErrorCode.INVALID_JSON,
        )
