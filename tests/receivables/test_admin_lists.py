"""The invoice list as a collector uses it: filters, columns, sorting, at a fixed query count."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from receivables import demo, services
from receivables.admin.invoices import InvoiceAdmin
from receivables.models import Invoice
from tests.admin_helpers import admin_url
from tests.factories import ActivityFactory, CustomerFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    """Open invoices 0, 10, 45, 75 and 120 days past due (due today for "0"), one not yet due,
    one paid late; a dispute, promises kept/broken/open, activity 3 and 20 days ago."""
    today = services.today()
    acme = CustomerFactory(name="Acme", payment_terms_days=0)
    euro = CustomerFactory(name="Euro GmbH", currency="EUR", payment_terms_days=0)

    def invoice(number, days_past_due, amount, customer=acme):
        due = today - timedelta(days=days_past_due)
        return InvoiceFactory(
            customer=customer, number=number, issue_date=due, due_date=due, amount=Decimal(amount)
        )

    rows = {
        "DUE-0": invoice("DUE-0", 0, "500.00"),
        "PD-10": invoice("PD-10", 10, "1500.00"),
        "PD-45": invoice("PD-45", 45, "12000.00", euro),
        "PD-75": invoice("PD-75", 75, "250000.00"),
        "PD-120": invoice("PD-120", 120, "800.00"),
        "PAID": invoice("PAID", 40, "300.00"),
    }
    rows["NOT-DUE"] = InvoiceFactory(
        customer=acme,
        number="NOT-DUE",
        issue_date=today,
        due_date=today + timedelta(days=30),
        amount=Decimal("2000.00"),
    )
    payment = PaymentFactory(customer=acme, amount=Decimal("300.00"), received_date=today)
    services.apply_payment(payment, rows["PAID"], Decimal("300.00"), applied_date=today)
    services.open_dispute(
        rows["PD-45"], reason="pricing", amount=Decimal("100.00"), opened_date=today
    )
    services.create_promise(
        rows["PD-10"],
        promised_date=today + timedelta(days=5),
        amount=Decimal("1500.00"),
        created_date=today,
    )
    services.create_promise(
        rows["PD-120"],
        promised_date=today - timedelta(days=30),
        amount=Decimal("800.00"),
        created_date=today - timedelta(days=60),
    )
    now = timezone.now()
    ActivityFactory(customer=acme, invoice=rows["PD-10"], occurred_at=now - timedelta(days=3))
    ActivityFactory(customer=acme, invoice=rows["PD-75"], occurred_at=now - timedelta(days=20))
    return rows


def numbers(admin_client, **params) -> list[str]:
    response = admin_client.get(admin_url(Invoice, "changelist"), params)
    assert response.status_code == 200
    return [invoice.number for invoice in response.context["cl"].result_list]


def test_the_list_shows_columns_that_fit(admin_client, book):
    response = admin_client.get(admin_url(Invoice, "changelist"), {"q": "PD-45"})
    html = response.content.decode()

    assert InvoiceAdmin.list_display == (
        "number",
        "customer",
        "due_date",
        "amount_shown",
        "open_shown",
        "days_past_due",
        "status",
        "collection",
    )
    assert '<td class="field-amount_shown">12,000.00 EUR</td>' in html
    assert '<td class="field-open_shown">12,000.00 EUR</td>' in html
    assert '<td class="field-days_past_due">45</td>' in html
    assert '<td class="field-collection">disputed</td>' in html


def test_collection_column_names_the_dispute_and_the_latest_promise(admin_client, book):
    response = admin_client.get(admin_url(Invoice, "changelist"))
    html = response.content.decode()

    assert '<td class="field-collection">promise open</td>' in html  # PD-10
    assert '<td class="field-collection">promise broken</td>' in html  # PD-120
    assert html.count('<td class="field-collection">—</td>') == 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("any", ["PD-10", "PD-120", "PD-45", "PD-75"]),
        ("1_30", ["PD-10"]),
        ("31_60", ["PD-45"]),
        ("61_90", ["PD-75"]),
        ("over_90", ["PD-120"]),
        ("no", ["DUE-0", "NOT-DUE", "PAID"]),
    ],
)
def test_past_due_filter_uses_the_aging_buckets(admin_client, book, value, expected):
    assert sorted(numbers(admin_client, past_due=value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0_1k", ["DUE-0", "PD-120"]),
        ("1k_10k", ["NOT-DUE", "PD-10"]),
        ("10k_100k", ["PD-45"]),
        ("100k_up", ["PD-75"]),
    ],
)
def test_open_amount_filter(admin_client, book, value, expected):
    assert sorted(numbers(admin_client, open_amount=value)) == expected


def test_no_activity_filter_keeps_open_invoices_without_recent_activity(admin_client, book):
    assert sorted(numbers(admin_client, no_activity_days="7")) == [
        "DUE-0",
        "NOT-DUE",
        "PD-120",
        "PD-45",
        "PD-75",
    ]
    assert sorted(numbers(admin_client, no_activity_days="30")) == [
        "DUE-0",
        "NOT-DUE",
        "PD-120",
        "PD-45",
    ]


def test_dispute_and_promise_filters(admin_client, book):
    assert numbers(admin_client, open_dispute="yes") == ["PD-45"]
    assert len(numbers(admin_client, open_dispute="no")) == 6
    assert numbers(admin_client, promise="open") == ["PD-10"]
    assert numbers(admin_client, promise="broken") == ["PD-120"]
    assert numbers(admin_client, promise="kept") == []
    assert len(numbers(admin_client, promise="none")) == 5


def test_filters_combine(admin_client, book):
    assert numbers(admin_client, past_due="any", open_amount="0_1k") == ["PD-120"]


def test_sorting_by_days_past_due_and_open_amount(admin_client, book):
    # `o` indexes the list's columns (the selection checkbox is column 0); ties go newest
    # first; invoices that are not open sort below those due today.
    assert numbers(admin_client, o="6") == [
        "PAID",
        "NOT-DUE",
        "DUE-0",
        "PD-10",
        "PD-45",
        "PD-75",
        "PD-120",
    ]
    assert numbers(admin_client, o="-6") == [
        "PD-120",
        "PD-75",
        "PD-45",
        "PD-10",
        "NOT-DUE",
        "DUE-0",
        "PAID",
    ]
    assert numbers(admin_client, o="-5") == [
        "PD-75",
        "PD-45",
        "NOT-DUE",
        "PD-10",
        "PD-120",
        "DUE-0",
        "PAID",
    ]


def test_days_past_due_column_agrees_with_the_model(admin_client, book):
    response = admin_client.get(admin_url(Invoice, "changelist"))
    today = services.today()

    shown = {i.number: i.admin_days_past_due for i in response.context["cl"].result_list}
    assert shown == {i.number: i.days_past_due_at(today) for i in Invoice.objects.all()}
    assert shown == {
        "DUE-0": 0,
        "NOT-DUE": 0,
        "PAID": None,
        "PD-10": 10,
        "PD-45": 45,
        "PD-75": 75,
        "PD-120": 120,
    }


def test_unknown_filter_values_leave_the_list_alone(admin_client, book):
    assert len(numbers(admin_client, open_amount="lots")) == 7
    assert len(numbers(admin_client, no_activity_days="5")) == 7


FILTERS = [
    {},
    {"past_due": "any"},
    {"past_due": "1_30"},
    {"open_amount": "1k_10k"},
    {"no_activity_days": "30"},
    {"open_dispute": "no"},
    {"promise": "broken"},
    {"o": "-6"},
]


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: ",".join(p) or "plain")
def test_invoice_list_queries_do_not_grow_with_rows(admin_client, params):
    demo.seed(customers=3, seed=5, months=14, invoices_per_customer=20)
    url = admin_url(Invoice, "changelist")
    admin_client.get(url, params)  # warm the session and content types
    with CaptureQueriesContext(connection) as small:
        small_page = admin_client.get(url, params)
    demo.flush()
    demo.seed(customers=8, seed=5, months=14, invoices_per_customer=20)

    with CaptureQueriesContext(connection) as large:
        large_page = admin_client.get(url, params)

    assert small_page.context["cl"].result_count < large_page.context["cl"].result_count
    assert len(large) == len(small)
