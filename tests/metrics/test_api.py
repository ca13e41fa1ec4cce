"""REST endpoints of the KPIs: shapes, numbers, 400s for bad scopes, permissions."""

from datetime import date

import pytest

from metrics.definitions import KEYS, REPORTS
from tests.factories import CustomerFactory, InvoiceFactory, UserFactory
from tests.metrics.test_worked_examples import make_april

pytestmark = pytest.mark.django_db

APRIL = {"start": "2026-04-01", "end": "2026-04-30"}


def errors(response):
    return [(e["code"], e["field"]) for e in response.json()["errors"]]


def test_summary_shape_and_numbers(make_client):
    make_april()
    client = make_client("viewer")

    response = client.get("/api/v1/kpis/", APRIL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "scope",
        "previous_scope",
        "compare",
        "currencies",
        "kpis",
        "what_changed",
        "changes",
    }
    assert body["scope"] == {
        "start": "2026-04-01",
        "end": "2026-04-30",
        "partial": False,
        "rep": None,
        "segment": None,
        "customer": None,
        "product_line": None,
        "currency": "USD",
    }
    # April is a whole calendar month: it is compared with March, all of it.
    assert (body["previous_scope"]["start"], body["previous_scope"]["end"]) == (
        "2026-03-01",
        "2026-03-31",
    )
    assert body["compare"] == "previous_period"
    assert body["currencies"] == ["USD"]
    assert list(body["kpis"]) == list(KEYS)
    for item in body["kpis"].values():
        assert set(item) == {
            "value",
            "previous",
            "change",
            "status",
            "previous_status",
            "unit",
            "currency",
            "better",
        }
        for name in ("value", "previous", "change"):
            if item["unit"] in ("money", "money/day"):
                assert item[name] is None or isinstance(item[name], str)
                assert item["currency"] == "USD"
            else:
                assert item[name] is None or isinstance(item[name], int | float)
                assert item["currency"] is None
    # Previous period (March): AR(31 Mar) = 8,000 (A), no sales -> DSO null.
    assert body["kpis"]["dso"] == {
        "value": 45.0,
        "previous": None,
        "change": None,
        "status": "green",
        "previous_status": None,
        "unit": "days",
        "currency": None,
        "better": "lower",
    }
    assert body["kpis"]["ar_balance"] == {
        "value": "15000.00",
        "previous": "8000.00",
        "change": "7000.00",
        "status": None,
        "previous_status": None,
        "unit": "money",
        "currency": "USD",
        "better": None,
    }
    assert "DSO is 45 days (no previous value): green." in body["what_changed"]
    assert {
        "key": "dso",
        "previous": None,
        "value": 45.0,
        "change": None,
        "status": "green",
        "unit": "days",
        "currency": None,
        "sentence": "DSO is 45 days (no previous value): green.",
    } in body["changes"]
    assert [c["sentence"] for c in body["changes"]] == body["what_changed"]


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"start": "2026-04-30", "end": "2026-04-01"}, 422, "end_before_start", "end"),
        ({"start": "2026-02-30"}, 400, "invalid_date", "start"),
        ({"end": "yesterday"}, 400, "invalid_date", "end"),
        ({"start": "2010-01-01", "end": "2026-01-01"}, 422, "period_too_long", "end"),
        ({"rep": "999999"}, 422, "unknown_rep", "rep"),
        ({"segment": "999999"}, 422, "unknown_segment", "segment"),
        ({"customer": "999999"}, 422, "unknown_customer", "customer"),
        ({"customer": "abc"}, 400, "invalid_id", "customer"),
        ({"currency": "UDS"}, 400, "invalid_currency", "currency"),
    ],
)
def test_summary_bad_scope_is_refused_by_kind(api, params, status, code, field):
    # A rule the schema states is a 400; one across fields or over stored records a 422.
    response = api.get("/api/v1/kpis/", params)

    assert response.status_code == status
    assert errors(response) == [(code, field)]


def test_anonymous_is_401_and_user_without_permission_is_403(make_client):
    anonymous = make_client(None)
    no_role = make_client(None)
    no_role.force_authenticate(UserFactory(username="nobody"))

    for url in (
        "/api/v1/kpis/",
        "/api/v1/kpis/dso/series/",
        "/api/v1/kpis/dso/breakdown/?group_by=rep",
        "/api/v1/kpis/aging/",
        "/api/v1/kpis/reminder-funnel/",
        "/api/v1/kpis/time-to-invoice/",
        "/api/v1/kpis/glossary/",
    ):
        assert anonymous.get(url).status_code == 401
        assert no_role.get(url).status_code == 403


def test_series_by_week_clips_the_period(api):
    make_april()

    response = api.get("/api/v1/kpis/credit_sales/series/", {**APRIL, "interval": "week"})

    assert response.status_code == 200
    body = response.json()
    assert (body["key"], body["interval"], body["unit"]) == ("credit_sales", "week", "money")
    # Weeks Mon-Sun clipped to April: B (6,000) issued Wed 1 Apr, C (4,000) Mon 20 Apr.
    assert body["points"] == [
        {"start": "2026-04-01", "end": "2026-04-05", "value": "6000.00"},
        {"start": "2026-04-06", "end": "2026-04-12", "value": "0.00"},
        {"start": "2026-04-13", "end": "2026-04-19", "value": "0.00"},
        {"start": "2026-04-20", "end": "2026-04-26", "value": "4000.00"},
        {"start": "2026-04-27", "end": "2026-04-30", "value": "0.00"},
    ]
    assert (body["currency"], body["currencies"]) == ("USD", ["USD"])


def test_series_and_breakdown_errors(api):
    assert errors(api.get("/api/v1/kpis/nope/series/")) == [("unknown_kpi", "key")]
    assert errors(api.get("/api/v1/kpis/dso/series/", {"interval": "day"})) == [
        ("invalid_interval", "interval")
    ]
    assert errors(api.get("/api/v1/kpis/dso/breakdown/", {"group_by": "planet"})) == [
        ("invalid_group_by", "group_by")
    ]
    assert errors(
        api.get("/api/v1/kpis/pipeline_velocity/breakdown/", {"group_by": "product_line"})
    ) == [("not_applicable", "group_by")]
    assert errors(api.get("/api/v1/kpis/dso/breakdown/", {"group_by": "rep", "limit": "x"})) == [
        ("invalid_limit", "limit")
    ]
    assert errors(api.get("/api/v1/kpis/dso/breakdown/", {"group_by": "rep", "limit": "0"})) == [
        ("invalid_limit", "limit")
    ]
    assert errors(api.get("/api/v1/kpis/dso/breakdown/", {"group_by": "rep", "offset": "-1"})) == [
        ("invalid_offset", "offset")
    ]
    assert errors(api.get("/api/v1/kpis/dso/breakdown/", {"group_by": "rep", "offset": "x"})) == [
        ("invalid_offset", "offset")
    ]
    assert errors(api.get("/api/v1/kpis/", {"compare": "last_week"})) == [
        ("invalid_compare", "compare")
    ]
    assert errors(api.get("/api/v1/kpis/aging/", {"as_of": "2026-13-01"})) == [
        ("invalid_date", "as_of")
    ]


def test_breakdown_by_customer_worst_first(api):
    """Two customers in April 2026 (N = 30).

    X: 1,000 issued 1 Apr, unpaid -> DSO = 1,000 / 1,000 × 30 = 30
    Y: 1,000 issued 1 Apr, 500 paid 10 Apr -> DSO = 500 / 1,000 × 30 = 15
    Z: no invoice in April -> no row. Worst (highest DSO) first.
    """
    from tests.metrics.conftest import D, pay

    x = CustomerFactory(name="X")
    y = CustomerFactory(name="Y")
    CustomerFactory(name="Z")
    InvoiceFactory(customer=x, issue_date=date(2026, 4, 1), amount=D(1000))
    pay(
        InvoiceFactory(customer=y, issue_date=date(2026, 4, 1), amount=D(1000)),
        500,
        date(2026, 4, 10),
    )

    response = api.get("/api/v1/kpis/dso/breakdown/", {**APRIL, "group_by": "customer"})

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    # March (the previous period) has no credit sales: no previous DSO.
    assert body["results"] == [
        {
            "group": {"id": x.pk, "name": "X"},
            "value": 30.0,
            "previous": None,
            "change": None,
            "status": "green",
        },
        {
            "group": {"id": y.pk, "name": "Y"},
            "value": 15.0,
            "previous": None,
            "change": None,
            "status": "green",
        },
    ]
    limited = api.get(
        "/api/v1/kpis/dso/breakdown/", {**APRIL, "group_by": "customer", "limit": 1}
    ).json()
    assert [row["group"]["name"] for row in limited["results"]] == ["X"]
    assert limited["count"] == 2
    assert "offset=1" in limited["next"]
    second = api.get(limited["next"]).json()
    assert [row["group"]["name"] for row in second["results"]] == ["Y"]
    assert second["next"] is None
    assert "offset=0" in second["previous"]


def test_aging_endpoint(api):
    make_april()

    response = api.get("/api/v1/kpis/aging/", {"as_of": "2026-04-30"})

    assert response.status_code == 200
    body = response.json()
    # A due 17 Mar: 44 days past due -> 31_60; B due 16 Apr: 14 days -> 1_30; C current.
    assert body["as_of"] == "2026-04-30"
    assert (body["total"], body["currency"], body["currencies"]) == ("15000.00", "USD", ["USD"])
    assert [
        (b["bucket"], b["label"], b["amount"], b["invoice_count"]) for b in body["buckets"]
    ] == [
        ("current", "Current", "4000.00", 1),
        ("1_30", "1–30 days past due", "3000.00", 1),
        ("31_60", "31–60 days past due", "8000.00", 1),
        ("61_90", "61–90 days past due", "0.00", 0),
        ("over_90", "Over 90 days past due", "0.00", 0),
    ]


def test_funnel_time_to_invoice_and_glossary_shapes(api):
    funnel = api.get("/api/v1/kpis/reminder-funnel/", APRIL).json()
    assert {k: funnel[k] for k in ("sent", "clicked", "paid", "conversion_rate")} == {
        "sent": 0,
        "clicked": 0,
        "paid": 0,
        "conversion_rate": None,
    }
    tti = api.get("/api/v1/kpis/time-to-invoice/", APRIL).json()
    assert (tti["count"], tti["mean"], tti["median"], tti["p90"], tti["slowest"]) == (
        0,
        None,
        None,
        None,
        [],
    )
    glossary = api.get("/api/v1/kpis/glossary/").json()
    assert [entry["key"] for entry in glossary] == list(KEYS) + list(REPORTS)
    dso = glossary[list(KEYS).index("dso")]
    assert dso["formula"] == "AR(end) / Credit sales(P) × N"
    assert (dso["unit"], dso["better"], dso["owner"]) == ("days", "lower", "Controller")
    assert dso["playbook_url"].endswith("/dso")
