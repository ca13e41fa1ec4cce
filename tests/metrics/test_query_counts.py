"""The engine's cost in queries is fixed: the same at two data sizes and two period lengths."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics import engine
from receivables import services
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    OrderFactory,
    PaymentFactory,
)
from tests.metrics.conftest import D, pay, scope

pytestmark = pytest.mark.django_db

SHORT = (date(2026, 3, 1), date(2026, 3, 31))
LONG = (date(2025, 1, 1), date(2026, 3, 31))


def add_data(n: int) -> int:
    customer = CustomerFactory()
    for i in range(n):
        issue = date(2025, 6, 1) + timedelta(days=11 * i % 300)
        order = OrderFactory(customer=customer, order_date=issue - timedelta(days=i % 4))
        invoice = InvoiceFactory(customer=customer, order=order, issue_date=issue, amount=D(500))
        pay(invoice, 100, issue + timedelta(days=9), automatic=i % 2 == 0)
        services.open_dispute(invoice, reason="pricing", amount=D(5), opened_date=issue)
        services.create_promise(
            invoice, promised_date=issue + timedelta(days=5), amount=D(50), created_date=issue
        )
        ActivityFactory(
            customer=customer,
            invoice=invoice,
            occurred_at=datetime(issue.year, issue.month, issue.day, tzinfo=UTC),
        )
        PaymentFactory(customer=customer, received_date=issue)
        OpportunityFactory(
            customer=customer,
            created_date=issue - timedelta(days=30),
            stage="won",
            closed_date=issue,
            amount=D(100),
        )
    return customer.pk


def count(function) -> int:
    with CaptureQueriesContext(connection) as ctx:
        function()
    return len(ctx.captured_queries)


def costs(customer: int):
    return {
        "summary short": count(lambda: engine.summary(scope(*SHORT))),
        "summary long": count(lambda: engine.summary(scope(*LONG))),
        "summary customer": count(lambda: engine.summary(scope(*LONG, customer=customer))),
        "summary product line": count(
            lambda: engine.summary(scope(*LONG, product_line="hardware"))
        ),
        "series month": count(lambda: engine.series("dso_countback", scope(*LONG), "month")),
        "series short": count(lambda: engine.series("dso_countback", scope(*SHORT), "week")),
        "series week": count(lambda: engine.series("dso_countback", scope(*LONG), "week")),
        "series pipeline": count(lambda: engine.series("pipeline_velocity", scope(*LONG), "week")),
        "breakdown": count(lambda: engine.breakdown("dso", scope(*LONG), "customer")),
        "aging": count(lambda: engine.aging(scope(*SHORT))),
        "time to invoice": count(lambda: engine.time_to_invoice(scope(*LONG))),
    }


def test_query_counts_do_not_grow_with_data_or_period():
    customer = add_data(2)
    small = costs(customer)
    add_data(12)
    large = costs(customer)

    assert small == large
    # Summary: movements 1 + every other block's facts together 1 + the pipeline's open
    # count 1 + thresholds 1 + currencies present 1 = 5, whatever the period.
    assert small["summary short"] == small["summary long"] == 5
    # With a customer every block reads the source rows instead of the rollup, in as many
    # queries (AR: the six AR families' rows united; the other blocks' families united).
    assert small["summary customer"] == 5
    # A product line does not narrow payments and opportunities: their facts are a query of
    # their own (6).
    assert small["summary product line"] == 6
    # Series: the blocks the KPI needs (countback: 1; pipeline: 2), whatever the points,
    # + currencies present.
    assert small["series month"] == small["series week"] == small["series short"] == 2
    assert small["series pipeline"] == 3
    # Breakdown of DSO by customer: AR and credit sales per customer, both periods at once,
    # ranked (`balances.balances_by_customer`) 1 + thresholds + names + currencies present.
    assert small["breakdown"] == 4
    # Aging: the open invoices with their activity counts and what was applied or adjusted
    # after the date 1 + currencies present 1.
    assert small["aging"] == 2
    assert small["time to invoice"] == 5
