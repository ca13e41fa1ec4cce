"""Writes to accounts that have rules beyond a model save."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.errors import ErrorCode
from accounts.models import Customer


@transaction.atomic
def update_customer(customer: Customer, **changes) -> Customer:
    """Change a customer; a new segment re-keys its AR rollup rows in the same transaction.

    The KPI spec makes segment always the customer's current one, so history follows the
    customer into its new segment. The rep is not re-keyed: invoices keep the rep they had.

    Raises:
        ValidationError: field errors from the model (codes as Django's).
    """
    from receivables import ledger

    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    old_segment = customer.segment_id
    for field, value in changes.items():
        setattr(customer, field, value)
    customer.full_clean()
    customer.save()
    if customer.segment_id != old_segment:
        ledger.move_customer_segment(customer.pk, old_segment, customer.segment_id)
    return customer


@transaction.atomic
def set_credit_hold(customer: Customer, on_hold: bool) -> Customer:
    """Place a customer on credit hold, or release it."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.on_credit_hold == on_hold:
        state = "already on credit hold" if on_hold else "not on credit hold"
        raise ValidationError(f"{customer.name} is {state}.", code=ErrorCode.CREDIT_HOLD_UNCHANGED)
    customer.on_credit_hold = on_hold
    customer.save(update_fields=["on_credit_hold", "updated_at"])
    return customer


@transaction.atomic
def create_customer(**fields) -> Customer:
    """Create a customer after the model's validation (shared by REST and GraphQL).

    Raises:
        ValidationError: field errors from the model (codes as Django's, e.g. `unique`).
    """
    customer = Customer(**fields)
    customer.full_clean()
    customer.save()
    return customer
