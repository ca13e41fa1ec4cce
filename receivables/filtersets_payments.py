"""REST filters of payments and cash applications: thin wrappers over `receivables.predicates`.

(Kept apart from `filtersets.py` while two branches write filter sets; the lead merges them.)
"""

import django_filters as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import Customer, SalesRep, Segment
from o2c_api.money import CURRENCY_CHOICES
from receivables import predicates
from receivables.models import Invoice, Payment, PaymentApplication


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.ModelChoiceFilter):
    """An id that must exist (an unknown id is a 400, not an empty list)."""


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(filters.TypedChoiceFilter):
    """`true` or `false`; anything else is a 400 (django-filter's BooleanFilter ignores it)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(**kwargs)


class PaymentFilterSet(filters.FilterSet):
    """Payments by customer, its current rep or segment, dates, amounts, currency and method."""

    customer = IdFilter(
        queryset=Customer.objects.all(), method="filter_dimension", help_text="Customer id."
    )
    rep = IdFilter(
        queryset=SalesRep.objects.all(),
        method="filter_dimension",
        help_text="Sales rep id (the customer's current rep).",
    )
    segment = IdFilter(
        queryset=Segment.objects.all(),
        method="filter_dimension",
        help_text="Segment id (the customer's).",
    )
    received_date_after = filters.DateFilter(field_name="received_date", lookup_expr="gte")
    received_date_before = filters.DateFilter(field_name="received_date", lookup_expr="lte")
    amount_min = filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = filters.NumberFilter(field_name="amount", lookup_expr="lte")
    unapplied_amount_min = filters.NumberFilter(field_name="unapplied_amount", lookup_expr="gte")
    unapplied_amount_max = filters.NumberFilter(field_name="unapplied_amount", lookup_expr="lte")
    currency = filters.ChoiceFilter(choices=CURRENCY_CHOICES)
    method = filters.ChoiceFilter(choices=Payment.Method.choices)
    has_unapplied = StrictBooleanFilter(
        method="filter_has_unapplied",
        help_text="true: some cash is still on account; false: fully applied.",
    )
    external_id = filters.CharFilter(help_text="The sender's id (exact).")
    updated_after = filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed at or after this time (ISO 8601), for incremental sync.",
    )

    class Meta:
        model = Payment
        fields: list[str] = []

    def filter_dimension(self, queryset, name, value):
        return queryset.filter(predicates.customer_dimensions(**{name: value.pk}))

    def filter_has_unapplied(self, queryset, name, value):
        return (
            queryset.filter(unapplied_amount__gt=0)
            if value
            else queryset.filter(unapplied_amount=0)
        )


class PaymentApplicationFilterSet(filters.FilterSet):
    """Cash applications by payment, invoice, the invoice's dimensions, date and origin."""

    payment = filters.ModelChoiceFilter(queryset=Payment.objects.all())
    invoice = filters.ModelChoiceFilter(queryset=Invoice.objects.all())
    customer = IdFilter(
        queryset=Customer.objects.all(), method="filter_dimension", help_text="Customer id."
    )
    rep = IdFilter(
        queryset=SalesRep.objects.all(),
        method="filter_dimension",
        help_text="Sales rep id (the invoice's rep).",
    )
    segment = IdFilter(
        queryset=Segment.objects.all(), method="filter_dimension", help_text="Segment id."
    )
    applied_date_after = filters.DateFilter(field_name="applied_date", lookup_expr="gte")
    applied_date_before = filters.DateFilter(field_name="applied_date", lookup_expr="lte")
    automatic = StrictBooleanFilter(help_text="true: made by remittance or matching rules.")
    currency = filters.ChoiceFilter(field_name="invoice__currency", choices=CURRENCY_CHOICES)

    class Meta:
        model = PaymentApplication
        fields: list[str] = []

    def filter_dimension(self, queryset, name, value):
        return queryset.filter(predicates.invoice_dimensions("invoice", **{name: value.pk}))
