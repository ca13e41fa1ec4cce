"""REST views of the event feed and webhooks: declarations, plus calls to the services."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations import feed, webhooks
from integrations.api import serializers
from integrations.filtersets import WebhookDeliveryFilterSet
from integrations.models import Event, EventType, WebhookDelivery, WebhookSubscription
from o2c_api.api.idempotency import IdempotentCreateMixin, idempotent


class EventFeedView(APIView):
    """The event feed, in commit order: resume with `after=<next_cursor>` (see
    docs/rest-api.md, "Event feed")."""

    queryset = Event.objects.none()  # for RolePermission: needs integrations.view_event

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "after",
                {"type": "string", "pattern": feed.CURSOR.pattern},
                description="`next_cursor` of the previous page.",
            ),
            OpenApiParameter(
                "type",
                str,
                many=True,
                enum=EventType.values,
                description="Only these event types (repeat or comma-separate).",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": feed.MAX_LIMIT},
                description=f"Page size, 1 to {feed.MAX_LIMIT} ({feed.DEFAULT_LIMIT}).",
            ),
        ],
        responses=serializers.EventPageSerializer,
        description="Events after the cursor, oldest first. 400 `invalid_cursor`, "
        "`unknown_event_type`, `invalid_limit`. A user limited to their customers gets only "
        "their customers' events (none of the KPI status changes).",
    )
    def get(self, request):
        params = request.query_params
        page = feed.page(
            params.get("after") or None,
            types=feed.parse_types(params.getlist("type")),
            limit=feed.parse_limit(params.get("limit")),
            user=request.user,
        )
        body = {
            "results": serializers.EventSerializer(page.events, many=True).data,
            "next_cursor": page.next_cursor,
            "has_more": page.has_more,
        }
        return Response(body)


class WebhookSubscriptionViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook subscriptions (admins). Setting `is_active` back to true resumes a disabled
    one and its pending deliveries. A user limited to their customers sees and changes only
    the subscriptions they created, which receive only their customers' events."""

    queryset = WebhookSubscription.objects.all()
    serializer_class = serializers.WebhookSubscriptionSerializer
    search_fields = ("url", "description")
    ordering_fields = ["created_at", "id"]
    ordering = ["id"]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "show_secret": self.action == "create"}

    def get_queryset(self):
        return webhooks.visible_subscriptions(super().get_queryset(), self.request.user)

    def perform_create(self, serializer):
        serializer.instance = webhooks.save_subscription(
            owner=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = webhooks.save_subscription(
            serializer.instance, **serializer.validated_data
        )


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The delivery log: status, attempts, last answer, latency and next attempt (a user
    limited to their customers: their subscriptions' deliveries of their customers' events)."""

    queryset = WebhookDelivery.objects.select_related("event")
    serializer_class = serializers.WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilterSet
    ordering_fields = ["created_at", "next_attempt_at", "id"]
    ordering = ["-id"]

    def get_queryset(self):
        return webhooks.visible_deliveries(super().get_queryset(), self.request.user)

    @extend_schema(request=None, responses=serializers.WebhookDeliverySerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def redeliver(self, request, pk=None):
        """Send the event again at the worker's next round, with a fresh retry budget."""
        delivery = webhooks.redeliver(self.get_object())
        return Response(
            serializers.WebhookDeliverySerializer(self.get_queryset().get(pk=delivery.pk)).data,
            status=status.HTTP_200_OK,
        )
