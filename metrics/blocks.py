"""The KPI building blocks, each one SQL query (or a fixed few) for any number of periods.

Every block takes the scope (filters), a list of contiguous periods and an optional group
dimension, and sums KPI facts per period (`metrics.sums.fact_sums`): from the KPI rollup's
rows when they answer the scope, else from the source rows of the fact families that build
the rollup (`metrics.facts`: each fact is defined there once, for both). It puts each row
into its period with a CASE over the period boundaries computed in SQL (`expressions.bucket`)
and aggregates with GROUP BY. So the number of queries of a
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
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError

from metrics import facts
from metrics.errors import ErrorCode
from metrics.scope import Period, Scope
from metrics.sums import fact_sums
from o2c_api.money import ZERO

GROUP_BYS = ("rep", "segment", "product_line", "customer")


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
        path: one of `metrics.sums.PATHS` to force it; by default the KPI rollup unless the
            scope filters or groups by customer, or holds a user's own customers (the rollup
            has no customer key).
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
