"""REST serializers of the event feed and webhooks."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrations.models import Event, EventType, WebhookDelivery, WebhookSubscription
from o2c_api.api.fields import StrictCharField
from o2c_api.api.serializers import StrictModelSerializer


class EventSerializer(serializers.ModelSerializer):
    """An event: what happened to which object, and the data a consumer acts on."""

    cursor = serializers.CharField(read_only=True, help_text="Resume the feed after this event.")
    occurred_at = serializers.DateTimeField(read_only=True)
    data = serializers.JSONField(source="payload", read_only=True)

    class Meta:
        model = Event
        fields = ["id", "cursor", "type", "object_type", "object_id", "occurred_at", "data"]


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next_cursor = serializers.CharField(
        help_text="Pass as `after` for the next page (the same cursor when nothing came)."
    )
    has_more = serializers.BooleanField(help_text="More events are waiting: ask again now.")


@extend_schema_field({"type": "string", "enum": EventType.values})
class EventTypeField(StrictCharField):
    """An event type; the service checks it (`unknown_event_type`), the schema lists them."""


class WebhookSubscriptionSerializer(StrictModelSerializer):
    """A webhook subscription; the secret is shown once, in the answer to its creation."""

    event_types = serializers.ListField(
        # Checked by the service (code unknown_event_type, as GraphQL answers).
        child=EventTypeField(max_length=40),
        required=False,
        max_length=len(EventType.values),
        help_text="Event types sent; empty or absent: every type. One of: "
        + ", ".join(EventType.values),
    )
    secret = serializers.SerializerMethodField(
        help_text="HMAC-SHA256 key of the signature: in the creation answer only."
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "secret",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = [
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_secret(self, subscription) -> str | None:
        return subscription.secret if self.context.get("show_secret") else None


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event sent (or to send) to one subscription: the delivery log."""

    event_type = serializers.CharField(source="event.type", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event",
            "event_type",
            "status",
            "attempts",
            "response_code",
            "latency_ms",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields
