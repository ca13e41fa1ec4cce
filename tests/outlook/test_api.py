"""REST and GraphQL: the same arguments give the same numbers and the same error codes."""

import pytest
from strawberry.utils.str_converters import to_camel_case

from tests.factories import CustomerFactory, InvoiceFactory
from tests.metrics.conftest import D
from tests.outlook.conftest import A, day
from tests.outlook.test_impact import sixty  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

SCOPE = "scope { start end partial rep segment customer productLine currency }"
FILTERS = "filters { rep segment customer productLine }"
DSO_IMPACT = f"""query($start: Date, $end: Date, $invoiceLagDays: String, $paymentLagDays: String,
    $paymentLagShare: String, $scenario: [String!], $currency: String) {{
  dsoImpact(start: $start, end: $end, invoiceLagDays: $invoiceLagDays,
            paymentLagDays: $paymentLagDays, paymentLagShare: $paymentLagShare,
            scenario: $scenario, currency: $currency) {{
    {SCOPE} currency currentDso projectedDso creditSales workingCapitalFreed model
    levers {{ name days share effectDays }}
    measured {{ timeToInvoiceDays timeToInvoiceMedianDays averageDaysDelinquent }}
  }}
}}"""
FORECAST = f"""query($asOf: Date, $weeks: Int, $includeOrders: Boolean, $currency: String,
    $customer: ID) {{
  cashForecast(asOf: $asOf, weeks: $weeks, includeOrders: $includeOrders,
               currency: $currency, customer: $customer) {{
    asOf currency {FILTERS} includeOrders openAr openOrders afterHorizon
    averageWeeklyCollected
    weeks {{ week start end expected dueDateAmount
             bySource {{ promised behaviour disputed orders }} }}
  }}
}}"""
ACCURACY = f"""query($asOf: Date, $weeks: Int, $currency: String) {{
  forecastAccuracy(asOf: $asOf, weeks: $weeks, currency: $currency) {{
    asOf currency {FILTERS} openAr actualTotal
    wape {{ forecast dueDate duePlusAverageLate }}
    weeks {{ week start end actual forecast dueDate duePlusAverageLate forecastError
             dueDateError duePlusAverageLateError }}
  }}
}}"""


def camel(value):
    if isinstance(value, dict):
        return {to_camel_case(k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def test_dso_impact_agrees(sixty, api, gql):  # noqa: F811
    params = {
        "start": "2026-04-01",
        "end": "2026-04-30",
        "invoice_lag_days": "10",
        "payment_lag_days": "7",
        "scenario": ["5:20"],
    }
    rest = api.get("/api/v1/kpis/dso-impact/", params)
    graphql = gql(
        DSO_IMPACT,
        {
            "start": "2026-04-01",
            "end": "2026-04-30",
            "invoiceLagDays": "10",
            "paymentLagDays": "7",
            "scenario": ["5:20"],
        },
    )

    assert rest.status_code == 200, rest.content
    body = rest.json()
    assert (body["current_dso"], body["projected_dso"]) == (60.0, 42.0)
    assert body["working_capital_freed"] == "1800.00"
    assert body["measured"]["average_days_delinquent"] == 30.0
    assert graphql["data"]["dsoImpact"] == camel(body)


def test_forecast_agrees(book, api, gql):
    rest = api.get("/api/v1/forecast/", {"as_of": A.isoformat(), "weeks": "6"})
    graphql = gql(FORECAST, {"asOf": A.isoformat(), "weeks": 6})

    assert rest.status_code == 200, rest.content
    body = rest.json()
    assert body["open_ar"] == "3500.00"
    assert body["after_horizon"] == "650.00"
    assert body["weeks"][0] == {
        "week": 1,
        "start": day(1).isoformat(),
        "end": day(7).isoformat(),
        "expected": "1100.00",
        "by_source": {
            "promised": "0.00",
            "behaviour": "1100.00",
            "disputed": "0.00",
            "orders": "0.00",
        },
        "due_date_amount": "2700.00",
    }
    assert graphql["data"]["cashForecast"] == camel(body)


def test_accuracy_agrees(book, api, gql):
    rest = api.get("/api/v1/forecast/accuracy/", {"as_of": A.isoformat(), "weeks": "4"})
    graphql = gql(ACCURACY, {"asOf": A.isoformat(), "weeks": 4})

    assert rest.status_code == 200, rest.content
    body = rest.json()
    assert body["actual_total"] == "0.00"
    assert body["wape"] == {"forecast": None, "due_date": None, "due_plus_average_late": None}
    assert graphql["data"]["forecastAccuracy"] == camel(body)


CASES = [
    (
        "/api/v1/kpis/dso-impact/",
        {"invoice_lag_days": "10", "invoice_lag_share": "101"},
        DSO_IMPACT.replace(
            "$invoiceLagDays: String,", "$invoiceLagDays: String, $s: String,"
        ).replace(
            "invoiceLagDays: $invoiceLagDays,",
            "invoiceLagDays: $invoiceLagDays, invoiceLagShare: $s,",
        ),
        {"invoiceLagDays": "10", "s": "101"},
        ("invalid_share", "invoice_lag_share"),
    ),
    (
        "/api/v1/kpis/dso-impact/",
        {"scenario": "7-20"},
        DSO_IMPACT,
        {"scenario": ["7-20"]},
        ("invalid_scenario", "scenario"),
    ),
    (
        "/api/v1/forecast/",
        {"as_of": A.isoformat()},
        FORECAST,
        {"asOf": A.isoformat()},
        ("currency_required", "currency"),
    ),
    ("/api/v1/forecast/", {"weeks": "53"}, FORECAST, {"weeks": 53}, ("invalid_weeks", "weeks")),
    (
        "/api/v1/forecast/",
        {"customer": "999999", "currency": "USD"},
        FORECAST,
        {"customer": "999999", "currency": "USD"},
        ("unknown_customer", "customer"),
    ),
    (
        "/api/v1/forecast/accuracy/",
        {"as_of": "2199-01-01", "currency": "USD"},
        ACCURACY,
        {"asOf": "2199-01-01", "currency": "USD"},
        ("horizon_not_over", "as_of"),
    ),
    (
        "/api/v1/forecast/accuracy/",
        {"as_of": "2026-02-30"},
        ACCURACY,
        None,
        ("invalid_date", "as_of"),
    ),
]


@pytest.mark.parametrize(("path", "params", "query", "variables", "expected"), CASES)
def test_same_error_codes(db, api, gql, path, params, query, variables, expected):
    # Two currencies open at A: a forecast must be told which one.
    InvoiceFactory(customer=CustomerFactory(), issue_date=day(-3), amount=D(10))
    eur = CustomerFactory(currency="EUR")
    InvoiceFactory(customer=eur, issue_date=day(-3), amount=D(10), currency="EUR")

    rest = api.get(path, params)

    # What the stored invoices or today decide is a 422; a rule the schema states, a 400.
    state = {"currency_required", "unknown_customer", "horizon_not_over"}
    assert rest.status_code == (422 if expected[0] in state else 400)
    assert [(e["code"], e["field"]) for e in rest.json()["errors"]] == [expected]
    if variables is not None:  # GraphQL's Date scalar refuses the bad date itself
        extensions = gql(query, variables)["errors"][0]["extensions"]
        assert (extensions["code"], extensions["field"]) == expected


def test_viewers_may_read_and_anonymous_may_not(book, make_client):
    for path in ("/api/v1/kpis/dso-impact/", "/api/v1/forecast/", "/api/v1/forecast/accuracy/"):
        assert make_client("viewer").get(path, {"as_of": A.isoformat()}).status_code == 200
        assert make_client(None).get(path).status_code == 401


def test_the_glossary_explains_the_reports(api, gql):
    glossary = {entry["key"]: entry for entry in api.get("/api/v1/kpis/glossary/").json()}
    keys = [e["key"].lower() for e in gql("{ kpiGlossary { key } }")["data"]["kpiGlossary"]]

    assert {"dso_impact", "cash_forecast", "forecast_accuracy"} <= set(glossary) & set(keys)
    assert glossary["dso_impact"]["formula"].startswith("projected DSO = DSO − Σ levers")
    assert glossary["forecast_accuracy"]["unit"] == "%"
