"""The audit trail of money records (o2c_api.audit): who, when, what changed, from where and
why, for saves and for the set-based writes of cash application, settling, promise refresh
and credit holds; shown in the admin, never written by hand."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Customer
from dunning import services as dunning
from o2c_api import audit
from receivables import services
from receivables.models import (
    Adjustment,
    Dispute,
    Invoice,
    Payment,
    PaymentApplication,
    PromiseToPay,
)
from tests.admin_helpers import admin_url, post_form, run_action
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db

D = Decimal
AUDITED = (Customer, Invoice, Adjustment, Payment, PaymentApplication, Dispute, PromiseToPay)


def trail(obj_or_model, pk=None) -> list[tuple]:
    """(type, user, source, reason) of an object's history rows, oldest first."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    pk = pk if pk is not None else obj_or_model.pk
    return [
        (row.history_type, row.history_user and row.history_user.username, row.source,
         row.history_change_reason)
        for row in model.history.filter(id=pk).order_by("history_date", "history_id")
    ]  # fmt: skip


def changes(obj) -> dict:
    """What the latest change of `obj` changed: {field: (old, new)}."""
    newest, previous = obj.history.filter(id=obj.pk).order_by("-history_date", "-history_id")[:2]
    return {c.field: (c.old, c.new) for c in audit.diff(newest, previous).changes}


@pytest.fixture
def customer():
    return CustomerFactory(name="Acme", credit_limit=D("1000.00"))


def test_a_rest_change_records_user_source_and_what_changed(make_client, customer):
    client = make_client("integration")

    response = client.patch(
        f"/api/v1/customers/{customer.pk}/", {"credit_limit": "2500.00"}, format="json"
    )

    assert response.status_code == 200
    assert trail(customer) == [
        ("+", None, "command", None),
        ("~", "integration-user", "rest", None),
    ]
    assert changes(customer) == {"credit_limit": (D("1000.00"), D("2500.00"))}


def test_a_graphql_void_records_its_reason(make_client, customer):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    query = """mutation($id: ID!) { voidInvoice(id: $id, reason: "Billed twice") {
        ... on InvoiceType { status } } }"""

    body = make_client("integration").post(
        "/graphql/", {"query": query, "variables": {"id": invoice.pk}}, format="json"
    )

    assert body.json() == {"data": {"voidInvoice": {"status": "void"}}}
    assert trail(invoice)[-1] == ("~", "integration-user", "graphql", "Billed twice")
    assert changes(invoice)["status"] == ("open", "void")


def test_an_unapply_keeps_the_application_in_the_trail_with_its_reason(make_client, customer):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("60.00"))
    application = services.apply_payment(payment, invoice, D("60.00"))

    response = make_client("integration").post(
        f"/api/v1/payments/{payment.pk}/unapply/",
        {"application": application.pk, "reason": "Wrong customer"},
        format="json",
    )

    assert response.status_code == 200
    assert not PaymentApplication.objects.exists()
    assert trail(PaymentApplication, application.pk) == [
        ("+", None, "command", None),
        ("-", "integration-user", "rest", "Wrong customer"),
    ]
    deleted = PaymentApplication.history.get(id=application.pk, history_type="-")
    assert (deleted.amount, deleted.invoice_id, deleted.payment_id) == (
        D("60.00"),
        invoice.pk,
        payment.pk,
    )
    assert changes(payment) == {"unapplied_amount": (D("0.00"), D("60.00"))}


def test_a_bulk_post_records_payments_applications_and_invoices(make_client, customer):
    first = InvoiceFactory(customer=customer, number="INV-1", amount=D("100.00"))
    second = InvoiceFactory(customer=customer, number="INV-2", amount=D("50.00"))
    items = [
        {"customer": customer.pk, "amount": "100.00", "received_date": "2026-02-01",
         "reference": "INV-1", "external_id": "A"},
        {"customer": customer.pk, "amount": "50.00", "received_date": "2026-02-01",
         "reference": "INV-2", "external_id": "B"},
    ]  # fmt: skip

    response = make_client("integration").post(
        "/api/v1/payments/bulk/", {"items": items}, format="json"
    )

    assert response.status_code == 200
    user = ("integration-user", "rest", None)
    for payment in Payment.objects.all():
        # One change: created as the posting left it (applied, its rule), not its steps.
        assert trail(payment) == [("+", *user)]
        row = payment.history.get()
        assert (row.unapplied_amount, row.posting_rule) == (D("0.00"), "reference")
    for application in PaymentApplication.objects.all():
        assert trail(application) == [("+", *user)]
    for invoice in (first, second):
        assert trail(invoice)[-1] == ("~", *user)
        invoice.refresh_from_db()
        assert changes(invoice)["open_amount"] == (invoice.amount, D("0.00"))
        assert changes(invoice)["status"] == ("open", "paid")


def test_set_based_settling_of_several_invoices_is_recorded(customer):
    invoices = [InvoiceFactory(customer=customer, amount=D("30.00")) for _ in range(3)]
    payment = PaymentFactory(customer=customer, amount=D("90.00"))
    staged = [services.stage_application(payment, invoice, D("30.00")) for invoice in invoices]

    services.save_applications(staged)

    for invoice in invoices:
        assert changes(invoice)["open_amount"] == (D("30.00"), D("0.00"))
    assert [row[0] for row in trail(payment)] == ["+", "~"]


def test_promise_refresh_records_only_the_promises_whose_status_moved(customer, monkeypatch):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    broken = services.create_promise(
        invoice, promised_date=date(2026, 1, 10), amount=D("50.00"), created_date=date(2026, 1, 2)
    )
    later = services.create_promise(
        invoice,
        promised_date=timezone.localdate() + timedelta(days=30),
        amount=D("50.00"),
        created_date=date(2026, 1, 2),
    )
    PromiseToPay.objects.filter(pk=broken.pk).update(status="open")  # as yesterday left it

    call_command("refresh_promise_statuses", stdout=StringIO())

    assert trail(broken)[-1] == ("~", None, "command", None)
    assert PromiseToPay.history.filter(id=broken.pk).latest("history_date").status == "broken"
    assert [row[0] for row in trail(later)] == ["+"]


def test_credit_hold_flags_set_in_bulk_are_recorded(customer):
    InvoiceFactory(
        customer=customer,
        issue_date=timezone.localdate() - timedelta(days=120),
        due_date=timezone.localdate() - timedelta(days=90),
        amount=D("100.00"),
    )

    placed = dunning.evaluate_credit_holds()

    assert customer.pk in {getattr(c, "pk", c) for c in placed.placed}
    assert changes(customer) == {"on_credit_hold": (False, True)}
    assert trail(customer)[-1] == ("~", None, "command", None)


def test_admin_changes_are_recorded_as_admin_with_the_user(admin_client, customer):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))

    run_action(admin_client, Invoice, "void_invoices", [invoice])
    post_form(
        admin_client,
        admin_url(Payment, "add"),
        {
            "customer": customer.pk,
            "amount": "25.00",
            "currency": "USD",
            "received_date": "2026-02-01",
            "method": "wire",
            "reference": "",
            "external_id": "",
        },
    )

    assert trail(invoice)[-1] == ("~", "admin", "admin", None)
    assert trail(Payment.objects.get())[-1] == ("+", "admin", "admin", None)


def test_a_service_call_outside_a_request_is_a_command(customer):
    accounts_services.update_customer(customer, payment_terms_days=60)

    assert trail(customer)[-1] == ("~", None, "command", None)
    assert changes(customer) == {"payment_terms_days": (30, 60)}


def test_history_pages_show_the_trail_and_cannot_change_it(admin_client, customer):
    accounts_services.update_customer(customer, credit_limit=D("2000.00"))
    history = Customer.history.model

    page = admin_client.get(admin_url(Customer, "history", customer.pk))
    listing = admin_client.get(admin_url(history, "changelist"))
    row = history.objects.order_by("history_id").last()

    assert page.status_code == 200
    text = page.content.decode()
    assert "Credit limit" in text or "credit_limit" in text
    assert "command" in text
    assert listing.status_code == 200
    assert admin_client.get(admin_url(history, "add")).status_code == 403
    assert admin_client.get(admin_url(history, "delete", row.pk)).status_code == 403
    changed = admin_client.post(admin_url(history, "change", row.pk), {"source": "rest"})
    assert changed.status_code in (200, 403)
    row.refresh_from_db()
    assert row.source == "command"


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m._meta.model_name)
def test_every_audited_model_has_a_history_list_in_the_admin(admin_client, model):
    assert admin_client.get(admin_url(model.history.model, "changelist")).status_code == 200


def test_no_role_may_write_the_audit_trail():
    writes = {
        (group.name, codename)
        for group in Group.objects.all()
        for codename in group.permissions.values_list("codename", flat=True)
        if "historical" in codename and not codename.startswith("view_")
    }

    assert writes == set()
