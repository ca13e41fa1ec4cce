"""The KPI GraphQL fields, executed on a local schema of `metrics.graphql.schema.Query`:
the same numbers as REST for every key, permissions, and REST's error codes."""

from types import SimpleNamespace

import pytest
import strawberry
from django.contrib.auth.models import AnonymousUser
from strawberry.utils.str_converters import to_camel_case

from metrics.definitions import KEYS
from metrics.graphql.schema import Query
from tests.factories import UserFactory
from tests.metrics.test_activity_kpis import make_reminders
from tests.metrics.test_ar_kpis import march  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

schema = strawberry.Schema(query=Query)
SCOPE = {"start": "2026-03-01", "end": "2026-03-31"}
KPI_FIELDS = "\n".join(
    f"{to_camel_case(key)} {{ value previous change status previousStatus unit currency better }}"
    for key in KEYS
)


def lower_statuses(item: dict) -> dict:
    """GraphQL's enum values (GREEN) as REST's words (green)."""
    return {
        name: value.lower() if name in ("status", "previousStatus") and value else value
        for name, value in item.items()
    }


def as_rest(item: dict) -> dict:
    item = lower_statuses(item)
    if "previousStatus" in item:
        item["previous_status"] = item.pop("previousStatus")
    return item


def execute(query: str, variables: dict | None = None, role: str | None = "viewer"):
    if role is None:
        user = AnonymousUser()
    else:
        user = UserFactory(username=f"gql-{role}", role=role or None)
    context = SimpleNamespace(request=SimpleNamespace(user=user))
    return schema.execute_sync(query, variable_values=variables, context_value=context)


def data(query: str, variables: dict | None = None):
    result = execute(query, variables)
    assert result.errors is None, result.errors
    return result.data


def test_kpis_agree_with_rest_for_every_key(march, api):  # noqa: F811
    rest = api.get("/api/v1/kpis/", SCOPE).json()
    query = f"""query($start: Date, $end: Date) {{
        kpis(start: $start, end: $end) {{
            {KPI_FIELDS}
            whatChanged
            changes {{ key previous value change status unit currency sentence }}
            currencies
            compare
            scope {{ start end currency partial }}
            previousScope {{ start end }}
        }}
    }}"""

    result = data(query, SCOPE)["kpis"]

    for key in KEYS:
        assert as_rest(result[to_camel_case(key)]) == rest["kpis"][key], key
    assert result["whatChanged"] == rest["what_changed"]
    assert [
        {**lower_statuses(change), "key": change["key"].lower()} for change in result["changes"]
    ] == rest["changes"]
    assert (result["currencies"], result["compare"]) == (rest["currencies"], "PREVIOUS_PERIOD")
    assert result["scope"]["partial"] is rest["scope"]["partial"] is False
    assert result["previousScope"] == {
        "start": rest["previous_scope"]["start"],
        "end": rest["previous_scope"]["end"],
    }
    assert result["dso"]["value"] == 23.25


@pytest.mark.parametrize("key", KEYS)
def test_series_and_breakdown_agree_with_rest(march, api, key):  # noqa: F811
    rest_series = api.get(f"/api/v1/kpis/{key}/series/", {**SCOPE, "interval": "week"}).json()
    series = data(
        """query($key: KpiKey!, $start: Date, $end: Date) {
            kpiSeries(key: $key, interval: WEEK, start: $start, end: $end) {
                key interval unit currency currencies points { start end value }
            }
        }""",
        {"key": key.upper(), **SCOPE},
    )["kpiSeries"]
    assert series["points"] == rest_series["points"]
    assert (series["key"].lower(), series["unit"], series["currency"]) == (
        rest_series["key"],
        rest_series["unit"],
        rest_series["currency"],
    )
    assert series["currencies"] == rest_series["currencies"]

    rest_breakdown = api.get(f"/api/v1/kpis/{key}/breakdown/", {**SCOPE, "group_by": "rep"}).json()
    breakdown = data(
        """query($key: KpiKey!, $start: Date, $end: Date) {
            kpiBreakdown(key: $key, groupBy: REP, start: $start, end: $end) {
                totalCount results { group { id name } value previous change status }
            }
        }""",
        {"key": key.upper(), **SCOPE},
    )["kpiBreakdown"]
    assert [lower_statuses(row) for row in breakdown["results"]] == rest_breakdown["results"]
    assert breakdown["totalCount"] == rest_breakdown["count"]


def test_aging_funnel_time_to_invoice_and_glossary_agree_with_rest(march, api):  # noqa: F811
    result = data(
        """{
            aging(asOf: "2026-03-31") {
                asOf currency total
                buckets { bucket amount invoiceCount activityCount invoicesWithoutActivity }
            }
            reminderFunnel(start: "2026-03-01", end: "2026-03-31") {
                sent clicked paid conversionRate
            }
            timeToInvoice(start: "2026-03-01", end: "2026-03-31") {
                count mean median p90 slowest { invoiceId days }
            }
            kpiGlossary { key label explanation formula unit better owner playbookUrl choices }
        }"""
    )
    aging = api.get("/api/v1/kpis/aging/", {"as_of": "2026-03-31"}).json()
    assert result["aging"]["total"] == aging["total"] == "2100.00"
    assert [b["amount"] for b in result["aging"]["buckets"]] == [
        b["amount"] for b in aging["buckets"]
    ]
    assert [b["invoiceCount"] for b in result["aging"]["buckets"]] == [
        b["invoice_count"] for b in aging["buckets"]
    ]
    funnel = api.get("/api/v1/kpis/reminder-funnel/", SCOPE).json()
    assert result["reminderFunnel"]["conversionRate"] == funnel["conversion_rate"]
    glossary = api.get("/api/v1/kpis/glossary/").json()
    assert [entry["key"].lower() for entry in result["kpiGlossary"]] == [e["key"] for e in glossary]
    assert result["kpiGlossary"][0]["formula"] == glossary[0]["formula"]
    assert result["kpiGlossary"][0]["playbookUrl"] == glossary[0]["playbook_url"]


def test_funnel_numbers(api):
    make_reminders()
    result = data(
        '{ reminderFunnel(start: "2026-04-01", end: "2026-04-30") '
        "{ sent clicked paid conversionRate } }"
    )
    assert result["reminderFunnel"] == {"sent": 4, "clicked": 1, "paid": 1, "conversionRate": 25.0}


def test_permissions():
    anonymous = execute("{ kpiGlossary { key } }", role=None)
    assert anonymous.data is None
    assert anonymous.errors[0].extensions["code"] == "not_authenticated"
    no_role = execute("{ kpiGlossary { key } }", role="")
    assert no_role.errors[0].extensions["code"] == "permission_denied"
    assert execute("{ kpis { dso { value } } }", role="viewer").errors is None


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        (
            '{ kpis(start: "2026-04-30", end: "2026-04-01") { dso { value } } }',
            "end_before_start",
            "end",
        ),
        ('{ kpis(rep: "999999") { dso { value } } }', "unknown_rep", "rep"),
        ('{ kpis(currency: "UDS") { dso { value } } }', "invalid_currency", "currency"),
        (
            "{ kpiBreakdown(key: PIPELINE_VELOCITY, groupBy: PRODUCT_LINE) { totalCount } }",
            "not_applicable",
            "group_by",
        ),
        (
            "{ kpiBreakdown(key: DSO, groupBy: REP, offset: -1) { totalCount } }",
            "invalid_offset",
            "offset",
        ),
        ("{ kpiSeriesMany(keys: []) { key } }", "required", "keys"),
    ],
)
def test_errors_carry_rest_codes(query, code, field):
    result = execute(query)
    assert result.data is None
    assert (result.errors[0].extensions["code"], result.errors[0].extensions["field"]) == (
        code,
        field,
    )


@pytest.mark.parametrize(
    "query",
    [
        '{ kpiSeries(key: "dso") { key } }',
        "{ kpiSeries(key: NOPE) { key } }",
        "{ kpiSeries(key: DSO, interval: DAY) { key } }",
        "{ kpiBreakdown(key: DSO, groupBy: PLANET) { totalCount } }",
        "{ kpis(compare: LAST_WEEK) { dso { value } } }",
    ],
)
def test_keys_intervals_dimensions_and_comparisons_are_enums(query):
    result = execute(query)

    assert result.data is None
    assert "Enum" in result.errors[0].message or "enum" in result.errors[0].message


def test_many_series_in_one_call_agree_with_rest(march, api):  # noqa: F811
    rest = api.get(
        "/api/v1/kpis/series/", {**SCOPE, "keys": "dso,cei,ar_balance", "interval": "week"}
    ).json()

    result = data(
        """query($start: Date, $end: Date) {
            kpiSeriesMany(keys: [DSO, CEI, AR_BALANCE], interval: WEEK, start: $start, end: $end) {
                key unit currency points { start end value }
            }
        }""",
        SCOPE,
    )["kpiSeriesMany"]

    assert [s["key"] for s in rest["series"]] == ["dso", "cei", "ar_balance"]
    assert [{**s, "key": s["key"].lower()} for s in result] == rest["series"]
