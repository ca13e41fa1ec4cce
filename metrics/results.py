"""The results of the KPI engine's summary, series, breakdown and reminder funnel.

Frozen dataclasses with exact Decimals (`metrics.engine` computes them); REST and GraphQL only
render them, rounding with `metrics.thresholds.rendered`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from metrics.scope import Scope


@dataclass(frozen=True)
class KPIValue:
    """One KPI for a scope: exact value and previous-period value, the change between the
    rendered values, the status of each, and the KPI's unit and direction."""

    key: str
    value: Decimal | None
    previous: Decimal | None
    change: Decimal | None
    status: str | None
    previous_status: str | None
    unit: str
    better: str | None


@dataclass(frozen=True)
class Change:
    """One line of "what changed": the KPI, its previous and current value, the change
    between the rendered values, the current status, and the generated sentence."""

    key: str
    previous: Decimal | None
    value: Decimal | None
    change: Decimal | None
    status: str | None
    unit: str
    sentence: str


@dataclass(frozen=True)
class Summary:
    """Every KPI for a scope, compared with `previous_scope` (see `metrics.scope.previous_period`).

    `currencies` lists every currency the scope's filters find invoices in, so a client sees
    when the book holds amounts in a currency other than `scope.currency` (never summed).
    """

    scope: Scope
    previous_scope: Scope
    compare: str
    currencies: tuple[str, ...]
    kpis: dict[str, KPIValue]
    changes: tuple[Change, ...]

    @property
    def what_changed(self) -> tuple[str, ...]:
        return tuple(change.sentence for change in self.changes)


@dataclass(frozen=True)
class SeriesPoint:
    start: date
    end: date
    value: Decimal | None


@dataclass(frozen=True)
class Series:
    key: str
    interval: str
    scope: Scope
    unit: str
    points: tuple[SeriesPoint, ...]
    currencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class BreakdownRow:
    """One group's value, its value over the previous period, their change, its status."""

    group_id: int | str | None
    group_name: str
    value: Decimal | None
    previous: Decimal | None
    change: Decimal | None
    status: str | None


@dataclass(frozen=True)
class Breakdown:
    """A page of groups, worst first: `count` groups in all, `rows` from `offset`."""

    key: str
    group_by: str
    scope: Scope
    previous_scope: Scope
    unit: str
    count: int
    offset: int
    rows: tuple[BreakdownRow, ...]
    currencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReminderFunnel:
    scope: Scope
    sent: int
    clicked: int
    paid: int
    conversion_rate: Decimal | None
    currencies: tuple[str, ...] = ()
