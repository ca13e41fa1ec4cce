"""The AR daily movement rollup (`ARDailyMovement`): posting deltas and rebuilding it.

Services post the movements of what they change in the same transaction; `rebuild()` and
`recompute()` derive the table from the source rows, for repairs, bulk loads and the tests
that prove the two never disagree.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction

from receivables import rollup
from receivables.models import ARDailyMovement, Invoice

TABLE = ARDailyMovement._meta.db_table
KEY_COLUMNS = (
    "movement_date",
    "due_date",
    "kind",
    "rep_key",
    "segment_key",
    "product_line",
    "currency",
)


@dataclass(frozen=True, order=True)
class MovementKey:
    movement_date: date
    due_date: date
    kind: str
    rep_key: int
    segment_key: int
    product_line: str
    currency: str


def invoice_key(invoice: Invoice, kind: str, movement_date: date) -> MovementKey:
    """The rollup key of a movement of `invoice` (its customer must be loaded or loadable)."""
    return MovementKey(
        movement_date=movement_date,
        due_date=invoice.due_date,
        kind=kind,
        rep_key=invoice.rep_id or 0,
        segment_key=invoice.customer.segment_id or 0,
        product_line=invoice.product_line,
        currency=invoice.currency,
    )


_pending: ContextVar[list | None] = ContextVar("ledger_pending", default=None)


@contextmanager
def deferred(facts: frozenset | None = None) -> Iterator[None]:
    """Hold the posts made inside and post them together, in key order, when the block ends.

    A transaction that posts movements one by one (a payment applied to several invoices)
    would lock rollup rows in the order it applies cash, and two such transactions could lock
    two rows in opposite orders and deadlock. Deferred, the transaction takes its rollup rows
    last and sorted, as the locking order says. Use it inside the transaction. Nested blocks
    join the outer one; a block left by an exception drops its posts (use it together with
    the savepoint that rolls back the rows they came from).

    The block also tracks the KPI facts the posting changes (`rollup.tracking`, limited to
    the families named in `facts` if given) and writes the KPI rollup rows after the AR rows,
    sorted too.
    """
    with rollup.deferred(), rollup.tracking(facts):
        parent = _pending.get()
        pending: list = []
        token = _pending.set(pending)
        try:
            yield
        finally:
            _pending.reset(token)
        if parent is not None:
            parent.extend(pending)
        else:
            post(pending)


def post(movements: Iterable[tuple[MovementKey, Decimal]]) -> None:
    """Add signed amounts to the rollup, merging movements that share a key.

    Rows are upserted in key order, so two transactions posting overlapping keys lock them in
    the same order and cannot deadlock on each other. Inside `deferred()` the movements are
    held until the block ends.
    """
    pending = _pending.get()
    if pending is not None:
        pending.extend(movements)
        return
    totals: dict[MovementKey, Decimal] = defaultdict(Decimal)
    for key, amount in movements:
        totals[key] += amount
    rows = [
        (
            key.movement_date,
            key.due_date,
            key.kind,
            key.rep_key,
            key.segment_key,
            key.product_line,
            key.currency,
            amount,
        )
        for key, amount in sorted(totals.items())
        if amount
    ]
    if not rows:
        return
    columns = ", ".join(KEY_COLUMNS)
    sql = (
        f"INSERT INTO {TABLE} ({columns}, amount) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT ({columns}) DO UPDATE SET amount = {TABLE}.amount + excluded.amount"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    rollup.post(rollup.ar_deltas(totals.items()))


def invoice_movements(invoice: Invoice, sign: int = 1) -> list[tuple[MovementKey, Decimal]]:
    """Every movement `invoice` contributes (issue, applications, adjustments), times sign."""
    movements = [(invoice_key(invoice, "invoice", invoice.issue_date), sign * invoice.amount)]
    for applied_date, amount in invoice.applications.values_list("applied_date", "amount"):
        movements.append((invoice_key(invoice, "application", applied_date), -sign * amount))
    for adjustment_date, amount in invoice.adjustments.values_list("adjustment_date", "amount"):
        movements.append((invoice_key(invoice, "adjustment", adjustment_date), -sign * amount))
    return movements


_SOURCE_SQL = """
    SELECT i.issue_date AS movement_date, i.due_date, 'invoice' AS kind,
           COALESCE(i.rep_id, 0) AS rep_key, COALESCE(c.segment_id, 0) AS segment_key,
           i.product_line, i.currency, i.amount AS amount
      FROM receivables_invoice i JOIN accounts_customer c ON c.id = i.customer_id
     WHERE i.status IN ('open', 'paid') {where}
    UNION ALL
    SELECT a.applied_date, i.due_date, 'application',
           COALESCE(i.rep_id, 0), COALESCE(c.segment_id, 0), i.product_line, i.currency, -a.amount
      FROM receivables_paymentapplication a
      JOIN receivables_invoice i ON i.id = a.invoice_id
      JOIN accounts_customer c ON c.id = i.customer_id
     WHERE i.status IN ('open', 'paid') {where}
    UNION ALL
    SELECT d.adjustment_date, i.due_date, 'adjustment',
           COALESCE(i.rep_id, 0), COALESCE(c.segment_id, 0), i.product_line, i.currency, -d.amount
      FROM receivables_adjustment d
      JOIN receivables_invoice i ON i.id = d.invoice_id
      JOIN accounts_customer c ON c.id = i.customer_id
     WHERE i.status IN ('open', 'paid') {where}
"""


def _grouped_source_sql(where: str = "") -> str:
    columns = ", ".join(KEY_COLUMNS)
    return (
        f"SELECT {columns}, SUM(amount) FROM ({_SOURCE_SQL.format(where=where)}) m "
        f"GROUP BY {columns}"
    )


def recompute() -> dict[MovementKey, Decimal]:
    """The rollup as it should be, computed from invoices, applications and adjustments."""
    with connection.cursor() as cursor:
        cursor.execute(_grouped_source_sql())
        return {
            MovementKey(*row[:7]): Decimal(row[7]).quantize(Decimal("0.01"))
            for row in cursor.fetchall()
            if row[7]
        }


def stored() -> dict[MovementKey, Decimal]:
    """The rollup as stored, without rows that net to zero."""
    return {
        MovementKey(*row[:7]): row[7]
        for row in ARDailyMovement.objects.exclude(amount=0).values_list(*KEY_COLUMNS, "amount")
    }


@transaction.atomic
def rebuild() -> int:
    """Replace the rollup with a recomputation from the source rows. Returns rows written."""
    columns = ", ".join(KEY_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(f"INSERT INTO {TABLE} ({columns}, amount) {_grouped_source_sql()}")
        return cursor.rowcount


def customer_movements(customer_id: int, sign: int = 1) -> list[tuple[MovementKey, Decimal]]:
    """Every movement of one customer's invoices, grouped, times sign."""
    with connection.cursor() as cursor:
        cursor.execute(
            _grouped_source_sql(where="AND i.customer_id = %s"),
            [customer_id] * 3,
        )
        return [(MovementKey(*row[:7]), sign * Decimal(row[7])) for row in cursor.fetchall()]


def move_customer_segment(customer_id: int, old_segment: int, new_segment: int) -> None:
    """Re-key a customer's movements after its segment changed (segment is always current)."""
    movements = []
    for key, amount in customer_movements(customer_id):
        movements.append((_with_segment(key, old_segment or 0), -amount))
        movements.append((_with_segment(key, new_segment or 0), amount))
    post(movements)


def _with_segment(key: MovementKey, segment_key: int) -> MovementKey:
    return MovementKey(
        key.movement_date,
        key.due_date,
        key.kind,
        key.rep_key,
        segment_key,
        key.product_line,
        key.currency,
    )


def differences() -> int:
    """Rows where the stored rollup and a recomputation disagree, counted in SQL.

    The same check as `stored() == recompute()` without loading either side into Python
    (at a million invoices the rollup has about two million rows): keys whose non-zero
    amounts differ, counted once from each side.
    """
    columns = ", ".join(KEY_COLUMNS)
    # ROUND to cents on both sides: SQLite sums decimals as floats.
    stored_sql = f"SELECT {columns}, ROUND(amount, 2) FROM {TABLE} WHERE ROUND(amount, 2) <> 0"
    recomputed_sql = (
        f"SELECT {columns}, ROUND(SUM(amount), 2) FROM ({_SOURCE_SQL.format(where='')}) m "
        f"GROUP BY {columns} HAVING ROUND(SUM(amount), 2) <> 0"
    )
    sql = (
        f"SELECT (SELECT COUNT(*) FROM ({stored_sql} EXCEPT {recomputed_sql}) a) "
        f"+ (SELECT COUNT(*) FROM ({recomputed_sql} EXCEPT {stored_sql}) b)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]
