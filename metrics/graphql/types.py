"""GraphQL types of the KPIs: each renders an engine dataclass, no arithmetic here.

Numbers are the engine's exact Decimals rounded by `metrics.thresholds.rendered`, as Float —
the same numbers REST answers with.
"""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.scalars import JSON

from metrics import engine
from metrics.definitions import KPIS
from metrics.scope import Scope
from metrics.thresholds import rendered


def number(value) -> float | None:
    value = rendered(value)
    return None if value is None else float(value)


@strawberry.type(name="KpiScope", description="The period and filters a KPI was computed for.")
class ScopeType:
    start: date
    end: date
    rep: int | None
    segment: int | None
    customer: int | None
    product_line: str | None
    currency: str

    @classmethod
    def of(cls, scope: Scope) -> ScopeType:
        return cls(
            start=scope.start,
            end=scope.end,
            rep=scope.rep,
            segment=scope.segment,
            customer=scope.customer,
            product_line=scope.product_line,
            currency=scope.currency,
        )


@strawberry.type(name="KpiValue", description="A KPI for the scope and the previous period.")
class KPIValueType:
    value: float | None
    previous: float | None
    change: float | None
    status: str | None
    unit: str
    better: str | None

    @classmethod
    def of(cls, kpi: engine.KPIValue) -> KPIValueType:
        return cls(
            value=number(kpi.value),
            previous=number(kpi.previous),
            change=number(kpi.change),
            status=kpi.status,
            unit=kpi.unit,
            better=kpi.better,
        )


def _kpis_type():
    """`Kpis`: one field per KPI key of the spec (camelCase), plus scope and whatChanged."""
    annotations = {key: KPIValueType for key in KPIS}
    namespace = {
        key: strawberry.field(description=f"{kpi.label}: {kpi.explanation}")
        for key, kpi in KPIS.items()
    }
    annotations |= {
        "scope": ScopeType,
        "previous_scope": ScopeType,
        "what_changed": list[str],
    }
    namespace["__annotations__"] = annotations
    namespace["__doc__"] = "Every KPI of the spec for a scope, with what changed (worst first)."
    return strawberry.type(type("KPIsType", (), namespace), name="Kpis")


KPIsType = _kpis_type()


def kpis_of(summary: engine.Summary):
    return KPIsType(
        scope=ScopeType.of(summary.scope),
        previous_scope=ScopeType.of(summary.previous_scope),
        what_changed=list(summary.what_changed),
        **{key: KPIValueType.of(kpi) for key, kpi in summary.kpis.items()},
    )


@strawberry.type(name="KpiSeriesPoint")
class SeriesPointType:
    start: date
    end: date
    value: float | None


@strawberry.type(name="KpiSeries", description="One KPI per week, month or quarter of P.")
class SeriesType:
    key: str
    interval: str
    unit: str
    scope: ScopeType
    points: list[SeriesPointType]

    @classmethod
    def of(cls, series: engine.Series) -> SeriesType:
        return cls(
            key=series.key,
            interval=series.interval,
            unit=series.unit,
            scope=ScopeType.of(series.scope),
            points=[
                SeriesPointType(start=p.start, end=p.end, value=number(p.value))
                for p in series.points
            ],
        )


@strawberry.type(name="KpiGroup")
class GroupType:
    id: JSON | None = strawberry.field(description="Rep, segment or customer id; product line.")
    name: str


@strawberry.type(name="KpiBreakdownRow")
class BreakdownRowType:
    group: GroupType
    value: float | None
    status: str | None


@strawberry.type(name="KpiBreakdown", description="One KPI per group, worst first.")
class BreakdownType:
    key: str
    group_by: str
    unit: str
    scope: ScopeType
    rows: list[BreakdownRowType]

    @classmethod
    def of(cls, breakdown: engine.Breakdown) -> BreakdownType:
        return cls(
            key=breakdown.key,
            group_by=breakdown.group_by,
            unit=breakdown.unit,
            scope=ScopeType.of(breakdown.scope),
            rows=[
                BreakdownRowType(
                    group=GroupType(id=row.group_id, name=row.group_name),
                    value=number(row.value),
                    status=row.status,
                )
                for row in breakdown.rows
            ],
        )


@strawberry.type(name="AgingBucket")
class AgingBucketType:
    bucket: str
    amount: float
    invoice_count: int
    activity_count: int
    invoices_without_activity: int


@strawberry.type(name="Aging", description="Open AR at a date by days past due, with activity.")
class AgingType:
    as_of: date
    currency: str
    total: float
    buckets: list[AgingBucketType]

    @classmethod
    def of(cls, aging: engine.Aging) -> AgingType:
        return cls(
            as_of=aging.as_of,
            currency=aging.scope.currency,
            total=number(aging.total),
            buckets=[
                AgingBucketType(
                    bucket=b.bucket,
                    amount=number(b.amount),
                    invoice_count=b.invoice_count,
                    activity_count=b.activity_count,
                    invoices_without_activity=b.invoices_without_activity,
                )
                for b in aging.buckets
            ],
        )


@strawberry.type(name="ReminderFunnel")
class ReminderFunnelType:
    scope: ScopeType
    sent: int
    clicked: int
    paid: int
    conversion_rate: float | None

    @classmethod
    def of(cls, funnel: engine.ReminderFunnel) -> ReminderFunnelType:
        return cls(
            scope=ScopeType.of(funnel.scope),
            sent=funnel.sent,
            clicked=funnel.clicked,
            paid=funnel.paid,
            conversion_rate=number(funnel.conversion_rate),
        )


@strawberry.type(name="SlowInvoice")
class SlowInvoiceType:
    invoice_id: int
    number: str
    customer_id: int
    order_id: int
    order_date: date
    issue_date: date
    days: int


@strawberry.type(name="TimeToInvoice")
class TimeToInvoiceType:
    scope: ScopeType
    count: int
    mean: float | None
    median: float | None
    p90: float | None
    slowest: list[SlowInvoiceType]

    @classmethod
    def of(cls, result: engine.TimeToInvoice) -> TimeToInvoiceType:
        return cls(
            scope=ScopeType.of(result.scope),
            count=result.count,
            mean=number(result.mean),
            median=number(result.median),
            p90=number(result.p90),
            slowest=[
                SlowInvoiceType(
                    invoice_id=s.invoice_id,
                    number=s.number,
                    customer_id=s.customer_id,
                    order_id=s.order_id,
                    order_date=s.order_date,
                    issue_date=s.issue_date,
                    days=s.days,
                )
                for s in result.slowest
            ],
        )


@strawberry.type(name="KpiGlossaryEntry")
class GlossaryEntryType:
    key: str
    label: str
    explanation: str
    formula: str
    unit: str
    better: str | None
    owner: str
    playbook_url: str
    choices: list[str]

    @classmethod
    def of(cls, entry: engine.GlossaryEntry) -> GlossaryEntryType:
        return cls(
            key=entry.key,
            label=entry.label,
            explanation=entry.explanation,
            formula=entry.formula,
            unit=entry.unit,
            better=entry.better,
            owner=entry.owner,
            playbook_url=entry.playbook_url,
            choices=list(entry.choices),
        )
