"""Aging: open AR at a date by days past due, with collection activity (two queries).

`aging` is answered through `metrics.engine`, as every report is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

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

from metrics import sums
from metrics.book import currencies
from metrics.scope import Scope, today
from o2c_api import sqlcache
from o2c_api.money import ZERO, summed
from receivables import predicates
from receivables.models import Adjustment, CollectionActivity, Invoice, PaymentApplication

AGING_BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
AGING_LABELS = {
    "current": "Current",
    "1_30": "1–30 days past due",
    "31_60": "31–60 days past due",
    "61_90": "61–90 days past due",
    "over_90": "Over 90 days past due",
}


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
    filters = sums.set_filters(scope)
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
        **sums.dimension_filters(values), currency=values["currency"]
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
