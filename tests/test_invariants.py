"""The invariant checker itself: it passes on service-made data and catches each corruption."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from metrics.models import KPIRollup
from receivables import services
from receivables.models import CollectionActivity, Invoice, Payment, PromiseToPay
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory
from tests.invariants import invariant_violations

pytestmark = pytest.mark.django_db


@pytest.fixture
def books():
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    payment = PaymentFactory(customer=customer, amount=Decimal("70.00"))
    services.apply_payment(payment, invoice, Decimal("49.99"))
    services.add_adjustment(
        invoice, kind="credit_note", amount=Decimal("20.01"), adjustment_date=date(2026, 1, 20)
    )
    services.create_promise(
        invoice,
        created_date=date(2026, 1, 2),
        promised_date=date(2026, 1, 31),
        amount=Decimal("49.99"),
    )
    return invoice, payment


def rules(violations: list[str]) -> list[str]:
    return [line.split(":")[0] for line in violations]


def test_service_made_data_has_no_violations(books):
    assert invariant_violations() == []


def test_a_one_cent_open_amount_error_is_caught(books):
    invoice, _ = books
    Invoice.objects.filter(pk=invoice.pk).update(open_amount=Decimal("30.01"))

    assert rules(invariant_violations()) == ["open_amount != amount - applications - adjustments"]


def test_a_one_cent_unapplied_error_is_caught(books):
    _, payment = books
    Payment.objects.filter(pk=payment.pk).update(unapplied_amount=Decimal("20.00"))

    assert rules(invariant_violations()) == ["unapplied_amount != amount - applications"]


def test_a_wrong_paid_date_is_caught(books):
    invoice, _ = books
    services.add_adjustment(
        invoice, kind="write_off", amount=Decimal("30.00"), adjustment_date=date(2026, 2, 1)
    )
    assert invariant_violations() == []
    Invoice.objects.filter(pk=invoice.pk).update(paid_date=date(2026, 1, 31))

    assert rules(invariant_violations()) == ["paid_date != latest application/adjustment date"]


def test_a_wrong_promise_status_is_caught(books):
    assert PromiseToPay.objects.get().status == "kept"
    PromiseToPay.objects.update(status="broken")

    assert rules(invariant_violations()) == ["promise status not derived"]


def test_a_promise_of_another_customer_is_caught(books):
    invoice, _ = books
    assert PromiseToPay.objects.get().customer_id == invoice.customer_id
    PromiseToPay.objects.update(customer=CustomerFactory())

    assert rules(invariant_violations()) == ["promise of another customer than its invoice's"]


def test_a_rollup_drift_is_caught(books):
    KPIRollup.objects.filter(ar_invoiced=Decimal("100.00")).update(ar_invoiced=Decimal("100.01"))

    assert rules(invariant_violations()) == ["rollup != recompute"]


def test_an_activity_written_around_its_service_is_caught(books):
    invoice, _ = books
    occurred = datetime(2026, 1, 10, 9, tzinfo=UTC)
    services.create_activity(
        customer=invoice.customer, invoice=invoice, kind="call", occurred_at=occurred
    )
    assert invariant_violations() == []
    CollectionActivity.objects.create(
        customer=invoice.customer, invoice=invoice, kind="call", occurred_at=occurred
    )

    assert rules(invariant_violations()) == ["activity_count != number of activities"]
