"""What every receivables service shares: the clock, amount and currency checks, and the
locks taken in the documented order (payments by id, then invoices by id).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import cache

from django.core.exceptions import ValidationError
from django.db.models import (
    Exists,
    Max,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from o2c_api.errors import ErrorCode as CommonCode
from o2c_api.money import CURRENCIES, ZERO, money_field
from receivables.errors import ErrorCode
from receivables.models import (
    Adjustment,
    Invoice,
    Payment,
    PaymentApplication,
    PromiseToPay,
)


def today() -> date:
    return timezone.localdate()


def check_amount(amount: Decimal, field: str = "amount") -> None:
    if amount is None or amount <= 0:
        raise ValidationError(
            {field: ValidationError("Must be greater than zero.", ErrorCode.NOT_POSITIVE)}
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            {field: ValidationError("At most two decimals.", ErrorCode.INVALID_AMOUNT)}
        )


def check_currency(currency: str) -> None:
    if currency not in CURRENCIES:
        raise ValidationError(
            {
                "currency": ValidationError(
                    f"Unknown currency {currency!r}.", CommonCode.INVALID_CURRENCY
                )
            }
        )


def lock_invoice(invoice_id: int) -> Invoice:
    return Invoice.objects.select_for_update().select_related("customer").get(pk=invoice_id)


def lock_payment(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


@cache
def _lock_annotations() -> dict:
    """The annotations of `lock_invoices`, built once: building these subqueries took longer
    than running the lock (`annotate` copies them, so they are never changed)."""
    return {
        "has_promises": Exists(PromiseToPay.objects.filter(invoice_id=OuterRef("pk"))),
        "last_application_date": last_date_of(PaymentApplication, "applied_date"),
        "last_adjustment_date": last_date_of(Adjustment, "adjustment_date"),
    }


def lock_invoices(invoice_ids: Iterable[int]) -> dict[int, Invoice]:
    """Lock invoices in id order (the documented order) and return them by id.

    Each carries `has_promises`: promises are only added under the invoice's lock
    (`create_promise`), so while we hold it the flag stays true, and `save_applications`
    skips refreshing the promises of invoices that have none. Likewise `last_application_date`
    and `last_adjustment_date` (None without any): applications and adjustments are only
    written under the invoice's lock, so `save_applications` keeps them current from what it
    writes and `settle_invoices` dates a payoff without reading them again.
    """
    ids = sorted(set(invoice_ids))
    invoices = (
        Invoice.objects.select_for_update()
        .select_related("customer")
        .annotate(**_lock_annotations())
        .filter(pk__in=ids)
        .order_by("pk")
    )
    return {invoice.pk: invoice for invoice in invoices}


def pk_or_value(value):
    return getattr(value, "pk", value)


def total_of(model, key: str) -> Coalesce:
    """Σ amount of `model` rows whose `key` is the outer row, 0 when there are none."""
    return Coalesce(
        Subquery(
            model.objects.filter(**{key: OuterRef("pk")})
            .order_by()
            .values(key)
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=money_field(),
        ),
        Value(ZERO),
    )


def last_date_of(model, date_field: str) -> Subquery:
    return Subquery(
        model.objects.filter(invoice_id=OuterRef("pk"))
        .order_by()
        .values("invoice_id")
        .annotate(last=Max(date_field))
        .values("last")
    )


def require_counting(invoice: Invoice) -> None:
    if not invoice.counts:
        raise ValidationError(
            {
                "invoice": ValidationError(
                    f"Invoice {invoice.number} is {invoice.status}.", ErrorCode.INVOICE_NOT_OPEN
                )
            }
        )
