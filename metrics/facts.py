"""The KPI facts: each defined once, by a `Family` of source rows.

A family is one kind of source row (invoices, applications, adjustments, disputes, promises,
reminders, payments, opportunities): the day a row counts on, its dimension keys (rep,
segment, product line, currency) and its measures. AR is facts too: an invoice adds its
amount on its issue day, applications and adjustments take theirs off on their dates, and
Current AR is a running sum (`ar_current`: a movement made while its invoice is not yet due
is added on its day and taken back the day after the due date, so Current AR(d) is the sum of
`ar_current` up to d).

The same definitions build and keep the KPI rollup (`metrics.rollup`) and answer, from the
source rows, the scopes the rollup cannot (a customer: `metrics.blocks`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import IsNull

from accounts.models import Opportunity
from accounts.scoping import own_customers
from metrics.models import KPIRollup
from o2c_api.expressions import AnyOf, DayAfter, DaysBetween
from o2c_api.money import ZERO, money_field
from receivables import predicates
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    Payment,
    PaymentApplication,
    PromiseToPay,
)

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
        return any(getattr(self, name) for name in ANCHOR_NAMES)

    def minus(self, other: Anchors) -> Anchors:
        return Anchors(**{n: getattr(self, n) - getattr(other, n) for n in ANCHOR_NAMES})

    def add(self, other: Anchors) -> None:
        for name in ANCHOR_NAMES:
            getattr(self, name).update(getattr(other, name))


ANCHOR_NAMES = ("invoices", "orders", "payments", "customers", "activities", "opportunities")


def _days(later: str, earlier: str) -> DaysBetween:
    return DaysBetween(F(later), F(earlier))


def _any_row(queryset) -> IsNull:
    """Whether `queryset` has a row, as `EXISTS` but probed row by row: `(SELECT pk ...
    LIMIT 1) IS NOT NULL`."""
    return IsNull(Subquery(queryset.order_by().values("pk")[:1]), False)


def _one_if(condition) -> Case:
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


def _invoice_key(prefix: str = "", day: str | Func = "issue_date") -> dict:
    p = f"{prefix}__" if prefix else ""
    return {
        "kpi_day": F(day) if isinstance(day, str) else day,
        "kpi_rep": Coalesce(F(f"{p}rep_id"), Value(0)),
        "kpi_segment": Coalesce(F(f"{p}customer__segment_id"), Value(0)),
        "kpi_pl": F(f"{p}product_line"),
        "kpi_currency": F(f"{p}currency"),
    }


def _any_of(*paths: tuple[str, set]) -> Q | None:
    """The rows any of the non-empty id sets reaches, by the path to their id; None if every
    set is empty. Each set is one parameter (`AnyOf`), so a snapshot's SQL depends on which
    kinds of rows it reaches, not on how many."""
    q = None
    for path, ids in paths:
        if ids:
            reached = Q(AnyOf(F(path), sorted(ids)))
            q = reached if q is None else q | reached
    return q


def _invoice_lookups(anchors: Anchors, prefix: str = "") -> tuple:
    """The anchors that reach an invoice (or a row reached through `prefix` to one)."""
    p = f"{prefix}__" if prefix else ""
    return (
        (f"{prefix}_id" if prefix else "pk", anchors.invoices),
        (f"{p}order_id", anchors.orders),
        (f"{p}customer_id", anchors.customers),
    )


def _while_not_due(day: str, due: str, amount) -> Case:
    """`amount` if the invoice was not yet due on `day` (Current AR counts it), else 0."""
    return Case(
        When(Q(**{f"{due}__gte": F(day)}), then=amount),
        default=Value(ZERO),
        output_field=money_field(),
    )


class Invoices(Family):
    """Counting invoices on their issue date: AR invoiced (and Current AR if not yet due),
    issued, disputed (ever), first-pass (never disputed, no credit note), with an order and
    the days from order to invoice."""

    invoice = ""

    def __init__(self):
        self.measures = self._measures(probed=False)
        self._probed = self._measures(probed=True)

    @staticmethod
    def _measures(*, probed: bool) -> dict:
        disputes = Dispute.objects.filter(invoice_id=OuterRef("pk"))
        credit_notes = Adjustment.objects.filter(
            invoice_id=OuterRef("pk"), kind=Adjustment.Kind.CREDIT_NOTE
        )
        if not probed:
            disputed, credited = Exists(disputes), Exists(credit_notes)
        else:
            # The same test, one index probe per invoice (the first row found, if any): a
            # user's customers have a few thousand invoices, and PostgreSQL answered each
            # EXISTS by hashing every dispute and credit note (at 1M, 110 ms of a 100-customer
            # book's month; a scalar subquery is never hashed).
            disputed, credited = _any_row(disputes), _any_row(credit_notes)
        return {
            "ar_invoiced": F("amount"),
            "ar_current": _while_not_due("issue_date", "due_date", F("amount")),
            "invoices_issued": Value(1),
            "invoices_disputed": _one_if(disputed),
            "invoices_first_pass": _one_if(~Q(disputed) & ~Q(credited)),
            "invoices_ordered": _one_if(Q(order__isnull=False)),
            "order_days": Coalesce(_days("issue_date", "order__order_date"), Value(0)),
        }

    def measures_in(self, customers_of: int | None) -> dict:
        return self.measures if customers_of is None else self._probed

    def queryset(self):
        return Invoice.objects.filter(predicates.counting())

    def key(self):
        return _invoice_key()

    def anchor_q(self, anchors):
        return _any_of(*_invoice_lookups(anchors))


class InvoicesDue(Family):
    """Counting invoices on the day after their due date: Current AR takes back what the
    invoice added while it was not yet due."""

    invoice = ""

    measures = {"ar_current": _while_not_due("issue_date", "due_date", -F("amount"))}

    def queryset(self):
        return Invoice.objects.filter(predicates.counting())

    def key(self):
        return _invoice_key(day=DayAfter("due_date"))

    def anchor_q(self, anchors):
        return _any_of(*_invoice_lookups(anchors))


def _movement_lookups(anchors: Anchors) -> tuple:
    """The anchors that reach an application: its invoice's, and its payment."""
    return (*_invoice_lookups(anchors, "invoice"), ("payment_id", anchors.payments))


class Applications(Family):
    """Cash applied to counting invoices, on its date: AR applied (a positive amount), and
    Current AR lowered if the invoice was not yet due."""

    customer = "invoice__customer_id"
    invoice = "invoice"

    measures = {
        "ar_applied": F("amount"),
        "ar_current": _while_not_due("applied_date", "invoice__due_date", -F("amount")),
    }

    def queryset(self):
        return PaymentApplication.objects.filter(predicates.counting("invoice"))

    def key(self):
        return _invoice_key("invoice", "applied_date")

    def anchor_q(self, anchors):
        return _any_of(*_movement_lookups(anchors))


class ApplicationsDue(Family):
    """Applications made while their invoice was not yet due, on the day after the due date:
    Current AR gets back what they took off (the invoice's take-back covers its whole amount)."""

    customer = "invoice__customer_id"
    invoice = "invoice"

    measures = {"ar_current": _while_not_due("applied_date", "invoice__due_date", F("amount"))}

    def queryset(self):
        return PaymentApplication.objects.filter(predicates.counting("invoice"))

    def key(self):
        return _invoice_key("invoice", DayAfter("invoice__due_date"))

    def anchor_q(self, anchors):
        return _any_of(*_movement_lookups(anchors))


class Adjustments(Family):
    """Adjustments (credit notes, write-offs) of counting invoices on their date: AR
    adjusted (a positive amount), and Current AR lowered if the invoice was not yet due."""

    customer = "invoice__customer_id"
    invoice = "invoice"

    measures = {
        "ar_adjusted": F("amount"),
        "ar_current": _while_not_due("adjustment_date", "invoice__due_date", -F("amount")),
    }

    def queryset(self):
        return Adjustment.objects.filter(predicates.counting("invoice"))

    def key(self):
        return _invoice_key("invoice", "adjustment_date")

    def anchor_q(self, anchors):
        return _any_of(*_invoice_lookups(anchors, "invoice"))


class AdjustmentsDue(Family):
    """Adjustments made while their invoice was not yet due, on the day after the due date."""

    customer = "invoice__customer_id"
    invoice = "invoice"

    measures = {"ar_current": _while_not_due("adjustment_date", "invoice__due_date", F("amount"))}

    def queryset(self):
        return Adjustment.objects.filter(predicates.counting("invoice"))

    def key(self):
        return _invoice_key("invoice", DayAfter("invoice__due_date"))

    def anchor_q(self, anchors):
        return _any_of(*_invoice_lookups(anchors, "invoice"))


class Disputes(Family):
    """Disputes of counting invoices on their resolved date: resolved, days open."""

    customer = "invoice__customer_id"
    invoice = "invoice"

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

    # The promise's own customer, which is its invoice's (`services.create_promise`; an
    # invariant, tests/invariants.py): a scope of customers reads the (customer, promised
    # date) index instead of joining every promise of the period to its invoice.
    customer = "customer_id"
    invoice = "invoice"

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

    timestamp = "occurred_at"

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
            ("customer_id", anchors.customers),
            ("pk", anchors.activities),
        )


class Payments(Family):
    """Payments on their received date: received, matched (nothing unapplied and no manual
    application). A payment takes its customer's current rep and has no product line."""

    product_lines = False

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
        return _any_of(("pk", anchors.payments), ("customer_id", anchors.customers))


def _opportunity_key(day: str) -> dict:
    return {
        "kpi_day": F(day),
        "kpi_rep": Coalesce(F("rep_id"), Value(0)),
        "kpi_segment": Coalesce(F("customer__segment_id"), Value(0)),
        "kpi_pl": Value(""),
        "kpi_currency": F("currency"),
    }


def _opportunity_anchor_q(anchors: Anchors) -> Q | None:
    return _any_of(("pk", anchors.opportunities), ("customer_id", anchors.customers))


class OpportunitiesCreated(Family):
    """Opportunities on their created date (the pipeline's open count starts there)."""

    product_lines = False

    measures = {"opportunities_created": Value(1)}

    def queryset(self):
        return Opportunity.objects.all()

    def key(self):
        return _opportunity_key("created_date")

    def anchor_q(self, anchors):
        return _opportunity_anchor_q(anchors)


class OpportunitiesClosed(Family):
    """Opportunities on their closed date: closed, won, lost, won amount and days."""

    product_lines = False

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


# The families of the AR facts (invoiced, applied, adjusted, Current AR).
AR_FAMILIES = frozenset(
    {"Invoices", "InvoicesDue", "Applications", "ApplicationsDue", "Adjustments", "AdjustmentsDue"}
)

# What posting and applying cash can change: a payment (received, matched), the AR its
# applications move, the promises of the invoices it pays (kept) and their reminders (paid
# within 7 days). Invoices, adjustments, disputes and opportunities do not move (an invoice's
# status between open and paid is no fact).
CASH_FAMILIES = frozenset({"Applications", "ApplicationsDue", "Payments", "Promises", "Reminders"})


@functools.cache
def families() -> tuple[Family, ...]:
    """Every family, built once: their expressions are templates the ORM copies when it
    resolves them, so one instance serves every query and thread."""
    return (
        Invoices(),
        InvoicesDue(),
        Applications(),
        ApplicationsDue(),
        Adjustments(),
        AdjustmentsDue(),
        Disputes(),
        Promises(),
        Reminders(),
        Payments(),
        OpportunitiesCreated(),
        OpportunitiesClosed(),
    )
