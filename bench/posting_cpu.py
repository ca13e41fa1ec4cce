"""`make bench`'s posting phase with the CPU it costs per payment (not a test).

Runs `bench.scenario.posting` (single posts, then bulk requests of 500) of the code in the
current directory against DATABASE_URL, loaded as the server loads it, and prints one JSON
line: payments/s and CPU ms a payment, this process's (Python) and its PostgreSQL backend's,
for single and bulk posting. To compare two versions, copy this file into a worktree of the
other version and alternate runs, each on a fresh copy of a database its own code seeded
(docs/posting-throughput.md):

    cd <worktree> && PYTHONPATH=. DATABASE_URL=… \\
        python bench/posting_cpu.py --single 300 --bulk-requests 4

Adds payments to the database: use a scratch copy.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2c_api.settings")

from django.db import connection  # noqa: E402

import o2c_api.wsgi  # noqa: E402, F401  (loads every view and settles the heap, as the server)
from bench import scenario  # noqa: E402
from receivables import demo  # noqa: E402


def backend_cpu(pid: int) -> float:
    """Seconds of CPU the PostgreSQL backend `pid` has used (user + system)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().split(")")[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--bulk-requests", type=int, default=4)
    args = parser.parse_args()
    today = demo.services.today()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    result = {"load": round(os.getloadavg()[0], 1)}
    for kind, single, bulk in (("single", args.single, 0), ("bulk", 0, args.bulk_requests)):
        python, database = time.process_time(), backend_cpu(pid)
        posted = scenario.posting(today, single, bulk, lambda message: None)
        payments = single or bulk * 500
        result[kind] = {
            "per_second": posted[kind]["per_second"],
            "python_ms": round(1000 * (time.process_time() - python) / payments, 2),
            "postgresql_ms": round(1000 * (backend_cpu(pid) - database) / payments, 2),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
