"""Admin saves and actions go through the services; refusals show and change nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import KPIRollup
from receivables import services
from receivables.models import (
    Adjustment,
    Dispute,
    Invoice,
    Payment,
    PaymentApplication,
    PromiseToPay,
)
from tests.admin_helpers import admin_url, form_errors, post_form, run_action
from tests.factories import ActivityFactory, CustomerFactory, InvoiceFactory, PaymentFactory
from tests.invariants import ar_rows, invariant_violations, money_totals

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(payment_terms_days=45)


@pytest.fixture
def paid_invoice(customer):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    payment = PaymentFactory(customer=customer, amount=Decimal("100.00"))
    services.apply_payment(payment, invoice, Decimal("100.00"))
    return invoice


def test_adding_an_invoice_uses_create_invoice_defaults(admin_client, customer, check_rollup):
    response = post_form(
        admin_client,
        admin_url(Invoice, "add"),
        {
            "customer": customer.pk,
            "number": "INV-ADMIN-1",
            "issue_date": "2026-03-01",
            "amount": "250.00",
            "due_date": "",
            "currency": "",
            "product_line": "",
            "new_status": "open",
        },
    )

    assert form_errors(response) == {}
    invoice = Invoice.objects.get(number="INV-ADMIN-1")
    assert (invoice.due_date, invoice.currency, invoice.rep_id) == (
        date(2026, 4, 15),
        "USD",
        customer.rep_id,
    )
    assert (invoice.open_amount, invoice.status) == (Decimal("250.00"), "open")
    check_rollup()


def test_an_issued_invoice_shows_its_money_read_only_with_the_corrections(admin_client, customer):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    draft = InvoiceFactory(customer=customer, status="draft")
    before = money_totals()

    page = admin_client.get(admin_url(Invoice, "change", invoice.pk))
    response = post_form(
        admin_client,
        admin_url(Invoice, "change", invoice.pk),
        {
            "rep": customer.rep_id,
            "due_date": "2026-02-15",
            "amount": "999.00",
            "currency": "EUR",
            "product_line": "",
        },
    )

    form = page.context["adminform"].form
    assert sorted(form.fields) == ["due_date", "order", "product_line", "rep"]
    assert sorted(
        admin_client.get(admin_url(Invoice, "change", draft.pk)).context["adminform"].form.fields
    ) == [
        "amount",
        "currency",
        "customer",
        "due_date",
        "issue_date",
        "number",
        "order",
        "product_line",
        "rep",
    ]
    html = page.content.decode()
    assert f'href="/admin/receivables/invoice/{invoice.pk}/void/"' in html
    assert (
        f'href="/admin/receivables/adjustment/add/?invoice={invoice.pk}&amp;kind=credit_note'
        f'&amp;amount=100.00&amp;adjustment_date={services.today().isoformat()}"'
    ) in html
    assert form_errors(response) == {}  # the posted amount and currency are not form fields
    invoice.refresh_from_db()
    assert (invoice.amount, invoice.currency) == (Decimal("100.00"), "USD")
    assert money_totals() == before


def test_extending_a_due_date_in_the_admin_rekeys_the_rollup(admin_client, customer, check_rollup):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))

    response = post_form(
        admin_client,
        admin_url(Invoice, "change", invoice.pk),
        {
            "customer": customer.pk,
            "number": invoice.number,
            "issue_date": "2026-01-01",
            "due_date": "2026-03-31",
            "amount": "100.00",
            "currency": "USD",
            "product_line": "",
        },
    )

    assert form_errors(response) == {}
    invoice.refresh_from_db()
    assert invoice.due_date == date(2026, 3, 31)
    # Current AR's take-back (a row without flows) is on the day after the due date.
    assert [r[0] for r in ar_rows() if not any(r[5:8])] == [date(2026, 4, 1)]
    check_rollup()


def test_void_action_voids_and_refuses_invoices_with_cash(admin_client, customer, paid_invoice):
    unpaid = InvoiceFactory(customer=customer, amount=Decimal("40.00"))

    shown = run_action(admin_client, Invoice, "void_invoices", [unpaid, paid_invoice])

    unpaid.refresh_from_db()
    paid_invoice.refresh_from_db()
    assert (unpaid.status, unpaid.open_amount) == ("void", Decimal("0.00"))
    assert (paid_invoice.status, paid_invoice.open_amount) == ("paid", Decimal("0.00"))
    assert shown == [
        f"{paid_invoice.number}: Cash is applied to this invoice: reverse the payment's "
        "application first, or correct the invoice with a credit note instead.",
        "1 invoice voided.",
    ]
    assert invariant_violations() == []


def test_issue_action_issues_drafts_only(admin_client, customer):
    draft = InvoiceFactory(customer=customer, status="draft")
    issued = InvoiceFactory(customer=customer)

    shown = run_action(admin_client, Invoice, "issue_invoices", [draft, issued])

    draft.refresh_from_db()
    assert draft.status == "open"
    assert shown == [
        f"{issued.number}: Only a draft invoice can be issued; this one is issued already.",
        "1 invoice issued.",
    ]
    assert invariant_violations() == []


def test_issued_invoices_cannot_be_deleted_in_the_admin(admin_client, customer):
    issued = InvoiceFactory(customer=customer)
    draft = InvoiceFactory(customer=customer, status="draft")

    assert admin_client.get(admin_url(Invoice, "delete", issued.pk)).status_code == 403
    both = admin_client.post(
        admin_url(Invoice, "changelist"),
        {"action": "delete_selected", "_selected_action": [issued.pk, draft.pk], "post": "yes"},
    )
    assert both.status_code == 403
    assert Invoice.objects.count() == 2

    run_action(admin_client, Invoice, "delete_selected", [draft])
    admin_client.post(
        admin_url(Invoice, "changelist"),
        {"action": "delete_selected", "_selected_action": [draft.pk], "post": "yes"},
    )

    assert list(Invoice.objects.values_list("number", flat=True)) == [issued.number]
    assert invariant_violations() == []


def test_void_invoice_is_never_deleted_in_the_admin(admin_client, customer):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    services.add_adjustment(
        invoice, kind="write_off", amount=Decimal("10.00"), adjustment_date=date(2026, 1, 2)
    )
    services.void_invoice(invoice)
    url = admin_url(Invoice, "delete", invoice.pk)

    page = admin_client.get(url)
    refused = admin_client.post(url, {"post": "yes"})

    assert (page.status_code, refused.status_code) == (403, 403)
    assert Invoice.objects.filter(pk=invoice.pk).exists()
    assert invariant_violations() == []


def test_adding_an_adjustment_over_the_open_amount_shows_an_error(admin_client, customer):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    before = money_totals()
    data = {
        "invoice": invoice.pk,
        "kind": "credit_note",
        "amount": "100.01",
        "adjustment_date": "2026-01-10",
        "reason": "too much",
    }

    response = post_form(admin_client, admin_url(Adjustment, "add"), data)

    assert form_errors(response)["amount"][0]["code"] == "exceeds_open_amount"
    assert money_totals() == before

    response = post_form(admin_client, admin_url(Adjustment, "add"), {**data, "amount": "30.00"})

    assert form_errors(response) == {}
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("70.00")
    assert Adjustment.objects.get().created_by.username == "admin"
    assert invariant_violations() == []


def test_adding_a_payment_records_it_posted_by_the_admin_user(admin_client, customer):
    response = post_form(
        admin_client,
        admin_url(Payment, "add"),
        {
            "customer": customer.pk,
            "amount": "75.00",
            "currency": "USD",
            "received_date": "2026-02-01",
            "method": "wire",
            "reference": "BANK 1",
            "external_id": "ext-1",
        },
    )

    assert form_errors(response) == {}
    payment = Payment.objects.get()
    assert (payment.unapplied_amount, payment.posted_by.username) == (Decimal("75.00"), "admin")


def test_changing_an_applied_payment_amount_is_refused(admin_client, customer, paid_invoice):
    payment = Payment.objects.get()
    before = money_totals()

    response = post_form(
        admin_client,
        admin_url(Payment, "change", payment.pk),
        {
            "customer": customer.pk,
            "amount": "150.00",
            "currency": "USD",
            "received_date": "2026-01-15",
            "method": "other",
            "reference": "",
            "external_id": "",
        },
    )

    assert form_errors(response)["amount"][0]["code"] == "payment_has_applications"
    assert money_totals() == before


def test_applying_and_unapplying_cash_in_the_admin(admin_client, customer, check_rollup):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    payment = PaymentFactory(customer=customer, amount=Decimal("60.00"))
    data = {"payment": payment.pk, "invoice": invoice.pk, "amount": "60.01"}
    data["applied_date"] = "2026-01-20"

    refused = post_form(admin_client, admin_url(PaymentApplication, "add"), data)
    applied = post_form(
        admin_client, admin_url(PaymentApplication, "add"), {**data, "amount": "60.00"}
    )

    assert form_errors(refused)["amount"][0]["code"] == "exceeds_unapplied_amount"
    assert form_errors(applied) == {}
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("40.00")
    application = PaymentApplication.objects.get()
    assert application.created_by.username == "admin"
    check_rollup()

    refused = admin_client.post(
        admin_url(PaymentApplication, "delete", application.pk), {"post": "yes"}
    )
    assert refused.status_code == 403
    assert PaymentApplication.objects.count() == 1

    messages = run_action(admin_client, PaymentApplication, "unapply_applications", [application])

    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert messages[-1] == "1 application unapplied."
    assert (invoice.open_amount, payment.unapplied_amount) == (Decimal("100.00"), Decimal("60.00"))
    assert PaymentApplication.objects.count() == 0
    check_rollup()


def test_disputes_open_and_resolve_through_the_services(admin_client, customer, check_rollup):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    data = {"invoice": invoice.pk, "reason": "pricing", "amount": "120.00"}
    data.update(opened_date="2026-01-05", notes="")

    refused = post_form(admin_client, admin_url(Dispute, "add"), data)
    opened = post_form(admin_client, admin_url(Dispute, "add"), {**data, "amount": "20.00"})

    assert form_errors(refused)["amount"][0]["code"] == "exceeds_invoice_amount"
    assert form_errors(opened) == {}
    dispute = Dispute.objects.get()

    shown = run_action(admin_client, Dispute, "resolve_credited", [dispute])

    dispute.refresh_from_db()
    invoice.refresh_from_db()
    assert (dispute.status, dispute.resolution) == ("resolved", "credited")
    assert invoice.open_amount == Decimal("80.00")
    assert shown[-1] == "1 dispute resolved (credited)."
    check_rollup()

    again = run_action(admin_client, Dispute, "resolve_upheld", [dispute])

    assert again == [f"{dispute}: This dispute is already resolved; nothing was changed."]
    assert Adjustment.objects.count() == 1


def test_resolving_as_upheld_and_withdrawn(admin_client, customer):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    first = services.open_dispute(
        invoice, reason="quality", amount=Decimal("10.00"), opened_date=date(2026, 1, 2)
    )
    second = services.open_dispute(
        invoice, reason="delivery", amount=Decimal("10.00"), opened_date=date(2026, 1, 2)
    )

    run_action(admin_client, Dispute, "resolve_upheld", [first])
    run_action(admin_client, Dispute, "resolve_withdrawn", [second])

    assert sorted(Dispute.objects.values_list("resolution", flat=True)) == ["upheld", "withdrawn"]
    assert Adjustment.objects.count() == 0


def test_promises_are_created_and_refreshed_through_the_services(admin_client, customer):
    today = services.today()
    invoice = InvoiceFactory(
        customer=customer, amount=Decimal("100.00"), issue_date=today - timedelta(days=60)
    )
    data = {"invoice": invoice.pk, "amount": "50.00", "notes": ""}
    data.update(created_date=str(today - timedelta(days=5)), promised_date=str(today))

    refused = post_form(
        admin_client,
        admin_url(PromiseToPay, "add"),
        {**data, "amount": "100.01"},
    )
    created = post_form(admin_client, admin_url(PromiseToPay, "add"), data)

    assert form_errors(refused)["amount"][0]["code"] == "exceeds_invoice_amount"
    assert form_errors(created) == {}
    promise = PromiseToPay.objects.get()
    assert promise.status == "open"
    PromiseToPay.objects.filter(pk=promise.pk).update(promised_date=today - timedelta(days=1))

    run_action(admin_client, PromiseToPay, "refresh_statuses", [promise])

    promise.refresh_from_db()
    assert promise.status == "broken"


def test_logging_an_activity_on_the_invoice_page(admin_client, customer):
    invoice = InvoiceFactory(customer=customer)
    url = admin_url(Invoice, "change", invoice.pk)
    page = admin_client.get(url)
    data = {
        "customer": customer.pk,
        "number": invoice.number,
        "issue_date": "2026-01-01",
        "due_date": "2026-02-15",
        "amount": "100.00",
        "currency": "USD",
        "product_line": "",
    }
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = "1" if prefix == "activities" else "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    data.update(
        {
            "activities-0-kind": "call",
            "activities-0-occurred_at_0": "2026-02-20",
            "activities-0-occurred_at_1": "10:00:00",
            "activities-0-outcome": "reached",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    activity = invoice.activities.get()
    assert (activity.customer_id, activity.kind, activity.created_by.username) == (
        customer.pk,
        "call",
        "admin",
    )


@pytest.mark.parametrize("model", [KPIRollup])
def test_rollup_admin_is_read_only(admin_client, customer, model):
    InvoiceFactory(customer=customer)
    row = model.objects.order_by("pk").first()

    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.get(admin_url(model, "delete", row.pk)).status_code == 403
    page = admin_client.get(admin_url(model, "change", row.pk))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200


def invoice_with_history(customer, number: str, rows: int) -> Invoice:
    invoice = InvoiceFactory(customer=customer, number=number, amount=Decimal("1000.00"))
    for day in range(1, rows + 1):
        on = date(2026, 1, 1) + timedelta(days=day)
        cash = PaymentFactory(customer=customer, amount=Decimal("1.00"), received_date=on)
        services.apply_payment(cash, invoice, Decimal("1.00"))
        services.add_adjustment(
            invoice, kind="credit_note", amount=Decimal("1.00"), adjustment_date=on
        )
        services.open_dispute(invoice, reason="other", amount=Decimal("1.00"), opened_date=on)
        services.create_promise(invoice, created_date=on, promised_date=on, amount=Decimal("1.00"))
        ActivityFactory(customer=customer, invoice=invoice)
    return invoice


def test_invoice_change_page_queries_do_not_grow_with_inline_rows(admin_client, customer):
    small = invoice_with_history(customer, "SMALL", 1)
    large = invoice_with_history(customer, "LARGE", 6)
    admin_client.get(admin_url(Invoice, "change", small.pk))

    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(admin_url(Invoice, "change", small.pk)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(admin_url(Invoice, "change", large.pk)).status_code == 200

    assert len(many) == len(few)


def test_payments_disputes_and_promises_cannot_be_deleted_in_the_admin(admin_client, customer):
    """Their KPI facts are kept by their services, which reverse (unapply, resolve) rather
    than delete: the admin offers no delete page and no bulk delete action for them."""
    invoice = InvoiceFactory(customer=customer, issue_date=date(2026, 1, 5))
    payment = PaymentFactory(customer=customer, amount=Decimal("10.00"))
    dispute = services.open_dispute(
        invoice, reason="pricing", amount=Decimal("5.00"), opened_date=date(2026, 1, 6)
    )
    promise = services.create_promise(
        invoice,
        promised_date=date(2026, 2, 1),
        amount=Decimal("50.00"),
        created_date=date(2026, 1, 6),
    )
    for obj in (payment, dispute, promise):
        model = type(obj)
        assert admin_client.get(admin_url(model, "delete", obj.pk)).status_code == 403
        changelist = admin_client.get(admin_url(model, "changelist"))
        assert "delete_selected" not in changelist.content.decode()
        assert model.objects.filter(pk=obj.pk).exists()
