"""The public worked examples of the spec: DSO 45, BPDSO 12, ADD 33, CEI 98 %."""

from datetime import date

import pytest

from metrics import engine
from tests.factories import CustomerFactory, InvoiceFactory
from tests.metrics.conftest import D, pay, scope

pytestmark = pytest.mark.django_db

APRIL = (date(2026, 4, 1), date(2026, 4, 30))


def make_april():
    """P = April 2026 (N = 30).

    A 8,000 issued 15 Feb, due 17 Mar, unpaid            -> past due 8,000 at 30 Apr
    B 6,000 issued 1 Apr, due 16 Apr, 3,000 paid 20 Apr  -> past due 3,000
    C 4,000 issued 20 Apr, due 20 May                    -> current 4,000
    Credit sales(P) = B + C = 10,000; AR(end) = 15,000; Current AR(end) = 4,000.
    """
    customer = CustomerFactory()
    InvoiceFactory(
        customer=customer, issue_date=date(2026, 2, 15), due_date=date(2026, 3, 17), amount=D(8000)
    )
    b = InvoiceFactory(
        customer=customer, issue_date=date(2026, 4, 1), due_date=date(2026, 4, 16), amount=D(6000)
    )
    pay(b, 3000, date(2026, 4, 20))
    InvoiceFactory(
        customer=customer, issue_date=date(2026, 4, 20), due_date=date(2026, 5, 20), amount=D(4000)
    )
    return customer


def test_dso_bpdso_add_public_example():
    make_april()

    result = engine.summary(scope(*APRIL))

    # DSO = 15,000 / 10,000 × 30 = 45; BPDSO = 4,000 / 10,000 × 30 = 12; ADD = 45 − 12 = 33.
    assert result.kpis["ar_balance"].value == D("15000.00")
    assert result.kpis["current_ar"].value == D("4000.00")
    assert result.kpis["past_due_ar"].value == D("11000.00")
    assert result.kpis["credit_sales"].value == D("10000.00")
    assert result.kpis["collected"].value == D("3000.00")
    assert result.kpis["dso"].value == D(45)
    assert result.kpis["best_possible_dso"].value == D(12)
    assert result.kpis["average_days_delinquent"].value == D(33)


def test_cei_public_example():
    """P = May 2026.

    O 100,000 issued 1 Apr, due 1 May, paid in full 10 May  -> AR(30 Apr) = 100,000
    S1 900,000 issued 2 May, due 12 May, 880,000 paid 15 May -> 20,000 past due at 31 May
    S2 100,000 issued 25 May, due 24 Jun                      -> 100,000 current
    CEI = (100k + 1M − 120k) / (100k + 1M − 100k) × 100 = 980k / 1M × 100 = 98.
    """
    customer = CustomerFactory()
    o = InvoiceFactory(
        customer=customer, issue_date=date(2026, 4, 1), due_date=date(2026, 5, 1), amount=D(100000)
    )
    pay(o, 100000, date(2026, 5, 10))
    s1 = InvoiceFactory(
        customer=customer, issue_date=date(2026, 5, 2), due_date=date(2026, 5, 12), amount=D(900000)
    )
    pay(s1, 880000, date(2026, 5, 15))
    InvoiceFactory(
        customer=customer,
        issue_date=date(2026, 5, 25),
        due_date=date(2026, 6, 24),
        amount=D(100000),
    )

    result = engine.summary(scope(date(2026, 5, 1), date(2026, 5, 31)))

    assert result.kpis["cei"].value == D(98)
    assert result.kpis["ar_balance"].previous == D(100000)
