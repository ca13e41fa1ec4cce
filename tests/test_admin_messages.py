"""Admin action messages agree in number with their count ("1 invoice voided.", not
"1 invoices voided."): `o2c_api.admin.counted` (ngettext) behind every such message."""

from datetime import date
from decimal import Decimal

import pytest

from dashboard.models import HuddleAction
from o2c_api.admin import counted
from receivables import services
from receivables.models import Invoice, PromiseToPay
from tests.admin_helpers import run_action
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0 invoices voided."), (1, "1 invoice voided."), (2, "2 invoices voided.")],
)
def test_counted_agrees_in_number(count, shown):
    assert counted(count, "%(count)d invoice voided.", "%(count)d invoices voided.") == shown


def test_void_action_says_invoice_for_one_and_invoices_for_two(admin_client):
    customer = CustomerFactory()
    one = InvoiceFactory(customer=customer, amount=Decimal("10.00"))
    two = [InvoiceFactory(customer=customer, amount=Decimal("20.00")) for _ in range(2)]

    assert run_action(admin_client, Invoice, "void_invoices", [one]) == ["1 invoice voided."]
    assert run_action(admin_client, Invoice, "void_invoices", two) == ["2 invoices voided."]
    assert Invoice.objects.filter(status="void").count() == 3


def test_other_action_messages_agree_in_number(admin_client):
    invoice = InvoiceFactory(amount=Decimal("10.00"))
    promise = services.create_promise(
        invoice,
        promised_date=date(2026, 1, 10),
        amount=Decimal("10.00"),
        created_date=date(2026, 1, 2),
    )
    action = HuddleAction.objects.create(
        title="a", owner="b", due_date=date(2026, 1, 1), definition_of_done="c", status="open"
    )

    assert run_action(admin_client, PromiseToPay, "refresh_statuses", [promise]) == [
        "Refreshed the promises of 1 invoice."
    ]
    assert run_action(admin_client, Invoice, "refresh_promises", [invoice]) == [
        "1 promise refreshed."
    ]
    assert run_action(admin_client, HuddleAction, "mark_done", [action]) == [
        "1 action marked done."
    ]
