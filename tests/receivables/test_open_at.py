"""Invoices open at a date, read in the two parts of `predicates.open_at_parts`: the first page
in order and the count equal those of `open_at` itself."""

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from receivables.models import Invoice
from tests.factories import CustomerFactory, InvoiceFactory, UserFactory
from tests.metrics.conftest import pay

pytestmark = pytest.mark.django_db

D = date(2026, 3, 31)
RANKING = ["due_date", "-open_amount", "id"]


@pytest.fixture
def book():
    """At D: `unpaid_late` and `unpaid_early` unsettled, `paid_after` settled after D (open
    then), `paid_before` settled by D, `issued_after` issued after D, `draft` not counting."""
    customer = CustomerFactory()

    def invoice(number, issued, due, amount="100.00", **kwargs):
        return InvoiceFactory(
            customer=customer,
            number=number,
            issue_date=issued,
            due_date=due,
            amount=Decimal(amount),
            **kwargs,
        )

    book = {
        "unpaid_late": invoice("A", date(2026, 1, 5), date(2026, 2, 20)),
        "paid_after": invoice("B", date(2026, 1, 2), date(2026, 2, 1)),
        "unpaid_early": invoice("C", date(2026, 3, 1), date(2026, 4, 30), amount="300.00"),
        "paid_before": invoice("E", date(2026, 1, 1), date(2026, 1, 31)),
        "issued_after": invoice("F", date(2026, 4, 2), date(2026, 5, 2)),
        "draft": invoice("G", date(2026, 1, 1), date(2026, 1, 15), status="draft"),
    }
    pay(book["paid_after"], "100.00", date(2026, 4, 10))
    pay(book["paid_before"], "100.00", date(2026, 3, 15))
    return {name: Invoice.objects.get(pk=invoice.pk) for name, invoice in book.items()}


def test_first_page_of_open_invoices_reads_both_parts_in_order(book):
    first = Invoice.objects.open_at_first(D, RANKING, limit=2)

    # Each part's first two (A and C unsettled, B settled after D), in order, then sliced.
    assert [i.number for i in first] == ["B", "A", "C"]
    assert list(first[:2]) == list(Invoice.objects.open_at(D).order_by(*RANKING)[:2])


def test_count_of_open_invoices_adds_the_two_parts(book):
    assert Invoice.objects.count_open_at(D) == 3  # A, B and C
    assert Invoice.objects.count_open_at(D) == Invoice.objects.open_at(D).count()
    assert Invoice.objects.filter(number__in=["B", "E"]).count_open_at(D) == 1


def test_a_queryset_filtered_by_open_at_counts_its_two_parts(book):
    open_then = Invoice.objects.open_at(D)

    with CaptureQueriesContext(connection) as queries:
        counted = open_then.filter(amount__lt=Decimal("300.00")).count()

    assert counted == 2  # A and B; C is 300.00
    assert len(queries) == 2  # unsettled, then settled after D
    assert '"paid_date" IS NULL' in queries.captured_queries[0]["sql"]
    assert Invoice.objects.past_due_at(D).count() == 2  # A and B, due before D
    assert open_then.exclude(number="A").count() == 2


def test_grouped_sliced_or_combined_querysets_are_counted_as_they_are(book):
    open_then = Invoice.objects.open_at(D)
    others = Invoice.objects.filter(number__in=["E", "F"])

    with CaptureQueriesContext(connection) as queries:
        assert (open_then | others).count() == 5  # A, B, C, E, F
        assert open_then.values("customer").annotate(n=Count("id")).count() == 1
        assert open_then.distinct().count() == 3
        assert open_then.order_by("id")[:2].count() == 2

    assert len(queries) == 4  # one query each: none was split


def test_the_open_and_past_due_filters_of_the_invoice_list(book, client):
    # The list's count comes from the two parts; it equals the rows of the OR.
    client.force_login(UserFactory(username="viewer-open", role="viewer"))
    with mock.patch("receivables.services.today", return_value=D):
        open_list = client.get("/api/v1/invoices/?open=true&limit=1").json()
        past_due = client.get("/api/v1/invoices/?past_due=true").json()
        not_open = client.get("/api/v1/invoices/?open=false").json()

    assert open_list["count"] == 3
    assert sorted(row["number"] for row in past_due["results"]) == ["A", "B"]
    assert past_due["count"] == 2
    assert sorted(row["number"] for row in not_open["results"]) == ["E", "F", "G"]
    assert not_open["count"] == 3
