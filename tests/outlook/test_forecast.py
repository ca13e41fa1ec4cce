"""The cash forecast, worked by hand on the history of `conftest.book`."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from metrics import engine
from metrics.scope import Scope
from outlook import forecast
from receivables import services
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory
from tests.metrics.conftest import D, pay
from tests.outlook.conftest import A, day, invoice

pytestmark = pytest.mark.django_db


def run(weeks: int = 6, **params) -> forecast.CashForecast:
    scope = forecast.forecast_scope(as_of=A, **params)
    return forecast.cash_forecast(scope, weeks, params.get("include_orders", False))


def test_weekly_totals_worked_by_hand(book):
    # Shares of each invoice over the history later than it already is (no promise, no
    # dispute: the four clean payments, at lateness 0, 0, 10, 20):
    # X (due A+5, 1000.00): lateness −5; paid at A+5, A+5, A+15, A+25 → weeks 1, 1, 3, 4.
    # Y (15 days late, 600.00 open): only the payment 20 days late is later → A+5, week 1.
    # Z (disputed, due A−1, 900.00): the disputed history, 30 and 44 days late → A+29 (week
    #   5) and A+43 (week 7: after a 6-week horizon).
    # P (due A+10, 800.00): promised 300.00 on A+9 (week 2); the other 500.00 at lateness
    #   −10: A+10, A+10, A+20, A+30 → weeks 2, 2, 3, 5.
    # W (60 days late, 200.00): nothing in the history was ever that late → after horizon.
    result = run()

    expected = [
        # (promised, behaviour, disputed)
        ("0.00", "1100.00", "0.00"),  # X 500 + Y 600
        ("300.00", "250.00", "0.00"),  # P promised 300 + P 250
        ("0.00", "375.00", "0.00"),  # X 250 + P 125
        ("0.00", "250.00", "0.00"),  # X 250
        ("0.00", "125.00", "450.00"),  # P 125, Z 450
        ("0.00", "0.00", "0.00"),
    ]
    assert [
        (str(w.by_source.promised), str(w.by_source.behaviour), str(w.by_source.disputed))
        for w in result.weeks
    ] == expected
    assert [str(w.expected) for w in result.weeks] == [
        "1100.00",
        "550.00",
        "375.00",
        "250.00",
        "575.00",
        "0.00",
    ]
    assert result.open_ar == D("3500.00")
    assert result.after_horizon == D("650.00")  # Z 450 + W 200
    assert [(w.start, w.end) for w in result.weeks[:2]] == [(day(1), day(7)), (day(8), day(14))]
    # Due dates: X, Z and the past-due Y and W in week 1; P in week 2.
    assert [str(w.due_date_amount) for w in result.weeks] == [
        "2700.00",
        "800.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
    ]
    # The six history payments (800.00) in the 26 weeks up to A, per week.
    assert result.average_weekly_collected == D("30.77")
    assert result.currency == "USD"


def test_weeks_and_after_horizon_add_up_to_ar_at_as_of_to_the_cent(book):
    # Thirds that do not round evenly: 100.00 at lateness −5 over three clean payments.
    customer = book.customer
    invoice(customer, "THIRDS", day(5), "100.00")
    for weeks in (1, 2, 13, 52):
        result = run(weeks)
        scope = Scope(start=A, end=A, currency="USD")
        ar = engine.compute(scope, ["ar_balance"], [scope.period])[("ar_balance", None, 1)]

        total = sum((w.expected for w in result.weeks), Decimal(0)) + result.after_horizon

        assert total == ar == D("3600.00")
        assert result.after_horizon >= 0
        for w in result.weeks:
            assert w.expected == w.by_source.total


def test_only_facts_dated_on_or_before_as_of_are_used(book):
    before = run(13)

    # Everything dated after A: cash, a dispute, a promise, a new invoice.
    pay(book.x, 1000, day(2))
    services.open_dispute(book.p, reason="pricing", amount=D(10), opened_date=day(1))
    services.create_promise(book.y, promised_date=day(30), amount=D(600), created_date=day(1))
    InvoiceFactory(customer=book.customer, issue_date=day(1), amount=D(5000))

    assert run(13) == before


def test_kept_promise_is_not_counted_again(book):
    # Cash applied since the promise was made, before A, covers it: nothing is promised.
    pay(book.p, 300, day(-1))

    result = run()

    assert all(w.by_source.promised == 0 for w in result.weeks)
    assert result.open_ar == D("3200.00")


def test_scope_filters_and_currency(book):
    other = CustomerFactory(currency="EUR")
    InvoiceFactory(customer=other, issue_date=day(-3), amount=D(50), currency="EUR")

    with pytest.raises(ValidationError) as error:
        forecast.forecast_scope(as_of=A)
    assert error.value.error_dict["currency"][0].code == "currency_required"

    eur = run(currency="EUR")
    assert (eur.currency, eur.open_ar) == ("EUR", D("50.00"))
    assert run(customer=book.customer.pk, currency="USD").open_ar == D("3500.00")


def test_no_open_invoice_answers_zeros_in_the_base_currency(db):
    result = run()

    assert (result.currency, result.open_ar, result.after_horizon) == ("USD", 0, 0)
    assert all(w.expected == 0 for w in result.weeks)


def test_orders_not_yet_invoiced_are_expected_after_time_to_invoice(book):
    # Time to invoice over the 12 months to A: one invoice, 4 days after its order (credited
    # in full: no cash, so the payment history stays as it is).
    order = OrderFactory(customer=book.customer, order_date=day(-40), amount=D(100))
    invoiced = InvoiceFactory(customer=book.customer, order=order, issue_date=day(-36))
    services.add_adjustment(invoiced, kind="credit_note", amount=D(100), adjustment_date=day(-30))
    # Ordered at A−2, 400.00: invoiced at A+2, due (30-day terms) at A+32. The clean history
    # counts from lateness −30 on (on or after the invoice date): 0, 0, 10, 20 days late →
    # A+32, A+32, A+42, A+52 → weeks 5, 5, 6, 8.
    OrderFactory(customer=book.customer, order_date=day(-2), amount=D(400))

    result = run(weeks=8, include_orders=True)

    assert result.open_orders == D("400.00")
    assert [str(w.by_source.orders) for w in result.weeks] == [
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "200.00",
        "100.00",
        "0.00",
        "100.00",
    ]
    total = sum((w.expected for w in result.weeks), Decimal(0)) + result.after_horizon
    assert total == result.open_ar + result.open_orders
    assert result.open_ar == D("3500.00")


@pytest.mark.parametrize(
    ("value", "code"), [("0", "invalid_weeks"), ("53", "invalid_weeks"), ("x", "invalid_weeks")]
)
def test_bad_weeks(value, code):
    with pytest.raises(ValidationError) as error:
        forecast.parse_weeks(value)
    assert error.value.error_dict["weeks"][0].code == code
