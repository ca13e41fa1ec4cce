"""Set-based posting: a bulk request posts its items in order on shared state, with a fixed
number of queries; a single post with a fixed number of queries; staging changes nothing on
refusal."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from receivables import services
from receivables.models import Invoice, Payment, PaymentApplication, PromiseToPay
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory
from tests.invariants import assert_invariants

pytestmark = pytest.mark.django_db

D = Decimal
URL = "/api/v1/payments/"
BULK = "/api/v1/payments/bulk/"


def body(customer, **overrides):
    return {"customer": customer.pk, "amount": "100.00", "received_date": "2026-02-01", **overrides}


def bulk_queries(client, items) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(BULK, {"items": items}, format="json")
    assert response.status_code == 200, response.json()
    return len(queries), response.json()


def test_bulk_items_see_the_items_before_them(api, check_rollup):
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, number="INV-1", amount=D("100.00"))
    items = [
        body(customer, amount="60.00", reference="INV-1", external_id="A"),
        body(customer, amount="60.00", reference="INV-1", external_id="B"),
        body(customer, amount="40.00", external_id="C"),  # the exact amount left, after B
    ]

    _, data = bulk_queries(api, items)

    results = data["results"]
    assert [r["payment"]["rule"] for r in results] == ["reference", "reference", "none"]
    assert [r["payment"]["unapplied_amount"] for r in results] == ["0.00", "20.00", "40.00"]
    assert [a["amount"] for a in results[1]["payment"]["applications"]] == ["40.00"]
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status, invoice.paid_date) == (
        D("0.00"),
        Invoice.Status.PAID,
        date(2026, 2, 1),
    )
    check_rollup()
    assert_invariants()


def test_bulk_exact_amount_rule_applies_once_one_candidate_is_left(api):
    customer = CustomerFactory()
    first = InvoiceFactory(customer=customer, number="INV-1", amount=D("50.00"))
    second = InvoiceFactory(customer=customer, number="INV-2", amount=D("50.00"))
    items = [
        body(customer, amount="50.00", reference="INV-1"),
        body(customer, amount="50.00"),  # two candidates when the batch began, one now
    ]

    _, data = bulk_queries(api, items)

    assert [r["payment"]["rule"] for r in data["results"]] == ["reference", "exact_amount"]
    assert data["results"][1]["payment"]["applications"][0]["invoice"] == second.pk
    assert list(
        Invoice.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == ["paid", "paid"]
    assert_invariants()


def test_bulk_refreshes_promises(api):
    customer = CustomerFactory()
    invoice = InvoiceFactory(
        customer=customer, number="INV-1", amount=D("100.00"), issue_date=date(2026, 1, 1)
    )
    promise = services.create_promise(
        invoice, promised_date=date(2026, 3, 1), amount=D("100.00"), created_date=date(2026, 1, 15)
    )
    assert promise.status == PromiseToPay.Status.BROKEN  # promised in the past, unpaid

    bulk_queries(api, [body(customer, reference="INV-1")])

    promise.refresh_from_db()
    assert promise.status == PromiseToPay.Status.KEPT


def test_bulk_query_count_does_not_grow_with_items(api):
    customer = CustomerFactory()
    invoices = [
        InvoiceFactory(customer=customer, number=f"INV-{n}", amount=D("100.00")) for n in range(8)
    ]

    def items(invoices):
        return [
            body(customer, external_id=f"X-{i.number}", reference=i.number)
            if n % 2
            else body(
                customer,
                external_id=f"X-{i.number}",
                remittance=[{"invoice_number": i.number, "amount": "100.00"}],
            )
            for n, i in enumerate(invoices)
        ]

    small, _ = bulk_queries(api, items(invoices[:2]))
    large, data = bulk_queries(api, items(invoices[2:]))

    assert data["created"] == 6
    assert large == small
    assert_invariants()


def test_single_post_query_count_does_not_grow_with_remittance_lines(api):
    customer = CustomerFactory()
    invoices = [
        InvoiceFactory(customer=customer, number=f"INV-{n}", amount=D("10.00")) for n in range(5)
    ]

    def post(invoices, key):
        lines = [{"invoice_number": i.number, "amount": "10.00"} for i in invoices]
        with CaptureQueriesContext(connection) as queries:
            response = api.post(
                URL,
                body(customer, amount=f"{10 * len(lines)}.00", remittance=lines),
                format="json",
                headers={"Idempotency-Key": key},
            )
        assert response.status_code == 201, response.json()
        assert response.json()["unapplied_amount"] == "0.00"
        return len(queries)

    assert post(invoices[:1], "k1") == post(invoices[1:], "k2")
    assert_invariants()


def test_posted_response_equals_the_payment_read_back(api):
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, number="INV-1", amount=D("30.00"))
    InvoiceFactory(customer=customer, number="INV-2", amount=D("30.00"))

    posted = api.post(
        URL, body(customer, amount="70.00", reference="INV-1 INV-2"), format="json"
    ).json()
    read = api.get(f"{URL}{posted['id']}/").json()

    # The posting outcome is stored: the payment read back is the 201 answer, rule included.
    assert posted == read


def test_staging_a_refused_application_changes_nothing():
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, amount=D("50.00"))
    payment = PaymentFactory(customer=customer, amount=D("80.00"))

    with pytest.raises(ValidationError) as info:
        services.stage_application(payment, invoice, D("60.00"))

    assert info.value.error_dict["amount"][0].code == "exceeds_open_amount"
    assert (payment.unapplied_amount, invoice.open_amount) == (D("80.00"), D("50.00"))
    assert PaymentApplication.objects.count() == 0
    assert Payment.objects.get().unapplied_amount == D("80.00")
