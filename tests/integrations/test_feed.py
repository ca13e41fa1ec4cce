"""GET /api/v1/events/ and GraphQL `events`: commit order, a resumable cursor, the same codes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import Event
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
D = Decimal


def invoices(count: int) -> list:
    customer = CustomerFactory()
    return [InvoiceFactory(customer=customer, amount=D("10.00")) for _ in range(count)]


def test_the_feed_pages_in_order_and_resumes_after_its_cursor(api):
    made = invoices(3)
    first = api.get("/api/v1/events/?limit=2").json()
    assert [e["object_id"] for e in first["results"]] == [str(made[0].pk), str(made[1].pk)]
    assert first["has_more"] is True
    event = Event.objects.get(object_id=str(made[0].pk))
    assert first["results"][0] == {
        "id": event.pk,
        "cursor": event.cursor,
        "type": "invoice.issued",
        "object_type": "invoice",
        "object_id": str(made[0].pk),
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "number": made[0].number,
            "customer": made[0].customer_id,
            "amount": "10.00",
            "open_amount": "10.00",
            "currency": "USD",
            "status": "open",
        },
    }
    second = api.get(f"/api/v1/events/?after={first['next_cursor']}&limit=2").json()
    assert [e["object_id"] for e in second["results"]] == [str(made[2].pk)]
    assert second["has_more"] is False
    # Nothing new: the same cursor comes back, and later events follow it.
    third = api.get(f"/api/v1/events/?after={second['next_cursor']}").json()
    assert third == {"results": [], "next_cursor": second["next_cursor"], "has_more": False}
    later = InvoiceFactory(customer=made[0].customer)
    fourth = api.get(f"/api/v1/events/?after={second['next_cursor']}").json()
    assert [e["object_id"] for e in fourth["results"]] == [str(later.pk)]


def test_the_feed_filters_by_type(api):
    (invoice,) = invoices(1)
    from receivables import services

    services.void_invoice(invoice)
    body = api.get("/api/v1/events/?type=invoice.voided,payment.posted").json()
    assert [(e["type"], e["object_id"]) for e in body["results"]] == [
        ("invoice.voided", str(invoice.pk))
    ]
    repeated = api.get("/api/v1/events/?type=invoice.voided&type=payment.posted").json()
    assert repeated["results"] == body["results"]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("after=nonsense", "invalid_cursor", "after"),
        ("type=invoice.exploded", "unknown_event_type", "type"),
        ("limit=501", "invalid_limit", "limit"),
        ("limit=x", "invalid_limit", "limit"),
    ],
)
def test_bad_feed_parameters_are_400_with_the_same_code_as_graphql(api, gql, query, code, field):
    invoices(1)
    response = api.get(f"/api/v1/events/?{query}")
    assert response.status_code == 400
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [(code, field)]
    name, value = query.split("=")
    arguments = {
        "after": f'after: "{value}"',
        "type": f'type: ["{value}"]',
        "limit": f"limit: {value if value.isdigit() else 0}",
    }[name]
    body = gql(f"{{ events({arguments}) {{ nextCursor }} }}")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code


def test_graphql_events_match_rest(api, gql):
    invoices(2)
    rest = api.get("/api/v1/events/?limit=1").json()
    body = gql(
        "{ events(limit: 1) { results { id cursor type objectType objectId data } "
        "nextCursor hasMore } }"
    )
    page = body["data"]["events"]
    assert page["nextCursor"] == rest["next_cursor"]
    assert page["hasMore"] is True
    (event,) = page["results"]
    expected = rest["results"][0]
    assert (event["id"], event["cursor"], event["type"], event["objectId"], event["data"]) == (
        str(expected["id"]),
        expected["cursor"],
        expected["type"],
        expected["object_id"],
        expected["data"],
    )
    rest_next = api.get(f"/api/v1/events/?after={rest['next_cursor']}").json()
    gql_next = gql(
        "query($after: String) { events(after: $after) { results { cursor } } }",
        {"after": rest["next_cursor"]},
    )
    assert [e["cursor"] for e in gql_next["data"]["events"]["results"]] == [
        e["cursor"] for e in rest_next["results"]
    ]


def test_the_feed_needs_a_role(make_client):
    assert make_client().get("/api/v1/events/").status_code == 401
    assert make_client("viewer").get("/api/v1/events/").status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_a_feed_page_costs_the_same_queries_at_any_size(api, size):
    invoices(size)
    api.get("/api/v1/events/?limit=1")  # warm the permission cache of the token
    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"/api/v1/events/?limit={size}").json()
    assert len(body["results"]) == size
    # token + user permissions (2), the horizon on PostgreSQL (1), the page (1)
    expected = 4 if connection.vendor == "postgresql" else 3
    assert len(queries) == expected
