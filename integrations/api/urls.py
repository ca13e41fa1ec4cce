from django.urls import path
from rest_framework.routers import DefaultRouter

from integrations.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register(
    "webhook-subscriptions", views.WebhookSubscriptionViewSet, basename="webhook-subscription"
)
router.register("webhook-deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")

# The endpoints that are not resources (listed as reports by the API root).
reports = [path("events/", views.EventFeedView.as_view(), name="event-feed")]

urlpatterns = [*reports, *router.urls]
