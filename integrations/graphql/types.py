"""GraphQL types of the event feed and webhooks: what REST's serializers show, camelCased."""

import strawberry
import strawberry_django
from strawberry import auto
from strawberry.scalars import JSON

from integrations import webhooks
from integrations.models import Event, WebhookDelivery, WebhookSubscription


def _user(info):
    return getattr(info.context.request, "user", None)


@strawberry_django.type(Event, name="Event")
class FeedEventType:
    id: auto
    type: str
    object_type: auto
    object_id: auto
    occurred_at: auto

    @strawberry_django.field(only=["txid"])
    def cursor(self) -> str:
        return self.cursor

    @strawberry_django.field(only=["payload"])
    def data(self) -> JSON:
        return self.payload


@strawberry.type(name="EventPage")
class EventPageType:
    results: list[FeedEventType]
    next_cursor: str
    has_more: bool


@strawberry_django.type(WebhookSubscription)
class WebhookSubscriptionType:
    id: auto
    url: auto
    description: auto
    event_types: list[str]
    is_active: auto
    consecutive_failures: auto
    disabled_at: auto
    disabled_reason: auto
    created_at: auto


@strawberry_django.type(WebhookSubscription, name="CreatedWebhookSubscription")
class CreatedWebhookSubscriptionType(WebhookSubscriptionType):
    """The answer to a creation: the only one that shows the signing secret."""

    secret: auto


@strawberry_django.type(WebhookDelivery)
class WebhookDeliveryType:
    id: auto
    subscription: WebhookSubscriptionType
    event: FeedEventType
    status: str
    attempts: auto
    response_code: auto
    latency_ms: auto
    last_error: auto
    last_attempt_at: auto
    next_attempt_at: auto
    delivered_at: auto
    created_at: auto

    @classmethod
    def get_queryset(cls, queryset, info, **kwargs):
        return webhooks.visible_deliveries(queryset, _user(info))
