"""The KPI building blocks, each one SQL query (or a fixed few) for any number of periods.

Every block takes the scope (filters), a list of contiguous periods and an optional group
dimension, and sums KPI facts per period: from the KPI rollup's rows when they answer the
scope, else from the source rows of the fact families that build the rollup
(`metrics.facts`: each fact is defined there once, for both). It puts each row into its
period with a CASE over the period boundaries computed in SQL (`expressions.bucket`) and
aggregates with GROUP BY. So the number of queries of a
summary (two periods), a series (any number of points) or a breakdown (any number of groups)
is fixed; Python only combines the small aggregated result, never loops over source rows.

Results are dicts keyed by `(group, k)`: `group` is the group's id (None without grouping or
for "none"), `k` the 1-based index of the period.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BigIntegerField, F, Q, Sum, Value
from django.utils import timezone

from metrics import facts
from metrics.errors import ErrorCode
from metrics.expressions import bucket
from metrics.models import KPIRollup
from metrics.scope import Period, Scope
from o2c_api import sqlcache
from o2c_api.money import ZERO, money_field, summed

GROUP_BYS = ("rep", "segment", "product_line", "customer")
# The scope's filters besides its currency (`Scope.filters`), as the queries' values name them.
DIMENSIONS = ("rep", "segment", "customer", "product_line", "customers_of")


def set_filters(scope: Scope) -> dict:
    """The scope's filters that are set (the currency always is): the values of a query built
    once per shape (`o2c_api.sqlcache`), their names part of its shape."""
    return {name: value for name, value in scope.filters().items() if value is not None}


def dimension_filters(values: dict) -> dict:
    """The dimension filters of `set_filters`' values, None where not set (no currency)."""
    return {name: values.get(name) for name in DIMENSIONS}


Key = tuple[int | str | None, int]


def cuts_of(periods: Sequence[Period]) -> list[date]:
    """[first start − 1, end of each period]: period k is bucket k. Periods must be contiguous."""
    for before, after in zip(periods, periods[1:], strict=False):
        if after.start != before.end + timedelta(days=1):
            raise ValueError("Periods must be contiguous and ascending.")
    return [periods[0].start - timedelta(days=1), *(p.end for p in periods)]


def not_applicable(kpi_label: str, group_by: str) -> ValidationError:
    return ValidationError(
        {
            "group_by": ValidationError(
                f"{kpi_label} cannot be broken down by {group_by}.",
                ErrorCode.NOT_APPLICABLE,
            )
        }
    )


# --- AR, credit sales, cash collected ----------------------------------------------------


@dataclass
class Movements:
    """AR movements summed per group, kind and movement bucket, and (for Current AR) per
    group, movement bucket and due bucket.

    Answers AR(d) and Current AR(d) for d in `dates` (current: d in `current_dates`), credit
    sales and cash collected for (a, b] with a and b in `dates`.
    """

    dates: list[date]
    current_dates: list[date]
    # group -> kind -> movement bucket -> amount
    flows: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(dict)))
    # group -> (movement bucket, due bucket) -> amount
    current: dict = field(default_factory=lambda: defaultdict(dict))
    _prefix: dict = field(default_factory=dict, repr=False)

    def add(self, group, kind: str, mb: int, db: int, amount: Decimal) -> None:
        """A movement that counts for both AR and (by its due bucket) Current AR."""
        self.add_flow(group, kind, mb, amount)
        self.add_current(group, mb, db, amount)

    def add_flow(self, group, kind: str, mb: int, amount: Decimal) -> None:
        cell = self.flows[group][kind]
        cell[mb] = cell.get(mb, ZERO) + amount
        self._prefix.pop(group, None)

    def add_current(self, group, mb: int, db: int, amount: Decimal) -> None:
        cell = self.current[group]
        cell[(mb, db)] = cell.get((mb, db), ZERO) + amount

    def groups(self) -> set:
        return set(self.flows) | set(self.current)

    def _index(self, d: date) -> int:
        i = bisect.bisect_left(self.dates, d)
        if i == len(self.dates) or self.dates[i] != d:
            raise KeyError(d)
        return i

    def _cumulative(self, group) -> dict[str, list[Decimal]]:
        """Per kind, the running total over movement buckets: prefix[i] = Σ buckets 0..i.

        Built once per group, so AR and flows are O(1) however many points a series has.
        """
        if group not in self._prefix:
            prefix = {}
            for kind, cells in self.flows.get(group, {}).items():
                per_bucket = [ZERO] * len(self.dates)
                for mb, amount in cells.items():
                    per_bucket[mb] += amount
                running, total = [], ZERO
                for amount in per_bucket:
                    total += amount
                    running.append(total)
                prefix[kind] = running
            self._prefix[group] = prefix
        return self._prefix[group]

    def ar(self, group, d: date) -> Decimal:
        """AR(d): every movement dated on or before d."""
        i = self._index(d)
        return sum((running[i] for running in self._cumulative(group).values()), ZERO)

    def current_ar(self, group, d: date) -> Decimal:
        """Current AR(d): movements dated on or before d of invoices due on or after d."""
        i = self._index(d)
        j = self.current_dates.index(d)
        return sum(
            (
                amount
                for (mb, db), amount in self.current.get(group, {}).items()
                if mb <= i and db >= j
            ),
            ZERO,
        )

    def flow(self, group, kind: str, after: date, through: date) -> Decimal:
        """Sum of movements of one kind dated in (after, through]."""
        running = self._cumulative(group).get(kind)
        if running is None:
            return ZERO
        return running[self._index(through)] - running[self._index(after)]

    def credit_sales(self, group, period: Period) -> Decimal:
        return self.flow(group, "invoice", period.start - timedelta(days=1), period.end)

    def collected(self, group, period: Period) -> Decimal:
        return -self.flow(group, "application", period.start - timedelta(days=1), period.end)


PATHS = ("kpi_rollup", "source")


def movements(
    scope: Scope,
    dates: Iterable[date],
    current_dates: Iterable[date] = (),
    group_by: str | None = None,
    path: str | None = None,
) -> Movements:
    """AR movements bucketed at `dates`: one query on the KPI rollup, or one on the source
    rows of the AR fact families (the same definitions the rollup is built from).

    Per movement bucket: the flows and `ar_current`, whose running sum up to d is Current
    AR(d) (see `metrics.facts.Invoices` and the other AR families).

    Args:
        scope: its filters apply (its period does not: the dates say what is needed).
        dates: every date AR is asked at or a flow starts after / ends on.
        current_dates: the dates Current AR is asked at (a subset of `dates`).
        group_by: None or one of GROUP_BYS.
        path: one of PATHS to force it; by default the KPI rollup unless the scope filters
            or groups by customer, or holds a user's own customers (the rollup has no
            customer key).
    """
    dates = sorted(set(dates) | set(current_dates))
    current_dates = sorted(set(current_dates))
    result = Movements(dates=dates, current_dates=current_dates)
    measures = {"invoiced": "ar_invoiced", "applied": "ar_applied", "adjusted": "ar_adjusted"}
    if current_dates:
        # Current AR is the only fact of the families that take it back after the due date.
        measures["current"] = "ar_current"
    sums = fact_sums(scope, dates, group_by, facts.AR_FAMILIES, history=True, path=path, **measures)
    # A due bucket past every current date: counted at each of them (mb <= i is the test).
    every_date = len(current_dates)
    for (g, mb), row in sums.items():
        result.add_flow(g, "invoice", mb, row["invoiced"])
        result.add_flow(g, "application", mb, -row["applied"])
        result.add_flow(g, "adjustment", mb, -row["adjusted"])
        if current_dates:
            result.add_current(g, mb, every_date, row["current"])
    return result


# --- The KPI rollup: one row per day for everything or one dimension, full rows otherwise --

_PROJECTION_COLUMNS = {"rep": "rep_key", "segment": "segment_key", "product_line": "product_line"}


@dataclass(frozen=True)
class Projection:
    """The KPI rollup rows of a scope: `rows` (a queryset) and the group expression."""

    rows: object
    group: F | None


def kpi_projection(
    scope: Scope, group_by: str | None, product_lines: bool = True, any_currency: bool = False
) -> Projection | None:
    """The KPI rollup rows for the scope, or None when it cannot answer it (a customer).

    Everything or one of rep / segment / product line (between the filters and the
    grouping) reads that projection's rows, one per day (and group); a combination of them
    reads the rows at full dimensions, summed.

    `product_lines=False` for facts the product line does not narrow (payments,
    opportunities): its filter is ignored, and they cannot be grouped by it.
    `any_currency=True` leaves out the scope's currency: the rows of every currency.
    """
    if not rollup_answers(scope, group_by, product_lines):
        return None
    filters = {"rep": scope.rep, "segment": scope.segment}
    if product_lines:
        filters["product_line"] = scope.product_line
    used = {dim for dim, value in filters.items() if value is not None}
    if group_by is not None:
        used.add(group_by)
    rows = (
        KPIRollup.objects.all()
        if any_currency
        else KPIRollup.objects.filter(currency=scope.currency)
    )
    columns = {}
    for dim, value in filters.items():
        if value is not None:
            columns[_PROJECTION_COLUMNS[dim]] = value
    if len(used) > 1:
        # Full rows: no column holds its "all" sentinel.
        for column in _PROJECTION_COLUMNS.values():
            rows = rows.exclude(**{column: columns_sentinel(column)})
    else:
        for column in _PROJECTION_COLUMNS.values():
            columns.setdefault(column, columns_sentinel(column))
    group = None
    if group_by is not None:
        column = _PROJECTION_COLUMNS[group_by]
        columns.pop(column, None)
        rows = rows.exclude(**{column: columns_sentinel(column)})
        group = F(column)
    return Projection(rows.filter(**columns), group)


def columns_sentinel(column: str):
    return KPIRollup.ALL_PRODUCT_LINES if column == "product_line" else KPIRollup.ALL


# --- Facts per group and bucket, from the rollup or from the source rows ----------------


def _group_name(group_by: str | None, value):
    """Rep and segment 0 are "none" (None), as a scope names them."""
    if group_by in ("rep", "segment") and value == 0:
        return None
    return value


def _settled_before(d: date, prefix: str) -> Q:
    """Invoices paid on or before d and due before it: every movement they make (issue,
    applications, adjustments, the Current AR take-back the day after the due date) is
    dated by d and they net to zero, so AR at d and after, and every flow after d, leave
    them out. Most of the history: the source path skips them."""
    p = f"{prefix}__" if prefix else ""
    return Q(**{f"{p}paid_date__lte": d, f"{p}due_date__lt": d})


def fact_sums(
    scope: Scope,
    cuts: Sequence[date],
    group_by: str | None,
    families: Sequence[str],
    *,
    product_lines: bool = True,
    history: bool = False,
    path: str | None = None,
    **measures: str,
) -> dict:
    """Σ of rollup measures per (group, bucket of `cuts`): {(group, bucket): {name: value}}.

    One query: on the KPI rollup rows when they answer the scope, else on the source rows of
    the fact families that set the measures (their grouped rows united): a fact is defined
    once, in `metrics.facts`, for both. The SQL is built once per shape (`o2c_api.sqlcache`).
    Groups with every measure zero are left out.

    Args:
        cuts: bucket i is (cuts[i-1], cuts[i]]; bucket 0 is everything up to cuts[0] when
            `history` is set (AR), else left out.
        families: the names of the families (`metrics.facts`) setting the measures.
        product_lines: False for facts without a product line (payments, opportunities):
            the scope's product line does not narrow them.
        path: one of PATHS to force it.
        measures: result name -> rollup measure.
    """
    on_rollup = path != "source" and rollup_answers(scope, group_by, product_lines)
    if path == "kpi_rollup" and not on_rollup:
        raise ValueError("The KPI rollup cannot answer this scope.")
    filters = set_filters(scope)
    values = {**filters, **{f"cut{i}": cut for i, cut in enumerate(cuts)}}
    shape = (group_by, product_lines, history, len(cuts), tuple(filters), tuple(measures.items()))
    if on_rollup:

        def build(**v):
            projection = kpi_projection(_stand_in_scope(v), group_by, product_lines)
            return _rollup_query(projection, _cuts(v, len(cuts)), history, measures)

        rows = sqlcache.rows(("rollup", *shape), build, **values)
    else:
        chosen = [f for f in facts.families() if type(f).__name__ in families]
        chosen = [f for f in chosen if any(m in f.measures for m in measures.values())]
        if not chosen:
            return {}
        if not history and any(f.timestamp for f in chosen):
            values["window_start"] = _start_of_day(cuts[0] + timedelta(days=1))
            values["window_end"] = _start_of_day(cuts[-1] + timedelta(days=1))

        def build(**v):
            return _source_query(chosen, v, len(cuts), group_by, history, measures)

        names = tuple(type(f).__name__ for f in chosen)
        rows = sqlcache.rows(("source", names, *shape), build, **values)
    result: dict = {}
    for row in rows:
        cell = result.setdefault(
            (_group_name(group_by, row.get("kpi_group")), int(row["kpi_bucket"])),
            dict.fromkeys(measures, 0),
        )
        for name, measure in measures.items():
            if measure in facts.MONEY_MEASURES:
                cell[name] += summed(row[name])
            else:
                cell[name] += int(row[name] or 0)
    return {key: row for key, row in result.items() if any(row.values())}


def rollup_answers(scope: Scope, group_by: str | None, product_lines: bool = True) -> bool:
    """Whether the KPI rollup holds the scope: it has no customer key (neither a customer nor
    a user's own customers), and facts without a product line cannot be grouped by one."""
    if scope.customer is not None or scope.customers_of is not None or group_by == "customer":
        return False
    return product_lines or group_by != "product_line"


def _cuts(values: dict, count: int) -> list[date]:
    return [values[f"cut{i}"] for i in range(count)]


def _start_of_day(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.get_current_timezone())


def _stand_in_scope(values: dict) -> Scope:
    """A scope of the values (the period is not used: the cuts say what is needed)."""
    return Scope(
        start=values["cut0"],
        end=values["cut0"],
        currency=values["currency"],
        **dimension_filters(values),
    )


def _rollup_query(projection: Projection, cuts: list[date], history: bool, measures: dict):
    rows = projection.rows.filter(day__lte=cuts[-1])
    if not history:
        rows = rows.filter(day__gt=cuts[0])
    keys = ["kpi_bucket"]
    group = {} if projection.group is None else {"kpi_group": projection.group}
    if group:
        keys.append("kpi_group")
    return (
        rows.annotate(kpi_bucket=bucket("day", cuts), **group)
        .values(*keys)
        .annotate(**{name: Sum(column) for name, column in measures.items()})
        .order_by()
    )


def _source_query(chosen, values: dict, count: int, group_by, history: bool, measures: dict):
    """The chosen families' rows in the scope, grouped per bucket (and group), united."""
    cuts = _cuts(values, count)
    filters = dimension_filters(values)
    parts = []
    for family in chosen:
        qs = family.scoped(**filters, currency=values["currency"], group_by=group_by)
        qs = qs.filter(kpi_day__lte=cuts[-1])
        if history and family.invoice is not None:
            qs = qs.exclude(_settled_before(cuts[0], family.invoice))
        if not history:
            qs = qs.filter(kpi_day__gt=cuts[0])
            if family.timestamp:
                # The day is the timestamp's date: bound the timestamp too, for its index.
                qs = qs.filter(
                    **{
                        f"{family.timestamp}__gte": values["window_start"],
                        f"{family.timestamp}__lt": values["window_end"],
                    }
                )
        keys = ["kpi_bucket", *(["kpi_group"] if group_by else [])]
        sums = {}
        family_measures = family.measures_in(filters["customers_of"])
        for name, m in measures.items():
            money = m in facts.MONEY_MEASURES
            # A measure the family does not set is a typed zero: the parts share columns.
            expression = family_measures.get(m, Value(ZERO if money else 0))
            sums[name] = Sum(expression, output_field=money_field() if money else BigIntegerField())
        parts.append(
            qs.annotate(kpi_bucket=bucket("kpi_day", cuts))
            .values(*keys)
            .annotate(**sums)
            .order_by()
        )
    if len(parts) == 1:
        return parts[0]
    # The parts' rows summed per key in the database: a grouping by customer returns one row
    # per customer and bucket, not one per family too.
    sql, params = parts[0].union(*parts[1:], all=True).order_by().query.sql_with_params()
    qn = connection.ops.quote_name
    key_list = ", ".join(qn(key) for key in keys)
    sum_list = ", ".join(f"SUM({qn(name)}) AS {qn(name)}" for name in measures)
    return f"SELECT {key_list}, {sum_list} FROM ({sql}) parts GROUP BY {key_list}", params


@dataclass(frozen=True)
class Block:
    """A building block of the KPI formulas: facts summed per period (and group).

    `measures` maps the block's result names to rollup measures, set by `families`
    (`metrics.facts`); `product_lines=False` for facts without a product line (payments,
    opportunities), which the scope's product line does not narrow.
    """

    families: tuple[str, ...]
    measures: dict
    product_lines: bool = True


DEALS = ("OpportunitiesCreated", "OpportunitiesClosed")

BLOCKS = {
    # Counting invoices issued: at least one dispute ever; no dispute and no credit note ever.
    "invoice_quality": Block(
        ("Invoices",),
        {
            "issued": "invoices_issued",
            "disputed": "invoices_disputed",
            "first_pass": "invoices_first_pass",
        },
    ),
    # Disputes resolved (on counting invoices) and Σ days open.
    "dispute_resolution": Block(
        ("Disputes",), {"resolved": "disputes_resolved", "days": "dispute_days"}
    ),
    # Payments received; matched: fully applied, every application automatic (as they stand
    # now).
    "payment_matching": Block(
        ("Payments",),
        {"received": "payments_received", "matched": "payments_matched"},
        product_lines=False,
    ),
    # Promises due by promised date; kept derived from the applications
    # (`predicates.promise_kept`), not read from the stored status.
    "promise_keeping": Block(("Promises",), {"due": "promises_due", "kept": "promises_kept"}),
    # Counting invoices with an order issued, and Σ days from order to invoice.
    "time_to_invoice": Block(("Invoices",), {"invoiced": "invoices_ordered", "days": "order_days"}),
    # Reminders sent; clicked; paid (their invoice got an application from the sent date to
    # 7 days after).
    "reminder_funnel": Block(
        ("Reminders",),
        {"sent": "reminders_sent", "clicked": "reminders_clicked", "paid": "reminders_paid"},
    ),
    # Opportunities closed: won, lost, won amount, Σ days from creation to a win (the open
    # count is added by `pipeline`).
    "pipeline": Block(
        DEALS,
        {
            "won": "opportunities_won",
            "lost": "opportunities_lost",
            "won_amount": "won_amount",
            "won_days": "won_days",
        },
        product_lines=False,
    ),
}


def fetch(
    scope: Scope, periods: Sequence[Period], group_by: str | None, names: Iterable[str]
) -> dict[str, dict]:
    """The named blocks' sums per (group, k), k the 1-based period index: {name: rows}.

    The blocks the scope narrows alike share one query (`fact_sums` of all their measures):
    every block when the scope has no product line, else those with product lines and those
    without, so a summary's blocks cost one or two queries, plus the pipeline's open count.
    """
    names = list(names)
    narrowed_by_line = scope.product_line is not None or group_by == "product_line"
    shares: dict[bool, list[str]] = defaultdict(list)
    for name in names:
        shares[BLOCKS[name].product_lines or not narrowed_by_line].append(name)
    result = {}
    cuts = cuts_of(periods)
    for product_lines, together in shares.items():
        sums = fact_sums(
            scope,
            cuts,
            group_by,
            sorted({f for name in together for f in BLOCKS[name].families}),
            product_lines=product_lines,
            **{
                f"{name}__{result}": measure
                for name in together
                for result, measure in BLOCKS[name].measures.items()
            },
        )
        for name in together:
            rows = {}
            for key, row in sums.items():
                own = {result: row[f"{name}__{result}"] for result in BLOCKS[name].measures}
                if any(own.values()):
                    rows[key] = own
            result[name] = rows
    if "pipeline" in result:
        result["pipeline"] = _with_open_count(scope, cuts, group_by, result["pipeline"])
    return result


def _one(name: str, scope: Scope, periods: Sequence[Period], group_by: str | None) -> dict:
    return fetch(scope, periods, group_by, [name])[name]


def invoice_quality(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    return _one("invoice_quality", scope, periods, group_by)


def dispute_resolution(
    scope: Scope, periods: Sequence[Period], group_by: str | None = None
) -> dict:
    return _one("dispute_resolution", scope, periods, group_by)


def payment_matching(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    return _one("payment_matching", scope, periods, group_by)


def promise_keeping(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    return _one("promise_keeping", scope, periods, group_by)


def time_to_invoice(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    return _one("time_to_invoice", scope, periods, group_by)


def reminder_funnel(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    return _one("reminder_funnel", scope, periods, group_by)


def pipeline(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    """Per period: `open` (created by its end, not closed before its start), and over the
    opportunities closed in it `won`, `lost`, `won_amount`, `won_days`."""
    return _one("pipeline", scope, periods, group_by)


# --- Pipeline --------------------------------------------------------------------------------


def _with_open_count(scope: Scope, cuts: list[date], group_by: str | None, closed: dict) -> dict:
    """The pipeline's closed rows with `open` per period: created by its end, not closed
    before its start. One more query: creations and closings per boundary bucket, so that
    open(k) = created by end_k − closed by start_k − 1 (cumulative over buckets).
    """
    for row in closed.values():
        if not row["won"]:  # as sums over no won opportunity
            row["won_amount"] = row["won_days"] = None
    counts = fact_sums(
        scope,
        cuts,
        group_by,
        DEALS,
        product_lines=False,
        history=True,
        created="opportunities_created",
        closed="opportunities_closed",
    )
    created: dict = defaultdict(lambda: [0] * len(cuts))
    closed_by: dict = defaultdict(lambda: [0] * len(cuts))
    for (g, k), row in counts.items():
        created[g][k] += row["created"]
        closed_by[g][k] += row["closed"]
    result: dict = {}
    for g in created:
        opened = [sum(created[g][: k + 1]) - sum(closed_by[g][:k]) for k in range(1, len(cuts))]
        # Opportunities closed before the first period count in both terms: a group whose
        # every opportunity did has nothing to show.
        if not any(opened):
            continue
        for k, open_count in enumerate(opened, start=1):
            row = dict(closed.get((g, k), {}))
            row["open"] = open_count
            result[(g, k)] = row
    return result
