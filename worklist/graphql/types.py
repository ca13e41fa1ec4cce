"""GraphQL types of the risk score, backtest and worklist: each renders a dataclass of
`worklist.engine` / `worklist.backtest`, no arithmetic here. Scores and points are Floats
with one decimal, money Decimals: the numbers REST answers with."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from metrics.graphql.types import ScopeType
from worklist import backtest, engine, risk


def _float(value) -> float | None:
    return None if value is None else float(value)


@strawberry.type(name="RiskModelInfo", description="The weights that scored.")
class ModelType:
    source: str
    id: int | None
    fitted_at: datetime | None
    training_start: date | None
    training_end: date | None
    training_rows: int | None
    description: str
    intercept: float
    weights: JSON

    @classmethod
    def of(cls, model: risk.Model) -> ModelType:
        return cls(
            source=model.source,
            id=model.id,
            fitted_at=model.fitted_at,
            training_start=model.training_start,
            training_end=model.training_end,
            training_rows=model.training_rows,
            description=model.description,
            intercept=model.intercept,
            weights=dict(model.weights),
        )


@strawberry.type(name="RiskFactor", description="One factor's value and the points it adds.")
class ContributionType:
    factor: str
    label: str
    value: float
    points: float

    @classmethod
    def of(cls, c: risk.Contribution) -> ContributionType:
        return cls(factor=c.factor, label=c.label, value=c.value, points=float(c.points))


@strawberry.type(name="InvoiceRisk")
class InvoiceRiskType:
    invoice: strawberry.ID
    invoice_number: str
    customer: strawberry.ID
    customer_name: str
    due_date: date
    open_amount: Decimal
    days_past_due: int
    score: float
    base: float
    factors: list[ContributionType]

    @classmethod
    def of(cls, r: engine.InvoiceRisk) -> InvoiceRiskType:
        return cls(
            invoice=strawberry.ID(str(r.invoice_id)),
            invoice_number=r.invoice_number,
            customer=strawberry.ID(str(r.customer_id)),
            customer_name=r.customer_name,
            due_date=r.due_date,
            open_amount=r.open_amount,
            days_past_due=r.days_past_due,
            score=float(r.score),
            base=float(r.base),
            factors=[ContributionType.of(c) for c in r.factors],
        )


@strawberry.type(name="RiskPage")
class RiskPageType:
    total_count: int
    as_of: date
    model: ModelType
    results: list[InvoiceRiskType]

    @classmethod
    def of(cls, page: engine.RiskPage) -> RiskPageType:
        return cls(
            total_count=page.count,
            as_of=page.as_of,
            model=ModelType.of(page.model),
            results=[InvoiceRiskType.of(r) for r in page.results],
        )


@strawberry.type(name="WorkItemActivity")
class LastActivityType:
    kind: str
    outcome: str
    occurred_at: datetime
    days_ago: int


@strawberry.type(name="WorkItemPromise")
class OpenPromiseType:
    id: strawberry.ID
    amount: Decimal
    promised_date: date


@strawberry.type(name="WorkItemDispute")
class OpenDisputeType:
    id: strawberry.ID
    reason: str
    amount: Decimal
    opened_date: date


@strawberry.type(name="WorkItem", description="One line of the collector's worklist.")
class WorkItemType:
    invoice: strawberry.ID
    invoice_number: str
    customer: strawberry.ID
    customer_name: str
    rep: strawberry.ID | None
    rep_name: str | None
    currency: str
    due_date: date
    open_amount: Decimal
    days_past_due: int
    score: float
    cash_at_risk: Decimal
    top_factors: list[ContributionType]
    last_activity: LastActivityType | None
    open_promise: OpenPromiseType | None
    open_dispute: OpenDisputeType | None
    action: str
    reason: str

    @classmethod
    def of(cls, item: engine.WorkItem) -> WorkItemType:
        activity, promise, dispute = item.last_activity, item.open_promise, item.open_dispute
        return cls(
            invoice=strawberry.ID(str(item.invoice_id)),
            invoice_number=item.invoice_number,
            customer=strawberry.ID(str(item.customer_id)),
            customer_name=item.customer_name,
            rep=None if item.rep_id is None else strawberry.ID(str(item.rep_id)),
            rep_name=item.rep_name,
            currency=item.currency,
            due_date=item.due_date,
            open_amount=item.open_amount,
            days_past_due=item.days_past_due,
            score=float(item.score),
            cash_at_risk=item.cash_at_risk,
            top_factors=[ContributionType.of(c) for c in item.top_factors],
            last_activity=None
            if activity is None
            else LastActivityType(
                kind=activity.kind,
                outcome=activity.outcome,
                occurred_at=activity.occurred_at,
                days_ago=activity.days_ago,
            ),
            open_promise=None
            if promise is None
            else OpenPromiseType(
                id=strawberry.ID(str(promise.id)),
                amount=promise.amount,
                promised_date=promise.promised_date,
            ),
            open_dispute=None
            if dispute is None
            else OpenDisputeType(
                id=strawberry.ID(str(dispute.id)),
                reason=dispute.reason,
                amount=dispute.amount,
                opened_date=dispute.opened_date,
            ),
            action=item.action,
            reason=item.reason,
        )


@strawberry.type(name="Worklist")
class WorklistType:
    total_count: int
    as_of: date
    no_activity_days: int | None
    model: ModelType
    results: list[WorkItemType]

    @classmethod
    def of(cls, page: engine.Worklist) -> WorklistType:
        return cls(
            total_count=page.count,
            as_of=page.as_of,
            no_activity_days=page.no_activity_days,
            model=ModelType.of(page.model),
            results=[WorkItemType.of(item) for item in page.results],
        )


@strawberry.type(name="RiskBand", description="Invoices whose score fell in [low, high).")
class BandType:
    low: int
    high: int
    count: int
    late: int
    late_share: float | None
    mean_score: float | None


@strawberry.type(name="RiskQuality")
class QualityType:
    auc: float | None
    bands: list[BandType]

    @classmethod
    def of(cls, quality: backtest.Quality) -> QualityType:
        return cls(
            auc=quality.auc,
            bands=[
                BandType(
                    low=b.low,
                    high=b.high,
                    count=b.count,
                    late=b.late,
                    late_share=b.late_share,
                    mean_score=b.mean_score,
                )
                for b in quality.bands
            ],
        )


@strawberry.type(name="RiskBacktest")
class BacktestType:
    start: date
    end: date
    scope: ScopeType
    model: ModelType
    month_ends: list[date]
    count: int
    late: int
    score: QualityType
    baseline: QualityType

    @classmethod
    def of(cls, result: backtest.Backtest) -> BacktestType:
        return cls(
            start=result.start,
            end=result.end,
            scope=ScopeType.of(result.scope),
            model=ModelType.of(result.model),
            month_ends=list(result.month_ends),
            count=result.count,
            late=result.late,
            score=QualityType.of(result.score),
            baseline=QualityType.of(result.baseline),
        )
