"""The KPI rollup (`KPIRollup`): every KPI fact per day and dimension projection.

Two kinds of facts feed it, both in the transaction of the write that changes them:

- AR movements, from `ledger.post` (the one place they are posted): credit sales, cash
  applied and adjustments per day, and Current AR as a running sum (`ar_deltas`).
- Every other fact (invoices issued / disputed / first-pass / with an order, disputes
  resolved, payments received / matched, promises due / kept, reminders sent / clicked /
  paid, opportunities created / closed / won / lost) is recomputed from the source rows for
  what a write touches: a `tracking()` block takes a snapshot of the facts of each row it is
  told about (an invoice with its disputes, promises and reminders; a payment; a customer
  with everything of it; ...) before the first change and again at the end, and posts the
  difference. The services say what they change (`touch` before, `added` after); there are
  no model signals.

Rows are keyed by day, currency and the dimensions: at full dimensions (a rep, a segment and
a product line together), which answers any combination of them, and projected (all, one
rep, one segment, one product line), so a KPI for everything or one dimension reads one row
per day.
`rebuild()` recomputes the table; `differences()` counts where it disagrees with that.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from accounts.models import Opportunity
from o2c_api.expressions import DaysBetween
from o2c_api.money import ZERO, money_field
from receivables import predicates
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    KPIRollup,
    Payment,
    PaymentApplication,
    PromiseToPay,
)

TABLE = KPIRollup._meta.db_table
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

_pending: ContextVar[Deltas | None] = ContextVar("rollup_pending", default=None)


def _merge(into: Deltas, deltas: Deltas) -> None:
    for key, values in deltas.items():
        cell = into.setdefault(key, {})
        for measure, value in values.items():
            cell[measure] = cell.get(measure, 0) + value


@contextmanager
def deferred() -> Iterator[None]:
    """Hold the posts made inside and write them together, in key order, at the end.

    Like `ledger.deferred`: a transaction takes its rollup rows last and sorted, so two
    transactions cannot deadlock on them. Nested blocks join the outer one; a block left by
    an exception drops its posts.
    """
    parent = _pending.get()
    pending: Deltas = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    if parent is not None:
        _merge(parent, pending)
    else:
        post(pending)


def post(deltas: Deltas) -> None:
    """Add the deltas to the rollup rows (upserts in key order)."""
    pending = _pending.get()
    if pending is not None:
        _merge(pending, deltas)
        return
    rows = []
    for key, values in sorted(deltas.items()):
        if any(values.values()):
            rows.append((*key, *(values.get(m, 0) for m in MEASURES)))
    if not rows:
        return
    columns = ", ".join((*KEY_COLUMNS, *MEASURES))
    conflict = "currency, rep_key, segment_key, product_line, day"
    updates = ", ".join(f"{m} = {TABLE}.{m} + excluded.{m}" for m in MEASURES)
    placeholders = ", ".join(["%s"] * (len(KEY_COLUMNS) + len(MEASURES)))
    sql = (
        f"INSERT INTO {TABLE} ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


_AR_COLUMN = {"invoice": "ar_invoiced", "application": "ar_applied", "adjustment": "ar_adjusted"}


def ar_deltas(movements: Iterable[tuple]) -> Deltas:
    """Rollup deltas of AR movements given as (MovementKey, signed amount).

    Flows go to the movement's day (applications and adjustments as positive amounts). A
    movement of an invoice not yet due on its date (due on or after it, the only ones
    Current AR can ever count) also adds to `ar_current` on its day and is taken back the
    day after the due date: Current AR(d) = Σ ar_current up to d.
    """
    deltas: Deltas = {}

    def add(day, dims, measure, value):
        for k in projections(day, *dims):
            cell = deltas.setdefault(k, {})
            cell[measure] = cell.get(measure, 0) + value

    for key, amount in movements:
        dims = (key.rep_key, key.segment_key, key.product_line, key.currency)
        add(
            key.movement_date,
            dims,
            _AR_COLUMN[key.kind],
            amount if key.kind == "invoice" else -amount,
        )
        if key.due_date >= key.movement_date:
            add(key.movement_date, dims, "ar_current", amount)
            add(key.due_date + timedelta(days=1), dims, "ar_current", -amount)
    return deltas


# --- The facts of the source rows ------------------------------------------------------------


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
        return any(getattr(self, name) for name in _ANCHOR_NAMES)

    def minus(self, other: Anchors) -> Anchors:
        return Anchors(**{n: getattr(self, n) - getattr(other, n) for n in _ANCHOR_NAMES})

    def add(self, other: Anchors) -> None:
        for name in _ANCHOR_NAMES:
            getattr(self, name).update(getattr(other, name))


_ANCHOR_NAMES = ("invoices", "orders", "payments", "customers", "activities", "opportunities")


def _days(later: str, earlier: str) -> DaysBetween:
    return DaysBetween(F(later), F(earlier))


def _one_if(condition) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


class Family:
    """One kind of source row and the facts it contributes, at full dimensions.

    `rows()` annotates the queryset with the key (`kpi_day`, `kpi_rep`, `kpi_segment`,
    `kpi_pl`, `kpi_currency`) and the measures it sets; `anchored()` narrows it to the
    rows a set of anchors covers (None: the anchors cannot reach this family).
    """

    measures: dict  # measure -> expression per row

    def queryset(self):
        raise NotImplementedError

    def key(self) -> dict:
        raise NotImplementedError

    def anchor_q(self, anchors: Anchors) -> Q | None:
        raise NotImplementedError

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
        for measure in FACT_MEASURES:
            expression = self.measures.get(measure)
            if expression is None:
                expression = Value(ZERO if measure in MONEY_MEASURES else 0)
            output = money_field() if measure in MONEY_MEASURES else BigIntegerField()
            aggregates[f"kpi_{measure}"] = Sum(expression, output_field=output)
        return qs.annotate(**aggregates).order_by()


_PROJECTED = (
    ("kpi_rep", "rep", ALL),
    ("kpi_segment", "segment", ALL),
    ("kpi_pl", "product_line", ALL_LINES),
)
PROJECTIONS = ("all", "rep", "segment", "product_line")
FULL = "full"  # rep, segment and product line together: every combination of them


def _invoice_key(prefix: str = "", day: str = "issue_date") -> dict:
    p = f"{prefix}__" if prefix else ""
    return {
        "kpi_day": F(day),
        "kpi_rep": Coalesce(F(f"{p}rep_id"), Value(0)),
        "kpi_segment": Coalesce(F(f"{p}customer__segment_id"), Value(0)),
        "kpi_pl": F(f"{p}product_line"),
        "kpi_currency": F(f"{p}currency"),
    }


def _any_of(*lookups: tuple[str, set]) -> Q | None:
    """The rows any of the non-empty id sets reaches, by lookup; None if every set is empty."""
    q = None
    for lookup, ids in lookups:
        if ids:
            q = Q(**{lookup: sorted(ids)}) if q is None else q | Q(**{lookup: sorted(ids)})
    return q


def _invoice_lookups(anchors: Anchors, prefix: str = "") -> tuple:
    """The anchors that reach an invoice (or a row reached through `prefix` to one)."""
    p = f"{prefix}__" if prefix else ""
    return (
        (f"{prefix}_id__in" if prefix else "pk__in", anchors.invoices),
        (f"{p}order_id__in", anchors.orders),
        (f"{p}customer_id__in", anchors.customers),
    )


class Invoices(Family):
    """Counting invoices on their issue date: issued, disputed (ever), first-pass (never
    disputed, no credit note), with an order and the days from order to invoice."""

    def __init__(self):
        disputed = Exists(Dispute.objects.filter(invoice_id=OuterRef("pk")))
        credited = Exists(
            Adjustment.objects.filter(invoice_id=OuterRef("pk"), kind=Adjustment.Kind.CREDIT_NOTE)
        )
        self.measures = {
            "invoices_issued": Value(1),
            "invoices_disputed": _one_if(disputed),
            "invoices_first_pass": _one_if(~Q(disputed) & ~Q(credited)),
            "invoices_ordered": _one_if(Q(order__isnull=False)),
            "order_days": Coalesce(_days("issue_date", "order__order_date"), Value(0)),
        }

    def queryset(self):
        return Invoice.objects.filter(predicates.counting())

    def key(self):
        return _invoice_key()

    def anchor_q(self, anchors):
        return _any_of(*_invoice_lookups(anchors))


class Disputes(Family):
    """Disputes of counting invoices on their resolved date: resolved, days open."""

    measures = {
        "disputes_resolved": Value(1),
        "dispute_days": _days("resolved_date", "opened_date"),
    }

    def queryset(self):
        return Dispute.objects.filter(predicates.counting("invoice"), resolved_date__isnull=False)

    def key(self):
        return _invoice_key("invoice", "resolved_date")

    def anchor_q(self, anchors):
        return _any_of(*_invoice_lookups(anchors, "invoice"))


class Promises(Family):
    """Promises on counting invoices on their promised date: due, kept (the invoice got
    applications dated from the promise's creation to its date, inclusive, of at least the
    promised amount)."""

    def __init__(self):
        self.measures = {
            "promises_due": Value(1),
            "promises_kept": _one_if(predicates.promise_kept()),
        }

    def queryset(self):
        return PromiseToPay.objects.filter(predicates.counting("invoice"))

    def key(self):
        return _invoice_key("invoice", "promised_date")

    def anchor_q(self, anchors):
        return _any_of(*_invoice_lookups(anchors, "invoice"))


class Reminders(Family):
    """Reminders on the day they were sent: sent, clicked, paid (their invoice got an
    application dated from that day to 7 days after). One on an invoice takes the invoice's
    rep, product line and currency; one without, its customer's rep and currency."""

    def __init__(self):
        paid = predicates.reminder_paid("kpi_day")
        self.measures = {
            "reminders_sent": Value(1),
            "reminders_clicked": _one_if(Q(clicked_at__isnull=False)),
            "reminders_paid": _one_if(Q(invoice__isnull=False) & Q(paid)),
        }

    def queryset(self):
        return CollectionActivity.objects.reminders().annotate(kpi_day=TruncDate("occurred_at"))

    def key(self):
        on_invoice = Q(invoice__isnull=False)
        return {
            "kpi_rep": Coalesce(predicates.activity_rep_id(), Value(0)),
            "kpi_segment": Coalesce(F("customer__segment_id"), Value(0)),
            "kpi_pl": Coalesce(F("invoice__product_line"), Value("")),
            "kpi_currency": Case(
                When(on_invoice, then=F("invoice__currency")), default=F("customer__currency")
            ),
        }

    def anchor_q(self, anchors):
        return _any_of(
            *_invoice_lookups(anchors, "invoice"),
            ("customer_id__in", anchors.customers),
            ("pk__in", anchors.activities),
        )


class Payments(Family):
    """Payments on their received date: received, matched (nothing unapplied and no manual
    application). A payment takes its customer's current rep and has no product line."""

    def __init__(self):
        manual = Exists(
            PaymentApplication.objects.filter(payment_id=OuterRef("pk"), automatic=False)
        )
        self.measures = {
            "payments_received": Value(1),
            "payments_matched": _one_if(Q(unapplied_amount=0) & ~Q(manual)),
        }

    def queryset(self):
        return Payment.objects.all()

    def key(self):
        return {
            "kpi_day": F("received_date"),
            "kpi_rep": Coalesce(F("customer__rep_id"), Value(0)),
            "kpi_segment": Coalesce(F("customer__segment_id"), Value(0)),
            "kpi_pl": Value(""),
            "kpi_currency": F("currency"),
        }

    def anchor_q(self, anchors):
        return _any_of(("pk__in", anchors.payments), ("customer_id__in", anchors.customers))


def _opportunity_key(day: str) -> dict:
    return {
        "kpi_day": F(day),
        "kpi_rep": Coalesce(F("rep_id"), Value(0)),
        "kpi_segment": Coalesce(F("customer__segment_id"), Value(0)),
        "kpi_pl": Value(""),
        "kpi_currency": F("currency"),
    }


def _opportunity_anchor_q(anchors: Anchors) -> Q | None:
    return _any_of(("pk__in", anchors.opportunities), ("customer_id__in", anchors.customers))


class OpportunitiesCreated(Family):
    """Opportunities on their created date (the pipeline's open count starts there)."""

    measures = {"opportunities_created": Value(1)}

    def queryset(self):
        return Opportunity.objects.all()

    def key(self):
        return _opportunity_key("created_date")

    def anchor_q(self, anchors):
        return _opportunity_anchor_q(anchors)


class OpportunitiesClosed(Family):
    """Opportunities on their closed date: closed, won, lost, won amount and days."""

    won = Q(stage="won")
    measures = {
        "opportunities_closed": Value(1),
        "opportunities_won": _one_if(won),
        "opportunities_lost": _one_if(Q(stage="lost")),
        "won_amount": Case(When(won, then=F("amount")), default=Value(ZERO)),
        "won_days": Case(
            When(won, then=_days("closed_date", "created_date")),
            default=Value(0),
            output_field=IntegerField(),
        ),
    }

    def queryset(self):
        return Opportunity.objects.filter(closed_date__isnull=False)

    def key(self):
        return _opportunity_key("closed_date")

    def anchor_q(self, anchors):
        return _opportunity_anchor_q(anchors)


# What posting and applying cash can change: a payment (received, matched), the promises of
# the invoices it pays (kept) and their reminders (paid within 7 days). Invoices, disputes
# and opportunities do not move (an invoice's status between open and paid is no fact).
CASH_FAMILIES = frozenset({"Payments", "Promises", "Reminders"})


def families() -> tuple[Family, ...]:
    return (
        Invoices(),
        Disputes(),
        Promises(),
        Reminders(),
        Payments(),
        OpportunitiesCreated(),
        OpportunitiesClosed(),
    )


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


# Compiled snapshot SQL by shape (how many ids of each kind): building the union through the
# ORM costs about 12 ms of Python, more than running it, and a posting takes two snapshots.
# The SQL is compiled once per shape with stand-in ids, which each call swaps for its own.
_COMPILED: dict = {}
_STAND_IN = -(10**15)


def _shape(where: _Where) -> tuple:
    excluded = where.excluded or Anchors()
    counts = tuple(len(getattr(a, n)) for a in (where.current, excluded) for n in _ANCHOR_NAMES)
    return (counts, where.families)


def _compiled(where: _Where) -> tuple | None:
    shape = _shape(where)
    if shape not in _COMPILED:
        counter = iter(range(10**9))
        stand_ins = {}

        def stand_in(anchors: Anchors | None, label: str) -> Anchors:
            result = Anchors()
            for name in _ANCHOR_NAMES:
                ids = set()
                for _ in getattr(anchors, name) if anchors else ():
                    value = _STAND_IN - next(counter)
                    stand_ins[value] = (label, name, len(ids))
                    ids.add(value)
                setattr(result, name, ids)
            return result

        probe = _Where(stand_in(where.current, "current"), None, where.families)
        if where.excluded:
            probe.excluded = stand_in(where.excluded, "excluded")
        qs = _anchored_query(probe)
        if qs is None:
            _COMPILED[shape] = None
        else:
            sql, params = qs.query.get_compiler(qs.db).as_sql()
            slots = [stand_ins.get(p) if isinstance(p, int) else None for p in params]
            if len(_COMPILED) > 500:
                _COMPILED.clear()
            _COMPILED[shape] = (sql, list(params), slots)
    return _COMPILED[shape]


def _anchored_rows(where: _Where) -> Iterator[dict]:
    compiled = _compiled(where)
    if compiled is None:
        return
    sql, params, slots = compiled
    ids = {
        (label, name): sorted(getattr(anchors, name))
        for label, anchors in (("current", where.current), ("excluded", where.excluded))
        if anchors
        for name in _ANCHOR_NAMES
    }
    actual = [
        p if slot is None else ids[slot[:2]][slot[2]] for p, slot in zip(params, slots, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, actual)
        names = [column[0] for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            if isinstance(row["kpi_day"], str):  # SQLite returns dates and sums as text/floats
                row["kpi_day"] = date.fromisoformat(row["kpi_day"])
            for measure in MONEY_MEASURES & set(FACT_MEASURES):
                value = row[f"kpi_{measure}"]
                row[f"kpi_{measure}"] = Decimal(str(value or 0)).quantize(Decimal("0.01"))
            yield row


def fact_deltas(where: _Where, sign: int = 1) -> Deltas:
    """The facts of the anchors at full dimensions, spread over the four projections."""
    deltas: Deltas = {}
    for row in _anchored_rows(where):
        values = {m: sign * row[f"kpi_{m}"] for m in FACT_MEASURES if row[f"kpi_{m}"]}
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
    """The rollup as it should be: AR from the AR daily movements, the rest from the source.

    Summed per projection in the database (a dozen grouped queries), not row by row.
    """
    from receivables.models import ARDailyMovement

    result: Deltas = {}
    columns = {"rep": "rep_key", "segment": "segment_key", "product_line": "product_line"}
    for projection in (FULL, *PROJECTIONS):
        if projection == FULL:
            dims = list(columns.values())
        else:
            dims = [columns[projection]] if projection in columns else []

        def key(row, day, projection=projection):
            return (
                day,
                row["rep_key"] if projection in ("rep", FULL) else ALL,
                row["segment_key"] if projection in ("segment", FULL) else ALL,
                row["product_line"] if projection in ("product_line", FULL) else ALL_LINES,
                row["currency"],
            )

        movements = ARDailyMovement.objects.order_by()
        flows = movements.values("movement_date", "currency", *dims).annotate(
            ar_invoiced=Sum("amount", filter=Q(kind="invoice")),
            ar_applied=Sum(-F("amount"), filter=Q(kind="application")),
            ar_adjusted=Sum(-F("amount"), filter=Q(kind="adjustment")),
        )
        for row in flows.iterator(chunk_size=10000):
            cell = result.setdefault(key(row, row["movement_date"]), {})
            for measure in ("ar_invoiced", "ar_applied", "ar_adjusted"):
                if row[measure]:
                    cell[measure] = row[measure]
        not_due = movements.filter(due_date__gte=F("movement_date"))
        for day_field, shift, sign in (("movement_date", 0, 1), ("due_date", 1, -1)):
            rows = not_due.values(day_field, "currency", *dims).annotate(total=Sum("amount"))
            for row in rows.iterator(chunk_size=10000):
                if row["total"]:
                    day = row[day_field] + timedelta(days=shift)
                    cell = result.setdefault(key(row, day), {})
                    cell["ar_current"] = cell.get("ar_current", 0) + sign * row["total"]
        parts = [
            family.grouped(projection=None if projection == FULL else projection)
            for family in families()
        ]
        for row in parts[0].union(*parts[1:], all=True).order_by():
            k = (
                row["kpi_day"],
                row["kpi_rep"],
                row["kpi_segment"],
                row["kpi_pl"],
                row["kpi_currency"],
            )
            cell = result.setdefault(k, {})
            for measure in FACT_MEASURES:
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
    columns = ", ".join((*KEY_COLUMNS, *MEASURES))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: a million rows in seconds, where row inserts take minutes.
            with cursor.cursor.copy(f"COPY {TABLE} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * (len(KEY_COLUMNS) + len(MEASURES)))
            cursor.executemany(f"INSERT INTO {TABLE} ({columns}) VALUES ({placeholders})", rows)
    return len(rows)
