"""Payments and cash application: recording a payment, staging and saving applications,
applying and unapplying, and the few payment fields that may change.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    F,
)
from django.utils import timezone

from accounts.models import Customer
from integrations import events
from integrations.models import EventType
from metrics import rollup
from o2c_api import audit
from o2c_api.errors import Conflict
from o2c_api.errors import ErrorCode as CommonCode
from receivables.errors import ErrorCode
from receivables.models import (
    Invoice,
    Payment,
    PaymentApplication,
)
from receivables.services.common import (
    check_amount,
    check_currency,
    lock_invoice,
    lock_payment,
    pk_or_value,
    require_counting,
    total_of,
)
from receivables.services.disputes import refresh_promise_statuses
from receivables.services.invoices import settle, settle_invoices


def new_payment(
    *,
    customer: Customer,
    amount: Decimal,
    received_date: date,
    currency: str | None = None,
    method: str = Payment.Method.OTHER,
    reference: str = "",
    external_id: str = "",
    posted_by=None,
) -> Payment:
    """A checked, unsaved payment, all of it unapplied (`record_payment` without the write).

    Raises:
        ValidationError: not_positive, invalid_amount, invalid_currency, invalid_method.
    """
    check_amount(amount)
    currency = currency or customer.currency
    check_currency(currency)
    if method not in Payment.Method.values:
        raise ValidationError(
            {"method": ValidationError(f"Unknown method {method!r}.", ErrorCode.INVALID_METHOD)}
        )
    return Payment(
        customer=customer,
        amount=amount,
        currency=currency,
        received_date=received_date,
        method=method,
        reference=reference,
        external_id=external_id,
        unapplied_amount=amount,
        posted_by=posted_by,
    )


def duplicate_payment(external_id: str, existing_id: int) -> Conflict:
    """The Conflict of posting an external id that is already the payment `existing_id`."""
    return Conflict(
        f"Payment {external_id!r} was already posted as payment {existing_id}.",
        code=ErrorCode.DUPLICATE_EXTERNAL_ID,
        details={"payment": existing_id},
    )


@transaction.atomic
@rollup.tracked
def record_payment(**fields) -> Payment:
    """Store a payment, all of it unapplied. Cash application is a separate step.

    Args:
        fields: the keyword arguments of `new_payment`.

    Raises:
        ValidationError: not_positive, invalid_amount, invalid_currency, invalid_method.
        Conflict: duplicate_external_id (details carry the existing payment id).
    """
    payment = new_payment(**fields)
    if payment.external_id:
        existing = (
            Payment.objects.filter(posted_by=payment.posted_by, external_id=payment.external_id)
            .values_list("pk", flat=True)
            .first()
        )
        if existing is not None:
            raise duplicate_payment(payment.external_id, existing)
    payment.save(force_insert=True)
    rollup.added(payments=[payment.pk])
    events.record(EventType.PAYMENT_POSTED, payment, payment_payload(payment))
    return payment


def payment_payload(payment: Payment) -> dict:
    """What a payment.posted event carries."""
    return {
        "customer": payment.customer_id,
        "amount": payment.amount,
        "unapplied_amount": payment.unapplied_amount,
        "currency": payment.currency,
        "received_date": payment.received_date,
        "method": payment.method,
        "external_id": payment.external_id,
    }


def application_payload(application: PaymentApplication, currency: str) -> dict:
    """What a payment.applied / payment.unapplied event carries."""
    return {
        "application": application.pk,
        "payment": application.payment_id,
        "invoice": application.invoice_id,
        "amount": application.amount,
        "currency": currency,
        "applied_date": application.applied_date,
    }


def apply_locked(
    payment: Payment,
    invoice: Invoice,
    amount: Decimal,
    *,
    applied_date: date | None = None,
    automatic: bool = False,
    user=None,
) -> PaymentApplication:
    """Apply part of a payment to an invoice. The caller holds both row locks (see module doc).

    `stage_application` then `save_applications`: the rules, then the writes.

    Raises:
        ValidationError: as `stage_application`; nothing is written then.
    """
    application = stage_application(
        payment, invoice, amount, applied_date=applied_date, automatic=automatic, user=user
    )
    save_applications([application])
    return application


def check_payable(payment: Payment, invoice: Invoice) -> None:
    """Check that the invoice can take cash of this payment at all, whatever the amount.

    Raises:
        ValidationError: invoice_not_open, customer_mismatch, currency_mismatch (on `invoice`).
    """
    require_counting(invoice)
    if invoice.customer_id != payment.customer_id:
        raise ValidationError(
            {
                "invoice": ValidationError(
                    f"Invoice {invoice.number} belongs to another customer.",
                    ErrorCode.CUSTOMER_MISMATCH,
                )
            }
        )
    if invoice.currency != payment.currency:
        raise ValidationError(
            {
                "invoice": ValidationError(
                    f"Invoice {invoice.number} is in {invoice.currency}, the payment in "
                    f"{payment.currency}.",
                    ErrorCode.CURRENCY_MISMATCH,
                )
            }
        )


def stage_application(
    payment: Payment,
    invoice: Invoice,
    amount: Decimal,
    *,
    applied_date: date | None = None,
    automatic: bool = False,
    user=None,
) -> PaymentApplication:
    """Check an application against every rule and make it in memory; nothing is written.

    The one home of the rules of applying cash. The payment's `unapplied_amount` and the
    invoice's `open_amount` are lowered in memory, so the next application staged on the same
    objects sees them; `save_applications` writes the staged applications and their effects.
    The caller holds the row locks of both (or, for a new payment, is about to).

    Args:
        applied_date: defaults to the later of the payment's received date and the invoice's
            issue date (cash cannot settle an invoice before it exists).

    Returns:
        The unsaved application.

    Raises:
        ValidationError: not_positive, invoice_not_open, customer_mismatch, currency_mismatch,
            exceeds_unapplied_amount, exceeds_open_amount, applied_before_received,
            date_before_issue. Nothing changed, not even in memory.
    """
    check_amount(amount)
    check_payable(payment, invoice)
    if amount > payment.unapplied_amount:
        raise ValidationError(
            {
                "amount": ValidationError(
                    f"{amount} is more than the payment's unapplied {payment.unapplied_amount}.",
                    ErrorCode.EXCEEDS_UNAPPLIED_AMOUNT,
                )
            }
        )
    if amount > invoice.open_amount:
        raise ValidationError(
            {
                "amount": ValidationError(
                    f"{amount} is more than the open amount {invoice.open_amount} of "
                    f"{invoice.number}.",
                    ErrorCode.EXCEEDS_OPEN_AMOUNT,
                )
            }
        )
    if applied_date is None:
        applied_date = max(payment.received_date, invoice.issue_date)
    if applied_date < payment.received_date:
        raise ValidationError(
            {
                "applied_date": ValidationError(
                    "Cash cannot be applied before it was received.",
                    ErrorCode.APPLIED_BEFORE_RECEIVED,
                )
            }
        )
    if applied_date < invoice.issue_date:
        raise ValidationError(
            {
                "applied_date": ValidationError(
                    "Cash cannot be applied before the invoice was issued.",
                    ErrorCode.DATE_BEFORE_ISSUE,
                )
            }
        )
    application = PaymentApplication(
        payment=payment,
        invoice=invoice,
        amount=amount,
        applied_date=applied_date,
        automatic=automatic,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    payment.unapplied_amount -= amount
    invoice.open_amount -= amount
    return application


def save_applications(
    applications: Sequence[PaymentApplication], *, save_payments: bool = True
) -> None:
    """Write staged applications and what they change, in a fixed number of statements.

    The applications are inserted, their payments' unapplied amounts and their invoices' open
    amounts, statuses and paid dates saved (as staged in memory), the rollup posted and the
    invoices' promise statuses refreshed — whatever the number of applications. Their
    payments must be stored; the caller holds the locks (payments, then invoices).

    Args:
        save_payments: False when the caller writes the payments' unapplied amounts itself,
            with what else it changes on them (posting: with the posting's outcome, in one
            UPDATE and one history row per payment).
    """
    if not applications:
        return
    with rollup.tracking():
        rollup.touch(
            invoices={a.invoice.pk for a in applications},
            payments={a.payment.pk for a in applications},
        )
        PaymentApplication.objects.bulk_create(applications)
        # bulk_create bypasses the audit trail
        audit.record_bulk(PaymentApplication, [a.pk for a in applications], created=True)
        events.record_many(
            (EventType.PAYMENT_APPLIED, a.payment, application_payload(a, a.payment.currency))
            for a in applications
        )
        payments = list({id(a.payment): a.payment for a in applications}.values())
        invoices = list({id(a.invoice): a.invoice for a in applications}.values())
        for application in applications:
            invoice = application.invoice
            if hasattr(invoice, "last_application_date"):  # locked by `lock_invoices`: keep current
                invoice.last_application_date = max(
                    filter(None, (invoice.last_application_date, application.applied_date))
                )
        if save_payments:
            _save_unapplied(payments)
        settle_invoices(invoices)
        with_promises = [
            invoice.pk for invoice in invoices if getattr(invoice, "has_promises", True)
        ]
        if with_promises:
            refresh_promise_statuses(invoice_ids=sorted(with_promises))


def _save_unapplied(payments: Sequence[Payment]) -> None:
    """Save the payments' unapplied amounts as staged (one UPDATE, with their history)."""
    now = timezone.now()
    for payment in payments:
        payment.updated_at = now
    if len(payments) == 1:
        payments[0].save(update_fields=["unapplied_amount", "updated_at"])
        return
    # One UPDATE for all, with the unapplied amount as its definition (amount − Σ
    # applications), which equals the one held in memory.
    Payment.objects.filter(pk__in=[payment.pk for payment in payments]).update(
        unapplied_amount=F("amount") - total_of(PaymentApplication, "payment_id"),
        updated_at=now,
    )
    audit.record_bulk(Payment, [payment.pk for payment in payments])


@transaction.atomic
def apply_payment(
    payment: Payment,
    invoice: Invoice,
    amount: Decimal,
    *,
    applied_date: date | None = None,
    automatic: bool = False,
    user=None,
) -> PaymentApplication:
    """Lock the payment, then the invoice, and apply `amount` (see `apply_locked`)."""
    from dunning import services as dunning

    payment = lock_payment(payment.pk)
    invoice = lock_invoice(invoice.pk)
    application = apply_locked(
        payment, invoice, amount, applied_date=applied_date, automatic=automatic, user=user
    )
    dunning.refresh_holds([invoice.customer_id])  # cash only takes reasons away
    return application


@transaction.atomic
@rollup.tracked
def unapply(application: PaymentApplication) -> None:
    """Reverse an application: the cash returns to the payment, the amount to the invoice."""
    from dunning import services as dunning

    payment = lock_payment(application.payment_id)
    invoice = lock_invoice(application.invoice_id)
    try:
        application = PaymentApplication.objects.get(pk=application.pk)
    except PaymentApplication.DoesNotExist as exc:
        raise ValidationError(
            "The application was already reversed.", code=CommonCode.NOT_FOUND
        ) from exc
    rollup.touch(invoices=[invoice.pk], payments=[payment.pk])
    events.record(
        EventType.PAYMENT_UNAPPLIED, payment, application_payload(application, payment.currency)
    )
    events.record(EventType.RECORD_DELETED, application, {"payment": payment.pk})
    application.delete()
    payment.unapplied_amount += application.amount
    payment.save(update_fields=["unapplied_amount", "updated_at"])
    invoice.open_amount += application.amount
    settle(invoice)
    refresh_promise_statuses(invoice_ids=[invoice.pk])
    dunning.refresh_holds([invoice.customer_id], may_place=dunning.CASH_RETURNED)


@transaction.atomic
@rollup.tracked
def update_payment(payment: Payment, **changes) -> Payment:
    """Edit a payment. Amount, currency, customer and date are fixed once cash is applied.

    Raises:
        ValidationError: payment_has_applications, not_positive, invalid_currency.
    """
    payment = lock_payment(payment.pk)
    money_fields = ("amount", "currency", "customer", "received_date")
    changed = [
        f
        for f in money_fields
        if f in changes and pk_or_value(changes[f]) != pk_or_value(getattr(payment, f))
    ]
    if changed and payment.applications.exists():
        raise ValidationError(
            {
                changed[0]: ValidationError(
                    "Cash of this payment is applied; unapply it first.",
                    ErrorCode.PAYMENT_HAS_APPLICATIONS,
                )
            }
        )
    rollup.touch(payments=[payment.pk])
    for field, value in changes.items():
        setattr(payment, field, value)
    check_amount(payment.amount)
    check_currency(payment.currency)
    if "amount" in changes:
        payment.unapplied_amount = payment.amount
    payment.full_clean()
    payment.save()
    return payment
