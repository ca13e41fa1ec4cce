"""Every write goes through its service: the same bad write refused with the same code by
REST and GraphQL (nothing stored), and the service's defaults applied by both."""

from datetime import date
from decimal import Decimal

import pytest

from receivables.models import CollectionActivity, Order
from tests.factories import CustomerFactory, InvoiceFactory, OpportunityFactory
from tests.graphql.test_mutations import mutate, snapshot

pytestmark = pytest.mark.django_db


def _rest_codes(response) -> list[tuple[str | None, str]]:
    # Each refusal here is a rule over the records named or across fields: a 422.
    assert response.status_code == 422, response.content
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def _graphql_codes(payload: dict) -> list[tuple[str | None, str]]:
    assert payload["__typename"] == "OperationInfo", payload
    return [(message["field"], message["code"]) for message in payload["messages"]]


@pytest.fixture
def two_customers(db):
    eur = CustomerFactory(name="Euro GmbH", currency="EUR")
    other = CustomerFactory(name="Other Inc")
    return eur, other, OpportunityFactory(customer=other, name="Other's deal")


def test_order_with_another_customers_opportunity_is_refused_by_both(api, gql, two_customers):
    # Given a EUR customer and an opportunity of another customer
    eur, _, opportunity = two_customers
    before = snapshot()
    body = {
        "customer": eur.pk,
        "number": "SO-X",
        "order_date": "2026-02-01",
        "amount": "10.00",
        "opportunity": opportunity.pk,
    }

    # When both APIs book an order on that opportunity
    rest = api.post("/api/v1/orders/", body, format="json")
    graphql = mutate(
        gql,
        "createOrder",
        data={"customer": eur.pk, "number": "SO-X", "orderDate": "2026-02-01",
              "amount": "10.00", "opportunity": opportunity.pk},
    )  # fmt: skip

    # Then both refuse it with the service's code, and nothing is stored
    assert _rest_codes(rest) == [("opportunity", "opportunity_customer_mismatch")]
    assert _graphql_codes(graphql) == [("opportunity", "opportunity_customer_mismatch")]
    assert snapshot() == before


def test_order_takes_the_customers_currency_on_both(api, gql, two_customers):
    # Given a EUR customer
    eur, _, _ = two_customers

    # When both APIs book an order without a currency
    rest = api.post(
        "/api/v1/orders/",
        {"customer": eur.pk, "number": "SO-R", "order_date": "2026-02-01", "amount": "10.00"},
        format="json",
    )
    mutate(
        gql,
        "createOrder",
        data={"customer": eur.pk, "number": "SO-G", "orderDate": "2026-02-01", "amount": "10.00"},
    )

    # Then both orders are in EUR
    assert rest.status_code == 201
    assert rest.json()["currency"] == "EUR"
    assert dict(Order.objects.values_list("number", "currency")) == {"SO-R": "EUR", "SO-G": "EUR"}


def test_order_update_keeps_the_opportunity_rule(api, two_customers):
    # Given an order of the EUR customer
    eur, _, opportunity = two_customers
    order = Order.objects.create(
        customer=eur, number="SO-1", order_date=date(2026, 2, 1), amount=Decimal("5.00"),
        currency="EUR",
    )  # fmt: skip
    before = snapshot()

    # When it is moved onto another customer's opportunity
    response = api.patch(
        f"/api/v1/orders/{order.pk}/", {"opportunity": opportunity.pk}, format="json"
    )

    # Then 400 with the service's code, nothing changed
    assert _rest_codes(response) == [("opportunity", "opportunity_customer_mismatch")]
    assert snapshot() == before


def test_activity_clicked_before_sent_is_refused_with_one_code(api, gql, two_customers):
    # Given a customer
    eur, _, _ = two_customers
    before = snapshot()
    sent, clicked = "2026-02-02T09:00:00Z", "2026-02-01T09:00:00Z"

    # When both APIs log a reminder clicked before it was sent
    rest = api.post(
        "/api/v1/activities/",
        {"customer": eur.pk, "kind": "reminder", "occurred_at": sent, "clicked_at": clicked},
        format="json",
    )
    graphql = mutate(
        gql,
        "createActivity",
        data={"customer": eur.pk, "kind": "reminder", "occurredAt": sent, "clickedAt": clicked},
    )

    # Then both answer the service's code on the same field, nothing stored
    assert _rest_codes(rest) == [("clicked_at", "clicked_before_occurred")]
    assert _graphql_codes(graphql) == [("clickedAt", "clicked_before_occurred")]
    assert snapshot() == before


def test_activity_update_keeps_its_rules(api, two_customers):
    # Given an activity on the EUR customer's invoice
    eur, other, _ = two_customers
    invoice = InvoiceFactory(customer=eur, number="INV-E")
    activity = CollectionActivity.objects.create(
        customer=eur, invoice=invoice, kind="email", occurred_at="2026-02-02T09:00:00Z"
    )
    before = snapshot()

    # When it is moved to another customer (the invoice stays the EUR customer's)
    response = api.patch(f"/api/v1/activities/{activity.pk}/", {"customer": other.pk})

    # Then 400 customer_mismatch, nothing changed
    assert _rest_codes(response) == [("invoice", "customer_mismatch")]
    assert snapshot() == before
