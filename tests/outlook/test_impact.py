"""The DSO impact model: the worked example of the issue, and the measured levers."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from metrics import engine
from outlook import impact
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory
from tests.metrics.conftest import D, scope

pytestmark = pytest.mark.django_db

APRIL = (date(2026, 4, 1), date(2026, 4, 30))


@pytest.fixture
def sixty(db):
    """April 2026 (N = 30): credit sales 3000.00 (one invoice, 6 days after its order, due in
    May), AR at the end 6000.00 (with a March invoice past due): DSO = 6000 ÷ 3000 × 30 = 60,
    best possible DSO = 3000 ÷ 3000 × 30 = 30, average days delinquent 30."""
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, issue_date=date(2026, 3, 1), amount=D(3000))
    order = OrderFactory(customer=customer, order_date=date(2026, 4, 4), amount=D(3000))
    InvoiceFactory(customer=customer, order=order, issue_date=date(2026, 4, 10), amount=D(3000))
    return customer


def test_sixty_to_forty_two(sixty):
    levers = impact.levers(invoice_lag_days="10", payment_lag_days="7", scenarios=["5:20"])

    result = impact.dso_impact(scope(*APRIL), levers)

    assert result.current_dso == 60
    assert [(lv.name, lv.effect_days) for lv in result.levers] == [
        ("invoice_lag", -10),
        ("payment_lag", -7),
        ("scenario_1", -1),
    ]
    assert result.projected_dso == 42  # 60 − 10 − 7 − 1
    assert result.credit_sales == D("3000.00")
    assert result.working_capital_freed == D("1800.00")  # 18 days × 3000.00 ÷ 30
    assert (result.time_to_invoice_days, result.average_days_delinquent) == (6, 30)


def test_current_dso_is_the_dso_kpi_of_the_same_scope(sixty):
    for start, end in (APRIL, (date(2026, 3, 15), date(2026, 4, 20))):
        s = scope(start, end)
        assert impact.dso_impact(s).current_dso == engine.summary(s).kpis["dso"].value


def test_shares_and_the_floor_at_zero(sixty):
    levers = impact.levers(invoice_lag_days="30", invoice_lag_share="50", scenarios=["90"])

    result = impact.dso_impact(scope(*APRIL), levers)

    assert [lv.effect_days for lv in result.levers] == [-15, -90]
    assert result.projected_dso == 0  # never below zero
    assert result.working_capital_freed == D("6000.00")  # all of AR: 60 days × 100.00


def test_no_credit_sales_is_null_not_an_error(db):
    result = impact.dso_impact(scope(*APRIL), impact.levers(payment_lag_days="5"))

    assert (result.current_dso, result.projected_dso, result.working_capital_freed) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"invoice_lag_days": "x"}, "invoice_lag_days", "invalid_days"),
        ({"invoice_lag_days": "-1"}, "invoice_lag_days", "invalid_days"),
        ({"payment_lag_days": "400"}, "payment_lag_days", "invalid_days"),
        (
            {"payment_lag_days": "5", "payment_lag_share": "101"},
            "payment_lag_share",
            "invalid_share",
        ),
        # Found by schemathesis: a share without its days was taken in silence.
        ({"payment_lag_share": "-58800"}, "payment_lag_share", "invalid_share"),
        ({"scenarios": ["5:x"]}, "scenario", "invalid_scenario"),
        ({"scenarios": ["5;20"]}, "scenario", "invalid_scenario"),
        ({"scenarios": ["1"] * 21}, "scenario", "too_many_scenarios"),
    ],
)
def test_bad_levers(kwargs, field, code):
    with pytest.raises(ValidationError) as error:
        impact.levers(**kwargs)
    assert error.value.error_dict[field][0].code == code
