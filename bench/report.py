"""Writes docs/benchmarks.json (results per size) and renders docs/benchmarks.md from it."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

# (name, measure, limit, unit, kind): kind "max" = median must be at most limit, "min" = at least.
TARGETS = (
    ("KPI summary, month", "summary/everything/month", 100, "ms", "max"),
    ("KPI summary, year", "summary/everything/year", 100, "ms", "max"),
    (
        "KPI summary (all keys) vs straightforward SQL (AR keys), month",
        "ratio summary/everything/month",
        10,
        "×",
        "min",
    ),
    (
        "KPI summary (all keys) vs straightforward SQL (AR keys), year",
        "ratio summary/everything/year",
        10,
        "×",
        "min",
    ),
    (
        "Engine vs straightforward SQL, same AR keys, month",
        "ratio_ar_keys summary/everything/month",
        10,
        "×",
        "min",
    ),
    (
        "Engine vs straightforward SQL, same AR keys, year",
        "ratio_ar_keys summary/everything/year",
        10,
        "×",
        "min",
    ),
    ("Aging", "aging/everything", 100, "ms", "max"),
    ("24-month series", "series/dso monthly 24", 300, "ms", "max"),
    ("List page, constant query count", "list constant", 1, "", "flag"),
    ("Bulk posting", "posting bulk", 2000, "payments/s", "min"),
    ("Single posting", "posting single", 200, "payments/s", "min"),
)

# Why a target is missed and what would close it, by measure (rendered only when missed).
# Written from the per-query breakdown the run records ("Where the time goes").
_DESIGN = (
    "Closing it needs derived data for every KPI family, not only AR: (a) split the AR "
    "rollup in two, a flow rollup without the due date compacted to months (about 115k rows "
    "at 1M invoices instead of 1.9M; AR(d), credit sales, collected and the countback need no "
    "due date) and a month-end checkpoint of the open balance by due date (about 45k rows per "
    "month end) for Current AR, both kept by `ledger.post` in the same transaction, with the "
    "daily rows of the days since the last month end; (b) daily count rollups for the other "
    "blocks (issued / disputed / first-pass invoices, payments received / matched, promises "
    "due / kept, order-to-invoice days, reminders sent / clicked / paid, opportunities) keyed "
    "by date, rep, segment, product line and currency, re-posted by the services that change "
    "those facts later (a dispute opened on an old invoice, a manual application, a customer "
    "changing segment), each with a rebuild and a rollup-equals-recomputation test. A summary "
    "would then read a few thousand rows whatever the size of the ledger."
)
MISSES = {
    "summary/everything/month": (
        "The summary is ten queries (breakdown above). The AR movements query reads every "
        "rollup row dated up to the period end (about 1.6M of the 1.9M rows at 1M invoices: the "
        "rollup is keyed by due date and rep/segment/product line, so it barely compresses the "
        "documents) and buckets each with a CASE; seven more blocks read the source rows of both "
        "periods (invoices issued, disputes, payments with their manual applications, promises, "
        "order-to-invoice, reminders with their 'paid within 7 days' probe, opportunities). "
        + _DESIGN
    ),
    "summary/everything/year": (
        "Same ten queries; the seven source-row blocks read twelve times the rows of a month "
        "(the year and its previous year), so the cost grows with the documents in the period. "
        + _DESIGN
    ),
    "ratio summary/everything/month": (
        "The full summary computes every KPI of the spec (ten queries); the straightforward SQL "
        "only the nine AR keys. The like-for-like ratio (engine asked for the same keys) is the "
        "'same AR keys' row."
    ),
    "ratio summary/everything/year": (
        "As for the month: the full summary against the AR keys only; see the 'same AR keys' row."
    ),
    "ratio_ar_keys summary/everything/month": (
        "The engine's AR path is one query over the rollup, bounded by the rollup scan "
        "described for the summary; the straightforward SQL is a handful of aggregates that "
        "PostgreSQL runs as hash joins. Closing it: the flow rollup compacted to months plus "
        "the month-end checkpoint (see the summary row)."
    ),
    "ratio_ar_keys summary/everything/year": ("Same cause and change as for the month."),
    "aging/everything": (
        "Four grouped queries. The amounts read the invoices' current open amount plus what "
        "moved after the date (a few rows for a recent date), so what remains is finding the "
        "invoices open at the date (about 54k at 1M, through the paid_date index but "
        "scattered over the heap) and counting their collection activities up to the date "
        "(a hash join with every activity: the largest part). Closing it: a covering partial "
        "index on open invoices (WHERE paid_date IS NULL, INCLUDE due_date, issue_date, "
        "open_amount and the dimensions) for an index-only scan, and per-invoice activity "
        "facts (count, first date) kept by the activity service so that the activity columns "
        "need no join; for a date far back (many invoices paid since) the month-end "
        "checkpoint of open balance by due date would give the amounts."
    ),
    "series/dso monthly 24": (
        "One query, but it reads every rollup row up to the end (1.6M at 1M invoices) and "
        "buckets it into 25 month ends. The monthly flow rollup without due date (about 115k "
        "rows at 1M) answers AR at month ends and credit sales directly: a DSO series would "
        "read about 14 times fewer rows."
    ),
    "posting bulk": (
        "A bulk request is already set-based: about 17 statements in all whatever its size "
        "(the payments inserted together, every invoice any item may touch found and locked in "
        "one pass, the applications staged in memory by the same rules as a single post and "
        "written together, one rollup upsert), committed once. What is left is Python: DRF "
        "validating 500 items one by one and the response rendering each posting (roughly "
        "0.5 ms a payment). Closing it: validate the batch in one pass (plain dataclasses "
        "instead of a serializer per item) and render the response from the staged rows."
    ),
    "posting single": (
        "Each post costs about 12 ms of Python (DRF request, token authentication, "
        "permission checks, serializer validation, the posting, the response) and 20-odd "
        "statements, plus one synchronous commit (about 5 ms on this disk): one process "
        "does 80-90 a second. Closing it: several server processes (posts for different "
        "customers do not wait on each other and share disk flushes), caching the role "
        "permissions per token, and reading an invoice's last application date while "
        "locking it."
    ),
}


def default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value)} is not JSON serialisable")


def write(docs: Path, size: str, result: dict) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    path = docs / "benchmarks.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("sizes", {})[size] = json.loads(json.dumps(result, default=default))
    order = {"10k": 0, "100k": 1, "1M": 2}
    data["sizes"] = dict(sorted(data["sizes"].items(), key=lambda item: order.get(item[0], 9)))
    path.write_text(json.dumps(data, indent=2) + "\n")
    (docs / "benchmarks.md").write_text(render(data))


def value_of(result: dict, measure: str):
    timings = result.get("timings", {})
    if measure.startswith("ratio"):
        field, name = measure.split(" ", 1)
        row = result.get("comparison", {}).get(name)
        return None if row is None else row.get(field)
    if measure == "list constant":
        return None if "list" not in result else int(result["list"]["constant"])
    if measure.startswith("posting "):
        row = result.get("posting", {}).get(measure.removeprefix("posting "))
        return None if row is None else row["per_second"]
    row = timings.get(measure)
    return None if row is None else row["median_ms"]


def verdict(value, limit, kind) -> tuple[str, str]:
    """('pass'|'MISS'|'n/a', how far from the limit)."""
    if value is None:
        return "n/a", ""
    if kind == "flag":
        return ("pass", "") if value else ("MISS", "")
    if kind == "max":
        ok = value <= limit
        return ("pass" if ok else "MISS", f"{(value / limit - 1) * 100:+.0f}%")
    ok = value >= limit
    return ("pass" if ok else "MISS", f"{(value / limit - 1) * 100:+.0f}%")


def render(data: dict) -> str:
    sizes = data["sizes"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `bench/run.py` (`make bench INVOICES=100k`, `make bench INVOICES=1M`);",
        "do not edit by hand: re-run the harness. The numbers below are from the last run of",
        "each size; `docs/benchmarks.json` holds them all. Warm timings: each measure runs 3",
        "times untimed, then `runs` times; median and p95 in milliseconds, query count of one",
        "call. The machine is shared: the load average (1, 5, 15 min) is given before and",
        "after each run.",
        "",
    ]
    for size, result in sizes.items():
        lines += render_size(size, result)
    return "\n".join(lines) + "\n"


def render_size(size: str, r: dict) -> list[str]:
    m = r["machine"]
    build = r["build"]
    c = r["counts"]
    lines = [
        f"## {size} invoices",
        "",
        f"- Run on {m['date']}: {m['cores']} cores, {m['memory_gib']} GiB, PostgreSQL "
        f"{m['postgresql']} (shared_buffers {m['shared_buffers']}), Python {m['python']}; "
        f"load average {fmt_load(m['load_before'])} before, {fmt_load(m['load_after'])} after.",
        f"- Database `{r['database']}`: "
        + (
            f"reused (seeded {build['today']})"
            if build["reused"]
            else f"seeded in {build['seed_seconds']} s (history ending {build['today']})"
        )
        + f"; {c['invoices']:,} invoices, {c['customers']:,} customers, {c['payments']:,} "
        f"payments, {c['applications']:,} applications, {c['adjustments']:,} adjustments, "
        f"{c['activities']:,} collection activities, {c['rollup_rows']:,} AR rollup rows, "
        f"{c.get('kpi_rollup_rows', 0):,} KPI rollup rows.",
        f"- Derived data equals its recomputation from the source rows: "
        f"{'yes' if not r['verify_before']['differences'] else 'NO'} before "
        f"({r['verify_before']['seconds']} s: the AR rollup by SQL EXCEPT both ways, the KPI "
        "rollup recomputed per projection and compared)"
        + (
            f", {'yes' if not r['verify_after']['differences'] else 'NO'} after posting."
            if "verify_after" in r
            else "."
        ),
        f"- Peak memory (ru_maxrss) of the process: {r.get('rss_after_kpis_mib')} MiB after the "
        f"KPI measures, {r['peak_rss_mib']} MiB at the end (includes posting and the baseline).",
        f"- Whole run: {r['seconds']} s.",
        "",
        "### Targets",
        "",
        "| Target | Limit | Measured (median) | Result | vs limit |",
        "|---|---|---|---|---|",
    ]
    misses = []
    for name, measure, limit, unit, kind in TARGETS:
        value = value_of(r, measure)
        result, delta = verdict(value, limit, kind)
        shown = "—" if value is None else (("yes" if value else "no") if kind == "flag" else value)
        bound = (
            "same count" if kind == "flag" else f"{'≤' if kind == 'max' else '≥'} {limit} {unit}"
        )
        lines.append(
            f"| {name} | {bound} | {shown} {unit if kind != 'flag' else ''} | {result} | {delta} |"
        )
        if result == "MISS":
            misses.append((name, measure, delta))
    if misses:
        lines += ["", "### Misses", ""]
        for name, measure, delta in misses:
            lines.append(f"- **{name}** ({delta} vs the limit): {MISSES.get(measure, '')}")
    lines += [
        "",
        "### Timings",
        "",
        "| Measure | Median ms | p95 ms | Queries | Runs |",
        "|---|---|---|---|---|",
    ]
    for name, t in r["timings"].items():
        lines.append(
            f"| {name} | {t['median_ms']} | {t['p95_ms']} | {t['queries']} | {t['runs']} |"
        )
    if r.get("query_breakdown"):
        lines += [
            "",
            "### Where the time goes (median ms per query, 3 calls)",
            "",
            "A summary's queries in order: AR movements (rollup), invoice quality (invoices), "
            "dispute resolution, payment matching, promise keeping, time to invoice "
            "(invoices), reminder funnel (collection activities), pipeline (two), thresholds. "
            "Aging: open invoices, applications and adjustments dated after the date, activities.",
            "",
        ]
        for name, rows in r["query_breakdown"].items():
            parts = ", ".join(f"{q['table']} {q['median_ms']}" for q in rows)
            lines.append(f"- {name}: {parts}.")
    lines += [
        "",
        "### Engine vs straightforward SQL (same numbers asserted)",
        "",
        "The straightforward SQL computes the AR family only (ar_balance, current_ar, "
        "past_due_ar, credit_sales, collected, dso, best_possible_dso, "
        "average_days_delinquent, cei, both periods) and aging amounts and counts; the run "
        "asserts the engine gives the same values. 'Engine ms' is the full summary (every "
        "key of the spec); 'engine, AR keys' is the engine asked for the same keys only.",
        "",
        "| Measure | Engine ms (all keys) | Engine ms (AR keys) | Straightforward ms "
        "| Ratio (all keys) | Ratio (AR keys) |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in r["comparison"].items():
        lines.append(
            f"| {name} | {row['engine_ms']} | {row.get('engine_ar_keys_ms', '—')} | "
            f"{row['baseline_ms']} | {row['ratio']}× | "
            f"{str(row['ratio_ar_keys']) + '×' if 'ratio_ar_keys' in row else '—'} |"
        )
    if "posting" in r:
        p = r["posting"]
        lines += ["", "### Payment posting (REST, token auth, in-process client)", ""]
        if "single" in p:
            s = p["single"]
            lines.append(
                f"- Single: {s['payments']} payments in {s['seconds']} s = **{s['per_second']}/s** "
                f"(rules: {s['rules']})."
            )
        if "bulk" in p:
            b = p["bulk"]
            lines.append(
                f"- Bulk: {b['payments']} payments in {b['requests']} requests of 500, "
                f"{b['seconds']} s = **{b['per_second']}/s** ({b['queries_per_payment']} "
                "queries per payment)."
            )
    lines += [
        "",
        "Scopes: " + "; ".join(f"{k}: {fmt_scope(v)}" for k, v in r["scopes"].items()) + ".",
        "",
    ]
    return lines


def fmt_load(load: list) -> str:
    return " / ".join(f"{x:.2f}" for x in load)


def fmt_scope(scope: dict) -> str:
    dims = ", ".join(f"{k} {v}" for k, v in scope.items() if k not in ("start", "end") and v)
    return f"{scope.get('start')}..{scope.get('end')} {dims}".strip()


if __name__ == "__main__":
    # Re-render docs/benchmarks.md from docs/benchmarks.json (after editing this file).
    docs = Path(__file__).resolve().parent.parent / "docs"
    (docs / "benchmarks.md").write_text(render(json.loads((docs / "benchmarks.json").read_text())))
