"""DSO by customer: every customer ranked from its AR at both ends and its credit sales
(`metrics.balances.balances_by_customer`), equal to the building blocks customer by customer."""

from datetime import date, timedelta

import pytest

from metrics import engine
from metrics.balances import CustomerBalance, balances_by_customer
from metrics.definitions import KPIS
from metrics.scope import Period
from receivables import services
from tests.factories import CustomerFactory, InvoiceFactory, SalesRepFactory
from tests.metrics.conftest import D, pay, scope

pytestmark = pytest.mark.django_db

APRIL = (date(2026, 4, 1), date(2026, 4, 30))


def test_dso_by_customer_hand_worked():
    """April (N = 30) against March (N = 31).

    A: 1,000 issued 15 Mar, 400 paid 20 May; 600 issued 5 Apr -> AR(31 Mar) 1,000, sales
       March 1,000 -> 31; AR(30 Apr) 1,600, sales April 600 -> 1,600 / 600 × 30 = 80.
    G: 100 issued 1 Mar, 100 issued 1 Apr, 50 paid 2 Apr on the first -> March 100 / 100 ×
       31 = 31; April 150 / 100 × 30 = 45.
    H: 150 issued 3 Apr, unpaid -> April 150 / 150 × 30 = 30; no sales in March: null.
    C: 300 issued 10 Apr, paid 15 Apr -> April 0 / 300 × 30 = 0; March no sales: null.
    B: 2,000 issued 1 Jan, a credit note of 500 on 10 May and 1,500 paid 12 May -> AR 2,000
       at both ends, no sales: null both (listed: it has AR), last.
    Not listed: D (its only invoice issued 1 May, after April), P (paid in January), E (EUR
    only), V (a void invoice).
    """
    a, g, h, c, b, d, p, e, v = (CustomerFactory(name=n) for n in "AGHCBDPEV")
    pay(
        InvoiceFactory(customer=a, issue_date=date(2026, 3, 15), amount=D(1000)),
        400,
        date(2026, 5, 20),
    )
    InvoiceFactory(customer=a, issue_date=date(2026, 4, 5), amount=D(600))
    pay(
        InvoiceFactory(customer=g, issue_date=date(2026, 3, 1), amount=D(100)), 50, date(2026, 4, 2)
    )
    InvoiceFactory(customer=g, issue_date=date(2026, 4, 1), amount=D(100))
    InvoiceFactory(customer=h, issue_date=date(2026, 4, 3), amount=D(150))
    pay(
        InvoiceFactory(customer=c, issue_date=date(2026, 4, 10), amount=D(300)),
        300,
        date(2026, 4, 15),
    )
    old = InvoiceFactory(customer=b, issue_date=date(2026, 1, 1), amount=D(2000))
    services.add_adjustment(
        old, kind="credit_note", amount=D(500), adjustment_date=date(2026, 5, 10)
    )
    pay(old, 1500, date(2026, 5, 12))
    InvoiceFactory(customer=d, issue_date=date(2026, 5, 1), amount=D(700))
    pay(
        InvoiceFactory(customer=p, issue_date=date(2026, 1, 5), amount=D(90)), 90, date(2026, 1, 20)
    )
    InvoiceFactory(customer=e, issue_date=date(2026, 4, 5), amount=D(500), currency="EUR")
    services.void_invoice(InvoiceFactory(customer=v, issue_date=date(2026, 4, 5), amount=D(80)))

    result = engine.breakdown("dso", scope(*APRIL), "customer")

    assert result.count == 5
    assert [(r.group_name, r.value, r.previous) for r in result.rows] == [
        ("A", D(80), D(31)),
        ("G", D(45), D(31)),
        ("H", D(30), None),
        ("C", D(0), None),
        ("B", None, None),
    ]
    page = engine.breakdown("dso", scope(*APRIL), "customer", limit=2, offset=2)
    assert (page.count, [r.group_name for r in page.rows]) == (5, ["H", "C"])


def test_equal_dso_ranks_by_id_as_text():
    """Customers 99 and 100 with DSO 30 in April, 98 with none: a tie is ordered by the ids
    as text ("100" before "99"), as in any breakdown, and so are the nulls after them."""
    customers = {pk: CustomerFactory(pk=pk) for pk in (98, 99, 100)}
    for pk in (99, 100):
        InvoiceFactory(customer=customers[pk], issue_date=date(2026, 4, 2), amount=D(250))
    InvoiceFactory(customer=customers[98], issue_date=date(2026, 3, 2), amount=D(250))

    rows = engine.breakdown("dso", scope(*APRIL), "customer").rows

    assert [(r.group_id, r.value) for r in rows] == [(100, D(30)), (99, D(30)), (98, None)]
    page = engine.breakdown("dso", scope(*APRIL), "customer", limit=1, offset=1)
    assert (page.count, [r.group_id for r in page.rows]) == (3, [99])
    past_the_end = engine.breakdown("dso", scope(*APRIL), "customer", offset=3)
    assert (past_the_end.count, past_the_end.rows) == (3, ())


def test_dso_that_differ_in_the_last_places_and_equal_ones_by_other_amounts():
    """March (N = 31): A 100.00 of AR on 300.00 of sales, B 100.01 on 300.03 (the same
    31 / 3 = 10.333…), C 100.00 on 299.99 (10.33677…, a little worse): C, then A and B by
    their ids as text."""
    a, b, c = CustomerFactory(pk=11), CustomerFactory(pk=2), CustomerFactory(pk=3)
    for customer, ar, sales in (
        (a, "100.00", "300.00"),
        (b, "100.01", "300.03"),
        (c, "100.00", "299.99"),
    ):
        invoice = InvoiceFactory(customer=customer, issue_date=date(2026, 3, 2), amount=D(sales))
        pay(invoice, D(sales) - D(ar), date(2026, 3, 20))

    rows = engine.breakdown("dso", scope(date(2026, 3, 1), date(2026, 3, 31)), "customer").rows

    assert [r.group_id for r in rows] == [3, 11, 2]
    assert rows[1].value == rows[2].value == D(31) / 3
    assert rows[0].value == D("3100.00") / D("299.99")


@pytest.mark.parametrize("compare", ["previous_period", "previous_year"])
def test_every_customer_equals_the_building_blocks(compare):
    """Customers with invoices issued, paid, adjusted and voided before, within, between and
    after the periods: each listed customer's DSO and previous DSO equal the building
    blocks'; a customer left out has no DSO in either period there."""
    customers = [CustomerFactory() for _ in range(7)]
    start = date(2025, 2, 1)
    for n in range(90):
        customer = customers[n % 7]
        issued = start + timedelta(days=7 * n % 450)
        invoice = InvoiceFactory(
            customer=customer,
            issue_date=issued,
            due_date=issued + timedelta(days=30),
            amount=D(100 + 37 * n),
        )
        adjusted = D(10) if n % 5 == 0 else D(0)
        if adjusted:
            services.add_adjustment(
                invoice,
                kind="credit_note",
                amount=adjusted,
                adjustment_date=issued + timedelta(days=5 + n % 40),
            )
        if n % 3 == 0:
            pay(invoice, 100 + 37 * n - adjusted, issued + timedelta(days=45 + n % 50))
        elif n % 3 == 1:
            pay(invoice, 40, issued + timedelta(days=n % 90))
        elif n % 11 == 2 and not adjusted:
            services.void_invoice(invoice)
    s = scope(date(2026, 3, 1), date(2026, 3, 31))
    previous = s.previous(compare)

    result = engine.breakdown("dso", s, "customer", limit=500, compare=compare)

    now, before = engine.compare_values(s, ["dso"], previous.period, "customer")
    expected = {
        g: (now.get(("dso", g)), before.get(("dso", g)))
        for g in {g for _, g in now} | {g for _, g in before}
    }
    listed = {r.group_id: (r.value, r.previous) for r in result.rows}
    assert listed == {g: v for g, v in expected.items() if g in listed}
    # In the order of any breakdown (on PostgreSQL ranked by the database).
    order = sorted(((g, *listed[g]) for g in listed), key=engine.rank_key(KPIS["dso"]))
    assert [r.group_id for r in result.rows] == [g for g, _, _ in order]
    assert all(v == (None, None) for g, v in expected.items() if g not in listed)
    assert len(listed) == result.count >= 4
    count, rows = balances_by_customer(s, (previous.period, s.period))
    assert (count, {row.customer for row in rows}) == (len(listed), set(listed))


def test_balances_of_a_rep_over_overlapping_periods():
    """The scope's filters narrow the customers, and the two periods may overlap: AR(15 Apr)
    = AR(30 Apr) = 500 − 200 = 300; sales 1 Mar–15 Apr 500, in April none."""
    rep, other = SalesRepFactory(), SalesRepFactory()
    c = CustomerFactory(rep=rep)
    pay(
        InvoiceFactory(customer=c, issue_date=date(2026, 3, 10), amount=D(500)),
        200,
        date(2026, 4, 10),
    )
    InvoiceFactory(customer=CustomerFactory(rep=other), issue_date=date(2026, 4, 1))
    periods = (Period(date(2026, 3, 1), date(2026, 4, 15)), Period(*APRIL))

    result = balances_by_customer(scope(*APRIL, rep=rep.pk), periods)

    assert result == (1, [CustomerBalance(c.pk, (D(300), D(300)), (D(500), D(0)))])
