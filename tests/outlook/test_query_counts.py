"""The forecast, the backtest and the DSO impact cost the same number of queries at any size."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outlook import backtest, forecast, impact
from receivables import services
from tests.factories import CustomerFactory, OrderFactory, SegmentFactory
from tests.metrics.conftest import D, pay, scope
from tests.outlook.conftest import A, day, invoice

pytestmark = pytest.mark.django_db


def add_data(n: int, batch: str) -> None:
    """n customers, each with paid history, open invoices, a dispute, a promise, an order."""
    segment = SegmentFactory()
    for i in range(n):
        customer = CustomerFactory(segment=segment)
        for k in range(3):
            paid = invoice(customer, f"H-{batch}{i}-{k}", day(-40 - 20 * k), 100 + k)
            pay(paid, 100 + k, day(-40 - 20 * k + 3 * i))
        late = invoice(customer, f"L-{batch}{i}", day(-5 - i), 250)
        services.open_dispute(late, reason="pricing", amount=D(50), opened_date=day(-20))
        soon = invoice(customer, f"S-{batch}{i}", day(10 + i), 300)
        services.create_promise(soon, promised_date=day(12), amount=D(100), created_date=day(-1))
        OrderFactory(customer=customer, order_date=day(-1 - i), amount=D(80))


def count(function) -> int:
    with CaptureQueriesContext(connection) as ctx:
        function()
    return len(ctx.captured_queries)


def costs() -> tuple[int, int, int, int]:
    def run_forecast(include_orders: bool):
        s = forecast.forecast_scope(as_of=A, include_orders=include_orders)
        forecast.cash_forecast(s, 13, include_orders)

    return (
        count(lambda: run_forecast(False)),
        count(lambda: run_forecast(True)),
        count(lambda: backtest.accuracy(forecast.forecast_scope(as_of=A), 13)),
        count(
            lambda: impact.dso_impact(
                scope(A - timedelta(days=29), A), impact.levers(invoice_lag_days="3")
            )
        ),
    )


def test_same_number_of_queries_at_two_sizes(db):
    add_data(2, "a")
    small = costs()
    add_data(12, "b")

    assert costs() == small
