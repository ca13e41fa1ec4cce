"""Filters, search and ordering of the lists, and the 400s for values that make no sense."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from receivables import services
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    PaymentFactory,
    SalesRepFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 1)


@pytest.fixture
def frozen_today(monkeypatch):
    """Pin "today" for the as-of-today flags and days_past_due."""
    monkeypatch.setattr("receivables.services.today", lambda: TODAY)
    return TODAY


@pytest.fixture
def book(db):
    """Three invoices: north/ann paid, north/ann past due and disputed, south/bob current."""
    north, south = SegmentFactory(name="North", code="N"), SegmentFactory(name="South", code="S")
    ann, bob = SalesRepFactory(name="Ann"), SalesRepFactory(name="Bob")
    acme = CustomerFactory(name="Acme", segment=north, rep=ann, external_id="CRM-1")
    zeta = CustomerFactory(name="Zeta", segment=south, rep=bob)
    paid = InvoiceFactory(
        customer=acme,
        number="A-1",
        issue_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
        amount=Decimal("100.00"),
        product_line="hardware",
    )
    services.apply_payment(
        PaymentFactory(customer=acme, amount=Decimal("100.00"), received_date=date(2026, 1, 20)),
        paid,
        Decimal("100.00"),
    )
    late = InvoiceFactory(
        customer=acme,
        number="A-2",
        issue_date=date(2026, 1, 10),
        due_date=date(2026, 2, 9),
        amount=Decimal("250.00"),
        product_line="services",
    )
    services.open_dispute(
        late, reason="quality", amount=Decimal("50.00"), opened_date=date(2026, 2, 1)
    )
    current = InvoiceFactory(
        customer=zeta,
        number="Z-1",
        issue_date=date(2026, 2, 20),
        due_date=date(2026, 3, 22),
        amount=Decimal("400.00"),
        product_line="hardware",
    )
    return {"north": north, "south": south, "ann": ann, "bob": bob, "acme": acme,
            "paid": paid, "late": late, "current": current}  # fmt: skip


def numbers(api, query: str) -> list[str]:
    response = api.get(f"/api/v1/invoices/?{query}")
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Z-1", "A-2", "A-1"]),
        ("rep={ann}", ["A-2", "A-1"]),
        ("segment={south}", ["Z-1"]),
        ("customer={acme}", ["A-2", "A-1"]),
        ("status=paid", ["A-1"]),
        ("product_line=hardware", ["Z-1", "A-1"]),
        ("issue_date_after=2026-01-10&issue_date_before=2026-02-19", ["A-2"]),
        ("due_date_before=2026-02-09", ["A-2", "A-1"]),
        ("paid_date_after=2026-01-20", ["A-1"]),
        ("amount_min=200&amount_max=300", ["A-2"]),
        ("open_amount_max=0", ["A-1"]),
        ("open=true", ["Z-1", "A-2"]),
        ("open=false", ["A-1"]),
        ("past_due=true", ["A-2"]),
        ("disputed=true", ["A-2"]),
        ("disputed=false", ["Z-1", "A-1"]),
        ("search=zeta", ["Z-1"]),
        ("search=CRM-1", ["A-2", "A-1"]),
        ("search=A-2", ["A-2"]),
        ("ordering=amount", ["A-1", "A-2", "Z-1"]),
        ("ordering=-due_date", ["Z-1", "A-2", "A-1"]),
        ("rep={ann}&past_due=false", ["A-1"]),
    ],
)
def test_invoice_filters(api, book, frozen_today, query, expected):
    # Given the book; when the invoices are filtered
    ids = {key: getattr(value, "pk", value) for key, value in book.items()}

    # Then exactly the expected invoices come back, in order
    assert numbers(api, query.format(**ids)) == expected


def test_invoice_reads_carry_dashboard_fields(api, book, frozen_today):
    # Given the past-due, disputed invoice with a promise on it
    services.create_promise(
        book["late"],
        promised_date=date(2026, 2, 20),
        amount=Decimal("250.00"),
        created_date=date(2026, 2, 10),
    )

    # When it is read
    row = api.get(f"/api/v1/invoices/{book['late'].pk}/").json()

    # Then names, collection state and days past due (as of today) are there
    assert {k: row[k] for k in (
        "customer_name", "rep_name", "segment", "segment_name", "open_amount", "paid_date",
        "days_past_due", "has_open_dispute", "latest_promise_status", "status",
    )} == {
        "customer_name": "Acme", "rep_name": "Ann", "segment": book["north"].pk,
        "segment_name": "North", "open_amount": "250.00", "paid_date": None,
        "days_past_due": 20, "has_open_dispute": True, "latest_promise_status": "broken",
        "status": "open",
    }  # fmt: skip


def test_paid_invoice_has_no_days_past_due(api, book, frozen_today):
    row = api.get(f"/api/v1/invoices/{book['paid'].pk}/").json()

    assert (row["days_past_due"], row["paid_date"], row["open_amount"]) == (
        None,
        "2026-01-20",
        "0.00",
    )


def test_updated_after_returns_rows_changed_since(api, book):
    # Given a cut-off after the book was written, then one invoice changes
    cutoff = timezone.now()
    services.update_invoice(book["current"], due_date=date(2026, 4, 1))

    # When the client syncs incrementally
    got = numbers(api, f"updated_after={cutoff.isoformat().replace('+00:00', 'Z')}")

    # Then only the changed invoice comes back
    assert got == ["Z-1"]


def test_ordering_is_stable_on_ties(api, book):
    # Given two invoices with the same issue date
    twin = InvoiceFactory(customer=book["acme"], number="A-3", issue_date=date(2026, 1, 10))

    # When ordered by issue date ascending, then the primary key breaks the tie
    assert numbers(api, "ordering=issue_date") == ["A-1", "A-2", "A-3", "Z-1"]
    assert twin.pk > book["late"].pk


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (
            "rep=0",
            {
                "code": "invalid_choice",
                "field": "rep",
                "message": "Select a valid choice. That choice is not one of the available "
                "choices.",
            },
        ),
        (
            # Past a bigint: no id at all (SQLite raised OverflowError binding it: a 500).
            "customer=99999999999999999999",
            {
                "code": "invalid_choice",
                "field": "customer",
                "message": "Select a valid choice. That choice is not one of the available "
                "choices.",
            },
        ),
        (
            "issue_date_after=2026-13-01",
            {"code": "invalid", "field": "issue_date", "message": "Enter a valid date."},
        ),
        (
            "status=settled",
            {
                "code": "invalid_choice",
                "field": "status",
                "message": "Select a valid choice. settled is not one of the available choices.",
            },
        ),
        (
            "open=maybe",
            {"code": "invalid", "field": "open", "message": "Enter true or false."},
        ),
        (
            "amount_min=lots",
            {
                "code": "invalid",
                "field": "amount",
                "message": "Enter a number such as 1250 or -12.50, with at most 2 decimals.",
            },
        ),
        (
            "ordering=color",
            {
                "code": "invalid_ordering",
                "field": "ordering",
                "message": "Cannot order by color; choose from amount, due_date, id, "
                "issue_date, number, open_amount, paid_date, updated_at (prefix - for "
                "descending).",
            },
        ),
    ],
)
def test_unknown_filter_values_are_400_saying_what_is_wrong(api, book, query, error):
    response = api.get(f"/api/v1/invoices/?{query}")

    assert response.status_code == 400
    assert response.json() == {"errors": [error]}


@pytest.mark.parametrize(
    ("resource", "query", "expected"),
    [
        ("customers", "segment={north}", ["Acme"]),
        ("customers", "rep={bob}", ["Zeta"]),
        ("customers", "search=crm-1", ["Acme"]),
        ("disputes", "rep={ann}", ["quality"]),
        ("disputes", "segment={south}", []),
        ("disputes", "status=open&opened_date_after=2026-02-01", ["quality"]),
        ("adjustments", "customer={acme}", []),
    ],
)
def test_other_lists_filter_by_dimension(api, book, resource, query, expected):
    ids = {key: getattr(value, "pk", value) for key, value in book.items()}
    response = api.get(f"/api/v1/{resource}/?{query.format(**ids)}")

    key = "name" if resource == "customers" else "reason"
    assert [row.get(key) for row in response.json()["results"]] == expected


def test_activities_take_the_invoice_rep_else_the_customer_rep(api, book):
    # Given an activity on Acme's invoice (rep Ann) and one on Acme without invoice, after
    # Acme moved to Bob
    on_invoice = ActivityFactory(customer=book["acme"], invoice=book["late"], notes="inv")
    services_customer = book["acme"]
    services_customer.rep = book["bob"]
    services_customer.save()
    ActivityFactory(customer=book["acme"], notes="cust")

    # When activities are filtered by rep
    ann = api.get(f"/api/v1/activities/?rep={book['ann'].pk}").json()["results"]
    bob = api.get(f"/api/v1/activities/?rep={book['bob'].pk}").json()["results"]

    # Then the invoice's rep counts for the first, the customer's current rep for the other
    assert [row["id"] for row in ann] == [on_invoice.pk]
    assert [row["notes"] for row in bob] == ["cust"]


def test_page_size_is_capped(api, book):
    response = api.get("/api/v1/invoices/?limit=100000")

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert len(response.json()["results"]) == 3


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/invoices/", "rep=999999"),
        ("/api/v1/invoices/", "customer=999999"),
        ("/api/v1/invoices/", "order=999999"),
        ("/api/v1/payments/", "segment=999999"),
        ("/api/v1/applications/", "payment=999999&invoice=999999"),
        ("/api/v1/disputes/", "invoice=999999"),
        ("/api/v1/customers/", "rep=999999"),
    ],
)
def test_a_filter_by_an_id_of_no_record_answers_an_empty_list(api, book, path, query):
    # Given records, none of them with that id; when a list is filtered by it
    response = api.get(f"{path}?{query}")

    # Then an empty list, as for any value nothing holds (not a 400: the request is valid)
    assert (response.status_code, response.json()["count"], response.json()["results"]) == (
        200,
        0,
        [],
    )


@pytest.mark.parametrize("value", ["0", "-3", "x", "1.5"])
def test_a_filter_by_what_is_not_an_id_is_400(api, book, value):
    response = api.get("/api/v1/invoices/", {"customer": value})

    assert response.status_code == 400
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [
        ("invalid_choice", "customer")
    ]
