"""REST and the /graphql/ endpoint agree for every KPI key (runs once the project schema
`o2c_api.schema` — the GraphQL branch — is merged; skipped before)."""

import pytest
from strawberry.utils.str_converters import to_camel_case

from metrics.definitions import KEYS
from tests.metrics.test_ar_kpis import march  # noqa: F401 - fixture
from tests.metrics.test_graphql import as_rest, lower_statuses

pytest.importorskip("o2c_api.schema")

pytestmark = pytest.mark.django_db

SCOPE = {"start": "2026-03-01", "end": "2026-03-31"}


def graphql(client, query: str, variables: dict) -> dict:
    response = client.post("/graphql/", {"query": query, "variables": variables}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


@pytest.mark.parametrize("key", KEYS)
def test_rest_and_graphql_agree(make_client, march, key):  # noqa: F811
    client = make_client("viewer")
    field = to_camel_case(key)
    data = graphql(
        client,
        f"""query($start: Date, $end: Date, $key: KpiKey!) {{
            kpis(start: $start, end: $end) {{
                {field} {{ value previous change status previousStatus unit currency better }}
            }}
            kpiSeries(key: $key, interval: WEEK, start: $start, end: $end) {{
                points {{ start end value }}
            }}
            kpiBreakdown(key: $key, groupBy: SEGMENT, start: $start, end: $end) {{
                results {{ group {{ id name }} value previous change status }}
            }}
        }}""",
        {**SCOPE, "key": key.upper()},
    )

    summary = client.get("/api/v1/kpis/", SCOPE).json()
    assert as_rest(data["kpis"][field]) == summary["kpis"][key]
    series = client.get(f"/api/v1/kpis/{key}/series/", {**SCOPE, "interval": "week"}).json()
    assert data["kpiSeries"]["points"] == series["points"]
    breakdown = client.get(
        f"/api/v1/kpis/{key}/breakdown/", {**SCOPE, "group_by": "segment"}
    ).json()
    assert [lower_statuses(row) for row in data["kpiBreakdown"]["results"]] == breakdown["results"]


def test_graphql_kpis_need_a_role(make_client):
    body = (
        make_client(None)
        .post("/graphql/", {"query": "{ kpiGlossary { key } }"}, format="json")
        .json()
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "not_authenticated"
