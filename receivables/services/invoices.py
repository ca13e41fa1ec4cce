"""Invoices and their adjustments: create, change, issue, void, delete a draft, credit notes
and write-offs, and settling (status and paid date from the open amount).
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    F,
)
from django.utils import timezone

from accounts.models import Customer, SalesRep
from integrations import events
from integrations.models import EventType
from metrics import rollup
from o2c_api import audit
from o2c_api.errors import Conflict
from o2c_api.errors import ErrorCode as CommonCode
from o2c_api.money import ZERO
from receivables.errors import ErrorCode
from receivables.models import (
    Adjustment,
    Invoice,
    Order,
    PaymentApplication,
)
from receivables.services.common import (
    check_amount,
    check_currency,
    last_date_of,
    lock_invoice,
    pk_or_value,
    require_counting,
    today,
    total_of,
)


@transaction.atomic
@rollup.tracked
def create_invoice(
    *,
    customer: Customer,
    number: str,
    issue_date: date,
    amount: Decimal,
    currency: str | None = None,
    due_date: date | None = None,
    order: Order | None = None,
    rep: SalesRep | None = None,
    product_line: str | None = None,
    status: str = Invoice.Status.OPEN,
) -> Invoice:
    """Create an invoice, filling the dimension defaults of the KPI spec.

    Args:
        customer: who is billed.
        number: unique invoice number.
        issue_date: may be in the past (history imports).
        amount: > 0, two decimals.
        currency: defaults to the order's, else the customer's currency.
        due_date: defaults to issue date + the customer's payment terms.
        order: optional; must belong to the customer and share its currency.
        rep: defaults to the order's rep, else the customer's current rep; kept afterwards.
        product_line: defaults to the order's product line.
        status: `open` (issued, counts for KPIs) or `draft`.

    Returns:
        The saved invoice, its open amount equal to its amount.

    Raises:
        ValidationError: with codes not_positive, invalid_currency, order_customer_mismatch,
            currency_mismatch, due_before_issue, invalid_status, unique (number).
    """
    check_amount(amount)
    if status not in (Invoice.Status.DRAFT, Invoice.Status.OPEN):
        raise ValidationError(
            {"status": ValidationError("A new invoice is draft or open.", ErrorCode.INVALID_STATUS)}
        )
    if order is not None and order.customer_id != customer.pk:
        raise ValidationError(
            {
                "order": ValidationError(
                    "The order belongs to another customer.", ErrorCode.ORDER_CUSTOMER_MISMATCH
                )
            }
        )
    currency = currency or (order.currency if order else customer.currency)
    check_currency(currency)
    if order is not None and order.currency != currency:
        raise ValidationError(
            {
                "currency": ValidationError(
                    "The order is in another currency.", ErrorCode.CURRENCY_MISMATCH
                )
            }
        )
    if due_date is None:
        due_date = issue_date + timedelta(days=customer.payment_terms_days)
    if due_date < issue_date:
        raise ValidationError(
            {
                "due_date": ValidationError(
                    "The due date is before the issue date.", ErrorCode.DUE_BEFORE_ISSUE
                )
            }
        )
    if rep is None:
        rep_id = order.rep_id if order and order.rep_id else customer.rep_id
    else:
        rep_id = rep.pk
    if product_line is None:
        product_line = order.product_line if order else ""
    invoice = Invoice(
        customer=customer,
        number=number,
        order=order,
        rep_id=rep_id,
        product_line=product_line,
        issue_date=issue_date,
        due_date=due_date,
        amount=amount,
        currency=currency,
        status=status,
        open_amount=amount,
    )
    invoice.full_clean()
    invoice.save()
    rollup.added(invoices=[invoice.pk])
    if invoice.status == Invoice.Status.OPEN:
        events.record(EventType.INVOICE_ISSUED, invoice, invoice_payload(invoice))
    return invoice


def invoice_payload(invoice: Invoice, **extra) -> dict:
    """What an invoice event carries: enough to act on without reading the invoice."""
    return {
        "number": invoice.number,
        "customer": invoice.customer_id,
        "amount": invoice.amount,
        "open_amount": invoice.open_amount,
        "currency": invoice.currency,
        "status": invoice.status,
        **extra,
    }


DRAFT_ONLY_FIELDS = ("customer", "number", "issue_date", "amount", "currency")


@transaction.atomic
@rollup.tracked
def update_invoice(invoice: Invoice, **changes) -> Invoice:
    """Change an invoice. Money, customer, number and issue date change only while draft.

    Rep, product line, due date (an extension), order are editable on issued invoices too;
    the rollup is re-keyed in the same transaction.

    Raises:
        ValidationError: invoice_issued_immutable, invoice_void, not_positive,
            invalid_amount, invalid_currency, due_before_issue, order_customer_mismatch,
            currency_mismatch, or field errors.
    """
    from dunning import services as dunning

    invoice = lock_invoice(invoice.pk)
    due_date = invoice.due_date
    if invoice.status == Invoice.Status.VOID:
        raise ValidationError("A void invoice cannot be changed.", code=ErrorCode.INVOICE_VOID)
    if invoice.status != Invoice.Status.DRAFT:
        for field in DRAFT_ONLY_FIELDS:
            if field in changes and pk_or_value(changes[field]) != pk_or_value(
                getattr(invoice, field)
            ):
                raise ValidationError(
                    {
                        field: ValidationError(
                            "Only a draft invoice's money, customer, number and issue date "
                            "change; correct an issued invoice with a credit note.",
                            ErrorCode.INVOICE_ISSUED_IMMUTABLE,
                        )
                    }
                )
    rollup.touch(invoices=[invoice.pk])
    for field, value in changes.items():
        setattr(invoice, field, value)
    if "amount" in changes:
        check_amount(invoice.amount)
        invoice.open_amount = invoice.amount
    if "currency" in changes:
        check_currency(invoice.currency)
    if invoice.due_date < invoice.issue_date:
        raise ValidationError(
            {
                "due_date": ValidationError(
                    "The due date is before the issue date.", ErrorCode.DUE_BEFORE_ISSUE
                )
            }
        )
    # The same order rules as create_invoice.
    if invoice.order is not None and invoice.order.customer_id != invoice.customer_id:
        raise ValidationError(
            {
                "order": ValidationError(
                    "The order belongs to another customer.", ErrorCode.ORDER_CUSTOMER_MISMATCH
                )
            }
        )
    if invoice.order is not None and invoice.order.currency != invoice.currency:
        raise ValidationError(
            {
                "order": ValidationError(
                    "The order is in another currency.", ErrorCode.CURRENCY_MISMATCH
                )
            }
        )
    invoice.full_clean()
    invoice.save()
    if invoice.counts and invoice.due_date != due_date:
        dunning.refresh_holds([invoice.customer_id], may_place=dunning.DUE_DATE_MOVED)
    return invoice


@transaction.atomic
@rollup.tracked
def issue_invoice(invoice: Invoice) -> Invoice:
    """Turn a draft into an open invoice: from now on it counts for the KPIs."""
    invoice = lock_invoice(invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise ValidationError(
            "Only a draft invoice can be issued.", code=ErrorCode.INVOICE_NOT_DRAFT
        )
    rollup.touch(invoices=[invoice.pk])
    invoice.status = Invoice.Status.OPEN
    invoice.save(update_fields=["status", "updated_at"])
    events.record(EventType.INVOICE_ISSUED, invoice, invoice_payload(invoice))
    return invoice


@transaction.atomic
@rollup.tracked
def void_invoice(invoice: Invoice, voided_date: date | None = None) -> Invoice:
    """Void an invoice. Refused while cash is applied to it: unapply first.

    Args:
        invoice: the invoice to void.
        voided_date: defaults to today; not before the invoice's issue date (the invoice was
            open from its issue date to its void date, which the KPIs read as a period).

    Raises:
        ValidationError: invoice_already_void, invoice_has_applications, date_before_issue
            (on `voided_date`).
    """
    from dunning import services as dunning

    invoice = lock_invoice(invoice.pk)
    if invoice.status == Invoice.Status.VOID:
        raise ValidationError("The invoice is already void.", code=ErrorCode.INVOICE_ALREADY_VOID)
    if invoice.applications.exists():
        raise ValidationError(
            "Cash is applied to this invoice; unapply it before voiding.",
            code=ErrorCode.INVOICE_HAS_APPLICATIONS,
        )
    voided_date = voided_date or today()
    if voided_date < invoice.issue_date:
        raise ValidationError(
            {
                "voided_date": ValidationError(
                    f"An invoice cannot be voided before it was issued: the void date "
                    f"{voided_date} is before the issue date {invoice.issue_date}.",
                    ErrorCode.DATE_BEFORE_ISSUE,
                )
            }
        )
    rollup.touch(invoices=[invoice.pk])
    invoice.status = Invoice.Status.VOID
    invoice.open_amount = ZERO
    invoice.paid_date = None
    invoice.voided_date = voided_date
    invoice.save(update_fields=["status", "open_amount", "paid_date", "voided_date", "updated_at"])
    events.record(
        EventType.INVOICE_VOIDED, invoice, invoice_payload(invoice, voided_date=invoice.voided_date)
    )
    dunning.refresh_holds([invoice.customer_id])  # it no longer counts: only takes away
    return invoice


@transaction.atomic
@rollup.tracked
def delete_invoice(invoice: Invoice) -> None:
    """Delete a draft invoice. An issued invoice is voided, never deleted: it is in the rollup.

    Raises:
        Conflict: protected (cash applied), invoice_not_draft (issued or void: void it).
        ProtectedError: when disputes, promises, adjustments or activities refer to it.
    """
    invoice = lock_invoice(invoice.pk)
    if invoice.applications.exists():
        raise Conflict(
            "Cash is applied to this invoice; it cannot be deleted.",
            code=CommonCode.PROTECTED,
            details={"invoice": invoice.pk},
        )
    if invoice.status != Invoice.Status.DRAFT:
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status}; only a draft is deleted (void it).",
            code=ErrorCode.INVOICE_NOT_DRAFT,
            details={"invoice": invoice.pk},
        )
    rollup.touch(invoices=[invoice.pk])
    events.record(EventType.RECORD_DELETED, ("invoice", invoice.pk), {"number": invoice.number})
    invoice.delete()


def settle(invoice: Invoice) -> None:
    """Set status and paid_date from the (already updated) open amount, and save."""
    settle_invoices([invoice])


def settle_invoices(invoices: Sequence[Invoice]) -> None:
    """`settle` for several invoices: status and paid_date from their open amounts, saved.

    A settled invoice is paid on the date of its last application or adjustment; those dates
    are read in one query for all of them (except from invoices that carry them, see
    `lock_invoices`), and the invoices are written in one statement.
    """
    settled = [invoice.pk for invoice in invoices if invoice.open_amount == 0]
    last_dates = {
        invoice.pk: (invoice.last_application_date, invoice.last_adjustment_date)
        for invoice in invoices
        if invoice.open_amount == 0 and hasattr(invoice, "last_adjustment_date")
    }
    settled = [pk for pk in settled if pk not in last_dates]
    if settled:
        last_dates |= {
            pk: (last_application, last_adjustment)
            for pk, last_application, last_adjustment in Invoice.objects.filter(pk__in=settled)
            .annotate(
                last_application=last_date_of(PaymentApplication, "applied_date"),
                last_adjustment=last_date_of(Adjustment, "adjustment_date"),
            )
            .values_list("pk", "last_application", "last_adjustment")
        }
    newly_paid = [i for i in invoices if i.open_amount == 0 and i.status != Invoice.Status.PAID]
    now = timezone.now()
    for invoice in invoices:
        if invoice.open_amount == 0:
            invoice.paid_date = max(d for d in last_dates[invoice.pk] if d is not None)
            invoice.status = Invoice.Status.PAID
        else:
            invoice.paid_date = None
            invoice.status = Invoice.Status.OPEN
        invoice.updated_at = now
    events.record_many(
        (EventType.INVOICE_PAID, i, invoice_payload(i, paid_date=i.paid_date)) for i in newly_paid
    )
    if len(invoices) == 1:
        invoices[0].save(update_fields=["open_amount", "status", "paid_date", "updated_at"])
        return
    # Several: one UPDATE per (status, paid date) — a handful, not one per invoice — with the
    # open amount as its definition (amount − applications − adjustments), which equals the
    # one held in memory.
    groups: dict[tuple, list[int]] = defaultdict(list)
    for invoice in invoices:
        groups[invoice.status, invoice.paid_date].append(invoice.pk)
    for (status, paid_date), pks in groups.items():
        Invoice.objects.filter(pk__in=pks).update(
            open_amount=F("amount")
            - total_of(PaymentApplication, "invoice_id")
            - total_of(Adjustment, "invoice_id"),
            status=status,
            paid_date=paid_date,
            updated_at=now,
        )
    audit.record_bulk(Invoice, [invoice.pk for invoice in invoices])  # UPDATEs bypass the trail


@transaction.atomic
@rollup.tracked
def add_adjustment(
    invoice: Invoice,
    *,
    kind: str,
    amount: Decimal,
    adjustment_date: date,
    reason: str = "",
    user=None,
) -> Adjustment:
    """Lower an invoice's open amount with a credit note or a write-off.

    Raises:
        ValidationError: not_positive, invalid_kind, invoice_not_open, exceeds_open_amount,
            date_before_issue.
    """
    from dunning import services as dunning

    check_amount(amount)
    if kind not in Adjustment.Kind.values:
        raise ValidationError(
            {"kind": ValidationError(f"Unknown kind {kind!r}.", ErrorCode.INVALID_KIND)}
        )
    invoice = lock_invoice(invoice.pk)
    require_counting(invoice)
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
    if adjustment_date < invoice.issue_date:
        raise ValidationError(
            {
                "adjustment_date": ValidationError(
                    "The adjustment is dated before the invoice was issued.",
                    ErrorCode.DATE_BEFORE_ISSUE,
                )
            }
        )
    rollup.touch(invoices=[invoice.pk])
    adjustment = Adjustment.objects.create(
        invoice=invoice,
        kind=kind,
        amount=amount,
        adjustment_date=adjustment_date,
        reason=reason,
        created_by=user,
    )
    invoice.open_amount -= amount
    settle(invoice)
    events.record(
        EventType.INVOICE_CREDITED,
        invoice,
        invoice_payload(invoice, adjustment=adjustment.pk, kind=kind, credit_amount=amount),
    )
    dunning.refresh_holds([invoice.customer_id])  # a credit only takes reasons away
    return adjustment
