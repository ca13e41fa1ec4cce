"""The backtest of the cash forecast: forecast accuracy at one as-of date, and at several.

The forecast made at a past as-of date A (`outlook.forecast`, only facts dated on or before
A, without orders) is compared week by week with the cash actually applied after A to the
invoices open at A (../shared/spec/kpis.md, "Forecast error"), next to two baselines computed
by the same statement: every invoice paid on its due date, and on its due date plus its
customer's average days late. One query more than the forecast: the actual cash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum

from metrics.expressions import bucket
from metrics.scope import Scope, today
from o2c_api.money import CENT, ZERO
from outlook.errors import ErrorCode
from outlook.forecast import (
    DEFAULT_WEEKS,
    SOURCES,
    amounts,
    rounded,
    to_decimal,
    week_period,
)
from receivables import predicates
from receivables.models import PaymentApplication


@dataclass(frozen=True)
class AccuracyWeek:
    """Week k of a backtest: cash actually applied to the invoices open at as_of, and what
    the forecast and the two baselines expected; errors are expected − actual."""

    week: int
    start: date
    end: date
    actual: Decimal
    forecast: Decimal
    due_date: Decimal
    due_plus_average_late: Decimal

    @property
    def forecast_error(self) -> Decimal:
        return self.forecast - self.actual

    @property
    def due_date_error(self) -> Decimal:
        return self.due_date - self.actual

    @property
    def due_plus_average_late_error(self) -> Decimal:
        return self.due_plus_average_late - self.actual


@dataclass(frozen=True)
class ForecastAccuracy:
    """A backtest at `as_of`: per week and over the horizon, WAPE = Σ|expected − actual| ÷
    Σ actual of the forecast and of both baselines, in % (None when nothing was collected)."""

    scope: Scope
    as_of: date
    currency: str
    open_ar: Decimal
    actual_total: Decimal
    wape_forecast: Decimal | None
    wape_due_date: Decimal | None
    wape_due_plus_average_late: Decimal | None
    weeks: tuple[AccuracyWeek, ...]


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code)})


def _horizon_over(as_of: date, weeks: int) -> None:
    last = as_of + timedelta(days=7 * weeks)
    if last >= today():
        raise _error(
            "as_of",
            f"The {weeks} weeks after {as_of} end on {last}, which is not over: a backtest "
            "needs an as-of date whose horizon has passed.",
            ErrorCode.HORIZON_NOT_OVER,
        )


def _actuals(scope: Scope, as_of: date, weeks: int) -> dict[int, Decimal]:
    """Cash applied in each week after as_of to the scope's invoices open at as_of."""
    cuts = [as_of + timedelta(days=7 * k) for k in range(weeks + 1)]
    rows = (
        PaymentApplication.objects.filter(
            predicates.open_at(as_of, "invoice")
            & predicates.invoice_dimensions("invoice", **scope.filters()),
            applied_date__gt=cuts[0],
            applied_date__lte=cuts[-1],
        )
        .annotate(fc_week=bucket("applied_date", cuts))
        .values("fc_week")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    return {row["fc_week"]: to_decimal(row["amount"]).quantize(CENT) for row in rows}


def wape(pairs: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Σ|expected − actual| ÷ Σ actual × 100 over (expected, actual) pairs, in %; None when
    Σ actual is 0."""
    actual = sum((a for _, a in pairs), ZERO)
    if not actual:
        return None
    return sum((abs(e - a) for e, a in pairs), ZERO) / actual * 100


def accuracy(scope: Scope, weeks: int = DEFAULT_WEEKS) -> ForecastAccuracy:
    """Backtest the forecast made at the scope's end date (A) against the cash that came.

    The forecast (without orders: the actual cash is the cash applied to the invoices open at
    A) and the two baselines — every invoice paid on its due date, and on its due date plus
    its customer's average days late (a date on or before A counts in week 1) — are computed
    from the facts dated on or before A only.

    Raises:
        ValidationError: horizon_not_over when A + 7 × weeks is not before today.
    """
    as_of = scope.end
    _horizon_over(as_of, weeks)
    by_kind = amounts(scope, as_of, weeks)
    open_ar = by_kind.get(("open_ar", 0), ZERO)
    sources = rounded(by_kind, weeks, open_ar)
    actual = _actuals(scope, as_of, weeks)
    rows = []
    for k in range(1, weeks + 1):
        period = week_period(as_of, k)
        rows.append(
            AccuracyWeek(
                k,
                period.start,
                period.end,
                actual.get(k, ZERO),
                sum((sources[(source, k)] for source in SOURCES), ZERO),
                by_kind.get(("due_date", k), ZERO),
                by_kind.get(("due_plus_average_late", k), ZERO),
            )
        )
    return ForecastAccuracy(
        scope=scope,
        as_of=as_of,
        currency=scope.currency,
        open_ar=open_ar,
        actual_total=sum((r.actual for r in rows), ZERO),
        wape_forecast=wape([(r.forecast, r.actual) for r in rows]),
        wape_due_date=wape([(r.due_date, r.actual) for r in rows]),
        wape_due_plus_average_late=wape([(r.due_plus_average_late, r.actual) for r in rows]),
        weeks=tuple(rows),
    )


def default_backtest_as_of(weeks: int) -> date:
    """The latest as-of date whose horizon is over: today − 7 × weeks − 1."""
    return today() - timedelta(days=7 * weeks + 1)


@dataclass(frozen=True)
class Backtest:
    """Backtests at several as-of dates: each date's result, and over all of them the pooled
    WAPE (Σ over dates and weeks of |expected − actual| ÷ Σ actual, in %) and the mean of the
    dates' WAPEs, for the forecast and both baselines (None when nothing was collected)."""

    runs: tuple[ForecastAccuracy, ...]
    pooled: dict[str, Decimal | None]
    mean: dict[str, Decimal | None]


METHODS = ("forecast", "due_date", "due_plus_average_late")


def backtest(scopes: list[Scope], weeks: int = DEFAULT_WEEKS) -> Backtest:
    """`accuracy` at each scope's end date, and the pooled and mean WAPE over all of them.

    Raises:
        ValidationError: horizon_not_over for a date whose horizon is not over.
    """
    runs = tuple(accuracy(scope, weeks) for scope in scopes)
    pooled, mean = {}, {}
    for method in METHODS:
        pairs = [(getattr(w, method), w.actual) for run in runs for w in run.weeks]
        pooled[method] = wape(pairs)
        values = [getattr(run, f"wape_{method}") for run in runs]
        values = [v for v in values if v is not None]
        mean[method] = sum(values, Decimal(0)) / len(values) if values else None
    return Backtest(runs, pooled, mean)


def quarter_ends(first: date, last: date) -> list[date]:
    """The calendar quarter ends from first to last, inclusive."""
    ends = []
    year, quarter = first.year, (first.month - 1) // 3
    while True:
        month = 3 * quarter + 3
        end = date(year, month, 31 if month in (3, 12) else 30)
        if end > last:
            return ends
        if end >= first:
            ends.append(end)
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
