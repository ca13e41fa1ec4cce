"""Database helpers shared by every app."""

import json
from collections.abc import Callable, Iterable, Sequence

from django.db import OperationalError, connection
from django.db.models import Model

from o2c_api.errors import Conflict, ErrorCode

RETRYABLE_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure
DEADLOCK_ATTEMPTS = 3


def retry_on_deadlock[T](work: Callable[[], T], attempts: int = DEADLOCK_ATTEMPTS) -> T:
    """Run `work` (one whole transaction) again when the database aborted it to break a deadlock.

    Only a transaction of our own can be retried: inside an outer atomic block the error goes
    up to whoever owns the transaction. After the last attempt it becomes a 409
    `concurrent_update` Conflict (nothing was stored).
    """
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError as exc:
            sqlstate = getattr(exc.__cause__, "sqlstate", None)
            if sqlstate not in RETRYABLE_SQLSTATES or connection.in_atomic_block:
                raise
            if attempt == attempts - 1:
                raise Conflict(
                    "Concurrent changes kept colliding; nothing was stored. Retry the request.",
                    code=ErrorCode.CONCURRENT_UPDATE,
                ) from exc
    raise AssertionError("unreachable")


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` (values in `columns`' order) into `table`, for a rebuild of derived data:
    COPY on PostgreSQL (a million rows in seconds, where row inserts take minutes), one
    executemany elsewhere."""
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)


def json_recordset(model: type[Model], columns: Sequence[str], alias: str = "v") -> str:
    """A FROM item (PostgreSQL) reading rows from one JSON parameter (`json_rows`), typed as
    `model`'s columns, numbered in their order (column `n`).

    For set-based writes of many rows: one parameter whatever the number of rows, so neither
    Django nor psycopg builds or splits SQL per row (a bulk post's INSERTs of 500 payments'
    rows had tens of thousands of placeholders). `INSERT ... SELECT ... FROM {this} ORDER
    BY n` inserts (and locks) in the order given.

    Args:
        model: whose columns the values are read as (their database types).
        columns: column names (`Field.column`, e.g. `customer_id`), the keys of each row.
    """
    by_column = {field.column: field for field in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    types = ", ".join(f"{quote(c)} {by_column[c].db_type(connection)}" for c in columns)
    names = ", ".join(quote(c) for c in columns)
    return (
        f"ROWS FROM (jsonb_to_recordset(%s::jsonb) AS ({types})) "
        f"WITH ORDINALITY AS {alias}({names}, n)"
    )


def json_rows(rows: Iterable[dict]) -> str:
    """The parameter of `json_recordset`: Decimals, dates and times as their exact strings."""
    return json.dumps(list(rows), default=str)
