"""Promise-to-pay detail per customer: kept rate, broken promises, average days late.

`promise_reliability` is the public entry point (the worklist and the risk score read it);
REST's `/api/v1/promise-reliability/` and GraphQL's `promiseReliability` render it.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Greatest

from accounts.scoping import own_customers
from o2c_api.expressions import DaysBetween
from receivables.models import PaymentApplication, PromiseToPay

DEFAULT_DAYS = 365
HUNDRED = Decimal(100)
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class PromiseReliability:
    """How one customer keeps its promises to pay, for promises dated in a period.

    Attributes:
        promises: promises whose promised date is in the period.
        kept, broken, open: by status (as kept by `refresh_promise_statuses`).
        kept_rate: kept ÷ promises × 100 (the spec's `promise_kept_rate` for one customer),
            two decimals; None without promises.
        paid: promises whose invoice got cash on or after the day the promise was made.
        average_days_late: over `paid`, the days from the promised date to the first such
            payment (0 when on time or early), two decimals; None when none was paid.
    """

    customer_id: int
    customer_name: str
    promises: int
    kept: int
    broken: int
    open: int
    kept_rate: Decimal | None
    paid: int
    average_days_late: Decimal | None


def _first_payment() -> Subquery:
    """For promises: the date of the first application to the invoice from the promise's day."""
    return Subquery(
        PaymentApplication.objects.filter(
            invoice_id=OuterRef("invoice_id"), applied_date__gte=OuterRef("created_date")
        )
        .values("invoice_id")
        .annotate(first=Min("applied_date"))
        .values("first")
    )


def promise_reliability(
    *,
    start: date | None = None,
    end: date | None = None,
    customer_ids: Collection[int] | None = None,
    customers_of: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[PromiseReliability]:
    """Promise reliability per customer for promises dated from `start` to `end` (one query).

    Ordered least reliable first: most broken promises, then lowest kept rate, then customer
    id. Customers without promises in the period are not listed.

    Args:
        start, end: the period of promised dates, inclusive (default: the 365 days to today).
        customer_ids: only these customers (None: all).
        customers_of: a user's id: only that user's own customers (`accounts.scoping`).
        limit, offset: a page of the ordered list.
    """
    from receivables.services import today

    end = end or today()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    promises = PromiseToPay.objects.filter(promised_date__gte=start, promised_date__lte=end)
    if customer_ids is not None:
        promises = promises.filter(invoice__customer_id__in=customer_ids)
    if customers_of is not None:
        promises = promises.filter(invoice__customer_id__in=own_customers(customers_of))
    late = Greatest(
        DaysBetween(F("first_paid"), F("promised_date")),
        Value(0),
        output_field=IntegerField(),
    )
    rows = (
        promises.annotate(first_paid=_first_payment())
        .values("invoice__customer_id", "invoice__customer__name")
        .annotate(
            promises=Count("id"),
            kept=Count("id", filter=Q(status=PromiseToPay.Status.KEPT)),
            broken=Count("id", filter=Q(status=PromiseToPay.Status.BROKEN)),
            paid=Count("id", filter=Q(first_paid__isnull=False)),
            late=Avg(late, filter=Q(first_paid__isnull=False)),
        )
        .annotate(
            kept_share=ExpressionWrapper(
                F("kept") * Value(1.0) / F("promises"), output_field=FloatField()
            )
        )
        .order_by("-broken", "kept_share", "invoice__customer_id")
    )
    rows = rows[offset : offset + limit] if limit is not None else rows[offset:]
    return [
        PromiseReliability(
            customer_id=row["invoice__customer_id"],
            customer_name=row["invoice__customer__name"],
            promises=row["promises"],
            kept=row["kept"],
            broken=row["broken"],
            open=row["promises"] - row["kept"] - row["broken"],
            kept_rate=_percent(row["kept"], row["promises"]),
            paid=row["paid"],
            average_days_late=_round(row["late"]),
        )
        for row in rows
    ]


def reliability_by_customer(customer_ids: Collection[int], **period) -> dict:
    """{customer id: PromiseReliability} for these customers (absent: no promises)."""
    return {r.customer_id: r for r in promise_reliability(customer_ids=customer_ids, **period)}


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(TWO_PLACES, ROUND_HALF_UP)


def _round(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(TWO_PLACES, ROUND_HALF_UP)
