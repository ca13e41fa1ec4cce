"""The dashboard pages over the KPI engine: access, content, CSV, huddle forms, query counts."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboard.models import Annotation, HuddleAction
from metrics import engine
from metrics.scope import Scope
from metrics.thresholds import rendered
from receivables.models import Invoice
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    SalesRepFactory,
    UserFactory,
)
from tests.metrics.conftest import pay

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 14)  # the default view is April 2026
APRIL = Scope(start=date(2026, 4, 1), end=date(2026, 4, 30), currency="USD")


@pytest.fixture(autouse=True)
def fixed_today():
    with mock.patch("dashboard.filters.today", return_value=TODAY):
        yield


def browser_of(role: str | None) -> Client:
    client = Client()
    if role is not None:
        client.force_login(UserFactory(username=f"{role}-web", role=role))
    return client


def add_invoices(n: int, rep=None) -> list:
    """n invoices over the twelve months to April 2026, half of them paid, one activity each."""
    customer = CustomerFactory(rep=rep or SalesRepFactory())
    invoices = []
    for i in range(n):
        issue = date(2025, 5, 3) + timedelta(days=(i * 37) % 360)
        invoice = InvoiceFactory(
            customer=customer,
            rep=customer.rep,
            issue_date=issue,
            due_date=issue + timedelta(days=30),
            amount=Decimal(100 + i),
            product_line="hardware",
        )
        if i % 2:
            pay(invoice, 100 + i, issue + timedelta(days=20))
        ActivityFactory(customer=customer, invoice=invoice)
        invoices.append(invoice)
    return invoices


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_anonymous_visitors_are_sent_to_the_login():
    response = browser_of(None).get("/dashboard/?rep=1")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/dashboard/%3Frep%3D1"


def test_a_user_without_a_role_is_refused():
    client = Client()
    client.force_login(UserFactory(username="nobody"))

    assert client.get("/dashboard/").status_code == 403


def test_the_dashboard_shows_the_engines_numbers():
    add_invoices(6)
    summary = engine.summary(APRIL)

    response = browser_of("viewer").get("/dashboard/")

    assert response.status_code == 200
    tiles = {tile.key: tile for tile in response.context["tiles"]}
    assert list(tiles) == [
        "ar_balance",
        "past_due_ar",
        "dso",
        "cei",
        "first_pass_yield",
        "dispute_rate",
        "cash_application_match_rate",
    ]
    for key, tile in tiles.items():
        assert tile.raw == summary.kpis[key]
    assert response.context["summary"].what_changed == summary.what_changed
    ar = engine.aging(APRIL)
    assert [row["bucket"] for row in response.context["aging"]["rows"]] == list(ar.buckets)
    assert len(response.context["trends"]) == 7
    assert b"12 months to 30 Apr 2026, by month" in response.content


def test_kpi_export_is_the_engines_rendered_values():
    add_invoices(6)
    summary = engine.summary(APRIL)

    response = browser_of("viewer").get("/dashboard/?export=kpis")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0] == ["kpi", "label", "value", "previous", "change", "status", "unit", "currency"]
    dso = next(row for row in rows if row[0] == "dso")
    kpi = summary.kpis["dso"]
    assert dso[2:5] == [str(rendered(kpi.value) if kpi.value is not None else "")] + [
        str(rendered(kpi.previous)) if kpi.previous is not None else "",
        str(kpi.change) if kpi.change is not None else "",
    ]


def test_aging_export_worked_by_hand():
    # Given one invoice of 250.00 due 2026-04-10, open, with no follow-up
    InvoiceFactory(
        issue_date=date(2026, 3, 11), due_date=date(2026, 4, 10), amount=Decimal("250.00")
    )

    # When the aging table is exported for April 2026 (aged on 30 April: 20 days past due)
    rows = csv_rows(browser_of("viewer").get("/dashboard/?export=aging"))

    # Then it is in 1-30 days, without activity
    assert rows == [
        ["bucket", "amount", "invoices", "activities", "invoices_without_activity", "currency"],
        ["current", "0.00", "0", "0", "0", "USD"],
        ["1_30", "250.00", "1", "0", "1", "USD"],
        ["31_60", "0.00", "0", "0", "0", "USD"],
        ["61_90", "0.00", "0", "0", "0", "USD"],
        ["over_90", "0.00", "0", "0", "0", "USD"],
    ]


def test_drilldown_rep_then_customer_then_invoices():
    ana, ben = SalesRepFactory(name="Ana"), SalesRepFactory(name="Ben")
    add_invoices(4, rep=ana)
    add_invoices(2, rep=ben)
    client = browser_of("viewer")

    by_rep = client.get("/dashboard/kpis/ar_balance/")
    assert by_rep.context["group_by"] == "rep"
    names = [item["row"].group_name for item in by_rep.context["rows"]]
    assert sorted(names) == ["Ana", "Ben"]
    ana_row = next(i for i in by_rep.context["rows"] if i["row"].group_name == "Ana")
    assert ana_row["link"] == f"?rep={ana.pk}&currency=USD&by=customer"

    by_customer = client.get(f"/dashboard/kpis/ar_balance/{ana_row['link']}")
    assert by_customer.context["group_by"] == "customer"
    assert [label for label, _ in by_customer.context["crumbs"]] == [
        "Dashboard",
        "AR balance",
        "Rep: Ana",
    ]
    customer_link = by_customer.context["rows"][0]["link"]

    invoices = client.get(customer_link)
    assert invoices.status_code == 200
    open_at_end = [i.number for i in invoices.context["rows"]]
    expected = [
        i.number
        for i in Invoice.objects.open_at(APRIL.end)
        .filter(rep=ana)
        .order_by("due_date", "-open_amount", "id")
    ]
    assert open_at_end == expected
    assert [label for label, _ in invoices.context["crumbs"]][:3] == [
        "Dashboard",
        "AR balance",
        "Rep: Ana",
    ]


def test_breakdown_export_matches_the_table():
    add_invoices(3, rep=SalesRepFactory(name="Ana"))
    result = engine.breakdown("ar_balance", APRIL, "rep", limit=500)

    rows = csv_rows(browser_of("viewer").get("/dashboard/kpis/ar_balance/?export=breakdown"))

    assert rows == [["rep", "name", "ar_balance", "status", "unit", "currency"]] + [
        [str(r.group_id), r.group_name, str(rendered(r.value)), r.status or "", "money", "USD"]
        for r in result.rows
    ]


def test_bad_filters_answer_400_with_the_code():
    response = browser_of("viewer").get("/dashboard/?period=custom&start=2026-13-01")

    assert response.status_code == 400
    assert response.context["codes"] == ["invalid_date"]


def test_a_collector_records_and_completes_a_huddle_action():
    client = browser_of("collector")
    response = client.post(
        "/dashboard/actions/new/",
        {
            "title": "Fix the reminder template",
            "owner": "Dana",
            "due_date": "2026-05-21",
            "definition_of_done": "New wording live",
            "kpi": "dso",
            "context": "DSO rose.",
            "next": "/dashboard/?rep=1",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/dashboard/?rep=1")
    action = HuddleAction.objects.get()
    assert (action.title, action.kpi, action.context, action.status) == (
        "Fix the reminder template",
        "dso",
        "DSO rose.",
        "open",
    )

    response = client.post(
        f"/dashboard/actions/{action.pk}/done/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/dashboard/"

    action.refresh_from_db()
    assert action.status == "done"


def test_a_viewer_cannot_record_actions_or_notes():
    client = browser_of("viewer")

    assert client.get("/dashboard/actions/new/").status_code == 403
    response = client.post(
        "/dashboard/annotations/new/", {"note_date": "2026-04-02", "text": "Price change"}
    )
    assert response.status_code == 403
    assert not Annotation.objects.exists()


def test_an_annotation_is_drawn_on_every_trend_line():
    browser_of("collector").post(
        "/dashboard/annotations/new/", {"note_date": "2026-04-02", "text": "Price change"}
    )

    response = browser_of("viewer").get("/dashboard/")

    for trend in response.context["trends"]:
        assert [mark.label for mark in trend.chart.marks] == ["2026-04-02: Price change"]
    assert response.content.count(b"<title>2026-04-02: Price change</title>") == 7


def test_another_reps_note_is_not_drawn_on_a_reps_view():
    ana, ben = SalesRepFactory(name="Ana"), SalesRepFactory(name="Ben")
    Annotation.objects.create(note_date=date(2026, 4, 2), text="Ana's price change", rep=ana)
    Annotation.objects.create(note_date=date(2026, 4, 3), text="Everyone", rep=None)

    on_ben = browser_of("viewer").get(f"/dashboard/?rep={ben.pk}")
    on_all = browser_of("viewer").get("/dashboard/")

    assert [n.text for n in on_ben.context["notes"]] == ["Everyone"]
    assert [n.text for n in on_all.context["notes"]] == ["Ana's price change", "Everyone"]


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/",
        "/dashboard/?period=last_12_months&interval=week",
        "/dashboard/kpis/dso/",
        "/dashboard/kpis/dso/?by=customer",
        "/dashboard/invoices/?kpi=dso",
        "/dashboard/invoices/?kpi=dispute_rate",
    ],
)
def test_pages_cost_the_same_queries_at_two_sizes(url):
    client = browser_of("viewer")
    add_invoices(2)
    HuddleAction.objects.create(
        title="a", owner="b", due_date=TODAY, definition_of_done="c", status="open"
    )
    small = queries(client, url)

    add_invoices(30)
    for day in range(5):
        Annotation.objects.create(note_date=date(2026, 1, 1 + day), text=f"note {day}")
        HuddleAction.objects.create(
            title="a", owner="b", due_date=TODAY, definition_of_done="c", status="open"
        )
    large = queries(client, url)

    assert small == large
