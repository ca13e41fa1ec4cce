"""The customer page: balances and aging (the aging report's), open invoices, recent activity,
promise reliability and the credit hold with its reasons; placing and releasing the hold."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from accounts.models import Customer
from dunning import services as dunning
from dunning.models import CreditHold
from metrics import engine
from metrics.scope import Scope
from receivables import services
from tests.admin_helpers import admin_url, form_errors, post_form
from tests.factories import ActivityFactory, CustomerFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    """Acme: USD invoices 0 (not yet due), 20, 45 and 100 days past due, one EUR invoice,
    one kept and one broken promise, two activities."""
    today = services.today()
    customer = CustomerFactory(name="Acme", payment_terms_days=0)

    def invoice(number, days_past_due, amount, currency=None):
        due = today - timedelta(days=days_past_due)
        return InvoiceFactory(
            customer=customer,
            number=number,
            issue_date=min(due, today),
            due_date=due,
            amount=Decimal(amount),
            currency=currency,
        )

    invoice("A-0", -10, "100.00")
    a20 = invoice("A-20", 20, "200.00")
    invoice("A-45", 45, "400.00")
    a100 = invoice("A-100", 100, "800.00")
    invoice("A-EUR", 5, "70.00", "EUR")
    services.create_promise(
        a100,
        promised_date=today - timedelta(days=50),
        amount=Decimal("800.00"),
        created_date=today - timedelta(days=60),
    )
    services.create_promise(
        a20,
        promised_date=today - timedelta(days=2),
        amount=Decimal("50.00"),
        created_date=today - timedelta(days=5),
    )
    payment = PaymentFactory(
        customer=customer, amount=Decimal("50.00"), received_date=today - timedelta(days=3)
    )
    services.apply_payment(payment, a20, Decimal("50.00"), applied_date=today - timedelta(days=3))
    return customer


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</", html.index(">", start) + 1)]


def test_customer_page_shows_balances_by_currency_through_the_aging_report(admin_client, acme):
    today = services.today()

    response = admin_client.get(admin_url(Customer, "change", acme.pk))
    html = response.content.decode()

    usd = html[html.index('id="aging-USD"') : html.index("</table>", html.index('id="aging-USD"'))]
    cells = [
        "<td>USD</td>",
        "<td>1,450.00 USD</td>",  # 100 + 150 + 400 + 800 open
        "<td>1,350.00 USD</td>",  # all but the 100.00 not yet due
        "<td>100.00 USD (1)</td>",
        "<td>150.00 USD (1)</td>",
        "<td>400.00 USD (1)</td>",
        "<td>0.00 USD (0)</td>",
        "<td>800.00 USD (1)</td>",
    ]
    assert "".join(cells) in usd.replace("\n", "")
    assert "<td>70.00 EUR</td><td>70.00 EUR</td>" in html  # never added to the USD balance
    aging = engine.aging(Scope(start=today, end=today, currency="USD", customer=acme.pk))
    assert aging.total == Decimal("1450.00")


def test_customer_page_lists_open_invoices_and_recent_activity(admin_client, acme):
    ActivityFactory(customer=acme, kind="call", outcome="no_answer", notes="Voicemail.")

    html = admin_client.get(admin_url(Customer, "change", acme.pk)).content.decode()

    table = html[
        html.index('id="open-invoices"') : html.index("</table>", html.index('id="open-invoices"'))
    ]
    assert [row.split("</a>")[0].rsplit(">", 1)[1] for row in table.split("<tr>")[2:]] == [
        "A-100",
        "A-45",
        "A-20",
        "A-EUR",
        "A-0",
    ]
    assert "All 5 open invoices in the invoice list" in html
    assert f"?customer__id__exact={acme.pk}&amp;status__exact=open" in html
    activity = html[html.index('id="recent-activity"') :]
    assert "<td>Call</td><td>—</td><td>No answer</td><td>Voicemail.</td>" in activity


def test_open_invoices_link_filters_the_invoice_list(admin_client, acme):
    response = admin_client.get(
        admin_url(Customer, "changelist").replace("accounts/customer", "receivables/invoice"),
        {"customer__id__exact": acme.pk, "status__exact": "open"},
    )

    assert response.context["cl"].result_count == 5


def test_customer_page_shows_promise_reliability_from_dunning(admin_client, acme):
    html = admin_client.get(admin_url(Customer, "change", acme.pk)).content.decode()

    assert section(html, "reliability") == (
        'id="reliability">1 of 2 kept (50.00%), 1 broken, 0 open; '
        "paid on average 0.00 days after the promised date."
    )


def test_customer_page_shows_an_automatic_hold_with_its_reasons(admin_client, acme):
    dunning.evaluate_credit_holds()

    html = admin_client.get(admin_url(Customer, "change", acme.pk)).content.decode()
    hold = CreditHold.objects.get(customer=acme)
    reasons = [f"{r.get_code_display()}: {r.detail}" for r in hold.reasons.all()]

    block = html[
        html.index('id="credit-hold"') : html.index("</div>", html.index('id="credit-hold"'))
    ]
    assert "<strong>On credit hold</strong>" in block
    assert "placed by the rules; lifts itself when no reason holds" in block
    assert reasons
    assert "".join(f"<li>{reason}</li>" for reason in reasons) in block
    assert "Release from credit hold" in block


def test_credit_hold_page_places_and_releases_through_the_service(admin_client, admin_user, acme):
    url = f"/admin/accounts/customer/{acme.pk}/credit-hold/"

    page = admin_client.get(url)
    placed = admin_client.post(url, {"note": "Cheque bounced twice."})
    acme.refresh_from_db()
    hold = CreditHold.objects.get(customer=acme)
    released = admin_client.post(url, {"note": "Paid in full."})

    assert "Place on credit hold" in page.content.decode()
    assert placed["Location"] == admin_url(Customer, "change", acme.pk)
    assert [str(m) for m in get_messages(placed.wsgi_request)] == ["Acme is now on credit hold."]
    assert (hold.automatic, hold.placed_by, hold.note) == (
        False,
        admin_user,
        "Cheque bounced twice.",
    )
    assert [(r.code, r.detail) for r in hold.reasons.all()] == [("manual", "Cheque bounced twice.")]
    # Shown on the next page; both are still queued (the test follows no redirect).
    assert [str(m) for m in get_messages(released.wsgi_request)] == [
        "Acme is now on credit hold.",
        "Acme is released from credit hold.",
    ]
    hold.refresh_from_db()
    acme.refresh_from_db()
    assert (acme.on_credit_hold, hold.lift_note, hold.lifted_by) == (
        False,
        "Paid in full.",
        admin_user,
    )


def test_the_hold_flag_is_not_editable_on_the_form(admin_client, acme):
    response = post_form(
        admin_client,
        admin_url(Customer, "change", acme.pk),
        {
            "name": "Acme",
            "external_id": "",
            "segment": acme.segment_id,
            "rep": acme.rep_id,
            "currency": "USD",
            "payment_terms_days": 0,
            "credit_limit": "",
            "on_credit_hold": "on",
        },
    )

    assert form_errors(response) == {}
    acme.refresh_from_db()
    assert acme.on_credit_hold is False
    assert CreditHold.objects.count() == 0


def test_a_viewer_cannot_change_the_hold(client, acme):
    from tests.factories import UserFactory

    viewer = UserFactory(username="viewer-staff", role="viewer")
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)

    response = client.post(f"/admin/accounts/customer/{acme.pk}/credit-hold/", {"note": "x"})

    assert response.status_code == 403
    acme.refresh_from_db()
    assert acme.on_credit_hold is False
    assert CreditHold.objects.count() == 0


def test_the_hold_button_shows_only_to_users_who_may_use_it(client, admin_client, acme):
    # Given a staff viewer, who may read customers but not change them (the hold page is 403)
    from tests.factories import UserFactory

    viewer = UserFactory(username="viewer-button", role="viewer")
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)
    page = admin_url(Customer, "change", acme.pk)

    # When each opens the customer's page
    as_viewer = client.get(page)
    as_admin = admin_client.get(page)

    # Then the viewer sees the hold's state without the button; the admin gets the button
    assert as_viewer.status_code == 200
    viewer_html = as_viewer.content.decode()
    assert "Not on credit hold." in viewer_html
    assert 'id="credit-hold-link"' not in viewer_html
    assert "/credit-hold/" not in viewer_html
    admin_html = as_admin.content.decode()
    assert (
        f'<a class="button" id="credit-hold-link" href="/admin/accounts/customer/{acme.pk}'
        '/credit-hold/">Place on credit hold</a>'
    ) in admin_html
