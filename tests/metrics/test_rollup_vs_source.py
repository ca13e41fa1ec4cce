"""The rollup path of AR, Current AR, credit sales and collected equals the direct path from
the source rows, and both equal the plain reference aggregates, for several scopes."""

from datetime import date, timedelta

import pytest
from django.db.models import F

from accounts import services as account_services
from metrics import blocks, rollup, sums
from metrics.models import KPIRollup
from metrics.scope import Period
from receivables import services
from tests.factories import CustomerFactory, InvoiceFactory, SalesRepFactory, SegmentFactory
from tests.metrics.conftest import D, pay, scope
from tests.metrics.reference import reference_ar, reference_collected, reference_credit_sales

pytestmark = pytest.mark.django_db

DATES = [date(2026, 1, 31), date(2026, 2, 15), date(2026, 2, 28), date(2026, 3, 31)]


@pytest.fixture
def ledger_data():
    reps = [SalesRepFactory(), SalesRepFactory()]
    segments = [SegmentFactory(), SegmentFactory()]
    customers = [CustomerFactory(rep=reps[i % 2], segment=segments[(i // 2) % 2]) for i in range(4)]
    for n in range(24):
        customer = customers[n % 4]
        issue = date(2026, 1, 1) + timedelta(days=3 * n)
        invoice = InvoiceFactory(
            customer=customer,
            issue_date=issue,
            due_date=issue + timedelta(days=10 + n % 3 * 10),
            amount=D(100 + 10 * n),
            product_line=("hw", "sw", "")[n % 3],
        )
        if n % 4 == 0:
            pay(invoice, 50, issue + timedelta(days=5))
        if n % 5 == 0:
            services.add_adjustment(
                invoice, kind="credit_note", amount=D(20), adjustment_date=issue + timedelta(days=2)
            )
        if n % 7 == 0:
            pay(invoice, 30, issue + timedelta(days=40))
    services.void_invoice(InvoiceFactory(customer=customers[0], issue_date=date(2026, 2, 1)))
    return {"reps": reps, "segments": segments, "customers": customers}


def scopes(data):
    yield scope(date(2026, 1, 1), date(2026, 3, 31))
    yield scope(date(2026, 1, 1), date(2026, 3, 31), rep=data["reps"][0].pk)
    yield scope(date(2026, 1, 1), date(2026, 3, 31), segment=data["segments"][1].pk)
    yield scope(date(2026, 1, 1), date(2026, 3, 31), product_line="sw")
    yield scope(date(2026, 1, 1), date(2026, 3, 31), product_line="")
    yield scope(
        date(2026, 1, 1), date(2026, 3, 31), rep=data["reps"][1].pk, segment=data["segments"][0].pk
    )


def assert_paths_agree(s):
    rollup = blocks.movements(s, DATES, DATES, path="kpi_rollup")
    source = blocks.movements(s, DATES, DATES, path="source")
    for d in DATES:
        expected = reference_ar(s, d)
        assert rollup.ar(None, d) == source.ar(None, d) == expected, d
        reference_current = reference_ar(s, d, current_only=True)
        assert rollup.current_ar(None, d) == source.current_ar(None, d) == reference_current
    for a, b in zip(DATES, DATES[1:], strict=False):
        period = Period(a + timedelta(days=1), b)
        assert (
            rollup.credit_sales(None, period)
            == source.credit_sales(None, period)
            == reference_credit_sales(s, period)
        )
        assert (
            rollup.collected(None, period)
            == source.collected(None, period)
            == reference_collected(s, period)
        )


def test_rollup_equals_source_for_several_scopes(ledger_data, check_rollup):
    check_rollup()
    for s in scopes(ledger_data):
        assert_paths_agree(s)
    # The data is not trivial: AR moves between the dates.
    s = scope(date(2026, 1, 1), date(2026, 3, 31))
    assert reference_ar(s, DATES[0]) != reference_ar(s, DATES[-1])


def test_rollup_equals_source_after_a_segment_change(ledger_data, check_rollup):
    customer = ledger_data["customers"][0]
    account_services.update_customer(customer, segment=ledger_data["segments"][1])
    check_rollup()
    for segment in ledger_data["segments"]:
        assert_paths_agree(scope(date(2026, 1, 1), date(2026, 3, 31), segment=segment.pk))


def test_grouped_rollup_equals_grouped_source(ledger_data):
    s = scope(date(2026, 1, 1), date(2026, 3, 31))
    for group_by in ("rep", "segment", "product_line"):
        rollup = blocks.movements(s, DATES, DATES, group_by, path="kpi_rollup")
        source = blocks.movements(s, DATES, DATES, group_by, path="source")
        assert rollup.groups() == source.groups()
        for g in rollup.groups():
            for d in DATES:
                assert rollup.ar(g, d) == source.ar(g, d)
                assert rollup.current_ar(g, d) == source.current_ar(g, d)


def test_customer_scope_reads_the_source(ledger_data):
    customer = ledger_data["customers"][2]
    s = scope(date(2026, 1, 1), date(2026, 3, 31), customer=customer.pk)
    assert sums.kpi_projection(s, None) is None
    m = blocks.movements(s, DATES, DATES)
    for d in DATES:
        assert m.ar(None, d) == reference_ar(s, d)


def test_differences_counts_rows_where_rollup_and_recomputation_disagree(ledger_data):
    # Given a rollup kept by the services, the check finds nothing.
    assert rollup.differences() == []
    # When one stored row is off by a cent and another row is missing,
    rows = KPIRollup.objects.exclude(ar_applied=0).order_by("id")
    changed, missing = rows.first(), rows.last()
    KPIRollup.objects.filter(pk=changed.pk).update(ar_applied=F("ar_applied") + D("0.01"))
    KPIRollup.objects.filter(pk=missing.pk).delete()
    # then both keys are reported, and a rebuild repairs them.
    key = ("day", "rep_key", "segment_key", "product_line", "currency")
    assert rollup.differences() == sorted(
        [tuple(getattr(changed, c) for c in key), tuple(getattr(missing, c) for c in key)],
        key=str,
    )
    rollup.rebuild()
    assert rollup.differences() == []
