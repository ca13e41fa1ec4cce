"""Hand-worked examples of the AR family: AR, current and past-due AR, credit sales, cash
collected, DSO, best possible DSO, ADD, CEI, countback DSO — with partial payments, a credit
note, a void and a draft invoice, another currency, cash applied after the period and every
filter."""

from datetime import date
from decimal import Decimal

import pytest

from metrics import engine
from metrics.thresholds import rendered
from receivables import services
from tests.factories import CustomerFactory, InvoiceFactory, SalesRepFactory, SegmentFactory
from tests.metrics.conftest import D, pay, scope

pytestmark = pytest.mark.django_db

MARCH = (date(2026, 3, 1), date(2026, 3, 31))  # N = 31


@pytest.fixture
def march():
    """USD unless said otherwise; customers have 30-day terms.

    I1 c1/R1/S1 hw 1,000 issued 10 Feb due 12 Mar; 400 paid 5 Mar      -> 600 past due at 31 Mar
    I2 c1/R1/S1 sw 2,000 issued 10 Mar due 9 Apr; credit note 500 on 20 Mar;
       1,500 paid 5 Apr (after P)                                       -> 1,500 current at 31 Mar
    I3 c2/R2/S2 hw 3,000 issued 15 Mar, voided                          -> never counts
    I4 c2/R2/S2 hw   800 issued 20 Mar due 30 Mar; paid 28 Mar          -> 0
    I5 c2/R2/S2 sw   500 EUR issued 1 Mar (due 31 Mar)                  -> only in EUR
    I6 c2 draft 700 issued 5 Mar                                        -> never counts
    """
    r1, r2 = SalesRepFactory(), SalesRepFactory()
    s1, s2 = SegmentFactory(), SegmentFactory()
    c1 = CustomerFactory(rep=r1, segment=s1)
    c2 = CustomerFactory(rep=r2, segment=s2)
    i1 = InvoiceFactory(
        customer=c1,
        product_line="hw",
        issue_date=date(2026, 2, 10),
        due_date=date(2026, 3, 12),
        amount=D(1000),
    )
    pay(i1, 400, date(2026, 3, 5))
    i2 = InvoiceFactory(
        customer=c1, product_line="sw", issue_date=date(2026, 3, 10), amount=D(2000)
    )
    services.add_adjustment(
        i2, kind="credit_note", amount=D(500), adjustment_date=date(2026, 3, 20)
    )
    pay(i2, 1500, date(2026, 4, 5))
    i3 = InvoiceFactory(
        customer=c2, product_line="hw", issue_date=date(2026, 3, 15), amount=D(3000)
    )
    services.void_invoice(i3, date(2026, 3, 16))
    i4 = InvoiceFactory(
        customer=c2,
        product_line="hw",
        issue_date=date(2026, 3, 20),
        due_date=date(2026, 3, 30),
        amount=D(800),
    )
    pay(i4, 800, date(2026, 3, 28))
    InvoiceFactory(
        customer=c2, product_line="sw", issue_date=date(2026, 3, 1), amount=D(500), currency="EUR"
    )
    InvoiceFactory(customer=c2, issue_date=date(2026, 3, 5), amount=D(700), status="draft")
    return {"r1": r1, "r2": r2, "s1": s1, "s2": s2, "c1": c1, "c2": c2}


def values(s):
    result = engine.summary(s)
    return {key: kpi.value for key, kpi in result.kpis.items()}


def test_ar_family_all_usd(march):
    v = values(scope(*MARCH))

    # AR = I1 600 + I2 1,500 (its 1,500 arrives 5 Apr) + I4 0 = 2,100; I3 void, I5 EUR, I6 draft.
    assert v["ar_balance"] == D("2100.00")
    # Current: only I2 is due on/after 31 Mar.
    assert v["current_ar"] == D("1500.00")
    assert v["past_due_ar"] == D("600.00")
    # Sales: I2 2,000 + I4 800 (the credit note does not lower sales).
    assert v["credit_sales"] == D("2800.00")
    # Collected: 400 (5 Mar) + 800 (28 Mar); the 1,500 of 5 Apr is after P.
    assert v["collected"] == D("1200.00")
    # DSO = 2,100 / 2,800 × 31 = 23.25
    assert v["dso"] == D("23.25")
    # BPDSO = 1,500 / 2,800 × 31 = 16.607142857...
    assert v["best_possible_dso"] == D(46500) / D(2800)
    assert rendered(v["best_possible_dso"]) == D("16.61")
    # ADD = 23.25 − 16.607142857 = 6.642857...
    assert rendered(v["average_days_delinquent"]) == D("6.64")
    # CEI: AR(28 Feb) = 1,000. (1,000 + 2,800 − 2,100) / (1,000 + 2,800 − 1,500) = 1,700 / 2,300
    assert v["cei"] == D(1700) / D(2300) * 100
    assert rendered(v["cei"]) == D("73.91")
    # Countback: March sales 2,800 cover AR 2,100: 31 × 2,100 / 2,800 = 23.25 days.
    assert v["dso_countback"] == D("23.25")


def test_ar_family_filters(march):
    # rep R1 = c1's invoices I1, I2: AR 2,100, current 1,500, sales 2,000, collected 400.
    v = values(scope(*MARCH, rep=march["r1"].pk))
    assert (v["ar_balance"], v["current_ar"], v["credit_sales"], v["collected"]) == (
        D(2100),
        D(1500),
        D(2000),
        D(400),
    )
    # DSO = 2,100 / 2,000 × 31 = 32.55
    assert v["dso"] == D("32.55")

    # segment S2: I4 only (I3 void, I5 EUR): AR 0, sales 800, collected 800, DSO 0.
    v = values(scope(*MARCH, segment=march["s2"].pk))
    assert (v["ar_balance"], v["credit_sales"], v["collected"], v["dso"]) == (
        D(0),
        D(800),
        D(800),
        D(0),
    )

    # customer c1 (read from the source rows): the same as rep R1.
    v = values(scope(*MARCH, customer=march["c1"].pk))
    assert (v["ar_balance"], v["current_ar"], v["credit_sales"], v["collected"]) == (
        D(2100),
        D(1500),
        D(2000),
        D(400),
    )

    # product line hw: I1 and I4: AR 600 (all past due), sales 800, collected 1,200.
    v = values(scope(*MARCH, product_line="hw"))
    assert (v["ar_balance"], v["current_ar"], v["credit_sales"], v["collected"]) == (
        D(600),
        D(0),
        D(800),
        D(1200),
    )
    # BPDSO = 0 / 800 × 31 = 0; DSO = 600 / 800 × 31 = 23.25 = ADD.
    assert (v["best_possible_dso"], v["dso"], v["average_days_delinquent"]) == (
        D(0),
        D("23.25"),
        D("23.25"),
    )

    # EUR: I5 500 issued 1 Mar due 31 Mar (current on its due date); DSO = 500/500 × 31.
    v = values(scope(*MARCH, currency="EUR"))
    assert (v["ar_balance"], v["current_ar"], v["credit_sales"], v["dso"]) == (
        D(500),
        D(500),
        D(500),
        D(31),
    )


def test_zero_denominators_are_null(db):
    """Nothing at all: money is 0, every ratio null (never 0, never an error)."""
    result = engine.summary(scope(*MARCH))

    for key in ("ar_balance", "current_ar", "past_due_ar", "credit_sales", "collected"):
        assert result.kpis[key].value == D(0), key
    # Countback: AR 0 is exhausted at once -> 0 days.
    assert result.kpis["dso_countback"].value == D(0)
    for key in (
        "dso",
        "best_possible_dso",
        "average_days_delinquent",
        "cei",
        "first_pass_yield",
        "dispute_rate",
        "dispute_resolution_days",
        "cash_application_match_rate",
        "promise_kept_rate",
        "time_to_invoice_days",
        "pipeline_velocity",
        "reminder_conversion_rate",
    ):
        assert result.kpis[key].value is None, key
        assert result.kpis[key].status is None, key


def test_countback_walks_back_through_months(db):
    """P = 1-31 Mar 2026.

    Feb: 1,000 issued 10 Feb, 300 of it paid 15 Mar; Mar: 2,800 issued 10 Mar (unpaid).
    AR(31 Mar) = 700 + 2,800 = 3,500.
    Window 1 = March (31 days, sales 2,800): used fully, remaining 3,500 − 2,800 = 700.
    Window 2 = February (28 days, sales 1,000): 28 × 700 / 1,000 = 19.6.
    Countback = 31 + 19.6 = 50.6 days.
    """
    customer = CustomerFactory()
    feb = InvoiceFactory(customer=customer, issue_date=date(2026, 2, 10), amount=D(1000))
    pay(feb, 300, date(2026, 3, 15))
    InvoiceFactory(customer=customer, issue_date=date(2026, 3, 10), amount=D(2800))

    v = values(scope(*MARCH))

    assert v["ar_balance"] == D(3500)
    assert v["dso_countback"] == D("50.6")


def test_countback_mid_month_end_and_null_when_not_exhausted(db):
    """End 15 Mar: the first window is 1-15 Mar (15 days).

    A 600 issued 2 Mar; B 900 issued 20 Feb. AR(15 Mar) = 1,500.
    Window 1-15 Mar: sales 600, used fully -> 15 days, 900 left.
    February (28 days): sales 900 = remaining -> 28 × 900 / 900 = 28. Total 43.
    """
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, issue_date=date(2026, 3, 2), amount=D(600))
    InvoiceFactory(customer=customer, issue_date=date(2026, 2, 20), amount=D(900))
    assert values(scope(date(2026, 3, 1), date(2026, 3, 15)))["dso_countback"] == D(43)

    # An unpaid invoice of Jan 2023 is older than the 36 windows (Apr 2023 - Mar 2026):
    # AR is never exhausted -> null.
    InvoiceFactory(customer=customer, issue_date=date(2023, 1, 10), amount=D(50))
    assert values(scope(date(2026, 3, 1), date(2026, 3, 15)))["dso_countback"] is None


def test_previous_period_values(march):
    """March is a whole calendar month: its previous period is February (1 - 28 Feb), not
    the 31 days before. AR(28 Feb) = I1 1,000, sales 1,000, DSO = 1,000 / 1,000 × 28 = 28;
    CEI: AR(31 Jan) = 0, Current AR(28 Feb) = 1,000 (I1 due 12 Mar) -> (0 + 1,000 − 1,000) /
    (0 + 1,000 − 1,000) -> zero denominator -> null."""
    result = engine.summary(scope(*MARCH))

    assert (result.previous_scope.start, result.previous_scope.end) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    assert result.kpis["ar_balance"].previous == D(1000)
    assert result.kpis["dso"].previous == D(28)
    # change is between the rendered values: 23.25 − 28 = −4.75
    assert result.kpis["dso"].change == D("-4.75")
    assert result.kpis["cei"].previous is None
    assert result.kpis["cei"].change is None


def test_previous_year_is_the_same_dates_a_year_earlier(march):
    """compare=previous_year: March 2025, before any invoice: AR 0, no sales, DSO null. The
    year between is not part of either value."""
    result = engine.summary(scope(*MARCH), compare="previous_year")

    assert (result.previous_scope.start, result.previous_scope.end) == (
        date(2025, 3, 1),
        date(2025, 3, 31),
    )
    assert result.compare == "previous_year"
    assert result.kpis["ar_balance"].previous == D(0)
    assert result.kpis["credit_sales"].previous == D(0)
    assert result.kpis["dso"].previous is None
    # The current values are those of the plain summary.
    plain = engine.summary(scope(*MARCH))
    assert {k: v.value for k, v in result.kpis.items()} == {
        k: v.value for k, v in plain.kpis.items()
    }


def test_previous_year_of_a_period_longer_than_a_year_overlaps_and_still_adds_up(march):
    """1 Feb 2025 - 31 Mar 2026 against 1 Feb 2024 - 31 Mar 2025 (they overlap): the
    previous value is the one of that period computed on its own."""
    long = scope(date(2025, 2, 1), date(2026, 3, 31))
    result = engine.summary(long, compare="previous_year")
    alone = engine.summary(scope(date(2024, 2, 1), date(2025, 3, 31)))

    assert {k: v.previous for k, v in result.kpis.items()} == {
        k: v.value for k, v in alone.kpis.items()
    }


def test_currencies_present_list_every_currency_of_the_filters(march):
    # I5 is the one EUR invoice (issued 1 Mar); the summary is in USD.
    assert engine.summary(scope(*MARCH)).currencies == ("EUR", "USD")
    # Before I5 was issued only USD invoices exist.
    assert engine.summary(scope(date(2026, 2, 1), date(2026, 2, 28))).currencies == ("USD",)


def test_exact_decimals_not_floats(march):
    v = values(scope(*MARCH))
    assert all(value is None or isinstance(value, Decimal) for value in v.values())
