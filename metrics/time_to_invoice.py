"""Time to invoice: mean, median and p90 days from order to invoice, and the slowest invoices.

`time_to_invoice` is answered through `metrics.engine`, as every report is. The count and the
sum of days are the `time_to_invoice` building block (`metrics.blocks`); the percentiles and
the slowest invoices read the invoices of the period (`order_days`, `metrics.facts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from metrics import blocks, facts
from metrics.book import currencies
from metrics.definitions import ratio
from metrics.scope import Scope


@dataclass(frozen=True)
class SlowInvoice:
    invoice_id: int
    number: str
    customer_id: int
    order_id: int
    order_date: date
    issue_date: date
    days: int


@dataclass(frozen=True)
class TimeToInvoice:
    scope: Scope
    count: int
    mean: Decimal | None
    median: Decimal | None
    p90: Decimal | None
    slowest: tuple[SlowInvoice, ...]
    currencies: tuple[str, ...] = ()


MEDIAN, P90 = Decimal("0.5"), Decimal("0.9")


def time_to_invoice(scope: Scope, slowest: int = 10) -> TimeToInvoice:
    """Mean, median and p90 days from order to invoice in P, and the slowest invoices.

    Four queries: the count and sum, one bounded query per percentile, the slowest.
    """
    row = blocks.time_to_invoice(scope, [scope.period]).get((None, 1)) or {}
    count = row.get("invoiced") or 0
    slow = tuple(
        SlowInvoice(
            r["id"],
            r["number"],
            r["customer_id"],
            r["order_id"],
            r["order__order_date"],
            r["issue_date"],
            r["kpi_days"],
        )
        for r in slowest_invoices(scope, slowest)
    )
    return TimeToInvoice(
        scope,
        count,
        ratio(row.get("days"), count),
        time_to_invoice_percentile(scope, count, MEDIAN),
        time_to_invoice_percentile(scope, count, P90),
        slow,
        currencies(scope),
    )


def _time_to_invoice_qs(scope: Scope):
    """The scope's invoices with an order, with `kpi_days` (the `order_days` fact)."""
    invoices = facts.Invoices()
    return (
        invoices.scoped(**scope.filters())
        .filter(order__isnull=False, issue_date__gte=scope.start, issue_date__lte=scope.end)
        .annotate(kpi_days=invoices.measures["order_days"])
    )


def time_to_invoice_percentile(scope: Scope, count: int, fraction: Decimal) -> Decimal | None:
    """percentile_cont(fraction) of the days of the scope's period: one bounded query.

    With the n values sorted, the position is fraction × (n − 1); the two neighbouring ranks
    are read with OFFSET/LIMIT (at most two rows) and interpolated linearly, exactly as
    PostgreSQL's percentile_cont does, on every backend.
    """
    if count == 0:
        return None
    position = fraction * (count - 1)
    low = int(position)
    high = min(low + 1, count - 1)
    qs = _time_to_invoice_qs(scope)
    values = list(qs.order_by("kpi_days", "id").values_list("kpi_days", flat=True)[low : high + 1])
    lower = Decimal(values[0])
    upper = Decimal(values[-1])
    return lower + (position - low) * (upper - lower)


def slowest_invoices(scope: Scope, limit: int = 10) -> list[dict]:
    """The invoices of the period that took longest from order to invoice (one query)."""
    return list(
        _time_to_invoice_qs(scope)
        .order_by("-kpi_days", "issue_date", "id")
        .values(
            "id", "number", "customer_id", "order_id", "order__order_date", "issue_date", "kpi_days"
        )[:limit]
    )
