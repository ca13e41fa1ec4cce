"""The event feed and webhooks in GraphQL: the same functions, arguments and codes as REST."""

import strawberry
import strawberry_django
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from graphql import GraphQLError
from strawberry.types import Info
from strawberry_django.pagination import OffsetPaginated

from integrations import feed, webhooks
from integrations.graphql.types import (
    CreatedWebhookSubscriptionType,
    EventPageType,
    WebhookDeliveryType,
    WebhookSubscriptionType,
)
from integrations.models import Event, WebhookDelivery, WebhookSubscription
from o2c_api.api.exceptions import django_validation_errors
from o2c_api.errors import ErrorCode
from o2c_api.graphql.errors import fresh, get_object, service_errors
from o2c_api.graphql.permissions import can_add, can_change, can_view


@strawberry.type
class Query:
    # A resolver, not the type's get_queryset: that would make a delivery's nested
    # subscription a prefetch (a query more); a scoped user's deliveries are of their own
    # subscriptions already.
    @strawberry_django.offset_paginated(
        OffsetPaginated[WebhookSubscriptionType], extensions=can_view(WebhookSubscription)
    )
    def webhook_subscriptions(self, info: Info) -> QuerySet[WebhookSubscription]:
        return webhooks.visible_subscriptions(
            WebhookSubscription.objects.all(), info.context.request.user
        )

    webhook_deliveries: OffsetPaginated[WebhookDeliveryType] = strawberry_django.offset_paginated(
        extensions=can_view(WebhookDelivery),
        order=None,
    )

    @strawberry_django.field(
        extensions=can_view(Event),
        description="Events after the cursor `after`, in commit order (as GET /api/v1/events/). "
        "Codes: invalid_cursor, unknown_event_type, invalid_limit.",
    )
    def events(
        self,
        info: Info,
        after: str | None = None,
        type: list[str] | None = None,
        limit: int | None = None,
    ) -> EventPageType:
        try:
            page = feed.page(
                after or None,
                types=feed.parse_types(type),
                limit=feed.parse_limit(limit),
                user=info.context.request.user,
            )
        except ValidationError as exc:
            errors = django_validation_errors(exc)
            raise GraphQLError(
                errors[0]["message"],
                extensions={"code": errors[0]["code"], "field": errors[0]["field"]},
            ) from exc
        return EventPageType(
            results=page.events, next_cursor=page.next_cursor, has_more=page.has_more
        )


def _check_visible(visible, obj, pk, info: Info) -> None:
    """Another user's subscription (or delivery) is "no such row" to a scoped user (REST's
    404), as `get_object` answers for another customer's row.

    Raises:
        ValidationError: not_found.
    """
    model = type(obj)
    if not visible(model.objects.filter(pk=obj.pk), info.context.request.user).exists():
        name = model._meta.verbose_name
        raise ValidationError(
            {"id": ValidationError(f"No {name} with id {pk!r}.", ErrorCode.NOT_FOUND)}
        )


def _mutation(extensions: list, description: str):
    return strawberry_django.mutation(
        handle_django_errors=True, extensions=extensions, description=description
    )


@strawberry.input
class WebhookSubscriptionInput:
    url: str | None = None
    description: str | None = None
    event_types: list[str] | None = None
    is_active: bool | None = None


@strawberry.type
class Mutation:
    @_mutation(
        can_add(WebhookSubscription),
        "Subscribe a URL to events; the answer holds the signing secret (only here). "
        "Codes: unknown_event_type, invalid, required.",
    )
    def create_webhook_subscription(
        self, info: Info, data: WebhookSubscriptionInput
    ) -> CreatedWebhookSubscriptionType:
        with service_errors(), transaction.atomic():
            fields = {k: v for k, v in data.__dict__.items() if v is not None}
            return fresh(webhooks.save_subscription(owner=info.context.request.user, **fields))

    @_mutation(
        can_change(WebhookSubscription),
        "Change a subscription; isActive true resumes a disabled one. Code: unknown_event_type.",
    )
    def update_webhook_subscription(
        self, info: Info, id: strawberry.ID, data: WebhookSubscriptionInput
    ) -> WebhookSubscriptionType:
        with service_errors(), transaction.atomic():
            subscription = get_object(WebhookSubscription, id)
            _check_visible(webhooks.visible_subscriptions, subscription, id, info)
            fields = {k: v for k, v in data.__dict__.items() if v is not None}
            return fresh(webhooks.save_subscription(subscription, **fields))

    @_mutation(
        can_change(WebhookDelivery),
        "Send a delivery again at the worker's next round, with a fresh retry budget.",
    )
    def redeliver_webhook(self, info: Info, id: strawberry.ID) -> WebhookDeliveryType:
        with service_errors(), transaction.atomic():
            delivery = get_object(WebhookDelivery, id)
            _check_visible(webhooks.visible_deliveries, delivery, id, info)
            return fresh(webhooks.redeliver(delivery))
