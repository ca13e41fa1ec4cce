"""Payment posting throughput with and without the event outbox, in one run (not a test).

The outbox writes its events in the posting's transaction (`integrations.events`), so it
costs the posting something; this measures how much. Rounds alternate "with events" and
"without" (`integrations.events.record_many` replaced by a no-op for that round) so that the
machine's load drifts over both alike; each round posts single payments (POST /payments/)
and bulk requests of 500 (POST /payments/bulk/) with `bench/payments_throughput.py`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/o2c_scratch \\
        .venv/bin/python bench/events_overhead.py [--rounds 3] [--single 200] [--bulk-requests 2]

Adds rows to the database (payments, invoices, customers, events): use a scratch database.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.payments_throughput import measure_bulk, measure_single  # noqa: E402
from integrations import events  # noqa: E402
from integrations.models import Event  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--single", type=int, default=200)
    parser.add_argument("--bulk-requests", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, dict[str, list[float]]] = {
        "with events": {"single": [], "bulk": []},
        "without events": {"single": [], "bulk": []},
    }
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for round_ in range(args.rounds):
        for label in ("with events", "without events"):
            before = Event.objects.count()
            patch = mock.patch.object(events, "record_many", return_value=0)
            if label == "without events":
                patch.start()
            try:
                single = measure_single(args.single)
                bulk = measure_bulk(args.bulk_requests, 500)
            finally:
                if label == "without events":
                    patch.stop()
            recorded = Event.objects.count() - before
            results[label]["single"].append(single)
            results[label]["bulk"].append(bulk)
            print(
                f"round {round_ + 1} {label:15}: single {single:6.0f}/s  bulk {bulk:6.0f}/s  "
                f"({recorded} events)"
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for kind in ("single", "bulk"):
        with_ = statistics.median(results["with events"][kind])
        without = statistics.median(results["without events"][kind])
        print(
            f"median {kind:6}: with {with_:.0f}/s, without {without:.0f}/s "
            f"({(with_ / without - 1) * 100:+.1f} %)"
        )


if __name__ == "__main__":
    main()
