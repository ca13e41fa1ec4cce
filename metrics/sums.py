"""KPI facts summed per group and bucket of dates: one query, on the KPI rollup or the source rows.

`fact_sums` is what every building block (`metrics.blocks`) runs: it sums the measures of the
fact families (`metrics.facts`) per group and per bucket of a list of cut dates, on the KPI
rollup's rows when they answer the scope (`kpi_projection`), else on the source rows of the
families, and builds each query once per shape (`o2c_api.sqlcache`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import BigIntegerField, F, Q, Sum, Value
from django.utils import timezone

from metrics import facts
from metrics.expressions import bucket
from metrics.models import KPIRollup
from metrics.scope import Scope
from o2c_api import sqlcache
from o2c_api.money import ZERO, money_field, summed

# The scope's filters besides its currency (`Scope.filters`), as the queries' values name them.
DIMENSIONS = ("rep", "segment", "customer", "product_line", "customers_of")


def set_filters(scope: Scope) -> dict:
    """The scope's filters that are set (the currency always is): the values of a query built
    once per shape (`o2c_api.sqlcache`), their names part of its shape."""
    return {name: value for name, value in scope.filters().items() if value is not None}


def dimension_filters(values: dict) -> dict:
    """The dimension filters of `set_filters`' values, None where not set (no currency)."""
    return {name: values.get(name) for name in DIMENSIONS}


PATHS = ("kpi_rollup", "source")


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
