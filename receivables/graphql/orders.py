"""GraphQL orderings of the receivables app: dates and amounts, `id` as the tie-breaker."""

import strawberry_django
from strawberry import auto

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


@strawberry_django.order_type(Order)
class OrderOrder:
    id: auto
    number: auto
    order_date: auto
    amount: auto
    updated_at: auto


@strawberry_django.order_type(Invoice)
class InvoiceOrder:
    id: auto
    number: auto
    issue_date: auto
    due_date: auto
    paid_date: auto
    amount: auto
    open_amount: auto
    updated_at: auto


@strawberry_django.order_type(Adjustment)
class AdjustmentOrder:
    id: auto
    adjustment_date: auto
    amount: auto
    updated_at: auto


@strawberry_django.order_type(Payment)
class PaymentOrder:
    id: auto
    received_date: auto
    amount: auto
    unapplied_amount: auto
    updated_at: auto


@strawberry_django.order_type(PaymentApplication)
class ApplicationOrder:
    id: auto
    applied_date: auto
    amount: auto


@strawberry_django.order_type(Dispute)
class DisputeOrder:
    id: auto
    opened_date: auto
    resolved_date: auto
    amount: auto
    updated_at: auto


@strawberry_django.order_type(PromiseToPay)
class PromiseOrder:
    id: auto
    created_date: auto
    promised_date: auto
    amount: auto
    updated_at: auto


@strawberry_django.order_type(CollectionActivity)
class ActivityOrder:
    id: auto
    occurred_at: auto
    updated_at: auto
