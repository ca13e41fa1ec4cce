"""REST: posting payments, applying by hand, editing, roles, filters and query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2c_api.api.exceptions import flatten
from receivables import services
from receivables.api.payments import PaymentCreateSerializer
from receivables.models import Invoice, Payment, PaymentApplication
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    PaymentFactory,
    SalesRepFactory,
    SegmentFactory,
)
from tests.invariants import assert_invariants

pytestmark = pytest.mark.django_db

D = Decimal
URL = "/api/v1/payments/"


def body(**overrides):
    return {"amount": "100.00", "currency": "USD", "received_date": "2026-02-01", **overrides}


def state():
    """Everything a refused request must leave unchanged."""
    return (
        list(Payment.objects.order_by("pk").values_list("pk", "amount", "unapplied_amount")),
        list(PaymentApplication.objects.order_by("pk").values_list("pk", "amount")),
        list(Invoice.objects.order_by("pk").values_list("pk", "open_amount", "status")),
    )


def codes(response):
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


@pytest.fixture
def customer():
    return CustomerFactory(name="Acme Corp", external_id="ERP-ACME")


def test_post_with_remittance_and_an_exception(make_client, customer, check_rollup):
    client = make_client("integration")
    invoice = InvoiceFactory(customer=customer, number="INV-00012", amount=D("1000.00"))

    response = client.post(
        URL,
        body(
            customer_external_id="ERP-ACME",
            amount="1500.00",
            method="ach",
            reference="ACME INV-00012",
            external_id="BANK-42",
            remittance=[
                {"invoice_number": "INV-00012", "amount": "1000.00"},
                {"invoice_number": "INV-99999", "amount": "500.00"},
            ],
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    payment = Payment.objects.get()
    application = payment.applications.get()
    assert data == {
        "id": payment.pk,
        "customer": customer.pk,
        "customer_name": "Acme Corp",
        "customer_external_id": "ERP-ACME",
        "rep": customer.rep_id,
        "segment": customer.segment_id,
        "amount": "1500.00",
        "currency": "USD",
        "received_date": "2026-02-01",
        "method": "ach",
        "reference": "ACME INV-00012",
        "external_id": "BANK-42",
        "applied_amount": "1000.00",
        "unapplied_amount": "500.00",
        "posted_by": "integration-user",
        "applications": [
            {
                "id": application.pk,
                "payment": payment.pk,
                "invoice": invoice.pk,
                "invoice_number": "INV-00012",
                "amount": "1000.00",
                "applied_date": "2026-02-01",
                "automatic": True,
                "created_by": "integration-user",
                "created_at": data["applications"][0]["created_at"],
            }
        ],
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
        "rule": "remittance",
        "exceptions": [
            {
                "line": 1,
                "invoice": "INV-99999",
                "code": "invoice_not_found",
                "message": "No invoice 'INV-99999'.",
                "amount": "500.00",
            }
        ],
    }
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (D("0.00"), "paid")
    assert payment.posted_by == client.user
    check_rollup()
    assert_invariants()


def test_post_by_customer_id_matches_reference(api, customer):
    invoice = InvoiceFactory(customer=customer, number="INV-7", amount=D("100.00"))

    response = api.post(URL, body(customer=customer.pk, reference="inv-7"), format="json")

    assert response.status_code == 201
    data = response.json()
    assert (data["rule"], data["unapplied_amount"], data["exceptions"]) == ("reference", "0.00", [])
    assert [a["invoice"] for a in data["applications"]] == [invoice.pk]


def test_post_exact_amount_and_no_match(api, customer):
    invoice = InvoiceFactory(customer=customer, amount=D("77.70"))

    exact = api.post(URL, body(customer=customer.pk, amount="77.70"), format="json").json()
    none = api.post(URL, body(customer=customer.pk, amount="5.00"), format="json").json()

    assert (exact["rule"], [a["invoice"] for a in exact["applications"]]) == (
        "exact_amount",
        [invoice.pk],
    )
    assert (none["rule"], none["applications"], none["unapplied_amount"]) == ("none", [], "5.00")


# A refusal for what is stored or across fields is a 422; one of a rule the schema states, 400.
UNPROCESSABLE = {"customer_required", "does_not_exist", "customer_ambiguous", "invoice_required"}
UNPROCESSABLE |= {"invoice_or_number_required"}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"amount": "0.00"}, [("amount", "not_positive")]),
        ({"amount": "-1.00"}, [("amount", "not_positive")]),
        ({"amount": "1.001"}, [("amount", "invalid_amount")]),
        ({"amount": "abc"}, [("amount", "invalid")]),
        ({"amount": "NaN"}, [("amount", "invalid")]),
        ({"amount": "10000000000000000.00"}, [("amount", "max_value")]),
        ({"currency": "UDS"}, [("currency", "invalid_currency")]),
        ({"method": "bitcoin"}, [("method", "invalid_method")]),
        ({"received_date": "2026-13-01"}, [("received_date", "invalid")]),
        ({"customer": None}, [("customer", "customer_required")]),
        ({"customer": 999999}, [("customer", "does_not_exist")]),
        (
            {"customer": None, "customer_external_id": "nope"},
            [("customer_external_id", "does_not_exist")],
        ),
        ({"customer_external_id": "ERP-ACME"}, [(None, "customer_ambiguous")]),
        (
            {"remittance": [{"amount": "1.00"}]},
            [("remittance[0]", "invoice_or_number_required")],
        ),
        ({"remittance": [{"invoice": 1}]}, [("remittance[0].amount", "required")]),
    ],
)
def test_invalid_payment_is_refused_and_stores_nothing(api, customer, overrides, expected):
    InvoiceFactory(customer=customer, amount=D("100.00"))
    data = {
        k: v for k, v in body(**{"customer": customer.pk, **overrides}).items() if v is not None
    }
    before = state()

    response = api.post(URL, data, format="json")

    assert response.status_code == (422 if expected[0][1] in UNPROCESSABLE else 400)
    assert codes(response) == expected
    assert state() == before


@pytest.mark.parametrize(
    "data",
    [
        [],
        "a payment",
        {},
        {"customer": "x", "amount": "1.005", "received_date": "soon", "remittance": [{}, 3]},
        {"customer_external_id": "nope", "amount": "10.00", "received_date": "2026-02-01"},
    ],
)
def test_invalid_body_answers_what_a_bound_serializer_reports(api, customer, data):
    serializer = PaymentCreateSerializer(data=data)
    assert not serializer.is_valid()

    response = api.post(URL, data, format="json")

    errors = flatten(serializer.errors)
    assert response.status_code == (422 if errors[0]["code"] in UNPROCESSABLE else 400)
    assert response.json() == {"errors": errors}


def test_duplicate_external_id_is_409_naming_the_payment(make_client, customer):
    client = make_client("integration")
    first = client.post(URL, body(customer=customer.pk, external_id="B-1"), format="json")
    before = state()

    again = client.post(URL, body(customer=customer.pk, external_id="B-1"), format="json")

    assert again.status_code == 409
    assert again.json() == {
        "errors": [
            {
                "code": "duplicate_external_id",
                "field": None,
                "message": f"Payment 'B-1' was already posted as payment {first.json()['id']}.",
                "payment": first.json()["id"],
            }
        ]
    }
    assert state() == before


# --- apply / unapply / edit ----------------------------------------------------------------


def test_apply_by_hand(make_client, customer, check_rollup):
    client = make_client("integration")
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("150.00"))

    response = client.post(
        f"{URL}{payment.pk}/apply/",
        {"invoice": invoice.pk, "amount": "60.00", "applied_date": "2026-02-03"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["unapplied_amount"] == "90.00"
    application = PaymentApplication.objects.get()
    assert (application.amount, application.applied_date, application.automatic) == (
        D("60.00"),
        date(2026, 2, 3),
        False,
    )
    assert application.created_by == client.user
    check_rollup()


@pytest.mark.parametrize(
    ("amount", "status", "expected"),
    [
        ("100.01", 422, [("amount", "exceeds_open_amount")]),
        ("0.00", 400, [("amount", "not_positive")]),
    ],
)
def test_apply_refuses_over_application(api, customer, amount, status, expected):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("150.00"))
    before = state()

    response = api.post(
        f"{URL}{payment.pk}/apply/", {"invoice": invoice.pk, "amount": amount}, format="json"
    )

    assert (response.status_code, codes(response)) == (status, expected)
    assert state() == before


def test_apply_refuses_more_than_unapplied(api, customer):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("50.00"))
    before = state()

    response = api.post(
        f"{URL}{payment.pk}/apply/", {"invoice": invoice.pk, "amount": "50.01"}, format="json"
    )

    assert (response.status_code, codes(response)) == (
        422,
        [("amount", "exceeds_unapplied_amount")],
    )
    assert state() == before


def test_apply_refuses_another_customers_invoice_and_unknown_invoice(api, customer):
    foreign = InvoiceFactory(amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("50.00"))
    before = state()

    mismatch = api.post(
        f"{URL}{payment.pk}/apply/", {"invoice": foreign.pk, "amount": "10.00"}, format="json"
    )
    unknown = api.post(
        f"{URL}{payment.pk}/apply/", {"invoice": 999999, "amount": "10.00"}, format="json"
    )

    assert (mismatch.status_code, codes(mismatch)) == (422, [("invoice", "customer_mismatch")])
    assert (unknown.status_code, codes(unknown)) == (422, [("invoice", "does_not_exist")])
    assert state() == before


def test_unapply(make_client, customer, check_rollup):
    client = make_client("integration")
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("100.00"))
    application = services.apply_payment(payment, invoice, D("100.00"))

    response = client.post(
        f"{URL}{payment.pk}/unapply/", {"application": application.pk}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["unapplied_amount"], response.json()["applications"]) == ("100.00", [])
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status, invoice.paid_date) == (D("100.00"), "open", None)
    check_rollup()
    assert_invariants()


def test_unapply_refuses_unknown_or_foreign_application(api, customer):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("50.00"))
    other = PaymentFactory(customer=customer, amount=D("50.00"))
    application = services.apply_payment(other, invoice, D("50.00"))
    before = state()

    foreign = api.post(
        f"{URL}{payment.pk}/unapply/", {"application": application.pk}, format="json"
    )
    unknown = api.post(f"{URL}{payment.pk}/unapply/", {"application": 999999}, format="json")

    assert (foreign.status_code, codes(foreign)) == (422, [("application", "does_not_exist")])
    assert (unknown.status_code, codes(unknown)) == (422, [("application", "does_not_exist")])
    assert state() == before


def test_patch_reference_and_method(api, customer):
    payment = PaymentFactory(customer=customer, amount=D("50.00"))

    response = api.patch(f"{URL}{payment.pk}/", {"reference": "fixed", "method": "wire"})

    assert response.status_code == 200
    payment.refresh_from_db()
    assert (payment.reference, payment.method) == ("fixed", "wire")


def test_patch_amount_refused_once_applied(api, customer):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("50.00"))
    services.apply_payment(payment, invoice, D("10.00"))
    before = state()

    response = api.patch(f"{URL}{payment.pk}/", {"amount": "60.00"}, format="json")

    assert (response.status_code, codes(response)) == (
        409,
        [("amount", "payment_has_applications")],
    )
    assert state() == before


def test_patch_amount_while_unapplied(api, customer):
    payment = PaymentFactory(customer=customer, amount=D("50.00"))

    response = api.patch(f"{URL}{payment.pk}/", {"amount": "60.00"}, format="json")

    assert response.status_code == 200
    assert (response.json()["amount"], response.json()["unapplied_amount"]) == ("60.00", "60.00")


def test_put_and_delete_are_not_allowed(api, customer):
    payment = PaymentFactory(customer=customer)

    assert api.put(f"{URL}{payment.pk}/", {}, format="json").status_code == 405
    assert api.delete(f"{URL}{payment.pk}/").status_code == 405
    assert Payment.objects.count() == 1


# --- roles -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "collector"])
def test_readers_cannot_write(make_client, customer, role):
    client = make_client(role)
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("100.00"))
    application = services.apply_payment(payment, invoice, D("10.00"))
    before = state()

    responses = [
        client.post(URL, body(customer=customer.pk), format="json"),
        client.post(f"{URL}bulk/", {"items": [body(customer=customer.pk)]}, format="json"),
        client.post(
            f"{URL}{payment.pk}/apply/", {"invoice": invoice.pk, "amount": "1.00"}, format="json"
        ),
        client.post(f"{URL}{payment.pk}/unapply/", {"application": application.pk}, format="json"),
        client.patch(f"{URL}{payment.pk}/", {"reference": "x"}, format="json"),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert {e["code"] for r in responses for e in r.json()["errors"]} == {"permission_denied"}
    assert state() == before
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}{payment.pk}/").status_code == 200
    assert client.get("/api/v1/applications/").status_code == 200


@pytest.mark.parametrize("role", ["integration", "admin"])
def test_writers_can_post_apply_unapply(make_client, customer, role):
    client = make_client(role)
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))

    posted = client.post(URL, body(customer=customer.pk, amount="40.00"), format="json")
    payment_id = posted.json()["id"]
    applied = client.post(
        f"{URL}{payment_id}/apply/", {"invoice": invoice.pk, "amount": "40.00"}, format="json"
    )
    application_id = applied.json()["applications"][0]["id"]
    unapplied = client.post(
        f"{URL}{payment_id}/unapply/", {"application": application_id}, format="json"
    )
    bulk = client.post(f"{URL}bulk/", {"items": [body(customer=customer.pk)]}, format="json")

    assert [r.status_code for r in (posted, applied, unapplied, bulk)] == [201, 201, 200, 200]


def test_anonymous_is_401(make_client, customer):
    client = make_client(None)
    payment = PaymentFactory(customer=customer)

    responses = [
        client.get(URL),
        client.get(f"{URL}{payment.pk}/"),
        client.get("/api/v1/applications/"),
        client.post(URL, body(customer=customer.pk), format="json"),
        client.post(f"{URL}bulk/", {"items": []}, format="json"),
    ]

    assert [r.status_code for r in responses] == [401] * 5
    assert Payment.objects.count() == 1


# --- lists: filters, search, ordering, query counts -----------------------------------------


def ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_payment_filters(api):
    rep = SalesRepFactory()
    segment = SegmentFactory(code="ENT")
    acme = CustomerFactory(name="Acme", rep=rep, segment=segment)
    other = CustomerFactory(name="Globex")
    invoice = InvoiceFactory(customer=acme, amount=D("10.00"))
    p1 = PaymentFactory(
        customer=acme, amount=D("10.00"), received_date=date(2026, 1, 10), reference="wire 77"
    )
    services.apply_payment(p1, invoice, D("10.00"))
    p2 = PaymentFactory(
        customer=acme,
        amount=D("250.00"),
        received_date=date(2026, 2, 10),
        method="ach",
        external_id="EXT-9",
    )
    p3 = PaymentFactory(
        customer=other, amount=D("90.00"), received_date=date(2026, 3, 10), currency="EUR"
    )

    assert ids(api.get(URL)) == [p3.pk, p2.pk, p1.pk]
    assert ids(api.get(URL, {"customer": acme.pk})) == [p2.pk, p1.pk]
    assert ids(api.get(URL, {"rep": rep.pk})) == [p2.pk, p1.pk]
    assert ids(api.get(URL, {"segment": segment.pk})) == [p2.pk, p1.pk]
    assert ids(api.get(URL, {"received_date_after": "2026-02-01"})) == [p3.pk, p2.pk]
    assert ids(api.get(URL, {"received_date_before": "2026-02-10"})) == [p2.pk, p1.pk]
    assert ids(api.get(URL, {"amount_min": "50", "amount_max": "100"})) == [p3.pk]
    assert ids(api.get(URL, {"currency": "EUR"})) == [p3.pk]
    assert ids(api.get(URL, {"method": "ach"})) == [p2.pk]
    assert ids(api.get(URL, {"has_unapplied": "false"})) == [p1.pk]
    assert ids(api.get(URL, {"has_unapplied": "true"})) == [p3.pk, p2.pk]
    assert ids(api.get(URL, {"external_id": "EXT-9"})) == [p2.pk]
    assert ids(api.get(URL, {"updated_after": "2000-01-01T00:00:00Z"})) == [p3.pk, p2.pk, p1.pk]
    assert ids(api.get(URL, {"updated_after": "2199-01-01T00:00:00Z"})) == []
    assert ids(api.get(URL, {"search": "globex"})) == [p3.pk]
    assert ids(api.get(URL, {"search": "wire 77"})) == [p1.pk]
    assert ids(api.get(URL, {"search": "EXT-9"})) == [p2.pk]
    assert ids(api.get(URL, {"ordering": "amount"})) == [p1.pk, p3.pk, p2.pk]
    assert ids(api.get(URL, {"ordering": "-unapplied_amount,id"})) == [p2.pk, p3.pk, p1.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"rep": 0}, "rep"),
        ({"customer": "x"}, "customer"),
        ({"received_date_after": "2026-02-30"}, "received_date_after"),
        ({"currency": "UDS"}, "currency"),
        ({"has_unapplied": "maybe"}, "has_unapplied"),
    ],
)
def test_bad_filter_values_are_400(api, params, field):
    response = api.get(URL, params)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_application_filters(api, customer):
    inv1 = InvoiceFactory(customer=customer, amount=D("100.00"))
    inv2 = InvoiceFactory(customer=customer, amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("200.00"))
    a1 = services.apply_payment(payment, inv1, D("10.00"), applied_date=date(2026, 1, 20))
    a2 = services.apply_payment(
        payment, inv2, D("20.00"), applied_date=date(2026, 2, 20), automatic=True
    )
    other = PaymentFactory(customer=customer, amount=D("5.00"))
    a3 = services.apply_payment(other, inv2, D("5.00"), applied_date=date(2026, 3, 1))
    url = "/api/v1/applications/"

    assert ids(api.get(url)) == [a1.pk, a2.pk, a3.pk]
    assert ids(api.get(url, {"payment": payment.pk})) == [a1.pk, a2.pk]
    assert ids(api.get(url, {"invoice": inv2.pk})) == [a2.pk, a3.pk]
    assert ids(api.get(url, {"applied_date_after": "2026-02-01"})) == [a2.pk, a3.pk]
    assert ids(api.get(url, {"applied_date_before": "2026-02-20"})) == [a1.pk, a2.pk]
    assert ids(api.get(url, {"automatic": "true"})) == [a2.pk]
    assert ids(api.get(url, {"customer": customer.pk, "rep": customer.rep_id})) == [
        a1.pk,
        a2.pk,
        a3.pk,
    ]
    assert ids(api.get(url, {"ordering": "-amount"})) == [a2.pk, a1.pk, a3.pk]
    assert api.get(f"{url}{a1.pk}/").json()["invoice_number"] == inv1.number


def make_payments(n):
    customer = CustomerFactory()
    for _ in range(n):
        invoice = InvoiceFactory(customer=customer, amount=D("10.00"))
        payment = PaymentFactory(customer=customer, amount=D("30.00"))
        services.apply_payment(payment, invoice, D("6.00"))
        services.apply_payment(payment, invoice, D("4.00"))


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [URL + "?limit=500", "/api/v1/applications/?limit=500"])
def test_list_query_count_does_not_grow(api, url):
    make_payments(1)
    one = count_queries(api, url)
    make_payments(99)

    assert count_queries(api, url) == one
    assert len(api.get(url).json()["results"]) in (100, 200)


def test_retrieve_query_count_is_fixed(api):
    make_payments(1)
    small = Payment.objects.get()
    customer = small.customer
    big = PaymentFactory(customer=customer, amount=D("1000.00"))
    for _ in range(100):
        services.apply_payment(big, InvoiceFactory(customer=customer, amount=D("1.00")), D("1"))

    assert count_queries(api, f"{URL}{small.pk}/") == count_queries(api, f"{URL}{big.pk}/")
    assert len(api.get(f"{URL}{big.pk}/").json()["applications"]) == 100
