"""GraphQL types of the receivables app: what REST's serializers show, camelCased.

Server-kept amounts (`openAmount`, `unappliedAmount`, `paidDate`, promise `status`) are read
from the row the services keep true. Nested lists are offset-paginated per parent and
prefetched by the optimizer (one query per level, see tests/graphql/test_query_counts.py).
"""

from decimal import Decimal

import strawberry
import strawberry_django
from strawberry import auto
from strawberry_django.pagination import OffsetPaginated

from accounts.graphql.types import CustomerType, OpportunityType, SalesRepType
from accounts.models import Customer, Opportunity, SalesRep
from o2c_api.graphql.permissions import can_view, scoped_get_queryset
from receivables import services
from receivables.graphql.filters import (
    ActivityFilter,
    AdjustmentFilter,
    ApplicationFilter,
    DisputeFilter,
    InvoiceFilter,
    OrderFilter,
    PaymentFilter,
    PromiseFilter,
)
from receivables.graphql.orders import (
    ActivityOrder,
    AdjustmentOrder,
    ApplicationOrder,
    DisputeOrder,
    InvoiceOrder,
    OrderOrder,
    PaymentOrder,
    PromiseOrder,
)
from receivables.managers import collection_state
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


@strawberry_django.type(Order, filters=OrderFilter, ordering=OrderOrder)
class OrderType:
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    number: auto
    customer: CustomerType = strawberry_django.field(extensions=can_view(Customer))
    rep: SalesRepType | None = strawberry_django.field(extensions=can_view(SalesRep))
    opportunity: OpportunityType | None = strawberry_django.field(extensions=can_view(Opportunity))
    order_date: auto
    amount: auto
    currency: auto
    product_line: auto
    status: auto
    created_at: auto
    updated_at: auto
    invoices: OffsetPaginated["InvoiceType"] = strawberry_django.offset_paginated(
        filters=InvoiceFilter, ordering=InvoiceOrder, extensions=can_view(Invoice)
    )


def _collection_state(invoice: Invoice, name: str):
    """An annotation of `collection_state()`; read (one query) when the optimizer did not
    annotate the row, e.g. the invoice a mutation answers with."""
    if not hasattr(invoice, name):
        state = Invoice.objects.with_collection_state().filter(pk=invoice.pk)
        for key, value in state.values(*collection_state()).get().items():
            setattr(invoice, key, value)
    return getattr(invoice, name)


@strawberry_django.type(Invoice, filters=InvoiceFilter, ordering=InvoiceOrder)
class InvoiceType:
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    number: auto
    customer: CustomerType = strawberry_django.field(extensions=can_view(Customer))
    order: OrderType | None = strawberry_django.field(extensions=can_view(Order))
    rep: SalesRepType | None = strawberry_django.field(extensions=can_view(SalesRep))
    product_line: auto
    issue_date: auto
    due_date: auto
    amount: auto
    currency: auto
    status: auto
    open_amount: auto
    paid_date: auto
    voided_date: auto
    created_at: auto
    updated_at: auto

    applications: OffsetPaginated["ApplicationType"] = strawberry_django.offset_paginated(
        filters=ApplicationFilter,
        ordering=ApplicationOrder,
        extensions=can_view(PaymentApplication),
    )
    adjustments: OffsetPaginated["AdjustmentType"] = strawberry_django.offset_paginated(
        filters=AdjustmentFilter, ordering=AdjustmentOrder, extensions=can_view(Adjustment)
    )
    disputes: OffsetPaginated["DisputeType"] = strawberry_django.offset_paginated(
        filters=DisputeFilter, ordering=DisputeOrder, extensions=can_view(Dispute)
    )
    promises: OffsetPaginated["PromiseType"] = strawberry_django.offset_paginated(
        filters=PromiseFilter, ordering=PromiseOrder, extensions=can_view(PromiseToPay)
    )

    @strawberry_django.field(
        annotate={"has_open_dispute": lambda info: collection_state()["has_open_dispute"]},
        description="The invoice has a dispute that is still open (REST's `has_open_dispute`).",
    )
    def has_open_dispute(self) -> bool:
        return _collection_state(self, "has_open_dispute")

    @strawberry_django.field(
        annotate={
            "latest_promise_status": lambda info: collection_state()["latest_promise_status"]
        },
        description="Status of the most recent promise to pay; null without promises.",
    )
    def latest_promise_status(self) -> str | None:
        return _collection_state(self, "latest_promise_status")

    @strawberry_django.field(
        only=["status", "issue_date", "due_date", "paid_date"],
        description="Days past the due date today; 0 while not yet due, null unless open today "
        "(as the `open` filter). REST's `days_past_due`.",
    )
    def days_past_due(self) -> int | None:
        return self.days_past_due_at(services.today())


@strawberry_django.type(Adjustment, filters=AdjustmentFilter, ordering=AdjustmentOrder)
class AdjustmentType:
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    invoice: InvoiceType = strawberry_django.field(extensions=can_view(Invoice))
    kind: auto
    amount: auto
    adjustment_date: auto
    reason: auto
    created_at: auto
    updated_at: auto


@strawberry.type(name="PostingException")
class PostingExceptionType:
    """A remittance line (or an invoice named in the reference) that was not applied."""

    line: int | None = strawberry.field(
        description="Index of the remittance line; null for an invoice named in the reference."
    )
    invoice: str = strawberry.field(description="The invoice as the sender named it.")
    code: str = strawberry.field(
        description="invoice_not_found, customer_mismatch, invoice_not_open, currency_mismatch, "
        "exceeds_open_amount, exceeds_unapplied_amount, not_positive, invoice_paid."
    )
    message: str
    amount: Decimal = strawberry.field(description="The amount this problem left unapplied.")


@strawberry_django.type(Payment, filters=PaymentFilter, ordering=PaymentOrder)
class PaymentType:
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    customer: CustomerType = strawberry_django.field(extensions=can_view(Customer))
    amount: auto
    currency: auto
    received_date: auto
    method: auto
    reference: auto
    external_id: auto
    unapplied_amount: auto

    @strawberry_django.field(
        only=["amount", "unapplied_amount"], description="amount - unappliedAmount."
    )
    def applied_amount(self) -> Decimal:
        return self.applied_amount

    created_at: auto
    updated_at: auto

    @strawberry_django.field(
        only=["posting_rule"],
        description="The rule that applied the cash when it was posted: remittance, reference, "
        "exact_amount or none (null: not posted through cash application, e.g. imported). "
        "Stored with the payment, as REST's `GET /payments/{id}/` returns it.",
    )
    def rule(self) -> str | None:
        return self.posting_rule or None

    @strawberry_django.field(
        only=["posting_exceptions"],
        description="What the posting could not apply, as its answer listed it (stored).",
    )
    def exceptions(self) -> list[PostingExceptionType]:
        return [
            PostingExceptionType(
                line=stored["line"],
                invoice=stored["invoice"],
                code=stored["code"],
                message=stored["message"],
                amount=Decimal(stored["amount"]),
            )
            for stored in self.posting_exceptions
        ]

    applications: OffsetPaginated["ApplicationType"] = strawberry_django.offset_paginated(
        filters=ApplicationFilter,
        ordering=ApplicationOrder,
        extensions=can_view(PaymentApplication),
    )


@strawberry_django.type(PaymentApplication, filters=ApplicationFilter, ordering=ApplicationOrder)
class ApplicationType:
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    payment: PaymentType = strawberry_django.field(extensions=can_view(Payment))
    invoice: InvoiceType = strawberry_django.field(extensions=can_view(Invoice))
    amount: auto
    applied_date: auto
    automatic: auto
    created_at: auto


@strawberry_django.type(Dispute, filters=DisputeFilter, ordering=DisputeOrder)
class DisputeType:
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    invoice: InvoiceType = strawberry_django.field(extensions=can_view(Invoice))
    reason: auto
    amount: auto
    opened_date: auto
    resolved_date: auto
    status: auto
    resolution: auto
    notes: auto
    created_at: auto
    updated_at: auto


@strawberry_django.type(PromiseToPay, filters=PromiseFilter, ordering=PromiseOrder)
class PromiseType:
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    invoice: InvoiceType = strawberry_django.field(extensions=can_view(Invoice))
    created_date: auto
    promised_date: auto
    amount: auto
    status: auto
    notes: auto
    created_at: auto
    updated_at: auto


@strawberry_django.type(CollectionActivity, filters=ActivityFilter, ordering=ActivityOrder)
class ActivityType:
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    customer: CustomerType = strawberry_django.field(extensions=can_view(Customer))
    invoice: InvoiceType | None = strawberry_django.field(extensions=can_view(Invoice))
    kind: auto
    occurred_at: auto
    clicked_at: auto
    outcome: auto
    notes: auto
    created_at: auto
    updated_at: auto
