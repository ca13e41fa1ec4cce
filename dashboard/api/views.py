"""REST viewsets of annotations and huddle actions (under /api/v1/)."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from dashboard import services
from dashboard.api.serializers import AnnotationSerializer, HuddleActionSerializer
from dashboard.filtersets import AnnotationFilterSet, HuddleActionFilterSet
from dashboard.models import Annotation, HuddleAction
from o2c_api.api.idempotency import IdempotentCreateMixin, idempotent

READ_AND_WRITE = ["get", "post", "patch", "head", "options"]


class AnnotationViewSet(IdempotentCreateMixin, viewsets.ModelViewSet):
    """Notes drawn on the dashboard's trend lines ("new reminder wording", "price change")."""

    queryset = Annotation.objects.select_related("rep", "segment", "created_by")
    serializer_class = AnnotationSerializer
    filterset_class = AnnotationFilterSet
    search_fields = ["text"]
    ordering_fields = ["note_date", "created_at", "updated_at", "id"]
    ordering = ["note_date", "id"]
    http_method_names = READ_AND_WRITE


class HuddleActionViewSet(IdempotentCreateMixin, viewsets.ModelViewSet):
    """Huddle actions: owner, due date, definition of done; open until completed."""

    queryset = HuddleAction.objects.select_related("created_by")
    serializer_class = HuddleActionSerializer
    filterset_class = HuddleActionFilterSet
    search_fields = ["title", "owner", "context"]
    ordering_fields = ["due_date", "created_at", "updated_at", "id"]
    ordering = ["due_date", "id"]
    http_method_names = READ_AND_WRITE

    @extend_schema(request=None, responses=HuddleActionSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def complete(self, request, pk=None):
        """Mark the action done today (400 `action_already_done` if it is done already; a
        retry with the same Idempotency-Key replays the first answer instead)."""
        done = services.complete_action(self.get_object())
        return Response(self.get_serializer(done).data)
