"""REST and GraphQL read the same things: every REST list has a GraphQL filter case, and the
detail reads of invoices and payments agree field by field on the sample ledger."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.api.urls import router as accounts_router
from receivables.api.urls import router as receivables_router
from receivables.models import Invoice
from tests.factories import InvoiceFactory
from tests.graphql.test_filters import CASES, REST_ROUTES, graphql_ids

pytestmark = pytest.mark.django_db

INVOICE = """query($id: ID!) { invoice(id: $id) {
  id number amount currency status openAmount paidDate voidedDate issueDate dueDate productLine
  daysPastDue hasOpenDispute latestPromiseStatus
  customer { id name segment { id name } } rep { id name } order { id }
} }"""
PAYMENT = """query($id: ID!) { payment(id: $id) {
  id amount currency receivedDate method reference externalId appliedAmount unappliedAmount
  customer { id name externalId rep { id } segment { id } }
  applications { results { id invoice { id number } amount appliedDate automatic } }
} }"""


def rest_list_routes() -> set[str]:
    return {
        prefix
        for router in (accounts_router, receivables_router)
        for prefix, viewset, _ in router.registry
        if hasattr(viewset, "list")
    }


def test_every_rest_list_has_a_graphql_side_by_side_case():
    covered = {REST_ROUTES[case[1]] for case in CASES if case[5] is not None}

    assert rest_list_routes() - covered == set()


def invoice_from_graphql(node: dict) -> dict:
    customer, segment, rep = node["customer"], node["customer"]["segment"], node["rep"]
    return {
        "id": int(node["id"]),
        "number": node["number"],
        "customer": int(customer["id"]),
        "customer_name": customer["name"],
        "order": int(node["order"]["id"]) if node["order"] else None,
        "rep": int(rep["id"]) if rep else None,
        "rep_name": rep["name"] if rep else None,
        "segment": int(segment["id"]) if segment else None,
        "segment_name": segment["name"] if segment else None,
        "product_line": node["productLine"],
        "issue_date": node["issueDate"],
        "due_date": node["dueDate"],
        "amount": node["amount"],
        "currency": node["currency"],
        "status": node["status"],
        "open_amount": node["openAmount"],
        "paid_date": node["paidDate"],
        "voided_date": node["voidedDate"],
        "days_past_due": node["daysPastDue"],
        "has_open_dispute": node["hasOpenDispute"],
        "latest_promise_status": node["latestPromiseStatus"],
    }


@pytest.mark.parametrize("name", ["inv_a", "inv_b", "inv_c", "inv_d", "inv_e"])
def test_invoice_detail_agrees_field_by_field(gql, api, sample, name):
    # Given one invoice of each kind: past due and disputed, paid, not yet due, draft, written off
    invoice = getattr(sample, name)

    # When REST and GraphQL read it
    rest = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    node = gql(INVOICE, {"id": str(invoice.pk)})["data"]["invoice"]

    # Then every field REST shows is the same in GraphQL
    graphql = invoice_from_graphql(node)
    assert {key: rest[key] for key in graphql} == graphql


def test_invoice_detail_exact_values(gql, sample):
    node = gql(INVOICE, {"id": str(sample.inv_a.pk)})["data"]["invoice"]

    assert {
        key: node[key]
        for key in (
            "openAmount",
            "paidDate",
            "status",
            "daysPastDue",
            "hasOpenDispute",
            "latestPromiseStatus",
        )
    } == {
        "openAmount": "90.00",
        "paidDate": None,
        "status": "open",
        "daysPastDue": 29,
        "hasOpenDispute": True,
        "latestPromiseStatus": "broken",
    }


def test_days_past_due_agrees_with_the_open_and_past_due_filters(gql, api, sample):
    """Null exactly for invoices the `open` filter leaves out; > 0 exactly for `past_due`."""
    open_ids = set(graphql_ids(gql, "invoices", {"open": True}))
    past_due_ids = set(graphql_ids(gql, "invoices", {"pastDue": True}))
    rows = api.get("/api/v1/invoices/", {"limit": 500}).json()["results"]
    answer = gql("{ invoices(pagination: {limit: 500}) { results { id daysPastDue } } }")
    graphql_days = {int(r["id"]): r["daysPastDue"] for r in answer["data"]["invoices"]["results"]}

    rest_days = {row["id"]: row["days_past_due"] for row in rows}
    assert rest_days == graphql_days
    assert {pk for pk, days in rest_days.items() if days is not None} == open_ids
    assert {pk for pk, days in rest_days.items() if days} == past_due_ids
    assert rest_days == {
        sample.inv_a.pk: 29,
        sample.inv_b.pk: None,
        sample.inv_c.pk: 0,
        sample.inv_d.pk: None,
        sample.inv_e.pk: None,
    }


def test_invoice_collection_state_costs_no_query_per_row(gql, sample):
    query = "{ invoices(pagination: {limit: 500}) { results { hasOpenDispute latestPromiseStatus daysPastDue } } }"  # noqa: E501
    gql(query)  # the first request also creates the client's user and token
    with CaptureQueriesContext(connection) as five:
        gql(query)
    for number in range(20):
        InvoiceFactory(customer=sample.c1, number=f"X-{number}", status=Invoice.Status.DRAFT)
    with CaptureQueriesContext(connection) as twenty_five:
        answer = gql(query)

    assert len(answer["data"]["invoices"]["results"]) == 25
    assert len(twenty_five) == len(five)


def payment_from_graphql(node: dict) -> dict:
    customer = node["customer"]
    return {
        "id": int(node["id"]),
        "customer": int(customer["id"]),
        "customer_name": customer["name"],
        "customer_external_id": customer["externalId"],
        "rep": int(customer["rep"]["id"]) if customer["rep"] else None,
        "segment": int(customer["segment"]["id"]) if customer["segment"] else None,
        "amount": node["amount"],
        "currency": node["currency"],
        "received_date": node["receivedDate"],
        "method": node["method"],
        "reference": node["reference"],
        "external_id": node["externalId"],
        "applied_amount": node["appliedAmount"],
        "unapplied_amount": node["unappliedAmount"],
        "applications": sorted(
            (int(a["id"]), int(a["invoice"]["id"]), a["invoice"]["number"], a["amount"],
             a["appliedDate"], a["automatic"])
            for a in node["applications"]["results"]
        ),
    }  # fmt: skip


@pytest.mark.parametrize("name", ["p1", "p2"])
def test_payment_detail_agrees_field_by_field(gql, api, sample, name):
    payment = getattr(sample, name)

    rest = api.get(f"/api/v1/payments/{payment.pk}/").json()
    node = gql(PAYMENT, {"id": str(payment.pk)})["data"]["payment"]

    graphql = payment_from_graphql(node)
    rest["applications"] = sorted(
        (a["id"], a["invoice"], a["invoice_number"], a["amount"], a["applied_date"], a["automatic"])
        for a in rest["applications"]
    )
    assert {key: rest[key] for key in graphql} == graphql


def test_payment_amounts_exact(gql, sample):
    node = gql(PAYMENT, {"id": str(sample.p2.pk)})["data"]["payment"]

    assert (node["amount"], node["appliedAmount"], node["unappliedAmount"]) == (
        "80.00",
        "50.00",
        "30.00",
    )
