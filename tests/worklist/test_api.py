"""REST and GraphQL: same numbers, same error codes, roles, pages, fixed query counts."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CustomerFactory

from .conftest import AS_OF, invoice

FACTOR_FIELDS = "factor label value points"
WORKLIST_QUERY = f"""query($asOf: Date, $rep: ID, $noActivityDays: Int, $limit: Int,
    $offset: Int) {{
  worklist(asOf: $asOf, rep: $rep, noActivityDays: $noActivityDays, limit: $limit,
           offset: $offset) {{
    totalCount asOf noActivityDays
    model {{ source intercept weights }}
    results {{
      invoice invoiceNumber customer customerName rep repName currency dueDate openAmount
      daysPastDue score cashAtRisk topFactors {{ {FACTOR_FIELDS} }}
      lastActivity {{ kind outcome occurredAt daysAgo }}
      openPromise {{ id amount promisedDate }}
      openDispute {{ id reason amount openedDate }}
      action reason
    }}
  }}
}}"""
RISK_QUERY = f"""query($asOf: Date, $limit: Int, $offset: Int, $currency: String) {{
  risk(asOf: $asOf, limit: $limit, offset: $offset, currency: $currency) {{
    totalCount asOf
    results {{ invoice invoiceNumber customer customerName dueDate openAmount daysPastDue
               score base factors {{ {FACTOR_FIELDS} }} }}
  }}
}}"""


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def camel(rest_row: dict, renames: dict) -> dict:
    return {renames.get(key, key): value for key, value in rest_row.items()}


def as_rest(item: dict) -> dict:
    """A GraphQL worklist line in REST's field names and id types."""
    promise, dispute, activity = item["openPromise"], item["openDispute"], item["lastActivity"]
    return {
        "invoice": int(item["invoice"]),
        "invoice_number": item["invoiceNumber"],
        "customer": int(item["customer"]),
        "customer_name": item["customerName"],
        "rep": None if item["rep"] is None else int(item["rep"]),
        "rep_name": item["repName"],
        "currency": item["currency"],
        "due_date": item["dueDate"],
        "open_amount": item["openAmount"],
        "days_past_due": item["daysPastDue"],
        "score": item["score"],
        "cash_at_risk": item["cashAtRisk"],
        "top_factors": item["topFactors"],
        "last_activity": None
        if activity is None
        else {
            "kind": activity["kind"],
            "outcome": activity["outcome"],
            "occurred_at": moment(activity["occurredAt"]),
            "days_ago": activity["daysAgo"],
        },
        "open_promise": None
        if promise is None
        else {
            "id": int(promise["id"]),
            "amount": promise["amount"],
            "promised_date": promise["promisedDate"],
        },
        "open_dispute": None
        if dispute is None
        else {
            "id": int(dispute["id"]),
            "reason": dispute["reason"],
            "amount": dispute["amount"],
            "opened_date": dispute["openedDate"],
        },
        "action": item["action"],
        "reason": item["reason"],
    }


def test_worklist_rest_and_graphql_agree(history, make_client, gql):
    rest = make_client("viewer").get("/api/v1/worklist/", {"as_of": AS_OF.isoformat(), "limit": 2})
    assert rest.status_code == 200
    body = rest.json()
    assert body["count"] == 3
    assert body["next"].endswith("limit=2&offset=2") or "offset=2" in body["next"]
    assert body["previous"] is None
    assert body["model"]["source"] == "default"
    assert [(r["invoice_number"], r["score"], r["cash_at_risk"]) for r in body["results"]] == [
        ("A-5", 97.5, "487.50"),
        ("A-4", 92.5, "370.00"),
    ]

    result = gql(WORKLIST_QUERY, {"asOf": AS_OF.isoformat(), "limit": 2})
    assert "errors" not in result, result
    page = result["data"]["worklist"]
    assert page["totalCount"] == 3
    for row in body["results"]:
        if row["last_activity"]:  # REST writes UTC as Z, GraphQL as +00:00: same moment
            row["last_activity"]["occurred_at"] = moment(row["last_activity"]["occurred_at"])
    assert [as_rest(item) for item in page["results"]] == body["results"]
    assert page["model"]["weights"] == body["model"]["weights"]


def test_risk_rest_and_graphql_agree(history, make_client, gql):
    rest = make_client("viewer").get("/api/v1/risk/", {"as_of": AS_OF.isoformat()}).json()
    page = gql(RISK_QUERY, {"asOf": AS_OF.isoformat()})["data"]["risk"]
    assert page["totalCount"] == rest["count"] == 3
    renames = {
        "invoiceNumber": "invoice_number",
        "customerName": "customer_name",
        "dueDate": "due_date",
        "openAmount": "open_amount",
        "daysPastDue": "days_past_due",
    }
    converted = [
        {**camel(r, renames), "invoice": int(r["invoice"]), "customer": int(r["customer"])}
        for r in page["results"]
    ]
    assert converted == rest["results"]
    assert rest["results"][0]["factors"][0] == {
        "factor": "late_history",
        "label": "Late payments",
        "value": 0.75,
        "points": 34.1,
    }


@pytest.mark.parametrize(
    ("params", "variables", "code", "field"),
    [
        ({"as_of": "2026-13-01"}, {"asOf": None}, "invalid_date", "as_of"),
        ({"rep": "999999"}, {"rep": "999999"}, "unknown_rep", "rep"),
        ({"no_activity_days": "x"}, {"noActivityDays": -1}, "invalid_no_activity_days", None),
        ({"limit": "0"}, {"limit": 0}, "invalid_limit", "limit"),
        ({"offset": "-1"}, {"offset": -1}, "invalid_offset", "offset"),
    ],
)
def test_errors_have_the_same_codes(history, make_client, gql, params, variables, code, field):
    response = make_client("viewer").get("/api/v1/worklist/", params)
    # A rep that does not exist is refused for what is stored (422), the rest as malformed.
    assert response.status_code == (422 if code == "unknown_rep" else 400)
    assert response.json()["errors"][0]["code"] == code
    if variables.get("asOf", "") is None:
        return  # a malformed Date is refused by GraphQL's own parser
    result = gql(WORKLIST_QUERY, variables)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == code


def test_graphql_invalid_date_is_refused(history, gql):
    result = gql(WORKLIST_QUERY, {"asOf": "2026-13-01"})
    assert result["errors"]


def test_roles(history, make_client, gql):
    assert make_client(None).get("/api/v1/worklist/").status_code == 401
    assert make_client("viewer").get("/api/v1/risk/backtest/").status_code == 200
    anonymous = gql(WORKLIST_QUERY, {}, role=None)
    assert anonymous["errors"][0]["extensions"]["code"] == "not_authenticated"


def test_limit_is_clamped_to_500(history, make_client):
    body = make_client("viewer").get("/api/v1/risk/", {"limit": 900, "as_of": "2026-06-30"})
    assert body.status_code == 200
    assert len(body.json()["results"]) == 3


def add_invoices(n: int) -> None:
    customer = CustomerFactory()
    for i in range(n):
        issue = date(2026, 5, 1) + timedelta(days=i % 40)
        invoice(customer, f"Q-{n}-{i}", 100 + i, issue, issue + timedelta(days=30))


@pytest.mark.parametrize("path", ["/api/v1/worklist/", "/api/v1/risk/"])
def test_query_count_is_fixed(db, make_client, path):
    client = make_client("viewer")
    counts = []
    for n in (3, 30):
        add_invoices(n)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, {"as_of": AS_OF.isoformat(), "limit": 500})
        assert response.status_code == 200
        assert response.json()["count"] >= n
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_graphql_query_count_is_fixed(db, gql):
    gql(WORKLIST_QUERY, {"asOf": AS_OF.isoformat()})  # the client and its user, first
    counts = []
    for n in (3, 30):
        add_invoices(n)
        with CaptureQueriesContext(connection) as captured:
            result = gql(WORKLIST_QUERY, {"asOf": AS_OF.isoformat(), "limit": 500})
        assert "errors" not in result
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
