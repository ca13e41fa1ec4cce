"""Rough throughput of payment posting: single posts/s and bulk payments/s (not a test).

Runs the API in-process (DRF test client, no HTTP server) against the database of
DATABASE_URL, which it migrates and adds rows to: use a scratch database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/o2c_bench \\
        .venv/bin/python bench/payments_throughput.py
"""

import os
import sys
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2c_api.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import Customer  # noqa: E402
from accounts.roles import sync_roles  # noqa: E402
from receivables import services  # noqa: E402
from tests.factories import UserFactory  # noqa: E402

SINGLE = int(os.environ.get("BENCH_SINGLE", "300"))
BULK_REQUESTS = int(os.environ.get("BENCH_BULK_REQUESTS", "4"))
BULK_SIZE = 500


def setup() -> tuple[APIClient, Customer, list[str]]:
    call_command("migrate", verbosity=0)
    sync_roles()
    run = uuid.uuid4().hex[:8]
    user = UserFactory(username=f"bench-{run}", role="integration")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    customer = Customer.objects.create(name=f"Bench {run}", currency="USD")
    count = SINGLE + BULK_REQUESTS * BULK_SIZE
    numbers = []
    for n in range(count):
        invoice = services.create_invoice(
            customer=customer,
            number=f"BENCH-{run}-{n}",
            issue_date=date(2026, 1, 1),
            amount=Decimal("100.00"),
        )
        numbers.append(invoice.number)
    return client, customer, numbers


def item(customer: Customer, number: str, n: int) -> dict:
    # Alternate the rules: remittance line, reference match.
    body = {
        "customer": customer.pk,
        "amount": "100.00",
        "received_date": "2026-02-01",
        "external_id": f"{number}-pay",
    }
    if n % 2:
        body["remittance"] = [{"invoice_number": number, "amount": "100.00"}]
    else:
        body["reference"] = f"Payment {number}"
    return body


def main() -> None:
    client, customer, numbers = setup()
    single, rest = numbers[:SINGLE], numbers[SINGLE:]

    start = time.perf_counter()
    for n, number in enumerate(single):
        headers = {"Idempotency-Key": f"k-{number}"} if n % 2 else {}
        response = client.post(
            "/api/v1/payments/", item(customer, number, n), format="json", headers=headers
        )
        assert response.status_code == 201, response.json()
    single_seconds = time.perf_counter() - start

    start = time.perf_counter()
    for r in range(BULK_REQUESTS):
        chunk = rest[r * BULK_SIZE : (r + 1) * BULK_SIZE]
        response = client.post(
            "/api/v1/payments/bulk/",
            {"items": [item(customer, number, n) for n, number in enumerate(chunk)]},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["created"] == len(chunk)
    bulk_seconds = time.perf_counter() - start
    bulk_count = BULK_REQUESTS * BULK_SIZE

    print(f"single posts: {SINGLE} in {single_seconds:.1f}s = {SINGLE / single_seconds:.0f}/s")
    print(
        f"bulk posts:   {bulk_count} in {bulk_seconds:.1f}s = {bulk_count / bulk_seconds:.0f}/s "
        f"({BULK_REQUESTS} requests of {BULK_SIZE})"
    )


if __name__ == "__main__":
    main()
