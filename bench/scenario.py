"""What `bench/run.py` runs once Django is set up: build or reuse, verify, measure, compare."""

from __future__ import annotations

import multiprocessing
import re
import resource
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer, CustomerAssignment
from accounts.scoping import SCOPED_GROUP
from accounts.tokens import create_token
from bench import baseline
from bench.baseline import month_start
from bench.report import DASHBOARD_PAGES, LIST_PAGES
from bench.timing import Timing, measure
from dashboard.models import StoredPanel
from metrics import engine, rollup
from metrics.models import KPIRollup
from metrics.scope import Period, Scope, build_scope
from receivables import demo
from receivables.models import Invoice

META = "bench_meta"
BASELINE_KEYS = (
    "ar_balance",
    "current_ar",
    "past_due_ar",
    "credit_sales",
    "collected",
    "dso",
    "best_possible_dso",
    "average_days_delinquent",
    "cei",
)
# Ratios are compared to this many places: the engine and the baseline divide in a
# different order, so exact Decimals can differ in the 28th digit.
PLACES = Decimal("0.000001")


def run(
    *,
    size: str,
    invoices: int,
    invoices_per_customer: int,
    seed: int,
    months: int,
    runs: int,
    baseline_runs: int,
    single: int,
    bulk_requests: int,
    log: Callable[[str], None],
    build_only: bool = False,
) -> dict:
    result: dict = {"size": size, "invoices_target": invoices}
    result["build"] = build(size, invoices, invoices_per_customer, seed, months, log)
    today = result["build"]["today"]
    log("checking derived data against a recomputation")
    result["verify_before"] = verify()
    if result["verify_before"]["differences"] or result["verify_before"]["activity_counts"]:
        raise SystemExit(f"derived data differs from recomputation: {result['verify_before']}")
    result["counts"] = counts()
    log(f"rows: {result['counts']}")
    if build_only:
        return result

    scopes = pick_scopes(today)
    result["scopes"] = {name: scope.as_dict() for name, scope in scopes.items()}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings: dict[str, Timing] = {}

    def timed(name: str, func, n: int = runs, warmup: int = 3) -> None:
        timings[name] = measure(name, func, runs=n, warmup=warmup)
        t = timings[name]
        log(f"{name}: median {t.median_ms} ms, p95 {t.p95_ms} ms, {t.queries} queries")

    for name, scope in scopes.items():
        timed(f"summary/{name}", lambda scope=scope: engine.summary(scope))
    # The engine computing only what the baseline computes (the AR family, both periods,
    # statuses): the like-for-like comparison. The full summary adds the other KPI families.
    for name, scope in scopes.items():
        timed(f"summary AR keys/{name}", lambda scope=scope: engine.summary(scope, BASELINE_KEYS))
    # A collector limited to their own customers (accounts.scoping): the source rows of
    # their book, never the rollup.
    for name, scope in own_customers_scopes(scopes).items():
        result["scopes"][name] = scope.as_dict()
        timed(f"summary/{name}", lambda scope=scope: engine.summary(scope))
    everything_year = scopes["everything/year"]
    timed("aging/everything", lambda: engine.aging(scopes["everything/month"], today))
    timed("aging/segment", lambda: engine.aging(scopes["segment/month"], today))
    # As of the end of the month before last: the invoices open then, most of them paid since.
    past = month_start(today, 1) - timedelta(days=1)
    result["aging_past_as_of"] = past
    timed("aging/everything past month end", lambda: engine.aging(scopes["everything/month"], past))
    series_scope = everything_year.with_period(
        Period(start=month_start(everything_year.end, 23), end=everything_year.end)
    )
    result["scopes"]["series/24 months"] = series_scope.as_dict()
    timed("series/dso monthly 24", lambda: engine.series("dso", series_scope, "month"))
    for group_by in ("rep", "segment", "product_line", "customer"):
        timed(
            f"breakdown/dso by {group_by}",
            lambda group_by=group_by: engine.breakdown("dso", scopes["everything/month"], group_by),
        )
    timed(
        "breakdown/dso by customer, page 51",
        lambda: engine.breakdown("dso", scopes["everything/month"], "customer", offset=1000),
    )
    result["rss_after_kpis_mib"] = rss_mib()
    result["query_breakdown"] = {
        "summary/everything/month": breakdown(lambda: engine.summary(scopes["everything/month"])),
        "summary/everything/year": breakdown(lambda: engine.summary(everything_year)),
        "aging/everything": breakdown(lambda: engine.aging(scopes["everything/month"], today)),
    }

    result["list"] = list_page(timed, timings, today)
    result["worklist"] = worklist_page(timed, timings, today, scopes["rep/month"].rep)
    result["dashboard"] = dashboard_pages(timed, timings, scopes["rep/month"].rep)
    result["rss_after_list_mib"] = rss_mib()

    log("straightforward SQL (baseline), asserting equal numbers")
    result["comparison"] = compare(scopes, today, timed, timings, baseline_runs)

    if single or bulk_requests:
        result["posting"] = posting(today, single, bulk_requests, log)
        log("checking derived data after posting")
        result["verify_after"] = verify()
        if result["verify_after"]["differences"] or result["verify_after"]["activity_counts"]:
            raise SystemExit(f"derived data differs after posting: {result['verify_after']}")
    result["timings"] = {name: t.as_dict() for name, t in timings.items()}
    return result


# --- build or reuse ------------------------------------------------------------------------


def build(
    size: str,
    invoices: int,
    invoices_per_customer: int,
    seed: int,
    months: int,
    log: Callable[[str], None],
) -> dict:
    """Migrate; reuse the database if its meta row says it is complete at this size."""
    began = time.monotonic()
    applied = len(MigrationRecorder(connection).applied_migrations())
    call_command("migrate", verbosity=0)
    migrated = len(MigrationRecorder(connection).applied_migrations()) != applied
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META} (size text PRIMARY KEY, invoices integer, "
            "customers integer, seed integer, months integer, today date, "
            "seed_seconds real, built_at timestamptz DEFAULT now())"
        )
        cursor.execute(f"SELECT size, invoices, today, seed_seconds FROM {META}")
        row = cursor.fetchone()
    customers = invoices // invoices_per_customer
    if row and row[0] == size and row[1] == invoices:
        log(f"reusing the database seeded on {row[2]} ({row[1]} invoices)")
        if not KPIRollup.objects.exists():
            # Seeded before the KPI rollup existed: derive it, as a seed does at its end.
            log("building the KPI rollup")
            rollup.rebuild()
        if migrated:
            # A migration that filled a column rewrote rows: until VACUUM marks their pages
            # all-visible again, the index-only scans the measures rely on fetch the table.
            log("vacuuming after the migrations")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        return {
            "reused": True,
            "today": row[2],
            "seed_seconds": row[3],
            "migrate_seconds": round(time.monotonic() - began, 1),
        }
    log(f"seeding {customers} customers x {invoices_per_customer} invoices")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {META}")
    if not demo.domain_is_empty():
        demo.flush()
    seeded = demo.seed(
        customers=customers,
        seed=seed,
        months=months,
        invoices_per_customer=invoices_per_customer,
        log=log,
    )
    today = demo.services.today()
    with connection.cursor() as cursor:
        # Autocommit here (VACUUM cannot run in a transaction): fresh statistics and
        # visibility map, so index-only scans work from the first measure.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            f"INSERT INTO {META} (size, invoices, customers, seed, months, today, seed_seconds) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [size, invoices, customers, seed, months, today, seeded.seconds],
        )
    log(f"seeded in {seeded.seconds:.0f} s: {seeded.counts}")
    return {
        "reused": False,
        "today": today,
        "seed_seconds": round(seeded.seconds, 1),
        "rows": seeded.counts,
    }


def verify() -> dict:
    """Derived data vs recomputation from the source rows (SQL EXCEPT both ways): the KPI
    rollup's differing keys, and the invoices whose stored activity count is wrong."""
    began = time.monotonic()
    differences = kpi_rollup_differences()
    activity_counts = Invoice.objects.activity_count_wrong().count()
    return {
        "differences": differences,
        "activity_counts": activity_counts,
        "seconds": round(time.monotonic() - began, 1),
    }


def kpi_rollup_differences() -> int:
    """`rollup.differences()` in a child process: it holds both sides in memory (about 2 GB
    at 1M invoices), which would otherwise count as the peak memory of the measured process."""
    connection.close()  # the child opens its own
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(_count_kpi_rollup_differences)


def _count_kpi_rollup_differences() -> int:
    return len(rollup.differences())


def counts() -> dict:
    tables = {
        "customers": "accounts_customer",
        "invoices": "receivables_invoice",
        "payments": "receivables_payment",
        "applications": "receivables_paymentapplication",
        "adjustments": "receivables_adjustment",
        "activities": "receivables_collectionactivity",
        "kpi_rollup_rows": "receivables_kpirollup",
    }
    result = {}
    with connection.cursor() as cursor:
        for name, table in tables.items():
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            result[name] = cursor.fetchone()[0]
    return result


_FROM = re.compile(r'FROM "(\w+)"')


def breakdown(func, runs: int = 3) -> list[dict]:
    """Median time of each query of `func` over `runs` calls, labelled by its first table."""
    samples: list[list[float]] = []
    labels: list[str] = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            func()
        times = [float(q["time"]) * 1000 for q in captured.captured_queries]
        labels = [main_table(q["sql"]) for q in captured.captured_queries]
        samples.append(times)
    return [
        {"query": i + 1, "table": label, "median_ms": round(statistics.median(col), 1)}
        for i, (label, col) in enumerate(zip(labels, zip(*samples, strict=True), strict=True))
    ]


def main_table(sql: str) -> str:
    """The table of the outermost FROM (subqueries in the select list come first)."""
    for match in _FROM.finditer(sql):
        prefix = sql[: match.start()]
        if prefix.count("(") == prefix.count(")"):
            return match.group(1)
    return sql[:30]


def rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- scopes ---------------------------------------------------------------------------------


# The rep and the segment with the most invoices: the scopes and list pages measured.
BUSIEST_REP = (
    "SELECT rep_id FROM receivables_invoice WHERE rep_id IS NOT NULL "
    "GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
)
BUSIEST_SEGMENT = (
    "SELECT c.segment_id FROM receivables_invoice i JOIN accounts_customer c "
    "ON c.id = i.customer_id WHERE c.segment_id IS NOT NULL "
    "GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
)


def busiest(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def pick_scopes(today: date) -> dict[str, Scope]:
    """The last full month and the last twelve full months, for everything, the busiest
    segment, rep, product line and customer (most invoices), and the combinations of rep,
    segment and product line."""
    from django.conf import settings

    end = month_start(today) - timedelta(days=1)
    month = (month_start(end), end)
    year = (month_start(end, 11), end)
    currency = settings.O2C_BASE_CURRENCY
    segment = busiest(BUSIEST_SEGMENT)
    rep = busiest(BUSIEST_REP)
    customer = busiest(
        "SELECT customer_id FROM receivables_invoice GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
    )
    product_line = busiest(
        "SELECT product_line FROM receivables_invoice GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
    )
    # The combinations: the busiest rep's busiest segment and product line, so they have facts.
    rep_segment = busiest(
        "SELECT c.segment_id FROM receivables_invoice i JOIN accounts_customer c "
        f"ON c.id = i.customer_id WHERE i.rep_id = {int(rep)} AND c.segment_id IS NOT NULL "
        "GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
    )
    rep_line = busiest(
        f"SELECT product_line FROM receivables_invoice WHERE rep_id = {int(rep)} "
        "GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
    )
    dims = {
        "everything": {},
        "segment": {"segment": segment},
        "rep": {"rep": rep},
        "product_line": {"product_line": product_line},
        "rep+segment": {"rep": rep, "segment": rep_segment},
        "product_line+rep": {"rep": rep, "product_line": rep_line},
        "rep+segment+product_line": {
            "rep": rep,
            "segment": rep_segment,
            "product_line": rep_line,
        },
        "customer": {"customer": customer},
    }
    scopes = {}
    for period_name, (start, stop) in (("month", month), ("year", year)):
        for dim_name, dim in dims.items():
            scopes[f"{dim_name}/{period_name}"] = Scope(
                start=start, end=stop, currency=currency, **dim
            )
    return dict(sorted(scopes.items(), key=lambda item: item[0].split("/")[::-1]))


OWN_CUSTOMERS = 100


def own_customers_scopes(scopes: dict[str, Scope]) -> dict[str, Scope]:
    """The month and the year of the busiest rep's first `OWN_CUSTOMERS` customers, as a
    collector in the `own_customers` group sees them: the customers assigned to them in the
    admin (`CustomerAssignment`), the scope built for the user (`build_scope`)."""
    user = get_user_model().objects.create_user(username=f"bench-own-{uuid.uuid4().hex[:8]}")
    user.groups.add(Group.objects.get(name="collector"), Group.objects.get(name=SCOPED_GROUP))
    rep = scopes["rep/month"].rep
    book = Customer.objects.filter(rep_id=rep).order_by("pk")[:OWN_CUSTOMERS]
    CustomerAssignment.objects.bulk_create(
        CustomerAssignment(user=user, customer=customer) for customer in book
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {CustomerAssignment._meta.db_table}")
    return {
        f"own customers/{period}": build_scope(
            start=scopes[f"everything/{period}"].start,
            end=scopes[f"everything/{period}"].end,
            currency=scopes[f"everything/{period}"].currency,
            user=user,
        )
        for period in ("month", "year")
    }


# --- list endpoint -------------------------------------------------------------------------


def token_client(role: str) -> Client:
    user = get_user_model().objects.create_user(username=f"bench-{role}-{uuid.uuid4().hex[:8]}")
    user.groups.add(Group.objects.get(name=role))
    return Client(HTTP_AUTHORIZATION=f"Token {create_token(user)}")


def time_pages(timed, timings: dict, client: Client, pages: dict[str, str]) -> dict[str, int]:
    """Time a GET of each page (label -> URL), which must answer 200: {label: queries}."""
    for label, url in pages.items():

        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, response.content[:300]
            return response

        timed(label, get)
    return {label: timings[label].queries for label in pages}


def list_page(timed, timings: dict, today: date) -> dict:
    """Invoice list pages of 50 and 500 rows for the filters and orderings a dashboard uses
    (the query count must not change with the page size)."""
    rep = busiest(BUSIEST_REP)
    segment = busiest(BUSIEST_SEGMENT)
    month_ago = today - timedelta(days=30)
    queries = {
        "open": "status=open",
        "rep past due by due date": f"rep={rep}&past_due=true&ordering=due_date",
        "segment open by open amount": f"segment={segment}&open=true&ordering=-open_amount",
        "open by open amount": "status=open&ordering=-open_amount",
        "issued last 30 days": f"issue_date_after={month_ago}&issue_date_before={today}",
    }
    assert tuple(queries) == LIST_PAGES
    counts = time_pages(
        timed,
        timings,
        token_client("viewer"),
        {
            f"list/invoices {name} limit={limit}": f"/api/v1/invoices/?{query}&limit={limit}"
            for name, query in queries.items()
            for limit in (50, 500)
        },
    )
    result = {
        name: [counts[f"list/invoices {name} limit={limit}"] for limit in (50, 500)]
        for name in queries
    }
    result["constant"] = all(a == b for a, b in result.values())
    return result


def worklist_page(timed, timings: dict, today: date, rep: int) -> dict:
    """GET /api/v1/worklist/ at the seed's day: every open invoice scored and ranked by cash
    at risk, one page of 50 and one of 500 (the query count must not change), and the
    busiest rep's page of 50 (a collector's own list)."""
    url = f"/api/v1/worklist/?as_of={today.isoformat()}"
    result = time_pages(
        timed,
        timings,
        token_client("viewer"),
        {
            "worklist/everything limit=50": f"{url}&limit=50",
            "worklist/everything limit=500": f"{url}&limit=500",
            "worklist/rep limit=50": f"{url}&rep={rep}&limit=50",
        },
    )
    result["constant"] = (
        result["worklist/everything limit=50"] == result["worklist/everything limit=500"]
    )
    return result


def dashboard_pages(timed, timings: dict, rep: int) -> dict:
    """The dashboard's pages as a viewer opens them (a session, the rendered HTML), with the
    default period (the last full month): the overview (tiles, what changed, trends, aging),
    its panels (cash outlook, worklist and risk, which the overview loads after it shows),
    the DSO drilldown by rep, a rep's customers, and the invoices behind DSO."""
    user = get_user_model().objects.create_user(username=f"bench-dash-{uuid.uuid4().hex[:8]}")
    user.groups.add(Group.objects.get(name="viewer"))
    client = Client()
    client.force_login(user)
    pages = {
        "overview": "/dashboard/",
        "overview of a rep": f"/dashboard/?rep={rep}",
        "panels": "/dashboard/panels/",
        "panels of a rep": f"/dashboard/panels/?rep={rep}",
        "DSO by rep": "/dashboard/kpis/dso/",
        "DSO of a rep by customer": f"/dashboard/kpis/dso/?rep={rep}&by=customer",
        "invoices behind DSO": "/dashboard/invoices/?kpi=dso",
        "invoices of a rep behind DSO": f"/dashboard/invoices/?kpi=dso&rep={rep}",
    }
    assert tuple(pages) == DASHBOARD_PAGES
    queries = time_pages(
        timed, timings, client, {f"dashboard/{name}": url for name, url in pages.items()}
    )
    # Timed above, the panels read the stored forecast and risk bands (dashboard.stored) the
    # first run kept. The first view of a scope on a day (or after O2C_PANEL_MAX_AGE_SECONDS)
    # computes them in the request: timed here with nothing stored, for the record (no target).
    for name in ("panels", "panels of a rep"):

        def computing(url=pages[name]):
            StoredPanel.objects.all().delete()
            response = client.get(url)
            assert response.status_code == 200, response.content[:300]

        timed(f"dashboard/{name}, panels computed", computing, n=3, warmup=0)
    return queries


# --- comparison with the straightforward SQL -----------------------------------------------


def baseline_scope(scope: Scope) -> dict:
    return {
        "currency": scope.currency,
        "rep": scope.rep,
        "segment": scope.segment,
        "customer": scope.customer,
        "product_line": scope.product_line,
    }


def rounded(value):
    if isinstance(value, Decimal):
        return value.quantize(PLACES)
    return value


def compare(scopes: dict, today: date, timed, timings: dict, runs: int) -> dict:
    """Time the baseline like the engine and assert both give the same numbers."""
    result = {}
    for name, scope in scopes.items():
        summary = engine.summary(scope)
        expected = baseline.summary(baseline_scope(scope), scope.start, scope.end)
        for key in BASELINE_KEYS:
            got = (summary.kpis[key].value, summary.kpis[key].previous)
            want = (expected["current"][key], expected["previous"][key])
            if tuple(map(rounded, got)) != tuple(map(rounded, want)):
                raise AssertionError(f"{name} {key}: engine {got} != straightforward {want}")
        label = f"baseline summary/{name}"
        timed(
            label,
            lambda scope=scope: baseline.summary(baseline_scope(scope), scope.start, scope.end),
            n=runs,
            warmup=1,
        )
        baseline_ms = timings[label].median_ms
        row = {
            "equal": True,
            "keys": list(BASELINE_KEYS),
            "engine_ms": timings[f"summary/{name}"].median_ms,
            "baseline_ms": baseline_ms,
            "ratio": round(baseline_ms / timings[f"summary/{name}"].median_ms, 1),
        }
        if f"summary AR keys/{name}" in timings:
            ar_ms = timings[f"summary AR keys/{name}"].median_ms
            row["engine_ar_keys_ms"] = ar_ms
            row["ratio_ar_keys"] = round(baseline_ms / ar_ms, 1)
        result[f"summary/{name}"] = row
    for name, scope_name in (("everything", "everything/month"), ("segment", "segment/month")):
        scope = scopes[scope_name]
        aging = engine.aging(scope, today)
        expected = baseline.aging(baseline_scope(scope), today)
        for b in aging.buckets:
            if (b.amount, b.invoice_count) != expected[b.bucket]:
                raise AssertionError(
                    f"aging {name} {b.bucket}: engine {(b.amount, b.invoice_count)} "
                    f"!= straightforward {expected[b.bucket]}"
                )
        label = f"baseline aging/{name}"
        timed(
            label,
            lambda scope=scope: baseline.aging(baseline_scope(scope), today),
            n=runs,
            warmup=1,
        )
        result[f"aging/{name}"] = {
            "equal": True,
            "engine_ms": timings[f"aging/{name}"].median_ms,
            "baseline_ms": timings[label].median_ms,
            "ratio": round(timings[label].median_ms / timings[f"aging/{name}"].median_ms, 1),
            "total": str(aging.total),
        }
    return result


# --- posting (writes: last) ----------------------------------------------------------------


def open_invoices(count: int) -> list[tuple]:
    """`count` open invoices, spread over customers: each customer's oldest first, round robin."""
    sql = """
        SELECT number, customer_id, open_amount, currency FROM (
            SELECT number, customer_id, open_amount, currency, issue_date, id,
                   ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY issue_date, id) AS rn
              FROM receivables_invoice
             WHERE status = 'open' AND open_amount > 0
        ) o ORDER BY rn, customer_id LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [count])
        return cursor.fetchall()


def payment_body(invoice: tuple, received: date, run: str, n: int) -> dict:
    number, customer_id, open_amount, currency = invoice
    # A quarter of the open amount: the reference rule applies it to the named invoice, which
    # stays open, so a re-run finds the same invoices to post against.
    amount = max(Decimal("0.01"), (open_amount / 4).quantize(Decimal("0.01")))
    return {
        "customer": customer_id,
        "amount": str(amount),
        "currency": currency,
        "received_date": received.isoformat(),
        "reference": f"Payment {number} thank you",
        "external_id": f"bench-{run}-{n}",
    }


def posting(today: date, single: int, bulk_requests: int, log) -> dict:
    """Payments/s through the REST endpoints, each naming one open invoice in its reference."""
    import json

    client = token_client("integration")
    run = uuid.uuid4().hex[:8]
    needed = single + bulk_requests * 500
    invoices = open_invoices(needed)
    if not invoices:
        raise SystemExit("no open invoice left to post against")
    # Fewer open invoices than payments (small sizes, or after earlier runs paid some in
    # full): name each several times, with a share small enough to leave it open.
    uses = -(-needed // len(invoices))
    invoices = [
        (number, customer, open_amount / uses, currency)
        for number, customer, open_amount, currency in invoices * uses
    ][:needed]
    numbered = list(enumerate(invoices))
    singles, rest = invoices[:single], numbered[single:]
    result = {}
    rules: dict[str, int] = {}
    began = time.perf_counter()
    for n, invoice in enumerate(singles):
        response = client.post(
            "/api/v1/payments/",
            json.dumps(payment_body(invoice, today, run, n)),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content[:300]
        rule = response.json()["rule"]
        rules[rule] = rules.get(rule, 0) + 1
    seconds = time.perf_counter() - began
    if single:
        result["single"] = {
            "payments": single,
            "seconds": round(seconds, 2),
            "per_second": round(single / seconds, 1),
            "rules": rules,
        }
        log(f"single posting: {result['single']}")

    def bulk(chunk: list[tuple]) -> None:
        items = [payment_body(inv, today, run, n) for n, inv in chunk]
        response = client.post(
            "/api/v1/payments/bulk/",
            json.dumps({"items": items}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:300]
        assert response.json()["created"] == len(chunk), response.content[:300]

    seconds = 0.0
    queries = 0
    for r in range(bulk_requests):
        chunk = rest[r * 500 : (r + 1) * 500]
        if r == 0:
            # Queries counted on the first request only (the log of a request is enough;
            # capturing every request would time the capture too).
            with CaptureQueriesContext(connection) as captured:
                bulk(chunk[:50])
            queries = len(captured.captured_queries) / 50
            chunk = chunk[50:]
        began = time.perf_counter()
        bulk(chunk)
        seconds += time.perf_counter() - began
    if bulk_requests:
        count = bulk_requests * 500 - 50
        result["bulk"] = {
            "payments": count,
            "requests": bulk_requests,
            "seconds": round(seconds, 2),
            "per_second": round(count / seconds, 1),
            "queries_per_payment": round(queries, 1),
        }
        log(f"bulk posting: {result['bulk']}")
    result["rss_mib"] = rss_mib()
    return result
