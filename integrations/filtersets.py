"""django-filter FilterSets of the webhook REST API."""

from integrations.models import WebhookDelivery, WebhookSubscription
from o2c_api.api.filters import FilterSet, IdFilter


class WebhookDeliveryFilterSet(FilterSet):
    """`subscription`, `status` (pending, succeeded, failed), `event`."""

    subscription = IdFilter(queryset=WebhookSubscription.objects.all())

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "status", "event"]
