"""GraphQL types of the cash outlook: each renders an `outlook` dataclass, no arithmetic here.

Money is the `Decimal` scalar (a decimal string, as in REST); days and percentages are Floats
rounded to two decimals (`number`), as for the KPIs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from metrics.graphql.types import ScopeType
from metrics.render import measure
from outlook import backtest, forecast, impact


def number(value) -> float | None:
    """Days and percentages as both APIs send them (`metrics.render.measure`)."""
    return measure(value, "days")


@strawberry.type(name="DsoLever", description="A lever: days sooner for a share of credit sales.")
class LeverType:
    name: str
    days: float
    share: float
    effect_days: float = strawberry.field(description="Change to DSO (negative: DSO falls).")

    @classmethod
    def of(cls, lever: impact.Lever) -> LeverType:
        return cls(
            name=lever.name,
            days=number(lever.days),
            share=number(lever.share),
            effect_days=number(lever.effect_days),
        )


@strawberry.type(name="DsoMeasuredLevers")
class MeasuredLeversType:
    time_to_invoice_days: float | None
    time_to_invoice_median_days: float | None
    average_days_delinquent: float | None


@strawberry.type(name="DsoImpact", description="The DSO impact model for a scope.")
class DSOImpactType:
    scope: ScopeType
    currency: str
    current_dso: float | None
    levers: list[LeverType]
    projected_dso: float | None
    credit_sales: Decimal
    working_capital_freed: Decimal | None
    measured: MeasuredLeversType
    model: str

    @classmethod
    def of(cls, result: impact.DSOImpact) -> DSOImpactType:
        return cls(
            scope=ScopeType.of(result.scope),
            currency=result.scope.currency,
            current_dso=number(result.current_dso),
            levers=[LeverType.of(lever) for lever in result.levers],
            projected_dso=number(result.projected_dso),
            credit_sales=result.credit_sales,
            working_capital_freed=result.working_capital_freed,
            measured=MeasuredLeversType(
                time_to_invoice_days=number(result.time_to_invoice_days),
                time_to_invoice_median_days=number(result.time_to_invoice_median_days),
                average_days_delinquent=number(result.average_days_delinquent),
            ),
            model=result.model,
        )


@strawberry.type(name="ForecastFilters")
class FiltersType:
    rep: int | None
    segment: int | None
    customer: int | None
    product_line: str | None

    @classmethod
    def of(cls, scope) -> FiltersType:
        return cls(
            rep=scope.rep,
            segment=scope.segment,
            customer=scope.customer,
            product_line=scope.product_line,
        )


@strawberry.type(name="ForecastSources", description="Expected cash by where it comes from.")
class SourcesType:
    promised: Decimal
    behaviour: Decimal
    disputed: Decimal
    orders: Decimal


@strawberry.type(name="ForecastWeek")
class ForecastWeekType:
    week: int
    start: date
    end: date
    expected: Decimal
    by_source: SourcesType
    due_date_amount: Decimal


@strawberry.type(name="CashForecast", description="Expected cash per week after as_of.")
class CashForecastType:
    as_of: date
    currency: str
    filters: FiltersType
    include_orders: bool
    open_ar: Decimal
    open_orders: Decimal
    after_horizon: Decimal
    average_weekly_collected: Decimal
    weeks: list[ForecastWeekType]

    @classmethod
    def of(cls, result: forecast.CashForecast) -> CashForecastType:
        return cls(
            as_of=result.as_of,
            currency=result.currency,
            filters=FiltersType.of(result.scope),
            include_orders=result.include_orders,
            open_ar=result.open_ar,
            open_orders=result.open_orders,
            after_horizon=result.after_horizon,
            average_weekly_collected=result.average_weekly_collected,
            weeks=[
                ForecastWeekType(
                    week=w.week,
                    start=w.start,
                    end=w.end,
                    expected=w.expected,
                    by_source=SourcesType(
                        promised=w.by_source.promised,
                        behaviour=w.by_source.behaviour,
                        disputed=w.by_source.disputed,
                        orders=w.by_source.orders,
                    ),
                    due_date_amount=w.due_date_amount,
                )
                for w in result.weeks
            ],
        )


@strawberry.type(name="ForecastAccuracyWeek")
class AccuracyWeekType:
    week: int
    start: date
    end: date
    actual: Decimal
    forecast: Decimal
    due_date: Decimal
    due_plus_average_late: Decimal
    forecast_error: Decimal
    due_date_error: Decimal
    due_plus_average_late_error: Decimal


@strawberry.type(name="ForecastWape", description="Σ|expected − actual| ÷ Σ actual, in %.")
class WAPEType:
    forecast: float | None
    due_date: float | None
    due_plus_average_late: float | None


@strawberry.type(name="ForecastAccuracy", description="Backtest of the forecast at as_of.")
class ForecastAccuracyType:
    as_of: date
    currency: str
    filters: FiltersType
    open_ar: Decimal
    actual_total: Decimal
    wape: WAPEType
    weeks: list[AccuracyWeekType]

    @classmethod
    def of(cls, result: backtest.ForecastAccuracy) -> ForecastAccuracyType:
        return cls(
            as_of=result.as_of,
            currency=result.currency,
            filters=FiltersType.of(result.scope),
            open_ar=result.open_ar,
            actual_total=result.actual_total,
            wape=WAPEType(
                forecast=number(result.wape_forecast),
                due_date=number(result.wape_due_date),
                due_plus_average_late=number(result.wape_due_plus_average_late),
            ),
            weeks=[
                AccuracyWeekType(
                    week=w.week,
                    start=w.start,
                    end=w.end,
                    actual=w.actual,
                    forecast=w.forecast,
                    due_date=w.due_date,
                    due_plus_average_late=w.due_plus_average_late,
                    forecast_error=w.forecast_error,
                    due_date_error=w.due_date_error,
                    due_plus_average_late_error=w.due_plus_average_late_error,
                )
                for w in result.weeks
            ],
        )
