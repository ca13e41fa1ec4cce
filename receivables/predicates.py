"""Q builders (and the few expressions behind them) shared by the QuerySets, the REST
FilterSets, GraphQL filters, the KPI engine and the KPI rollup.

Each takes the path from the queried model to the invoice (or customer) it filters through,
so one definition of "counts", "open at d" or "belongs to rep r" serves every model.
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, When

from accounts.scoping import own_customers
from o2c_api.expressions import DaysBetween

COUNTING_STATUSES = ("open", "paid")


def _p(prefix: str, field: str) -> str:
    return f"{prefix}__{field}" if prefix else field


def counting(prefix: str = "") -> Q:
    """The invoice counts for KPIs: neither draft nor void."""
    return Q(**{_p(prefix, "status__in"): COUNTING_STATUSES})


def issued_by(d: date, prefix: str = "") -> Q:
    return Q(**{_p(prefix, "issue_date__lte"): d})


def open_at(d: date, prefix: str = "") -> Q:
    """The invoice had an open amount at the end of day d: issued by d, not settled by d."""
    unsettled, settled_after = _settled(d, prefix)
    return counting(prefix) & issued_by(d, prefix) & (unsettled | settled_after)


def open_at_parts(d: date, prefix: str = "") -> tuple[Q, Q]:
    """`open_at(d)` in its two disjoint parts: not settled today, and settled after d.

    Each part matches an index the OR matches with neither (the partial indexes of unsettled
    invoices; `paid_date`), so a count or a first page of the invoices open at d reads the
    two parts apart (`InvoiceQuerySet.open_at_first`)."""
    unsettled, settled_after = _settled(d, prefix)
    base = counting(prefix) & issued_by(d, prefix)
    return base & unsettled, base & settled_after


def _settled(d: date, prefix: str) -> tuple[Q, Q]:
    return Q(**{_p(prefix, "paid_date__isnull"): True}), Q(**{_p(prefix, "paid_date__gt"): d})


def past_due_at(d: date, prefix: str = "") -> Q:
    return open_at(d, prefix) & Q(**{_p(prefix, "due_date__lt"): d})


def invoice_dimensions(
    prefix: str = "",
    *,
    rep: int | None = None,
    segment: int | None = None,
    customer: int | None = None,
    product_line: str | None = None,
    currency: str | None = None,
    customers_of: int | None = None,
) -> Q:
    """Invoices (or rows reached through `prefix` to an invoice) in the given dimensions.

    Per the KPI spec the rep is the invoice's own, the segment is the customer's.
    `customers_of` is a user's id: only that user's own customers (`accounts.scoping`).
    """
    q = own_customers_of(customers_of, prefix)
    if rep is not None:
        q &= Q(**{_p(prefix, "rep_id"): rep})
    if segment is not None:
        q &= Q(**{_p(prefix, "customer__segment_id"): segment})
    if customer is not None:
        q &= Q(**{_p(prefix, "customer_id"): customer})
    if product_line is not None:
        q &= Q(**{_p(prefix, "product_line"): product_line})
    if currency is not None:
        q &= Q(**{_p(prefix, "currency"): currency})
    return q


def customer_dimensions(
    prefix: str = "",
    *,
    rep: int | None = None,
    segment: int | None = None,
    customer: int | None = None,
    customers_of: int | None = None,
) -> Q:
    """Rows that belong to a customer (payments, activities without an invoice).

    They take the customer's current rep. `customers_of` as for `invoice_dimensions`.
    """
    q = own_customers_of(customers_of, prefix)
    if rep is not None:
        q &= Q(**{_p(prefix, "customer__rep_id"): rep})
    if segment is not None:
        q &= Q(**{_p(prefix, "customer__segment_id"): segment})
    if customer is not None:
        q &= Q(**{_p(prefix, "customer_id"): customer})
    return q


def own_customers_of(user_id: int | None, prefix: str = "") -> Q:
    """Rows (reached through `prefix` to their customer) of the user's own customers: one
    subquery on the user's id (`accounts.scoping.own_customers`); everything for None."""
    if user_id is None:
        return Q()
    return Q(**{_p(prefix, "customer_id__in"): own_customers(user_id)})


def activity_rep(rep: int, prefix: str = "") -> Q:
    """Activities on an invoice take the invoice's rep; the others the customer's current rep."""
    return Q(**{_p(prefix, "invoice__isnull"): False, _p(prefix, "invoice__rep_id"): rep}) | Q(
        **{_p(prefix, "invoice__isnull"): True, _p(prefix, "customer__rep_id"): rep}
    )


def customers_in(prefix: str = "", *, rep: int | None = None, segment: int | None = None) -> Q:
    """Customers (or rows reached through `prefix` to a customer) with this rep and segment.

    For rows that hold a customer rather than being one, use `customer_dimensions`.
    """
    q = Q()
    if rep is not None:
        q &= Q(**{_p(prefix, "rep_id"): rep})
    if segment is not None:
        q &= Q(**{_p(prefix, "segment_id"): segment})
    return q


def disputed(prefix: str = "") -> Q:
    """The invoice has a dispute that is still open (one row per invoice, no join fan-out)."""
    from receivables.models import Dispute

    return Q(Exists(Dispute.objects.filter(invoice_id=OuterRef(_p(prefix, "pk")), status="open")))


def promise_paid() -> Subquery:
    """For promises: Σ applications to the promise's invoice dated from its created date to
    its promised date, inclusive (NULL when none). Kept when it reaches the promised amount."""
    from o2c_api.money import money_field
    from receivables.models import PaymentApplication

    return Subquery(
        PaymentApplication.objects.filter(
            invoice_id=OuterRef("invoice_id"),
            applied_date__gte=OuterRef("created_date"),
            applied_date__lte=OuterRef("promised_date"),
        )
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=money_field(),
    )


def promise_kept() -> Q:
    """For promises: kept — the applications of `promise_paid` reach the promised amount.

    The one comparison of "kept" (the stored status, the KPI and the KPI rollup use it). Half
    a cent of slack: SQLite sums decimals as floats (20.00 + 29.99 < 49.99 there); amounts are
    whole cents, so on PostgreSQL this is exactly `paid >= amount`.
    """
    from django.db.models import DecimalField, Value
    from django.db.models.functions import Coalesce
    from django.db.models.lookups import GreaterThanOrEqual

    from o2c_api.money import ZERO, money_field

    half_cent = Value(Decimal("0.005"), output_field=DecimalField(max_digits=18, decimal_places=3))
    paid = Coalesce(promise_paid(), Value(ZERO), output_field=money_field())
    return Q(GreaterThanOrEqual(paid, F("amount") - half_cent))


def reminder_paid(sent: str) -> Exists:
    """For activities: the invoice got an application dated from the sent day (the
    annotation `sent`) to 7 days after it."""
    from receivables.models import PaymentApplication

    return Exists(
        PaymentApplication.objects.filter(
            invoice_id=OuterRef("invoice_id"), applied_date__gte=OuterRef(sent)
        )
        .annotate(kpi_gap=DaysBetween(F("applied_date"), OuterRef(sent)))
        .filter(kpi_gap__lte=7)
    )


def activity_rep_id(prefix: str = "") -> Case:
    """The rep of an activity (see `activity_rep`): its invoice's, else its customer's."""
    return Case(
        When(**{_p(prefix, "invoice__isnull"): False}, then=F(_p(prefix, "invoice__rep_id"))),
        default=F(_p(prefix, "customer__rep_id")),
        output_field=IntegerField(),
    )


def has_unapplied(prefix: str = "") -> Q:
    """The payment still has cash that no application uses."""
    return Q(**{_p(prefix, "unapplied_amount__gt"): 0})


def updated_after(moment: datetime, prefix: str = "") -> Q:
    """Changed strictly after `moment`: the incremental-sync filter of every list."""
    return Q(**{_p(prefix, "updated_at__gt"): moment})


# Free-text search: the fields each list searches, by model (numbers, names, external ids,
# references). The REST SearchFilter and the GraphQL `search` filter read the same tuples.
SEARCH_FIELDS = {
    "segment": ("name", "code"),
    "salesrep": ("name", "email"),
    "customer": ("name", "external_id"),
    "opportunity": ("name", "customer__name", "customer__external_id"),
    "order": ("number", "customer__name", "customer__external_id"),
    "invoice": ("number", "customer__name", "customer__external_id", "order__number"),
    "adjustment": ("reason", "invoice__number", "invoice__customer__name"),
    "payment": ("reference", "external_id", "customer__name", "customer__external_id"),
    "paymentapplication": ("invoice__number", "payment__reference", "payment__external_id"),
    "dispute": ("notes", "invoice__number", "invoice__customer__name"),
    "promisetopay": ("notes", "invoice__number", "invoice__customer__name"),
    "collectionactivity": ("notes", "customer__name", "invoice__number"),
}


def search(term: str, fields: Sequence[str], prefix: str = "") -> Q:
    """Every word of `term` appears (case-insensitively) in at least one of `fields`."""
    q = Q()
    for word in term.split():
        any_field = Q()
        for field in fields:
            any_field |= Q(**{_p(prefix, f"{field}__icontains"): word})
        q &= any_field
    return q
