from rest_framework.routers import DefaultRouter

from receivables.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("orders", views.OrderViewSet, basename="order")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("adjustments", views.AdjustmentViewSet, basename="adjustment")
router.register("disputes", views.DisputeViewSet, basename="dispute")
router.register("promises", views.PromiseViewSet, basename="promise")
router.register("activities", views.ActivityViewSet, basename="activity")
# The `pay` branch registers "payments" (receivables.api.payments.PaymentViewSet) here.

urlpatterns = router.urls
