"""AR and credit sales per customer, for a ranking of every customer (one query).

The breakdown of a KPI of AR(end), credit sales(P) and N by customer (`KPI.of_balance`,
`metrics.engine.breakdown`) reads one row per customer here, where the building blocks
(`metrics.blocks`) fold every customer's movements per period in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Case, F, Q, Value, When

from metrics import facts
from metrics.scope import Period, Scope
from metrics.sums import dimension_filters, set_filters
from o2c_api import sqlcache
from o2c_api.money import money_field, summed


@dataclass(frozen=True)
class CustomerBalance:
    """One customer's AR at the end of two periods and its credit sales in each."""

    customer: int
    ar: tuple[Decimal, Decimal]
    sales: tuple[Decimal, Decimal]


@dataclass(frozen=True)
class Ranking:
    """Customers ranked in the database by `sql`, an expression of the later period's {ar},
    {sales} and {days} (`metrics.definitions.OfBalance.sql`): descending or not, NULL last,
    then by id as text (as `metrics.engine.breakdown` orders any groups), `limit` of them
    from `offset`."""

    sql: str
    days: int
    descending: bool
    limit: int
    offset: int


# The places a ranking divides to: two values that differ differ by at least 1 / (the product
# of two sales in cents), far above 10^-40 (and above what Python's 28 digits tell apart), so
# the order is the order of the exact values.
RANK_PLACES = 40


def balances_by_customer(
    scope: Scope, periods: tuple[Period, Period], ranking: Ranking | None = None
) -> tuple[int, list[CustomerBalance]]:
    """AR(end) and credit sales of each period, per customer in the scope: one query, one
    row per customer, whatever the history; with a `ranking`, only its page of them.

    AR(d) is read backwards from today: the AR facts of an invoice (`metrics.facts`'
    Invoices, Applications and Adjustments) summed over every day give its open amount (the
    services keep open_amount = amount − applications − adjustments: tests/invariants.py),
    so AR(d) = Σ open amounts now − Σ the AR facts dated after d. That reads the unsettled
    invoices (a partial index), the invoices issued since the earlier period began and the
    cash and adjustments since the earlier end, each from a covering index, where summing
    the facts up to d read every application of every invoice not settled by then (at 1M
    invoices a hash join over a million applications, 1.4 s, then 20k customers' movements
    folded in Python).

    A customer is listed when it has AR at either end or credit sales in either period
    (every other customer has no value of AR, credit sales or DSO in either).

    Args:
        scope: its filters apply (not its period: `periods` say what is needed).
        periods: the earlier and the later period (they may overlap).
        ranking: rank in the database and return a page (PostgreSQL: its numeric division
            is exact to the places asked, where SQLite divides floats).

    Returns:
        The number of customers listed, and their rows (the ranking's page, in its order).
    """
    filters = set_filters(scope)
    values = {**filters}
    for k, period in enumerate(periods):
        values[f"start{k}"] = period.start - timedelta(days=1)
        values[f"end{k}"] = period.end
    values["sales_after"] = min(p.start for p in periods) - timedelta(days=1)
    values["moved_after"] = min(p.end for p in periods)
    shape = ("balances by customer", tuple(filters))
    if ranking is not None:
        values.update(days=ranking.days, limit=ranking.limit, offset=ranking.offset)
        shape += (ranking.sql, ranking.descending)

    def build(**v):
        return _balances_query(v, ranking)

    rows = sqlcache.rows(shape, build, **values)
    balances = [
        CustomerBalance(
            row["kpi_group"],
            (summed(row["ar0"]), summed(row["ar1"])),
            (summed(row["sales0"]), summed(row["sales1"])),
        )
        for row in rows
    ]
    if ranking is None:
        return len(balances), balances
    # The count comes with the page, and alone on a row of no customer past the end.
    return rows[0]["kpi_count"], [b for b in balances if b.customer is not None]


def _balances_query(values: dict, ranking: Ranking | None):
    """`balances_by_customer`'s SQL: the rows of the parts united, summed per customer once
    (a grouping per part and another of their sums cost twice the aggregation)."""
    filters = dimension_filters(values)
    currency = values["currency"]
    # NULL, not 0, where a row adds nothing to a sum: SUM skips a NULL without the numeric
    # addition (about 10% of the query at 1M invoices).
    zero = Value(None, output_field=money_field())

    def when(condition: Q, expression) -> Case:
        return Case(When(condition, then=expression), default=zero, output_field=money_field())

    def after(k: int) -> Q:
        return Q(kpi_day__gt=values[f"end{k}"])

    def within(k: int) -> Q:
        return Q(kpi_day__gt=values[f"start{k}"], kpi_day__lte=values[f"end{k}"])

    def rows(qs, **columns):
        return qs.annotate(**columns).values("kpi_group", *BALANCE_COLUMNS).order_by()

    invoices, applications, adjustments = (
        next(f for f in facts.families() if type(f).__name__ == name)
        for name in ("Invoices", "Applications", "Adjustments")
    )
    scoped = {**filters, "currency": currency, "group_by": "customer"}
    # Every AR fact of an invoice, summed over all days: its open amount (settled: zero).
    open_amount = F("open_amount")
    parts = [
        rows(
            invoices.scoped(**scoped).filter(paid_date__isnull=True),
            ar0=open_amount,
            ar1=open_amount,
            sales0=zero,
            sales1=zero,
        )
    ]
    # Less the facts dated after each end; the invoices also give the credit sales.
    issued = invoices.measures["ar_invoiced"]
    parts.append(
        rows(
            invoices.scoped(**scoped).filter(kpi_day__gt=values["sales_after"]),
            ar0=when(after(0), -issued),
            ar1=when(after(1), -issued),
            sales0=when(within(0), issued),
            sales1=when(within(1), issued),
        )
    )
    # Cash and adjustments dated after an end belong to invoices not settled by then (an
    # invoice's paid date is its latest movement: tests/invariants.py), unsettled today or
    # settled since: each part joins the invoices of one covering index, read from it alone,
    # where one join read every invoice of the table (at 1M invoices 330 ms against 90 ms).
    unsettled = Q(invoice__paid_date__isnull=True)
    settled_since = Q(invoice__paid_date__gt=values["moved_after"])
    for family, measure in ((applications, "ar_applied"), (adjustments, "ar_adjusted")):
        taken = family.measures[measure]
        for part in (unsettled, settled_since):
            parts.append(
                rows(
                    family.scoped(**scoped).filter(part, kpi_day__gt=values["moved_after"]),
                    ar0=when(after(0), taken),
                    ar1=when(after(1), taken),
                    sales0=zero,
                    sales1=zero,
                )
            )
    sql, params = parts[0].union(*parts[1:], all=True).order_by().query.sql_with_params()
    sums = ", ".join(f"SUM({name}) AS {name}" for name in BALANCE_COLUMNS)
    nonzero = " OR ".join(f"SUM({name}) <> 0" for name in BALANCE_COLUMNS)
    grouped = f"FROM ({sql}) parts GROUP BY kpi_group HAVING {nonzero}"
    if ranking is None:
        return f"SELECT kpi_group, {sums} {grouped}", params
    rank = ranking.sql.format(
        ar=f"CAST(COALESCE(SUM(ar1), 0) AS NUMERIC(65, {RANK_PLACES}))",
        sales="COALESCE(SUM(sales1), 0)",
        days="%s",
    )
    direction = "DESC" if ranking.descending else "ASC"
    order = f'ORDER BY kpi_rank {direction} NULLS LAST, CAST(kpi_group AS TEXT) COLLATE "C"'
    return (
        f"WITH ranked AS (SELECT kpi_group, {sums}, {rank} AS kpi_rank {grouped}) "
        "SELECT page.*, counted.kpi_count FROM (SELECT COUNT(*) AS kpi_count FROM ranked) counted "
        f"LEFT JOIN (SELECT * FROM ranked {order} LIMIT %s OFFSET %s) page ON TRUE {order}",
        [values["days"], *params, values["limit"], values["offset"]],
    )


BALANCE_COLUMNS = ("ar0", "ar1", "sales0", "sales1")
