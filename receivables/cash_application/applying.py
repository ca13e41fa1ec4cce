"""Staging a posting's applications on the locked invoices, by the first rule that applies
(`services.stage_application` checks each one); nothing is written here."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from o2c_api.errors import ErrorCode as CommonCode
from o2c_api.money import ZERO
from receivables import services
from receivables.cash_application.matching import Plan
from receivables.cash_application.results import (
    INVOICE_NOT_FOUND,
    INVOICE_PAID,
    RULE_EXACT_AMOUNT,
    RULE_REFERENCE,
    RULE_REMITTANCE,
    PostingException,
    PostingResult,
    RemittanceLine,
)
from receivables.models import Invoice, Payment


def apply_rules(
    payment: Payment,
    remittance: list[RemittanceLine],
    plan: "Plan",
    locked: dict[int, Invoice],
) -> PostingResult:
    """Stage the applications of one payment by the first rule that applies (see module doc)."""
    amount = payment.amount
    result = PostingResult(payment=payment)
    exact = [
        locked[pk]
        for pk in plan.exact
        if pk in locked and locked[pk].counts and locked[pk].open_amount == amount
    ]
    if remittance:
        result.rule = RULE_REMITTANCE
        _apply_remittance(result, remittance, plan.by_line, locked)
    elif plan.referenced:
        result.rule = RULE_REFERENCE
        _apply_referenced(result, [locked[pk] for pk in plan.referenced if pk in locked])
    elif len(exact) == 1:
        result.rule = RULE_EXACT_AMOUNT
        _apply(result, exact[0], amount)

    if settings.O2C_AUTO_APPLY_OLDEST_FIRST and not result.exceptions and payment.unapplied_amount:
        for invoice in _oldest_first(locked[pk] for pk in plan.open_ids if pk in locked):
            if payment.unapplied_amount == 0:
                break
            if invoice.counts and invoice.currency == payment.currency and invoice.open_amount:
                _apply(result, invoice, min(invoice.open_amount, payment.unapplied_amount))
    result.unapplied_amount = payment.unapplied_amount
    return result


def _apply_remittance(
    result: PostingResult,
    lines: list[RemittanceLine],
    by_line: dict[int, int],
    locked: dict[int, Invoice],
) -> None:
    for index, line in enumerate(lines):
        invoice = locked.get(by_line.get(index))
        if invoice is None:
            result.exceptions.append(
                PostingException(
                    line=index,
                    invoice=line.ref,
                    code=INVOICE_NOT_FOUND,
                    message=f"No invoice {line.ref!r}.",
                    amount=line.amount,
                )
            )
            continue
        _apply(result, invoice, line.amount, line=index, ref=line.ref)


def _apply_referenced(result: PostingResult, invoices: list[Invoice]) -> None:
    payment = result.payment
    for invoice in _oldest_first(invoices):
        problem = _unpayable(invoice, payment)
        if problem is not None:
            # Named in the reference but it cannot take cash (perhaps it was paid twice):
            # a person should see it. No amount is attributed to a reference.
            code, message = problem
            result.exceptions.append(
                PostingException(
                    line=None, invoice=invoice.number, code=code, message=message, amount=ZERO
                )
            )
            continue
        if payment.unapplied_amount == 0:
            break
        _apply(result, invoice, min(invoice.open_amount, payment.unapplied_amount))


def _unpayable(invoice: Invoice, payment: Payment) -> tuple[str, str] | None:
    """Why an invoice named in the reference cannot take this payment's cash, if it cannot:
    the service's rules (`check_payable`), then "already paid"."""
    try:
        services.check_payable(payment, invoice)
    except ValidationError as exc:
        error = _first_error(exc)
        return error.code, " ".join(error.messages)
    if invoice.open_amount == 0:
        return INVOICE_PAID, f"Invoice {invoice.number} is already paid."
    return None


def _apply(
    result: PostingResult,
    invoice: Invoice,
    amount: Decimal,
    *,
    line: int | None = None,
    ref: str | None = None,
) -> None:
    """Stage `amount` or record why not (a refusal changes nothing, `stage_application`)."""
    try:
        application = services.stage_application(
            result.payment, invoice, amount, automatic=True, user=result.payment.posted_by
        )
    except ValidationError as exc:
        error = _first_error(exc)
        result.exceptions.append(
            PostingException(
                line=line,
                invoice=ref or invoice.number,
                code=error.code or CommonCode.INVALID,
                message=" ".join(error.messages),
                amount=amount,
            )
        )
        return
    result.applications.append(application)


def _first_error(exc: ValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return next(iter(exc.error_dict.values()))[0]
    return exc.error_list[0]


def _oldest_first(invoices) -> list[Invoice]:
    return sorted(invoices, key=lambda invoice: (invoice.issue_date, invoice.pk))
