"""Payment posting with and without the event outbox, in one run (not a test).

The outbox writes its events in the posting's transaction (`integrations.events`), so it
costs the posting something; this measures how much. The two variants alternate request by
request ("without": `integrations.events.record_many` replaced by a no-op for that request),
in the order with, without, without, with, … so that neither always goes first and a shared
machine's changing load falls on both alike; each variant first posts one request untimed
(the first request of a kind builds what later ones reuse). The medians of the per-request
times are compared, with their quartiles. Single posts go through POST /payments/, bulk through POST
/payments/bulk/ (requests of `--bulk-size`), as `bench/payments_throughput.py` posts them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/o2c_scratch \\
        .venv/bin/python bench/events_overhead.py [--single 200] [--bulk-requests 10]

Adds rows to the database (payments, invoices, customers, events): use a scratch database.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.payments_throughput import _client, _invoices, _token, item  # noqa: E402
from integrations import events  # noqa: E402

VARIANTS = ("with events", "without events")


def timed(variant: str, post) -> tuple[float, int]:
    """(seconds, statements) of one request in that variant."""
    patch = mock.patch.object(events, "record_many", return_value=0)
    if variant == "without events":
        patch.start()
    try:
        connection.queries_log.clear()  # the log keeps 9,000 queries: count from empty
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            post()
            elapsed = time.perf_counter() - start
    finally:
        if variant == "without events":
            patch.stop()
    return elapsed, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=200, help="single posts per variant")
    parser.add_argument("--bulk-requests", type=int, default=10, help="bulk requests per variant")
    parser.add_argument("--bulk-size", type=int, default=200)
    args = parser.parse_args()
    client = _client(_token())
    # One untimed request of each kind per variant first, then the timed ones.
    singles = _invoices(2 * args.single + 2)
    bulks = _invoices((2 * args.bulk_requests + 2) * args.bulk_size)
    load_before = os.getloadavg()
    times: dict[tuple[str, str], list[float]] = {}
    statements: dict[tuple[str, str], int] = {}

    def single(n: int):
        customer, number = singles[n]

        def post():
            response = client.post("/api/v1/payments/", item(customer, number, n), format="json")
            assert response.status_code == 201, response.json()

        return post

    def bulk(b: int):
        chunk = bulks[b * args.bulk_size : (b + 1) * args.bulk_size]

        def post():
            body = {"items": [item(c, number, n) for n, (c, number) in enumerate(chunk)]}
            response = client.post("/api/v1/payments/bulk/", body, format="json")
            assert response.status_code == 200, response.json()
            assert response.json()["created"] == len(chunk), response.json()

        return post

    for kind, count, make in (
        ("single", 2 * args.single, single),
        ("bulk", 2 * args.bulk_requests, bulk),
    ):
        for n in range(2):  # untimed
            timed(VARIANTS[n], make(count + n))
        for n in range(count):
            variant = VARIANTS[(n + n // 2) % 2]  # with, without, without, with, ...
            elapsed, queries = timed(variant, make(n))
            times.setdefault((kind, variant), []).append(elapsed)
            statements[(kind, variant)] = queries
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}")
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for kind, per_request in (("single", 1), ("bulk", args.bulk_size)):
        rates = {}
        for variant in VARIANTS:
            first, median, third = statistics.quantiles(times[(kind, variant)], n=4)
            rates[variant] = per_request / median
            print(
                f"{kind:6} {variant:15}: median {median * 1000:8.1f} ms a request "
                f"(quartiles {first * 1000:.1f}-{third * 1000:.1f}) = "
                f"{rates[variant]:7.1f} payments/s, {statements[(kind, variant)]} statements"
            )
        change = (rates["with events"] / rates["without events"] - 1) * 100
        print(f"{kind:6} with events vs without: {change:+.1f} %")


if __name__ == "__main__":
    main()
