"""Disputes and promises to pay: opening and resolving a dispute, making a promise, and
dating the promises whose day has passed as kept or broken.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    F,
    Value,
    When,
)
from django.db.models.lookups import LessThan

from integrations import events
from integrations.models import EventType
from metrics import rollup
from o2c_api import audit
from receivables import predicates
from receivables.errors import ErrorCode
from receivables.models import (
    Adjustment,
    Dispute,
    Invoice,
    PromiseToPay,
)
from receivables.services.common import check_amount, lock_invoice, require_counting, today
from receivables.services.invoices import add_adjustment


@transaction.atomic
@rollup.tracked
def open_dispute(
    invoice: Invoice, *, reason: str, amount: Decimal, opened_date: date, notes: str = ""
) -> Dispute:
    """Record a customer's dispute of (part of) an invoice.

    Raises:
        ValidationError: not_positive, invalid_reason, invoice_not_open, exceeds_invoice_amount,
            date_before_issue.
    """
    check_amount(amount)
    if reason not in Dispute.Reason.values:
        raise ValidationError(
            {"reason": ValidationError(f"Unknown reason {reason!r}.", ErrorCode.INVALID_REASON)}
        )
    invoice = lock_invoice(invoice.pk)
    require_counting(invoice)
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
    rollup.touch(invoices=[invoice.pk])
    dispute = Dispute.objects.create(
        invoice=invoice, reason=reason, amount=amount, opened_date=opened_date, notes=notes
    )
    events.record(
        EventType.DISPUTE_OPENED,
        dispute,
        {"invoice": invoice.pk, "reason": reason, "amount": amount, "currency": invoice.currency},
    )
    return dispute


@transaction.atomic
@rollup.tracked
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
    rollup.touch(invoices=[dispute.invoice_id])
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
    events.record(
        EventType.DISPUTE_RESOLVED,
        dispute,
        {"invoice": dispute.invoice_id, "resolution": resolution, "resolved_date": resolved_date},
    )
    return dispute


@transaction.atomic
@rollup.tracked
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
    check_amount(amount)
    invoice = lock_invoice(invoice.pk)
    require_counting(invoice)
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
    rollup.touch(invoices=[invoice.pk])
    promise = PromiseToPay.objects.create(
        invoice=invoice,
        customer_id=invoice.customer_id,
        created_date=created_date,
        promised_date=promised_date,
        amount=amount,
        notes=notes,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    events.record(EventType.PROMISE_MADE, promise, promise_payload(promise, invoice.currency))
    refresh_promise_statuses(invoice_ids=[invoice.pk])
    promise.refresh_from_db(fields=["status"])
    return promise


def promise_payload(promise: PromiseToPay, currency: str) -> dict:
    """What a promise event carries."""
    return {
        "invoice": promise.invoice_id,
        "amount": promise.amount,
        "currency": currency,
        "promised_date": promise.promised_date,
        "status": promise.status,
    }


def refresh_promise_statuses(
    invoice_ids: Sequence[int] | None = None, as_of: date | None = None
) -> int:
    """Derive every promise's status per the spec, in one UPDATE.

    Kept: applications to the invoice dated created..promised (inclusive) sum to at least the
    promised amount. Broken: not kept and the promised date is before `as_of` (today). Open:
    neither. Returns the number of promises looked at. The credit holds of the customers whose
    promises moved follow (broken promises are a hold rule).
    """
    from dunning import services as dunning

    daily_sweep = invoice_ids is None and as_of is None
    as_of = as_of or today()
    promises = PromiseToPay.objects.all()
    if invoice_ids is not None:
        promises = promises.filter(invoice_id__in=invoice_ids)
    status = Case(
        When(predicates.promise_kept(), then=Value(PromiseToPay.Status.KEPT)),
        When(LessThan(F("promised_date"), Value(as_of)), then=Value(PromiseToPay.Status.BROKEN)),
        default=Value(PromiseToPay.Status.OPEN),
    )
    # The promises the UPDATE moves, found once (the callers hold their invoices' locks, so
    # the statuses cannot move in between): the UPDATE bypasses the audit trail and sends no
    # events, so both are written from these.
    moved = list(
        promises.annotate(new_status=status, currency=F("invoice__currency")).exclude(
            status=F("new_status")
        )
    )
    count = promises.update(status=status)
    for promise in moved:
        promise.status = promise.new_status
    audit.record_rows(moved)
    _record_promise_outcomes(moved)
    # The daily sweep breaks promises as time passes: it may place. For given invoices the
    # calling write decides (cash only keeps promises; unapply places itself; a promise
    # recorded after its date waits for the scheduled evaluation, as a backdated invoice);
    # a sweep for a given day (the demo's rebuild) leaves placing to that evaluation too.
    dunning.refresh_holds(
        {promise.customer_id for promise in moved},
        may_place=dunning.PROMISES_BROKEN if daily_sweep else (),
    )
    return count


def _record_promise_outcomes(moved: Sequence[PromiseToPay]) -> None:
    """promise.kept / promise.broken events for the promises just moved there (one insert)."""
    outcomes = {PromiseToPay.Status.KEPT: EventType.PROMISE_KEPT,
                PromiseToPay.Status.BROKEN: EventType.PROMISE_BROKEN}  # fmt: skip
    events.record_many(
        [
            (outcomes[promise.status], promise, promise_payload(promise, promise.currency))
            for promise in moved
            if promise.status in outcomes
        ]
    )


@transaction.atomic
def update_notes(record: Dispute | PromiseToPay, notes: str) -> Dispute | PromiseToPay:
    """Replace the notes of a dispute or a promise, under a row lock; nothing else changes
    (amounts, dates and statuses move only through the functions above)."""
    record = type(record).objects.select_for_update().get(pk=record.pk)
    record.notes = notes
    record.save(update_fields=["notes", "updated_at"])
    return record
