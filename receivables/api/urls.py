from rest_framework.routers import DefaultRouter

from receivables.api.payments import PaymentApplicationViewSet, PaymentViewSet

router = DefaultRouter(trailing_slash=True)
router.register("payments", PaymentViewSet, basename="payment")
router.register("applications", PaymentApplicationViewSet, basename="application")

urlpatterns = router.urls
