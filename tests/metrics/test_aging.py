"""Aging at a date in the past: invoices paid, credited and chased since, activity counts per
bucket, and the engine against a recomputation from the source rows."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Customer
from metrics import engine
from metrics.aging import AGING_BUCKETS
from receivables import demo, services
from receivables.models import Adjustment, CollectionActivity, Invoice, PaymentApplication
from tests.factories import ActivityFactory, CustomerFactory, InvoiceFactory, SegmentFactory
from tests.metrics.conftest import D, pay, scope

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 5, 31)


@pytest.fixture(autouse=True, params=["stored count", "lookups"])
def counting(request, monkeypatch):
    """Every test twice: activities by as_of counted as the stored count less those since
    (as_of within `STORED_ACTIVITY_COUNT_DAYS`), and by a lookup per open invoice (before)."""
    days = 100_000 if request.param == "stored count" else -100_000
    monkeypatch.setattr("metrics.aging.STORED_ACTIVITY_COUNT_DAYS", days)


def at(d: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)


def rows(result) -> list[tuple]:
    return [
        (b.bucket, b.amount, b.invoice_count, b.activity_count, b.invoices_without_activity)
        for b in result.buckets
    ]


def test_aging_in_the_past_with_invoices_paid_credited_and_chased_since():
    """As of 31 May 2026 (days past due = 31 May − due date), customer c in segment S, USD,
    every invoice issued 5 Jan unless said:

    a 1,000 due 15 Jun (current): 600 paid 20 Jun, reminder 12 Jun (after) -> 1,000, 0 act.
    b   800 due 31 May (0 days: current): paid in full 10 Jun (paid since); reminder 28 May,
        call 5 Jun (after) -> 800, 1 activity
    c   500 due 20 May (11: 1_30): 200 paid 10 May; credit note 100 on 2 Jun and 200 paid
        3 Jun (paid since) -> 300; reminder 17 May, call 25 May -> 2 activities
    d   700 due 25 May (6: 1_30), unpaid: a call at 23:30 on 31 May (counted) and one at
        00:00 on 1 Jun (not) -> 700, 1 activity
    e   400 due 10 Apr (51: 31_60), unpaid, 2 activities -> 400, 2
    f   600 due 15 Apr (46: 31_60), written off 100 on 1 Apr -> 500, 2 activities
    g   900 due 1 Mar (91: over_90): 300 paid 1 Apr, 600 paid 15 Jun (paid since) -> 600, 0
    h   250 due 31 Mar (61: 61_90), unpaid, 3 activities -> 250, 3
    Not open on 31 May, their activities not counted: i paid in full 20 May (activity 15 May);
    j issued 1 Jun (an activity dated 25 May); k void; l in EUR; and a customer-level
    activity with no invoice.

    Segment S: current 1,800 (2 invoices, 1 activity, 1 without); 1_30 1,000 (2, 3, 0);
    31_60 900 (2, 4, 0); 61_90 250 (1, 3, 0); over_90 600 (1, 0, 1). Total 4,550 = AR(31 May).
    Everything adds customer o (another segment): 123 due 1 May (30: 1_30), 1 activity.
    """
    segment = SegmentFactory()
    c = CustomerFactory(segment=segment)

    def invoice(amount, due, issued=date(2026, 1, 5), customer=c, **kwargs):
        return InvoiceFactory(
            customer=customer, issue_date=issued, due_date=due, amount=D(amount), **kwargs
        )

    def activity(inv, when, kind="reminder", customer=c):
        ActivityFactory(customer=customer, invoice=inv, occurred_at=when, kind=kind)

    a = invoice(1000, date(2026, 6, 15))
    pay(a, 600, date(2026, 6, 20))
    activity(a, at(date(2026, 6, 12)))
    b = invoice(800, date(2026, 5, 31))
    pay(b, 800, date(2026, 6, 10))
    activity(b, at(date(2026, 5, 28)))
    activity(b, at(date(2026, 6, 5)), "call")
    c_ = invoice(500, date(2026, 5, 20))
    pay(c_, 200, date(2026, 5, 10))
    services.add_adjustment(c_, kind="credit_note", amount=D(100), adjustment_date=date(2026, 6, 2))
    pay(c_, 200, date(2026, 6, 3))
    activity(c_, at(date(2026, 5, 17)))
    activity(c_, at(date(2026, 5, 25)), "call")
    d = invoice(700, date(2026, 5, 25))
    activity(d, at(AS_OF, 23, 30), "call")
    activity(d, at(date(2026, 6, 1), 0, 0), "call")
    e = invoice(400, date(2026, 4, 10))
    activity(e, at(date(2026, 4, 5)))
    activity(e, at(date(2026, 4, 20)), "call")
    f = invoice(600, date(2026, 4, 15))
    services.add_adjustment(f, kind="write_off", amount=D(100), adjustment_date=date(2026, 4, 1))
    activity(f, at(date(2026, 4, 12)))
    activity(f, at(date(2026, 4, 25)), "email")
    g = invoice(900, date(2026, 3, 1))
    pay(g, 300, date(2026, 4, 1))
    pay(g, 600, date(2026, 6, 15))
    h = invoice(250, date(2026, 3, 31))
    for day in (date(2026, 3, 5), date(2026, 4, 1), date(2026, 5, 1)):
        activity(h, at(day), "call")
    i = invoice(300, date(2026, 3, 1))
    pay(i, 300, date(2026, 5, 20))
    activity(i, at(date(2026, 5, 15)))
    j = invoice(450, date(2026, 7, 1), issued=date(2026, 6, 1))
    activity(j, at(date(2026, 5, 25)), "note")
    k = invoice(350, date(2026, 5, 1))
    activity(k, at(date(2026, 5, 10)))
    services.void_invoice(k)
    activity(invoice(999, date(2026, 5, 1), currency="EUR"), at(date(2026, 5, 10)))
    activity(None, at(date(2026, 5, 10)), "note")
    o = CustomerFactory(segment=SegmentFactory())
    activity(invoice(123, date(2026, 5, 1), customer=o), at(date(2026, 5, 2)), customer=o)
    in_segment = scope(date(2026, 5, 1), AS_OF, segment=segment.pk)
    everything = scope(date(2026, 5, 1), AS_OF)

    by_segment = engine.aging(in_segment, AS_OF)
    overall = engine.aging(everything, AS_OF)

    assert rows(by_segment) == [
        ("current", D(1800), 2, 1, 1),
        ("1_30", D(1000), 2, 3, 0),
        ("31_60", D(900), 2, 4, 0),
        ("61_90", D(250), 1, 3, 0),
        ("over_90", D(600), 1, 0, 1),
    ]
    assert by_segment.total == D(4550)
    assert by_segment.total == engine.summary(in_segment).kpis["ar_balance"].value
    assert rows(overall) == [
        ("current", D(1800), 2, 1, 1),
        ("1_30", D(1123), 3, 4, 0),
        ("31_60", D(900), 2, 4, 0),
        ("61_90", D(250), 1, 3, 0),
        ("over_90", D(600), 1, 0, 1),
    ]
    assert overall.total == D(4673)
    assert overall.total == engine.summary(everything).kpis["ar_balance"].value


def recomputed_aging(as_of: date, **dims) -> list[tuple]:
    """Aging by the spec, straight from the rows: open amount = amount − applications and
    adjustments dated by as_of, open when above zero; activities on or before as_of."""
    invoices = Invoice.objects.filter(
        status__in=("open", "paid"), issue_date__lte=as_of, currency="USD"
    )
    if "segment" in dims:
        invoices = invoices.filter(customer__segment_id=dims["segment"])
    if "rep" in dims:
        invoices = invoices.filter(rep_id=dims["rep"])

    def by_invoice(qs, **filters):
        return dict(
            qs.filter(**filters).values_list("invoice_id").annotate(t=Sum("amount")).order_by()
        )

    applied = by_invoice(PaymentApplication.objects, applied_date__lte=as_of)
    adjusted = by_invoice(Adjustment.objects, adjustment_date__lte=as_of)
    activities = defaultdict(int)
    for invoice_id, occurred_at in CollectionActivity.objects.filter(
        invoice__isnull=False
    ).values_list("invoice_id", "occurred_at"):
        if timezone.localdate(occurred_at) <= as_of:
            activities[invoice_id] += 1
    table = {name: [D(0), 0, 0, 0] for name in AGING_BUCKETS}
    for inv in invoices:
        open_amount = inv.amount - applied.get(inv.pk, 0) - adjusted.get(inv.pk, 0)
        if open_amount <= 0:
            continue
        days = (as_of - inv.due_date).days
        name = (
            "current"
            if days <= 0
            else "1_30"
            if days <= 30
            else "31_60"
            if days <= 60
            else "61_90"
            if days <= 90
            else "over_90"
        )
        row = table[name]
        row[0] += open_amount
        row[1] += 1
        row[2] += activities[inv.pk]
        row[3] += activities[inv.pk] == 0
    return [(name, *row) for name, row in table.items()]


def test_aging_equals_its_recomputation_from_the_source_rows():
    """The demo history (payments, credit notes, write-offs, reminders and calls) at today,
    the end of last month and dates further back, for everything, a segment and a rep."""
    today = date(2026, 3, 18)
    demo.seed(customers=6, seed=3, months=8, invoices_per_customer=15, today=today)
    customer = Customer.objects.filter(segment__isnull=False, rep__isnull=False).first()
    dims = ({}, {"segment": customer.segment_id}, {"rep": customer.rep_id})
    dates = (today, date(2026, 2, 28), date(2026, 1, 31), date(2025, 11, 15), date(2025, 9, 1))
    assert Invoice.objects.filter(paid_date__gt=date(2026, 2, 28)).exists()

    for as_of in dates:
        for dim in dims:
            result = engine.aging(scope(as_of - timedelta(days=27), as_of, **dim), as_of)

            assert rows(result) == recomputed_aging(as_of, **dim), (as_of, dim)
