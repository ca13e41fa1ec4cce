"""Serializer fields whose values are bounded (see `o2c_api.bounds`) and strictly typed.

Why strict: DRF coerces what it is sent. `{"notes": 0}` became the text "0", `"true"` a
boolean, `12.5` a decimal through a float. A client sending the wrong type has a bug, and
coercion hides it (and makes the API accept bodies its OpenAPI schema says are invalid). The
`Strict*` fields take only the JSON type the schema names and refuse any other with a 400
`invalid_type` (`o2c_api.errors.ErrorCode.INVALID_TYPE`) in the one error shape. Python
values of the field's own type (a `Decimal`, a `date`) pass too: GraphQL and the services
validate through the same serializers with values that are already parsed.
"""

import re
from decimal import Decimal

from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.relations import PrimaryKeyRelatedField, SlugRelatedField

from o2c_api.bounds import check_date, has_date_shape, has_datetime_shape
from o2c_api.errors import ErrorCode
from receivables.errors import ErrorCode as ReceivablesCode


def json_type_name(value) -> str:
    """The JSON name of a parsed value's type, for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class StrictTypeMixin:
    """Refuse a value that is not one of `accepted_types` (400 `invalid_type`).

    `bool` is a subclass of `int` in Python but not a number in JSON: it passes only where
    `accepted_types` names `bool`.
    """

    accepted_types: tuple[type, ...] = ()
    expected = ""
    default_error_messages = {ErrorCode.INVALID_TYPE: "Expected {expected}, got {got}."}

    def run_validation(self, data=empty):
        # DRF reads "" as null for a relation (and a nullable number); in JSON it is a string.
        if isinstance(data, str) and data == "" and str not in self.accepted_types:
            self.fail(ErrorCode.INVALID_TYPE, expected=self.expected, got=json_type_name(data))
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, self.accepted_types) or (
            isinstance(data, bool) and bool not in self.accepted_types
        ):
            self.fail(ErrorCode.INVALID_TYPE, expected=self.expected, got=json_type_name(data))
        return super().to_internal_value(data)


class StrictCharField(StrictTypeMixin, serializers.CharField):
    """Text; its `max_length` (the schema's `maxLength`) counts the string as sent, before
    the surrounding whitespace is trimmed (found by schemathesis: 201 characters, the first a
    space, were taken for a field of 200)."""

    accepted_types = (str,)
    expected = "a string"

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail(ErrorCode.MAX_LENGTH, max_length=self.max_length)
        return super().run_validation(data)


class StrictEmailField(StrictTypeMixin, serializers.EmailField):
    accepted_types = (str,)
    expected = "a string"


class StrictURLField(StrictTypeMixin, serializers.URLField):
    accepted_types = (str,)
    expected = "a string"


class StrictSlugField(StrictTypeMixin, serializers.SlugField):
    accepted_types = (str,)
    expected = "a string"


class StrictChoiceField(StrictTypeMixin, serializers.ChoiceField):
    """A choice of strings (every choice of this API is a string)."""

    accepted_types = (str,)
    expected = "a string"


class StrictBooleanField(StrictTypeMixin, serializers.BooleanField):
    accepted_types = (bool,)
    expected = "a boolean (true or false)"


class StrictIntegerField(StrictTypeMixin, serializers.IntegerField):
    accepted_types = (int,)
    expected = "a whole number"


class StrictFloatField(StrictTypeMixin, serializers.FloatField):
    accepted_types = (int, float)
    expected = "a number"


class StrictDecimalField(StrictTypeMixin, serializers.DecimalField):
    """Money and other decimals as decimal strings ("12.50"), never JSON numbers (floats).

    A string is taken only as `pattern` writes it, the pattern the schema states: an optional
    minus (none when `positive`), at most max_digits - decimal_places whole digits without
    leading zeros, at most decimal_places decimals. "", "1.", ".5", "+1", "01", "1e3" and " 1"
    are a 400 `invalid`; with `positive`, zero or less is a 400 `not_positive`, the code the
    services give (receivables.services.common.check_amount).
    """

    accepted_types = (str, Decimal)
    expected = 'a decimal string such as "12.50"'
    default_error_messages = {ReceivablesCode.NOT_POSITIVE: "Must be greater than zero."}

    def __init__(self, *, positive: bool = False, signed: bool = True, **kwargs) -> None:
        self.positive = positive
        self.signed = signed
        super().__init__(**kwargs)

    @property
    def pattern(self) -> str:
        """The OpenAPI pattern of the strings this field takes (without a minus when not
        `signed`: a value a constraint keeps at zero or more, such as a credit limit)."""
        whole = self.max_digits - self.decimal_places if self.max_digits is not None else None
        return decimal_pattern(
            whole, self.decimal_places, positive=self.positive, signed=self.signed
        )

    def validate_empty_values(self, data):
        # "" is no decimal string: a 400 `invalid`, as the pattern says; DRF reads it as null.
        if isinstance(data, str) and not data.strip():
            self.fail(ErrorCode.INVALID)
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        # The shape here; the digits' limits are DRF's (`max_digits`, `max_decimal_places`).
        if isinstance(data, str) and not re.fullmatch(decimal_pattern(None, None), data):
            self.fail(ErrorCode.INVALID)
        value = super().to_internal_value(data)
        if self.positive and value <= 0:
            self.fail(ReceivablesCode.NOT_POSITIVE)
        return value


def decimal_pattern(
    whole: int | None, decimals: int | None, *, positive: bool = False, signed: bool = True
) -> str:
    """The regular expression of a decimal string: at most `whole` digits before the point
    (any number when None; no leading zeros), at most `decimals` after it (any when None);
    greater than zero when `positive`; zero or more when not `signed`."""
    more = "\\d*" if whole is None else f"\\d{{0,{whole - 1}}}"
    fraction = "\\d+" if decimals is None else f"\\d{{1,{decimals}}}"
    point = f"(?:\\.{fraction})?" if decimals != 0 else ""
    if not positive:
        return f"^{'-?' if signed else ''}(?:0|[1-9]{more}){point}$"
    # Above zero: a whole part from 1, or 0 and decimals that are not all zeros.
    small = (
        "\\d*[1-9]\\d*"
        if decimals is None
        else "|".join(f"0{{{k}}}[1-9]\\d{{0,{decimals - 1 - k}}}" for k in range(decimals))
    )
    return f"^(?:[1-9]{more}{point}|0\\.(?:{small}))$"


class StrictPrimaryKeyRelatedField(StrictTypeMixin, PrimaryKeyRelatedField):
    accepted_types = (int,)
    expected = "an id (a whole number)"


class StrictSlugRelatedField(StrictTypeMixin, SlugRelatedField):
    accepted_types = (str,)
    expected = "a string"


class BoundedDateField(serializers.DateField):
    """A date within `o2c_api.bounds.date_range()`; another is a 400 `date_out_of_range`."""

    def to_internal_value(self, value):
        if isinstance(value, str) and not has_date_shape(value):
            self.fail(ErrorCode.INVALID, format="YYYY-MM-DD")
        return check_date(super().to_internal_value(value))


class BoundedDateTimeField(serializers.DateTimeField):
    """A timestamp within `o2c_api.bounds.date_range()` (its day as written)."""

    def to_internal_value(self, value):
        if isinstance(value, str) and not has_datetime_shape(value):
            self.fail(ErrorCode.INVALID, format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][Z|±hh:mm]")
        return check_date(super().to_internal_value(value))
