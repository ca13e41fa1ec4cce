"""The benchmark: KPI latency and payment throughput against a seeded PostgreSQL database.

One command (from the repository root, after `make install`)::

    make bench INVOICES=100k          # or 10k, 1M
    .venv/bin/python bench/run.py --invoices 1M [--runs 20] [--skip-posting]

What it does, in order:

1. Database `o2c_bench_<size>` on 127.0.0.1:5432 (user postgres; override the server with
   BENCH_PG_URL=postgres://user@host:port, the name with BENCH_DB=<name>) is created if
   missing and migrated. It is reused when its `bench_meta` row says it was seeded
   completely at this size; otherwise it is emptied and seeded with `receivables.demo.seed`
   (customers = invoices / 50, 50 invoices per customer, 24 months; 100k ≈ 40 s, 1M ≈ 8 min).
   Migrations added since are applied to a reused database (a migration that adds derived
   data fills it).
2. Derived data is checked against a recomputation from the source rows in SQL
   (`metrics.rollup.differences()`): the run stops if they differ.
3. Warm timings (median, p95, query count; `bench/timing.py`) of the KPI summary for
   everything / the busiest segment / rep / product line / customer and their combinations
   over the last full month and the last twelve full months, aging at the seed's day and a
   month end, a 24-month monthly DSO series, DSO broken down by rep, segment, product line
   and customer, invoice list pages (limit 50 and 500: the query count must not change), the
   worklist, and the dashboard's pages as a logged-in viewer sees them (`bench.scenario`).
4. The straightforward SQL (`bench/baseline.py`, source tables only) for the same summaries
   and aging, fewer runs (it is slow); the run asserts it gives the engine's numbers and
   reports engine vs straightforward ratios.
5. Last, because they write: single payment posting through POST /api/v1/payments/ (one
   open invoice named in each reference, customers varied, a quarter of its open amount so
   it stays open) and bulk posting through POST /api/v1/payments/bulk/ (500 items a
   request). A re-run therefore starts from a database with a few thousand more payments
   than the seed; the KPI figures move slightly (the comparison with the baseline still
   holds: both read the same rows). Then the derived data is checked again.
6. Writes `docs/benchmarks.json` (results per size; other sizes already there are kept) and
   renders `docs/benchmarks.md` from it: machine, sizes, medians, p95, ratios, query counts,
   targets with pass/miss and, for each miss, by how much, why and what would close it.

Timings are noisy on a shared machine: the load average before and after is recorded.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
INVOICES_PER_CUSTOMER = 50
SEED = 1
MONTHS = 24


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", choices=sorted(SIZES), required=True)
    parser.add_argument(
        "--runs", type=int, default=0, help="timed runs per engine measure (0: 20, 7 at 1M)"
    )
    parser.add_argument(
        "--baseline-runs", type=int, default=0, help="timed runs of the baseline (0: by size)"
    )
    parser.add_argument("--single", type=int, default=300, help="single payments posted")
    parser.add_argument("--bulk-requests", type=int, default=4, help="bulk requests of 500")
    parser.add_argument("--skip-posting", action="store_true", help="no writes (no throughput)")
    parser.add_argument("--build-only", action="store_true", help="build/verify, no measures")
    parser.add_argument("--rebuild", action="store_true", help="drop and seed the DB again")
    parser.add_argument("--docs", default=str(ROOT / "docs"), help="where the reports go")
    return parser.parse_args(argv)


def server_url() -> str:
    return os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")


def ensure_database(name: str, drop: bool) -> None:
    """Create database `name` if it does not exist (drop it first with `drop`)."""
    import psycopg

    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    size = args.invoices
    db_name = os.environ.get("BENCH_DB") or f"o2c_bench_{size.lower()}"
    ensure_database(db_name, drop=args.rebuild)
    # Settings read DATABASE_URL when Django sets up: it must be set before.
    os.environ["DATABASE_URL"] = f"{server_url()}/{db_name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2c_api.settings")
    import django

    django.setup()
    # The application loaded as the server loads it (o2c_api/wsgi.py: every view, then the
    # heap settled, `startup.settle`), so the in-process measures see what a worker does.
    import o2c_api.wsgi  # noqa: F401
    from bench import scenario

    load_before = os.getloadavg()
    started = time.monotonic()
    result = scenario.run(
        size=size,
        invoices=SIZES[size],
        invoices_per_customer=INVOICES_PER_CUSTOMER,
        seed=SEED,
        months=MONTHS,
        runs=args.runs or (7 if SIZES[size] >= 1_000_000 else 20),
        baseline_runs=args.baseline_runs or (2 if SIZES[size] >= 1_000_000 else 5),
        single=0 if args.skip_posting else args.single,
        bulk_requests=0 if args.skip_posting else args.bulk_requests,
        log=log,
        build_only=args.build_only,
    )
    if args.build_only:
        return result
    result["machine"] = machine(load_before, os.getloadavg())
    result["database"] = db_name
    result["seconds"] = round(time.monotonic() - started, 1)
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    from bench import report

    report.write(Path(args.docs), size, result)
    log(f"done in {result['seconds']} s; wrote {args.docs}/benchmarks.md and benchmarks.json")
    return result


def machine(load_before: tuple, load_after: tuple) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    memory_kib = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "postgresql": pg,
        "shared_buffers": shared_buffers,
        "python": platform.python_version(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "date": date.today().isoformat(),
    }


if __name__ == "__main__":
    main()
