"""The KPI engine: summary, series, breakdown, aging, reminder funnel, time to invoice, glossary.

Plain functions taking a validated `Scope` (see `metrics.scope.build_scope`) and returning
frozen dataclasses with exact Decimals. REST (`metrics.api`) and GraphQL (`metrics.graphql`)
only render them, rounding with `metrics.thresholds.rendered`.

Query budget (independent of data size, period length and number of points or groups):
`summary` 5 queries (6 with a product line) — the AR movements, the facts of every other
building block of `metrics.blocks` together (the ones a product line does not narrow apart),
the pipeline's open count, all for both periods at once, plus the thresholds and the
currencies present;
`series` the blocks its KPIs need (the AR movements are one query on the rollup, three on
the source rows); `breakdown` those for both periods at once (DSO by customer: one query,
`blocks.balances_by_customer`), plus the thresholds and the group names; `aging` two;
`time_to_invoice` four.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.utils.timezone import get_current_timezone

from accounts.models import Customer, SalesRep, Segment
from metrics import blocks
from metrics.definitions import (
    COUNTBACK,
    CURRENT,
    KEYS,
    KPI,
    KPIS,
    LEDGER,
    REPORTS,
    Inputs,
    countback_dates,
    ratio,
)
from metrics.errors import ErrorCode
from metrics.models import KPIRollup
from metrics.scope import Period, Scope, check_points, split, today
from metrics.thresholds import Thresholds, moved, rendered, sentence, severity
from o2c_api import sqlcache
from o2c_api.errors import ErrorCode as PageCode
from o2c_api.money import CURRENCIES, ZERO, summed
from receivables import predicates
from receivables.models import Adjustment, CollectionActivity, Invoice, PaymentApplication

# --- results -----------------------------------------------------------------------------


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
class AgingBucket:
    """One bucket of days past due: its open amount, invoices and collection activity."""

    bucket: str
    amount: Decimal
    invoice_count: int
    activity_count: int
    invoices_without_activity: int

    @property
    def label(self) -> str:
        """The bucket as a person reads it ("1–30 days")."""
        return AGING_LABELS[self.bucket]


@dataclass(frozen=True)
class Aging:
    as_of: date
    scope: Scope
    total: Decimal
    buckets: tuple[AgingBucket, ...]
    currencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReminderFunnel:
    scope: Scope
    sent: int
    clicked: int
    paid: int
    conversion_rate: Decimal | None
    currencies: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class GlossaryEntry:
    key: str
    label: str
    explanation: str
    formula: str
    unit: str
    better: str | None
    owner: str
    playbook_url: str
    choices: tuple[str, ...]


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


def currencies(scope: Scope) -> tuple[str, ...]:
    """The currencies of the counting invoices issued by the scope's end within its
    dimension filters, whatever the scope's own currency (one query).

    From the KPI rollup's invoice counts (rows per day, not per invoice) unless the scope
    names a customer, whose own invoices are found by index.
    """
    if blocks.rollup_answers(scope, None):
        filters = {
            name: value
            for name, value in scope.filters().items()
            if value is not None and name != "currency"
        }

        def probes(end: date, **dims) -> tuple[str, list]:
            # One EXISTS probe per known currency: the rollup's key leads with the currency,
            # so each is an index lookup, where a DISTINCT would read every row of the
            # projection.
            dims_scope = Scope(start=end, end=end, currency=scope.currency, **dims)
            projection = blocks.kpi_projection(dims_scope, None, any_currency=True)
            rows = projection.rows.filter(day__lte=end, invoices_issued__gt=0)
            parts, params = [], []
            for currency in CURRENCIES:
                sql, probe = rows.filter(currency=currency).values("pk")[:1].query.sql_with_params()
                parts.append(f"SELECT %s AS currency WHERE EXISTS ({sql})")
                params += [currency, *probe]
            return " UNION ALL ".join(parts), params

        rows = sqlcache.rows(("currencies", tuple(filters)), probes, end=scope.end, **filters)
        return tuple(sorted(row["currency"] for row in rows))
    dims = {**scope.filters(), "currency": None}
    return tuple(
        Invoice.objects.filter(
            predicates.counting()
            & predicates.issued_by(scope.end)
            & predicates.invoice_dimensions(**dims)
        )
        .order_by("currency")
        .values_list("currency", flat=True)
        .distinct()
    )


def product_lines() -> tuple[str, ...]:
    """The product lines of the counting invoices, sorted (one query).

    Read from the KPI rollup's product-line projection (one row per day, currency and line;
    every currency named, so it is a range of the rollup's key), where a DISTINCT over the
    invoices reads every invoice: 20 ms against 100-180 ms at 1M invoices.
    """
    lines = (
        KPIRollup.objects.filter(
            currency__in=CURRENCIES,
            rep_key=KPIRollup.ALL,
            segment_key=KPIRollup.ALL,
            invoices_issued__gt=0,  # a voided invoice leaves its row, with zeros
        )
        .exclude(product_line=KPIRollup.ALL_PRODUCT_LINES)
        .order_by("product_line")
        .values_list("product_line", flat=True)
        .distinct()
    )
    return tuple(line for line in lines if line)


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

    From one row per customer (`blocks.balances_by_customer`), where the building blocks
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
        ranking = blocks.Ranking(formula.sql, days, descending, limit, offset)
    count, balances = blocks.balances_by_customer(scope, periods, ranking)
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


# --- aging -------------------------------------------------------------------------------

AGING_BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
AGING_LABELS = {
    "current": "Current",
    "1_30": "1–30 days past due",
    "31_60": "31–60 days past due",
    "61_90": "61–90 days past due",
    "over_90": "Over 90 days past due",
}


# How far back aging counts activities as the stored count less those logged since: beyond,
# those since outnumber the open invoices (each month about half as many activities as open
# invoices), and a lookup per open invoice is faster. At 1M invoices the two cross about five
# months back (as of 31 Mar: 318 ms by lookups, 357 ms from the stored counts; as of 31 Oct,
# a month before last: 175 against 102).
STORED_ACTIVITY_COUNT_DAYS = 120


def aging_bucket(as_of: date, prefix: str = "") -> Case:
    """The aging bucket (a name of `AGING_BUCKETS`) of an open invoice at as_of, by due date."""
    return _bucket_of_due(_aging_dates(as_of), prefix)


def _aging_dates(as_of: date) -> dict:
    """The dates aging compares with: as_of, the due dates 30, 60 and 90 days before it, and
    the start of the day after it (activities before it count)."""
    return {
        "as_of": as_of,
        **{f"due_{n}": as_of - timedelta(days=n) for n in (30, 60, 90)},
        "next_day": datetime.combine(
            as_of + timedelta(days=1), time.min, tzinfo=get_current_timezone()
        ),
    }


def _bucket_of_due(dates: dict, prefix: str = "") -> Case:
    """`aging_bucket` from `_aging_dates` (values of their own, so the SQL is built once)."""
    due = f"{prefix}__due_date" if prefix else "due_date"
    return Case(
        When(**{f"{due}__gte": dates["as_of"]}, then=Value("current")),
        When(**{f"{due}__gte": dates["due_30"]}, then=Value("1_30")),
        When(**{f"{due}__gte": dates["due_60"]}, then=Value("31_60")),
        When(**{f"{due}__gte": dates["due_90"]}, then=Value("61_90")),
        default=Value("over_90"),
        output_field=CharField(),
    )


def aging(scope: Scope, as_of: date | None = None) -> Aging:
    """Open AR at `as_of` (default the scope's end) by days past due, with collection activity.

    One query (and the currencies present), whatever the data and the date
    (`_open_by_bucket`). The invoices open at as_of (`predicates.open_at`) are read once, in
    two disjoint parts joined by UNION ALL: those not settled today, from
    `invoice_unpaid_aging_idx` alone (an index-only scan of the few unsettled invoices
    instead of their scattered heap pages), and those settled after as_of (none for today;
    from `invoice_settled_covering` alone). Then, united:

    1. Those invoices grouped by bucket and by their number of activities on or before
       as_of, with their current open amount. For an as_of in the last
       `STORED_ACTIVITY_COUNT_DAYS`, that number is the stored `activity_count` (kept by the
       activity services) less the activities logged after as_of, read as one range of the
       (occurred_at, invoice) index grouped per invoice and hash-joined: none for today, a
       few weeks of activities for a recent month end. Further back, where those since
       outnumber the open invoices, a lookup per open invoice in the (invoice, occurred_at)
       index (joining the activities would read every activity ever logged). The count in
       the grouping gives the activity count (Σ count × invoices) and the invoices without
       activity (count 0).
    2. The applications and adjustments of those invoices dated after as_of (one union,
       joined to them), added back per bucket: the services keep open_amount = amount −
       every application − every adjustment (tests/invariants.py), so open at as_of =
       open_amount + what moved after as_of, and reading what moved *after* as_of touches a
       few rows for a recent date where "dated by as_of" would read the whole history of
       the open invoices.

    An invoice is open at as_of exactly when its open amount then is above zero
    (`predicates.open_at`, kept true by the services' `paid_date`), so the bucket amounts add
    up exactly to AR(as_of).

    Args:
        scope: the validated scope; its dimension filters and currency select the invoices.
        as_of: the date to age at, the scope's end by default.

    Returns:
        An `Aging` with one `AgingBucket` per name of `AGING_BUCKETS`, in that order.
    """
    as_of = as_of or scope.end
    filters = blocks.set_filters(scope)
    values = {**filters, **_aging_dates(as_of)}
    # Each query is built once per shape (`o2c_api.sqlcache`): building them through the ORM
    # cost 10-20 ms a call, a tenth of the target.
    shape = tuple(filters)
    stored = as_of >= today() - timedelta(days=STORED_ACTIVITY_COUNT_DAYS)
    build = partial(_open_by_bucket, stored_count=stored)
    rows = sqlcache.rows(("aging", shape, stored), build, **values)
    amount = dict.fromkeys(AGING_BUCKETS, ZERO)
    invoice_count = dict.fromkeys(AGING_BUCKETS, 0)
    activity_count = dict.fromkeys(AGING_BUCKETS, 0)
    without_activity = dict.fromkeys(AGING_BUCKETS, 0)
    # A handful of rows (bucket × distinct activity counts, and what moved per bucket), not
    # one per invoice.
    for row in rows:
        bucket, activities, n = row["kpi_bucket"], row["kpi_activities"], row["n"]
        amount[bucket] += summed(row["amount"])
        if activities is None:  # applied or adjusted after as_of: open then
            continue
        invoice_count[bucket] += n
        activity_count[bucket] += activities * n
        if activities == 0:
            without_activity[bucket] += n

    buckets = tuple(
        AgingBucket(
            name,
            amount[name],
            invoice_count[name],
            activity_count[name],
            without_activity[name],
        )
        for name in AGING_BUCKETS
    )
    return Aging(
        as_of,
        scope,
        sum((b.amount for b in buckets), ZERO),
        buckets,
        currencies(replace(scope, end=as_of)),
    )


def _open_by_bucket(stored_count: bool, **values) -> tuple[str, list]:
    """Aging's query (see `aging`): the invoices open at as_of, read once (a CTE referenced
    twice, which PostgreSQL materialises), in two branches united.

    1. Per bucket and number of activities on or before as_of, their count and today's open
       amount. With `stored_count` (as_of in the last `STORED_ACTIVITY_COUNT_DAYS`), that
       number is the stored `activity_count` less the activities logged after as_of, counted
       per invoice in one range of the (occurred_at, invoice) index and hash-joined; without,
       a count per open invoice in the (invoice, occurred_at) index. (`kpi_activities` is
       never null here.)
    2. Per bucket, the applications and adjustments dated after as_of (`kpi_activities`
       null), joined to the open invoices.

    Two queries, each reading the open invoices from their indexes, and a lookup per open
    invoice in the (invoice, occurred_at) index (55k at 1M invoices, 225-245 ms two months
    back), took 160-175 ms where this takes 100 ms (at 1M, a month before last, load 2).
    """
    as_of = values["as_of"]
    dims_q = predicates.invoice_dimensions(
        **blocks.dimension_filters(values), currency=values["currency"]
    )
    if stored_count:
        by_as_of = F("activity_count")
    else:
        # COUNT(*) with no GROUP BY: 0 rather than no row, and nothing outside the index is
        # read. Run once per open invoice, its estimated cost is far above jit_above_cost:
        # compiling would cost more than the query, which is why the settings turn JIT off.
        by_as_of = Subquery(
            CollectionActivity.objects.filter(
                invoice_id=OuterRef("pk"), occurred_at__lt=values["next_day"]
            )
            .order_by()
            .annotate(kpi_n=Func(template="COUNT(*)", output_field=IntegerField()))
            .values("kpi_n")
        )
    # `predicates.open_at` in its two disjoint parts, not settled and settled after as_of,
    # each read from its own index (and neither has its selectivity counted twice, which made
    # PostgreSQL expect 4k rows instead of 54k and sort them).
    parts = [
        Invoice.objects.filter(part & dims_q)
        .annotate(kpi_bucket=_bucket_of_due(values), kpi_by_as_of=by_as_of)
        .values("id", "kpi_bucket", "open_amount", "kpi_by_as_of")
        .order_by()
        for part in predicates.open_at_parts(as_of)
    ]
    open_sql, open_params = parts[0].union(parts[1], all=True).order_by().query.sql_with_params()
    activities = "kpi_open.kpi_by_as_of"
    later_join, later_params = "", []
    if stored_count:
        later = (
            CollectionActivity.objects.filter(
                occurred_at__gte=values["next_day"], invoice_id__isnull=False
            )
            .values("invoice_id")
            .annotate(n=Count("*"))
            .order_by()
        )
        later_sql, later_params = later.query.sql_with_params()
        activities = "kpi_open.kpi_by_as_of - COALESCE(kpi_later.n, 0)"
        later_join = f"LEFT JOIN ({later_sql}) kpi_later ON kpi_later.invoice_id = kpi_open.id "
    moved = (
        PaymentApplication.objects.filter(applied_date__gt=as_of)
        .values("invoice_id", "amount")
        .order_by()
        .union(
            Adjustment.objects.filter(adjustment_date__gt=as_of)
            .values("invoice_id", "amount")
            .order_by(),
            all=True,
        )
        .order_by()
    )
    moved_sql, moved_params = moved.query.sql_with_params()
    return (
        f"WITH kpi_open AS ({open_sql}) "
        f"SELECT kpi_open.kpi_bucket, {activities} AS kpi_activities, "
        "SUM(kpi_open.open_amount) AS amount, COUNT(*) AS n "
        f"FROM kpi_open {later_join}GROUP BY 1, 2 "
        "UNION ALL "
        "SELECT kpi_open.kpi_bucket, NULL, SUM(kpi_moved.amount), 0 "
        f"FROM ({moved_sql}) kpi_moved JOIN kpi_open ON kpi_open.id = kpi_moved.invoice_id "
        "GROUP BY 1",
        [*open_params, *later_params, *moved_params],
    )


# --- reminder funnel, time to invoice, glossary -------------------------------------------


def reminder_funnel(scope: Scope) -> ReminderFunnel:
    """Reminders sent in P, clicked, and followed by cash within 7 days (one query)."""
    row = blocks.reminder_funnel(scope, [scope.period]).get((None, 1)) or {}
    sent, clicked, paid = row.get("sent") or 0, row.get("clicked") or 0, row.get("paid") or 0
    rate = ratio(paid, sent)
    return ReminderFunnel(
        scope, sent, clicked, paid, None if rate is None else rate * 100, currencies(scope)
    )


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
        for r in blocks.slowest_invoices(scope, slowest)
    )
    return TimeToInvoice(
        scope,
        count,
        ratio(row.get("days"), count),
        blocks.time_to_invoice_percentile(scope, count, MEDIAN),
        blocks.time_to_invoice_percentile(scope, count, P90),
        slow,
        currencies(scope),
    )


COMMON_CHOICES = (
    "Status compares the value rounded to two decimals with the thresholds (a segment's own "
    "threshold wins); change is the difference of the rounded values.",
    "Default period: the last full calendar month before today. Previous period: for a whole "
    "calendar month, quarter or year, the month, quarter or year before it (October compares "
    "with September, Q3 with Q2); for any other period, the same number of days immediately "
    "before P; compare=previous_year takes the same dates one year earlier (29 February: the "
    "28th). A period that ends after today is partial and flagged so.",
    "Series sub-periods are calendar weeks (Monday to Sunday), months or quarters clipped to P.",
)


def glossary() -> tuple[GlossaryEntry, ...]:
    """For each KPI: label, hover text, formula, unit, direction, owner, playbook, choices;
    then the forward-looking reports (`metrics.definitions.REPORTS`).

    Owner and playbook come from the default (segment-less) threshold (one query).
    """
    thresholds = Thresholds(KEYS)
    entries = []
    for kpi in KPIS.values():
        threshold = thresholds.get(kpi.key)
        entries.append(
            GlossaryEntry(
                kpi.key,
                kpi.label,
                kpi.explanation,
                kpi.formula,
                kpi.unit,
                kpi.better,
                threshold.owner if threshold else "",
                threshold.playbook_url if threshold else "",
                kpi.choices + COMMON_CHOICES,
            )
        )
    # The forward-looking reports (computed by the outlook app) have no thresholds.
    for report in REPORTS.values():
        entries.append(
            GlossaryEntry(
                report.key,
                report.label,
                report.explanation,
                report.formula,
                report.unit,
                None,
                "",
                "",
                report.choices,
            )
        )
    return tuple(entries)
