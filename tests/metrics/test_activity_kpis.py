"""Hand-worked examples of the KPIs outside the AR family: first-pass yield, dispute rate and
resolution time, cash application match rate, promise kept rate, time to invoice, pipeline
velocity and reminder conversion — with their dimension rules and zero denominators."""

from datetime import UTC, date, datetime

import pytest

from accounts import services as accounts_services
from metrics import engine
from metrics.thresholds import rendered
from receivables import services
from receivables.models import PromiseToPay
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    OrderFactory,
    PaymentFactory,
    SalesRepFactory,
)
from tests.metrics.conftest import D, pay, scope

pytestmark = pytest.mark.django_db

APRIL = (date(2026, 4, 1), date(2026, 4, 30))


def value(key, s):
    return engine.summary(s, [key]).kpis[key].value


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def dispute(invoice, opened, resolved=None):
    d = services.open_dispute(invoice, reason="pricing", amount=D(10), opened_date=opened)
    if resolved:
        services.resolve_dispute(d, resolution="upheld", resolved_date=resolved)
    return d


def test_first_pass_yield_and_dispute_rate():
    """Invoices issued in April:
    J1 clean; J2 disputed on 3 May (after P: still counts); J3 credit note 10;
    J4 void (not counted); J5 written off 10 (a write-off is no correction: clean).
    Issued = J1, J2, J3, J5 = 4. Disputed = 1 -> 25 %. First pass = J1, J5 = 2 -> 50 %.
    J0 issued 31 Mar with a dispute is outside P.
    """
    c = CustomerFactory()
    issue = {"customer": c, "issue_date": date(2026, 4, 2)}
    InvoiceFactory(**issue)
    dispute(InvoiceFactory(**issue), date(2026, 5, 3))
    j3 = InvoiceFactory(**issue)
    services.add_adjustment(j3, kind="credit_note", amount=D(10), adjustment_date=date(2026, 4, 9))
    services.void_invoice(InvoiceFactory(**issue))
    j5 = InvoiceFactory(**issue)
    services.add_adjustment(j5, kind="write_off", amount=D(10), adjustment_date=date(2026, 4, 9))
    dispute(InvoiceFactory(customer=c, issue_date=date(2026, 3, 31)), date(2026, 4, 1))

    assert value("dispute_rate", scope(*APRIL)) == D(25)
    assert value("first_pass_yield", scope(*APRIL)) == D(50)
    # Zero denominator: no invoice issued in May.
    assert value("first_pass_yield", scope(date(2026, 5, 1), date(2026, 5, 31))) is None


def test_dispute_resolution_days():
    """Resolved in April: 25 Mar -> 5 Apr (11 days) and 10 Apr -> 14 Apr (4 days): mean 7.5.
    Not counted: resolved 2 May, still open."""
    c = CustomerFactory()
    inv = InvoiceFactory(customer=c, issue_date=date(2026, 3, 1))
    dispute(inv, date(2026, 3, 25), date(2026, 4, 5))
    dispute(inv, date(2026, 4, 10), date(2026, 4, 14))
    dispute(inv, date(2026, 4, 20), date(2026, 5, 2))
    dispute(inv, date(2026, 4, 21))

    assert value("dispute_resolution_days", scope(*APRIL)) == D("7.5")
    assert value("dispute_resolution_days", scope(date(2026, 6, 1), date(2026, 6, 30))) is None


def test_cash_application_match_rate():
    """Payments received in April (USD):
    p1 fully applied automatically              -> matched
    p2 fully applied, one automatic, one manual -> not
    p3 half applied automatically               -> not
    p4 unapplied                                -> not
    Not in the denominator: p5 received 31 Mar; p6 in EUR. Rate = 1 / 4 = 25 %."""
    c = CustomerFactory()
    inv = InvoiceFactory(customer=c, issue_date=date(2026, 3, 1), amount=D(1000))
    on = date(2026, 4, 10)
    p1 = PaymentFactory(customer=c, amount=D(100), received_date=on)
    services.apply_payment(p1, inv, D(100), automatic=True)
    p2 = PaymentFactory(customer=c, amount=D(100), received_date=on)
    services.apply_payment(p2, inv, D(60), automatic=True)
    services.apply_payment(p2, inv, D(40))
    p3 = PaymentFactory(customer=c, amount=D(100), received_date=on)
    services.apply_payment(p3, inv, D(50), automatic=True)
    PaymentFactory(customer=c, amount=D(100), received_date=on)
    p5 = PaymentFactory(customer=c, amount=D(100), received_date=date(2026, 3, 31))
    services.apply_payment(p5, inv, D(100), automatic=True)
    PaymentFactory(customer=c, amount=D(100), received_date=on, currency="EUR")

    assert value("cash_application_match_rate", scope(*APRIL)) == D(25)


def test_payments_take_the_customers_current_rep():
    """A payment counts for the customer's rep now, whoever the rep was when it arrived."""
    old, new = SalesRepFactory(), SalesRepFactory()
    c = CustomerFactory(rep=old)
    PaymentFactory(customer=c, received_date=date(2026, 4, 3))
    accounts_services.update_customer(c, rep=new)

    assert value("cash_application_match_rate", scope(*APRIL, rep=new.pk)) == D(0)
    assert value("cash_application_match_rate", scope(*APRIL, rep=old.pk)) is None


def test_promise_kept_rate_is_derived_from_applications():
    """Promises with promised_date in April:
    pr1 created 1 Apr, promised 10 Apr, 500: 300 applied 5 Apr + 200 applied 10 Apr -> kept
    pr2 created 1 Apr, promised 15 Apr, 400: 400 applied 16 Apr (too late)          -> not
    pr3 promised 5 May: outside P. Rate = 1 / 2 = 50 %, even when the stored status says
    otherwise."""
    c = CustomerFactory()
    k1 = InvoiceFactory(customer=c, issue_date=date(2026, 3, 1), amount=D(1000))
    k2 = InvoiceFactory(customer=c, issue_date=date(2026, 3, 1), amount=D(1000))
    created = date(2026, 4, 1)
    services.create_promise(
        k1, promised_date=date(2026, 4, 10), amount=D(500), created_date=created
    )
    services.create_promise(
        k2, promised_date=date(2026, 4, 15), amount=D(400), created_date=created
    )
    services.create_promise(k2, promised_date=date(2026, 5, 5), amount=D(400), created_date=created)
    pay(k1, 300, date(2026, 4, 5))
    pay(k1, 200, date(2026, 4, 10))
    pay(k2, 400, date(2026, 4, 16))

    assert value("promise_kept_rate", scope(*APRIL)) == D(50)
    PromiseToPay.objects.update(status="broken")
    assert value("promise_kept_rate", scope(*APRIL)) == D(50)


def test_time_to_invoice_mean_median_p90():
    """Invoices issued in April with an order, days from order: 1, 2, 5, 10.
    Mean 18 / 4 = 4.5. percentile_cont: positions 0..3;
    median at 1.5 -> 2 + 0.5 × (5 − 2) = 3.5; p90 at 2.7 -> 5 + 0.7 × (10 − 5) = 8.5.
    Not counted: an invoice without order, a void invoice with an order (30 days)."""
    c = CustomerFactory()
    invoiced = []
    for days in (5, 1, 10, 2):
        order = OrderFactory(customer=c, order_date=date(2026, 4, 1))
        invoiced.append(
            InvoiceFactory(
                customer=c, order=order, issue_date=date(2026, 4, 1 + days), amount=D(100)
            )
        )
    InvoiceFactory(customer=c, issue_date=date(2026, 4, 20))
    late = InvoiceFactory(
        customer=c,
        order=OrderFactory(customer=c, order_date=date(2026, 3, 1)),
        issue_date=date(2026, 3, 31),
    )
    services.void_invoice(late)

    assert value("time_to_invoice_days", scope(*APRIL)) == D("4.5")
    result = engine.time_to_invoice(scope(*APRIL))
    assert (result.count, result.mean, result.median, result.p90) == (
        4,
        D("4.5"),
        D("3.5"),
        D("8.5"),
    )
    assert [s.days for s in result.slowest] == [10, 5, 2, 1]
    assert result.slowest[0].invoice_id == invoiced[2].pk


def test_time_to_invoice_single_value_and_product_line():
    c = CustomerFactory()
    order = OrderFactory(customer=c, order_date=date(2026, 4, 1), product_line="sw")
    InvoiceFactory(customer=c, order=order, issue_date=date(2026, 4, 4))
    # One value: mean = median = p90 = 3.
    result = engine.time_to_invoice(scope(*APRIL, product_line="sw"))
    assert (result.count, result.mean, result.median, result.p90) == (1, D(3), D(3), D(3))
    assert engine.time_to_invoice(scope(*APRIL, product_line="hw")).count == 0


def test_pipeline_velocity():
    """P = April. o1 created 1 Mar won 10 Apr 10,000 (40 days); o2 created 20 Mar won 20 Apr
    20,000 (31 days); o3 created 1 Feb lost 5 Apr; o4 created 15 Apr open;
    o5 created 1 Jan lost 15 Mar (closed before P); o6 created 2 May (after P).
    N_open = o1, o2, o3, o4 = 4; win rate = 2 / 3; average won = 15,000;
    average cycle = 71 / 2 = 35.5 days. Velocity = 4 × 2/3 × 15,000 / 35.5 = 1,126.76 /day."""
    c = CustomerFactory()
    OpportunityFactory(
        customer=c,
        created_date=date(2026, 3, 1),
        stage="won",
        closed_date=date(2026, 4, 10),
        amount=D(10000),
    )
    OpportunityFactory(
        customer=c,
        created_date=date(2026, 3, 20),
        stage="won",
        closed_date=date(2026, 4, 20),
        amount=D(20000),
    )
    OpportunityFactory(
        customer=c, created_date=date(2026, 2, 1), stage="lost", closed_date=date(2026, 4, 5)
    )
    OpportunityFactory(customer=c, created_date=date(2026, 4, 15))
    OpportunityFactory(
        customer=c, created_date=date(2026, 1, 1), stage="lost", closed_date=date(2026, 3, 15)
    )
    OpportunityFactory(customer=c, created_date=date(2026, 5, 2))

    result = value("pipeline_velocity", scope(*APRIL))
    assert rendered(result) == D("1126.76")
    assert abs(result - D(40000) / D("35.5")) < D("1e-20")
    # March: closed in March: only o5 (lost) -> no won -> null.
    assert value("pipeline_velocity", scope(date(2026, 3, 1), date(2026, 3, 31))) is None


def make_reminders() -> None:
    """Reminders sent in April:
    r1 on K1 sent 2 Apr; 100 applied 9 Apr (7 days)        -> paid
    r2 on K2 sent 2 Apr; 100 applied 10 Apr (8 days)       -> not
    r3 on K3 sent 5 Apr, clicked; 100 applied 4 Apr (before) -> not
    r4 without invoice, sent 6 Apr                          -> not
    Not counted: an email on K1, a reminder of 30 Mar.
    Sent 4, clicked 1, paid 1: 25 %."""
    c = CustomerFactory()
    k1, k2, k3 = (InvoiceFactory(customer=c, issue_date=date(2026, 3, 1)) for _ in range(3))
    ActivityFactory(customer=c, invoice=k1, occurred_at=at(date(2026, 4, 2)))
    ActivityFactory(customer=c, invoice=k2, occurred_at=at(date(2026, 4, 2), 23))
    ActivityFactory(
        customer=c,
        invoice=k3,
        occurred_at=at(date(2026, 4, 5)),
        clicked_at=at(date(2026, 4, 5), 12),
    )
    ActivityFactory(customer=c, occurred_at=at(date(2026, 4, 6)))
    ActivityFactory(customer=c, invoice=k1, kind="email", occurred_at=at(date(2026, 4, 2)))
    ActivityFactory(customer=c, invoice=k1, occurred_at=at(date(2026, 3, 30)))
    pay(k1, 100, date(2026, 4, 9))
    pay(k2, 100, date(2026, 4, 10))
    pay(k3, 100, date(2026, 4, 4))


def test_reminder_conversion_rate_and_funnel():
    make_reminders()

    assert value("reminder_conversion_rate", scope(*APRIL)) == D(25)
    funnel = engine.reminder_funnel(scope(*APRIL))
    assert (funnel.sent, funnel.clicked, funnel.paid, funnel.conversion_rate) == (4, 1, 1, D(25))


def test_activities_take_the_invoice_rep_else_the_customers_current_rep():
    """The invoice was billed under rep A; the customer now belongs to rep B.
    A reminder on the invoice counts for A, a reminder without invoice for B."""
    a, b = SalesRepFactory(), SalesRepFactory()
    c = CustomerFactory(rep=a)
    inv = InvoiceFactory(customer=c, issue_date=date(2026, 3, 1))
    accounts_services.update_customer(c, rep=b)
    ActivityFactory(customer=c, invoice=inv, occurred_at=at(date(2026, 4, 2)))
    ActivityFactory(customer=c, occurred_at=at(date(2026, 4, 3)))
    ActivityFactory(customer=c, occurred_at=at(date(2026, 4, 4)))
    pay(inv, 10, date(2026, 4, 3))

    assert engine.reminder_funnel(scope(*APRIL, rep=a.pk)).sent == 1
    assert value("reminder_conversion_rate", scope(*APRIL, rep=a.pk)) == D(100)
    assert engine.reminder_funnel(scope(*APRIL, rep=b.pk)).sent == 2
    assert value("reminder_conversion_rate", scope(*APRIL, rep=b.pk)) == D(0)


def test_disputes_and_promises_take_the_invoice_rep_and_customer_segment():
    a, b = SalesRepFactory(), SalesRepFactory()
    c = CustomerFactory(rep=a)
    inv = InvoiceFactory(customer=c, issue_date=date(2026, 3, 1), rep=b)
    dispute(inv, date(2026, 4, 1), date(2026, 4, 3))

    assert value("dispute_resolution_days", scope(*APRIL, rep=b.pk)) == D(2)
    assert value("dispute_resolution_days", scope(*APRIL, rep=a.pk)) is None
    assert value("dispute_resolution_days", scope(*APRIL, segment=c.segment_id)) == D(2)
    assert value("dispute_resolution_days", scope(*APRIL, customer=c.pk)) == D(2)


def test_invoice_kpis_under_each_filter():
    """April. Customer X (rep A, segment S): hw invoice disputed, sw invoice clean.
    Customer Y (rep B): hw invoice clean, and an EUR invoice disputed.
    USD, all: 3 issued, 1 disputed -> 33.33 %; rep A / segment S / customer X: 1 of 2 -> 50 %;
    rep B: 0 of 1 -> 0 %; product line hw: 1 of 2 -> 50 %; sw: 0 of 1; EUR: 1 of 1 -> 100 %."""
    a, b = SalesRepFactory(), SalesRepFactory()
    x = CustomerFactory(rep=a)
    y = CustomerFactory(rep=b)
    on = date(2026, 4, 6)
    dispute(InvoiceFactory(customer=x, issue_date=on, product_line="hw"), on)
    InvoiceFactory(customer=x, issue_date=on, product_line="sw")
    InvoiceFactory(customer=y, issue_date=on, product_line="hw")
    dispute(InvoiceFactory(customer=y, issue_date=on, currency="EUR"), on)

    assert rendered(value("dispute_rate", scope(*APRIL))) == D("33.33")
    assert value("dispute_rate", scope(*APRIL, rep=a.pk)) == D(50)
    assert value("dispute_rate", scope(*APRIL, segment=x.segment_id)) == D(50)
    assert value("dispute_rate", scope(*APRIL, customer=x.pk)) == D(50)
    assert value("dispute_rate", scope(*APRIL, rep=b.pk)) == D(0)
    assert value("dispute_rate", scope(*APRIL, product_line="hw")) == D(50)
    assert value("dispute_rate", scope(*APRIL, product_line="sw")) == D(0)
    assert value("dispute_rate", scope(*APRIL, currency="EUR")) == D(100)
    assert value("first_pass_yield", scope(*APRIL, currency="EUR")) == D(0)
