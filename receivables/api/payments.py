"""REST API of payments and cash applications.

`POST /payments/` posts a payment and applies it automatically (`cash_application.post_payment`),
`/payments/{id}/apply/` and `/unapply/` apply by hand, `/payments/bulk/` posts up to
`O2C_BULK_MAX_ITEMS` payments, `/applications/` lists applications. Every rule lives in the
services; this module only parses, calls and renders.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from o2c_api import audit
from o2c_api.api.csvexport import CSVListMixin
from o2c_api.api.exceptions import django_validation_errors, error_response, flatten
from o2c_api.api.fields import BoundedDateField
from o2c_api.api.idempotency import HEADER, idempotent
from o2c_api.api.permissions import RolePermission
from o2c_api.api.schema import (
    IDEMPOTENCY_PARAMETER,
    ErrorResponseSerializer,
    ErrorSerializer,
    error_responses,
)
from o2c_api.api.scoping import CustomerScopedMixin
from o2c_api.api.serializers import StrictSerializer
from o2c_api.errors import Conflict
from o2c_api.money import CURRENCY_CHOICES
from receivables import cash_application, predicates, services
from receivables.cash_application import RemittanceLine, post_payment, resolve_customer
from receivables.filtersets import PaymentApplicationFilterSet, PaymentFilterSet
from receivables.models import Invoice, Payment, PaymentApplication

MAX_AMOUNT = Decimal("9999999999999999.99")  # DecimalField(18, 2)

# --- Serializers ---------------------------------------------------------------------------


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
class CurrencyField(serializers.CharField):
    """An ISO 4217 code; validated by the service (`invalid_currency`)."""


@extend_schema_field(serializers.ChoiceField(choices=Payment.Method.choices))
class MethodField(serializers.CharField):
    """A payment method; validated by the service (`invalid_method`)."""


class AmountField(serializers.DecimalField):
    """An amount as sent: its sign and decimals are the service's to judge (`not_positive`,
    `invalid_amount`), its size is bounded here so it fits the database column."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_value", MAX_AMOUNT)
        super().__init__(max_digits=None, decimal_places=None, **kwargs)


class RemittanceLineSerializer(StrictSerializer):
    """One remittance line: an invoice (by number or id) and the amount meant for it."""

    invoice_number = serializers.CharField(required=False, max_length=64)
    invoice = serializers.IntegerField(required=False, help_text="Invoice id.")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)

    def validate(self, attrs):
        if ("invoice" in attrs) == ("invoice_number" in attrs):
            raise serializers.ValidationError(
                "Give either `invoice_number` or `invoice`.", code="invoice_or_number_required"
            )
        return attrs


class PaymentCreateSerializer(StrictSerializer):
    """What a sender posts. Amount, currency and method are checked by the service."""

    customer = serializers.IntegerField(required=False, help_text="Customer id.")
    customer_external_id = serializers.CharField(
        required=False, max_length=100, help_text="Or the customer's id in the sender's system."
    )
    amount = AmountField(help_text="> 0, at most two decimals.")
    currency = CurrencyField(required=False, help_text="Defaults to the customer's currency.")
    received_date = BoundedDateField()
    method = MethodField(required=False, default=Payment.Method.OTHER)
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        default="",
        help_text="As the bank shows it.",
    )
    external_id = serializers.CharField(
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
                "Give `customer` or `customer_external_id`, not both.", code="customer_ambiguous"
            )
        attrs["customer"] = resolve_customer(
            customer_id=attrs.pop("customer", None),
            customer_external_id=attrs.pop("customer_external_id", None),
            known=self.context.get("customers"),
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

    reference = serializers.CharField(required=False, allow_blank=True, max_length=255)
    method = MethodField(required=False)
    amount = AmountField(required=False)
    currency = CurrencyField(required=False)
    received_date = BoundedDateField(required=False)


class ApplySerializer(StrictSerializer):
    """Apply part of the payment to an invoice by hand: the invoice by id or by number."""

    invoice = serializers.PrimaryKeyRelatedField(
        queryset=Invoice.objects.all(), required=False, help_text="Invoice id."
    )
    invoice_number = serializers.SlugRelatedField(
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
                code="invoice_required",
            )
        attrs["invoice"] = by_id or by_number
        return attrs


class UnapplySerializer(StrictSerializer):
    """Reverse one application of this payment."""

    application = serializers.IntegerField(help_text="Application id.")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Why; kept in the audit trail."
    )


class BulkPaymentSerializer(StrictSerializer):
    """Up to O2C_BULK_MAX_ITEMS payments; each is validated and posted on its own."""

    items = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=settings.O2C_BULK_MAX_ITEMS,
    )


class BulkPaymentRequestSerializer(serializers.Serializer):
    """Schema of the bulk body (items validated one by one, see BulkPaymentSerializer)."""

    items = PaymentCreateSerializer(many=True)


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


# --- Schema examples ---------------------------------------------------------------------

EXAMPLE_POST = OpenApiExample(
    "Payment with remittance",
    request_only=True,
    value={
        "customer_external_id": "ERP-ACME",
        "amount": "1500.00",
        "currency": "USD",
        "received_date": "2026-02-01",
        "method": "ach",
        "reference": "ACME PAYMENT INV-00012 INV-00013",
        "external_id": "BANK-2026-02-01-0042",
        "remittance": [
            {"invoice_number": "INV-00012", "amount": "1000.00"},
            {"invoice_number": "INV-99999", "amount": "500.00"},
        ],
    },
)
EXAMPLE_POST_REFERENCE = OpenApiExample(
    "Payment matched by its reference",
    request_only=True,
    value={
        "customer": 7,
        "amount": "250.00",
        "received_date": "2026-02-01",
        "method": "wire",
        "reference": "INV-00012, INV-00013",
        "external_id": "BANK-0043",
    },
)
EXAMPLE_POSTED = OpenApiExample(
    "Posted, one line not honoured",
    response_only=True,
    status_codes=["201"],
    value={
        "id": 42,
        "customer": 7,
        "customer_name": "Acme Corp",
        "customer_external_id": "ERP-ACME",
        "rep": 3,
        "segment": 1,
        "amount": "1500.00",
        "currency": "USD",
        "received_date": "2026-02-01",
        "method": "ach",
        "reference": "ACME PAYMENT INV-00012 INV-00013",
        "external_id": "BANK-2026-02-01-0042",
        "applied_amount": "1000.00",
        "unapplied_amount": "500.00",
        "posted_by": "erp-integration",
        "applications": [
            {
                "id": 90,
                "payment": 42,
                "invoice": 12,
                "invoice_number": "INV-00012",
                "amount": "1000.00",
                "applied_date": "2026-02-01",
                "automatic": True,
                "created_by": "erp-integration",
                "created_at": "2026-02-01T10:00:00Z",
            }
        ],
        "created_at": "2026-02-01T10:00:00Z",
        "updated_at": "2026-02-01T10:00:00Z",
        "rule": "remittance",
        "exceptions": [
            {
                "line": 1,
                "invoice": "INV-99999",
                "code": "invoice_not_found",
                "message": "No invoice 'INV-99999'.",
                "amount": "500.00",
            }
        ],
    },
)
EXAMPLE_400 = OpenApiExample(
    "Invalid payment (nothing stored)",
    response_only=True,
    status_codes=["400"],
    value={
        "errors": [
            {"code": "not_positive", "field": "amount", "message": "Must be greater than zero."}
        ]
    },
)
EXAMPLE_400_CUSTOMER = OpenApiExample(
    "Unknown customer (nothing stored)",
    response_only=True,
    status_codes=["400"],
    value={
        "errors": [
            {
                "code": "does_not_exist",
                "field": "customer_external_id",
                "message": "No such customer.",
            }
        ]
    },
)
EXAMPLE_409 = OpenApiExample(
    "external_id already posted",
    response_only=True,
    status_codes=["409"],
    value={
        "errors": [
            {
                "code": "duplicate_external_id",
                "field": None,
                "message": "Payment 'BANK-2026-02-01-0042' was already posted as payment 42.",
                "payment": 42,
            }
        ]
    },
)
EXAMPLE_409_IN_PROGRESS = OpenApiExample(
    "Idempotency key in progress",
    response_only=True,
    status_codes=["409"],
    value={
        "errors": [
            {
                "code": "idempotency_in_progress",
                "field": HEADER,
                "message": "A request with this Idempotency-Key is still being processed; "
                "retry later.",
            }
        ]
    },
)
EXAMPLE_422 = OpenApiExample(
    "Idempotency key reused with another body",
    response_only=True,
    status_codes=["422"],
    value={
        "errors": [
            {
                "code": "idempotency_key_reused",
                "field": HEADER,
                "message": "This Idempotency-Key was used for a different request; use a new key.",
            }
        ]
    },
)
EXAMPLE_APPLY_400 = OpenApiExample(
    "Over-application refused (nothing changed)",
    response_only=True,
    status_codes=["400"],
    value={
        "errors": [
            {
                "code": "exceeds_open_amount",
                "field": "amount",
                "message": "120.00 is more than the open amount 100.00 of INV-00012.",
            }
        ]
    },
)

ERRORS_400 = OpenApiResponse(ErrorResponseSerializer, description="Invalid; nothing changed.")
ERRORS_409 = OpenApiResponse(
    ErrorResponseSerializer,
    description="duplicate_external_id (names the existing `payment`) or idempotency_in_progress.",
)
ERRORS_422 = OpenApiResponse(ErrorResponseSerializer, description="idempotency_key_reused.")
ERRORS_AUTH = error_responses(401, 403)


# --- Views ---------------------------------------------------------------------------------


class PaymentPermission(RolePermission):
    """RolePermission, plus the application permissions for `apply` and `unapply`."""

    action_perms = {
        "apply": ["receivables.add_paymentapplication"],
        # Reversing an application changes it (nobody may delete money records).
        "unapply": ["receivables.change_paymentapplication"],
    }

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.user.has_perms(self.action_perms.get(getattr(view, "action", None), []))


def payment_queryset():
    """Payments with what PaymentSerializer reads: a fixed number of queries per page."""
    return Payment.objects.select_related("customer", "posted_by").prefetch_related(
        Prefetch(
            "applications",
            queryset=PaymentApplication.objects.select_related("invoice", "created_by").order_by(
                "applied_date", "id"
            ),
        )
    )


# A serializer builds its fields when first used (deep copies of the declared ones): about
# 0.5 ms of a single post, more than validating itself. Posting validates with a serializer
# built once per process: `run_validation` keeps no state of its own between calls, so one
# instance serves every request and thread.
PAYMENT_VALIDATOR = PaymentCreateSerializer()

# The formats of PaymentPostingSerializer's fields, applied by `_render_postings`.
_MONEY = serializers.DecimalField(max_digits=18, decimal_places=2)
_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


def _or_none(format_, value):
    """`format_(value)`, None for None (as a serializer renders a missing value)."""
    return None if value is None else format_(value)


def _render_application(application: PaymentApplication) -> dict:
    created_by = application.created_by
    return {
        "id": application.pk,
        "payment": application.payment_id,
        "invoice": application.invoice_id,
        "invoice_number": _or_none(str, application.invoice.number),
        "amount": _or_none(_MONEY.to_representation, application.amount),
        "applied_date": _or_none(_DATE.to_representation, application.applied_date),
        "automatic": application.automatic,
        "created_by": None if created_by is None else _or_none(str, created_by.username),
        "created_at": _or_none(_DATETIME.to_representation, application.created_at),
    }


def _render_posting(posting: cash_application.PostingResult) -> dict:
    payment, customer, posted_by = posting.payment, posting.payment.customer, None
    if payment.posted_by is not None:
        posted_by = _or_none(str, payment.posted_by.username)
    money, day, moment = (
        _MONEY.to_representation,
        _DATE.to_representation,
        _DATETIME.to_representation,
    )
    return {
        "id": payment.pk,
        "customer": payment.customer_id,
        "customer_name": _or_none(str, customer.name),
        "customer_external_id": _or_none(str, customer.external_id),
        "rep": _or_none(int, customer.rep_id),
        "segment": _or_none(int, customer.segment_id),
        "amount": _or_none(money, payment.amount),
        "currency": payment.currency,
        "received_date": _or_none(day, payment.received_date),
        "method": payment.method,
        "reference": _or_none(str, payment.reference),
        "external_id": _or_none(str, payment.external_id),
        "applied_amount": _or_none(money, payment.applied_amount),
        "unapplied_amount": _or_none(money, payment.unapplied_amount),
        "posted_by": posted_by,
        "applications": [_render_application(a) for a in posting.applications],
        "created_at": _or_none(moment, payment.created_at),
        "updated_at": _or_none(moment, payment.updated_at),
        "rule": _or_none(str, posting.rule),
        "exceptions": [
            {
                "line": _or_none(int, exception.line),
                "invoice": _or_none(str, exception.invoice),
                "code": _or_none(str, exception.code),
                "message": _or_none(str, exception.message),
                "amount": _or_none(money, exception.amount),
            }
            for exception in posting.exceptions
        ],
    }


def _render_postings(postings: list[cash_application.PostingResult]) -> list[dict]:
    """Postings exactly as `PaymentPostingSerializer` shows them (same fields, order and
    formats: tests/api/test_payments_render.py), from the objects the postings hold.

    A posting's payment has its customer and client loaded, and its applications their
    invoices, so nothing is read back from the database. Written out rather than run through
    the serializer: half the time (0.025 ms a posting instead of 0.05, a tenth of a bulk
    post's Python).
    """
    return [_render_posting(posting) for posting in postings]


@extend_schema_view(
    list=extend_schema(summary="List payments", responses={200: PaymentSerializer, **ERRORS_AUTH}),
    retrieve=extend_schema(
        summary="A payment with its applications",
        responses={200: PaymentSerializer, 404: ErrorResponseSerializer, **ERRORS_AUTH},
    ),
)
class PaymentViewSet(
    CustomerScopedMixin,
    CSVListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Payments: post (with automatic cash application), read, edit, apply and unapply by hand."""

    queryset = payment_queryset()
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    permission_classes = [PaymentPermission]
    search_fields = predicates.SEARCH_FIELDS["payment"]
    ordering_fields = [
        "received_date",
        "amount",
        "unapplied_amount",
        "created_at",
        "updated_at",
        "id",
    ]
    ordering = ["-received_date", "-id"]

    def get_serializer_class(self):
        return {
            "create": PaymentCreateSerializer,
            "partial_update": PaymentUpdateSerializer,
            "apply": ApplySerializer,
            "unapply": UnapplySerializer,
            "bulk": BulkPaymentSerializer,
        }.get(self.action, PaymentSerializer)

    def _render(self, payment_id: int, posting=None, status_code=status.HTTP_200_OK) -> Response:
        payment = payment_queryset().get(pk=payment_id)
        if posting is not None:
            payment.posting = posting
            return Response(PaymentPostingSerializer(payment).data, status=status_code)
        return Response(PaymentSerializer(payment).data, status=status_code)

    @extend_schema(
        summary="Post a payment (automatic cash application)",
        description="Stores the payment and applies it in one transaction: remittance lines as "
        "given; else invoice numbers of the customer found in `reference` (exact tokens, any "
        "case), oldest first; else the one open invoice whose open amount equals the amount; "
        "else nothing (on account). Lines that cannot be honoured are listed in `exceptions` "
        "and their amount stays unapplied; the cash is never refused for them. An invalid "
        "payment answers 400 and stores nothing.",
        request=PaymentCreateSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: PaymentPostingSerializer,
            400: ERRORS_400,
            409: ERRORS_409,
            422: ERRORS_422,
            **ERRORS_AUTH,
        },
        examples=[
            EXAMPLE_POST,
            EXAMPLE_POST_REFERENCE,
            EXAMPLE_POSTED,
            EXAMPLE_400,
            EXAMPLE_400_CUSTOMER,
            EXAMPLE_409,
            EXAMPLE_409_IN_PROGRESS,
            EXAMPLE_422,
        ],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        result = post_payment(**self._validated_payment(request), posted_by=request.user)
        return Response(_render_postings([result])[0], status=status.HTTP_201_CREATED)

    def _validated_payment(self, request) -> dict:
        """The posted payment validated by `PAYMENT_VALIDATOR`; an invalid one is validated
        again by a serializer of the request, whose errors are the answer (as for any view)."""
        try:
            return PAYMENT_VALIDATOR.run_validation(request.data)
        except serializers.ValidationError:
            pass
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary="Edit a payment",
        description="Reference and method always; amount, currency and received date only while "
        "no cash is applied (400 `payment_has_applications`).",
        request=PaymentUpdateSerializer,
        responses={200: PaymentSerializer, 400: ERRORS_400, **ERRORS_AUTH},
    )
    def partial_update(self, request, *args, **kwargs):
        payment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_payment(payment, **serializer.validated_data)
        return self._render(payment.pk)

    @extend_schema(
        summary="Apply cash by hand",
        description="Records an application (`automatic: false`, `created_by` = you). Refuses "
        "more than the payment's unapplied or the invoice's open amount with 400, changing "
        "nothing.",
        request=ApplySerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: PaymentSerializer,
            400: ERRORS_400,
            404: ErrorResponseSerializer,
            **ERRORS_AUTH,
        },
        examples=[EXAMPLE_APPLY_400],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def apply(self, request, pk=None):
        payment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.apply_payment(
            payment,
            data["invoice"],
            data["amount"],
            applied_date=data.get("applied_date"),
            automatic=False,
            user=request.user,
        )
        return self._render(payment.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reverse an application",
        request=UnapplySerializer,
        responses={
            200: PaymentSerializer,
            400: ERRORS_400,
            404: ErrorResponseSerializer,
            **ERRORS_AUTH,
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def unapply(self, request, pk=None):
        payment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = PaymentApplication.objects.filter(
            pk=serializer.validated_data["application"], payment=payment
        ).first()
        if application is None:
            raise serializers.ValidationError(
                {"application": ["No such application of this payment."]}, code="does_not_exist"
            )
        with audit.reason(serializer.validated_data.get("reason")):
            services.unapply(application)
        return self._render(payment.pk)

    @extend_schema(
        summary="Post up to O2C_BULK_MAX_ITEMS payments",
        description="Each item is validated and posted as by `POST /payments/`, on its own: an "
        "item that is refused (invalid, or its `external_id` already posted — also by an "
        "earlier item of the same request) stores nothing and does not stop the others. The "
        "response has one result per item, in order: `created` (with the posting), `duplicate` "
        "(external_id already posted; `errors[0].payment` names it) or `error` (codes as for a "
        "single post). Items are posted in order and each sees the items before it (cash "
        "applied by an earlier item is no longer open for a later one). More than "
        "O2C_BULK_MAX_ITEMS items: 400.\n\n"
        "Durability: the request's created items are committed together, in one database "
        "transaction, before the response is sent (one disk write per request instead of one "
        "per item). So a 200 means every `created` item is stored; a request that fails or dies "
        "before answering stores none of its items, and may simply be sent again (with the "
        "same `Idempotency-Key`, or relying on `external_id` duplicates).\n\n"
        "With `?atomic=true` it is all-or-nothing: any item not created rolls every item back "
        "and the answer is 400 with the same per-item results (`rolled_back` for the good "
        "ones).",
        request=BulkPaymentRequestSerializer,
        parameters=[
            IDEMPOTENCY_PARAMETER,
            OpenApiParameter("atomic", OpenApiTypes.BOOL, description="All or nothing."),
        ],
        responses={
            200: BulkResponseSerializer,
            400: ERRORS_400,
            409: ERRORS_409,
            422: ERRORS_422,
            **ERRORS_AUTH,
        },
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = self._validate_items(serializer.validated_data["items"])
        atomic = request.query_params.get("atomic", "").lower() in ("1", "true", "yes")

        batch = cash_application.post_batch(
            [data if data is not None else errors for data, errors in items],
            posted_by=request.user,
            atomic=atomic,
        )
        results = [self._result(index, outcome) for index, outcome in enumerate(batch.outcomes)]
        if not batch.rolled_back:
            return self._bulk_response(results, status.HTTP_200_OK)
        for result in results:
            if result["status"] == "created":
                result.update(status="rolled_back", posting=None)
        errors = [
            {
                **error,
                "field": f"items[{result['index']}]"
                + (f".{error['field']}" if error["field"] else ""),
            }
            for result in results
            for error in result["errors"]
        ]
        body = self._bulk_body(results)
        return error_response(errors, status.HTTP_400_BAD_REQUEST, **body)

    @staticmethod
    def _validate_items(items: list[dict]) -> list[tuple[dict | None, list[dict]]]:
        """Each item validated alone; one serializer for all (its fields are built once)."""
        customers = cash_application.CustomerIndex.load(
            (item.get("customer") for item in items),
            (item.get("customer_external_id") for item in items),
        )
        serializer = PaymentCreateSerializer(context={"customers": customers})
        validated = []
        for item in items:
            try:
                validated.append((serializer.run_validation(item), []))
            except serializers.ValidationError as exc:
                validated.append((None, flatten(exc.detail)))
        return validated

    @staticmethod
    def _result(index: int, outcome) -> dict:
        """`outcome`: a PostingResult, the error that refused the item, or its validation
        errors (a list, as `flatten` gives them)."""
        result = {"index": index, "status": "error", "posting": None, "errors": []}
        if isinstance(outcome, list):
            result["errors"] = outcome
        elif isinstance(outcome, Conflict):
            result["errors"] = [
                {**error, **outcome.details} for error in django_validation_errors(outcome)
            ]
            if outcome.code == "duplicate_external_id":
                result["status"] = "duplicate"
        elif isinstance(outcome, DjangoValidationError):
            result["errors"] = django_validation_errors(outcome)
        elif outcome is not None:
            result.update(status="created", posting=outcome)
        return result

    def _bulk_body(self, results: list[dict]) -> dict:
        postings = [result["posting"] for result in results if result["posting"]]
        rendered_postings = iter(_render_postings(postings))
        rendered = [
            {
                "index": result["index"],
                "status": result["status"],
                "payment": next(rendered_postings) if result["posting"] else None,
                "errors": result["errors"],
            }
            for result in results
        ]
        statuses = [r["status"] for r in results]
        return {
            "created": statuses.count("created"),
            "duplicates": statuses.count("duplicate"),
            "failed": statuses.count("error"),
            "results": rendered,
        }

    def _bulk_response(self, results: list[dict], status_code: int) -> Response:
        return Response(self._bulk_body(results), status=status_code)


@extend_schema_view(
    list=extend_schema(
        summary="List cash applications",
        responses={200: PaymentApplicationSerializer, **ERRORS_AUTH},
    ),
    retrieve=extend_schema(
        summary="A cash application",
        responses={200: PaymentApplicationSerializer, 404: ErrorResponseSerializer, **ERRORS_AUTH},
    ),
)
class PaymentApplicationViewSet(CustomerScopedMixin, CSVListMixin, viewsets.ReadOnlyModelViewSet):
    """Cash applications (read only: create with `payments/{id}/apply/`, reverse with `unapply`)."""

    queryset = PaymentApplication.objects.select_related("invoice", "created_by")
    serializer_class = PaymentApplicationSerializer
    filterset_class = PaymentApplicationFilterSet
    search_fields = predicates.SEARCH_FIELDS["paymentapplication"]
    ordering_fields = ["applied_date", "amount", "created_at", "id"]
    ordering = ["applied_date", "id"]
