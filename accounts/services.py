"""Writes to accounts that have rules beyond a model save."""

from django.db import transaction

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


def set_credit_hold(customer: Customer, on_hold: bool, *, user=None, note: str = "") -> Customer:
    """Place a customer on credit hold by hand, or release it; recorded as a `CreditHold`.

    The hold and its history are `dunning.services.place_hold` / `lift_hold`, which keep the
    `on_credit_hold` flag.

    Raises:
        ValidationError: credit_hold_unchanged (already on hold / not on hold).
    """
    from dunning import services as dunning

    if on_hold:
        dunning.place_hold(customer, user=user, note=note)
    else:
        dunning.lift_hold(customer, user=user, note=note)
    return Customer.objects.get(pk=customer.pk)


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
