"""Serializer bases shared by the apps' REST APIs."""

from django.db import transaction
from rest_framework import serializers


class CleanModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose plain creates and updates run the model's `full_clean()`.

    For models without a service: their check and unique constraints then answer 400 with the
    constraint's code (through the exception handler) instead of a database IntegrityError.
    """

    # (Not in the docstring: drf-spectacular publishes it.) Each write is one transaction and
    # an update locks its row first: the KPI rollup reads the row's facts before and after the
    # save (model signals) and posts the difference in the same transaction, so two
    # concurrent updates must not both read the old state.

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
