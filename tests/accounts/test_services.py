"""Rules of accounts.services: customer updates re-key the rollup, credit hold toggles."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Customer
from receivables import services as receivables
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    PaymentFactory,
    SalesRepFactory,
    SegmentFactory,
)
from tests.invariants import ar_rows, invariant_violations, money_totals

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    payment = PaymentFactory(customer=customer, amount=Decimal("30.00"))
    receivables.apply_payment(payment, invoice, Decimal("30.00"))
    receivables.add_adjustment(
        invoice, kind="credit_note", amount=Decimal("5.00"), adjustment_date=date(2026, 2, 1)
    )
    return customer


def segment_keys() -> set[int]:
    return {row[2] for row in ar_rows()}


def test_segment_change_rekeys_every_movement(customer, check_rollup):
    new_segment = SegmentFactory()

    updated = services.update_customer(customer, segment=new_segment)

    assert updated.segment_id == new_segment.pk
    assert segment_keys() == {new_segment.pk}
    check_rollup()


def test_removing_the_segment_rekeys_to_none(customer, check_rollup):
    services.update_customer(customer, segment=None)

    assert segment_keys() == {0}
    check_rollup()


def test_rep_change_does_not_rekey(customer, check_rollup):
    before = money_totals()

    services.update_customer(customer, rep=SalesRepFactory(), name="Renamed Co")

    assert money_totals() == before
    assert Customer.objects.get(pk=customer.pk).name == "Renamed Co"
    check_rollup()


def test_invalid_change_raises_and_changes_nothing(customer):
    before = money_totals()
    old_segment = customer.segment_id

    with pytest.raises(ValidationError) as raised:
        services.update_customer(customer, segment=SegmentFactory(), currency="XXX")

    assert [e.code for e in raised.value.error_dict["currency"]] == ["invalid_choice"]
    assert Customer.objects.get(pk=customer.pk).segment_id == old_segment
    assert money_totals() == before
    assert invariant_violations() == []


def test_credit_hold_is_placed_and_released():
    customer = CustomerFactory()

    held = services.set_credit_hold(customer, True)
    assert held.on_credit_hold is True
    released = services.set_credit_hold(customer, False)

    assert released.on_credit_hold is False
    assert Customer.objects.get(pk=customer.pk).on_credit_hold is False


@pytest.mark.parametrize("on_hold", [True, False])
def test_credit_hold_unchanged_is_refused(on_hold):
    customer = CustomerFactory(on_credit_hold=on_hold)

    with pytest.raises(ValidationError) as raised:
        services.set_credit_hold(customer, on_hold)

    assert raised.value.code == "credit_hold_unchanged"
    assert Customer.objects.get(pk=customer.pk).on_credit_hold is on_hold
