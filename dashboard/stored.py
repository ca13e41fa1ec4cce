"""The dashboard's slow panels, kept a few minutes: the cash forecast and open AR by risk band.

The forecast of a scope reads the year of cash applied before its date (about five seconds
for everything at a million invoices, two for one rep); the risk bands score every open
invoice in scope (about a third of a second for everything at a million). The dashboard shows
both on every view, so it reads a `StoredPanel` computed at most `O2C_PANEL_MAX_AGE_SECONDS`
ago (15 minutes by default), says when that was, and links to the REST endpoints, which
always compute. A view that finds none recent enough computes it and stores it for the next
viewers. The worker's `refresh_panels` job keeps the default scopes (everything, in each
currency) from expiring, so the dashboard a team opens in the morning is already computed.

A stored panel is exact for the data as it was at `computed_at`; payments posted since then
show on the next refresh. The worklist is never kept: a collector who records a call expects
it to move. Rows of past days are purged by the same job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from dashboard.models import StoredPanel
from metrics import engine
from metrics.scope import Scope, today
from outlook.forecast import (
    DEFAULT_WEEKS,
    CashForecast,
    ForecastWeek,
    SourceAmounts,
    cash_forecast,
)
from worklist import engine as worklist
from worklist import risk

Kind = StoredPanel.Kind
_SCOPE_FIELDS = ("currency", "rep", "segment", "customer", "product_line", "customers_of")


@dataclass(frozen=True)
class Stored:
    """A panel's figures (a `CashForecast` or `RiskBands`) and when they were computed."""

    value: Any
    computed_at: datetime


def _scope_values(scope: Scope) -> dict:
    return {name: getattr(scope, name) for name in _SCOPE_FIELDS}


def scope_key(scope: Scope, params: dict) -> str:
    """The scope's filters and the panel's parameters as a query string, the same for the same
    question."""
    pairs = [(name, value) for name, value in _scope_values(scope).items() if value is not None]
    return urlencode([*pairs, *params.items()])


def scope_of(row: StoredPanel) -> Scope:
    """The scope a stored panel was computed for."""
    return Scope(start=row.as_of, end=row.as_of, **row.scope)


# --- the figures as JSON ------------------------------------------------------------------------


def _forecast_json(forecast: CashForecast) -> dict:
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


def _forecast_of(scope: Scope, data: dict) -> CashForecast:
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


def _bands_json(bands: worklist.RiskBands) -> dict:
    return {"bands": [[band.invoice_count, str(band.open_amount)] for band in bands.bands]}


def _bands_of(scope: Scope, data: dict, model: risk.Model) -> worklist.RiskBands:
    totals = {i: (count, Decimal(amount)) for i, (count, amount) in enumerate(data["bands"])}
    return worklist.bands_of(totals, risk.SCORE_BANDS, scope.end, scope, model)


# --- reading and computing ----------------------------------------------------------------------


def _fresh(kind: str, scope: Scope, params: dict) -> StoredPanel | None:
    """The stored panel computed within `O2C_PANEL_MAX_AGE_SECONDS`, if any (one query)."""
    fresh_after = timezone.now() - timedelta(seconds=settings.O2C_PANEL_MAX_AGE_SECONDS)
    return (
        StoredPanel.objects.filter(
            kind=kind,
            scope_key=scope_key(scope, params),
            as_of=scope.end,
            computed_at__gte=fresh_after,
        )
        .only("result", "computed_at")
        .first()
    )


def _compute(kind: str, scope: Scope, params: dict, compute: Callable, to_json: Callable):
    """Compute a panel and store it, replacing the one stored for the same scope, parameters
    and date (two computing at once: the last one stays)."""
    started = time.monotonic()
    value = compute()
    computed_at = timezone.now()
    StoredPanel.objects.bulk_create(
        [
            StoredPanel(
                kind=kind,
                scope_key=scope_key(scope, params),
                as_of=scope.end,
                scope=_scope_values(scope),
                params=params,
                result=to_json(value),
                computed_at=computed_at,
                compute_ms=round((time.monotonic() - started) * 1000),
            )
        ],
        update_conflicts=True,
        unique_fields=["kind", "scope_key", "as_of"],
        update_fields=["scope", "params", "result", "computed_at", "compute_ms"],
    )
    return Stored(value, computed_at)


def compute_forecast(scope: Scope, weeks: int = DEFAULT_WEEKS) -> Stored:
    """Compute the scope's forecast (on `scope.end`, without orders) and store it."""
    return _compute(
        Kind.FORECAST,
        scope,
        {"weeks": weeks},
        lambda: cash_forecast(scope, weeks),
        _forecast_json,
    )


def forecast_for(scope: Scope, weeks: int = DEFAULT_WEEKS) -> Stored:
    """The scope's forecast on `scope.end`: the stored one when recent enough, else computed
    now (and stored).

    Args:
        scope: a validated scope whose end is the as-of date (`forecast.forecast_scope`).
        weeks: the horizon, 1 to 52.

    Returns:
        A `Stored` `CashForecast`, equal to `forecast.cash_forecast(scope, weeks)` as it was at
        `computed_at`.
    """
    row = _fresh(Kind.FORECAST, scope, {"weeks": weeks})
    if row is None:
        return compute_forecast(scope, weeks)
    return Stored(_forecast_of(scope, row.result), row.computed_at)


def _model_params(model: risk.Model) -> dict:
    # A new fit scores differently: its bands are another panel.
    return {"model": model.id or 0}


def compute_risk_bands(scope: Scope, model: risk.Model) -> Stored:
    """Compute the scope's open AR by risk band on `scope.end` with `model`, and store it."""
    return _compute(
        Kind.RISK_BANDS,
        scope,
        _model_params(model),
        lambda: worklist.risk_bands(scope, scope.end, model=model),
        _bands_json,
    )


def risk_bands_for(scope: Scope, model: risk.Model) -> Stored:
    """The scope's open AR by risk band on `scope.end`: stored when recent enough, else
    computed now (and stored).

    Args:
        scope: a validated scope whose end is the as-of date.
        model: the weights (`risk.current_model()`); each model's bands are kept apart.

    Returns:
        A `Stored` `RiskBands`, equal to `worklist.risk_bands(scope, scope.end, model=model)`
        as it was at `computed_at`.
    """
    row = _fresh(Kind.RISK_BANDS, scope, _model_params(model))
    if row is None:
        return compute_risk_bands(scope, model)
    return Stored(_bands_of(scope, row.result, model), row.computed_at)


def compute_again(row: StoredPanel) -> Stored:
    """Compute a stored panel again now (the admin's action); risk bands with today's model."""
    if row.kind == Kind.FORECAST:
        return compute_forecast(scope_of(row), row.params["weeks"])
    return compute_risk_bands(scope_of(row), risk.current_model())


def default_scopes(as_of: date) -> list[Scope]:
    """Everything, in each currency invoiced by as_of: the dashboard a team opens first."""
    base = Scope(start=as_of, end=as_of, currency=settings.O2C_BASE_CURRENCY)
    return [Scope(start=as_of, end=as_of, currency=code) for code in engine.currencies(base)]


def refresh() -> tuple[int, int]:
    """The worker's job: compute today's default panels before they expire, purge older days.

    The default scopes' (`default_scopes`) forecast and risk bands older than half the maximum
    age are computed again, so the job (every few minutes) keeps them from expiring and the
    dashboard a team opens first never waits. Other scopes are computed by their first view
    after they expire: refreshing every scope viewed in a day would keep the worker busy for
    minutes each round at a million invoices (a rep's forecast takes about two seconds).

    Returns:
        (panels computed, stored panels of past days deleted).
    """
    day = today()
    deleted, _ = StoredPanel.objects.filter(as_of__lt=day).delete()
    due_before = timezone.now() - timedelta(seconds=settings.O2C_PANEL_MAX_AGE_SECONDS / 2)
    fresh = set(
        StoredPanel.objects.filter(as_of=day, computed_at__gte=due_before).values_list(
            "kind", "scope_key"
        )
    )
    model = risk.current_model()
    computed = 0
    for scope in default_scopes(day):
        if (Kind.FORECAST, scope_key(scope, {"weeks": DEFAULT_WEEKS})) not in fresh:
            compute_forecast(scope, DEFAULT_WEEKS)
            computed += 1
        if (Kind.RISK_BANDS, scope_key(scope, _model_params(model))) not in fresh:
            compute_risk_bands(scope, model)
            computed += 1
    return computed, deleted
