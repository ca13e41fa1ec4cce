"""GraphQL types of the KPIs: each renders an engine dataclass, no arithmetic here.

Numbers are rendered by `metrics.render.measure`, as REST renders them: a money value is a
decimal string with its currency beside it, days and percentages are numbers rounded to two
decimals (carried by the `JSON` scalar). Keys, intervals, group-by dimensions,
comparisons and statuses are enums whose values are REST's words in upper case.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from metrics.aging import Aging
from metrics.definitions import KPIS, REPORTS
from metrics.glossary import GlossaryEntry
from metrics.render import currency_of, measure
from metrics.results import Breakdown, Change, KPIValue, ReminderFunnel, Series, Summary
from metrics.scope import COMPARES, INTERVALS, Scope
from metrics.thresholds import rendered
from metrics.time_to_invoice import TimeToInvoice

# A KPI value: a decimal string for money (its currency beside it), a number rounded to two
# decimals for days and percentages — REST's rendering, carried as the JSON scalar.
KpiNumber = JSON


def _enum(name: str, values, description: str):
    return strawberry.enum(
        Enum(name, {value.upper(): value for value in values}), name=name, description=description
    )


KpiKey = _enum("KpiKey", KPIS, "A KPI of the spec (REST's key in upper case).")
# The glossary also explains the forward-looking reports (the outlook app's), which are not
# KPIs: no series or breakdown takes their keys.
KpiGlossaryKey = _enum(
    "KpiGlossaryKey",
    (*KPIS, *REPORTS),
    "A KPI or forward-looking report of the spec (REST's key in upper case).",
)
KpiInterval = _enum("KpiInterval", INTERVALS, "How a series splits its period.")
KpiGroupBy = _enum(
    "KpiGroupBy", ("rep", "segment", "product_line", "customer"), "A breakdown dimension."
)
KpiCompare = _enum(
    "KpiCompare",
    COMPARES,
    "What `previous` is computed over: the previous period (a whole calendar month, quarter "
    "or year: the one before; otherwise the same number of days just before) or the same "
    "dates a year earlier.",
)
KpiStatus = _enum("KpiStatus", ("green", "amber", "red"), "A KPI's colour by its thresholds.")


def status_of(value: str | None):
    return None if value is None else KpiStatus(value)


@strawberry.type(name="KpiScope", description="The period and filters a KPI was computed for.")
class ScopeType:
    start: date
    end: date
    partial: bool = strawberry.field(description="The period ends after today.")
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
            partial=scope.partial,
            rep=scope.rep,
            segment=scope.segment,
            customer=scope.customer,
            product_line=scope.product_line,
            currency=scope.currency,
        )


@strawberry.type(name="KpiValue", description="A KPI for the scope and the previous period.")
class KPIValueType:
    value: KpiNumber | None
    previous: KpiNumber | None
    change: KpiNumber | None
    status: KpiStatus | None
    previous_status: KpiStatus | None
    unit: str
    currency: str | None = strawberry.field(description="ISO 4217 code of a money value.")
    better: str | None

    @classmethod
    def of(cls, kpi: KPIValue, currency: str) -> KPIValueType:
        return cls(
            value=measure(kpi.value, kpi.unit),
            previous=measure(kpi.previous, kpi.unit),
            change=measure(kpi.change, kpi.unit),
            status=status_of(kpi.status),
            previous_status=status_of(kpi.previous_status),
            unit=kpi.unit,
            currency=currency_of(kpi.unit, currency),
            better=kpi.better,
        )


@strawberry.type(name="KpiChange", description="One line of what changed, structured.")
class ChangeType:
    key: KpiKey
    previous: KpiNumber | None
    value: KpiNumber | None
    change: KpiNumber | None
    status: KpiStatus | None
    unit: str
    currency: str | None
    sentence: str

    @classmethod
    def of(cls, change: Change, currency: str) -> ChangeType:
        return cls(
            key=KpiKey(change.key),
            previous=measure(change.previous, change.unit),
            value=measure(change.value, change.unit),
            change=measure(change.change, change.unit),
            status=status_of(change.status),
            unit=change.unit,
            currency=currency_of(change.unit, currency),
            sentence=change.sentence,
        )


def _kpis_type():
    """`Kpis`: one field per KPI key of the spec (camelCase), plus scope and what changed."""
    annotations = {key: KPIValueType for key in KPIS}
    namespace = {
        key: strawberry.field(description=f"{kpi.label}: {kpi.explanation}")
        for key, kpi in KPIS.items()
    }
    annotations |= {
        "scope": ScopeType,
        "previous_scope": ScopeType,
        "compare": KpiCompare,
        "currencies": list[str],
        "what_changed": list[str],
        "changes": list[ChangeType],
    }
    namespace["currencies"] = strawberry.field(
        description="Every currency the filters find invoices in (amounts are in scope's)."
    )
    namespace["__annotations__"] = annotations
    namespace["__doc__"] = "Every KPI of the spec for a scope, with what changed (worst first)."
    return strawberry.type(type("KPIsType", (), namespace), name="Kpis")


KPIsType = _kpis_type()


def kpis_of(summary: Summary):
    currency = summary.scope.currency
    return KPIsType(
        scope=ScopeType.of(summary.scope),
        previous_scope=ScopeType.of(summary.previous_scope),
        compare=KpiCompare(summary.compare),
        currencies=list(summary.currencies),
        what_changed=list(summary.what_changed),
        changes=[ChangeType.of(change, currency) for change in summary.changes],
        **{key: KPIValueType.of(kpi, currency) for key, kpi in summary.kpis.items()},
    )


@strawberry.type(name="KpiSeriesPoint")
class SeriesPointType:
    start: date
    end: date
    value: KpiNumber | None


@strawberry.type(name="KpiSeries", description="One KPI per week, month or quarter of P.")
class SeriesType:
    key: KpiKey
    interval: KpiInterval
    unit: str
    currency: str | None
    scope: ScopeType
    currencies: list[str]
    points: list[SeriesPointType]

    @classmethod
    def of(cls, series: Series) -> SeriesType:
        return cls(
            key=KpiKey(series.key),
            interval=KpiInterval(series.interval),
            unit=series.unit,
            currency=currency_of(series.unit, series.scope.currency),
            scope=ScopeType.of(series.scope),
            currencies=list(series.currencies),
            points=[
                SeriesPointType(start=p.start, end=p.end, value=measure(p.value, series.unit))
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
    value: KpiNumber | None
    previous: KpiNumber | None
    change: KpiNumber | None
    status: KpiStatus | None


@strawberry.type(name="KpiBreakdown", description="One KPI per group, worst first, a page.")
class BreakdownType:
    key: KpiKey
    group_by: KpiGroupBy
    unit: str
    currency: str | None
    scope: ScopeType
    previous_scope: ScopeType
    currencies: list[str]
    total_count: int = strawberry.field(description="Groups in all.")
    results: list[BreakdownRowType]

    @classmethod
    def of(cls, breakdown: Breakdown) -> BreakdownType:
        unit = breakdown.unit
        return cls(
            key=KpiKey(breakdown.key),
            group_by=KpiGroupBy(breakdown.group_by),
            unit=unit,
            currency=currency_of(unit, breakdown.scope.currency),
            scope=ScopeType.of(breakdown.scope),
            previous_scope=ScopeType.of(breakdown.previous_scope),
            currencies=list(breakdown.currencies),
            total_count=breakdown.count,
            results=[
                BreakdownRowType(
                    group=GroupType(id=row.group_id, name=row.group_name),
                    value=measure(row.value, unit),
                    previous=measure(row.previous, unit),
                    change=measure(row.change, unit),
                    status=status_of(row.status),
                )
                for row in breakdown.rows
            ],
        )


@strawberry.type(name="AgingBucket")
class AgingBucketType:
    bucket: str
    label: str
    amount: Decimal
    invoice_count: int
    activity_count: int
    invoices_without_activity: int


@strawberry.type(name="Aging", description="Open AR at a date by days past due, with activity.")
class AgingType:
    as_of: date
    currency: str
    currencies: list[str]
    total: Decimal
    buckets: list[AgingBucketType]

    @classmethod
    def of(cls, aging: Aging) -> AgingType:
        return cls(
            as_of=aging.as_of,
            currency=aging.scope.currency,
            currencies=list(aging.currencies),
            total=rendered(aging.total),
            buckets=[
                AgingBucketType(
                    bucket=b.bucket,
                    label=b.label,
                    amount=rendered(b.amount),
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
    currencies: list[str]
    sent: int
    clicked: int
    paid: int
    conversion_rate: float | None

    @classmethod
    def of(cls, funnel: ReminderFunnel) -> ReminderFunnelType:
        return cls(
            scope=ScopeType.of(funnel.scope),
            currencies=list(funnel.currencies),
            sent=funnel.sent,
            clicked=funnel.clicked,
            paid=funnel.paid,
            conversion_rate=measure(funnel.conversion_rate, "%"),
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
    currencies: list[str]
    count: int
    mean: float | None
    median: float | None
    p90: float | None
    slowest: list[SlowInvoiceType]

    @classmethod
    def of(cls, result: TimeToInvoice) -> TimeToInvoiceType:
        return cls(
            scope=ScopeType.of(result.scope),
            currencies=list(result.currencies),
            count=result.count,
            mean=measure(result.mean, "days"),
            median=measure(result.median, "days"),
            p90=measure(result.p90, "days"),
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
    key: KpiGlossaryKey
    label: str
    explanation: str
    formula: str
    unit: str
    better: str | None
    owner: str
    playbook_url: str
    choices: list[str]

    @classmethod
    def of(cls, entry: GlossaryEntry) -> GlossaryEntryType:
        return cls(
            key=KpiGlossaryKey(entry.key),
            label=entry.label,
            explanation=entry.explanation,
            formula=entry.formula,
            unit=entry.unit,
            better=entry.better,
            owner=entry.owner,
            playbook_url=entry.playbook_url,
            choices=list(entry.choices),
        )
