"""django-filter FilterSets of the webhook REST API."""

import django_filters as filters

from integrations.models import WebhookDelivery, WebhookSubscription
from o2c_api.api.filters import IdFilter


class WebhookDeliveryFilterSet(filters.FilterSet):
    """`subscription`, `status` (pending, succeeded, failed), `event`."""

    subscription = IdFilter(queryset=WebhookSubscription.objects.all())

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "status", "event"]
