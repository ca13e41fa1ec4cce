"""Serializer bases shared by the apps' REST APIs."""

from rest_framework import serializers


class CleanModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose plain creates and updates run the model's `full_clean()`.

    For models without a service: their check and unique constraints then answer 400 with the
    constraint's code (through the exception handler) instead of a database IntegrityError.
    """

    def create(self, validated_data):
        instance = self.Meta.model(**validated_data)
        instance.full_clean()
        instance.save()
        return instance

    def update(self, instance, validated_data):
        for field, value in validated_data.items():
            setattr(instance, field, value)
        instance.full_clean()
        instance.save()
        return instance
