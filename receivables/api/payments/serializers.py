"""Serializers of posting, applying, unapplying and bulk posting payments.

GraphQL posting validates with `PaymentCreateSerializer` too: both APIs parse one way.
"""

from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from o2c_api.api.fields import (
    BoundedDateField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    StrictSlugRelatedField,
    decimal_pattern,
)
from o2c_api.api.schema import ErrorSerializer
from o2c_api.api.serializers import StrictSerializer
from o2c_api.money import CURRENCY_CHOICES
from receivables.cash_application import RemittanceLine, resolve_customer
from receivables.errors import ErrorCode
from receivables.models import Invoice, Payment, PaymentApplication

MAX_AMOUNT = Decimal("9999999999999999.99")  # DecimalField(18, 2)


class PaymentApplicationSerializer(serializers.ModelSerializer):
    """One application of a payment to an invoice (read only: reverse it with `unapply`)."""

    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = PaymentApplication
        fields = [
            "id",
            "payment",
            "invoice",
            "invoice_number",
            "amount",
            "applied_date",
            "automatic",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class PostingExceptionSerializer(serializers.Serializer):
    """A remittance line (or an invoice named in the reference) that was not applied."""

    line = serializers.IntegerField(
        allow_null=True, help_text="Index of the remittance line; null for the reference."
    )
    invoice = serializers.CharField(help_text="The invoice as the sender named it.")
    code = serializers.CharField(
        help_text="invoice_not_found, customer_mismatch, invoice_not_open, currency_mismatch, "
        "exceeds_open_amount, exceeds_unapplied_amount, not_positive, "
        "invoice_paid (reference only)."
    )
    message = serializers.CharField()
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="Amount this problem left unapplied."
    )


class PaymentSerializer(serializers.ModelSerializer):
    """A payment as read: who paid, how much is applied where, what is left on account."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    customer_external_id = serializers.CharField(source="customer.external_id", read_only=True)
    rep = serializers.IntegerField(
        source="customer.rep_id", read_only=True, allow_null=True, help_text="Customer's rep."
    )
    segment = serializers.IntegerField(
        source="customer.segment_id", read_only=True, allow_null=True
    )
    applied_amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        read_only=True,
        help_text="The part of the payment applications use (amount − unapplied_amount).",
    )
    posted_by = serializers.CharField(
        source="posted_by.username", read_only=True, allow_null=True, default=None
    )
    applications = PaymentApplicationSerializer(many=True, read_only=True)
    rule = serializers.SerializerMethodField(
        help_text="The rule that applied the cash when it was posted: remittance, reference, "
        "exact_amount or none (null: not posted through cash application, e.g. imported)."
    )
    exceptions = serializers.SerializerMethodField(
        help_text="What the posting could not apply, as its answer listed it."
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "customer",
            "customer_name",
            "customer_external_id",
            "rep",
            "segment",
            "amount",
            "currency",
            "received_date",
            "method",
            "reference",
            "external_id",
            "applied_amount",
            "unapplied_amount",
            "posted_by",
            "applications",
            "created_at",
            "updated_at",
            "rule",
            "exceptions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_rule(self, payment) -> str | None:
        return payment.posting_rule or None

    @extend_schema_field(PostingExceptionSerializer(many=True))
    def get_exceptions(self, payment) -> list:
        return PostingExceptionSerializer(payment.posting_exceptions, many=True).data


class PaymentPostingSerializer(PaymentSerializer):
    """The answer to a posting: the payment, its applications, and what could not be applied."""

    rule = serializers.CharField(
        source="posting.rule",
        read_only=True,
        help_text="Which rule applied the cash: remittance, reference, exact_amount or none.",
    )
    exceptions = PostingExceptionSerializer(source="posting.exceptions", many=True, read_only=True)
    # A posted payment's applications are the posting's: rendered without reading them back.
    applications = PaymentApplicationSerializer(
        source="posting.applications", many=True, read_only=True
    )

    class Meta(PaymentSerializer.Meta):
        pass


@extend_schema_field(serializers.ChoiceField(choices=CURRENCY_CHOICES))
class CurrencyField(StrictCharField):
    """An ISO 4217 code; validated by the service (`invalid_currency`)."""


@extend_schema_field(serializers.ChoiceField(choices=Payment.Method.choices))
class MethodField(StrictCharField):
    """A payment method; validated by the service (`invalid_method`)."""


class AmountField(StrictDecimalField):
    """An amount as sent: above zero (`not_positive`), its decimals the service's to judge
    (`invalid_amount`), its size bounded here so it fits the database column. The schema
    states all three: a pattern of positive amounts with at most two decimals and 16 digits
    before the point."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_value", MAX_AMOUNT)
        super().__init__(max_digits=None, decimal_places=None, positive=True, **kwargs)

    @property
    def pattern(self) -> str:
        return decimal_pattern(16, 2, positive=True)


class RemittanceLineSerializer(StrictSerializer):
    """One remittance line: an invoice (by number or id) and the amount meant for it."""

    invoice_number = StrictCharField(required=False, max_length=64)
    invoice = StrictIntegerField(required=False, help_text="Invoice id.")
    amount = StrictDecimalField(max_digits=18, decimal_places=2)

    def validate(self, attrs):
        if ("invoice" in attrs) == ("invoice_number" in attrs):
            raise serializers.ValidationError(
                "Give either `invoice_number` or `invoice`.",
                code=ErrorCode.INVOICE_OR_NUMBER_REQUIRED,
            )
        return attrs


class PaymentCreateSerializer(StrictSerializer):
    """What a sender posts. Amount, currency and method are checked by the service."""

    customer = StrictIntegerField(required=False, help_text="Customer id.")
    customer_external_id = StrictCharField(
        required=False, max_length=100, help_text="Or the customer's id in the sender's system."
    )
    amount = AmountField(help_text="> 0, at most two decimals.")
    currency = CurrencyField(required=False, help_text="Defaults to the customer's currency.")
    received_date = BoundedDateField()
    method = MethodField(required=False, default=Payment.Method.OTHER)
    reference = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=255,
        default="",
        help_text="As the bank shows it.",
    )
    external_id = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text="The sender's id; posting it twice answers 409.",
    )
    remittance = RemittanceLineSerializer(
        many=True,
        required=False,
        allow_null=True,
        max_length=settings.O2C_BULK_MAX_ITEMS,
        help_text="Optional remittance lines; applied as given, before any other rule.",
    )

    def validate(self, attrs):
        if "customer" in attrs and "customer_external_id" in attrs:
            raise serializers.ValidationError(
                "Give `customer` or `customer_external_id`, not both.",
                code=ErrorCode.CUSTOMER_AMBIGUOUS,
            )
        attrs["customer"] = resolve_customer(
            customer_id=attrs.pop("customer", None),
            customer_external_id=attrs.pop("customer_external_id", None),
            known=self.context.get("customers"),
            customers=self.context.get("customer_queryset"),
        )
        attrs["remittance"] = [
            RemittanceLine(
                amount=line["amount"],
                invoice_number=line.get("invoice_number"),
                invoice=line.get("invoice"),
            )
            for line in attrs.get("remittance") or []
        ]
        return attrs


class PaymentUpdateSerializer(StrictSerializer):
    """PATCH: reference and method always; amount, currency, date only while nothing is applied."""

    reference = StrictCharField(required=False, allow_blank=True, max_length=255)
    method = MethodField(required=False)
    amount = AmountField(required=False)
    currency = CurrencyField(required=False)
    received_date = BoundedDateField(required=False)


class ApplySerializer(StrictSerializer):
    """Apply part of the payment to an invoice by hand: the invoice by id or by number."""

    invoice = StrictPrimaryKeyRelatedField(
        queryset=Invoice.objects.all(), required=False, help_text="Invoice id."
    )
    invoice_number = StrictSlugRelatedField(
        slug_field="number",
        queryset=Invoice.objects.all(),
        required=False,
        write_only=True,
        help_text="Invoice number, instead of `invoice`.",
    )
    amount = AmountField()
    applied_date = BoundedDateField(
        required=False, help_text="Defaults to the later of received date and issue date."
    )

    def validate(self, attrs):
        by_id, by_number = attrs.get("invoice"), attrs.pop("invoice_number", None)
        if (by_id is None) == (by_number is None):
            raise serializers.ValidationError(
                {
                    "invoice": [
                        "Give the invoice by `invoice` (id) or `invoice_number`, one of them."
                    ]
                },
                code=ErrorCode.INVOICE_REQUIRED,
            )
        attrs["invoice"] = by_id or by_number
        return attrs


class UnapplySerializer(StrictSerializer):
    """Reverse one application of this payment."""

    application = StrictIntegerField(help_text="Application id.")
    reason = StrictCharField(
        required=False, allow_blank=True, max_length=500, help_text="Why; kept in the audit trail."
    )


class BulkPaymentSerializer(StrictSerializer):
    """Up to O2C_BULK_MAX_ITEMS payments; each is validated and posted on its own."""

    items = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=settings.O2C_BULK_MAX_ITEMS,
    )


class BulkPaymentRequestSerializer(StrictSerializer):
    """Payments to post at once; each is validated and posted on its own."""

    # The schema of the bulk body only: the view validates items one by one
    # (BulkPaymentSerializer), so one bad item does not refuse the others.

    items = PaymentCreateSerializer(many=True, min_length=1, max_length=settings.O2C_BULK_MAX_ITEMS)


class BulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.CharField(help_text="created, duplicate, error or rolled_back.")
    payment = PaymentPostingSerializer(allow_null=True)
    errors = ErrorSerializer(many=True)


class BulkResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkResultSerializer(many=True)
