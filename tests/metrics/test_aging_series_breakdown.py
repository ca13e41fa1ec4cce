"""Aging with its activity heatmap, series over sub-periods, breakdowns by each dimension."""

from datetime import UTC, date, datetime

import pytest

from metrics import engine
from receivables import services
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    SalesRepFactory,
    SegmentFactory,
)
from tests.metrics.conftest import D, pay, scope

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 9, tzinfo=UTC)


def test_aging_buckets_with_activity():
    """As of 30 Jun 2026, days past due = 30 Jun − due date:
    a 100 due 30 Jun (0 days: current), 2 activities (one on 1 Jul, after: not counted -> 1)
    b 200 due 31 May (30: 1_30), 50 paid 10 Jun -> 150; no activity
    c 300 due 1 May (60: 31_60), its 300 paid 5 Jul (after as_of: still open); 2 activities
    d 400 due 1 Apr (90: 61_90), credit note 100 on 1 Jun -> 300; no activity
    e 500 due 31 Mar (91: over_90); 1 activity
    f 600 due 1 Mar, paid in full 1 Jun -> not open
    g 700 due 1 Mar, void -> not counted
    Total 100 + 150 + 300 + 300 + 500 = 1,350 = AR(30 Jun).
    """
    c = CustomerFactory()

    def invoice(amount, due):
        return InvoiceFactory(
            customer=c, issue_date=date(2026, 1, 1), due_date=due, amount=D(amount)
        )

    a = invoice(100, date(2026, 6, 30))
    ActivityFactory(customer=c, invoice=a, occurred_at=at(date(2026, 6, 1)))
    ActivityFactory(customer=c, invoice=a, occurred_at=at(date(2026, 7, 1)))
    b = invoice(200, date(2026, 5, 31))
    pay(b, 50, date(2026, 6, 10))
    c3 = invoice(300, date(2026, 5, 1))
    pay(c3, 300, date(2026, 7, 5))
    ActivityFactory(customer=c, invoice=c3, occurred_at=at(date(2026, 5, 10)), kind="call")
    ActivityFactory(customer=c, invoice=c3, occurred_at=at(date(2026, 6, 10)))
    d = invoice(400, date(2026, 4, 1))
    services.add_adjustment(d, kind="credit_note", amount=D(100), adjustment_date=date(2026, 6, 1))
    e = invoice(500, date(2026, 3, 31))
    ActivityFactory(customer=c, invoice=e, occurred_at=at(date(2026, 4, 2)))
    pay(invoice(600, date(2026, 3, 1)), 600, date(2026, 6, 1))
    services.void_invoice(invoice(700, date(2026, 3, 1)))
    ActivityFactory(customer=c, occurred_at=at(date(2026, 6, 1)))  # no invoice: not in a bucket

    result = engine.aging(scope(AS_OF, AS_OF), AS_OF)

    assert [
        (b.bucket, b.amount, b.invoice_count, b.activity_count, b.invoices_without_activity)
        for b in result.buckets
    ] == [
        ("current", D(100), 1, 1, 0),
        ("1_30", D(150), 1, 0, 1),
        ("31_60", D(300), 1, 2, 0),
        ("61_90", D(300), 1, 0, 1),
        ("over_90", D(500), 1, 1, 0),
    ]
    assert result.total == D(1350)
    assert result.total == engine.summary(scope(AS_OF, AS_OF)).kpis["ar_balance"].value


def test_aging_filters_and_currency():
    rep = SalesRepFactory()
    c = CustomerFactory(rep=rep)
    other = CustomerFactory()
    InvoiceFactory(customer=c, issue_date=date(2026, 6, 1), amount=D(10), product_line="hw")
    InvoiceFactory(customer=other, issue_date=date(2026, 6, 1), amount=D(20), product_line="sw")
    InvoiceFactory(customer=other, issue_date=date(2026, 6, 1), amount=D(40), currency="EUR")

    assert engine.aging(scope(AS_OF, AS_OF, rep=rep.pk)).total == D(10)
    assert engine.aging(scope(AS_OF, AS_OF, product_line="sw")).total == D(20)
    assert engine.aging(scope(AS_OF, AS_OF, customer=other.pk)).total == D(20)
    assert engine.aging(scope(AS_OF, AS_OF, currency="EUR")).total == D(40)
    # Before any invoice was issued.
    assert engine.aging(scope(AS_OF, AS_OF), date(2026, 5, 31)).total == D(0)


def test_series_by_month_and_quarter():
    """Q1 2026. Jan: 1,000 issued 10 Jan; Feb: 500 issued 5 Feb, 1,000 of Jan paid 20 Feb;
    Mar: nothing.
    AR: 31 Jan 1,000; 28 Feb 500; 31 Mar 500.
    DSO by month: Jan 1,000/1,000 × 31 = 31; Feb 500/500 × 28 = 28; Mar no sales -> null.
    By quarter, P from 5 Jan (clipped, 86 days): 500 / 1,500 × 86 = 28.67."""
    c = CustomerFactory()
    jan = InvoiceFactory(customer=c, issue_date=date(2026, 1, 10), amount=D(1000))
    InvoiceFactory(customer=c, issue_date=date(2026, 2, 5), amount=D(500))
    pay(jan, 1000, date(2026, 2, 20))
    q1 = scope(date(2026, 1, 1), date(2026, 3, 31))

    months = engine.series("dso", q1, "month")
    assert [(p.start, p.end, p.value) for p in months.points] == [
        (date(2026, 1, 1), date(2026, 1, 31), D(31)),
        (date(2026, 2, 1), date(2026, 2, 28), D(28)),
        (date(2026, 3, 1), date(2026, 3, 31), None),
    ]
    ar = engine.series("ar_balance", q1, "month")
    assert [p.value for p in ar.points] == [D(1000), D(500), D(500)]
    quarter = engine.series("dso", scope(date(2026, 1, 5), date(2026, 3, 31)), "quarter")
    assert [(p.start, p.end) for p in quarter.points] == [(date(2026, 1, 5), date(2026, 3, 31))]
    assert quarter.points[0].value == D(500) * 86 / D(1500)


def test_series_point_equals_summary_of_that_sub_period():
    c = CustomerFactory()
    for day, amount in ((3, 100), (17, 250), (40, 75), (70, 300)):
        inv = InvoiceFactory(
            customer=c,
            issue_date=date(2026, 1, 1).fromordinal(date(2026, 1, 1).toordinal() + day),
            amount=D(amount),
        )
        pay(inv, amount // 2, date(2026, 4, 1).fromordinal(inv.issue_date.toordinal() + 10))
    full = scope(date(2026, 1, 1), date(2026, 3, 31))
    for key in ("dso", "cei", "collected", "dso_countback", "first_pass_yield"):
        for point in engine.series(key, full, "week").points:
            expected = engine.summary(scope(point.start, point.end), [key]).kpis[key].value
            assert point.value == expected, (key, point)


def test_breakdown_by_rep_segment_and_product_line():
    """April (N = 30). Rep A: 1,000 issued 1 Apr, unpaid -> DSO 30.
    Rep B: 1,000 issued 1 Apr, 800 paid 10 Apr -> AR 200 -> DSO 6.
    No rep: 1,000 with 1,000 paid -> DSO 0. Worst (highest) first, "none" named "(none)"."""
    a, b = SalesRepFactory(name="A"), SalesRepFactory(name="B")
    s1, s2 = SegmentFactory(name="S1"), SegmentFactory(name="S2")
    ca = CustomerFactory(rep=a, segment=s1)
    cb = CustomerFactory(rep=b, segment=s2)
    cn = CustomerFactory(rep=None, segment=s2)
    InvoiceFactory(customer=ca, issue_date=date(2026, 4, 1), amount=D(1000), product_line="hw")
    pay(
        InvoiceFactory(customer=cb, issue_date=date(2026, 4, 1), amount=D(1000), product_line="sw"),
        800,
        date(2026, 4, 10),
    )
    pay(
        InvoiceFactory(customer=cn, issue_date=date(2026, 4, 1), amount=D(1000)),
        1000,
        date(2026, 4, 2),
    )
    april = scope(date(2026, 4, 1), date(2026, 4, 30))

    by_rep = engine.breakdown("dso", april, "rep")
    assert [(r.group_id, r.group_name, r.value) for r in by_rep.rows] == [
        (a.pk, "A", D(30)),
        (b.pk, "B", D(6)),
        (None, "(none)", D(0)),
    ]
    # S2 = B's 200 + none's 0 over 2,000 of sales: 200 / 2,000 × 30 = 3.
    by_segment = engine.breakdown("dso", april, "segment")
    assert [(r.group_name, r.value) for r in by_segment.rows] == [("S1", D(30)), ("S2", D(3))]
    by_line = engine.breakdown("collected", april, "product_line")
    # Collected is better higher: worst (lowest) first.
    assert [(r.group_id, r.value) for r in by_line.rows] == [
        ("hw", D(0)),
        ("sw", D(800)),
        ("", D(1000)),
    ]
    assert [r.group_name for r in by_line.rows] == ["hw", "sw", "(none)"]


def test_breakdown_of_source_kpis_by_rep():
    """Dispute rate per rep in April: A 1 of 2 invoices disputed (50 %), B 0 of 1 (0 %)."""
    a, b = SalesRepFactory(name="A"), SalesRepFactory(name="B")
    ca, cb = CustomerFactory(rep=a), CustomerFactory(rep=b)
    first = InvoiceFactory(customer=ca, issue_date=date(2026, 4, 2))
    InvoiceFactory(customer=ca, issue_date=date(2026, 4, 3))
    InvoiceFactory(customer=cb, issue_date=date(2026, 4, 3))
    services.open_dispute(first, reason="pricing", amount=D(1), opened_date=date(2026, 4, 4))

    rows = engine.breakdown("dispute_rate", scope(date(2026, 4, 1), date(2026, 4, 30)), "rep").rows
    assert [(r.group_name, r.value, r.status) for r in rows] == [
        ("A", D(50), "red"),
        ("B", D(0), "green"),
    ]


def test_aging_adds_back_what_moved_after_the_date():
    """As of 30 Jun 2026: an invoice of 500 due 1 Jun (29 days: 1_30), 100 paid 10 Jun, then
    a credit note of 50 on 5 Jul and 350 paid 10 Jul (now paid). Open on 30 Jun: 500 − 100 =
    400, although its open amount today is 0; an invoice of 80 due 1 Jul (current), 30 paid
    2 Jul: 80 on 30 Jun. Total 480."""
    c = CustomerFactory()
    first = InvoiceFactory(
        customer=c, issue_date=date(2026, 5, 1), due_date=date(2026, 6, 1), amount=D(500)
    )
    pay(first, 100, date(2026, 6, 10))
    services.add_adjustment(
        first, kind="credit_note", amount=D(50), adjustment_date=date(2026, 7, 5)
    )
    pay(first, 350, date(2026, 7, 10))
    second = InvoiceFactory(
        customer=c, issue_date=date(2026, 6, 1), due_date=date(2026, 7, 1), amount=D(80)
    )
    pay(second, 30, date(2026, 7, 2))

    result = engine.aging(scope(date(2026, 6, 1), date(2026, 6, 30)), date(2026, 6, 30))

    buckets = {b.bucket: (b.amount, b.invoice_count) for b in result.buckets}
    assert buckets["1_30"] == (D(400), 1)
    assert buckets["current"] == (D(80), 1)
    assert result.total == D(480)
