"""Dunning fixtures: a customer with an invoice due 2026-03-31 (issued 03-01, 30 days)."""

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import CustomerFactory, InvoiceFactory, SalesRepFactory, SegmentFactory
from tests.graphql.conftest import gql  # noqa: F401  (the GraphQL tests' helper)


@pytest.fixture
def acme(db):
    return CustomerFactory(
        name="Acme Corp",
        rep=SalesRepFactory(name="Ann Rep"),
        segment=SegmentFactory(name="Enterprise", code="ENT"),
        currency="USD",
    )


@pytest.fixture
def invoice(acme):
    return InvoiceFactory(
        customer=acme, number="INV-1", issue_date=date(2026, 3, 1), amount=Decimal("1250.00")
    )
