"""The cash outlook in GraphQL: the same functions, arguments, numbers and error codes as REST
(`outlook.api.views`). Every field needs `metrics.view_kpis` (a user limited to their own
customers gets the outlook of those: accounts.scoping); errors carry REST's codes in
`extensions` (see `metrics.graphql.schema.run`)."""

from datetime import date

import strawberry
from strawberry.types import Info

from metrics.graphql.schema import run, scope_of, user_of
from outlook import backtest, forecast, impact
from outlook.graphql.types import CashForecastType, DSOImpactType, ForecastAccuracyType


@strawberry.type
class Query:
    @strawberry.field(
        description="DSO impact model: projected DSO and working capital freed by levers "
        "(`scenario`: further levers written <days>:<share>, at most 20)."
    )
    def dso_impact(
        self,
        info: Info,
        invoice_lag_days: str | None = None,
        invoice_lag_share: str | None = None,
        payment_lag_days: str | None = None,
        payment_lag_share: str | None = None,
        scenario: list[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> DSOImpactType:
        def resolve():
            levers = impact.levers(
                invoice_lag_days=invoice_lag_days,
                invoice_lag_share=invoice_lag_share,
                payment_lag_days=payment_lag_days,
                payment_lag_share=payment_lag_share,
                scenarios=scenario or (),
            )
            scope = scope_of(info, start, end, rep, segment, customer, product_line, currency)
            return DSOImpactType.of(impact.dso_impact(scope, levers))

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="Cash forecast: expected cash per week after as_of.")
    def cash_forecast(
        self,
        info: Info,
        as_of: date | None = None,
        weeks: int | None = None,
        include_orders: bool = False,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> CashForecastType:
        def resolve():
            horizon = forecast.parse_weeks(weeks)
            scope = forecast.forecast_scope(
                as_of=as_of,
                rep=rep,
                segment=segment,
                customer=customer,
                product_line=product_line,
                currency=currency,
                include_orders=include_orders,
                user=user_of(info),
            )
            return CashForecastType.of(forecast.cash_forecast(scope, horizon, include_orders))

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="Backtest of the cash forecast at a past as_of.")
    def forecast_accuracy(
        self,
        info: Info,
        as_of: date | None = None,
        weeks: int | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> ForecastAccuracyType:
        def resolve():
            horizon = forecast.parse_weeks(weeks)
            scope = forecast.forecast_scope(
                as_of=as_of or backtest.default_backtest_as_of(horizon),
                rep=rep,
                segment=segment,
                customer=customer,
                product_line=product_line,
                currency=currency,
                user=user_of(info),
            )
            return ForecastAccuracyType.of(backtest.accuracy(scope, horizon))

        return run(info, resolve, narrowed=True)
