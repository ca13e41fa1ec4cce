"""run_playbook twice at the same moment on PostgreSQL: each invoice and step done once."""

from datetime import date
from decimal import Decimal

import pytest

from dunning import services
from dunning.defaults import install_defaults
from dunning.models import PlaybookAction
from receivables.models import CollectionActivity
from tests.api.test_payments_concurrency import run_threads
from tests.factories import CustomerFactory, InvoiceFactory

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
