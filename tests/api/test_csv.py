"""CSV on every list, KPI series, breakdown and aging: streamed, same filters, plain decimals
and ISO dates; errors stay JSON."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from tests.api.test_list_params import LISTS
from tests.factories import CustomerFactory, InvoiceFactory
from tests.metrics.test_worked_examples import make_april

pytestmark = pytest.mark.django_db

APRIL = {"start": "2026-04-01", "end": "2026-04-30"}


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("route", LISTS)
def test_every_list_answers_csv(api, world, route):
    by_format = api.get(f"/api/v1/{route}/", {"format": "csv"})
    by_accept = api.get(f"/api/v1/{route}/", HTTP_ACCEPT="text/csv")
    json_count = api.get(f"/api/v1/{route}/").json()["count"]

    assert len(rows(by_format)) == json_count
    assert rows(by_accept) == rows(api.get(f"/api/v1/{route}/", {"format": "csv"}))


def test_invoice_csv_has_every_row_with_the_same_filters_plain_decimals_iso_dates(api):
    customer = CustomerFactory(name="Acme")
    for day in (1, 2, 3):
        InvoiceFactory(
            customer=customer,
            number=f"INV-{day}",
            amount=Decimal("1234.50"),
            issue_date=date(2026, 4, day),
        )
    InvoiceFactory(number="OTHER", amount=Decimal("9.00"))

    # limit does not page a CSV: every row matching the filters, in the list's order
    result = rows(
        api.get(
            "/api/v1/invoices/",
            {"format": "csv", "customer": customer.pk, "ordering": "issue_date", "limit": 1},
        )
    )

    assert [r["number"] for r in result] == ["INV-1", "INV-2", "INV-3"]
    assert result[0]["amount"] == "1234.50"
    assert result[0]["issue_date"] == "2026-04-01"
    assert result[0]["customer_name"] == "Acme"


def test_a_bad_filter_with_csv_is_a_json_400(api):
    response = api.get("/api/v1/invoices/", {"format": "csv", "issue_date_after": "soon"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["errors"][0]["field"].startswith("issue_date")


def test_kpi_series_breakdown_and_aging_answer_csv(api):
    make_april()

    series = rows(
        api.get(
            "/api/v1/kpis/series/",
            {**APRIL, "keys": "credit_sales,dso", "interval": "month", "format": "csv"},
        )
    )
    single = rows(api.get("/api/v1/kpis/dso/series/", {**APRIL, "format": "csv"}))
    breakdown = rows(
        api.get(
            "/api/v1/kpis/credit_sales/breakdown/",
            {**APRIL, "group_by": "product_line"},
            HTTP_ACCEPT="text/csv",
        )
    )
    aging = rows(api.get("/api/v1/kpis/aging/", {"as_of": "2026-04-30", "format": "csv"}))

    assert series == [
        {
            "key": "credit_sales",
            "start": "2026-04-01",
            "end": "2026-04-30",
            "value": "10000.00",
            "unit": "money",
            "currency": "USD",
        },
        {
            "key": "dso",
            "start": "2026-04-01",
            "end": "2026-04-30",
            "value": "45.0",
            "unit": "days",
            "currency": "",
        },
    ]
    assert single == series[1:]
    assert [(r["value"], r["previous"], r["currency"]) for r in breakdown] == [
        ("10000.00", "0.00", "USD")
    ]
    assert [(r["bucket"], r["label"], r["amount"], r["invoice_count"]) for r in aging] == [
        ("current", "Current", "4000.00", "1"),
        ("1_30", "1–30 days past due", "3000.00", "1"),
        ("31_60", "31–60 days past due", "8000.00", "1"),
        ("61_90", "61–90 days past due", "0.00", "0"),
        ("over_90", "Over 90 days past due", "0.00", "0"),
    ]
