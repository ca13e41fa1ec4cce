"""Queries compiled once per shape run with each call's own values."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, F, Sum
from django.test.utils import CaptureQueriesContext

from o2c_api import sqlcache
from o2c_api.expressions import AnyOf, id_list
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


def of_customers(customers: list[int]):
    return (
        Invoice.objects.filter(AnyOf(F("customer_id"), customers))
        .values("customer_id")
        .annotate(n=Count("id"))
        .order_by("customer_id")
    )


def test_a_list_of_ids_is_one_parameter_whatever_its_length():
    # Given three customers with one, two and no invoices
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    InvoiceFactory(customer=a)
    InvoiceFactory(customer=b)
    InvoiceFactory(customer=b)
    shape = ("test", "of customers")
    sqlcache._CACHE.pop((connection.vendor, shape), None)

    # When one shape runs with lists of one, two and three ids
    with CaptureQueriesContext(connection) as captured:
        one = sqlcache.rows(shape, of_customers, customers=[b.pk])
        two = sqlcache.rows(shape, of_customers, customers=[a.pk, c.pk])
        three = sqlcache.rows(shape, of_customers, customers=[a.pk, b.pk, c.pk])

    # Then each answers for its own ids, from one compiled statement with one id parameter
    assert [(r["customer_id"], r["n"]) for r in one] == [(b.pk, 2)]
    assert [(r["customer_id"], r["n"]) for r in two] == [(a.pk, 1)]
    assert [(r["customer_id"], r["n"]) for r in three] == [(a.pk, 1), (b.pk, 2)]
    sql, params, slots = sqlcache._CACHE[(connection.vendor, shape)]
    assert params == [id_list(connection.vendor, [2**31 - 1])]
    assert slots[0][0] == "customers"
    assert len(captured.captured_queries) == 3


def test_any_of_is_in_on_every_backend():
    a, b = CustomerFactory(), CustomerFactory()
    first, second = InvoiceFactory(customer=a), InvoiceFactory(customer=b)
    InvoiceFactory()

    found = Invoice.objects.filter(AnyOf(F("pk"), [second.pk, first.pk, second.pk]))

    assert sorted(found.values_list("pk", flat=True)) == sorted([first.pk, second.pk])
    assert id_list("postgresql", [3, 1]) == "{3,1}"
    assert id_list("sqlite", [3, 1]) == "[3,1]"
