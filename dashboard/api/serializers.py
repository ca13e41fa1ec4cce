"""Serializers of annotations and huddle actions; writes go through `dashboard.services`."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dashboard import services
from dashboard.models import Annotation, HuddleAction
from metrics.definitions import KPIS
from o2c_api.api.fields import StrictCharField
from o2c_api.api.serializers import StrictModelSerializer


@extend_schema_field({"type": "string", "enum": ["", *KPIS]})
class KPIKeyField(StrictCharField):
    """A KPI key or "" (none); the service checks it (`unknown_kpi`), the schema lists them."""


class AnnotationSerializer(StrictModelSerializer):
    """A dated note on the trend lines, optionally for one rep or segment."""

    rep_name = serializers.CharField(source="rep.name", read_only=True, allow_null=True)
    segment_name = serializers.CharField(source="segment.name", read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Annotation
        fields = [
            "id",
            "note_date",
            "text",
            "rep",
            "rep_name",
            "segment",
            "segment_name",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def create(self, validated_data):
        return services.create_annotation(**validated_data, created_by=self.context["request"].user)

    def update(self, instance, validated_data):
        return services.update_annotation(instance, **validated_data)


class HuddleActionSerializer(StrictModelSerializer):
    """An action from a KPI huddle. `status` and `done_date` change through `.../complete/`."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    kpi = KPIKeyField(
        required=False, allow_blank=True, max_length=64, help_text="KPI key it is about, e.g. dso."
    )

    class Meta:
        model = HuddleAction
        fields = [
            "id",
            "title",
            "kpi",
            "context",
            "owner",
            "due_date",
            "definition_of_done",
            "status",
            "done_date",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "done_date", "created_at", "updated_at"]

    def create(self, validated_data):
        return services.create_action(**validated_data, created_by=self.context["request"].user)

    def update(self, instance, validated_data):
        return services.update_action(instance, **validated_data)
