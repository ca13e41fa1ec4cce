"""Serializer fields whose values are bounded (see `o2c_api.bounds`)."""

from rest_framework import serializers

from o2c_api.bounds import check_date


class BoundedDateField(serializers.DateField):
    """A date within `o2c_api.bounds.date_range()`; another is a 400 `date_out_of_range`."""

    def to_internal_value(self, value):
        return check_date(super().to_internal_value(value))


class BoundedDateTimeField(serializers.DateTimeField):
    """A timestamp within `o2c_api.bounds.date_range()` (its day in UTC)."""

    def to_internal_value(self, value):
        return check_date(super().to_internal_value(value))
