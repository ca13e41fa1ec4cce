"""Filter backends shared by every list endpoint."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.exceptions import ErrorDetail, ValidationError


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


@extend_schema_field(OpenApiTypes.INT)
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
