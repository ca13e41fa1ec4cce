"""Orders: the rules an order follows (its opportunity and currency are its customer's) and
its writes.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Customer, SalesRep
from integrations import events
from integrations.models import EventType
from metrics import rollup
from receivables.errors import ErrorCode
from receivables.models import (
    Order,
)
from receivables.services.common import check_amount, check_currency


def check_order_rules(order: Order) -> None:
    """The rules an order holds on create and on every change."""
    check_amount(order.amount)
    check_currency(order.currency)
    if order.opportunity_id is not None and order.opportunity.customer_id != order.customer_id:
        raise ValidationError(
            {
                "opportunity": ValidationError(
                    "The opportunity belongs to another customer.",
                    ErrorCode.OPPORTUNITY_CUSTOMER_MISMATCH,
                )
            }
        )


@transaction.atomic
def create_order(
    *,
    customer: Customer,
    number: str,
    order_date: date,
    amount: Decimal,
    currency: str | None = None,
    rep: SalesRep | None = None,
    opportunity=None,
    product_line: str = "",
    status: str = Order.Status.BOOKED,
    credit_hold_override=None,
) -> Order:
    """Book an order; the currency and rep default to the customer's, the rep is kept after.

    A customer on credit hold is refused unless `credit_hold_override` (a
    `dunning.services.HoldOverride`: an admin and a reason) is given; see
    `dunning.services.admit_order`.

    Raises:
        ValidationError: not_positive, invalid_amount, invalid_currency,
            opportunity_customer_mismatch, or the model's field errors (e.g. `unique` number).
        Conflict: customer_on_credit_hold.
    """
    from dunning import services as dunning

    order = Order(
        customer=customer,
        number=number,
        order_date=order_date,
        amount=amount,
        currency=currency or customer.currency,
        rep=rep,
        opportunity=opportunity,
        product_line=product_line,
        status=status,
    )
    check_order_rules(order)
    order.full_clean()
    order.save()
    dunning.admit_order(order, credit_hold_override)
    return order


@transaction.atomic
@rollup.tracked
def update_order(order: Order, **changes) -> Order:
    """Change an order under a row lock, holding the rules of `create_order`.

    Moving an order to another customer books it for that customer: refused when that one
    is on credit hold (no override here; book a new order with one).

    Raises:
        ValidationError: as `create_order`.
        Conflict: customer_on_credit_hold.
    """
    from dunning import services as dunning

    order = Order.objects.select_for_update().get(pk=order.pk)
    booked_for = order.customer_id
    rollup.touch(orders=[order.pk])  # its invoices count the days from order to invoice
    for field, value in changes.items():
        setattr(order, field, value)
    check_order_rules(order)
    order.full_clean()
    order.save()
    if order.customer_id != booked_for:
        dunning.admit_order(order)
    return order


@transaction.atomic
def delete_order(order: Order) -> None:
    """Delete an order booked by mistake, leaving a tombstone in the event feed.

    An order its invoices name is protected: they count the days from order to invoice in
    the KPI rollup; an order without invoices has no facts of its own.

    Raises:
        ProtectedError: when invoices refer to it (nothing deleted, no event).
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    events.record(EventType.RECORD_DELETED, order, {"number": order.number})
    order.delete()
