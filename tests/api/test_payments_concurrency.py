"""Concurrency on PostgreSQL with real threads: cash is never over-applied or posted twice."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.roles import sync_roles
from receivables.cash_application import RemittanceLine, post_payment
from receivables.models import Invoice, Payment, PaymentApplication
from tests.factories import CustomerFactory, InvoiceFactory, UserFactory
from tests.invariants import assert_invariants
from tests.tokens import token_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

D = Decimal
THREADS = 20


@pytest.fixture
def integration_token():
    # A transactional test starts from flushed tables: the role groups come back here.
    sync_roles()
    user = UserFactory(username="erp", role="integration")
    return token_for(user)


def run_threads(work, count=THREADS):
    """Run work(i) in `count` threads started together; return results (or exceptions) by i."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported to the test, which asserts on it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def client_for(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_concurrent_remittances_never_over_apply_one_invoice():
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))

    results = run_threads(
        lambda i: post_payment(
            customer=customer,
            amount=D("30.00"),
            received_date=date(2026, 2, 1),
            remittance=[RemittanceLine(invoice=invoice.pk, amount=D("30.00"))],
        )
    )

    assert not [r for r in results if isinstance(r, Exception)]
    applied = [r for r in results if r.applications]
    refused = [r for r in results if r.exceptions]
    assert (len(applied), len(refused)) == (3, 17)
    assert {e.code for r in refused for e in r.exceptions} == {"exceeds_open_amount"}
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (D("10.00"), "open")
    assert Payment.objects.count() == THREADS
    assert_invariants()


def test_concurrent_reference_posts_apply_up_to_the_open_amount(integration_token):
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, number="INV-C1", amount=D("100.00"))

    responses = run_threads(
        lambda i: client_for(integration_token).post(
            "/api/v1/payments/",
            {
                "customer": customer.pk,
                "amount": "30.00",
                "received_date": "2026-02-01",
                "reference": "INV-C1",
            },
            format="json",
        )
    )

    assert [r.status_code for r in responses] == [201] * THREADS
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (D("0.00"), "paid")
    assert sorted(PaymentApplication.objects.values_list("amount", flat=True)) == [
        D("10.00"),
        D("30.00"),
        D("30.00"),
        D("30.00"),
    ]
    assert_invariants()


def test_concurrent_posts_with_one_idempotency_key_create_one_payment(integration_token):
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, amount=D("50.00"))
    payload = {"customer": customer.pk, "amount": "50.00", "received_date": "2026-02-01"}

    responses = run_threads(
        lambda i: client_for(integration_token).post(
            "/api/v1/payments/", payload, format="json", headers={"Idempotency-Key": "same"}
        )
    )

    assert not [r for r in responses if isinstance(r, Exception)]
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    originals = [
        r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    ]
    assert len(originals) == 1
    assert {r.json()["id"] for r in responses if r.status_code == 201} == {
        originals[0].json()["id"]
    }
    assert {e["code"] for r in responses if r.status_code == 409 for e in r.json()["errors"]} <= {
        "idempotency_in_progress"
    }
    assert Payment.objects.count() == 1
    assert PaymentApplication.objects.count() == 1
    assert_invariants()


def test_concurrent_posts_of_one_external_id_store_one_payment(integration_token):
    customer = CustomerFactory()
    payload = {
        "customer": customer.pk,
        "amount": "5.00",
        "received_date": "2026-02-01",
        "external_id": "BANK-RACE",
    }

    responses = run_threads(
        lambda i: client_for(integration_token).post("/api/v1/payments/", payload, format="json")
    )

    assert sorted(r.status_code for r in responses) == [201] + [409] * (THREADS - 1)
    payment = Payment.objects.get()
    for response in responses:
        if response.status_code == 409:
            assert response.json()["errors"][0]["code"] == "duplicate_external_id"
            assert response.json()["errors"][0]["payment"] == payment.pk


def test_a_burst_of_bulk_posts_keeps_every_invariant(integration_token, check_rollup):
    customers = [CustomerFactory(external_id=f"C{n}") for n in range(2)]
    invoices = {
        c.pk: [
            InvoiceFactory(
                customer=c,
                number=f"B{c.pk}-{n}",
                amount=D("40.00") + n,
                issue_date=date(2026, 1, n + 1),
            )
            for n in range(5)
        ]
        for c in customers
    }
    bursts = 6

    def items(thread):
        rows = []
        for n in range(30):
            customer = customers[(thread + n) % 2]
            own = invoices[customer.pk]
            first, second = own[n % 5], own[(n + 2) % 5]
            if thread % 2:
                first, second = second, first  # cross the lock orders between threads
            row = {
                "customer_external_id": customer.external_id,
                "amount": "25.00",
                "received_date": "2026-02-01",
                "external_id": f"E{(thread * 30 + n) % 100}",  # collide across threads
            }
            kind = n % 3
            if kind == 0:
                row["remittance"] = [
                    {"invoice_number": first.number, "amount": "10.00"},
                    {"invoice": second.pk, "amount": "15.00"},
                ]
            elif kind == 1:
                row["reference"] = f"{first.number}, {second.number}"
            else:
                row["amount"] = str(first.amount)
            rows.append(row)
        return rows

    def work(thread):
        url = "/api/v1/payments/bulk/" + ("?atomic=true" if thread == 0 else "")
        return client_for(integration_token).post(url, {"items": items(thread)}, format="json")

    responses = run_threads(work, count=bursts)

    assert not [r for r in responses if isinstance(r, Exception)]
    # An atomic batch refused answers the status its errors call for (a duplicate: 409).
    assert all(r.status_code in (200, 400, 409, 422) for r in responses), [
        (r.status_code, r.json() if r.status_code != 200 else None) for r in responses
    ]
    for response in responses:
        for result in response.json()["results"]:
            assert result["status"] in ("created", "duplicate", "rolled_back", "error")
            if result["status"] == "error":
                assert result["errors"][0]["code"] != "conflict"
    external_ids = list(Payment.objects.values_list("external_id", flat=True))
    assert len(external_ids) == len(set(external_ids))
    created = sum(r.json()["created"] for r in responses if r.status_code == 200)
    assert Payment.objects.count() == created
    for invoice in Invoice.objects.all():
        assert invoice.open_amount >= 0
    assert_invariants()
    check_rollup()
