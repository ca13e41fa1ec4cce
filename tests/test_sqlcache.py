"""Queries compiled once per shape run with each call's own values."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from o2c_api import sqlcache
from receivables.models import Invoice
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def per_customer(customer: int, issued_after: date, currency: str):
    return (
        Invoice.objects.filter(customer_id=customer, issue_date__gt=issued_after, currency=currency)
        .values("customer_id")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )


def test_one_shape_runs_with_each_calls_values():
    # Given two customers with invoices on different dates
    a, b = CustomerFactory(), CustomerFactory()
    InvoiceFactory(customer=a, issue_date=date(2026, 1, 5), amount=Decimal("10.00"))
    InvoiceFactory(customer=a, issue_date=date(2026, 2, 5), amount=Decimal("20.00"))
    InvoiceFactory(customer=b, issue_date=date(2026, 2, 5), amount=Decimal("7.00"))
    shape = ("test", "per customer")

    # When the same shape runs with different values
    first = sqlcache.rows(
        shape, per_customer, customer=a.pk, issued_after=date(2026, 1, 1), currency="USD"
    )
    second = sqlcache.rows(
        shape, per_customer, customer=a.pk, issued_after=date(2026, 2, 1), currency="USD"
    )
    third = sqlcache.rows(
        shape, per_customer, customer=b.pk, issued_after=date(2026, 1, 1), currency="USD"
    )
    none = sqlcache.rows(
        shape, per_customer, customer=b.pk, issued_after=date(2026, 1, 1), currency="EUR"
    )

    # Then each answers for its own values, as the ORM does
    assert [(r["customer_id"], r["n"], Decimal(str(r["total"]))) for r in first] == [
        (a.pk, 2, Decimal("30"))
    ]
    assert [(r["customer_id"], r["n"], Decimal(str(r["total"]))) for r in second] == [
        (a.pk, 1, Decimal("20"))
    ]
    assert [(r["customer_id"], r["n"]) for r in third] == [(b.pk, 1)]
    assert none == []


def test_a_value_the_orm_transforms_is_refused_not_cached():
    def by_name(name: str):
        return Invoice.objects.filter(customer__name__icontains=name).values("id")

    with pytest.raises(ValueError, match="transformed"):
        sqlcache.rows(("test", "icontains"), by_name, name="acme")
