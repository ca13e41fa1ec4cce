"""GraphQL filters of the receivables app: thin wrappers over `receivables.predicates`.

Rep, segment, customer, product line and the invoice flags are custom filter methods that
return a predicate's `Q`, so "belongs to rep r", "open", "past due" and "disputed" mean
exactly what they mean in REST and in the KPIs. Dates and amounts use strawberry-django's
lookups (`issueDate: {gte: ..., lte: ...}`, `amount: {range: {start, end}}`). The flags are
evaluated as of today (`services.today()`), as REST's are.
"""

from datetime import datetime

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto

from accounts.graphql.filters import dimension_filter, filter_id, path
from accounts.models import Customer, SalesRep, Segment
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


def _through_invoice(prefix: str) -> str:
    return f"{path(prefix)}__invoice" if prefix else "invoice"


def _search(model: str, value: str, prefix: str) -> Q:
    return predicates.search(value, predicates.SEARCH_FIELDS[model], path(prefix))


def invoice_filter():
    """The `invoice` filter (an invoice id that must exist) of rows that hang off an invoice."""

    def invoice(self, value: strawberry.ID, prefix: str) -> Q:
        return Q(**{f"{prefix}invoice_id": filter_id(Invoice, value)})

    return strawberry_django.filter_field(invoice)


def through_invoice_filter(dimension: str, model=None):
    """A filter of rows that hang off an invoice by one of the invoice's dimensions.

    Per the KPI spec's dimension rules they take the invoice's rep, its customer's segment,
    its customer and its product line.
    """
    return dimension_filter(dimension, model, via=_through_invoice)


@strawberry_django.filter_type(Order, lookups=True)
class OrderFilter:
    id: auto
    number: auto
    status: auto
    currency: auto
    amount: auto
    order_date: auto

    rep = dimension_filter("rep", SalesRep)
    segment = dimension_filter("segment", Segment)
    customer = dimension_filter("customer", Customer)
    product_line = dimension_filter("product_line")

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return _search("order", value, prefix)

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))


@strawberry_django.filter_type(Invoice, lookups=True)
class InvoiceFilter:
    id: auto
    number: auto
    status: auto
    currency: auto
    amount: auto
    open_amount: auto
    issue_date: auto
    due_date: auto
    paid_date: auto

    rep = dimension_filter("rep", SalesRep)
    segment = dimension_filter("segment", Segment)
    customer = dimension_filter("customer", Customer)
    product_line = dimension_filter("product_line")

    @strawberry_django.filter_field(description="Open (unpaid, counting) at the end of today.")
    def open(self, value: bool, prefix: str) -> Q:
        q = predicates.open_at(services.today(), path(prefix))
        return q if value else ~q

    @strawberry_django.filter_field(description="Open and past its due date today.")
    def past_due(self, value: bool, prefix: str) -> Q:
        q = predicates.past_due_at(services.today(), path(prefix))
        return q if value else ~q

    @strawberry_django.filter_field(description="Has a dispute that is still open.")
    def disputed(self, value: bool, prefix: str) -> Q:
        q = predicates.disputed(path(prefix))
        return q if value else ~q

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return _search("invoice", value, prefix)

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))


@strawberry_django.filter_type(Adjustment, lookups=True)
class AdjustmentFilter:
    id: auto
    kind: auto
    amount: auto
    adjustment_date: auto

    invoice = invoice_filter()
    rep = through_invoice_filter("rep", SalesRep)
    segment = through_invoice_filter("segment", Segment)
    customer = through_invoice_filter("customer", Customer)
    product_line = through_invoice_filter("product_line")

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return _search("adjustment", value, prefix)

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))


@strawberry_django.filter_type(Payment, lookups=True)
class PaymentFilter:
    id: auto
    method: auto
    currency: auto
    external_id: auto
    amount: auto
    unapplied_amount: auto
    received_date: auto

    @strawberry_django.filter_field
    def rep(self, value: strawberry.ID, prefix: str) -> Q:
        # A payment takes its customer's current rep (it may pay several reps' invoices).
        return predicates.customer_dimensions(path(prefix), rep=filter_id(SalesRep, value))

    @strawberry_django.filter_field
    def segment(self, value: strawberry.ID, prefix: str) -> Q:
        return predicates.customer_dimensions(path(prefix), segment=filter_id(Segment, value))

    @strawberry_django.filter_field
    def customer(self, value: strawberry.ID, prefix: str) -> Q:
        return predicates.customer_dimensions(path(prefix), customer=filter_id(Customer, value))

    @strawberry_django.filter_field(description="Has cash not yet applied to any invoice.")
    def unapplied(self, value: bool, prefix: str) -> Q:
        q = predicates.has_unapplied(path(prefix))
        return q if value else ~q

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return _search("payment", value, prefix)

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))


@strawberry_django.filter_type(PaymentApplication, lookups=True)
class ApplicationFilter:
    id: auto
    amount: auto
    applied_date: auto
    automatic: auto

    @strawberry_django.filter_field
    def payment(self, value: strawberry.ID, prefix: str) -> Q:
        return Q(**{f"{prefix}payment_id": filter_id(Payment, value)})

    invoice = invoice_filter()
    rep = through_invoice_filter("rep", SalesRep)
    segment = through_invoice_filter("segment", Segment)
    customer = through_invoice_filter("customer", Customer)
    product_line = through_invoice_filter("product_line")


@strawberry_django.filter_type(Dispute, lookups=True)
class DisputeFilter:
    id: auto
    status: auto
    reason: auto
    resolution: auto
    amount: auto
    opened_date: auto
    resolved_date: auto

    invoice = invoice_filter()
    rep = through_invoice_filter("rep", SalesRep)
    segment = through_invoice_filter("segment", Segment)
    customer = through_invoice_filter("customer", Customer)
    product_line = through_invoice_filter("product_line")

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return _search("dispute", value, prefix)

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))


@strawberry_django.filter_type(PromiseToPay, lookups=True)
class PromiseFilter:
    id: auto
    status: auto
    amount: auto
    created_date: auto
    promised_date: auto

    invoice = invoice_filter()
    rep = through_invoice_filter("rep", SalesRep)
    segment = through_invoice_filter("segment", Segment)
    customer = through_invoice_filter("customer", Customer)
    product_line = through_invoice_filter("product_line")

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return _search("promisetopay", value, prefix)

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))


@strawberry_django.filter_type(CollectionActivity, lookups=True)
class ActivityFilter:
    id: auto
    kind: auto
    outcome: auto
    occurred_at: auto
    clicked_at: auto

    @strawberry_django.filter_field
    def invoice(self, value: strawberry.ID, prefix: str) -> Q:
        return Q(**{f"{prefix}invoice_id": filter_id(Invoice, value)})

    @strawberry_django.filter_field(
        description="The invoice's rep for activities on an invoice, else the customer's."
    )
    def rep(self, value: strawberry.ID, prefix: str) -> Q:
        return predicates.activity_rep(filter_id(SalesRep, value), path(prefix))

    @strawberry_django.filter_field
    def segment(self, value: strawberry.ID, prefix: str) -> Q:
        return predicates.customer_dimensions(path(prefix), segment=filter_id(Segment, value))

    @strawberry_django.filter_field
    def customer(self, value: strawberry.ID, prefix: str) -> Q:
        return predicates.customer_dimensions(path(prefix), customer=filter_id(Customer, value))

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return _search("collectionactivity", value, prefix)

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))
