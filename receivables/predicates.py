"""Q builders shared by the QuerySets, the REST FilterSets, GraphQL filters and the KPI engine.

Each takes the path from the queried model to the invoice (or customer) it filters through,
so one definition of "counts", "open at d" or "belongs to rep r" serves every model.
"""

from datetime import date

from django.db.models import Q

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
    return (
        counting(prefix)
        & issued_by(d, prefix)
        & (Q(**{_p(prefix, "paid_date__isnull"): True}) | Q(**{_p(prefix, "paid_date__gt"): d}))
    )


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
) -> Q:
    """Invoices (or rows reached through `prefix` to an invoice) in the given dimensions.

    Per the KPI spec the rep is the invoice's own, the segment is the customer's.
    """
    q = Q()
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
) -> Q:
    """Rows that belong to a customer (payments, activities without an invoice).

    They take the customer's current rep.
    """
    q = Q()
    if rep is not None:
        q &= Q(**{_p(prefix, "customer__rep_id"): rep})
    if segment is not None:
        q &= Q(**{_p(prefix, "customer__segment_id"): segment})
    if customer is not None:
        q &= Q(**{_p(prefix, "customer_id"): customer})
    return q


def activity_rep(rep: int) -> Q:
    """Activities on an invoice take the invoice's rep; the others the customer's current rep."""
    return Q(invoice__isnull=False, invoice__rep_id=rep) | Q(
        invoice__isnull=True, customer__rep_id=rep
    )


def disputed(prefix: str = "") -> Q:
    """The invoice has a dispute that is still open (whatever its amount)."""
    from django.apps import apps
    from django.db.models import Exists, OuterRef

    dispute = apps.get_model("receivables", "Dispute")
    return Q(
        Exists(
            dispute.objects.filter(
                invoice_id=OuterRef(_p(prefix, "pk")), status=dispute.Status.OPEN
            )
        )
    )
