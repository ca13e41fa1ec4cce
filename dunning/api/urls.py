from django.urls import path
from rest_framework.routers import DefaultRouter

from dunning.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("message-templates", views.MessageTemplateViewSet, basename="message-template")
router.register("playbook-steps", views.PlaybookStepViewSet, basename="playbook-step")
router.register("playbook-actions", views.PlaybookActionViewSet, basename="playbook-action")
router.register("credit-hold-rules", views.CreditHoldRuleViewSet, basename="credit-hold-rule")
router.register("credit-holds", views.CreditHoldViewSet, basename="credit-hold")

# The endpoints that are not resources (listed as reports by the API root).
reports = [
    path("playbook-funnel/", views.PlaybookFunnelView.as_view(), name="playbook-funnel"),
    path(
        "promise-reliability/",
        views.PromiseReliabilityView.as_view(),
        name="promise-reliability",
    ),
]

urlpatterns = [*reports, *router.urls]
