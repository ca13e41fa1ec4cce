"""Serializer bases shared by the apps' REST APIs."""

from collections.abc import Mapping

from django.db import models, transaction
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from o2c_api.api.fields import (
    BoundedDateField,
    BoundedDateTimeField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDecimalField,
    StrictEmailField,
    StrictFloatField,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    StrictSlugField,
    StrictURLField,
)
from o2c_api.errors import ErrorCode

# What the browsable API's HTML forms add to a body besides the fields.
FORM_KEYS = {"csrfmiddlewaretoken"}


class StrictFieldsMixin:
    """Refuse a write that names a field the serializer does not accept (400 `unknown_field`).

    Without it DRF drops unknown and read-only keys silently: `PATCH /invoices/{id}/
    {"status": "void"}` answered 200 and voided nothing. Each offending key is an error on
    that key, so a client learns exactly which of its fields were not taken. Nested
    serializers with the mixin check their own objects.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(key for key in data if key not in writable | FORM_KEYS)
            if unknown:
                raise serializers.ValidationError(
                    {
                        key: [
                            ErrorDetail(
                                f"{key!r} is not a field this endpoint accepts"
                                + (" (it is read only)." if key in self.fields else ".")
                                + f" Accepted: {', '.join(sorted(writable))}.",
                                code=ErrorCode.UNKNOWN_FIELD,
                            )
                        ]
                        for key in unknown
                    }
                )
        return super().to_internal_value(data)


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    """A Serializer that refuses unknown fields (see `StrictFieldsMixin`).

    Its writable fields are the `Strict*` fields of `o2c_api.api.fields` (a test checks it),
    so a value of another JSON type is a 400 `invalid_type`, never coerced.
    """


class BoundedDatesModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose model dates and timestamps are bounded (`o2c_api.bounds`)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: BoundedDateField,
        models.DateTimeField: BoundedDateTimeField,
    }


class StrictModelSerializer(StrictFieldsMixin, BoundedDatesModelSerializer):
    """A ModelSerializer that refuses unknown fields (see `StrictFieldsMixin`) and values of
    the wrong JSON type (the `Strict*` fields of `o2c_api.api.fields`): its model fields
    become strict fields; fields a subclass declares itself use them explicitly."""

    serializer_field_mapping = {
        **BoundedDatesModelSerializer.serializer_field_mapping,
        models.AutoField: StrictIntegerField,
        models.BooleanField: StrictBooleanField,
        models.CharField: StrictCharField,
        models.DecimalField: StrictDecimalField,
        models.EmailField: StrictEmailField,
        models.FloatField: StrictFloatField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.SlugField: StrictSlugField,
        models.SmallIntegerField: StrictIntegerField,
        models.TextField: StrictCharField,
        models.URLField: StrictURLField,
    }
    serializer_related_field = StrictPrimaryKeyRelatedField
    serializer_choice_field = StrictChoiceField


class CleanModelSerializer(StrictModelSerializer):
    """A ModelSerializer whose plain creates and updates run the model's `full_clean()`.

    For models without a service: their check and unique constraints then answer 400 with the
    constraint's code (through the exception handler) instead of a database IntegrityError.
    """

    # (Not in the docstring: drf-spectacular publishes it.) Each write is one transaction and
    # an update locks its row first, so two concurrent updates never both read the old state.
    # Only for models that carry no KPI facts: those are written by their services.

    @transaction.atomic
    def create(self, validated_data):
        instance = self.Meta.model(**validated_data)
        instance.full_clean()
        instance.save()
        return instance

    @transaction.atomic
    def update(self, instance, validated_data):
        instance = type(instance).objects.select_for_update().get(pk=instance.pk)
        for field, value in validated_data.items():
            setattr(instance, field, value)
        instance.full_clean()
        instance.save()
        return instance
