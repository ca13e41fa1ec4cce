"""Read-side logic of the playbook and the credit holds, set-based: what is due, what matches.

Every function here runs a fixed number of queries whatever the number of invoices or
customers: one per playbook step, one per credit-hold rule.
"""

import zlib
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import Customer
from dunning.models import CreditHoldRule, PlaybookAction, PlaybookStep
from o2c_api.money import ZERO, money_field
from receivables import predicates
from receivables.models import Invoice, PromiseToPay

SKIP_DISPUTED = "open_dispute"
SKIP_PROMISED = "promise_not_yet_due"
SKIP_MESSAGES = {
    SKIP_DISPUTED: "an open dispute",
    SKIP_PROMISED: "a promise to pay not yet due",
}


@dataclass(frozen=True)
class DueInvoice:
    """An invoice whose current playbook step has not been done, with what a message needs."""

    invoice_id: int
    number: str
    customer_id: int
    customer_name: str
    segment_id: int | None
    currency: str
    open_amount: Decimal
    due_date: date
    payment_link: str
    rep_name: str
    skip: str | None  # SKIP_DISPUTED, SKIP_PROMISED, or None when the step is to be done


def step_windows(steps: Sequence[PlaybookStep]) -> list[tuple[PlaybookStep, int | None]]:
    """Each active step with the offset of the next one (None for the last).

    The step applies to an invoice on day d when offset <= d − due date < next offset.
    """
    ordered = sorted(steps, key=lambda step: step.offset_days)
    nexts = [step.offset_days for step in ordered[1:]] + [None]
    return list(zip(ordered, nexts, strict=True))


def due_invoices(step: PlaybookStep, next_offset: int | None, as_of: date) -> list[DueInvoice]:
    """The invoices for which `step` is the current step on `as_of` and was not done (one query).

    Open on `as_of` (`predicates.open_at`), due date in the step's window, without an action
    for this step. Those with an open dispute or a promise whose date is not yet past are
    returned with their `skip` reason, so the caller can say why it did nothing.
    """
    window = Q(due_date__lte=as_of - timedelta(days=step.offset_days))
    if next_offset is not None:
        window &= Q(due_date__gt=as_of - timedelta(days=next_offset))
    rows = (
        Invoice.objects.filter(predicates.open_at(as_of), window)
        .exclude(Exists(PlaybookAction.objects.filter(invoice_id=OuterRef("pk"), step=step)))
        .annotate(
            disputed=ExpressionWrapper(predicates.disputed(), output_field=BooleanField()),
            promised=Exists(
                PromiseToPay.objects.filter(invoice_id=OuterRef("pk"), promised_date__gte=as_of)
            ),
        )
        .order_by("due_date", "pk")
        .values_list(
            "pk",
            "number",
            "customer_id",
            "customer__name",
            "customer__segment_id",
            "currency",
            "open_amount",
            "due_date",
            "customer__payment_link__url",
            "customer__rep__name",
            "disputed",
            "promised",
        )
    )
    return [
        DueInvoice(
            pk,
            number,
            customer,
            name,
            segment,
            currency,
            open_amount,
            due_date,
            link or "",
            rep or "",
            SKIP_DISPUTED if disputed else SKIP_PROMISED if promised else None,
        )
        for (
            pk,
            number,
            customer,
            name,
            segment,
            currency,
            open_amount,
            due_date,
            link,
            rep,
            disputed,
            promised,
        ) in rows
    ]


def is_challenger(invoice_id: int) -> bool:
    """Champion/challenger split: a hash of the invoice id, so an invoice keeps its side at
    every step and on every run, and ids in sequence still split about evenly."""
    return zlib.crc32(str(invoice_id).encode()) % 2 == 1


# --- Credit-hold rules --------------------------------------------------------------------


def triggered_reasons(
    rules: Sequence[CreditHoldRule], as_of: date, customer_ids: Collection[int] | None = None
) -> dict[int, dict[str, str]]:
    """{customer id: {rule code: sentence}} for every customer some active rule matches.

    One query per rule, in the database. `customer_ids` limits the customers looked at.

    Args:
        rules: the active rules (`CreditHoldRule.objects.filter(active=True)`).
        as_of: the day the rules are judged on (today for holds).
        customer_ids: None for every customer.
    """
    found: dict[int, dict[str, str]] = defaultdict(dict)
    for rule in rules:
        for customer_id, sentence in _RULES[rule.code](rule, as_of, customer_ids):
            found[customer_id][rule.code] = sentence
    return dict(found)


def _only(qs, field: str, customer_ids: Collection[int] | None):
    return qs if customer_ids is None else qs.filter(**{f"{field}__in": customer_ids})


def _overdue(rule: CreditHoldRule, as_of: date, customer_ids):
    days = rule.days_past_due
    rows = (
        _only(Invoice.objects.counting(), "customer_id", customer_ids)
        .filter(open_amount__gt=0, due_date__lt=as_of - timedelta(days=days))
        .values("customer_id")
        .annotate(count=Count("id"), oldest=Min("due_date"))
        .values_list("customer_id", "count", "oldest")
    )
    for customer_id, count, oldest in rows:
        invoices = "1 invoice" if count == 1 else f"{count} invoices"
        yield (
            customer_id,
            f"{invoices} more than {days} days past due (the oldest {(as_of - oldest).days} days).",
        )


def _broken_promises(rule: CreditHoldRule, as_of: date, customer_ids):
    window = rule.window_days
    rows = (
        _only(PromiseToPay.objects.all(), "invoice__customer_id", customer_ids)
        .filter(
            status=PromiseToPay.Status.BROKEN,
            promised_date__gt=as_of - timedelta(days=window),
            promised_date__lte=as_of,
        )
        .values("invoice__customer_id")
        .annotate(count=Count("id"))
        .filter(count__gte=rule.broken_promises)
        .values_list("invoice__customer_id", "count")
    )
    for customer_id, count in rows:
        yield customer_id, f"{count} promises to pay broken in the last {window} days."


# Half a cent: SQLite sums decimals as floats (see receivables.services), amounts are whole
# cents, so on PostgreSQL this is exactly "above the limit".
HALF_CENT = Value(Decimal("0.005"), output_field=DecimalField(max_digits=18, decimal_places=3))


def _over_credit_limit(rule: CreditHoldRule, as_of: date, customer_ids):
    # Open AR in the customer's own currency (the credit limit's): never summed across.
    open_ar = Subquery(
        Invoice.objects.counting()
        .filter(customer_id=OuterRef("pk"), currency=OuterRef("currency"), open_amount__gt=0)
        .values("customer_id")
        .annotate(total=Sum("open_amount"))
        .values("total"),
        output_field=money_field(),
    )
    rows = (
        _only(Customer.objects.all(), "pk", customer_ids)
        .filter(credit_limit__isnull=False)
        .annotate(open_ar=Coalesce(open_ar, Value(ZERO)))
        .filter(open_ar__gt=F("credit_limit") + HALF_CENT)
        .values_list("pk", "open_ar", "credit_limit", "currency")
    )
    for customer_id, open_ar, limit, currency in rows:
        open_ar = Decimal(str(open_ar)).quantize(Decimal("0.01"))
        yield (
            customer_id,
            f"Open AR {open_ar:,.2f} {currency} is above the credit limit of {limit:,.2f} "
            f"{currency}.",
        )


_RULES = {
    CreditHoldRule.Code.OVERDUE_INVOICE: _overdue,
    CreditHoldRule.Code.BROKEN_PROMISES: _broken_promises,
    CreditHoldRule.Code.OVER_CREDIT_LIMIT: _over_credit_limit,
}
