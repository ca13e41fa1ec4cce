"""Property-based tests of the money invariants (issue 12, "Kept fixed").

hypothesis draws random sequences of the writes that move money — invoices, payment posts
(with and without remittance), applies, unapplies, credit notes and voids — and runs them
through the services, the way the APIs do. After every step, whether the service accepted or
refused it, every invariant of `tests/invariants.py` holds (open and unapplied amounts, paid
dates, statuses, the AR and KPI rollups); a refused step changes nothing.

Each example runs in a transaction rolled back at its end, so examples do not see each other.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receivables import services
from receivables.cash_application import RemittanceLine, post_payment
from receivables.models import Adjustment, Invoice, Payment, PaymentApplication
from tests.factories import CustomerFactory
from tests.invariants import invariant_violations

pytestmark = pytest.mark.django_db

START = date(2026, 1, 1)
cents = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)
days = st.integers(min_value=0, max_value=90)
index = st.integers(min_value=0, max_value=7)

steps = st.one_of(
    st.tuples(st.just("invoice"), index, cents, days),
    st.tuples(st.just("post"), index, cents, days, st.booleans()),
    st.tuples(st.just("apply"), index, index, cents, days),
    st.tuples(st.just("unapply"), index),
    st.tuples(st.just("credit_note"), index, cents, days),
    st.tuples(st.just("void"), index, days),
)


def state() -> tuple:
    """Everything a refused step must leave as it was."""
    return (
        list(Invoice.objects.order_by("pk").values_list("pk", "status", "open_amount")),
        list(Payment.objects.order_by("pk").values_list("pk", "unapplied_amount")),
        list(PaymentApplication.objects.order_by("pk").values_list("pk", "amount")),
        list(Adjustment.objects.order_by("pk").values_list("pk", "amount")),
    )


def pick(queryset, position: int):
    rows = list(queryset.order_by("pk"))
    return rows[position % len(rows)] if rows else None


def run(step: tuple, customers: list) -> None:
    kind, *args = step
    if kind == "invoice":
        who, amount, day = args
        services.create_invoice(
            customer=customers[who % len(customers)],
            number=f"INV-{Invoice.objects.count() + 1}",
            issue_date=START + timedelta(days=day),
            amount=amount,
            product_line="hardware",
        )
    elif kind == "post":
        who, amount, day, with_remittance = args
        customer = customers[who % len(customers)]
        remittance = None
        invoice = pick(Invoice.objects.filter(customer=customer, status="open"), who)
        if with_remittance and invoice is not None:
            remittance = [RemittanceLine(amount=amount, invoice_number=invoice.number)]
        post_payment(
            customer=customer,
            amount=amount,
            received_date=START + timedelta(days=day),
            reference="",
            remittance=remittance,
        )
    elif kind == "apply":
        payment_at, invoice_at, amount, day = args
        payment, invoice = pick(Payment.objects, payment_at), pick(Invoice.objects, invoice_at)
        if payment and invoice:
            services.apply_payment(
                payment, invoice, amount, applied_date=START + timedelta(days=day)
            )
    elif kind == "unapply":
        application = pick(PaymentApplication.objects, args[0])
        if application:
            services.unapply(application)
    elif kind == "credit_note":
        invoice_at, amount, day = args
        invoice = pick(Invoice.objects, invoice_at)
        if invoice:
            services.add_adjustment(
                invoice,
                kind="credit_note",
                amount=amount,
                adjustment_date=START + timedelta(days=day),
            )
    elif kind == "void":
        invoice_at, day = args
        invoice = pick(Invoice.objects, invoice_at)
        if invoice:
            services.void_invoice(invoice, voided_date=START + timedelta(days=day))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=1, max_size=12))
def test_money_invariants_hold_after_every_step(db, sequence):
    with transaction.atomic():
        customers = [CustomerFactory(currency="USD"), CustomerFactory(currency="USD")]
        accepted = refused = 0
        for step in sequence:
            before = state()
            try:
                with transaction.atomic():
                    run(step, customers)
                accepted += 1
            except ValidationError:
                refused += 1
                assert state() == before, step
            assert invariant_violations() == [], (step, sequence)
        assert accepted + refused == len(sequence)
        transaction.set_rollback(True)


def test_the_steps_reach_every_kind_of_write(db):
    """A fixed sequence through the same runner: each kind of write is accepted at least once."""
    customers = [CustomerFactory(currency="USD")]
    sequence = [
        ("invoice", 0, Decimal("100.00"), 0),
        ("invoice", 0, Decimal("40.00"), 1),
        ("post", 0, Decimal("40.00"), 2, True),  # remittance: all of it to INV-1
        ("post", 0, Decimal("30.00"), 2, False),  # no rule applies it
        ("apply", 1, 0, Decimal("20.00"), 3),
        ("credit_note", 0, Decimal("10.00"), 4),
        ("unapply", 1),
        ("void", 1, 5),
    ]

    for step in sequence:
        run(step, customers)
        assert invariant_violations() == [], step

    first, second = Invoice.objects.order_by("pk")
    assert (first.status, first.open_amount) == ("open", Decimal("50.00"))
    assert (second.status, second.open_amount) == ("void", Decimal("0.00"))
    assert list(Payment.objects.order_by("pk").values_list("unapplied_amount", flat=True)) == [
        Decimal("0.00"),
        Decimal("30.00"),
    ]
    assert list(PaymentApplication.objects.values_list("invoice__number", "amount")) == [
        ("INV-1", Decimal("40.00"))
    ]
    assert list(Adjustment.objects.values_list("amount", flat=True)) == [Decimal("10.00")]
