"""The KPI rollup (`KPIRollup`): every KPI fact per day and dimension projection, kept in the
transaction of every write that changes one.

The facts are `metrics.facts`' families. The services say what they change (`touch` before,
`added` after, inside `tracked`/`tracking`); the facts of those rows are read before the
first change and again at the end, and the difference is posted. No model signals. The same
families rebuild the table (`recompute`, `rebuild`) and check it (`differences`).

Rows are keyed by day, currency and the dimensions: at full dimensions (a rep, a segment and
a product line together), which answers any combination of them, and projected (all, one
rep, one segment, one product line), so a KPI for everything or one dimension reads one row
per day.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction

from metrics.facts import (
    ALL,
    ALL_LINES,
    ANCHOR_NAMES,
    CASH_FAMILIES,
    FULL,
    MEASURES,
    MONEY_MEASURES,
    PROJECTIONS,
    Anchors,
    families,
)
from metrics.models import KPIRollup
from o2c_api import sqlcache
from o2c_api.db import insert_rows, json_recordset, json_rows

__all__ = ["CASH_FAMILIES", "added", "touch", "tracked", "tracking"]

TABLE = KPIRollup._meta.db_table
KEY_COLUMNS = ("day", "rep_key", "segment_key", "product_line", "currency")

# (day, rep_key, segment_key, product_line, currency)
Key = tuple


def projections(day, rep: int, segment: int, product_line: str, currency: str):
    """The five rollup keys a fact adds to: its full dimensions (rep, segment and product
    line together), all, its rep, its segment, its product line."""
    return (
        (day, rep, segment, product_line, currency),
        (day, ALL, ALL, ALL_LINES, currency),
        (day, rep, ALL, ALL_LINES, currency),
        (day, ALL, segment, ALL_LINES, currency),
        (day, ALL, ALL, product_line, currency),
    )


# --- Posting ---------------------------------------------------------------------------------

Deltas = dict  # Key -> {measure: amount}


def _merge(into: Deltas, deltas: Deltas) -> None:
    for key, values in deltas.items():
        cell = into.setdefault(key, {})
        for measure, value in values.items():
            cell[measure] = cell.get(measure, 0) + value


def post(deltas: Deltas) -> None:
    """Add the deltas to the rollup rows, upserted in key order: two transactions posting
    overlapping keys lock them in the same order and cannot deadlock on each other."""
    rows = []
    for key, values in sorted(deltas.items()):
        if any(values.values()):
            rows.append((*key, *(values.get(m, 0) for m in MEASURES)))
    if rows:
        (_upsert_set if connection.vendor == "postgresql" else _upsert_each)(rows)


_COLUMNS = (*KEY_COLUMNS, *MEASURES)
_UPSERT = (
    f"INSERT INTO {TABLE} ({', '.join(_COLUMNS)}) {{rows}} "
    "ON CONFLICT (currency, rep_key, segment_key, product_line, day) DO UPDATE SET "
    + ", ".join(f"{m} = {TABLE}.{m} + excluded.{m}" for m in MEASURES)
)


def _upsert_set(rows: list[tuple]) -> None:
    """`post`'s upsert on PostgreSQL: one statement for every key, the rows as one JSON
    parameter, in their order. An upsert per key (`_upsert_each`) cost a bulk post of 500
    payments about 0.5 s of PostgreSQL time (2026-12-04)."""
    sql = _UPSERT.format(
        rows=f"SELECT {', '.join(_COLUMNS)} FROM {json_recordset(KPIRollup, _COLUMNS)} ORDER BY n"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json_rows(dict(zip(_COLUMNS, row, strict=True)) for row in rows)])


def _upsert_each(rows: list[tuple]) -> None:
    """`post`'s upsert elsewhere (SQLite): one per key, in their order."""
    sql = _UPSERT.format(rows=f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@dataclass
class _Where:
    current: Anchors
    excluded: Anchors | None = None
    families: frozenset | None = None  # names of the families to read; None: all


def _anchored_query(where: _Where):
    """The union of the families' grouped selects over the anchors (None if none reach)."""
    parts = []
    for family in families():
        if where.families is not None and type(family).__name__ not in where.families:
            continue
        q = family.anchor_q(where.current)
        if q is None:
            continue
        if where.excluded:
            excluded = family.anchor_q(where.excluded)
            if excluded is not None:
                q &= ~excluded
        parts.append(family.grouped(q))
    if not parts:
        return None
    return parts[0].union(*parts[1:], all=True).order_by() if len(parts) > 1 else parts[0]


def _anchored_rows(where: _Where) -> Iterator[dict]:
    """The facts the anchors reach, summed per key at full dimensions. The query is built
    once per shape (which kinds of rows are anchored, which families), each kind's ids one
    parameter (`sqlcache`): building the union through the ORM costs more Python than running
    it, and a posting takes two snapshots."""
    values = {
        f"{label}_{name}": sorted(getattr(anchors, name))
        for label, anchors in (("current", where.current), ("excluded", where.excluded))
        if anchors
        for name in ANCHOR_NAMES
        if getattr(anchors, name)
    }

    def build(**ids):
        def anchors(label: str) -> Anchors:
            return Anchors(**{n: set(ids.get(f"{label}_{n}", ())) for n in ANCHOR_NAMES})

        excluded = anchors("excluded")
        return _anchored_query(_Where(anchors("current"), excluded or None, where.families))

    shape = ("rollup snapshot", tuple(values), where.families)
    for row in sqlcache.rows(shape, build, **values):
        if isinstance(row["kpi_day"], str):  # SQLite returns dates and sums as text/floats
            row["kpi_day"] = date.fromisoformat(row["kpi_day"])
        for measure in MONEY_MEASURES:
            value = row[f"kpi_{measure}"]
            row[f"kpi_{measure}"] = Decimal(str(value or 0)).quantize(Decimal("0.01"))
        yield row


def fact_deltas(where: _Where, sign: int = 1) -> Deltas:
    """The facts of the anchors at full dimensions, spread over the four projections."""
    deltas: Deltas = {}
    for row in _anchored_rows(where):
        values = {m: sign * row[f"kpi_{m}"] for m in MEASURES if row[f"kpi_{m}"]}
        if not values:
            continue
        for key in projections(
            row["kpi_day"],
            row["kpi_rep"],
            row["kpi_segment"],
            row["kpi_pl"],
            row["kpi_currency"],
        ):
            cell = deltas.setdefault(key, {})
            for measure, value in values.items():
                cell[measure] = cell.get(measure, 0) + value
    return deltas


# --- Tracking what writes touch --------------------------------------------------------------


class Tracker:
    """Anchors touched in a `tracking()` block, and the facts they had before."""

    def __init__(self, families: frozenset | None = None):
        self.anchors = Anchors()
        self.before: Deltas = {}
        self.families = families

    def touch(self, anchors: Anchors) -> None:
        """Snapshot the facts of anchors not touched yet (call before changing them)."""
        new = anchors.minus(self.anchors)
        if not new:
            return
        excluded = self.anchors if self.anchors else None
        _merge(self.before, fact_deltas(_Where(new, excluded, self.families), sign=-1))
        self.anchors.add(new)

    def created(self, anchors: Anchors) -> None:
        """Rows created in the block: they had no facts before."""
        self.anchors.add(anchors)

    def deltas(self) -> Deltas:
        if not self.anchors:
            return {}
        result = fact_deltas(_Where(self.anchors, None, self.families))
        _merge(result, self.before)
        return result


_tracker: ContextVar[Tracker | None] = ContextVar("rollup_tracker", default=None)


@contextmanager
def tracking(families: frozenset | None = None) -> Iterator[Tracker]:
    """Track the facts the block changes and post the difference when it ends.

    Use it inside the transaction that makes the changes; nested blocks join the outer one.
    `families` (names, e.g. CASH_FAMILIES) limits what is recomputed, for a block whose
    writes can change no other fact. Inside, the writer says what it changes: `touch` the
    rows before changing or deleting them, `added` the new ones after saving them.
    """
    outer = _tracker.get()
    if outer is not None:
        yield outer
        return
    tracker = Tracker(families)
    token = _tracker.set(tracker)
    try:
        yield tracker
    finally:
        _tracker.reset(token)
    post(tracker.deltas())


def touch(**anchors) -> None:
    """Report rows about to change (ids by kind: invoices=, payments=, customers=, ...)."""
    tracker = _tracker.get()
    if tracker is None:
        raise RuntimeError("rollup.touch() needs an active rollup.tracking() block.")
    tracker.touch(Anchors(**{k: set(v) for k, v in anchors.items()}))


def added(**anchors) -> None:
    """Report rows just created (ids by kind, as `touch`): they had no facts before."""
    tracker = _tracker.get()
    if tracker is None:
        raise RuntimeError("rollup.added() needs an active rollup.tracking() block.")
    tracker.created(Anchors(**{k: set(v) for k, v in anchors.items()}))


def tracked(function: Callable) -> Callable:
    """Run `function` in a `tracking()` block: a service's `touch` and `added` calls post
    their facts when it returns (under the service's `transaction.atomic`, put above it)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with tracking():
            return function(*args, **kwargs)

    return wrapper


# --- Rebuild and checks ----------------------------------------------------------------------


def recompute() -> Deltas:
    """The rollup as it should be, from the source rows: the families' facts summed per day
    and key in the database (one union of grouped queries per projection), not row by row."""
    result: Deltas = {}
    for projection in (FULL, *PROJECTIONS):
        parts = [
            family.grouped(projection=None if projection == FULL else projection)
            for family in families()
        ]
        for row in parts[0].union(*parts[1:], all=True).order_by().iterator(chunk_size=10000):
            day = row["kpi_day"]
            if isinstance(day, str):  # SQLite: the day after a due date is computed as text
                day = date.fromisoformat(day)
            k = (day, row["kpi_rep"], row["kpi_segment"], row["kpi_pl"], row["kpi_currency"])
            cell = result.setdefault(k, {})
            for measure in MEASURES:
                if row[f"kpi_{measure}"]:
                    cell[measure] = cell.get(measure, 0) + row[f"kpi_{measure}"]
    return {key: values for key, values in result.items() if values}


def stored() -> Deltas:
    result: Deltas = {}
    for row in KPIRollup.objects.values(*KEY_COLUMNS, *MEASURES).iterator(chunk_size=10000):
        values = {m: row[m] for m in MEASURES if row[m]}
        if values:
            result[tuple(row[c] for c in KEY_COLUMNS)] = values
    return result


def _normalised(rollup: Deltas) -> dict:
    """Amounts to cents (SQLite sums decimals as floats), counts as ints."""
    cent = Decimal("0.01")
    return {
        key: {
            m: (Decimal(v).quantize(cent) if m in MONEY_MEASURES else int(v))
            for m, v in values.items()
            if (Decimal(v).quantize(cent) if m in MONEY_MEASURES else int(v))
        }
        for key, values in rollup.items()
    }


def differences() -> list:
    """Keys where the stored rollup and a recomputation disagree (empty when they agree)."""
    stored_rows = {k: v for k, v in _normalised(stored()).items() if v}
    recomputed = {k: v for k, v in _normalised(recompute()).items() if v}
    keys = set(stored_rows) | set(recomputed)
    return sorted(
        (k for k in keys if stored_rows.get(k) != recomputed.get(k)), key=lambda k: str(k)
    )


@transaction.atomic
def rebuild() -> int:
    """Replace the rollup with a recomputation. Returns the rows written."""
    KPIRollup.objects.all().delete()
    rows = [
        (*key, *(values.get(m, 0) for m in MEASURES)) for key, values in sorted(recompute().items())
    ]
    insert_rows(TABLE, (*KEY_COLUMNS, *MEASURES), rows)
    return len(rows)
