"""Concurrency on PostgreSQL: run_playbook twice at the same moment does each invoice and step
once; writes that move a customer's hold at the same moment place it once."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from dunning import services
from dunning.defaults import install_defaults
from dunning.models import CreditHold, PlaybookAction
from integrations.models import Event
from receivables import services as receivables_services
from receivables.models import CollectionActivity
from tests.api.test_payments_concurrency import run_threads
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_runs_never_do_an_invoice_and_step_twice():
    install_defaults()  # a transactional test starts from flushed tables
    customer = CustomerFactory(name="Acme Corp")
    invoices = [
        InvoiceFactory(customer=customer, issue_date=date(2026, 3, 1), amount=Decimal("10"))
        for _ in range(30)
    ]

    runs = run_threads(lambda i: services.run_playbook(as_of=date(2026, 4, 1)), count=4)

    assert not [run for run in runs if isinstance(run, Exception)], runs
    created = sum(run.count(services.CREATED) for run in runs)
    taken = sum(run.count(services.TAKEN) for run in runs)
    assert created == 30
    assert created + taken == sum(len(run.entries) for run in runs)
    assert PlaybookAction.objects.count() == 30
    assert CollectionActivity.objects.count() == 30
    assert set(PlaybookAction.objects.values_list("invoice_id", flat=True)) == {
        invoice.pk for invoice in invoices
    }
    again = services.run_playbook(as_of=date(2026, 4, 1))
    assert again.entries == []


def test_concurrent_unapplies_and_an_evaluation_leave_one_hold():
    """Four unapplies for one customer and an evaluation at once: they serialise on the
    customer's row (locked through its invoices, then by the holds), so the hold is placed
    once, by whichever write took open AR over the limit, and nothing deadlocks."""
    install_defaults()
    customer = CustomerFactory(name="Acme Corp", currency="USD", credit_limit=Decimal("1000.00"))
    applications = []
    for i in range(4):
        invoice = InvoiceFactory(
            customer=customer, number=f"C-{i}", issue_date=timezone.localdate(),
            amount=Decimal("300.00"),
        )  # fmt: skip
        payment = PaymentFactory(
            customer=customer, amount=Decimal("300.00"), received_date=timezone.localdate()
        )
        applications.append(receivables_services.apply_payment(payment, invoice, Decimal("300.00")))

    def work(i):
        if i == 4:
            return services.evaluate_credit_holds()
        return receivables_services.unapply(applications[i])

    outcomes = run_threads(work, count=5)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    hold = CreditHold.objects.get()
    assert (hold.customer_id, hold.automatic, hold.lifted_at) == (customer.pk, True, None)
    assert list(hold.reasons.values_list("code", "detail")) == [
        (
            "over_credit_limit",
            "Open AR 1,200.00 USD is above the credit limit of 1,000.00 USD.",
        )
    ]
    assert Event.objects.filter(type="credit_hold.placed").count() == 1
    customer.refresh_from_db()
    assert customer.on_credit_hold is True
