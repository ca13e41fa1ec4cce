"""REST viewsets of receivables (payments live in `receivables.api.payments`).

Each viewset declares its queryset (with everything its serializer reads, so a page costs
the same queries at any length), serializer, FilterSet, search and ordering; writes call the
service of `receivables.services` that owns the rules.

Idempotency-Key: every create (`IdempotentCreateMixin`), and the actions that move money or
AR state — invoice `issue` and `void`, dispute `resolve` (it may issue a credit note) — so a
retry after a lost response replays the first answer instead of failing with
`invoice_not_draft` / `invoice_already_void` / `dispute_already_resolved`.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from o2c_api import audit
from o2c_api.api.csvexport import CSVListMixin
from o2c_api.api.idempotency import IdempotentCreateMixin, idempotent
from o2c_api.api.scoping import CustomerScopedMixin
from receivables import predicates, services
from receivables.api.serializers import (
    ActivitySerializer,
    AdjustmentSerializer,
    DisputeResolveSerializer,
    DisputeSerializer,
    DisputeUpdateSerializer,
    InvoiceCreateSerializer,
    InvoiceSerializer,
    InvoiceVoidSerializer,
    OrderSerializer,
    PromiseSerializer,
    PromiseUpdateSerializer,
)
from receivables.filtersets import (
    ActivityFilterSet,
    AdjustmentFilterSet,
    DisputeFilterSet,
    InvoiceFilterSet,
    OrderFilterSet,
    PromiseFilterSet,
)
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    Order,
    PromiseToPay,
)

READ_AND_WRITE = ["get", "post", "put", "patch", "head", "options"]


class OrderViewSet(CustomerScopedMixin, CSVListMixin, IdempotentCreateMixin, viewsets.ModelViewSet):
    """Booked orders (not deleted: cancel them with `status`)."""

    queryset = Order.objects.select_related("customer", "rep")
    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    search_fields = predicates.SEARCH_FIELDS["order"]
    ordering_fields = ["order_date", "amount", "number", "updated_at", "id"]
    ordering = ["-order_date", "-id"]
    http_method_names = READ_AND_WRITE

    def perform_create(self, serializer):
        from dunning.services import HoldOverride

        data = dict(serializer.validated_data)
        reason = data.pop("credit_hold_override_reason", None)
        override = None if reason is None else HoldOverride(self.request.user, reason)
        serializer.instance = services.create_order(**data, credit_hold_override=override)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("credit_hold_override_reason", None)  # a change takes no override (update_order)
        serializer.instance = services.update_order(serializer.instance, **data)


INVOICE_EXAMPLE = {
    "customer": 12,
    "number": "INV-2026-0042",
    "issue_date": "2026-03-01",
    "due_date": "2026-03-31",
    "amount": "1250.00",
    "currency": "EUR",
    "product_line": "hardware",
}


INVOICE_READ_EXAMPLE = {
    "id": 42,
    "number": "INV-2026-0042",
    "customer": 12,
    "customer_name": "Acme GmbH",
    "order": None,
    "rep": 3,
    "rep_name": "Ada Lovelace",
    "segment": 1,
    "segment_name": "Enterprise",
    "product_line": "hardware",
    "issue_date": "2026-03-01",
    "due_date": "2026-03-31",
    "amount": "1250.00",
    "currency": "EUR",
    "status": "open",
    "open_amount": "1000.00",
    "paid_date": None,
    "voided_date": None,
    "days_past_due": 14,
    "has_open_dispute": True,
    "latest_promise_status": "open",
    "created_at": "2026-03-01T09:12:00Z",
    "updated_at": "2026-04-02T16:40:00Z",
}


@extend_schema_view(
    list=extend_schema(
        description="Invoices with customer, rep, segment and collection state; `open`, "
        "`past_due` and `disputed` are as of today."
    ),
    retrieve=extend_schema(
        examples=[
            OpenApiExample("Past-due invoice", value=INVOICE_READ_EXAMPLE, response_only=True)
        ]
    ),
    create=extend_schema(
        examples=[OpenApiExample("Issued invoice", value=INVOICE_EXAMPLE, request_only=True)]
    ),
    destroy=extend_schema(
        description="Delete a draft invoice. An issued one answers 409 `invoice_not_draft` "
        "(void it), one with cash applied 409 `protected`."
    ),
)
class InvoiceViewSet(
    CustomerScopedMixin, CSVListMixin, IdempotentCreateMixin, viewsets.ModelViewSet
):
    """Invoices. Money, customer, number and issue date change only while draft."""

    queryset = Invoice.objects.select_related("customer__segment", "rep").with_collection_state()
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilterSet
    search_fields = predicates.SEARCH_FIELDS["invoice"]
    ordering_fields = [
        "issue_date",
        "due_date",
        "paid_date",
        "amount",
        "open_amount",
        "number",
        "updated_at",
        "id",
    ]
    ordering = ["-issue_date", "-id"]

    def get_serializer_class(self):
        if self.action == "create":
            return InvoiceCreateSerializer
        if self.action == "void":
            return InvoiceVoidSerializer
        return InvoiceSerializer

    def _reload(self, invoice: Invoice) -> Invoice:
        return self.get_queryset().get(pk=invoice.pk)

    def perform_create(self, serializer):
        serializer.instance = self._reload(services.create_invoice(**serializer.validated_data))

    def perform_update(self, serializer):
        invoice = services.update_invoice(serializer.instance, **serializer.validated_data)
        serializer.instance = self._reload(invoice)

    def perform_destroy(self, instance):
        services.delete_invoice(instance)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def issue(self, request, pk=None):
        """Issue a draft: from now on it counts for the KPIs (400 `invoice_not_draft`)."""
        invoice = services.issue_invoice(self.get_object())
        return Response(InvoiceSerializer(self._reload(invoice)).data)

    @extend_schema(request=InvoiceVoidSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def void(self, request, pk=None):
        """Void an invoice (409 `invoice_has_applications` while cash is applied, 422
        `date_before_issue` for a void date before the issue date)."""
        invoice = self.get_object()
        serializer = InvoiceVoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with audit.reason(data.pop("reason", None)):
            invoice = services.void_invoice(invoice, **data)
        return Response(InvoiceSerializer(self._reload(invoice)).data)


@extend_schema_view(
    create=extend_schema(
        examples=[
            OpenApiExample(
                "Credit note",
                value={
                    "invoice": 42,
                    "kind": "credit_note",
                    "amount": "100.00",
                    "adjustment_date": "2026-03-10",
                    "reason": "Damaged goods",
                },
                request_only=True,
            )
        ]
    )
)
class AdjustmentViewSet(
    CustomerScopedMixin,
    CSVListMixin,
    IdempotentCreateMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Credit notes and write-offs: created, never edited or deleted (issue another)."""

    queryset = Adjustment.objects.select_related("invoice__customer")
    serializer_class = AdjustmentSerializer
    filterset_class = AdjustmentFilterSet
    search_fields = predicates.SEARCH_FIELDS["adjustment"]
    ordering_fields = ["adjustment_date", "amount", "updated_at", "id"]
    ordering = ["-adjustment_date", "-id"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        invoice = data.pop("invoice")
        serializer.instance = services.add_adjustment(invoice, user=self.request.user, **data)


@extend_schema_view(
    create=extend_schema(
        examples=[
            OpenApiExample(
                "Pricing dispute",
                value={
                    "invoice": 42,
                    "reason": "pricing",
                    "amount": "250.00",
                    "opened_date": "2026-03-05",
                    "notes": "Customer expected the volume discount.",
                },
                request_only=True,
            )
        ]
    )
)
class DisputeViewSet(
    CustomerScopedMixin, CSVListMixin, IdempotentCreateMixin, viewsets.ModelViewSet
):
    """Disputes: opened, their notes edited, then resolved through `resolve`."""

    queryset = Dispute.objects.select_related("invoice__customer")
    serializer_class = DisputeSerializer
    filterset_class = DisputeFilterSet
    search_fields = predicates.SEARCH_FIELDS["dispute"]
    ordering_fields = ["opened_date", "resolved_date", "amount", "updated_at", "id"]
    ordering = ["-opened_date", "-id"]
    http_method_names = READ_AND_WRITE

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return DisputeUpdateSerializer
        if self.action == "resolve":
            return DisputeResolveSerializer
        return DisputeSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.open_dispute(data.pop("invoice"), **data)

    def perform_update(self, serializer):
        # Under the row's lock, the notes only: never the rest of the row as read here.
        notes = serializer.validated_data.get("notes", serializer.instance.notes)
        serializer.instance = services.update_notes(serializer.instance, notes)

    @extend_schema(
        request=DisputeResolveSerializer,
        responses=DisputeSerializer,
        examples=[
            OpenApiExample(
                "Credited",
                value={"resolution": "credited", "credit_amount": "250.00"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def resolve(self, request, pk=None):
        """Resolve; `credited` with `credit_amount` issues the credit note in the same step.

        The credit note needs the role that writes adjustments (integration, admin): a
        collector resolves without one, or 403.
        """
        dispute = self.get_object()
        serializer = DisputeResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data.get("credit_amount") and not request.user.has_perm(
            "receivables.add_adjustment"
        ):
            # Resolving is a collector's job; issuing the credit note moves money.
            raise PermissionDenied("Issuing a credit note needs the adjustment permission.")
        dispute = services.resolve_dispute(dispute, user=request.user, **serializer.validated_data)
        dispute = self.get_queryset().get(pk=dispute.pk)
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_200_OK)


class PromiseViewSet(
    CustomerScopedMixin, CSVListMixin, IdempotentCreateMixin, viewsets.ModelViewSet
):
    """Promises to pay; their status follows the cash applied to the invoice."""

    queryset = PromiseToPay.objects.select_related("invoice__customer")
    serializer_class = PromiseSerializer
    filterset_class = PromiseFilterSet
    search_fields = predicates.SEARCH_FIELDS["promisetopay"]
    ordering_fields = ["created_date", "promised_date", "amount", "updated_at", "id"]
    ordering = ["-promised_date", "-id"]
    http_method_names = READ_AND_WRITE

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return PromiseUpdateSerializer
        return PromiseSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.create_promise(
            data.pop("invoice"), user=self.request.user, **data
        )

    def perform_update(self, serializer):
        # Under the row's lock, the notes only: never the rest of the row as read here.
        notes = serializer.validated_data.get("notes", serializer.instance.notes)
        serializer.instance = services.update_notes(serializer.instance, notes)


class ActivityViewSet(
    CustomerScopedMixin, CSVListMixin, IdempotentCreateMixin, viewsets.ModelViewSet
):
    """Collection activities: no money moves, so they are edited and deleted freely."""

    queryset = CollectionActivity.objects.select_related("customer", "invoice")
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet
    search_fields = predicates.SEARCH_FIELDS["collectionactivity"]
    ordering_fields = ["occurred_at", "clicked_at", "updated_at", "id"]
    ordering = ["-occurred_at", "-id"]

    def perform_create(self, serializer):
        serializer.instance = services.create_activity(
            user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_activity(
            serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.delete_activity(instance)
