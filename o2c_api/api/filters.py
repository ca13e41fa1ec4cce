"""Filter backends shared by every list endpoint."""

import re
from datetime import date, datetime

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django_filters import fields as filter_fields
from django_filters.fields import DateRangeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.exceptions import ErrorDetail, ValidationError

from o2c_api.api.fields import decimal_pattern
from o2c_api.bounds import MAX_ID, check_date, has_date_shape, has_datetime_shape
from o2c_api.errors import ErrorCode


class BoundedDatesForm(forms.Form):
    """A filter form whose dates and timestamps lie within `o2c_api.bounds.date_range()`.

    Checked on the cleaned values, so every date filter of every kind is covered: a date, a
    timestamp (`updated_after`) and both ends of a `_after`/`_before` range (a `slice`). A
    timestamp comes back in UTC, whatever offset the client wrote.
    """

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            # Written as the schema's pattern says (YYYY-MM-DD, ISO 8601 with a T), not in
            # the other formats Django's form fields read ("10/25/2006", "2026-01-01 10:00").
            for key, shaped in _shapes(name, field):
                raw = self.data.get(key)
                if raw not in (None, "") and name not in self.errors and not shaped(str(raw)):
                    self.add_error(
                        name, DjangoValidationError(_SHAPE_MESSAGES[shaped], code=ErrorCode.INVALID)
                    )
                    cleaned.pop(name, None)
        for name, value in list(cleaned.items()):
            # A date range arrives as timestamps (the start and the end of the days sent):
            # judge the days, as sent.
            days = isinstance(self.fields.get(name), DateRangeField)
            try:
                cleaned[name] = _bounded(value, days)
            except DjangoValidationError as exc:
                self.add_error(name, exc)
        return cleaned


_SHAPE_MESSAGES = {
    has_date_shape: "Enter a valid date (YYYY-MM-DD).",
    has_datetime_shape: "Enter a valid timestamp (YYYY-MM-DDThh:mm[:ss][Z|±hh:mm]).",
}


def _shapes(name: str, field) -> list:
    """The query keys of a date filter's form field and the shape each must have."""
    if isinstance(field, DateRangeField):
        return [(f"{name}_{suffix}", has_date_shape) for suffix in ("after", "before")]
    if isinstance(field, forms.DateTimeField):
        return [(name, has_datetime_shape)]
    if isinstance(field, forms.DateField):
        return [(name, has_date_shape)]
    return []


def _bounded(value, days: bool):
    if isinstance(value, slice):
        return slice(_bounded(value.start, days), _bounded(value.stop, days), value.step)
    if days and isinstance(value, datetime):
        check_date(value.date())
        return value
    if isinstance(value, date):  # datetimes too
        return check_date(value)
    return value


class StableOrderingFilter(filters.OrderingFilter):
    """DRF's `ordering` parameter, strict and total.

    An unknown field is a 400 (`invalid_ordering`) rather than silently ignored, so a client
    learns about its typo. The primary key is appended as the last sort key: limit/offset
    pages are only stable over a total order, and dates and amounts repeat.
    """

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",") if param.strip()]
            valid = {
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            }
            unknown = [f for f in fields if f.lstrip("-") not in valid]
            if unknown:
                message = (
                    f"Cannot order by {', '.join(unknown)}; choose from "
                    f"{', '.join(sorted(valid))} (prefix - for descending)."
                )
                raise ValidationError(
                    {self.ordering_param: [ErrorDetail(message, code=ErrorCode.INVALID_ORDERING)]}
                )
            ordering = fields
        else:
            ordering = list(self.get_default_ordering(view) or queryset.query.order_by)
            if not ordering:
                ordering = list(queryset.model._meta.ordering)
        if not any(f.lstrip("-") in ("id", "pk") for f in ordering):
            ordering.append("id")
        return ordering

    def get_schema_operation_parameters(self, view):
        """`ordering` as a comma-separated array of the accepted values (`-` descending)."""
        try:
            queryset = view.get_queryset()
        except Exception:  # a view that needs a real request: document it loosely
            return super().get_schema_operation_parameters(view)
        names = sorted(name for name, _ in self.get_valid_fields(queryset, view, {}))
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort keys, comma-separated; `-` before a key sorts descending. "
                "The id is always the last key.",
                "style": "form",
                "explode": False,
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "enum": [value for name in names for value in (name, f"-{name}")],
                    },
                },
            }
        ]


class IdChoiceField(filter_fields.ModelChoiceField):
    """An id of the filter's queryset; an id of no record stands for one that matches nothing.

    What is not a whole number from 1 to `MAX_ID` is a 400 `invalid_choice` (the schema says
    `integer`, `minimum: 1`, `maximum`); a well-formed id that names no record filters to an
    empty list, as a filter by an unused value does: whether a record exists is not a rule of
    the request.
    """

    def to_python(self, value):
        if value in self.empty_values or (self.null_label is not None and value == self.null_value):
            return super().to_python(value)
        try:
            number = int(str(value))
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_ID or not str(value).isdigit():
            raise forms.ValidationError(
                self.error_messages[ErrorCode.INVALID_CHOICE],
                code=ErrorCode.INVALID_CHOICE,
                params={"value": value},
            )
        try:
            return super().to_python(number)
        except forms.ValidationError:
            # Unsaved, never saved: its key only, so the filter's query matches no row.
            return self.queryset.model(**{self.to_field_name or "pk": number})


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.ModelChoiceFilter):
    """A filter by the id of a related record (see `IdChoiceField`): an id that names no
    record answers an empty list, not an error."""

    field_class = IdChoiceField


# django-filter's NumberFilter refuses larger values (its `max_value` validator).
NUMBER_FILTER_MAX = django_filters.NumberFilter().get_max_validator().limit_value


class DecimalStringFormField(forms.DecimalField):
    """A decimal filter value (the form side of `o2c_api.api.fields.StrictDecimalField`) in
    the shape the OpenAPI schema states for its model field (`decimal_pattern`: digits, an
    optional point and at most `decimal_places` decimals), so `1e-100` or `1.005` is the same
    400 `invalid` as `abc`, not a filter the schema forbids."""

    def __init__(self, *, pattern: str, **kwargs):
        self.pattern = re.compile(pattern)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not self.pattern.fullmatch(str(value).strip()):
            raise forms.ValidationError(
                "Enter a number such as 1250 or -12.50, with at most %(places)d decimals.",
                code=ErrorCode.INVALID,
                params={"places": self.decimal_places},
            )
        return super().to_python(value)


def _strict_decimal(model_field: models.DecimalField) -> DecimalStringFormField:
    whole = model_field.max_digits - model_field.decimal_places
    return DecimalStringFormField(
        pattern=decimal_pattern(whole, model_field.decimal_places),
        max_digits=model_field.max_digits,
        decimal_places=model_field.decimal_places,
        required=False,
    )


class StrictDecimalRangeField(filter_fields.RangeField):
    """`<name>_min` / `<name>_max` of a decimal column, each a `DecimalStringFormField`."""

    def __init__(self, *args, model_field: models.DecimalField, **kwargs):
        fields = (_strict_decimal(model_field), _strict_decimal(model_field))
        super().__init__(fields, *args, **kwargs)


@extend_schema_field({"type": "number", "maximum": NUMBER_FILTER_MAX})
class NumberFilter(django_filters.NumberFilter):
    """django-filter's NumberFilter, with the bound it enforces (`max_value`, 1e50, against
    numbers too large to compare) stated in the schema."""


class StrictBooleanField(forms.NullBooleanField):
    """`true`/`false` (or 1/0); anything else is an error instead of "no filter"."""

    # A plain text widget: NullBooleanSelect would turn unknown values into None first.
    widget = forms.TextInput
    TRUE = ("true", "1")
    FALSE = ("false", "0")

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Enter true or false.", code=ErrorCode.INVALID)

    def validate(self, value):
        pass


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.BooleanFilter):
    """A BooleanFilter whose unknown values (`maybe`) are a 400 rather than ignored."""

    field_class = StrictBooleanField


class FilterSet(django_filters.FilterSet):
    """The base of every FilterSet of the API: dates bounded (see `BoundedDatesForm`),
    decimals in their schema's shape (`DecimalStringFormField`), and the filters it makes for
    foreign keys by id (`IdFilter`: an unknown id matches nothing) and for booleans
    (`StrictBooleanFilter`)."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        **{
            field: {**django_filters.FilterSet.FILTER_DEFAULTS[field], "filter_class": IdFilter}
            for field in (models.ForeignKey, models.OneToOneField)
        },
        # A boolean column's filter (`?active=`): anything but true/false is a 400, as the
        # schema's boolean says (django-filter's own ignores "maybe": found by schemathesis).
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A range of a decimal column is stated as its decimal string (`<name>_min`,
        # `<name>_max`); a NumberFilter is stated as a JSON number and takes any.
        for declared in self.filters.values():
            if not isinstance(declared, django_filters.RangeFilter):
                continue
            try:
                model_field = self._meta.model._meta.get_field(declared.field_name)
            except FieldDoesNotExist:
                continue
            if isinstance(model_field, models.DecimalField):
                declared.field_class = StrictDecimalRangeField
                declared.extra["model_field"] = model_field

    def get_form_class(self):
        form = super().get_form_class()
        if issubclass(form, BoundedDatesForm):
            return form
        return type(form.__name__, (BoundedDatesForm, form), {})
