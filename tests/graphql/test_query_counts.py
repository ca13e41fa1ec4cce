"""Nested GraphQL lists cost a fixed number of SQL queries, whatever their length.

Per request, 2 queries authenticate (token + user, then the user's own and its groups'
permissions together, cached for every permission check of the request). Then one query per list
level: the root count, the root page (forward relations joined), and one window-paginated
prefetch per nested list (its totalCount comes from the same window query).
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from receivables import services
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory

AUTH_QUERIES = 2

NESTED = """{
  customers(pagination: {limit: 100}) {
    totalCount
    results {
      name segment { code } rep { name }
      invoices {
        totalCount
        results {
          number openAmount daysPastDue rep { name } order { number }
          applications { totalCount results { amount appliedDate payment { reference } } }
        }
      }
    }
  }
}"""

FLAT = """{
  invoices(pagination: {limit: 100}) {
    totalCount
    results { number customer { name segment { code } } rep { name } order { number } }
  }
}"""

APPLICATIONS = """{
  paymentApplications(pagination: {limit: 100}) {
    totalCount
    results { amount payment { reference customer { name } } invoice { number openAmount } }
  }
}"""


def build(customers: int) -> None:
    """Each customer: two invoices, each half paid by its own payment."""
    for _ in range(customers):
        customer = CustomerFactory()
        for _ in range(2):
            invoice = InvoiceFactory(customer=customer)
            payment = PaymentFactory(customer=customer, amount=Decimal("50.00"))
            services.apply_payment(payment, invoice, Decimal("50.00"))


def count_queries(gql, query: str) -> tuple[int, dict]:
    gql("{ __typename }")  # creates the admin user and token outside the measurement
    with CaptureQueriesContext(connection) as captured:
        answer = gql(query)
    assert "errors" not in answer, answer["errors"]
    return len(captured.captured_queries), answer["data"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A forward relation to a customer-bound type is one prefetch query, not a join: the
        # type narrows its rows for scoped users (accounts.scoping), which a join would skip.
        pytest.param(NESTED, AUTH_QUERIES + 5, id="customers-invoices-applications"),
        pytest.param(FLAT, AUTH_QUERIES + 3, id="invoices-with-relations"),
        pytest.param(APPLICATIONS, AUTH_QUERIES + 5, id="applications-with-relations"),
    ],
)
@pytest.mark.parametrize("size", [1, 10])
def test_query_count_does_not_grow_with_the_list(gql, query, expected, size):
    # Given `size` customers with two invoices and two applications each
    build(size)

    # When the list is read with its nested relations
    queries, data = count_queries(gql, query)

    # Then the cost is the same at 1 and at 10 customers, and every row is there
    assert queries == expected
    assert next(iter(data.values()))["totalCount"] in (size, 2 * size)


def test_nested_values_are_complete(gql):
    build(3)

    _, data = count_queries(gql, NESTED)

    customers = data["customers"]["results"]
    assert len(customers) == 3
    for customer in customers:
        assert customer["invoices"]["totalCount"] == 2
        for invoice in customer["invoices"]["results"]:
            assert invoice["openAmount"] == "50.00"
            assert invoice["applications"]["totalCount"] == 1
            assert invoice["applications"]["results"][0]["amount"] == "50.00"
