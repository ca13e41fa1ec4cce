"""The risk score, its backtest and the worklist in GraphQL: the same functions, arguments,
numbers and error codes as REST's /api/v1/risk/, /api/v1/risk/backtest/ and /api/v1/worklist/.
Reading needs the KPI permission (viewer and above); a user limited to their own customers gets
the risk list and worklist of those (accounts.scoping)."""

from datetime import date

import strawberry
from strawberry.types import Info

from metrics.graphql.schema import run
from metrics.scope import build_scope, today
from worklist import backtest, engine
from worklist.graphql.types import BacktestType, RiskPageType, WorklistType


def user_of(info: Info):
    """The request's user: a user limited to their own customers gets those (accounts.scoping)."""
    return getattr(info.context.request, "user", None)


def _params(as_of, rep, segment, customer, product_line, currency) -> dict:
    return {
        "as_of": as_of,
        "rep": rep,
        "segment": segment,
        "customer": customer,
        "product_line": product_line,
        "currency": currency,
    }


@strawberry.type
class Query:
    @strawberry.field(description="Payment-risk score of the invoices open at asOf, explained.")
    def risk(
        self,
        info: Info,
        as_of: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> RiskPageType:
        def resolve():
            page_limit, page_offset = engine.page_bounds(limit, offset)
            scope, day = engine.scope_at(
                _params(as_of, rep, segment, customer, product_line, currency), user_of(info)
            )
            page = engine.risk_page(
                scope,
                day,
                limit=page_limit,
                offset=page_offset,
            )
            return RiskPageType.of(page)

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="Open invoices ranked by cash at risk, with the next action.")
    def worklist(
        self,
        info: Info,
        as_of: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
        no_activity_days: int | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> WorklistType:
        def resolve():
            page_limit, page_offset = engine.page_bounds(limit, offset)
            days = engine.no_activity_days_of(no_activity_days)
            scope, day = engine.scope_at(
                _params(as_of, rep, segment, customer, product_line, currency), user_of(info)
            )
            page = engine.worklist_page(
                scope,
                day,
                no_activity_days=days,
                limit=page_limit,
                offset=page_offset,
            )
            return WorklistType.of(page)

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="The score's ROC AUC and calibration vs the baseline.")
    def risk_backtest(
        self,
        info: Info,
        start: date | None = None,
        end: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> BacktestType:
        def resolve():
            first, last = start, end
            if first is None and last is None:
                first, last = backtest.previous_year(today())
            scope = build_scope(
                start=first,
                end=last,
                rep=rep,
                segment=segment,
                customer=customer,
                product_line=product_line,
                currency=currency,
            )
            return BacktestType.of(backtest.backtest(scope, scope.start, scope.end))

        return run(info, resolve)
