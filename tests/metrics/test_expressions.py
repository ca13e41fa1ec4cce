"""The SQL period buckets (binary-search CASE) agree with Python's bisect on every edge."""

import bisect
from datetime import date, timedelta

import pytest

from metrics.expressions import bucket, due_bucket
from o2c_api.expressions import DaysBetween
from receivables.models import Invoice
from tests.factories import CustomerFactory, InvoiceFactory
from tests.metrics.conftest import D

pytestmark = pytest.mark.django_db

BASE = date(2026, 1, 1)


@pytest.fixture
def invoices():
    customer = CustomerFactory()
    for day in range(0, 40, 1):
        InvoiceFactory(
            customer=customer,
            issue_date=BASE + timedelta(days=day),
            due_date=BASE + timedelta(days=day + (day * 7) % 23),
            amount=D(1),
        )


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_bucket_and_due_bucket_match_bisect(invoices, size):
    cuts = [BASE + timedelta(days=3 + 4 * i) for i in range(size)]
    rows = Invoice.objects.annotate(
        b=bucket("issue_date", cuts), db=due_bucket("due_date", cuts)
    ).values_list("issue_date", "due_date", "b", "db")

    for issue, due, b, db in rows:
        expected = bisect.bisect_left(cuts, issue)
        assert b == (expected if expected < len(cuts) else None), (issue, cuts)
        assert db == bisect.bisect_right(cuts, due) - 1, (due, cuts)


def test_bucket_of_null_is_null(invoices):
    rows = Invoice.objects.annotate(b=bucket("paid_date", [BASE])).values_list("b", flat=True)
    assert set(rows) == {None}


def test_days_between(invoices):
    days = Invoice.objects.annotate(d=DaysBetween("due_date", "issue_date")).values_list(
        "issue_date", "due_date", "d"
    )
    assert all(d == (due - issue).days for issue, due, d in days)
