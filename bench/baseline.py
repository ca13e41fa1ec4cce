"""The straightforward SQL the engine is compared with: every number straight from the
source tables (invoices, applications, adjustments), no derived tables.

This is how an AR report is usually written (and how ERPNext's and Odoo's aged receivable
reports work): open amount at d per invoice = amount − applications up to d − adjustments up
to d, summed over the invoices issued by d.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection

_OPEN_AT = """
    SELECT i.id, i.due_date,
           i.amount - COALESCE((SELECT SUM(a.amount) FROM receivables_paymentapplication a
                                 WHERE a.invoice_id = i.id AND a.applied_date <= %(d)s), 0)
                    - COALESCE((SELECT SUM(j.amount) FROM receivables_adjustment j
                                 WHERE j.invoice_id = i.id AND j.adjustment_date <= %(d)s), 0)
             AS open_amount
      FROM receivables_invoice i
      JOIN accounts_customer c ON c.id = i.customer_id
     WHERE i.status IN ('open', 'paid') AND i.issue_date <= %(d)s AND i.currency = %(currency)s
       {dims}
"""


def _dims(scope: dict) -> str:
    parts = []
    if scope.get("rep") is not None:
        parts.append("AND i.rep_id = %(rep)s")
    if scope.get("segment") is not None:
        parts.append("AND c.segment_id = %(segment)s")
    if scope.get("customer") is not None:
        parts.append("AND i.customer_id = %(customer)s")
    if scope.get("product_line") is not None:
        parts.append("AND i.product_line = %(product_line)s")
    return " ".join(parts)


def _one(sql: str, params: dict) -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        value = cursor.fetchone()[0]
    return Decimal(value or 0).quantize(Decimal("0.01"))


def ar(scope: dict, d: date, current_only: bool = False) -> Decimal:
    where = "WHERE o.due_date >= %(d)s" if current_only else ""
    sql = f"SELECT SUM(o.open_amount) FROM ({_OPEN_AT.format(dims=_dims(scope))}) o {where}"
    return _one(sql, {**scope, "d": d})


def credit_sales(scope: dict, start: date, end: date) -> Decimal:
    sql = f"""
        SELECT SUM(i.amount) FROM receivables_invoice i
          JOIN accounts_customer c ON c.id = i.customer_id
         WHERE i.status IN ('open', 'paid') AND i.currency = %(currency)s
           AND i.issue_date BETWEEN %(start)s AND %(end)s {_dims(scope)}
    """
    return _one(sql, {**scope, "start": start, "end": end})


def collected(scope: dict, start: date, end: date) -> Decimal:
    sql = f"""
        SELECT SUM(a.amount) FROM receivables_paymentapplication a
          JOIN receivables_invoice i ON i.id = a.invoice_id
          JOIN accounts_customer c ON c.id = i.customer_id
         WHERE i.status IN ('open', 'paid') AND i.currency = %(currency)s
           AND a.applied_date BETWEEN %(start)s AND %(end)s {_dims(scope)}
    """
    return _one(sql, {**scope, "start": start, "end": end})


def _ratio(numerator: Decimal, denominator: Decimal, factor: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return numerator / denominator * factor


def ar_family(scope: dict, start: date, end: date) -> dict[str, Decimal | None]:
    """The AR-based KPIs of one period, per the spec, from the source tables."""
    days = Decimal((end - start).days + 1)
    ar_end = ar(scope, end)
    current_end = ar(scope, end, current_only=True)
    ar_before = ar(scope, start - timedelta(days=1))
    sales = credit_sales(scope, start, end)
    dso = _ratio(ar_end, sales, days)
    best = _ratio(current_end, sales, days)
    return {
        "ar_balance": ar_end,
        "current_ar": current_end,
        "past_due_ar": ar_end - current_end,
        "credit_sales": sales,
        "collected": collected(scope, start, end),
        "dso": dso,
        "best_possible_dso": best,
        "average_days_delinquent": None if dso is None else dso - best,
        "cei": _ratio(ar_before + sales - ar_end, ar_before + sales - current_end, Decimal(100)),
    }


def month_start(d: date, back: int = 0) -> date:
    """The first day of the month `back` months before d's month."""
    index = d.year * 12 + d.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def previous(start: date, end: date) -> tuple[date, date]:
    """The spec's previous period, written out again here: a whole calendar month, quarter
    or year is compared with the one before it; any other period with the same number of
    days immediately before it."""
    next_day = end + timedelta(days=1)
    if start.day == 1 and next_day.day == 1:
        months = (next_day.year - start.year) * 12 + next_day.month - start.month
        calendar = (
            months == 1
            or (months == 3 and start.month in (1, 4, 7, 10))
            or (months == 12 and start.month == 1)
        )
        if calendar:
            return month_start(start, months), start - timedelta(days=1)
    length = end - start
    previous_end = start - timedelta(days=1)
    return previous_end - length, previous_end


def summary(scope: dict, start: date, end: date) -> dict[str, dict[str, Decimal | None]]:
    """The AR family for the period and for the previous period (`previous`)."""
    return {
        "current": ar_family(scope, start, end),
        "previous": ar_family(scope, *previous(start, end)),
    }


BUCKETS = (
    ("current", None, 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("over_90", 91, None),
)


def aging(scope: dict, as_of: date) -> dict[str, tuple[Decimal, int]]:
    """Amount and invoice count per aging bucket at `as_of`, from the source tables."""
    sql = f"""
        SELECT CASE WHEN o.due_date >= %(d)s THEN 'current'
                    WHEN o.due_date >= %(d30)s THEN '1_30'
                    WHEN o.due_date >= %(d60)s THEN '31_60'
                    WHEN o.due_date >= %(d90)s THEN '61_90'
                    ELSE 'over_90' END AS bucket,
               SUM(o.open_amount), COUNT(*)
          FROM ({_OPEN_AT.format(dims=_dims(scope))}) o
         WHERE o.open_amount > 0
         GROUP BY 1
    """
    params = {
        **scope,
        "d": as_of,
        "d30": as_of - timedelta(days=30),
        "d60": as_of - timedelta(days=60),
        "d90": as_of - timedelta(days=90),
    }
    result = {name: (Decimal("0.00"), 0) for name, _, _ in BUCKETS}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for bucket, amount, count in cursor.fetchall():
            result[bucket] = (Decimal(amount).quantize(Decimal("0.01")), count)
    return result
