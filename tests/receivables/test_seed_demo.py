from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.utils import timezone

from receivables import demo
from receivables.models import Invoice, Payment, PaymentApplication, PromiseToPay
from tests.invariants import invariant_violations

pytestmark = pytest.mark.django_db


def fingerprint() -> dict:
    """Counts and sums that differ if anything generated differs."""
    return {
        "invoices": list(
            Invoice.objects.values("status", "currency")
            .annotate(n=Count("id"), amount=Sum("amount"), open=Sum("open_amount"))
            .order_by("status", "currency")
        ),
        "applied": PaymentApplication.objects.aggregate(n=Count("id"), t=Sum("amount")),
        "unapplied": Payment.objects.aggregate(n=Count("id"), t=Sum("unapplied_amount")),
        "promises": list(
            PromiseToPay.objects.values("status").annotate(n=Count("id")).order_by("status")
        ),
        "numbers": list(Invoice.objects.order_by("number").values_list("number", "amount")[:20]),
    }


def test_seed_is_deterministic_and_keeps_every_invariant():
    result = demo.seed(customers=5, seed=7, months=18, invoices_per_customer=12)
    first = fingerprint()
    assert invariant_violations() == []
    assert result.counts["customer"] == 5
    assert result.counts["invoice"] == 60
    assert Invoice.objects.count() == 60

    demo.flush()
    demo.seed(customers=5, seed=7, months=18, invoices_per_customer=12)

    assert fingerprint() == first
    assert invariant_violations() == []


def test_seed_spans_the_requested_months_and_covers_every_story():
    demo.seed(customers=40, seed=3, months=18, invoices_per_customer=15)

    first_issue = Invoice.objects.order_by("issue_date").values_list("issue_date", flat=True)[0]
    assert (timezone.localdate() - first_issue).days >= 18 * 30 - 31
    assert set(Invoice.objects.values_list("status", flat=True)) >= {"open", "paid", "void"}
    assert set(Invoice.objects.values_list("currency", flat=True)) == {"USD", "EUR"}
    assert set(PromiseToPay.objects.values_list("status", flat=True)) >= {"kept", "broken"}
    assert PaymentApplication.objects.filter(automatic=False).exists()
    assert Invoice.objects.filter(adjustments__kind="credit_note").exists()
    assert Invoice.objects.filter(adjustments__kind="write_off").exists()
    assert Invoice.objects.filter(disputes__status="resolved").exists()
    assert invariant_violations() == []


def test_different_seeds_differ():
    demo.seed(customers=5, seed=1, months=18, invoices_per_customer=10)
    first = fingerprint()
    demo.flush()
    demo.seed(customers=5, seed=2, months=18, invoices_per_customer=10)

    assert fingerprint() != first


def test_command_refuses_a_non_empty_database_unless_flush():
    call_command("seed_demo", customers=3, invoices_per_customer=4, stdout=StringIO())
    invoices = Invoice.objects.count()

    with pytest.raises(CommandError, match="--flush"):
        call_command("seed_demo", customers=3, stdout=StringIO())
    assert Invoice.objects.count() == invoices == 12

    out = StringIO()
    call_command("seed_demo", customers=2, invoices_per_customer=4, flush=True, stdout=out)
    assert Invoice.objects.count() == 8
    assert "invoice: 8" in out.getvalue()
    assert "Seeded in" in out.getvalue()
    assert invariant_violations() == []


def test_command_rejects_non_positive_sizes():
    with pytest.raises(CommandError, match=">= 1"):
        call_command("seed_demo", customers=0, stdout=StringIO())
    assert Invoice.objects.count() == 0
