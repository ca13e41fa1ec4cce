"""REST views of the playbook and credit holds: declarations, plus calls to `dunning.services`.

Templates are written through `services.save_template` (merge fields checked); holds are
placed and lifted by hand through `place_hold` / `lift_hold` and evaluated by the rules
through `evaluate_credit_holds` (admins: the role holds the dunning write permissions).
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import is_scoped, own_customer_ids
from dunning import funnel, promises, services
from dunning.api import serializers
from dunning.errors import ErrorCode
from dunning.filtersets import CreditHoldFilterSet, PlaybookActionFilterSet
from dunning.models import (
    CreditHold,
    CreditHoldOverride,
    CreditHoldReason,
    CreditHoldRule,
    MessageTemplate,
    PlaybookAction,
    PlaybookStep,
)
from metrics.api.views import SCOPE_PARAMETERS
from metrics.errors import ErrorCode as ScopeCode
from metrics.scope import parse_date, scope_from_params
from o2c_api.api.idempotency import IdempotentCreateMixin, idempotent
from o2c_api.api.permissions import CanViewScopedKPIs
from o2c_api.api.scoping import CustomerScopedMixin
from o2c_api.errors import ErrorCode as PageCode


class MessageTemplateViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Message templates of the playbook. An unknown merge field is a 400
    `unknown_merge_field`; templates in use are not deleted (edit or retire the step)."""

    queryset = MessageTemplate.objects.all()
    serializer_class = serializers.MessageTemplateSerializer
    search_fields = ("code", "name", "subject", "body")
    ordering_fields = ["code", "name", "updated_at", "id"]
    ordering = ["code", "id"]

    def perform_create(self, serializer):
        serializer.instance = services.save_template(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.save_template(
            serializer.instance, **serializer.validated_data
        )


class PlaybookStepViewSet(viewsets.ReadOnlyModelViewSet):
    """The playbook's steps in offset order, with templates and channel rules (edit in the
    admin)."""

    queryset = PlaybookStep.objects.select_related(
        "template", "challenger_template"
    ).prefetch_related("channel_rules")
    serializer_class = serializers.PlaybookStepSerializer
    ordering_fields = ["offset_days", "id"]
    ordering = ["offset_days", "id"]


class PlaybookActionViewSet(CustomerScopedMixin, viewsets.ReadOnlyModelViewSet):
    """What the playbook did: one row per invoice and step, with the activity it created."""

    queryset = PlaybookAction.objects.select_related("invoice", "step", "template")
    serializer_class = serializers.PlaybookActionSerializer
    filterset_class = PlaybookActionFilterSet
    ordering_fields = ["as_of", "created_at", "id"]
    ordering = ["-as_of", "-id"]


class CreditHoldRuleViewSet(viewsets.ReadOnlyModelViewSet):
    """The credit-hold rules and their parameters (edit in the admin)."""

    queryset = CreditHoldRule.objects.all()
    serializer_class = serializers.CreditHoldRuleSerializer
    ordering = ["code", "id"]


class CreditHoldViewSet(
    CustomerScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Credit holds, current and past, with their reasons and overrides.

    `?customer=12&current=true` is the customer's hold in force (empty: not on hold),
    `?customer=12` its history.
    """

    queryset = CreditHold.objects.select_related(
        "customer", "placed_by", "lifted_by"
    ).prefetch_related(
        Prefetch("reasons", queryset=CreditHoldReason.objects.order_by("added_at", "id")),
        Prefetch("overrides", queryset=CreditHoldOverride.objects.select_related("user")),
    )
    serializer_class = serializers.CreditHoldSerializer
    filterset_class = CreditHoldFilterSet
    search_fields = ("customer__name", "customer__external_id", "note")
    ordering_fields = ["placed_at", "lifted_at", "id"]
    ordering = ["-placed_at", "-id"]

    @extend_schema(
        request=serializers.PlaceHoldSerializer,
        responses={201: serializers.CreditHoldSerializer},
        description="Put a customer on credit hold by hand (it stays until lifted by hand). "
        "400 `credit_hold_unchanged` if already on hold.",
    )
    @idempotent
    def create(self, request):
        data = _valid(serializers.PlaceHoldSerializer, request)
        hold = services.place_hold(data["customer"], user=request.user, note=data["note"])
        return Response(self._render(hold.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.LiftHoldSerializer,
        responses=serializers.CreditHoldSerializer,
        description="Lift the hold by hand (an automatic hold returns at the next evaluation "
        "if its rules still match). 400 `credit_hold_unchanged` if already lifted.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def lift(self, request, pk=None):
        hold = self.get_object()
        data = _valid(serializers.LiftHoldSerializer, request)
        if not hold.current:
            raise ValidationError(
                "This hold is already lifted.", code=ErrorCode.CREDIT_HOLD_UNCHANGED
            )
        services.lift_hold(hold.customer, user=request.user, note=data["note"])
        return Response(self._render(hold.pk))

    @extend_schema(
        request=None,
        responses=serializers.HoldChangesSerializer,
        description="Apply the credit-hold rules to every customer now (as the command); a "
        "user limited to their customers: to their customers only.",
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def evaluate(self, request):
        changes = services.evaluate_credit_holds(customer_ids=own_customer_ids(request.user))
        return Response(serializers.HoldChangesSerializer(changes).data)

    def _render(self, pk: int) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=pk)).data


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PlaybookFunnelView(APIView):
    """Champion/challenger: the reminder funnel per playbook step and template (for a user
    limited to their own customers, of those customers' reminders only)."""

    permission_classes = [CanViewScopedKPIs]

    @extend_schema(
        operation_id="playbook_funnel",
        summary="Playbook reminders sent, clicked and paid within 7 days, per step and template",
        parameters=SCOPE_PARAMETERS,
        responses=serializers.TemplateFunnelSerializer(many=True),
    )
    def get(self, request):
        rows = funnel.reminder_funnel_by_template(
            scope_from_params(request.query_params, request.user)
        )
        return Response(serializers.TemplateFunnelSerializer(rows, many=True).data)


MAX_LIMIT = 500


class PromiseReliabilityView(APIView):
    """Promise reliability per customer, least reliable first (for a user limited to their own
    customers, those customers only)."""

    permission_classes = [CanViewScopedKPIs]

    @extend_schema(
        operation_id="promise_reliability",
        summary="Per customer: promises, kept, broken, kept rate, average days late",
        parameters=[
            OpenApiParameter(
                "start",
                OpenApiTypes.DATE,
                description="First promised date (default: 364 days before `end`).",
            ),
            OpenApiParameter(
                "end", OpenApiTypes.DATE, description="Last promised date (default today)."
            ),
            OpenApiParameter(
                "customer", {"type": "integer", "minimum": 1}, description="One customer."
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1},
                description=f"50 by default, {MAX_LIMIT} at most (more is {MAX_LIMIT}).",
            ),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0}),
        ],
        responses=serializers.PromiseReliabilitySerializer(many=True),
    )
    def get(self, request):
        params = reliability_params(request.query_params, request.user)
        rows = promises.promise_reliability(**params)
        return Response(serializers.PromiseReliabilitySerializer(rows, many=True).data)


def reliability_params(params, user=None) -> dict:
    """Validate the promise-reliability query (REST and GraphQL share it); for a `user`
    limited to their own customers, only those (another customer named lists nothing).

    Raises:
        ValidationError: invalid_date, end_before_start, invalid_id, invalid_limit.
    """
    start = parse_date(params.get("start"), "start")
    end = parse_date(params.get("end"), "end")
    if start and end and end < start:
        raise ValidationError(
            {
                "end": ValidationError(
                    f"The end {end} is before the start {start}.",
                    ScopeCode.END_BEFORE_START,
                )
            }
        )
    result = {"start": start, "end": end}
    if is_scoped(user):
        result["customers_of"] = user.pk
    customer = params.get("customer")
    if customer not in (None, ""):
        result["customer_ids"] = [_number(customer, "customer", ScopeCode.INVALID_ID, minimum=1)]
    result["limit"] = _number(params.get("limit") or 50, "limit", PageCode.INVALID_LIMIT, minimum=1)
    result["limit"] = min(result["limit"], MAX_LIMIT)
    result["offset"] = _number(
        params.get("offset") or 0, "offset", PageCode.INVALID_OFFSET, minimum=0
    )
    return result


def _number(value, field: str, code: str, *, minimum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < minimum:
        raise ValidationError({field: ValidationError(f"{value!r} is not valid here.", code)})
    return number
