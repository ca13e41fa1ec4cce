"""Writes to accounts that have rules beyond a model save."""

from django.db import transaction

from accounts.errors import ErrorCode
from accounts.models import Customer, Opportunity
from integrations import events
from integrations.models import EventType
from metrics import rollup
from o2c_api.errors import Conflict

# The documents that are in the customer's currency (related names on Customer).
DOCUMENTS = ("orders", "invoices", "payments", "opportunities")


def _has_documents(customer: Customer) -> bool:
    return any(getattr(customer, name).exists() for name in DOCUMENTS)


def _keying_changed(customer: Customer, changes: dict) -> bool:
    """Whether the changes move the customer's KPI facts: every fact takes the customer's
    current segment; its payments and its reminders without an invoice its current rep (and
    such a reminder its currency)."""
    current = {
        "segment": customer.segment_id,
        "rep": customer.rep_id,
        "currency": customer.currency,
    }
    return any(
        getattr(changes[field], "pk", changes[field]) != value
        for field, value in current.items()
        if field in changes
    )


def customer_payload(customer: Customer, **extra) -> dict:
    """What a customer event carries."""
    return {
        "name": customer.name,
        "external_id": customer.external_id,
        "currency": customer.currency,
        "segment": customer.segment_id,
        "rep": customer.rep_id,
        **extra,
    }


@transaction.atomic
@rollup.tracked
def update_customer(customer: Customer, **changes) -> Customer:
    """Change a customer; a new segment re-keys its AR rollup rows in the same transaction.

    The KPI spec makes segment always the customer's current one, so history follows the
    customer into its new segment. The rep is not re-keyed on invoices (they keep the rep
    they had), only on the facts that take the customer's current rep. The currency changes
    only while the customer has no documents.

    Raises:
        Conflict: customer_currency_locked (a new currency while it has orders, invoices,
            payments or opportunities).
        ValidationError: field errors from the model (codes as Django's).
    """
    from dunning import services as dunning

    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    old_currency, old_name = customer.currency, customer.name
    if _keying_changed(customer, changes):
        rollup.touch(customers=[customer.pk])
    before = {field: getattr(customer, field) for field in changes}
    for field, value in changes.items():
        setattr(customer, field, value)
    customer.full_clean()
    if customer.currency != old_currency and _has_documents(customer):
        raise Conflict(
            f"{old_name} has orders, invoices, payments or opportunities in {old_currency}; "
            "its currency cannot change.",
            code=ErrorCode.CURRENCY_LOCKED,
            details={"customer": customer.pk},
        )
    customer.save()
    changed = sorted(field for field in changes if getattr(customer, field) != before[field])
    if changed:
        events.record(
            EventType.CUSTOMER_CHANGED, customer, customer_payload(customer, changed=changed)
        )
    if {"credit_limit", "currency"} & set(changed):
        dunning.refresh_holds([customer.pk], may_place=dunning.CREDIT_LIMIT_CHANGED)
        customer.refresh_from_db(fields=["on_credit_hold", "updated_at"])
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
    events.record(EventType.CUSTOMER_CREATED, customer, customer_payload(customer))
    return customer


@transaction.atomic
def delete_customer(customer: Customer) -> None:
    """Delete a customer entered by mistake, leaving a tombstone in the event feed.

    Only a customer nothing refers to is deleted: its orders, invoices, payments,
    opportunities, activities, promises and credit holds protect it (so it has no KPI facts
    to take out of the rollup); its rep assignments and payment link go with it.

    Raises:
        ProtectedError: when such records refer to it (nothing deleted, no event).
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    events.record(
        EventType.RECORD_DELETED,
        customer,
        {"name": customer.name, "external_id": customer.external_id},
    )
    customer.delete()


@transaction.atomic
@rollup.tracked
def create_opportunity(**fields) -> Opportunity:
    """Create a deal after the model's validation; without a rep it takes the customer's.

    Raises:
        ValidationError: field errors from the model (codes as Django's).
    """
    opportunity = Opportunity(**fields)
    opportunity.full_clean()
    opportunity.save()
    rollup.added(opportunities=[opportunity.pk])
    return opportunity


@transaction.atomic
@rollup.tracked
def update_opportunity(opportunity: Opportunity, **changes) -> Opportunity:
    """Change a deal under its row lock (its stage, dates and amount are pipeline facts).

    Raises:
        ValidationError: field errors from the model (codes as Django's).
    """
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    rollup.touch(opportunities=[opportunity.pk])
    for field, value in changes.items():
        setattr(opportunity, field, value)
    opportunity.full_clean()
    opportunity.save()
    return opportunity


@transaction.atomic
@rollup.tracked
def delete_opportunity(opportunity: Opportunity) -> None:
    """Delete a deal; its pipeline facts go with it and its orders lose the link."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    rollup.touch(opportunities=[opportunity.pk])
    events.record(EventType.RECORD_DELETED, opportunity, {"customer": opportunity.customer_id})
    opportunity.delete()
