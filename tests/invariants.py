"""The cash invariants of issue 6, checked against the database after any sequence of writes."""

from decimal import Decimal

from django.db.models import Sum

from receivables import ledger
from receivables.models import Invoice, Payment, PaymentApplication

ZERO = Decimal("0.00")


def assert_invariants() -> None:
    """Assert every cash invariant holds for every payment and invoice.

    Σ applications of a payment ≤ its amount and equals amount − unapplied; Σ applications of an
    invoice ≤ amount − adjustments and open amount equals its recomputation; Σ payments =
    Σ applied + Σ unapplied (per currency); the rollup equals its recomputation.
    """
    for payment in Payment.objects.annotate(applied=Sum("applications__amount")):
        applied = payment.applied or ZERO
        assert applied <= payment.amount, payment.pk
        assert payment.unapplied_amount == payment.amount - applied, payment.pk
    applied_by_invoice = dict(
        PaymentApplication.objects.values_list("invoice").annotate(total=Sum("amount"))
    )
    for invoice in Invoice.objects.annotate(adjusted=Sum("adjustments__amount")):
        applied = applied_by_invoice.get(invoice.pk, ZERO)
        adjusted = invoice.adjusted or ZERO
        assert applied <= invoice.amount - adjusted, invoice.number
        if invoice.status != Invoice.Status.VOID:
            assert invoice.open_amount == invoice.amount - adjusted - applied, invoice.number
            assert (invoice.status == Invoice.Status.PAID) == (invoice.open_amount == 0) or (
                invoice.status == Invoice.Status.DRAFT
            ), invoice.number
    for currency in Payment.objects.values_list("currency", flat=True).distinct():
        payments = Payment.objects.filter(currency=currency)
        total = payments.aggregate(s=Sum("amount"))["s"] or ZERO
        unapplied = payments.aggregate(s=Sum("unapplied_amount"))["s"] or ZERO
        applied = (
            PaymentApplication.objects.filter(payment__currency=currency).aggregate(
                s=Sum("amount")
            )["s"]
            or ZERO
        )
        assert total == applied + unapplied, currency
    assert ledger.stored() == ledger.recompute()
