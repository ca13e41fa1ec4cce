"""The KPI engine: summary, series, breakdown, aging, reminder funnel, time to invoice, glossary.

Plain functions taking a validated `Scope` (see `metrics.scope.build_scope`) and returning
frozen dataclasses with exact Decimals (`metrics.results`). REST (`metrics.api`) and GraphQL
(`metrics.graphql`) only render them, rounding with `metrics.thresholds.rendered`. Aging, time
to invoice and the glossary are computed in their own modules (`metrics.aging`,
`metrics.time_to_invoice`, `metrics.glossary`) and called from here like the others.

Query budget (independent of data size, period length and number of points or groups):
`summary` 5 queries (6 with a product line) — the AR movements, the facts of every other
building block of `metrics.blocks` together (the ones a product line does not narrow apart),
the pipeline's open count, all for both periods at once, plus the thresholds and the
currencies present;
`series` the blocks its KPIs need (the AR movements are one query on the rollup, three on
the source rows); `breakdown` those for both periods at once (DSO by customer: one query,
`metrics.balances`), plus the thresholds and the group names; `aging` two;
`time_to_invoice` four.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import Customer, SalesRep, Segment
from metrics import blocks
from metrics.aging import aging
from metrics.balances import Ranking, balances_by_customer
from metrics.book import currencies, product_lines
from metrics.definitions import (
    COUNTBACK,
    CURRENT,
    KEYS,
    KPI,
    KPIS,
    LEDGER,
    Inputs,
    countback_dates,
    ratio,
)
from metrics.errors import ErrorCode
from metrics.glossary import glossary
from metrics.results import (
    Breakdown,
    BreakdownRow,
    Change,
    KPIValue,
    ReminderFunnel,
    Series,
    SeriesPoint,
    Summary,
)
from metrics.scope import Period, Scope, check_points, split
from metrics.thresholds import Thresholds, moved, rendered, sentence, severity
from metrics.time_to_invoice import time_to_invoice
from o2c_api.errors import ErrorCode as PageCode

# The public entry point of the KPI reports: other apps call `engine.<report>(...)`, whichever
# module of `metrics` computes it.
__all__ = [
    "MAX_BREAKDOWN_LIMIT",
    "aging",
    "breakdown",
    "change_of",
    "compare_values",
    "compute",
    "currencies",
    "get_kpi",
    "glossary",
    "group_names",
    "many_series",
    "product_lines",
    "rank_key",
    "reminder_funnel",
    "series",
    "summary",
    "time_to_invoice",
]

# --- the core: every needed block once, then the formulas ---------------------------------


def get_kpi(key: str) -> KPI:
    """The KPI of a key. Raises ValidationError(unknown_kpi)."""
    if key not in KPIS:
        raise ValidationError(
            {
                "key": ValidationError(
                    f"Unknown KPI {key!r}; valid keys: {', '.join(KEYS)}.",
                    ErrorCode.UNKNOWN_KPI,
                )
            }
        )
    return KPIS[key]


def compute(
    scope: Scope,
    keys: Sequence[str],
    periods: Sequence[Period],
    group_by: str | None = None,
) -> dict[tuple[str, object, int], Decimal | None]:
    """Values of `keys` for every (group, period): {(key, group, k): value}, k from 1.

    Runs each building block the keys need once, for all periods and groups.
    """
    kpis = [KPIS[key] for key in keys]
    needed = {block for kpi in kpis for block in kpi.blocks}
    movements = None
    if LEDGER in needed:
        dates, current = set(), set()
        for p in periods:
            dates |= {p.start - timedelta(days=1), p.end}
            if CURRENT in needed:
                current.add(p.end)
            if COUNTBACK in needed:
                dates |= set(countback_dates(p))
        movements = blocks.movements(scope, dates, current, group_by)
    results = blocks.fetch(scope, periods, group_by, [b for b in blocks.BLOCKS if b in needed])
    groups = {None} if group_by is None else set()
    if group_by is not None:
        if movements is not None:
            groups |= movements.groups()
        for rows in results.values():
            groups |= {g for g, _ in rows}
    values = {}
    for g in groups:
        for k, period in enumerate(periods, start=1):
            inputs = Inputs(
                movements=movements,
                rows={name: rows.get((g, k)) for name, rows in results.items()},
                group=g,
                period=period,
            )
            for kpi in kpis:
                values[(kpi.key, g, k)] = kpi.compute(inputs)
    return values


def compare_values(
    scope: Scope, keys: Sequence[str], previous: Period, group_by: str | None = None
) -> tuple[dict, dict]:
    """Values of `keys` for the scope's period and for `previous`: ({(key, group): value}) × 2.

    The building blocks take contiguous periods, so a previous period that is not the one
    just before P (`previous_year`) is computed with the gap between them as a third period,
    still one pass of each block; one that overlaps P (a year-on-year period longer than a
    year) takes a second pass.
    """
    current = scope.period
    if previous.end < current.start:
        periods = [previous]
        if previous.end + timedelta(days=1) < current.start:
            periods.append(
                Period(previous.end + timedelta(days=1), current.start - timedelta(days=1))
            )
        periods.append(current)
        values = compute(scope, keys, periods, group_by)
        now, before = len(periods), 1
        return (
            {(key, g): v for (key, g, k), v in values.items() if k == now},
            {(key, g): v for (key, g, k), v in values.items() if k == before},
        )
    values_now = compute(scope, keys, [current], group_by)
    values_before = compute(scope, keys, [previous], group_by)
    return (
        {(key, g): v for (key, g, _), v in values_now.items()},
        {(key, g): v for (key, g, _), v in values_before.items()},
    )


def change_of(value: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """The change between the rendered values, so `from 41.2 to 48.9 (+7.7)` adds up."""
    if value is None or previous is None:
        return None
    return rendered(value) - rendered(previous)


def summary(scope: Scope, keys: Sequence[str] = KEYS, compare: str = "previous_period") -> Summary:
    """Every KPI for the scope and for the previous period, with statuses and what changed.

    Args:
        scope: a validated scope.
        keys: the KPIs to compute (all of the spec by default).
        compare: `previous_period` or `previous_year` (`metrics.scope.previous_period`).

    Returns:
        Summary with `kpis` in the spec's order and `changes` worst first.

    Raises:
        ValidationError: invalid_compare.
    """
    previous_scope = scope.previous(compare)
    now, before = compare_values(scope, keys, previous_scope.period)
    thresholds = Thresholds(keys)
    kpis, changed = {}, []
    for key in keys:
        kpi = KPIS[key]
        value, previous = now[(key, None)], before[(key, None)]
        status = thresholds.status(key, value, scope.segment)
        previous_status = thresholds.status(key, previous, scope.segment)
        change = change_of(value, previous)
        kpis[key] = KPIValue(
            key, value, previous, change, status, previous_status, kpi.unit, kpi.better
        )
        if (value is not None or previous is not None) and (
            status != previous_status or moved(value, previous)
        ):
            text = sentence(kpi, value, previous, change, status, scope.currency)
            changed.append(
                (
                    severity(status, change, kpi.better, value, previous),
                    Change(key, previous, value, change, status, kpi.unit, text),
                )
            )
    changed.sort(key=lambda item: item[0])
    return Summary(
        scope,
        previous_scope,
        compare,
        currencies(scope),
        kpis,
        tuple(item for _, item in changed),
    )


def series(key: str, scope: Scope, interval: str) -> Series:
    """One KPI for each week, month or quarter of the scope's period (clipped at its ends).

    Raises:
        ValidationError: unknown_kpi, invalid_interval, too_many_points.
    """
    return many_series([key], scope, interval)[0]


def many_series(keys: Sequence[str], scope: Scope, interval: str) -> tuple[Series, ...]:
    """Several KPIs over the same sub-periods, every building block they need run once.

    Raises:
        ValidationError: unknown_kpi (listing the valid keys), invalid_interval,
            too_many_points.
    """
    kpis = [get_kpi(key) for key in keys]
    check_points(len(kpis), scope.period, interval)
    periods = split(scope.period, interval)
    values = compute(scope, keys, periods)
    present = currencies(scope)
    return tuple(
        Series(
            kpi.key,
            interval,
            scope,
            kpi.unit,
            tuple(
                SeriesPoint(p.start, p.end, values[(kpi.key, None, k)])
                for k, p in enumerate(periods, start=1)
            ),
            present,
        )
        for kpi in kpis
    )


MAX_BREAKDOWN_LIMIT = 500


def breakdown(
    key: str,
    scope: Scope,
    group_by: str,
    limit: int = 20,
    offset: int = 0,
    compare: str = "previous_period",
) -> Breakdown:
    """One KPI per rep, segment, product line or customer, worst first (nulls last), with
    each group's value over the previous period and the change; a page of `limit` groups
    from `offset`.

    "Worst" follows the KPI's direction; for KPIs without one the largest value comes first.
    A segment row is coloured by that segment's own threshold when it has one. A group with
    a value only in the previous period is listed too (its value null).

    Raises:
        ValidationError: unknown_kpi, invalid_group_by, not_applicable, invalid_limit,
            invalid_offset, invalid_compare.
    """
    kpi = get_kpi(key)
    if group_by not in blocks.GROUP_BYS:
        raise ValidationError(
            {
                "group_by": ValidationError(
                    f"Unknown group_by {group_by!r}: rep, segment, product_line or customer.",
                    ErrorCode.INVALID_GROUP_BY,
                )
            }
        )
    if group_by not in kpi.group_bys:
        raise blocks.not_applicable(kpi.label, group_by)
    if not 1 <= limit <= MAX_BREAKDOWN_LIMIT:
        raise ValidationError(
            {
                "limit": ValidationError(
                    f"limit is 1 to {MAX_BREAKDOWN_LIMIT}.", PageCode.INVALID_LIMIT
                )
            }
        )
    if offset < 0:
        raise ValidationError(
            {"offset": ValidationError("offset is 0 or more.", PageCode.INVALID_OFFSET)}
        )
    previous_scope = scope.previous(compare)
    thresholds = Thresholds([key])
    if group_by == "customer" and kpi.of_balance is not None:
        count, page = _customers_by_balance(kpi, scope, previous_scope, limit, offset)
    else:
        now, before = compare_values(scope, [key], previous_scope.period, group_by)
        groups = {g for (_, g) in now} | {g for (_, g) in before}
        ranked = sorted(
            ((g, now.get((key, g)), before.get((key, g))) for g in groups), key=rank_key(kpi)
        )
        count, page = len(ranked), ranked[offset : offset + limit]
    names = group_names(group_by, [g for g, _, _ in page])
    rows = tuple(
        BreakdownRow(
            g,
            names.get(g, "(none)"),
            value,
            previous,
            change_of(value, previous),
            thresholds.status(key, value, g if group_by == "segment" else scope.segment),
        )
        for g, value, previous in page
    )
    return Breakdown(
        key,
        group_by,
        scope,
        previous_scope,
        kpi.unit,
        count,
        offset,
        rows,
        currencies(scope),
    )


def rank_key(kpi: KPI):
    """The order of a breakdown's (group, value, previous) rows: worst value first by the
    KPI's direction (largest first without one), nulls last, then by the group as text."""
    sign = 1 if kpi.better == "higher" else -1

    def key(item: tuple) -> tuple:
        group, value, _ = item
        return (value is None, sign * value if value is not None else 0, str(group))

    return key


def _customers_by_balance(
    kpi: KPI, scope: Scope, previous_scope: Scope, limit: int, offset: int
) -> tuple[int, list[tuple]]:
    """A breakdown page of a KPI of AR(end), credit sales(P) and N (`KPI.of_balance`) by
    customer: (customers in all, [(customer, value, previous value)] of the page).

    From one row per customer (`metrics.balances.balances_by_customer`), where the building blocks
    fold every customer's movements per period in Python. PostgreSQL ranks the customers
    and returns the page alone (`rank_key`'s order, a test holds them equal); elsewhere
    they are ranked here.
    """
    formula = kpi.of_balance
    days, days_before = scope.period.days, previous_scope.period.days
    periods = (previous_scope.period, scope.period)
    ranking = None
    if connection.vendor == "postgresql":
        descending = kpi.better != "higher"
        ranking = Ranking(formula.sql, days, descending, limit, offset)
    count, balances = balances_by_customer(scope, periods, ranking)
    values = [
        (
            row.customer,
            formula.compute(row.ar[1], row.sales[1], days),
            formula.compute(row.ar[0], row.sales[0], days_before),
        )
        for row in balances
    ]
    if ranking is None:
        values = sorted(values, key=rank_key(kpi))[offset : offset + limit]
    return count, values


def group_names(group_by: str, ids: list) -> dict:
    """Names of the groups shown (one query; product lines are their own name)."""
    if group_by == "product_line":
        return {g: g or "(none)" for g in ids}
    model = {"rep": SalesRep, "segment": Segment, "customer": Customer}[group_by]
    return dict(
        model.objects.filter(pk__in=[g for g in ids if g is not None]).values_list("pk", "name")
    )


# --- reminder funnel -----------------------------------------------------------------------


def reminder_funnel(scope: Scope) -> ReminderFunnel:
    """Reminders sent in P, clicked, and followed by cash within 7 days (one query)."""
    row = blocks.reminder_funnel(scope, [scope.period]).get((None, 1)) or {}
    sent, clicked, paid = row.get("sent") or 0, row.get("clicked") or 0, row.get("paid") or 0
    rate = ratio(paid, sent)
    return ReminderFunnel(
        scope, sent, clicked, paid, None if rate is None else rate * 100, currencies(scope)
    )
