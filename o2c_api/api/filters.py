"""Filter backends shared by every list endpoint."""

from datetime import date, datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.fields import DateRangeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.exceptions import ErrorDetail, ValidationError

from o2c_api.bounds import check_date


class BoundedDatesForm(forms.Form):
    """A filter form whose dates and timestamps lie within `o2c_api.bounds.date_range()`.

    Checked on the cleaned values, so every date filter of every kind is covered: a date, a
    timestamp (`updated_after`) and both ends of a `_after`/`_before` range (a `slice`). A
    timestamp comes back in UTC, whatever offset the client wrote.
    """

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            # A date range arrives as timestamps (the start and the end of the days sent):
            # judge the days, as sent.
            days = isinstance(self.fields.get(name), DateRangeField)
            try:
                cleaned[name] = _bounded(value, days)
            except DjangoValidationError as exc:
                self.add_error(name, exc)
        return cleaned


def _bounded(value, days: bool):
    if isinstance(value, slice):
        return slice(_bounded(value.start, days), _bounded(value.stop, days), value.step)
    if days and isinstance(value, datetime):
        check_date(value.date())
        return value
    if isinstance(value, date):  # datetimes too
        return check_date(value)
    return value


class FilterSet(django_filters.FilterSet):
    """The base of every FilterSet of the API: dates bounded (see `BoundedDatesForm`)."""

    def get_form_class(self):
        form = super().get_form_class()
        if issubclass(form, BoundedDatesForm):
            return form
        return type(form.__name__, (BoundedDatesForm, form), {})


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
                    {self.ordering_param: [ErrorDetail(message, code="invalid_ordering")]}
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


@extend_schema_field({"type": "integer", "minimum": 1})
class IdFilter(django_filters.ModelChoiceFilter):
    """A ModelChoiceFilter taking an id: an id that does not exist is a 400 (invalid_choice)."""


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
        raise forms.ValidationError("Enter true or false.", code="invalid")

    def validate(self, value):
        pass


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.BooleanFilter):
    """A BooleanFilter whose unknown values (`maybe`) are a 400 rather than ignored."""

    field_class = StrictBooleanField
