"""What keeping the KPI rollup by recomputing whole cells would cost a payment (not a test).

Issue 11 asked that a write's affected rollup cells be recomputed from the source rows. The
rollup is kept instead by reading the facts of the rows a write touches before and after it
and posting the difference (`metrics.rollup.tracking`), with the same fact families that
rebuild and check it. This measures both for the cells one payment applied today to an open
invoice reaches, on a database of any size, read-only:

- recompute: for the application's day and the due-date take-back day, the five cells of
  each (the invoice's rep, segment and product line together, and everything, the rep, the
  segment, the product line alone), each cash family's measures summed from the source rows
  of that cell (`Family.grouped` narrowed to the cell), as a recomputation would;
- snapshot: what a posting reads today for the same invoice, a `tracking` block of the cash
  families that touches it (two reads of its facts, nothing posted).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/o2c_bench_1m \\
        .venv/bin/python bench/cell_recompute.py [--invoices 20]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2c_api.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from metrics import rollup  # noqa: E402
from metrics.facts import families  # noqa: E402
from receivables.models import Invoice  # noqa: E402


def recompute_cell(day: date, currency: str, projection: str, **dimensions) -> None:
    """Every cash family's measures of one cell, summed from its source rows."""
    for family in families():
        if type(family).__name__ not in rollup.CASH_FAMILIES:
            continue
        cell = {"kpi_day": day, "kpi_currency": currency}
        for name, value in dimensions.items():
            if name != "kpi_pl" or family.product_lines:
                cell[name] = value
        list(family.grouped(projection=None if projection == "full" else projection).filter(**cell))


def recompute(invoice: Invoice, today: date) -> None:
    rep, segment = invoice.rep_id or 0, invoice.customer.segment_id or 0
    for day in (today, invoice.due_date + timedelta(days=1)):
        recompute_cell(
            day,
            invoice.currency,
            "full",
            kpi_rep=rep,
            kpi_segment=segment,
            kpi_pl=invoice.product_line,
        )
        recompute_cell(day, invoice.currency, "all")
        recompute_cell(day, invoice.currency, "rep", kpi_rep=rep)
        recompute_cell(day, invoice.currency, "segment", kpi_segment=segment)
        recompute_cell(day, invoice.currency, "product_line", kpi_pl=invoice.product_line)


def snapshot(invoice: Invoice) -> None:
    with transaction.atomic(), rollup.tracking(rollup.CASH_FAMILIES):
        rollup.touch(invoices=[invoice.id])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=20, help="open invoices to try")
    args = parser.parse_args()
    today = date.today()
    invoices = list(
        Invoice.objects.filter(status="open")
        .select_related("customer")
        .order_by("?")[: args.invoices]
    )
    times = {"recompute": [], "snapshot": []}
    for invoice in invoices:  # alternated, so the machine's load falls on both alike
        for name, run, arguments in (
            ("recompute", recompute, (invoice, today)),
            ("snapshot", snapshot, (invoice,)),
        ):
            began = time.perf_counter()
            run(*arguments)
            times[name].append(time.perf_counter() - began)
    print(
        f"{Invoice.objects.count()} invoices, {len(invoices)} tried, load {os.getloadavg()[0]:.1f}:"
    )
    for name, values in times.items():
        median, longest = 1000 * statistics.median(values), 1000 * max(values)
        print(f"  {name}: median {median:.1f} ms, max {longest:.1f} ms")


if __name__ == "__main__":
    main()
