"""Invoices open at a date, read in the two parts of `predicates.open_at_parts`: the first page
in order and the count equal those of `open_at` itself."""

from datetime import date
from decimal import Decimal

import pytest

from receivables.models import Invoice
from tests.factories import CustomerFactory, InvoiceFactory
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
