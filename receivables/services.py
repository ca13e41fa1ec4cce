"""Every write to receivables that has rules: one function each, one transaction each.

Locking order, followed by every function here so that concurrent writers cannot deadlock:
payments (by id), then invoices (by id), then the AR rollup rows (by key, in `ledger.post`).
Locking an invoice also locks its customer row (the `select_related` join is locked too), and
that is wanted: the rollup is keyed by the customer's segment, and `update_customer` re-keys a
customer's rows under the customer's lock, so a posting and a segment change never interleave.
Each function raises `django.core.exceptions.ValidationError` with a stable `code` (or
`o2c_api.errors.Conflict` for clashes with existing state) and changes nothing when it does.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    Exists,
    F,
    Max,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.utils import timezone

from accounts.models import Customer, SalesRep
from o2c_api.errors import Conflict
from o2c_api.money import CURRENCIES, ZERO, money_field
from receivables import ledger, predicates, rollup
from receivables.errors import ErrorCode
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    Order,
    Payment,
    PaymentApplication,
    PromiseToPay,
)


def today() -> date:
    return timezone.localdate()


def _check_amount(amount: Decimal, field: str = "amount") -> None:
    if amount is None or amount <= 0:
        raise ValidationError(
            {field: ValidationError("Must be greater than zero.", ErrorCode.NOT_POSITIVE)}
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            {field: ValidationError("At most two decimals.", ErrorCode.INVALID_AMOUNT)}
        )


def _check_currency(currency: str) -> None:
    if currency not in CURRENCIES:
        raise ValidationError(
            {
                "currency": ValidationError(
                    f"Unknown currency {currency!r}.", ErrorCode.INVALID_CURRENCY
                )
            }
        )


def _lock_invoice(invoice_id: int) -> Invoice:
    return Invoice.objects.select_for_update().select_related("customer").get(pk=invoice_id)


def _lock_payment(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


@cache
def _lock_annotations() -> dict:
    """The annotations of `lock_invoices`, built once: building these subqueries took longer
    than running the lock (`annotate` copies them, so they are never changed)."""
    return {
        "has_promises": Exists(PromiseToPay.objects.filter(invoice_id=OuterRef("pk"))),
        "last_application_date": _last_date(PaymentApplication, "applied_date"),
        "last_adjustment_date": _last_date(Adjustment, "adjustment_date"),
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


# --- Invoices ---------------------------------------------------------------------------


@transaction.atomic
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
    _check_amount(amount)
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
    _check_currency(currency)
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
    if invoice.counts:
        ledger.post([(ledger.invoice_key(invoice, "invoice", issue_date), amount)])
    return invoice


DRAFT_ONLY_FIELDS = ("customer", "number", "issue_date", "amount", "currency")
REKEYED_FIELDS = ("rep", "product_line", "due_date")


@transaction.atomic
def update_invoice(invoice: Invoice, **changes) -> Invoice:
    """Change an invoice. Money, customer, number and issue date change only while draft.

    Rep, product line, due date (an extension), order are editable on issued invoices too;
    the rollup is re-keyed in the same transaction.

    Raises:
        ValidationError: invoice_issued_immutable, invoice_void, due_before_issue,
            order_customer_mismatch, currency_mismatch, or field errors.
    """
    invoice = _lock_invoice(invoice.pk)
    if invoice.status == Invoice.Status.VOID:
        raise ValidationError("A void invoice cannot be changed.", code=ErrorCode.INVOICE_VOID)
    if invoice.status != Invoice.Status.DRAFT:
        for field in DRAFT_ONLY_FIELDS:
            if field in changes and _value(changes[field]) != _value(getattr(invoice, field)):
                raise ValidationError(
                    {
                        field: ValidationError(
                            "Only a draft invoice's money, customer, number and issue date "
                            "change; correct an issued invoice with a credit note.",
                            ErrorCode.INVOICE_ISSUED_IMMUTABLE,
                        )
                    }
                )
    rekey = invoice.counts and any(
        field in changes and _value(changes[field]) != _value(getattr(invoice, field))
        for field in REKEYED_FIELDS
    )
    if rekey:
        old_movements = ledger.invoice_movements(invoice, sign=-1)
    for field, value in changes.items():
        setattr(invoice, field, value)
    if "amount" in changes:
        _check_amount(invoice.amount)
        invoice.open_amount = invoice.amount
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
    if rekey:
        ledger.post(old_movements + ledger.invoice_movements(invoice))
    return invoice


def _value(value):
    return getattr(value, "pk", value)


@transaction.atomic
def issue_invoice(invoice: Invoice) -> Invoice:
    """Turn a draft into an open invoice: from now on it counts for the KPIs."""
    invoice = _lock_invoice(invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise ValidationError(
            "Only a draft invoice can be issued.", code=ErrorCode.INVOICE_NOT_DRAFT
        )
    invoice.status = Invoice.Status.OPEN
    invoice.save(update_fields=["status", "updated_at"])
    ledger.post([(ledger.invoice_key(invoice, "invoice", invoice.issue_date), invoice.amount)])
    return invoice


@transaction.atomic
def void_invoice(invoice: Invoice, voided_date: date | None = None) -> Invoice:
    """Void an invoice. Refused while cash is applied to it: unapply first.

    Raises:
        ValidationError: invoice_already_void, invoice_has_applications.
    """
    invoice = _lock_invoice(invoice.pk)
    if invoice.status == Invoice.Status.VOID:
        raise ValidationError("The invoice is already void.", code=ErrorCode.INVOICE_ALREADY_VOID)
    if invoice.applications.exists():
        raise ValidationError(
            "Cash is applied to this invoice; unapply it before voiding.",
            code=ErrorCode.INVOICE_HAS_APPLICATIONS,
        )
    if invoice.counts:
        ledger.post(ledger.invoice_movements(invoice, sign=-1))
    invoice.status = Invoice.Status.VOID
    invoice.open_amount = ZERO
    invoice.paid_date = None
    invoice.voided_date = voided_date or today()
    invoice.save(update_fields=["status", "open_amount", "paid_date", "voided_date", "updated_at"])
    return invoice


@transaction.atomic
def delete_invoice(invoice: Invoice) -> None:
    """Delete a draft invoice. An issued invoice is voided, never deleted: it is in the rollup.

    Raises:
        Conflict: protected (cash applied), invoice_not_draft (issued or void: void it).
        ProtectedError: when disputes, promises, adjustments or activities refer to it.
    """
    invoice = _lock_invoice(invoice.pk)
    if invoice.applications.exists():
        raise Conflict(
            "Cash is applied to this invoice; it cannot be deleted.",
            code=ErrorCode.PROTECTED,
            details={"invoice": invoice.pk},
        )
    if invoice.status != Invoice.Status.DRAFT:
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status}; only a draft is deleted (void it).",
            code=ErrorCode.INVOICE_NOT_DRAFT,
            details={"invoice": invoice.pk},
        )
    invoice.delete()


def _settle(invoice: Invoice) -> None:
    """Set status and paid_date from the (already updated) open amount, and save."""
    settle_invoices([invoice])


def settle_invoices(invoices: Sequence[Invoice]) -> None:
    """`_settle` for several invoices: status and paid_date from their open amounts, saved.

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
                last_application=_last_date(PaymentApplication, "applied_date"),
                last_adjustment=_last_date(Adjustment, "adjustment_date"),
            )
            .values_list("pk", "last_application", "last_adjustment")
        }
    now = timezone.now()
    for invoice in invoices:
        if invoice.open_amount == 0:
            invoice.paid_date = max(d for d in last_dates[invoice.pk] if d is not None)
            invoice.status = Invoice.Status.PAID
        else:
            invoice.paid_date = None
            invoice.status = Invoice.Status.OPEN
        invoice.updated_at = now
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
            - _total(PaymentApplication, "invoice_id")
            - _total(Adjustment, "invoice_id"),
            status=status,
            paid_date=paid_date,
            updated_at=now,
        )


def _total(model, key: str) -> Coalesce:
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


def _last_date(model, date_field: str) -> Subquery:
    return Subquery(
        model.objects.filter(invoice_id=OuterRef("pk"))
        .order_by()
        .values("invoice_id")
        .annotate(last=Max(date_field))
        .values("last")
    )


def _require_counting(invoice: Invoice) -> None:
    if not invoice.counts:
        raise ValidationError(
            {
                "invoice": ValidationError(
                    f"Invoice {invoice.number} is {invoice.status}.", ErrorCode.INVOICE_NOT_OPEN
                )
            }
        )


@transaction.atomic
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
    _check_amount(amount)
    if kind not in Adjustment.Kind.values:
        raise ValidationError(
            {"kind": ValidationError(f"Unknown kind {kind!r}.", ErrorCode.INVALID_KIND)}
        )
    invoice = _lock_invoice(invoice.pk)
    _require_counting(invoice)
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
    adjustment = Adjustment.objects.create(
        invoice=invoice,
        kind=kind,
        amount=amount,
        adjustment_date=adjustment_date,
        reason=reason,
        created_by=user,
    )
    invoice.open_amount -= amount
    _settle(invoice)
    ledger.post([(ledger.invoice_key(invoice, "adjustment", adjustment_date), -amount)])
    return adjustment


# --- Payments and cash application -------------------------------------------------------


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
    _check_amount(amount)
    currency = currency or customer.currency
    _check_currency(currency)
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
    return payment


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
    _require_counting(invoice)
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
    _check_amount(amount)
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


def save_applications(applications: Sequence[PaymentApplication]) -> None:
    """Write staged applications and what they change, in a fixed number of statements.

    The applications are inserted, their payments' unapplied amounts and their invoices' open
    amounts, statuses and paid dates saved (as staged in memory), the rollup posted and the
    invoices' promise statuses refreshed — whatever the number of applications. Their
    payments must be stored; the caller holds the locks (payments, then invoices).
    """
    if not applications:
        return
    with rollup.tracking():
        # Set-based writes send no signals: the KPI rollup is told what they touch.
        rollup.touch(
            invoices={a.invoice.pk for a in applications},
            payments={a.payment.pk for a in applications},
        )
        PaymentApplication.objects.bulk_create(applications)
        payments = list({id(a.payment): a.payment for a in applications}.values())
        invoices = list({id(a.invoice): a.invoice for a in applications}.values())
        for application in applications:
            invoice = application.invoice
            if hasattr(invoice, "last_application_date"):  # locked by `lock_invoices`: keep current
                invoice.last_application_date = max(
                    filter(None, (invoice.last_application_date, application.applied_date))
                )
        now = timezone.now()
        for payment in payments:
            payment.updated_at = now
        if len(payments) == 1:
            payments[0].save(update_fields=["unapplied_amount", "updated_at"])
        else:
            # One UPDATE for all, with the unapplied amount as its definition (amount − Σ
            # applications), which equals the one held in memory.
            Payment.objects.filter(pk__in=[payment.pk for payment in payments]).update(
                unapplied_amount=F("amount") - _total(PaymentApplication, "payment_id"),
                updated_at=now,
            )
        settle_invoices(invoices)
        ledger.post(
            (ledger.invoice_key(a.invoice, "application", a.applied_date), -a.amount)
            for a in applications
        )
        with_promises = [
            invoice.pk for invoice in invoices if getattr(invoice, "has_promises", True)
        ]
        if with_promises:
            refresh_promise_statuses(invoice_ids=sorted(with_promises))


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
    payment = _lock_payment(payment.pk)
    invoice = _lock_invoice(invoice.pk)
    return apply_locked(
        payment, invoice, amount, applied_date=applied_date, automatic=automatic, user=user
    )


@transaction.atomic
def unapply(application: PaymentApplication) -> None:
    """Reverse an application: the cash returns to the payment, the amount to the invoice."""
    payment = _lock_payment(application.payment_id)
    invoice = _lock_invoice(application.invoice_id)
    try:
        application = PaymentApplication.objects.get(pk=application.pk)
    except PaymentApplication.DoesNotExist as exc:
        raise ValidationError(
            "The application was already reversed.", code=ErrorCode.NOT_FOUND
        ) from exc
    application.delete()
    payment.unapplied_amount += application.amount
    payment.save(update_fields=["unapplied_amount", "updated_at"])
    invoice.open_amount += application.amount
    _settle(invoice)
    ledger.post(
        [(ledger.invoice_key(invoice, "application", application.applied_date), application.amount)]
    )
    refresh_promise_statuses(invoice_ids=[invoice.pk])


@transaction.atomic
def update_payment(payment: Payment, **changes) -> Payment:
    """Edit a payment. Amount, currency, customer and date are fixed once cash is applied.

    Raises:
        ValidationError: payment_has_applications, not_positive, invalid_currency.
    """
    payment = _lock_payment(payment.pk)
    money_fields = ("amount", "currency", "customer", "received_date")
    changed = [
        f
        for f in money_fields
        if f in changes and _value(changes[f]) != _value(getattr(payment, f))
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
    for field, value in changes.items():
        setattr(payment, field, value)
    _check_amount(payment.amount)
    _check_currency(payment.currency)
    if "amount" in changes:
        payment.unapplied_amount = payment.amount
    payment.full_clean()
    payment.save()
    return payment


# --- Disputes and promises -----------------------------------------------------------------


@transaction.atomic
def open_dispute(
    invoice: Invoice, *, reason: str, amount: Decimal, opened_date: date, notes: str = ""
) -> Dispute:
    """Record a customer's dispute of (part of) an invoice.

    Raises:
        ValidationError: not_positive, invalid_reason, invoice_not_open, exceeds_invoice_amount,
            date_before_issue.
    """
    _check_amount(amount)
    if reason not in Dispute.Reason.values:
        raise ValidationError(
            {"reason": ValidationError(f"Unknown reason {reason!r}.", ErrorCode.INVALID_REASON)}
        )
    invoice = _lock_invoice(invoice.pk)
    _require_counting(invoice)
    if amount > invoice.amount:
        raise ValidationError(
            {
                "amount": ValidationError(
                    "A dispute cannot exceed the invoice amount.", ErrorCode.EXCEEDS_INVOICE_AMOUNT
                )
            }
        )
    if opened_date < invoice.issue_date:
        raise ValidationError(
            {
                "opened_date": ValidationError(
                    "The dispute is dated before the invoice.", ErrorCode.DATE_BEFORE_ISSUE
                )
            }
        )
    return Dispute.objects.create(
        invoice=invoice, reason=reason, amount=amount, opened_date=opened_date, notes=notes
    )


@transaction.atomic
def resolve_dispute(
    dispute: Dispute,
    *,
    resolution: str,
    resolved_date: date | None = None,
    credit_amount: Decimal | None = None,
    notes: str = "",
    user=None,
) -> Dispute:
    """Resolve a dispute; a `credited` resolution may issue a credit note in the same step.

    Raises:
        ValidationError: dispute_already_resolved, invalid_resolution, date_before_opened, and
            the credit note's own errors.
    """
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.status == Dispute.Status.RESOLVED:
        raise ValidationError(
            "The dispute is already resolved.", code=ErrorCode.DISPUTE_ALREADY_RESOLVED
        )
    if resolution not in Dispute.Resolution.values or not resolution:
        raise ValidationError(
            {
                "resolution": ValidationError(
                    f"Unknown resolution {resolution!r}.", ErrorCode.INVALID_RESOLUTION
                )
            }
        )
    resolved_date = resolved_date or today()
    if resolved_date < dispute.opened_date:
        raise ValidationError(
            {
                "resolved_date": ValidationError(
                    "Resolved before it was opened.", ErrorCode.DATE_BEFORE_OPENED
                )
            }
        )
    if credit_amount:
        if resolution != Dispute.Resolution.CREDITED:
            raise ValidationError(
                {
                    "credit_amount": ValidationError(
                        "Only a credited resolution issues a credit note.",
                        ErrorCode.INVALID_RESOLUTION,
                    )
                }
            )
        add_adjustment(
            dispute.invoice,
            kind=Adjustment.Kind.CREDIT_NOTE,
            amount=credit_amount,
            adjustment_date=resolved_date,
            reason=f"Dispute {dispute.pk}: {dispute.get_reason_display()}",
            user=user,
        )
    dispute.status = Dispute.Status.RESOLVED
    dispute.resolution = resolution
    dispute.resolved_date = resolved_date
    if notes:
        dispute.notes = f"{dispute.notes}\n{notes}".strip()
    dispute.save()
    return dispute


@transaction.atomic
def create_promise(
    invoice: Invoice,
    *,
    promised_date: date,
    amount: Decimal,
    created_date: date | None = None,
    notes: str = "",
    user=None,
) -> PromiseToPay:
    """Record a promise to pay; its status is derived at once (it may already be kept).

    Raises:
        ValidationError: not_positive, invoice_not_open, promised_before_created,
            exceeds_invoice_amount.
    """
    _check_amount(amount)
    invoice = _lock_invoice(invoice.pk)
    _require_counting(invoice)
    created_date = created_date or today()
    if promised_date < created_date:
        raise ValidationError(
            {
                "promised_date": ValidationError(
                    "The promised date is before the promise.", ErrorCode.PROMISED_BEFORE_CREATED
                )
            }
        )
    if amount > invoice.amount:
        raise ValidationError(
            {
                "amount": ValidationError(
                    "A promise cannot exceed the invoice amount.", ErrorCode.EXCEEDS_INVOICE_AMOUNT
                )
            }
        )
    promise = PromiseToPay.objects.create(
        invoice=invoice,
        created_date=created_date,
        promised_date=promised_date,
        amount=amount,
        notes=notes,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    refresh_promise_statuses(invoice_ids=[invoice.pk])
    promise.refresh_from_db(fields=["status"])
    return promise


def refresh_promise_statuses(
    invoice_ids: Sequence[int] | None = None, as_of: date | None = None
) -> int:
    """Derive every promise's status per the spec, in one UPDATE.

    Kept: applications to the invoice dated created..promised (inclusive) sum to at least the
    promised amount. Broken: not kept and the promised date is before `as_of` (today). Open:
    neither. Returns the number of promises looked at.
    """
    as_of = as_of or today()
    promises = PromiseToPay.objects.all()
    if invoice_ids is not None:
        promises = promises.filter(invoice_id__in=invoice_ids)
    return promises.update(
        status=Case(
            When(predicates.promise_kept(), then=Value(PromiseToPay.Status.KEPT)),
            When(
                LessThan(F("promised_date"), Value(as_of)), then=Value(PromiseToPay.Status.BROKEN)
            ),
            default=Value(PromiseToPay.Status.OPEN),
        )
    )


# --- Orders and collection activity --------------------------------------------------------


def check_order_rules(order: Order) -> None:
    """The rules an order holds on create and on every change."""
    _check_amount(order.amount)
    _check_currency(order.currency)
    if order.opportunity_id is not None and order.opportunity.customer_id != order.customer_id:
        raise ValidationError(
            {
                "opportunity": ValidationError(
                    "The opportunity belongs to another customer.",
                    ErrorCode.OPPORTUNITY_CUSTOMER_MISMATCH,
                )
            }
        )


@transaction.atomic
def create_order(
    *,
    customer: Customer,
    number: str,
    order_date: date,
    amount: Decimal,
    currency: str | None = None,
    rep: SalesRep | None = None,
    opportunity=None,
    product_line: str = "",
    status: str = Order.Status.BOOKED,
    credit_hold_override=None,
) -> Order:
    """Book an order; the currency and rep default to the customer's, the rep is kept after.

    A customer on credit hold is refused unless `credit_hold_override` (a
    `dunning.services.HoldOverride`: an admin and a reason) is given; see
    `dunning.services.admit_order`.

    Raises:
        ValidationError: not_positive, invalid_amount, invalid_currency,
            opportunity_customer_mismatch, or the model's field errors (e.g. `unique` number).
        Conflict: customer_on_credit_hold.
    """
    from dunning import services as dunning

    order = Order(
        customer=customer,
        number=number,
        order_date=order_date,
        amount=amount,
        currency=currency or customer.currency,
        rep=rep,
        opportunity=opportunity,
        product_line=product_line,
        status=status,
    )
    check_order_rules(order)
    order.full_clean()
    order.save()
    dunning.admit_order(order, credit_hold_override)
    return order


@transaction.atomic
def update_order(order: Order, **changes) -> Order:
    """Change an order under a row lock, holding the rules of `create_order`.

    Raises:
        ValidationError: as `create_order`.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    for field, value in changes.items():
        setattr(order, field, value)
    check_order_rules(order)
    order.full_clean()
    order.save()
    return order


def check_activity_rules(activity: CollectionActivity) -> None:
    """The rules an activity holds on create and on every change."""
    if activity.invoice_id is not None and activity.invoice.customer_id != activity.customer_id:
        raise ValidationError(
            {
                "invoice": ValidationError(
                    f"Invoice {activity.invoice.number} belongs to another customer.",
                    ErrorCode.CUSTOMER_MISMATCH,
                )
            }
        )
    if activity.clicked_at is not None and activity.clicked_at < activity.occurred_at:
        raise ValidationError(
            {
                "clicked_at": ValidationError(
                    "Clicked before the message was sent.", ErrorCode.CLICKED_BEFORE_OCCURRED
                )
            }
        )


@transaction.atomic
def create_activity(
    *,
    customer: Customer,
    kind: str,
    occurred_at,
    invoice: Invoice | None = None,
    clicked_at=None,
    outcome: str = "",
    notes: str = "",
    user=None,
) -> CollectionActivity:
    """Log a reminder, email, call, SMS or note in the collection of a customer or an invoice.

    Raises:
        ValidationError: customer_mismatch (the invoice is another customer's),
            clicked_before_occurred, or the model's field errors (e.g. an unknown kind).
    """
    activity = CollectionActivity(
        customer=customer,
        invoice=invoice,
        kind=kind,
        occurred_at=occurred_at,
        clicked_at=clicked_at,
        outcome=outcome,
        notes=notes,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    check_activity_rules(activity)
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def update_activity(activity: CollectionActivity, **changes) -> CollectionActivity:
    """Change a collection activity under a row lock, holding the rules of `create_activity`.

    Raises:
        ValidationError: as `create_activity`.
    """
    activity = CollectionActivity.objects.select_for_update().get(pk=activity.pk)
    for field, value in changes.items():
        setattr(activity, field, value)
    check_activity_rules(activity)
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def delete_activity(activity: CollectionActivity) -> None:
    """Delete a collection activity (no money moves with it; its KPI facts go with it)."""
    CollectionActivity.objects.select_for_update().get(pk=activity.pk).delete()
