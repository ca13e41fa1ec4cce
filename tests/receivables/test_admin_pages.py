"""The invoice page's summary and the forms it opens; the dispute resolution form; voiding.

Every write goes through the services; a refusal shows a sentence and changes nothing.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Customer
from receivables import services
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    PaymentApplication,
    PromiseToPay,
)
from tests.admin_helpers import admin_url, form_errors, post_form
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory
from tests.invariants import invariant_violations, money_totals

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return services.today()


@pytest.fixture
def invoice(today):
    """Acme owes 1,000.00 (40 days past due) + 300.00 (not yet due) + 50.00 in EUR."""
    acme = CustomerFactory(name="Acme", payment_terms_days=0)
    overdue = InvoiceFactory(
        customer=acme,
        number="INV-1",
        issue_date=today - timedelta(days=70),
        due_date=today - timedelta(days=40),
        amount=Decimal("1200.00"),
    )
    InvoiceFactory(
        customer=acme,
        number="INV-2",
        issue_date=today,
        due_date=today + timedelta(days=30),
        amount=Decimal("300.00"),
    )
    InvoiceFactory(
        customer=acme, number="INV-EUR", issue_date=today, amount=Decimal("50.00"), currency="EUR"
    )
    payment = PaymentFactory(customer=acme, amount=Decimal("200.00"), received_date=today)
    services.apply_payment(payment, overdue, Decimal("200.00"), applied_date=today)
    overdue.refresh_from_db()
    return overdue


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text_of(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}">') + len(f'id="{element_id}">')
    return html[start : html.index("</", start)]


def test_invoice_page_opens_with_the_collection_summary(admin_client, invoice, today):
    services.create_promise(
        invoice,
        promised_date=today + timedelta(days=3),
        amount=Decimal("400.00"),
        created_date=today - timedelta(days=1),
    )
    services.create_promise(
        invoice,
        promised_date=today + timedelta(days=7),
        amount=Decimal("1000.00"),
        created_date=today,
    )

    response = admin_client.get(admin_url(Invoice, "change", invoice.pk))
    html = response.content.decode()

    assert text_of(html, "summary-days-past-due") == "40"
    assert text_of(html, "summary-customer-open") == "1,300.00 USD"
    assert text_of(html, "summary-customer-past-due") == "1,000.00 USD"
    promised, made = date_format(today + timedelta(days=7)), date_format(today)
    assert text_of(html, "summary-latest-promise") == (
        f"1,000.00 USD by {promised} (open, made {made})"
    )
    assert text_of(html, "summary-disputes") == "none"


def test_dates_follow_the_locale_and_time_zone(admin_client, invoice, settings):
    settings.TIME_ZONE = "America/New_York"
    occurred = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)  # 22:30 on 1 March in New York
    CollectionActivity.objects.create(
        customer=invoice.customer, invoice=invoice, kind="call", occurred_at=occurred
    )

    html = admin_client.get(admin_url(Customer, "change", invoice.customer_id)).content.decode()

    assert "<td>March 1, 2026, 10:30 p.m.</td>" in html
    assert date_format(date(2026, 3, 2)) == "March 2, 2026"


def test_record_links_open_pre_filled_forms(admin_client, invoice, today):
    response = admin_client.get(admin_url(Invoice, "change", invoice.pk))
    html = response.content.decode()
    day = today.isoformat()

    add = "/admin/receivables/{}/add/?".format
    promise = (
        add("promisetopay") + f"invoice={invoice.pk}&amp;amount=1000.00&amp;created_date={day}"
    )
    dispute = add("dispute") + f"invoice={invoice.pk}&amp;amount=1000.00&amp;opened_date={day}"
    call = add("collectionactivity") + (
        f"customer={invoice.customer_id}&amp;invoice={invoice.pk}&amp;kind=call"
    )
    assert f'href="{promise}">Record a promise</a>' in html
    assert f'href="{dispute}">Open a dispute</a>' in html
    assert f'href="{call}">Log a call</a>' in html

    promise_form = admin_client.get(promise.replace("&amp;", "&")).context["adminform"].form
    call_form = admin_client.get(call.replace("&amp;", "&")).context["adminform"].form
    assert (
        promise_form.initial["invoice"],
        promise_form.initial["amount"],
        promise_form.initial["created_date"],
    ) == (str(invoice.pk), "1000.00", day)
    assert (
        call_form.initial["customer"],
        call_form.initial["invoice"],
        call_form.initial["kind"],
    ) == (
        str(invoice.customer_id),
        str(invoice.pk),
        "call",
    )
    occurred = call_form.initial["occurred_at"]
    assert timezone.now() - timedelta(minutes=2) < occurred <= timezone.now()


def test_a_promise_recorded_from_the_invoice_returns_to_it(admin_client, invoice, today):
    url = admin_url(PromiseToPay, "add") + f"?invoice={invoice.pk}"
    promised = today + timedelta(days=10)

    response = post_form(
        admin_client,
        url,
        {
            "invoice": invoice.pk,
            "created_date": today.isoformat(),
            "promised_date": promised.isoformat(),
            "amount": "1000.00",
            "notes": "Will pay after the board meeting.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == admin_url(Invoice, "change", invoice.pk)
    promise = PromiseToPay.objects.get()
    assert (promise.promised_date, promise.amount, promise.status, promise.notes) == (
        promised,
        Decimal("1000.00"),
        "open",
        "Will pay after the board meeting.",
    )


def test_a_refused_promise_shows_a_sentence_and_saves_nothing(admin_client, invoice, today):
    response = post_form(
        admin_client,
        admin_url(PromiseToPay, "add") + f"?invoice={invoice.pk}",
        {
            "invoice": invoice.pk,
            "created_date": today.isoformat(),
            "promised_date": (today - timedelta(days=1)).isoformat(),
            "amount": "100.00",
            "notes": "",
        },
    )

    assert form_errors(response)["__all__"] == [
        {
            "message": "The promised date cannot be before the day of the promise.",
            "code": "promised_before_created",
        }
    ]
    assert "promised_before_created" not in response.content.decode()
    assert PromiseToPay.objects.count() == 0


def test_a_call_logged_from_the_invoice_returns_to_it(admin_client, invoice, today):
    now = timezone.localtime().replace(second=0, microsecond=0)
    response = post_form(
        admin_client,
        admin_url(CollectionActivity, "add") + f"?invoice={invoice.pk}",
        {
            "customer": invoice.customer_id,
            "invoice": invoice.pk,
            "kind": "call",
            "occurred_at_0": now.date().isoformat(),
            "occurred_at_1": now.strftime("%H:%M:%S"),
            "outcome": "reached",
            "notes": "Promised to check with AP.",
        },
    )

    assert response["Location"] == admin_url(Invoice, "change", invoice.pk)
    activity = CollectionActivity.objects.get()
    assert (activity.kind, activity.outcome, activity.invoice_id, activity.occurred_at) == (
        "call",
        "reached",
        invoice.pk,
        now,
    )


def test_dispute_resolution_form_credits_and_keeps_notes(admin_client, admin_user, invoice, today):
    dispute = services.open_dispute(
        invoice, reason="pricing", amount=Decimal("150.00"), opened_date=today, notes="Old price."
    )
    url = f"/admin/receivables/dispute/{dispute.pk}/resolve/"

    page = admin_client.get(url)
    response = admin_client.post(
        url,
        {
            "resolution": "credited",
            "resolved_date": today.isoformat(),
            "credit_amount": "120.00",
            "notes": "Credited the list price difference.",
        },
    )

    assert page.context["form"].initial == {
        "resolved_date": today,
        "credit_amount": Decimal("150.00"),
    }
    assert response.status_code == 302
    assert response["Location"] == admin_url(Invoice, "change", invoice.pk)
    assert messages_of(response) == [f"{dispute} is resolved."]
    dispute.refresh_from_db()
    invoice.refresh_from_db()
    assert (dispute.status, dispute.resolution, dispute.resolved_date, dispute.notes) == (
        "resolved",
        "credited",
        today,
        "Old price.\nCredited the list price difference.",
    )
    credit = Adjustment.objects.get()
    assert (credit.kind, credit.amount, credit.created_by) == (
        "credit_note",
        Decimal("120.00"),
        admin_user,
    )
    assert invoice.open_amount == Decimal("880.00")
    assert invariant_violations() == []


def test_upheld_resolution_issues_no_credit_note(admin_client, invoice, today):
    dispute = services.open_dispute(
        invoice, reason="quality", amount=Decimal("50.00"), opened_date=today
    )

    admin_client.post(
        f"/admin/receivables/dispute/{dispute.pk}/resolve/",
        {"resolution": "upheld", "resolved_date": today.isoformat(), "credit_amount": "50.00"},
    )

    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution) == ("resolved", "upheld")
    assert Adjustment.objects.count() == 0


def test_a_refused_resolution_is_a_form_error_and_changes_nothing(admin_client, invoice, today):
    dispute = services.open_dispute(
        invoice, reason="pricing", amount=Decimal("150.00"), opened_date=today
    )
    before = money_totals()

    too_early = admin_client.post(
        f"/admin/receivables/dispute/{dispute.pk}/resolve/",
        {"resolution": "credited", "resolved_date": (today - timedelta(days=1)).isoformat()},
    )
    too_much = admin_client.post(
        f"/admin/receivables/dispute/{dispute.pk}/resolve/",
        {"resolution": "credited", "resolved_date": today.isoformat(), "credit_amount": "5000.00"},
    )

    assert too_early.status_code == 200
    assert too_early.context["form"].errors.get_json_data() == {
        "resolved_date": [
            {
                "message": "The dispute cannot be resolved before the day it was opened.",
                "code": "date_before_opened",
            }
        ]
    }
    assert too_much.context["form"].errors.get_json_data() == {
        "credit_amount": [
            {
                "message": "5000.00 is more than the open amount 1000.00 of INV-1.",
                "code": "exceeds_open_amount",
            }
        ]
    }
    dispute.refresh_from_db()
    assert dispute.status == "open"
    assert money_totals() == before


def test_a_resolved_dispute_form_sends_back_with_a_sentence(admin_client, invoice, today):
    dispute = services.open_dispute(
        invoice, reason="pricing", amount=Decimal("10.00"), opened_date=today
    )
    services.resolve_dispute(dispute, resolution="withdrawn")

    response = admin_client.get(f"/admin/receivables/dispute/{dispute.pk}/resolve/")

    assert response["Location"] == admin_url(Dispute, "change", dispute.pk)
    assert messages_of(response) == ["This dispute is already resolved; nothing was changed."]


def test_void_page_confirms_then_voids(admin_client, today):
    invoice = InvoiceFactory(number="INV-V", amount=Decimal("75.00"), issue_date=today)
    url = f"/admin/receivables/invoice/{invoice.pk}/void/"

    page = admin_client.get(url)
    response = admin_client.post(url)

    assert page.status_code == 200
    assert "Yes, void INV-V" in page.content.decode()
    assert response["Location"] == admin_url(Invoice, "change", invoice.pk)
    assert messages_of(response) == ["INV-V is void."]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount, invoice.voided_date) == (
        "void",
        Decimal("0.00"),
        today,
    )
    assert invariant_violations() == []


def test_void_with_cash_applied_is_refused_with_a_sentence(admin_client, invoice):
    before = money_totals()

    response = admin_client.post(f"/admin/receivables/invoice/{invoice.pk}/void/")

    assert messages_of(response) == [
        "Cash is applied to this invoice: reverse the payment's application first, or correct "
        "the invoice with a credit note instead."
    ]
    invoice.refresh_from_db()
    assert invoice.status == "open"
    assert PaymentApplication.objects.count() == 1
    assert money_totals() == before


def test_dispute_and_promise_notes_are_saved_through_the_service(admin_client, invoice, today):
    dispute = services.open_dispute(
        invoice, reason="pricing", amount=Decimal("10.00"), opened_date=today
    )

    response = post_form(
        admin_client, admin_url(Dispute, "change", dispute.pk), {"notes": "Called their AP."}
    )

    assert form_errors(response) == {}
    dispute.refresh_from_db()
    assert (dispute.notes, dispute.amount, dispute.status) == (
        "Called their AP.",
        Decimal("10.00"),
        "open",
    )
