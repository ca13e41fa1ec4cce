"""Every list costs the same number of SQL queries at 1 row and at 100 rows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from receivables import services
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    OrderFactory,
    SalesRepFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def invoice_with_collection_state(index: int):
    """An invoice of its own customer, rep and segment, with a dispute and a promise."""
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    services.add_adjustment(
        invoice, kind="credit_note", amount=Decimal("1.00"), adjustment_date=date(2026, 1, 2)
    )
    services.open_dispute(
        invoice, reason="pricing", amount=Decimal("5.00"), opened_date=date(2026, 1, 3)
    )
    services.create_promise(
        invoice,
        promised_date=date(2026, 2, 1),
        amount=Decimal("10.00"),
        created_date=date(2026, 1, 3),
    )
    ActivityFactory(
        customer=customer,
        invoice=invoice if index % 2 else None,
        occurred_at=timezone.now() - timedelta(days=index),
    )
    OrderFactory(customer=customer)
    OpportunityFactory(customer=customer)
    return invoice


def make_rows(n: int) -> None:
    for index in range(n):
        invoice_with_collection_state(index)
    SegmentFactory.create_batch(n)
    SalesRepFactory.create_batch(n)


def count_queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"limit": 500})
    assert response.status_code == 200
    return len(queries), response.json()["count"]


LISTS = [
    "segments",
    "reps",
    "customers",
    "opportunities",
    "orders",
    "invoices",
    "adjustments",
    "disputes",
    "promises",
    "activities",
]


@pytest.mark.parametrize("resource", LISTS)
def test_list_costs_the_same_queries_at_1_and_100_rows(make_client, resource):
    # Given one row of every resource
    client = make_client("viewer")
    make_rows(1)
    one_queries, one_count = count_queries(client, f"/api/v1/{resource}/")

    # When there are 100 more
    make_rows(99)
    many_queries, many_count = count_queries(client, f"/api/v1/{resource}/")

    # Then the list has more rows and costs the same queries: token and user, the user's own
    # and its groups' permissions (one query), the count, the page
    assert many_count > one_count >= 1
    assert (one_queries, many_queries) == (4, 4)
