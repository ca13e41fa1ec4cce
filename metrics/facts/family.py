"""What every KPI fact family shares: the rollup's measures and keys, the anchors a write
touches, the `Family` base and the key and measure helpers the families are written with."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    BigIntegerField,
    Case,
    F,
    Func,
    IntegerField,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull

from accounts.scoping import own_customers
from metrics.models import KPIRollup
from o2c_api.expressions import AnyOf, DaysBetween
from o2c_api.money import ZERO, money_field

ALL = KPIRollup.ALL
ALL_LINES = KPIRollup.ALL_PRODUCT_LINES
KEY_COLUMNS = ("day", "rep_key", "segment_key", "product_line", "currency")
AR_MEASURES = ("ar_invoiced", "ar_applied", "ar_adjusted", "ar_current")
FACT_MEASURES = (
    "invoices_issued",
    "invoices_disputed",
    "invoices_first_pass",
    "invoices_ordered",
    "order_days",
    "disputes_resolved",
    "dispute_days",
    "payments_received",
    "payments_matched",
    "promises_due",
    "promises_kept",
    "reminders_sent",
    "reminders_clicked",
    "reminders_paid",
    "opportunities_created",
    "opportunities_closed",
    "opportunities_won",
    "opportunities_lost",
    "won_amount",
    "won_days",
)
MEASURES = AR_MEASURES + FACT_MEASURES
MONEY_MEASURES = frozenset({"ar_invoiced", "ar_applied", "ar_adjusted", "ar_current", "won_amount"})


@dataclass
class Anchors:
    """What a write touched: the facts of these rows are recomputed."""

    invoices: set = field(default_factory=set)
    orders: set = field(default_factory=set)
    payments: set = field(default_factory=set)
    customers: set = field(default_factory=set)
    activities: set = field(default_factory=set)
    opportunities: set = field(default_factory=set)

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in ANCHOR_NAMES)

    def minus(self, other: Anchors) -> Anchors:
        return Anchors(**{n: getattr(self, n) - getattr(other, n) for n in ANCHOR_NAMES})

    def add(self, other: Anchors) -> None:
        for name in ANCHOR_NAMES:
            getattr(self, name).update(getattr(other, name))


ANCHOR_NAMES = ("invoices", "orders", "payments", "customers", "activities", "opportunities")


def days_between(later: str, earlier: str) -> DaysBetween:
    return DaysBetween(F(later), F(earlier))


def any_row(queryset) -> IsNull:
    """Whether `queryset` has a row, as `EXISTS` but probed row by row: `(SELECT pk ...
    LIMIT 1) IS NOT NULL`."""
    return IsNull(Subquery(queryset.order_by().values("pk")[:1]), False)


def one_if(condition) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


class Family:
    """One kind of source row and the facts it contributes: the one definition of them.

    `key()` gives the row's day and dimensions (`kpi_day`, `kpi_rep`, `kpi_segment`,
    `kpi_pl`, `kpi_currency`), `measures` what it adds to each fact. `grouped()` sums them
    per key (to build and keep the rollup), `scoped()` narrows the rows to a KPI scope (to
    answer a scope the rollup cannot: a customer), `anchor_q()` to the rows a write touched.
    """

    measures: dict  # measure -> expression per row
    customer = "customer_id"  # the path to the row's customer
    invoice: str | None = None  # the path to the row's invoice ("" for an invoice itself)
    product_lines = True  # False: the rows have no product line (payments, opportunities)
    timestamp: str | None = None  # the timestamp the day is the date of (an index to bound)

    def queryset(self):
        raise NotImplementedError

    def key(self) -> dict:
        raise NotImplementedError

    def anchor_q(self, anchors: Anchors) -> Q | None:
        raise NotImplementedError

    def measures_in(self, customers_of: int | None) -> dict:
        """The measures of `scoped()` rows: `measures`, or, for a user's own customers
        (`customers_of`: a few thousand rows), the same values in a form planned for few rows
        where a family's own form is planned for every row."""
        return self.measures

    def grouped(self, where: Q | None = None, projection: str | None = None):
        """Measures summed per day and dimensions: all of them (projection None), or only
        the projection's ("all", "rep", "segment", "product_line"), the others set to their
        "all" value."""
        qs = self.queryset()
        if where is not None:
            qs = qs.filter(where)
        key = self.key()
        if projection is not None:
            for name, dim, everything in _PROJECTED:
                if dim != projection:
                    key[name] = Value(everything)
        qs = qs.annotate(**key).values(
            "kpi_day", "kpi_rep", "kpi_segment", "kpi_pl", "kpi_currency"
        )
        aggregates = {}
        for measure in MEASURES:
            expression = self.measures.get(measure)
            if expression is None:
                expression = Value(ZERO if measure in MONEY_MEASURES else 0)
            output = money_field() if measure in MONEY_MEASURES else BigIntegerField()
            aggregates[f"kpi_{measure}"] = Sum(expression, output_field=output)
        return qs.annotate(**aggregates).order_by()

    def scoped(
        self,
        *,
        rep: int | None = None,
        segment: int | None = None,
        customer: int | None = None,
        product_line: str | None = None,
        currency: str | None = None,
        customers_of: int | None = None,
        group_by: str | None = None,
    ):
        """The rows in a scope, keyed, with `kpi_group` when grouped ("rep", "segment",
        "product_line" or "customer"). Each filter compares the row's own key, so a scope
        from these rows equals the same scope from the rollup. A product line does not narrow
        a family without one. `customers_of` (a user's id) keeps the rows of that user's own
        customers (`accounts.scoping`): one subquery, whatever their number."""
        filters = {"kpi_rep": rep, "kpi_segment": segment, "kpi_currency": currency}
        if self.product_lines:
            filters["kpi_pl"] = product_line
        filters = {name: value for name, value in filters.items() if value is not None}
        column = {"rep": "kpi_rep", "segment": "kpi_segment", "product_line": "kpi_pl"}
        group = column.get(group_by)
        # Only the keys used: an alias joins what it reads (the customer, for the segment)
        # even when nothing else refers to it.
        key = self.key()
        used = {"kpi_day", *([group] if group else [])}
        qs = self.queryset().alias(**{k: v for k, v in key.items() if k in used})
        if customer is not None:
            qs = qs.filter(**{self.customer: customer})
        if customers_of is not None:
            qs = qs.filter(**{f"{self.customer}__in": own_customers(customers_of)})
        for name, value in filters.items():
            on_column = _column_equals(key[name], value)
            if on_column is None:
                qs = qs.alias(**{name: key[name]}).filter(**{name: value})
            else:
                qs = qs.filter(on_column)
        if group_by is not None:
            qs = qs.annotate(kpi_group=F(group or self.customer))
        return qs


def _column_equals(expression, value) -> Q | None:
    """`expression = value` on the column itself, which an index answers, for a key that is
    a column or `Coalesce(column, default)` (a rep or segment, 0 for none: `IS NULL` for the
    default); None for any other key. `COALESCE(rep_id, 0) = 26` made PostgreSQL read every
    invoice where `rep_id = 26` reads the rep's index (a rep's DSO by customer at 1M: three
    scans of the invoice table)."""
    if isinstance(expression, F):
        return Q(**{expression.name: value})
    if isinstance(expression, Coalesce):
        column, default = expression.get_source_expressions()
        if isinstance(column, F) and isinstance(default, Value):
            if value == default.value:
                return Q(**{f"{column.name}__isnull": True}) | Q(**{column.name: value})
            return Q(**{column.name: value})
    return None


_PROJECTED = (
    ("kpi_rep", "rep", ALL),
    ("kpi_segment", "segment", ALL),
    ("kpi_pl", "product_line", ALL_LINES),
)
PROJECTIONS = ("all", "rep", "segment", "product_line")
FULL = "full"  # rep, segment and product line together: every combination of them


def invoice_key(prefix: str = "", day: str | Func = "issue_date") -> dict:
    p = f"{prefix}__" if prefix else ""
    return {
        "kpi_day": F(day) if isinstance(day, str) else day,
        "kpi_rep": Coalesce(F(f"{p}rep_id"), Value(0)),
        "kpi_segment": Coalesce(F(f"{p}customer__segment_id"), Value(0)),
        "kpi_pl": F(f"{p}product_line"),
        "kpi_currency": F(f"{p}currency"),
    }


def any_of(*paths: tuple[str, set]) -> Q | None:
    """The rows any of the non-empty id sets reaches, by the path to their id; None if every
    set is empty. Each set is one parameter (`AnyOf`), so a snapshot's SQL depends on which
    kinds of rows it reaches, not on how many."""
    q = None
    for path, ids in paths:
        if ids:
            reached = Q(AnyOf(F(path), sorted(ids)))
            q = reached if q is None else q | reached
    return q


def invoice_lookups(anchors: Anchors, prefix: str = "") -> tuple:
    """The anchors that reach an invoice (or a row reached through `prefix` to one)."""
    p = f"{prefix}__" if prefix else ""
    return (
        (f"{prefix}_id" if prefix else "pk", anchors.invoices),
        (f"{p}order_id", anchors.orders),
        (f"{p}customer_id", anchors.customers),
    )


def while_not_due(day: str, due: str, amount) -> Case:
    """`amount` if the invoice was not yet due on `day` (Current AR counts it), else 0."""
    return Case(
        When(Q(**{f"{due}__gte": F(day)}), then=amount),
        default=Value(ZERO),
        output_field=money_field(),
    )
