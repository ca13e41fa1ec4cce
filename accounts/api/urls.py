from rest_framework.routers import DefaultRouter

from accounts.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("segments", views.SegmentViewSet, basename="segment")
router.register("reps", views.SalesRepViewSet, basename="rep")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("opportunities", views.OpportunityViewSet, basename="opportunity")

urlpatterns = router.urls
