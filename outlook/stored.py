"""Cash forecasts kept for the dashboard: read when recent enough, computed when not.

The forecast of a scope reads the year of cash applied before its date: about five seconds of
database time for everything at a million invoices, two for one rep. The dashboard's cash
outlook panel shows it on every view, so it reads a `StoredForecast` computed at most
`O2C_FORECAST_MAX_AGE_SECONDS` ago (15 minutes by default), says when that was, and links to
the REST forecast, which always computes. A view that finds none recent enough computes it
and stores it for the next viewers. The worker's `refresh_forecasts` job keeps the default
scopes (everything, in each currency) from expiring, so the dashboard a team opens in the
morning is already computed.

A stored forecast is exact for the data as it was at `computed_at`; payments posted since then
show on the next refresh. Rows of past days are purged by the same job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from metrics import engine
from metrics.scope import Scope, today
from outlook.forecast import (
    DEFAULT_WEEKS,
    CashForecast,
    ForecastWeek,
    SourceAmounts,
    cash_forecast,
)
from outlook.models import StoredForecast

_SCOPE_FIELDS = ("currency", "rep", "segment", "customer", "product_line", "customers_of")


@dataclass(frozen=True)
class Stored:
    """A forecast and when it was computed."""

    forecast: CashForecast
    computed_at: datetime


def _scope_values(scope: Scope) -> dict:
    return {name: getattr(scope, name) for name in _SCOPE_FIELDS}


def scope_key(scope: Scope, weeks: int) -> str:
    """The scope's filters and horizon as a query string, the same for the same question."""
    pairs = [(name, value) for name, value in _scope_values(scope).items() if value is not None]
    return urlencode([*pairs, ("weeks", weeks)])


def scope_of(row: StoredForecast) -> Scope:
    """The scope a stored forecast was computed for."""
    return Scope(start=row.as_of, end=row.as_of, **row.scope)


def _to_json(forecast: CashForecast) -> dict:
    return {
        "open_ar": str(forecast.open_ar),
        "open_orders": str(forecast.open_orders),
        "after_horizon": str(forecast.after_horizon),
        "average_weekly_collected": str(forecast.average_weekly_collected),
        "weeks": [
            {
                "week": week.week,
                "start": week.start.isoformat(),
                "end": week.end.isoformat(),
                "expected": str(week.expected),
                "by_source": {
                    name: str(getattr(week.by_source, name))
                    for name in SourceAmounts.__dataclass_fields__
                },
                "due_date_amount": str(week.due_date_amount),
            }
            for week in forecast.weeks
        ],
    }


def _from_json(scope: Scope, data: dict) -> CashForecast:
    weeks = tuple(
        ForecastWeek(
            week["week"],
            date.fromisoformat(week["start"]),
            date.fromisoformat(week["end"]),
            Decimal(week["expected"]),
            SourceAmounts(**{name: Decimal(value) for name, value in week["by_source"].items()}),
            Decimal(week["due_date_amount"]),
        )
        for week in data["weeks"]
    )
    return CashForecast(
        scope=scope,
        as_of=scope.end,
        currency=scope.currency,
        open_ar=Decimal(data["open_ar"]),
        open_orders=Decimal(data["open_orders"]),
        include_orders=False,
        after_horizon=Decimal(data["after_horizon"]),
        average_weekly_collected=Decimal(data["average_weekly_collected"]),
        weeks=weeks,
    )


def compute(scope: Scope, weeks: int = DEFAULT_WEEKS) -> Stored:
    """Compute the scope's forecast (on `scope.end`, without orders) and store it, replacing
    the one stored for the same scope and date (two computing at once: the last one stays)."""
    started = time.monotonic()
    forecast = cash_forecast(scope, weeks)
    computed_at = timezone.now()
    StoredForecast.objects.bulk_create(
        [
            StoredForecast(
                scope_key=scope_key(scope, weeks),
                as_of=scope.end,
                scope=_scope_values(scope),
                weeks=weeks,
                result=_to_json(forecast),
                computed_at=computed_at,
                compute_ms=round((time.monotonic() - started) * 1000),
            )
        ],
        update_conflicts=True,
        unique_fields=["scope_key", "as_of"],
        update_fields=["scope", "weeks", "result", "computed_at", "compute_ms"],
    )
    return Stored(forecast, computed_at)


def forecast_for(scope: Scope, weeks: int = DEFAULT_WEEKS) -> Stored:
    """The scope's forecast on `scope.end`: the stored one when computed within
    `O2C_FORECAST_MAX_AGE_SECONDS`, else computed now (and stored).

    Args:
        scope: a validated scope whose end is the as-of date (`forecast.forecast_scope`).
        weeks: the horizon, 1 to 52.

    Returns:
        The forecast, equal to `forecast.cash_forecast(scope, weeks)` as it was at
        `computed_at`.
    """
    fresh_after = timezone.now() - timedelta(seconds=settings.O2C_FORECAST_MAX_AGE_SECONDS)
    row = (
        StoredForecast.objects.filter(
            scope_key=scope_key(scope, weeks), as_of=scope.end, computed_at__gte=fresh_after
        )
        .only("result", "computed_at")
        .first()
    )
    if row is None:
        return compute(scope, weeks)
    return Stored(_from_json(scope, row.result), row.computed_at)


def default_scopes(as_of: date) -> list[Scope]:
    """Everything, in each currency invoiced by as_of: the dashboard a team opens first."""
    base = Scope(start=as_of, end=as_of, currency=settings.O2C_BASE_CURRENCY)
    return [Scope(start=as_of, end=as_of, currency=code) for code in engine.currencies(base)]


def refresh() -> tuple[int, int]:
    """The worker's job: compute today's default forecasts before they expire, purge older
    days.

    The default scopes (`default_scopes`) whose forecast is older than half the maximum age
    are computed again, so the job (every few minutes) keeps them from expiring and the
    dashboard a team opens first never waits. Other scopes are computed by their first view
    after they expire: refreshing every scope viewed in a day would keep the worker busy for
    minutes each round at a million invoices (a rep's forecast takes about two seconds).

    Returns:
        (forecasts computed, stored forecasts of past days deleted).
    """
    day = today()
    deleted, _ = StoredForecast.objects.filter(as_of__lt=day).delete()
    due_before = timezone.now() - timedelta(seconds=settings.O2C_FORECAST_MAX_AGE_SECONDS / 2)
    fresh = set(
        StoredForecast.objects.filter(as_of=day, computed_at__gte=due_before).values_list(
            "scope_key", flat=True
        )
    )
    computed = 0
    for scope in default_scopes(day):
        if scope_key(scope, DEFAULT_WEEKS) not in fresh:
            compute(scope, DEFAULT_WEEKS)
            computed += 1
    return computed, deleted
