"""Serializer fields whose values are bounded (see `o2c_api.bounds`) and strictly typed.

Why strict: DRF coerces what it is sent. `{"notes": 0}` became the text "0", `"true"` a
boolean, `12.5` a decimal through a float. A client sending the wrong type has a bug, and
coercion hides it (and makes the API accept bodies its OpenAPI schema says are invalid). The
`Strict*` fields take only the JSON type the schema names and refuse any other with a 400
`invalid_type` (`o2c_api.errors.ErrorCode.INVALID_TYPE`) in the one error shape. Python
values of the field's own type (a `Decimal`, a `date`) pass too: GraphQL and the services
validate through the same serializers with values that are already parsed.
"""

from decimal import Decimal

from rest_framework import serializers
from rest_framework.relations import PrimaryKeyRelatedField, SlugRelatedField

from o2c_api.bounds import check_date
from o2c_api.errors import ErrorCode


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

    def to_internal_value(self, data):
        if not isinstance(data, self.accepted_types) or (
            isinstance(data, bool) and bool not in self.accepted_types
        ):
            self.fail(ErrorCode.INVALID_TYPE, expected=self.expected, got=json_type_name(data))
        return super().to_internal_value(data)


class StrictCharField(StrictTypeMixin, serializers.CharField):
    accepted_types = (str,)
    expected = "a string"


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
    """Money and other decimals as decimal strings ("12.50"), never JSON numbers (floats)."""

    accepted_types = (str, Decimal)
    expected = 'a decimal string such as "12.50"'


class StrictPrimaryKeyRelatedField(StrictTypeMixin, PrimaryKeyRelatedField):
    accepted_types = (int,)
    expected = "an id (a whole number)"


class StrictSlugRelatedField(StrictTypeMixin, SlugRelatedField):
    accepted_types = (str,)
    expected = "a string"


class BoundedDateField(serializers.DateField):
    """A date within `o2c_api.bounds.date_range()`; another is a 400 `date_out_of_range`."""

    def to_internal_value(self, value):
        return check_date(super().to_internal_value(value))


class BoundedDateTimeField(serializers.DateTimeField):
    """A timestamp within `o2c_api.bounds.date_range()` (its day in UTC)."""

    def to_internal_value(self, value):
        return check_date(super().to_internal_value(value))
