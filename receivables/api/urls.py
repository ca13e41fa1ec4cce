from rest_framework.routers import DefaultRouter

from receivables.api import views
from receivables.api.payments import PaymentApplicationViewSet, PaymentViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("orders", views.OrderViewSet, basename="order")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("adjustments", views.AdjustmentViewSet, basename="adjustment")
router.register("payments", PaymentViewSet, basename="payment")
router.register("applications", PaymentApplicationViewSet, basename="application")
router.register("disputes", views.DisputeViewSet, basename="dispute")
router.register("promises", views.PromiseViewSet, basename="promise")
router.register("activities", views.ActivityViewSet, basename="activity")

urlpatterns = router.urls
