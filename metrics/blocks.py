"""The KPI building blocks, each one SQL query (or a fixed few) for any number of periods.

Every block takes the scope (filters), a list of contiguous periods and an optional group
dimension, puts each row into its period with a CASE over the period boundaries computed in
SQL (`expressions.bucket`) and aggregates with GROUP BY. So the number of queries of a
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
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import Opportunity
from metrics.expressions import bucket, due_bucket
from metrics.scope import Period, Scope
from o2c_api.expressions import DaysBetween
from o2c_api.money import CENT, ZERO
from receivables import predicates
from receivables.models import (
    Adjustment,
    ARDailyMovement,
    CollectionActivity,
    Dispute,
    Invoice,
    KPIRollup,
    Payment,
    PaymentApplication,
    PromiseToPay,
)

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
                f"{kpi_label} cannot be broken down by {group_by}.", "not_applicable"
            )
        }
    )


def invoice_group(group_by: str | None, prefix: str = "") -> F | None:
    """The group of a row reached through `prefix` to an invoice (rep is the invoice's)."""
    p = f"{prefix}__" if prefix else ""
    return {
        None: None,
        "rep": F(f"{p}rep_id"),
        "segment": F(f"{p}customer__segment_id"),
        "customer": F(f"{p}customer_id"),
        "product_line": F(f"{p}product_line"),
    }[group_by]


def _rows(qs, date_field: str, periods: Sequence[Period], group, **aggregates) -> dict:
    """Aggregate `qs` per (group, period) in one query."""
    cuts = cuts_of(periods)
    qs = qs.filter(**{f"{date_field}__gt": cuts[0], f"{date_field}__lte": cuts[-1]})
    annotations = {"kpi_bucket": bucket(date_field, cuts)}
    keys = ["kpi_bucket"]
    if group is not None:
        annotations["kpi_group"] = group
        keys.append("kpi_group")
    result = {}
    for row in qs.annotate(**annotations).values(*keys).annotate(**aggregates).order_by():
        result[(row.get("kpi_group"), row["kpi_bucket"])] = row
    return result


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


ROLLUP_GROUPS = {"rep": "rep_key", "segment": "segment_key", "product_line": "product_line"}


def uses_rollup(scope: Scope, group_by: str | None) -> bool:
    """The rollup has no customer key: a customer filter or grouping reads the source rows."""
    return scope.customer is None and group_by != "customer"


PATHS = ("kpi_rollup", "ar_rollup", "source")


def movements(
    scope: Scope,
    dates: Iterable[date],
    current_dates: Iterable[date] = (),
    group_by: str | None = None,
    path: str | None = None,
) -> Movements:
    """AR movements bucketed at `dates`: one query on the KPI rollup or on the AR daily
    rollup, or three on the source rows.

    Args:
        scope: its filters apply (its period does not: the dates say what is needed).
        dates: every date AR is asked at or a flow starts after / ends on.
        current_dates: the dates Current AR is asked at (a subset of `dates`).
        group_by: None or one of GROUP_BYS.
        path: one of PATHS to force it; by default the KPI rollup unless the scope filters
            or groups by customer, else the source rows (the AR daily rollup answers the
            same scopes as the KPI rollup, and is kept as a check of it).
    """
    dates = sorted(set(dates) | set(current_dates))
    current_dates = sorted(set(current_dates))
    result = Movements(dates=dates, current_dates=current_dates)
    if path is None:
        if kpi_projection(scope, group_by) is not None:
            path = "kpi_rollup"
        elif uses_rollup(scope, group_by):
            path = "ar_rollup"
        else:
            path = "source"
    if path == "kpi_rollup":
        _kpi_rollup_movements(scope, group_by, result)
    elif path == "ar_rollup":
        _rollup_movements(scope, group_by, result)
    else:
        _source_movements(scope, group_by, result)
    return result


# --- The KPI rollup: one row per day for everything or one dimension, full rows otherwise --

_PROJECTION_COLUMNS = {"rep": "rep_key", "segment": "segment_key", "product_line": "product_line"}


@dataclass(frozen=True)
class Projection:
    """The KPI rollup rows of a scope: `rows` (a queryset) and the group expression."""

    rows: object
    group: F | None
    group_by: str | None

    def group_of(self, value):
        """The group as the source path names it (rep and segment 0 are "none")."""
        if self.group_by in ("rep", "segment") and value == 0:
            return None
        return value


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
    if scope.customer is not None or group_by == "customer":
        return None
    if group_by == "product_line" and not product_lines:
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
    return Projection(rows.filter(**columns), group, group_by)


def columns_sentinel(column: str):
    return KPIRollup.ALL_PRODUCT_LINES if column == "product_line" else KPIRollup.ALL


def _kpi_rollup_movements(scope: Scope, group_by: str | None, result: Movements) -> None:
    """One query: per movement bucket, the flows and `ar_current`, whose running sum up to d
    is Current AR(d) (see `receivables.rollup.ar_deltas`)."""
    projection = kpi_projection(scope, group_by)
    if projection is None:
        raise ValueError("The KPI rollup cannot answer this scope.")
    keys = ["mb"]
    group = {} if projection.group is None else {"kpi_group": projection.group}
    if group:
        keys.append("kpi_group")
    rows = (
        projection.rows.filter(day__lte=result.dates[-1])
        .annotate(mb=bucket("day", result.dates), **group)
        .values(*keys)
        .annotate(
            invoiced=Sum("ar_invoiced"),
            applied=Sum("ar_applied"),
            adjusted=Sum("ar_adjusted"),
            current=Sum("ar_current"),
        )
        .order_by()
    )
    # A due bucket past every current date: counted at each of them (mb <= i is the test).
    every_date = len(result.current_dates)
    for row in rows:
        g = projection.group_of(row.get("kpi_group"))
        # To the cent: sums of cents, which SQLite adds as floats (running sums add the noise).
        cents = {name: row[name].quantize(CENT) for name in ("invoiced", "applied", "adjusted")}
        result.add_flow(g, "invoice", row["mb"], cents["invoiced"])
        result.add_flow(g, "application", row["mb"], -cents["applied"])
        result.add_flow(g, "adjustment", row["mb"], -cents["adjusted"])
        result.add_current(g, row["mb"], every_date, row["current"].quantize(CENT))


def _kpi_rows(
    scope: Scope,
    periods: Sequence[Period],
    group_by: str | None,
    product_lines: bool = True,
    **measures: str,
) -> dict | None:
    """`_rows` on the KPI rollup (name -> rollup column summed), or None if it cannot answer.

    Rows whose measures are all zero are left out, as the source path has no row there.
    """
    projection = kpi_projection(scope, group_by, product_lines)
    if projection is None:
        return None
    rows = _rows(
        projection.rows,
        "day",
        periods,
        projection.group,
        **{name: Sum(column) for name, column in measures.items()},
    )
    return {
        (projection.group_of(g), k): row
        for (g, k), row in rows.items()
        if any(row[name] for name in measures)
    }


def _rollup_movements(scope: Scope, group_by: str | None, result: Movements) -> None:
    if group_by == "customer" or scope.customer is not None:
        raise ValueError("The rollup has no customer key.")
    qs = ARDailyMovement.objects.filter(
        currency=scope.currency, movement_date__lte=result.dates[-1]
    )
    if scope.rep is not None:
        qs = qs.filter(rep_key=scope.rep)
    if scope.segment is not None:
        qs = qs.filter(segment_key=scope.segment)
    if scope.product_line is not None:
        qs = qs.filter(product_line=scope.product_line)
    keys = ["kind", "mb", "db"]
    annotations = {
        "mb": bucket("movement_date", result.dates),
        "db": due_bucket("due_date", result.current_dates),
    }
    if group_by is not None:
        annotations["kpi_group"] = F(ROLLUP_GROUPS[group_by])
        keys.append("kpi_group")
    rows = qs.annotate(**annotations).values(*keys).annotate(total=Sum("amount")).order_by()
    for row in rows:
        group = row.get("kpi_group")
        if group_by in ("rep", "segment") and group == 0:
            group = None
        result.add(group, row["kind"], row["mb"], row["db"], row["total"])


def _not_settled_by(d: date, prefix: str) -> Q:
    """Invoices settled on or before d moved only up to d and net to zero after it: every
    bucket from d on ignores them, so the source path skips them (most of the history)."""
    p = f"{prefix}__" if prefix else ""
    return Q(**{f"{p}paid_date__isnull": True}) | Q(**{f"{p}paid_date__gt": d})


def _source_movements(scope: Scope, group_by: str | None, result: Movements) -> None:
    last = result.dates[-1]
    sources = (
        (
            "invoice",
            Invoice.objects.filter(
                predicates.counting(), predicates.invoice_dimensions(**scope.filters())
            ),
            "",
            "issue_date",
            1,
        ),
        (
            "application",
            PaymentApplication.objects.filter(
                predicates.counting("invoice"),
                predicates.invoice_dimensions("invoice", **scope.filters()),
            ),
            "invoice",
            "applied_date",
            -1,
        ),
        (
            "adjustment",
            Adjustment.objects.filter(
                predicates.counting("invoice"),
                predicates.invoice_dimensions("invoice", **scope.filters()),
            ),
            "invoice",
            "adjustment_date",
            -1,
        ),
    )
    for kind, qs, prefix, date_field, sign in sources:
        due = f"{prefix}__due_date" if prefix else "due_date"
        annotations = {
            "mb": bucket(date_field, result.dates),
            "db": due_bucket(due, result.current_dates),
        }
        keys = ["mb", "db"]
        group = invoice_group(group_by, prefix)
        if group is not None:
            annotations["kpi_group"] = group
            keys.append("kpi_group")
        rows = (
            qs.filter(**{f"{date_field}__lte": last})
            .filter(_not_settled_by(result.dates[0], prefix))
            .annotate(**annotations)
            .values(*keys)
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for row in rows:
            result.add(row.get("kpi_group"), kind, row["mb"], row["db"], sign * row["total"])


# --- Reference implementation of the AR building blocks, straight from the spec ----------


def _invoices(scope: Scope, prefix: str = "") -> Q:
    return predicates.counting(prefix) & predicates.invoice_dimensions(prefix, **scope.filters())


def reference_ar(scope: Scope, d: date, current_only: bool = False) -> Decimal:
    """AR(d) (or Current AR(d)) from invoices, applications and adjustments, per the spec.

    Three aggregate queries: Σ amount of counting invoices issued by d (due on or after d for
    current AR) − Σ their applications dated by d − Σ their adjustments dated by d. Slow on a
    large ledger (it reads every invoice): the rollup path must always agree with it.
    """
    due = {"due_date__gte": d} if current_only else {}
    invoiced = Invoice.objects.filter(_invoices(scope), issue_date__lte=d, **due).aggregate(
        s=Sum("amount")
    )["s"]
    due = {"invoice__due_date__gte": d} if current_only else {}
    applied = PaymentApplication.objects.filter(
        _invoices(scope, "invoice"), invoice__issue_date__lte=d, applied_date__lte=d, **due
    ).aggregate(s=Sum("amount"))["s"]
    adjusted = Adjustment.objects.filter(
        _invoices(scope, "invoice"), invoice__issue_date__lte=d, adjustment_date__lte=d, **due
    ).aggregate(s=Sum("amount"))["s"]
    return (invoiced or ZERO) - (applied or ZERO) - (adjusted or ZERO)


def reference_credit_sales(scope: Scope, period: Period) -> Decimal:
    """Credit sales(P) from the invoices."""
    total = Invoice.objects.filter(
        _invoices(scope), issue_date__gte=period.start, issue_date__lte=period.end
    ).aggregate(s=Sum("amount"))["s"]
    return total or ZERO


def reference_collected(scope: Scope, period: Period) -> Decimal:
    """Collected(P) from the applications."""
    total = PaymentApplication.objects.filter(
        _invoices(scope, "invoice"), applied_date__gte=period.start, applied_date__lte=period.end
    ).aggregate(s=Sum("amount"))["s"]
    return total or ZERO


# --- Invoice quality: first-pass yield and dispute rate ----------------------------------


def invoice_quality(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    """Counting invoices issued per period: `issued`, `disputed` (at least one dispute, ever),
    `first_pass` (no dispute and no credit note, ever)."""
    fast = _kpi_rows(
        scope,
        periods,
        group_by,
        issued="invoices_issued",
        disputed="invoices_disputed",
        first_pass="invoices_first_pass",
    )
    if fast is not None:
        return fast
    # `id IN (subquery)` bounded to the window lets PostgreSQL hash the few disputed or
    # credited invoices once instead of probing per invoice (a correlated EXISTS).
    cuts = cuts_of(periods)
    # A dispute or credit note is never dated before its invoice: the date bound is implied
    # and lets the date indexes narrow the subqueries. No join back to the invoices for the
    # issue window: the outer query applies it, and the join re-read every invoice of the
    # window once per subquery and worker (half a second at 1M invoices).
    disputed = Q(pk__in=Dispute.objects.filter(opened_date__gt=cuts[0]).values("invoice_id"))
    credited = Q(
        pk__in=Adjustment.objects.filter(
            kind=Adjustment.Kind.CREDIT_NOTE, adjustment_date__gt=cuts[0]
        ).values("invoice_id")
    )
    return _rows(
        Invoice.objects.filter(_invoices(scope)),
        "issue_date",
        periods,
        invoice_group(group_by),
        issued=Count("id"),
        disputed=Count("id", filter=disputed),
        first_pass=Count("id", filter=~disputed & ~credited),
    )


def dispute_resolution(
    scope: Scope, periods: Sequence[Period], group_by: str | None = None
) -> dict:
    """Disputes resolved per period (on counting invoices): `resolved`, `days` (Σ days open)."""
    fast = _kpi_rows(scope, periods, group_by, resolved="disputes_resolved", days="dispute_days")
    if fast is not None:
        return fast
    qs = Dispute.objects.filter(_invoices(scope, "invoice"), resolved_date__isnull=False)
    return _rows(
        qs,
        "resolved_date",
        periods,
        invoice_group(group_by, "invoice"),
        resolved=Count("id"),
        days=Sum(DaysBetween(F("resolved_date"), F("opened_date"))),
    )


PAYMENT_GROUPS = {
    None: None,
    "rep": F("customer__rep_id"),
    "segment": F("customer__segment_id"),
    "customer": F("customer_id"),
}


def payment_matching(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    """Payments received per period: `received`, `matched` (fully applied, every application
    automatic), both as the applications stand now. Payments have no product line: that filter
    does not narrow them."""
    fast = _kpi_rows(
        scope,
        periods,
        group_by,
        product_lines=False,
        received="payments_received",
        matched="payments_matched",
    )
    if fast is not None:
        return fast
    cuts = cuts_of(periods)
    # A LEFT JOIN to the payment's manual applications, not `pk IN (subquery)`: inside an
    # aggregate FILTER PostgreSQL 15 may run that subquery once per payment (un-hashed),
    # which at a million payments took minutes. The date bounds are implied (cash is never
    # applied before it is received) and keep the joined side to the window.
    manual = FilteredRelation(
        "applications",
        condition=Q(applications__automatic=False, applications__applied_date__gt=cuts[0]),
    )
    qs = Payment.objects.filter(
        predicates.customer_dimensions(
            rep=scope.rep, segment=scope.segment, customer=scope.customer
        ),
        currency=scope.currency,
    ).annotate(kpi_manual=manual)
    return _rows(
        qs,
        "received_date",
        periods,
        PAYMENT_GROUPS[group_by],
        # Distinct: a payment with several manual applications joins several rows.
        received=Count("id", distinct=True),
        matched=Count("id", distinct=True, filter=Q(unapplied_amount=0, kpi_manual__isnull=True)),
    )


def promise_keeping(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    """Promises (on counting invoices) with promised_date per period: `due`, `kept`.

    Kept is derived here from the applications (created..promised dates, inclusive), not
    read from the stored status.
    """
    fast = _kpi_rows(scope, periods, group_by, due="promises_due", kept="promises_kept")
    if fast is not None:
        return fast
    qs = PromiseToPay.objects.filter(_invoices(scope, "invoice")).annotate(
        kpi_kept=Case(When(predicates.promise_kept(), then=Value(1)), default=Value(0))
    )
    return _rows(
        qs,
        "promised_date",
        periods,
        invoice_group(group_by, "invoice"),
        due=Count("id"),
        kept=Sum("kpi_kept"),
    )


def _time_to_invoice_qs(scope: Scope):
    return Invoice.objects.filter(_invoices(scope), order__isnull=False).annotate(
        kpi_days=DaysBetween(F("issue_date"), F("order__order_date"))
    )


def time_to_invoice(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    """Counting invoices with an order issued per period: `invoiced`, `days` (Σ issue − order)."""
    fast = _kpi_rows(scope, periods, group_by, invoiced="invoices_ordered", days="order_days")
    if fast is not None:
        return fast
    return _rows(
        _time_to_invoice_qs(scope),
        "issue_date",
        periods,
        invoice_group(group_by),
        invoiced=Count("id"),
        days=Sum("kpi_days"),
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
    qs = _time_to_invoice_qs(scope).filter(issue_date__gte=scope.start, issue_date__lte=scope.end)
    values = list(qs.order_by("kpi_days", "id").values_list("kpi_days", flat=True)[low : high + 1])
    lower = Decimal(values[0])
    upper = Decimal(values[-1])
    return lower + (position - low) * (upper - lower)


def slowest_invoices(scope: Scope, limit: int = 10) -> list[dict]:
    """The invoices of the period that took longest from order to invoice (one query)."""
    qs = _time_to_invoice_qs(scope).filter(issue_date__gte=scope.start, issue_date__lte=scope.end)
    return list(
        qs.order_by("-kpi_days", "issue_date", "id").values(
            "id", "number", "customer_id", "order_id", "order__order_date", "issue_date", "kpi_days"
        )[:limit]
    )


# --- Reminders -----------------------------------------------------------------------------


def _reminders(scope: Scope):
    q = predicates.customer_dimensions(segment=scope.segment, customer=scope.customer)
    if scope.rep is not None:
        q &= predicates.activity_rep(scope.rep)
    if scope.product_line is not None:
        q &= Q(invoice__product_line=scope.product_line)
    # An activity without an invoice is in its customer's currency.
    q &= Q(invoice__isnull=False, invoice__currency=scope.currency) | Q(
        invoice__isnull=True, customer__currency=scope.currency
    )
    return (
        CollectionActivity.objects.reminders().filter(q).annotate(kpi_sent=TruncDate("occurred_at"))
    )


REMINDER_GROUPS = {
    None: None,
    "rep": predicates.activity_rep_id(),
    "segment": F("customer__segment_id"),
    "customer": F("customer_id"),
    # An activity without an invoice has no product line, like an invoice without one.
    "product_line": Coalesce(F("invoice__product_line"), Value("")),
}


def _start_of_day(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.get_current_timezone())


def reminder_funnel(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    """Reminders sent per period: `sent`, `clicked` (clicked_at set), `paid` (its invoice got
    an application dated from the sent date to 7 days after)."""
    fast = _kpi_rows(
        scope,
        periods,
        group_by,
        sent="reminders_sent",
        clicked="reminders_clicked",
        paid="reminders_paid",
    )
    if fast is not None:
        return fast
    paid = predicates.reminder_paid("kpi_sent")
    # Bound the timestamps too, so the (kind, occurred_at) index serves the date filter.
    first = periods[0].start
    after_last = periods[-1].end + timedelta(days=1)
    qs = _reminders(scope).filter(
        occurred_at__gte=_start_of_day(first), occurred_at__lt=_start_of_day(after_last)
    )
    qs = qs.annotate(
        kpi_paid=Case(When(Q(invoice__isnull=False) & paid, then=Value(1)), default=Value(0)),
        kpi_clicked=Case(When(clicked_at__isnull=False, then=Value(1)), default=Value(0)),
    )
    return _rows(
        qs,
        "kpi_sent",
        periods,
        REMINDER_GROUPS[group_by],
        sent=Count("id"),
        clicked=Sum("kpi_clicked"),
        paid=Sum("kpi_paid"),
    )


# --- Pipeline --------------------------------------------------------------------------------


OPPORTUNITY_GROUPS = {
    None: None,
    "rep": F("rep_id"),
    "segment": F("customer__segment_id"),
    "customer": F("customer_id"),
}


def _opportunities(scope: Scope):
    q = Q(currency=scope.currency)
    if scope.rep is not None:
        q &= Q(rep_id=scope.rep)
    if scope.segment is not None:
        q &= Q(customer__segment_id=scope.segment)
    if scope.customer is not None:
        q &= Q(customer_id=scope.customer)
    return Opportunity.objects.filter(q)


def pipeline(scope: Scope, periods: Sequence[Period], group_by: str | None = None) -> dict:
    """Per period: `open` (created by its end, not closed before its start), and over the
    opportunities closed in it `won`, `lost`, `won_amount`, `won_days` (Σ closed − created).

    Two queries: closings per period, and creations / closings per boundary bucket so that
    open(k) = created by end_k − closed by start_k − 1 (cumulative over buckets).
    """
    if kpi_projection(scope, group_by, product_lines=False) is not None:
        return _kpi_pipeline(scope, periods, group_by)
    group = OPPORTUNITY_GROUPS[group_by]
    closed = _rows(
        _opportunities(scope).filter(closed_date__isnull=False),
        "closed_date",
        periods,
        group,
        won=Count("id", filter=Q(stage="won")),
        lost=Count("id", filter=Q(stage="lost")),
        won_amount=Sum("amount", filter=Q(stage="won")),
        won_days=Sum(DaysBetween(F("closed_date"), F("created_date")), filter=Q(stage="won")),
    )
    cuts = cuts_of(periods)
    annotations = {
        "kpi_created": bucket("created_date", cuts),
        "kpi_closed": bucket("closed_date", cuts),
    }
    keys = ["kpi_created", "kpi_closed"]
    if group is not None:
        annotations["kpi_group"] = group
        keys.append("kpi_group")
    counts = (
        _opportunities(scope)
        .filter(created_date__lte=cuts[-1])
        # Closed before the first period: counted in both terms of open(k), so they cancel.
        .filter(Q(closed_date__isnull=True) | Q(closed_date__gt=cuts[0]))
        .annotate(**annotations)
        .values(*keys)
        .annotate(n=Count("id"))
        .order_by()
    )
    created: dict = defaultdict(lambda: [0] * len(cuts))
    closed_by: dict = defaultdict(lambda: [0] * len(cuts))
    for row in counts:
        g = row.get("kpi_group")
        created[g][row["kpi_created"]] += row["n"]
        if row["kpi_closed"] is not None:
            closed_by[g][row["kpi_closed"]] += row["n"]
    result: dict = {}
    for g in set(created) | {g for g, _ in closed}:
        for k in range(1, len(cuts)):
            open_count = sum(created[g][: k + 1]) - sum(closed_by[g][:k])
            row = dict(closed.get((g, k), {}))
            row["open"] = open_count
            result[(g, k)] = row
    return result


def _kpi_pipeline(scope: Scope, periods: Sequence[Period], group_by: str | None) -> dict:
    """`pipeline` from the KPI rollup: the same two queries on its rows."""
    closed = _kpi_rows(
        scope,
        periods,
        group_by,
        product_lines=False,
        closed="opportunities_closed",
        won="opportunities_won",
        lost="opportunities_lost",
        won_amount="won_amount",
        won_days="won_days",
    )
    for row in closed.values():
        del row["closed"]
        if not row["won"]:  # as the source's filtered sums over no row
            row["won_amount"] = row["won_days"] = None
    projection = kpi_projection(scope, group_by, product_lines=False)
    cuts = cuts_of(periods)
    group = {} if projection.group is None else {"kpi_group": projection.group}
    counts = (
        projection.rows.filter(day__lte=cuts[-1])
        .annotate(kpi_bucket=bucket("day", cuts), **group)
        .values("kpi_bucket", *group)
        .annotate(created=Sum("opportunities_created"), closed=Sum("opportunities_closed"))
        .order_by()
    )
    created: dict = defaultdict(lambda: [0] * len(cuts))
    closed_by: dict = defaultdict(lambda: [0] * len(cuts))
    for row in counts:
        g = projection.group_of(row.get("kpi_group"))
        created[g][row["kpi_bucket"]] += row["created"]
        closed_by[g][row["kpi_bucket"]] += row["closed"]
    result: dict = {}
    for g in created:
        opened = [sum(created[g][: k + 1]) - sum(closed_by[g][:k]) for k in range(1, len(cuts))]
        # Opportunities closed before the first period count in both terms: a group whose
        # every opportunity did is not in the source's answer either.
        if not any(opened):
            continue
        for k, open_count in enumerate(opened, start=1):
            row = dict(closed.get((g, k), {}))
            row["open"] = open_count
            result[(g, k)] = row
    return result
