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
    f"{to_camel_case(key)} {{ value previous change status unit better }}" for key in KEYS
)


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
            scope {{ start end currency }}
            previousScope {{ start end }}
        }}
    }}"""

    result = data(query, SCOPE)["kpis"]

    for key in KEYS:
        assert result[to_camel_case(key)] == rest["kpis"][key], key
    assert result["whatChanged"] == rest["what_changed"]
    assert result["previousScope"] == {
        "start": rest["previous_scope"]["start"],
        "end": rest["previous_scope"]["end"],
    }
    assert result["dso"]["value"] == 23.25


@pytest.mark.parametrize("key", KEYS)
def test_series_and_breakdown_agree_with_rest(march, api, key):  # noqa: F811
    rest_series = api.get(f"/api/v1/kpis/{key}/series/", {**SCOPE, "interval": "week"}).json()
    series = data(
        """query($key: String!, $start: Date, $end: Date) {
            kpiSeries(key: $key, interval: "week", start: $start, end: $end) {
                key interval unit points { start end value }
            }
        }""",
        {"key": key, **SCOPE},
    )["kpiSeries"]
    assert series["points"] == rest_series["points"]
    assert (series["key"], series["unit"]) == (rest_series["key"], rest_series["unit"])

    rest_breakdown = api.get(f"/api/v1/kpis/{key}/breakdown/", {**SCOPE, "group_by": "rep"}).json()
    breakdown = data(
        """query($key: String!, $start: Date, $end: Date) {
            kpiBreakdown(key: $key, groupBy: "rep", start: $start, end: $end) {
                rows { group { id name } value status }
            }
        }""",
        {"key": key, **SCOPE},
    )["kpiBreakdown"]
    assert breakdown["rows"] == rest_breakdown["rows"]


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
    assert result["aging"]["total"] == aging["total"] == 2100.0
    assert [b["amount"] for b in result["aging"]["buckets"]] == [
        b["amount"] for b in aging["buckets"]
    ]
    assert [b["invoiceCount"] for b in result["aging"]["buckets"]] == [
        b["invoice_count"] for b in aging["buckets"]
    ]
    funnel = api.get("/api/v1/kpis/reminder-funnel/", SCOPE).json()
    assert result["reminderFunnel"]["conversionRate"] == funnel["conversion_rate"]
    glossary = api.get("/api/v1/kpis/glossary/").json()
    assert [entry["key"] for entry in result["kpiGlossary"]] == [e["key"] for e in glossary]
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
        ('{ kpiSeries(key: "nope") { key } }', "unknown_kpi", "key"),
        ('{ kpiSeries(key: "dso", interval: "day") { key } }', "invalid_interval", "interval"),
        ('{ kpiBreakdown(key: "dso", groupBy: "planet") { key } }', "invalid_group_by", "group_by"),
    ],
)
def test_errors_carry_rest_codes(query, code, field):
    result = execute(query)
    assert result.data is None
    assert (result.errors[0].extensions["code"], result.errors[0].extensions["field"]) == (
        code,
        field,
    )
