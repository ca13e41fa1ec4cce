"""Serializers of orders, invoices, adjustments, disputes, promises and activities.

They validate the shape of a request; the rules (and every server-owned amount, date and
status) belong to `receivables.services`, which the views call with `validated_data`. Reads
carry the names and collection state a dashboard shows, from the viewsets' select_related
and annotations, never from a query per row.
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from o2c_api.api.fields import (
    BoundedDateField,
    StrictCharField,
    StrictDecimalField,
)
from o2c_api.api.serializers import StrictModelSerializer, StrictSerializer
from receivables import services
from receivables.api.payments.serializers import CurrencyField
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    Order,
    PromiseToPay,
)

TIMESTAMPS = ["created_at", "updated_at"]


class ServiceAmountField(StrictDecimalField):
    """An amount of money as written: above zero (`not_positive`), at most 16 whole digits
    (`max_digits`, `max_whole_digits`, as the model), the schema's pattern states both; more
    than two decimals are the service's to refuse (`invalid_amount`, as GraphQL's same write
    and the payment endpoints are answered), so DRF neither refuses nor rounds them."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=18, decimal_places=2, positive=True, **kwargs)

    def _too_precise(self, value: Decimal) -> bool:
        return value.is_finite() and value.as_tuple().exponent < -self.decimal_places

    def validate_precision(self, value: Decimal) -> Decimal:
        return value if self._too_precise(value) else super().validate_precision(value)

    def quantize(self, value: Decimal) -> Decimal:
        return value if self._too_precise(value) else super().quantize(value)


def checked_by_service(choices) -> type[StrictCharField]:
    """A text field whose value the service checks, with its own code (`invalid_kind`,
    `invalid_reason`, ...), as GraphQL's same write is answered; the schema states the enum.
    (A ChoiceField here would answer DRF's `invalid_choice` for the same bad value.)"""

    @extend_schema_field(serializers.ChoiceField(choices=choices))
    class ServiceChoiceField(StrictCharField):
        pass

    return ServiceChoiceField


InvoiceStatusField = checked_by_service(
    [(Invoice.Status.DRAFT, "Draft"), (Invoice.Status.OPEN, "Open")]
)
AdjustmentKindField = checked_by_service(Adjustment.Kind.choices)
DisputeReasonField = checked_by_service(Dispute.Reason.choices)
ResolutionField = checked_by_service([c for c in Dispute.Resolution.choices if c[0]])


class OrderSerializer(StrictModelSerializer):
    """A booked sale. Without a currency or a rep it takes the customer's when saved.

    A customer on credit hold is refused (409 `customer_on_credit_hold`, with the hold and its
    reasons) unless an admin gives `credit_hold_override_reason`, which is recorded.
    """

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rep_name = serializers.CharField(source="rep.name", read_only=True, allow_null=True)
    credit_hold_override_reason = StrictCharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="Admins only: book the order although the customer is on credit hold, "
        "and why (recorded with who).",
    )
    currency = CurrencyField(required=False, help_text="Defaults to the customer's currency.")
    amount = ServiceAmountField()

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "rep",
            "rep_name",
            "opportunity",
            "order_date",
            "amount",
            "currency",
            "product_line",
            "status",
            "credit_hold_override_reason",
            *TIMESTAMPS,
        ]
        read_only_fields = TIMESTAMPS


class InvoiceSerializer(StrictModelSerializer):
    """An invoice with its collection state, as of today.

    `status` moves through the `issue` and `void` actions and the cash applied; `open_amount`,
    `paid_date` and `voided_date` are kept by the services. `days_past_due` is null unless the
    invoice is open today (as the `open` filter), 0 while it is not yet due.
    """

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rep_name = serializers.CharField(source="rep.name", read_only=True, allow_null=True)
    segment = serializers.IntegerField(
        source="customer.segment_id", read_only=True, allow_null=True, help_text="Customer's."
    )
    segment_name = serializers.CharField(
        source="customer.segment.name", read_only=True, allow_null=True
    )
    days_past_due = serializers.SerializerMethodField()
    has_open_dispute = serializers.BooleanField(read_only=True)
    latest_promise_status = serializers.ChoiceField(
        choices=PromiseToPay.Status.choices, read_only=True, allow_null=True
    )
    currency = CurrencyField(
        required=False, help_text="Defaults to the order's, else the customer's currency."
    )
    amount = ServiceAmountField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "order",
            "rep",
            "rep_name",
            "segment",
            "segment_name",
            "product_line",
            "issue_date",
            "due_date",
            "amount",
            "currency",
            "status",
            "open_amount",
            "paid_date",
            "voided_date",
            "days_past_due",
            "has_open_dispute",
            "latest_promise_status",
            *TIMESTAMPS,
        ]
        read_only_fields = ["status", "open_amount", "paid_date", "voided_date", *TIMESTAMPS]
        extra_kwargs = {
            "due_date": {"required": False, "help_text": "Defaults to issue date + terms."},
            "rep": {"help_text": "Defaults to the order's rep, else the customer's."},
            "product_line": {"help_text": "Defaults to the order's product line."},
        }

    def get_days_past_due(self, invoice: Invoice) -> int | None:
        # services.today(), read at call time as the `open` filter reads it (one clock).
        return invoice.days_past_due_at(services.today())


class InvoiceCreateSerializer(InvoiceSerializer):
    """A new invoice is `open` (issued, counts for the KPIs) or a `draft`."""

    status = InvoiceStatusField(default=Invoice.Status.OPEN)

    class Meta(InvoiceSerializer.Meta):
        read_only_fields = ["open_amount", "paid_date", "voided_date", *TIMESTAMPS]


class InvoiceVoidSerializer(StrictSerializer):
    voided_date = BoundedDateField(required=False, help_text="Defaults to today.")
    reason = StrictCharField(
        required=False, allow_blank=True, max_length=500, help_text="Why; kept in the audit trail."
    )


class AdjustmentSerializer(StrictModelSerializer):
    """A credit note or write-off; it lowers the invoice's open amount (never edited)."""

    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    customer = serializers.IntegerField(source="invoice.customer_id", read_only=True)
    customer_name = serializers.CharField(source="invoice.customer.name", read_only=True)
    kind = AdjustmentKindField()
    amount = ServiceAmountField()

    class Meta:
        model = Adjustment
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "customer",
            "customer_name",
            "kind",
            "amount",
            "adjustment_date",
            "reason",
            "created_by",
            *TIMESTAMPS,
        ]
        read_only_fields = ["created_by", *TIMESTAMPS]


class DisputeSerializer(StrictModelSerializer):
    """A dispute; `status`, `resolution` and `resolved_date` change through `resolve`."""

    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    customer = serializers.IntegerField(source="invoice.customer_id", read_only=True)
    customer_name = serializers.CharField(source="invoice.customer.name", read_only=True)
    rep = serializers.IntegerField(source="invoice.rep_id", read_only=True, allow_null=True)
    reason = DisputeReasonField()
    amount = ServiceAmountField()

    class Meta:
        model = Dispute
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "customer",
            "customer_name",
            "rep",
            "reason",
            "amount",
            "opened_date",
            "status",
            "resolution",
            "resolved_date",
            "notes",
            *TIMESTAMPS,
        ]
        read_only_fields = ["status", "resolution", "resolved_date", *TIMESTAMPS]


class DisputeUpdateSerializer(DisputeSerializer):
    """Only the notes of a dispute are edited in place."""

    # Declared fields: read_only_fields skips them.
    reason = DisputeReasonField(read_only=True)
    amount = ServiceAmountField(read_only=True)

    class Meta(DisputeSerializer.Meta):
        read_only_fields = [f for f in DisputeSerializer.Meta.fields if f != "notes"]


class DisputeResolveSerializer(StrictSerializer):
    resolution = ResolutionField()
    resolved_date = BoundedDateField(required=False, help_text="Defaults to today.")
    # Above zero, as a credit note's amount (`not_positive`): the schema says so (found by
    # schemathesis: "-0.3" was schema-valid).
    credit_amount = StrictDecimalField(
        max_digits=18,
        decimal_places=2,
        required=False,
        allow_null=True,
        positive=True,
        help_text="With `credited`: issue a credit note of this amount in the same step.",
    )
    notes = StrictCharField(required=False, allow_blank=True, default="")


class PromiseSerializer(StrictModelSerializer):
    """A promise to pay; its `status` is derived from the cash applied (read-only)."""

    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    customer = serializers.IntegerField(source="invoice.customer_id", read_only=True)
    customer_name = serializers.CharField(source="invoice.customer.name", read_only=True)
    amount = ServiceAmountField()

    class Meta:
        model = PromiseToPay
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "customer",
            "customer_name",
            "created_date",
            "promised_date",
            "amount",
            "status",
            "notes",
            "created_by",
            *TIMESTAMPS,
        ]
        read_only_fields = ["status", "created_by", *TIMESTAMPS]
        extra_kwargs = {
            "created_date": {"required": False, "help_text": "Defaults to today."},
        }


class PromiseUpdateSerializer(PromiseSerializer):
    """Only the notes of a promise are edited in place."""

    amount = ServiceAmountField(read_only=True)  # declared: read_only_fields skips it

    class Meta(PromiseSerializer.Meta):
        read_only_fields = [f for f in PromiseSerializer.Meta.fields if f != "notes"]


class ActivitySerializer(StrictModelSerializer):
    """A reminder, email, call, SMS or note; `invoice`, when given, is the customer's."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True, allow_null=True)

    class Meta:
        model = CollectionActivity
        fields = [
            "id",
            "customer",
            "customer_name",
            "invoice",
            "invoice_number",
            "kind",
            "occurred_at",
            "clicked_at",
            "outcome",
            "notes",
            "created_by",
            *TIMESTAMPS,
        ]
        read_only_fields = ["created_by", *TIMESTAMPS]
