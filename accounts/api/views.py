"""REST viewsets of the accounts app: declarations, plus calls to `accounts.services`.

Every create honours `Idempotency-Key` (`IdempotentCreateMixin`): a retried POST never
creates twice. The credit-hold actions do not take one: they move no money and a repeat is
already harmless (400 `credit_hold_unchanged`, nothing changed).
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import services
from accounts.api.serializers import (
    CustomerSerializer,
    OpportunitySerializer,
    SalesRepSerializer,
    SegmentSerializer,
)
from accounts.filtersets import (
    CustomerFilterSet,
    OpportunityFilterSet,
    SalesRepFilterSet,
    SegmentFilterSet,
)
from accounts.models import Customer, Opportunity, SalesRep, Segment
from o2c_api.api.csvexport import CSVListMixin
from o2c_api.api.idempotency import IdempotentCreateMixin
from o2c_api.api.scoping import CustomerScopedMixin
from receivables import predicates


class SegmentViewSet(CSVListMixin, IdempotentCreateMixin, viewsets.ModelViewSet):
    """Customer segments. Deleting one that still has customers answers 409."""

    queryset = Segment.objects.all()
    serializer_class = SegmentSerializer
    filterset_class = SegmentFilterSet
    search_fields = predicates.SEARCH_FIELDS["segment"]
    ordering_fields = ["name", "code", "created_at", "updated_at", "id"]
    ordering = ["name", "id"]


class SalesRepViewSet(CSVListMixin, IdempotentCreateMixin, viewsets.ModelViewSet):
    """Sales reps. Deleting one that still owns customers or documents answers 409."""

    queryset = SalesRep.objects.all()
    serializer_class = SalesRepSerializer
    filterset_class = SalesRepFilterSet
    search_fields = predicates.SEARCH_FIELDS["salesrep"]
    ordering_fields = ["name", "email", "created_at", "updated_at", "id"]
    ordering = ["name", "id"]


@extend_schema_view(
    create=extend_schema(
        examples=[
            OpenApiExample(
                "New customer",
                value={
                    "name": "Acme GmbH",
                    "external_id": "CRM-1042",
                    "segment": 1,
                    "rep": 3,
                    "currency": "EUR",
                    "payment_terms_days": 30,
                    "credit_limit": "50000.00",
                },
                request_only=True,
            )
        ]
    )
)
class CustomerViewSet(
    CustomerScopedMixin, CSVListMixin, IdempotentCreateMixin, viewsets.ModelViewSet
):
    """Customers. Changing the segment moves the customer's AR history with it; the currency
    changes only while the customer has no documents (409 `customer_currency_locked`)."""

    queryset = Customer.objects.select_related("segment", "rep")
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    search_fields = predicates.SEARCH_FIELDS["customer"]
    ordering_fields = ["name", "credit_limit", "created_at", "updated_at", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.create_customer(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_customer(
            serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=None, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], url_path="place-credit-hold")
    def place_credit_hold(self, request, pk=None):
        """Put the customer on credit hold (409-free: 400 `credit_hold_unchanged` if already)."""
        customer = services.set_credit_hold(self.get_object(), True, user=request.user)
        return Response(self.get_serializer(customer).data)

    @extend_schema(request=None, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], url_path="release-credit-hold")
    def release_credit_hold(self, request, pk=None):
        """Release the customer's credit hold (400 `credit_hold_unchanged` if not on hold)."""
        customer = services.set_credit_hold(self.get_object(), False, user=request.user)
        return Response(self.get_serializer(customer).data)


class OpportunityViewSet(
    CustomerScopedMixin, CSVListMixin, IdempotentCreateMixin, viewsets.ModelViewSet
):
    """Pipeline deals: open, or closed won/lost with a closed date."""

    queryset = Opportunity.objects.select_related("customer", "rep")
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilterSet
    search_fields = predicates.SEARCH_FIELDS["opportunity"]
    ordering_fields = ["created_date", "closed_date", "amount", "updated_at", "id"]
    ordering = ["-created_date", "id"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.create_opportunity(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_opportunity(
            serializer.instance, **serializer.validated_data
        )
