"""The backtest and the fit on a constructed history where late payers stay late."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from worklist import backtest, fitting, risk
from worklist.models import RiskModel

from .conftest import invoice, pay, scope


@pytest.fixture
def payers(db):
    """Two customers, one invoice on the 5th of each month from January 2025 to March 2026,
    due 30 days later: Prompt pays on the due date, Late 20 days after it."""
    from tests.factories import CustomerFactory

    for name, delay in (("Prompt", 0), ("Late", 20)):
        customer = CustomerFactory(name=name)
        for month in range(15):
            issue = date(2025 + month // 12, month % 12 + 1, 5)
            due = issue + timedelta(days=30)
            bill = invoice(customer, f"{name}-{month}", 100, issue, due)
            paid = due + timedelta(days=delay)
            if paid <= date(2026, 6, 1):
                pay(bill, 100, paid)


def test_month_ends():
    assert backtest.month_ends(date(2026, 1, 15), date(2026, 3, 31)) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]
    assert backtest.month_ends(date(2026, 1, 1), date(2026, 1, 30)) == []


def test_auc_counts_ties_half():
    assert backtest.auc([0.1, 0.9, 0.5, 0.5], [0, 1, 0, 1]) == 0.875
    assert backtest.auc([0.3, 0.3], [0, 1]) == 0.5
    assert backtest.auc([0.3], [1]) is None


def test_higher_band_is_late_more_often(payers):
    # At each month end of Q1 2026 each customer has one invoice open and not yet due (the
    # one issued on the 5th). Prompt: 12 invoices due in the year before, none late: log-odds
    # -2, score 11.9 (band 10-20), paid on time. Late: all 12 late by 20 days: -2 + 3 + 0.6 ×
    # 20/30 = 1.4, score 80.2 (band 80-90), paid late.
    result = backtest.backtest(
        scope(),
        date(2026, 1, 1),
        date(2026, 3, 31),
        model=risk.DEFAULT_MODEL,
        known_by=date(2026, 6, 1),
    )
    assert (result.count, result.late) == (6, 3)
    assert result.score.auc == 1.0
    bands = {b.low: (b.count, b.late, b.late_share) for b in result.score.bands if b.count}
    assert bands == {10: (3, 0, 0.0), 80: (3, 3, 1.0)}
    assert [b.mean_score for b in result.score.bands if b.count] == [0.1192, 0.8022]
    # The baseline is the late share itself: 0 and 1.
    baseline = {b.low: (b.count, b.late) for b in result.baseline.bands if b.count}
    assert baseline == {0: (3, 0), 90: (3, 3)}


def test_period_limits(payers):
    with pytest.raises(ValidationError) as error:
        backtest.backtest(scope(), date(2026, 1, 1), date(2026, 1, 30))
    assert error.value.error_dict["end"][0].code == "no_month_end"
    with pytest.raises(ValidationError) as error:
        backtest.backtest(scope(), date(2020, 1, 1), date(2026, 1, 31))
    assert error.value.error_dict["end"][0].code == "too_many_month_ends"


def test_fit_stores_a_model_that_then_scores(payers):
    # Training: the invoices open at each month end of Q1 2026, outcome known by 06-01: one
    # per customer per month end (6 rows, half late).
    fitted = fitting.fit(
        scope(),
        date(2026, 1, 1),
        date(2026, 3, 31),
        known_by=date(2026, 6, 1),
        description="constructed",
    )
    assert (fitted.training_rows, fitted.late_share) == (6, 0.5)
    assert (fitted.training_start, fitted.training_end) == (date(2026, 1, 31), date(2026, 3, 31))
    assert fitted.coefficients["late_history"] > 0
    assert set(fitted.coefficients) == set(risk.FACTOR_KEYS)
    current = risk.current_model()
    assert (current.source, current.id) == ("fitted", fitted.pk)
    result = backtest.backtest(
        scope(), date(2026, 1, 1), date(2026, 3, 31), known_by=date(2026, 6, 1)
    )
    assert result.model.id == fitted.pk
    assert result.score.auc == 1.0


def test_fit_refuses_one_sided_outcomes(db):
    with pytest.raises(ValidationError) as error:
        fitting.fit(scope(), date(2026, 1, 1), date(2026, 3, 31))
    assert error.value.code == "not_enough_outcomes"
    assert RiskModel.objects.count() == 0


def test_backtest_endpoint_and_command(payers, make_client, capsys):
    body = (
        make_client("viewer")
        .get("/api/v1/risk/backtest/", {"start": "2026-01-01", "end": "2026-03-31"})
        .json()
    )
    assert body["month_ends"] == ["2026-01-31", "2026-02-28", "2026-03-31"]
    assert body["score"]["auc"] == body["baseline"]["auc"]
    from django.core.management import call_command

    call_command(
        "risk_backtest", "--start", "2026-01-01", "--end", "2026-03-31", "--model", "default"
    )
    out = capsys.readouterr().out
    assert "| Risk score |" in out
    assert "| 10–20 |" in out
