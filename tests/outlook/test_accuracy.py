"""The backtest, on a history where the perfect forecast is known."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from outlook import backtest, forecast
from tests.factories import CustomerFactory, SegmentFactory
from tests.metrics.conftest import D, pay
from tests.outlook.conftest import A, day, invoice, paid_late

pytestmark = pytest.mark.django_db


@pytest.fixture
def punctual(db):
    """A customer that always pays exactly 10 days late: five such payments before A.

    Open at A, and what then happened:
    - R 100.00 due A+4: paid A+14 (week 2);
    - S 300.00 due A−3: paid A+7 (week 1);
    - V 50.00 due A−12: later than any history, never paid in the horizon.
    """
    customer = CustomerFactory(segment=SegmentFactory())
    for n in range(5):
        paid_late(customer, f"H-{n}", date(2025, 11, 1) + timedelta(days=20 * n), 100, 10)
    r = invoice(customer, "R", day(4), 100)
    s = invoice(customer, "S", day(-3), 300)
    invoice(customer, "V", day(-12), 50)
    pay(r, 100, day(14))
    pay(s, 300, day(7))
    return customer


def test_the_forecast_is_perfect_where_the_answer_is_known(punctual):
    result = backtest.accuracy(forecast.forecast_scope(as_of=A), weeks=4)

    assert [(str(w.actual), str(w.forecast)) for w in result.weeks] == [
        ("300.00", "300.00"),
        ("100.00", "100.00"),
        ("0.00", "0.00"),
        ("0.00", "0.00"),
    ]
    assert result.wape_forecast == 0
    # Due dates: R, S and V all in week 1 (S and V are past due):
    # |450 − 300| + |0 − 100| = 250 of 400.
    assert [str(w.due_date) for w in result.weeks][:2] == ["450.00", "0.00"]
    assert result.wape_due_date == D("62.5")
    # Average days late 10: R at A+14 (week 2), S at A+7 and V at A−2 (week 1):
    # |350 − 300| + |100 − 100| = 50 of 400.
    assert [str(w.due_plus_average_late) for w in result.weeks][:2] == ["350.00", "100.00"]
    assert result.wape_due_plus_average_late == D("12.5")
    assert (result.open_ar, result.actual_total) == (D("450.00"), D("400.00"))
    assert result.weeks[0].forecast_error == 0
    assert result.weeks[0].due_date_error == D("150.00")


def test_a_horizon_not_over_is_refused(punctual):
    as_of = backtest.today() - timedelta(days=7 * 13)

    with pytest.raises(ValidationError) as error:
        backtest.accuracy(forecast.forecast_scope(as_of=as_of), weeks=13)

    assert error.value.error_dict["as_of"][0].code == "horizon_not_over"
    assert backtest.default_backtest_as_of(13) == as_of - timedelta(days=1)


def test_nothing_collected_gives_null_wape(db):
    result = backtest.accuracy(forecast.forecast_scope(as_of=A), weeks=2)

    assert (result.wape_forecast, result.wape_due_date, result.actual_total) == (None, None, 0)


def command(*args) -> str:
    out = StringIO()
    call_command("forecast_accuracy", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_the_wape_table(punctual):
    out = command("--as-of", A.isoformat(), "--weeks", "4")

    assert "| 2026-03-31 | 450.00 | 400.00 | 0.0 % | 62.5 % | 12.5 % |" in out
    assert "| **all dates, pooled** | | | **0.0 %** | 62.5 % | 12.5 % |" in out
    assert "The forecast has the lowest WAPE at 1 of 1 dates." in out


def test_the_command_backtests_every_quarter_end_of_the_history(punctual):
    out = command("--weeks", "4")

    # Invoices issued from 2025-10-02 to 2026-03-05 (quarter end 2026-03-31).
    assert [line.split(" | ")[0] for line in out.splitlines() if line.startswith("| 20")] == [
        "| 2025-12-31",
        "| 2026-03-31",
    ]


def test_the_command_refuses_a_horizon_not_over(punctual):
    with pytest.raises(CommandError, match="not over"):
        command("--as-of", backtest.today().isoformat())


def test_quarter_ends():
    assert backtest.quarter_ends(date(2012, 1, 3), date(2012, 12, 30)) == [
        date(2012, 3, 31),
        date(2012, 6, 30),
        date(2012, 9, 30),
    ]
