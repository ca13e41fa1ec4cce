"""The customers' payment history as of each month start (`CustomerHistoryMonth`): the facts
behind the risk score's history factors, kept in the transaction of every write that changes
them.

A row holds, for a customer, a currency and the first day M of a month, its counting invoices
due in the 11 whole months before M: how many, how many late as they stand (unpaid, or paid
after the due date), the days late of those since paid, how many late ones are unpaid and the
days from their due dates to M, their amount; and how many were due, and late, in the last
one and two months before M. Those are what `worklist.risk` needs of the year before `as_of`
for every customer, whatever `as_of`: the days late of an invoice unpaid at `as_of` run to
`as_of`, which is `late_open` × (as_of − M) + `late_open_days` for the unpaid ones. So a score
reads one row per customer (M the month of `as_of`), and only the invoices of the year's
first partial month, of the month of `as_of` and of the recent window's first partial month
from the invoice table, with those of the stored months paid after `as_of` as a correction
(`history_sql`).

It is a derived store of `metrics.rollup` (`register`): the services say which invoices,
orders or customers they touch, the store reads their facts per month of the due date before
and after, spreads each month over the 11 month starts after it, and posts the difference.
`recompute`, `rebuild` and `differences` are the same facts over every invoice.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Least, TruncMonth

from metrics.facts import Anchors
from o2c_api.db import insert_rows
from o2c_api.expressions import DaysBetween
from o2c_api.money import ZERO, money_field
from receivables import predicates
from receivables.models import Invoice
from worklist.models import CustomerHistoryMonth

TABLE = CustomerHistoryMonth._meta.db_table
KEY_COLUMNS = ("customer_id", "currency", "month")
# Per month of the due dates (`late_open_days` from the first of that month to the due dates)
MONTH_MEASURES = (
    "invoices_due",
    "invoices_late",
    "late_days_settled",
    "late_open",
    "late_open_days",
    "amount_due",
)
# Per month start M, over the YEAR_MONTHS before it (`late_open_days` from the due dates to M)
MEASURES = (
    *MONTH_MEASURES,
    "recent1_due",
    "recent1_late",
    "recent2_due",
    "recent2_late",
)
YEAR_MONTHS = 11
POST_CHUNK = 500  # rows per upsert statement (13 parameters each; SQLite allows 32766)
CENT = Decimal("0.01")

# (customer_id, currency, month) -> {measure: amount}
Deltas = dict


def late_q() -> Q:
    """An invoice not settled by its due date, as it stands: unpaid, or paid after it."""
    return Q(paid_date__isnull=True) | Q(paid_date__gt=F("due_date"))


def _one_if(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _grouped(where: Q | None = None):
    """The facts of the counting invoices (`where` narrows them) per customer, currency and
    month of the due date, as `h_*` columns."""
    unpaid = Q(paid_date__isnull=True)
    paid_late = Q(paid_date__gt=F("due_date"))
    qs = Invoice.objects.filter(predicates.counting())
    if where is not None:
        qs = qs.filter(where)
    return (
        # A date on both backends (PostgreSQL truncates to a timestamp)
        qs.annotate(h_month=Cast(TruncMonth("due_date", output_field=DateField()), DateField()))
        .values("customer_id", "currency", "h_month")
        .annotate(
            h_invoices_due=Sum(Value(1)),
            h_invoices_late=Sum(_one_if(late_q())),
            h_late_days_settled=Sum(
                Case(
                    When(paid_late, then=DaysBetween(F("paid_date"), F("due_date"))),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
            h_late_open=Sum(_one_if(unpaid)),
            h_late_open_days=Sum(
                Case(
                    When(unpaid, then=DaysBetween(F("due_date"), F("h_month"))),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
            h_amount_due=Sum("amount"),
        )
        .values("customer_id", "currency", "h_month", *(f"h_{m}" for m in MONTH_MEASURES))
        .order_by()
    )


def _anchor_q(anchors: Anchors) -> Q | None:
    """The invoices the anchors reach (as the rollup's invoice families reach them)."""
    q = None
    for lookup, ids in (
        ("pk__in", anchors.invoices),
        ("order_id__in", anchors.orders),
        ("customer_id__in", anchors.customers),
    ):
        if ids:
            part = Q(**{lookup: sorted(ids)})
            q = part if q is None else q | part
    return q


def _month(value) -> date:
    if isinstance(value, str):  # SQLite answers a truncated date as text
        return date.fromisoformat(value[:10])
    if hasattr(value, "date"):
        return value.date()
    return value


def add_months(month: date, months: int) -> date:
    """The first day of the month `months` after (or before) the month starting `month`."""
    years, index = divmod(month.month - 1 + months, 12)
    return date(month.year + years, index + 1, 1)


def _rows(qs) -> Deltas:
    """The grouped months spread over the month starts that hold them: a month m is in the
    year of M = m + 1 … m + 11 months, in the last month of m + 1, the last two of m + 1 and
    m + 2."""
    result: Deltas = {}
    for row in qs.iterator(chunk_size=10000):
        month = _month(row["h_month"])
        values = {m: row[f"h_{m}"] or 0 for m in MONTH_MEASURES}
        values["amount_due"] = Decimal(str(values["amount_due"])).quantize(CENT)
        for k in range(1, YEAR_MONTHS + 1):
            start = add_months(month, k)
            cell = result.setdefault((row["customer_id"], row["currency"], start), {})
            for measure in MONTH_MEASURES:
                value = values[measure]
                if measure == "late_open_days":  # from the due dates to M
                    value = values["late_open"] * (start - month).days - value
                cell[measure] = cell.get(measure, 0) + value
            for window in (1, 2):
                if k <= window:
                    for name, measure in (("due", "invoices_due"), ("late", "invoices_late")):
                        key = f"recent{window}_{name}"
                        cell[key] = cell.get(key, 0) + values[measure]
    return result


class HistoryStore:
    """`CustomerHistoryMonth` as a derived store of `metrics.rollup`."""

    name = "customer_history"

    def deltas(self, anchors: Anchors, excluded: Anchors | None, sign: int) -> Deltas:
        """The facts of the invoices the anchors reach (less those `excluded` reaches),
        times `sign`; no query when no anchor reaches an invoice (a payment alone)."""
        q = _anchor_q(anchors)
        if q is None:
            return {}
        if excluded:
            left_out = _anchor_q(excluded)
            if left_out is not None:
                q &= ~left_out
        return {
            key: {m: sign * v for m, v in values.items()}
            for key, values in _rows(_grouped(q)).items()
        }

    def post(self, deltas: Deltas) -> None:
        """Add the deltas, upserted in key order (two transactions lock shared keys in the
        same order), as multi-row statements: a touched month reaches 11 rows, and one
        statement for them costs less than 11."""
        rows = [
            (*key, *(values.get(m, 0) for m in MEASURES))
            for key, values in sorted(deltas.items())
            if any(values.values())
        ]
        columns = ", ".join((*KEY_COLUMNS, *MEASURES))
        updates = ", ".join(f"{m} = {TABLE}.{m} + excluded.{m}" for m in MEASURES)
        row_sql = f"({', '.join(['%s'] * (len(KEY_COLUMNS) + len(MEASURES)))})"
        with connection.cursor() as cursor:
            for start in range(0, len(rows), POST_CHUNK):
                chunk = rows[start : start + POST_CHUNK]
                cursor.execute(
                    f"INSERT INTO {TABLE} ({columns}) VALUES {', '.join([row_sql] * len(chunk))} "
                    f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {updates}",
                    [value for row in chunk for value in row],
                )

    def recompute(self) -> Deltas:
        """The table as it should be, from every counting invoice (one grouped query, each
        month spread over its 11 month starts in Python)."""
        return _rows(_grouped())

    def stored(self) -> Deltas:
        result: Deltas = {}
        for row in CustomerHistoryMonth.objects.values(*KEY_COLUMNS, *MEASURES).iterator(
            chunk_size=10000
        ):
            result[tuple(row[c] for c in KEY_COLUMNS)] = {m: row[m] for m in MEASURES}
        return result

    def differences(self) -> list:
        """Keys where the table and a recomputation disagree (empty when they agree)."""
        stored, recomputed = _normalised(self.stored()), _normalised(self.recompute())
        keys = set(stored) | set(recomputed)
        return sorted((k for k in keys if stored.get(k) != recomputed.get(k)), key=str)

    @transaction.atomic
    def rebuild(self) -> int:
        """Replace the table with a recomputation. Returns the rows written."""
        CustomerHistoryMonth.objects.all().delete()
        recomputed = sorted(self.recompute().items())
        rows = [(*key, *(values.get(m, 0) for m in MEASURES)) for key, values in recomputed]
        insert_rows(TABLE, (*KEY_COLUMNS, *MEASURES), rows)
        return len(rows)


def _normalised(deltas: Deltas) -> dict:
    """Amounts to cents (SQLite sums decimals as floats), counts as ints, all-zero rows out."""
    result = {}
    for key, values in deltas.items():
        cell = {
            m: (Decimal(str(v)).quantize(CENT) if m == "amount_due" else int(v))
            for m, v in values.items()
        }
        cell = {m: v for m, v in cell.items() if v}
        if cell:
            result[(key[0], key[1], _month(key[2]))] = cell
    return result


STORE = HistoryStore()


# --- Reading the year before as_of -----------------------------------------------------------


def month_start(d: date) -> date:
    return d.replace(day=1)


COLUMNS = ("h_customer", "h_n", "h_late", "h_late_days", "h_n_recent", "h_late_recent", "h_amount")


def history_parts(customers: Q, currency: str, d: date, history_days: int, recent_days: int):
    """Per customer, the parts that sum to its history in the `history_days` before d: the
    stored row of the month of d (its 11 whole months before), and the invoices of the rest
    of the window from the source.

    Each part has the columns h_customer, h_n (invoices due), h_late, h_late_days (days late
    by d), h_n_recent and h_late_recent (the same for the last `recent_days`), h_amount.
    The invoices of the stored months paid after d correct the stored days late (stored to
    their paid date, counted to d at d). Each invoice part is one range of due dates, which
    the covering index of the due date answers alone (an index-only scan; one range each
    because an OR of ranges makes PostgreSQL visit the table's pages).

    Args:
        customers: narrows to the customers whose history is needed (Q on `customer_id`).
        currency: the scope's currency.
        d: as_of; the window is [d − history_days, d), the recent one [d − recent_days, d).

    Returns:
        The querysets (the stored row first), with the same columns in the same order.

    Raises:
        ValueError: the window is shorter than the stored months (365 days never is).
    """
    start, recent = d - timedelta(days=history_days), d - timedelta(days=recent_days)
    last_start = month_start(d)
    first_full = add_months(last_start, -YEAR_MONTHS)
    if first_full < start:
        raise ValueError(f"{history_days} days hold fewer than {YEAR_MONTHS} whole months")
    # The recent window's whole months: the last two before d's month when they are in it
    recent_months = next(k for k in (2, 1, 0) if add_months(last_start, -k) >= recent)
    recent_full = add_months(last_start, -recent_months)
    settled_or_d = Least(Coalesce("paid_date", Value(d)), Value(d), output_field=DateField())
    late = late_q()
    paid_after_d = Q(paid_date__gt=d)
    zero = Value(0)

    def invoices(where: Q, *, year: bool, recent: bool):
        """Invoices due in one range: counted in the year, in the recent window, or (neither)
        only correcting the stored days late of those paid after d."""
        if year:
            late_days = Case(
                When(late, then=DaysBetween(settled_or_d, F("due_date"))),
                default=zero,
                output_field=IntegerField(),
            )
        else:  # in a stored month: stored with the days to its paid date, at d late by d − due
            late_days = Case(
                When(paid_after_d, then=DaysBetween(Value(d), F("paid_date"))),
                default=zero,
                output_field=IntegerField(),
            )
        return (
            Invoice.objects.filter(predicates.counting(), customers, where, currency=currency)
            .annotate(
                h_customer=F("customer_id"),
                h_n=Value(1 if year else 0),
                h_late=_one_if(late) if year else zero,
                h_late_days=late_days,
                h_n_recent=Value(1 if recent else 0),
                h_late_recent=_one_if(late) if recent else zero,
                h_amount=F("amount") if year else Value(ZERO, output_field=money_field()),
            )
            .values(*COLUMNS)
            .order_by()
        )

    recent_columns = {
        0: {"h_n_recent": zero, "h_late_recent": zero},
        1: {"h_n_recent": F("recent1_due"), "h_late_recent": F("recent1_late")},
        2: {"h_n_recent": F("recent2_due"), "h_late_recent": F("recent2_late")},
    }[recent_months]
    stored = (
        CustomerHistoryMonth.objects.filter(customers, currency=currency, month=last_start)
        .annotate(
            h_customer=F("customer_id"),
            h_n=F("invoices_due"),
            h_late=F("invoices_late"),
            h_late_days=ExpressionWrapper(
                F("late_days_settled")
                + F("late_open") * DaysBetween(Value(d), F("month"))
                + F("late_open_days"),
                output_field=BigIntegerField(),
            ),
            **recent_columns,
            h_amount=F("amount_due"),
        )
        .values(*COLUMNS)
        .order_by()
    )
    return (
        stored,
        # the year's first partial month (before the recent window)
        invoices(Q(due_date__gte=start, due_date__lt=first_full), year=True, recent=False),
        # the month of d, up to the day before it
        invoices(Q(due_date__gte=last_start, due_date__lt=d), year=True, recent=True),
        # the recent window's partial month (its invoices are in a stored month)
        invoices(Q(due_date__gte=recent, due_date__lt=recent_full), year=False, recent=True),
        # the other stored months' invoices paid after d
        invoices(
            paid_after_d
            & (
                Q(due_date__gte=first_full, due_date__lt=recent)
                | Q(due_date__gte=recent_full, due_date__lt=last_start)
            ),
            year=False,
            recent=False,
        ),
    )


def history_sql(customers: Q, currency: str, d: date, history_days: int, recent_days: int):
    """The history per customer with invoices due in the window (SQL and its parameters):
    customer_id, n, late, late_days, n_recent, late_recent, amount_sum, as the risk score's
    factors read them. Customers without any invoice due in the window have no row."""
    sqls, params = [], []
    for part in history_parts(customers, currency, d, history_days, recent_days):
        sql, part_params = part.query.sql_with_params()
        sqls.append(sql)
        params.extend(part_params)
    sql = (
        "SELECT u.h_customer AS customer_id, CAST(SUM(u.h_n) AS BIGINT) AS n, "
        "CAST(SUM(u.h_late) AS BIGINT) AS late, "
        # NULL without a late invoice, as a SUM over none
        "CASE WHEN SUM(u.h_late) > 0 THEN CAST(SUM(u.h_late_days) AS BIGINT) END AS late_days, "
        "CAST(SUM(u.h_n_recent) AS BIGINT) AS n_recent, "
        "CAST(SUM(u.h_late_recent) AS BIGINT) AS late_recent, SUM(u.h_amount) AS amount_sum "
        f"FROM ({' UNION ALL '.join(sqls)}) u "
        "GROUP BY u.h_customer HAVING SUM(u.h_n) > 0"
    )
    return sql, params


def source_sql(customers: Q, currency: str, d: date, history_days: int, recent_days: int):
    """The same as `history_sql` from the invoices alone (the whole year grouped): the
    reference the stored reading is tested against."""
    late = late_q()
    recent = Q(due_date__gte=d - timedelta(days=recent_days))
    settled_or_d = Least(Coalesce("paid_date", Value(d)), Value(d), output_field=DateField())
    qs = (
        Invoice.objects.filter(
            predicates.counting(),
            customers,
            currency=currency,
            due_date__gte=d - timedelta(days=history_days),
            due_date__lt=d,
        )
        .values("customer_id")
        .annotate(
            n=Count("id"),
            late=Count("id", filter=late),
            late_days=Sum(DaysBetween(settled_or_d, F("due_date")), filter=late),
            n_recent=Count("id", filter=recent),
            late_recent=Count("id", filter=late & recent),
            amount_sum=Sum("amount"),
        )
        .values("customer_id", "n", "late", "late_days", "n_recent", "late_recent", "amount_sum")
        .order_by()
    )
    return qs.query.sql_with_params()
