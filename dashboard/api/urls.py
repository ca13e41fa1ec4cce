from rest_framework.routers import DefaultRouter

from dashboard.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("annotations", views.AnnotationViewSet, basename="annotation")
router.register("huddle-actions", views.HuddleActionViewSet, basename="huddle-action")

urlpatterns = router.urls
