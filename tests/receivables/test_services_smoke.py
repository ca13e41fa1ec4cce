from datetime import date
from decimal import Decimal

import pytest

from receivables import services
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def test_apply_then_unapply_keeps_rollup(check_rollup):
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    payment = PaymentFactory(customer=customer, amount=Decimal("60.00"))

    services.apply_payment(payment, invoice, Decimal("60.00"))
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("40.00")
    check_rollup()
    services.add_adjustment(
        invoice, kind="credit_note", amount=Decimal("40.00"), adjustment_date=date(2026, 2, 1)
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_date) == ("paid", date(2026, 2, 1))
    check_rollup()
    services.unapply(payment.applications.get())
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice.open_amount, payment.unapplied_amount) == (Decimal("60.00"), Decimal("60.00"))
    check_rollup()
