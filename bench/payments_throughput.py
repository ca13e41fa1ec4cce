"""Throughput of payment posting: single posts/s and bulk payments/s (not a test).

Runs the API in-process (DRF test client, no HTTP server) against the database of
DATABASE_URL, adding rows to it (a customer per 10 invoices, the invoices the payments pay,
the payments): use a scratch or benchmark database. Each payment pays one 100.00 invoice,
alternately by a remittance line and by its number in the reference (automatic matching).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/o2c_bench \\
        .venv/bin/python bench/payments_throughput.py [--single 300] [--clients 1] \\
        [--bulk-requests 4] [--bulk-size 500]

With `--url` the posts go over HTTP to a running server instead, the one the project ships
(`make serve`: gunicorn, 2 × cores + 1 sync workers), from `--clients` threads, each post a
new connection (sync workers do not keep connections alive) with an Idempotency-Key. The
rows it posts against are still created in-process, so DATABASE_URL must name the server's
database. The server's rate limit applies: start it with a client rate above the rate
measured, e.g. on this machine

    SECRET_KEY=bench ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 BIND=127.0.0.1:8731 \\
        O2C_THROTTLE_CLIENT=1000000/min DATABASE_URL=… make serve
    DATABASE_URL=… .venv/bin/python bench/payments_throughput.py \\
        --url http://127.0.0.1:8731 --clients 8 --single 2000 --bulk-requests 4

(the throttle still counts every request in the shared cache: its cost is measured).

From Python (the harness, bench/run.py), with Django set up:

    from bench.payments_throughput import measure_single, measure_bulk
    measure_single(300)                 # payments/s, one client, each post with an Idempotency-Key
    measure_single(300, clients=4)      # payments/s with 4 concurrent clients (threads)
    measure_bulk(4, 500)                # payments/s, 4 bulk requests of 500 items
    measure_single(300, clients=8, url="http://127.0.0.1:8731")  # over HTTP
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2c_api.settings")

import django  # noqa: E402
from django.apps import apps  # noqa: E402

if not apps.ready:
    django.setup()

# The application loaded as the server loads it (every view, then the heap settled).
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

import o2c_api.wsgi  # noqa: E402, F401
from accounts.models import Customer  # noqa: E402
from accounts.roles import sync_roles  # noqa: E402
from accounts.tokens import create_token  # noqa: E402
from receivables import services  # noqa: E402
from tests.factories import UserFactory  # noqa: E402

INVOICES_PER_CUSTOMER = 10


def _token() -> str:
    """A token of a fresh integration client (roles synced)."""
    sync_roles()
    user = UserFactory(username=f"bench-{uuid.uuid4().hex[:8]}", role="integration")
    return create_token(user)


def _client(token: str) -> APIClient:
    """An API client of the token's user, warm: the URLconf and views are loaded."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/payments/?limit=1").status_code == 200
    return client


def _invoices(count: int) -> list[tuple[int, str]]:
    """`count` open invoices of 100.00 (through the service), as (customer id, number)."""
    run = uuid.uuid4().hex[:8]
    invoices = []
    customer = None
    for n in range(count):
        if n % INVOICES_PER_CUSTOMER == 0:
            customer = Customer.objects.create(name=f"Bench {run} {n}", currency="USD")
        invoice = services.create_invoice(
            customer=customer,
            number=f"BENCH-{run}-{n}",
            issue_date=date(2026, 1, 1),
            amount=Decimal("100.00"),
        )
        invoices.append((customer.pk, invoice.number))
    return invoices


def item(customer_id: int, number: str, n: int) -> dict:
    """The body of one payment of invoice `number`: a remittance line or a reference match."""
    body = {
        "customer": customer_id,
        "amount": "100.00",
        "received_date": "2026-02-01",
        "external_id": f"{number}-pay",
    }
    if n % 2:
        body["remittance"] = [{"invoice_number": number, "amount": "100.00"}]
    else:
        body["reference"] = f"Payment {number}"
    return body


class HTTPClient:
    """Posts JSON to a running server, a new connection per request (as sync workers serve)."""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict, key: str | None = None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {**self.headers, **({"Idempotency-Key": key} if key else {})}
        try:
            connection.request("POST", path, json.dumps(body), headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            connection.close()


def _post_singles_http(url: str, token: str, invoices: list[tuple[int, str]]) -> None:
    client = HTTPClient(url, token)
    for n, (customer_id, number) in enumerate(invoices):
        status, body = client.post(
            "/api/v1/payments/", item(customer_id, number, n), key=f"k-{number}"
        )
        assert status == 201, (status, body)
        assert body["unapplied_amount"] == "0.00", body


def _post_singles(token: str, invoices: list[tuple[int, str]], url: str | None = None) -> None:
    if url:
        _post_singles_http(url, token, invoices)
        return
    client = _client(token)
    try:
        for n, (customer_id, number) in enumerate(invoices):
            response = client.post(
                "/api/v1/payments/",
                item(customer_id, number, n),
                format="json",
                headers={"Idempotency-Key": f"k-{number}"},
            )
            assert response.status_code == 201, response.json()
            assert response.json()["unapplied_amount"] == "0.00", response.json()
    finally:
        if threading.current_thread() is not threading.main_thread():
            connection.close()


def measure_single(n: int = 300, *, clients: int = 1, url: str | None = None) -> float:
    """Post `n` payments one request each (`POST /payments/`, automatic matching, with an
    Idempotency-Key), from `clients` concurrent clients; returns payments per second.

    Setup (invoices, client) is not timed. Runs against the current database, in-process, or
    with `url` over HTTP to the server at `url` (which must use the current database).
    """
    token = _token()
    _client(token)  # warm up outside the timing
    invoices = _invoices(n)
    if url:  # every worker answers a request or two before the timing
        _post_singles(token, _invoices(2 * clients), url)
    shares = [invoices[c::clients] for c in range(clients)]
    start = time.perf_counter()
    if clients == 1:
        _post_singles(token, invoices, url)
    else:
        errors: list[BaseException] = []

        def run(share: list[tuple[int, str]]) -> None:
            try:
                _post_singles(token, share, url)
            except BaseException as exc:  # reported below, in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(share,)) for share in shares]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
    return n / (time.perf_counter() - start)


def measure_bulk(batches: int = 4, size: int = 500, *, url: str | None = None) -> float:
    """Post `batches` bulk requests of `size` payments (`POST /payments/bulk/`, automatic
    matching), one after the other; returns payments per second. Setup is not timed. Runs
    against the current database, in-process or over HTTP to the server at `url`."""
    token = _token()
    invoices = _invoices(batches * size)
    bodies = [
        {"items": [item(c, number, n) for n, (c, number) in enumerate(chunk)]}
        for chunk in (invoices[b * size : (b + 1) * size] for b in range(batches))
    ]
    if url:
        http_client = HTTPClient(url, token)

        def post(body: dict) -> tuple[int, dict]:
            return http_client.post("/api/v1/payments/bulk/", body)

    else:
        client = _client(token)

        def post(body: dict) -> tuple[int, dict]:
            response = client.post("/api/v1/payments/bulk/", body, format="json")
            return response.status_code, response.json()

    start = time.perf_counter()
    for body in bodies:
        status, answer = post(body)
        assert status == 200, answer
        assert answer["created"] == len(body["items"]), answer
    return batches * size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=int(os.environ.get("BENCH_SINGLE", "300")))
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument(
        "--bulk-requests", type=int, default=int(os.environ.get("BENCH_BULK_REQUESTS", "4"))
    )
    parser.add_argument("--bulk-size", type=int, default=500)
    parser.add_argument("--url", help="post over HTTP to the server there (see above)")
    args = parser.parse_args()
    if not args.url:
        call_command("migrate", verbosity=0)
    print(f"posting {'to ' + args.url if args.url else 'in-process'}")
    if args.single:
        rate = measure_single(args.single, clients=args.clients, url=args.url)
        print(f"single posts: {args.single} from {args.clients} client(s) = {rate:.0f}/s")
    if args.bulk_requests:
        rate = measure_bulk(args.bulk_requests, args.bulk_size, url=args.url)
        print(f"bulk posts:   {args.bulk_requests} requests of {args.bulk_size} = {rate:.0f}/s")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
