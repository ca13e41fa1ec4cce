"""django-filter FilterSets of the receivables REST API.

Thin wrappers: the dimension filters (`rep`, `segment`, `customer`, `product_line`) call
`receivables.predicates` (the same Q builders the KPI engine and GraphQL use) so "belongs to
rep r" means one thing everywhere; the invoice flags call the QuerySet methods. Unknown ids,
malformed dates and bad choices make the FilterSet invalid, which the API answers with a 400.
"""

import django_filters as filters

from accounts.models import Customer, SalesRep, Segment
from o2c_api.api.filters import FilterSet, IdFilter, NumberFilter, StrictBooleanFilter
from o2c_api.money import CURRENCY_CHOICES
from receivables import predicates, services
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    Order,
    Payment,
    PaymentApplication,
    PromiseToPay,
)


class DimensionFilterSet(FilterSet):
    """`rep`, `segment`, `customer`, `product_line`, `currency` and `updated_after`.

    `invoice_prefix` is the path from the filtered model to the invoice whose dimensions count
    ("" for invoices and orders, "invoice" for adjustments, disputes and promises).
    """

    invoice_prefix = ""

    rep = IdFilter(queryset=SalesRep.objects.all(), method="filter_dimension")
    segment = IdFilter(queryset=Segment.objects.all(), method="filter_dimension")
    customer = IdFilter(queryset=Customer.objects.all(), method="filter_dimension")
    product_line = filters.CharFilter(method="filter_dimension")
    currency = filters.ChoiceFilter(choices=CURRENCY_CHOICES, method="filter_dimension")
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    def filter_dimension(self, queryset, name, value):
        value = getattr(value, "pk", value)
        return queryset.filter(predicates.invoice_dimensions(self.invoice_prefix, **{name: value}))


class OrderFilterSet(DimensionFilterSet):
    status = filters.ChoiceFilter(choices=Order.Status.choices)
    order_date = filters.DateFromToRangeFilter()
    amount = filters.RangeFilter()

    class Meta:
        model = Order
        fields = ["opportunity"]


class InvoiceFilterSet(DimensionFilterSet):
    """Invoices; `open`, `past_due` and `disputed` are as of today."""

    status = filters.ChoiceFilter(choices=Invoice.Status.choices)
    issue_date = filters.DateFromToRangeFilter()
    due_date = filters.DateFromToRangeFilter()
    paid_date = filters.DateFromToRangeFilter()
    voided_date = filters.DateFromToRangeFilter()
    amount = filters.RangeFilter()
    open_amount = filters.RangeFilter()
    open = StrictBooleanFilter(method="filter_open", label="Open today")
    past_due = StrictBooleanFilter(method="filter_past_due", label="Past due today")
    disputed = StrictBooleanFilter(method="filter_disputed", label="Has an open dispute")

    class Meta:
        model = Invoice
        fields = ["order"]

    def filter_open(self, queryset, name, value):
        if value:
            return queryset.open_at(services.today())
        return queryset.filter(~predicates.open_at(services.today()))

    def filter_past_due(self, queryset, name, value):
        if value:
            return queryset.past_due_at(services.today())
        return queryset.filter(~predicates.past_due_at(services.today()))

    def filter_disputed(self, queryset, name, value):
        q = predicates.disputed()
        return queryset.filter(q if value else ~q)


class AdjustmentFilterSet(DimensionFilterSet):
    invoice_prefix = "invoice"

    kind = filters.ChoiceFilter(choices=Adjustment.Kind.choices)
    adjustment_date = filters.DateFromToRangeFilter()
    amount = filters.RangeFilter()

    class Meta:
        model = Adjustment
        fields = ["invoice"]


class DisputeFilterSet(DimensionFilterSet):
    invoice_prefix = "invoice"

    status = filters.ChoiceFilter(choices=Dispute.Status.choices)
    reason = filters.ChoiceFilter(choices=Dispute.Reason.choices)
    resolution = filters.ChoiceFilter(choices=Dispute.Resolution.choices)
    opened_date = filters.DateFromToRangeFilter()
    resolved_date = filters.DateFromToRangeFilter()
    amount = filters.RangeFilter()

    class Meta:
        model = Dispute
        fields = ["invoice"]


class PromiseFilterSet(DimensionFilterSet):
    invoice_prefix = "invoice"

    status = filters.ChoiceFilter(choices=PromiseToPay.Status.choices)
    created_date = filters.DateFromToRangeFilter()
    promised_date = filters.DateFromToRangeFilter()
    amount = filters.RangeFilter()

    class Meta:
        model = PromiseToPay
        fields = ["invoice"]


class ActivityFilterSet(DimensionFilterSet):
    """Activities: the dimensions of `ActivityQuerySet.in_dimensions` (an activity on an
    invoice takes the invoice's rep, one without takes the customer's current rep)."""

    kind = filters.ChoiceFilter(choices=CollectionActivity.Kind.choices)
    outcome = filters.ChoiceFilter(choices=CollectionActivity.Outcome.choices)
    occurred_at = filters.IsoDateTimeFromToRangeFilter()
    clicked_at = filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = CollectionActivity
        fields = ["invoice"]

    def filter_dimension(self, queryset, name, value):
        return queryset.in_dimensions(**{name: getattr(value, "pk", value)})


class PaymentFilterSet(FilterSet):
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
    amount_min = NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = NumberFilter(field_name="amount", lookup_expr="lte")
    unapplied_amount_min = NumberFilter(field_name="unapplied_amount", lookup_expr="gte")
    unapplied_amount_max = NumberFilter(field_name="unapplied_amount", lookup_expr="lte")
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


class PaymentApplicationFilterSet(FilterSet):
    """Cash applications by payment, invoice, the invoice's dimensions, date and origin."""

    payment = IdFilter(queryset=Payment.objects.all())
    invoice = IdFilter(queryset=Invoice.objects.all())
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
    updated_after = filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Created at or after this time (ISO 8601), for incremental sync: "
        "applications are never edited, and a reversed one leaves the list (the event feed "
        "records the reversal).",
    )

    class Meta:
        model = PaymentApplication
        fields: list[str] = []

    def filter_dimension(self, queryset, name, value):
        return queryset.filter(predicates.invoice_dimensions("invoice", **{name: value.pk}))
