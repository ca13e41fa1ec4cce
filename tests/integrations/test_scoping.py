"""The event feed and webhooks of a user limited to their customers (accounts.scoping).

An event carries the customer it is about (set when recorded, `integrations.events`); a scoped
user's feed (REST and GraphQL) holds only their customers' events, with the same cursor
guarantees; events of no customer (`kpi.status_changed`, a report over every customer) are not
shown to them. A scoped user sees and changes only the webhook subscriptions they created,
which deliver only their customers' events, and only those deliveries.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import services as accounts_services
from accounts.models import CustomerAssignment
from accounts.scoping import SCOPED_GROUP
from integrations import events, webhooks
from integrations.models import Event, EventType, WebhookDelivery, WebhookSubscription
from receivables import services
from tests.api.conftest import snapshot
from tests.api.test_scoping import books, customer_book  # noqa: F401 (fixtures)
from tests.factories import ActivityFactory, CustomerFactory, InvoiceFactory, UserFactory
from tests.tokens import token_for

pytestmark = pytest.mark.django_db
D = Decimal


def kpi_event() -> None:
    events.record(EventType.KPI_STATUS_CHANGED, ("kpi", "dso"), {"from": "green", "to": "red"})


@pytest.fixture
def users(books):  # noqa: F811
    """An admin-role user limited to the "assigned" customer, and one who sees all."""
    scoped = UserFactory(username="scoped-admin", role="admin")
    scoped.groups.add(Group.objects.get(name=SCOPED_GROUP))
    CustomerAssignment.objects.create(user=scoped, customer=books["assigned"].customer)
    return {"scoped": scoped, "all": UserFactory(username="all-admin", role="admin")}


@pytest.fixture
def rest(users):
    clients = {}
    for name, user in users.items():
        clients[name] = APIClient()
        clients[name].credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return clients


@pytest.fixture
def graphql(rest):
    def run(who: str, query: str, variables: dict | None = None) -> dict:
        response = rest[who].post(
            "/graphql/", {"query": query, "variables": variables or {}}, format="json"
        )
        assert response.status_code == 200, response.content[:300]
        return response.json()

    return run


def feed(client, **params) -> list[dict]:
    response = client.get("/api/v1/events/", {"limit": 500, **params})
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


def event_ids(customer) -> list[int]:
    return list(
        Event.objects.filter(customer=customer).order_by("txid", "id").values_list("pk", flat=True)
    )


# --- Every event names its customer ---------------------------------------------------------


def test_every_kind_of_event_records_its_customer(check_rollup):
    """One customer's whole life (the books fixture's writes, then reversals, tombstones and
    promise outcomes): every event but the KPI's names that customer."""
    customer = accounts_services.create_customer(name="Only", currency="USD")
    book = customer_book(customer)
    accounts_services.update_customer(customer, credit_limit=D("900.00"))
    invoice, payment = book.rows["invoice"], book.rows["payment"]
    draft = InvoiceFactory(customer=customer, status="draft")
    services.unapply(book.rows["application"])
    services.resolve_dispute(
        book.rows["dispute"], resolution="upheld", resolved_date=date(2026, 1, 25)
    )
    services.delete_invoice(draft)
    services.delete_activity(ActivityFactory(customer=customer, invoice=invoice))
    services.refresh_promise_statuses(as_of=date(2026, 3, 1))
    services.apply_payment(payment, invoice, D("5.00"))
    kpi_event()

    by_type = {}
    for event_type, customer_id in Event.objects.values_list("type", "customer"):
        by_type.setdefault(event_type, set()).add(customer_id)

    assert by_type.pop(EventType.KPI_STATUS_CHANGED) == {None}
    assert set(by_type) >= {
        "customer.created", "customer.changed", "invoice.issued", "invoice.credited",
        "payment.posted", "payment.applied", "payment.unapplied", "dispute.opened",
        "dispute.resolved", "promise.made", "promise.broken", "credit_hold.placed",
        "record.deleted",
    }  # fmt: skip
    assert {t: ids for t, ids in by_type.items() if ids != {customer.pk}} == {}
    check_rollup()


def test_a_batch_of_events_costs_one_query_per_kind_of_object_not_per_event():
    customer = CustomerFactory()
    disputes = [
        services.open_dispute(
            InvoiceFactory(customer=customer),
            reason="pricing",
            amount=D("1.00"),
            opened_date=date(2026, 1, 5),
        )
        for _ in range(5)
    ]
    # Fetched without their invoices: the customer is found through them, once for all.
    fetched = list(type(disputes[0]).objects.filter(pk__in=[d.pk for d in disputes]))

    with CaptureQueriesContext(connection) as queries:
        events.record_many([(EventType.DISPUTE_RESOLVED, d, {}) for d in fetched])

    assert len(queries) == 2  # the disputes' customers, the INSERT
    assert set(
        Event.objects.filter(type="dispute.resolved").values_list("customer", flat=True)
    ) == {customer.pk}


def test_a_promise_carries_its_customer_to_its_events():
    customer = CustomerFactory()
    promise = services.create_promise(
        InvoiceFactory(customer=customer),
        promised_date=date(2026, 2, 1),
        amount=D("1.00"),
        created_date=date(2026, 1, 5),
    )
    fetched = type(promise).objects.get(pk=promise.pk)

    with CaptureQueriesContext(connection) as queries:
        events.record_many([(EventType.PROMISE_KEPT, fetched, {})])

    assert len(queries) == 1  # the INSERT: the promise's row names its customer
    assert Event.objects.get(type="promise.kept").customer_id == customer.pk


# --- The feed --------------------------------------------------------------------------------


def test_the_feed_holds_only_the_scoped_users_customers_events(rest, books):  # noqa: F811
    kpi_event()
    mine = event_ids(books["assigned"].customer)

    scoped = feed(rest["scoped"])
    everything = feed(rest["all"])

    assert [e["id"] for e in scoped] == mine
    assert len(mine) >= 8
    assert [e["id"] for e in everything] == list(
        Event.objects.order_by("txid", "id").values_list("pk", flat=True)
    )
    assert "kpi.status_changed" in {e["type"] for e in everything}
    assert "kpi.status_changed" not in {e["type"] for e in scoped}


def test_a_scoped_reader_pages_through_their_events_once_each_in_order(rest, books):  # noqa: F811
    mine = event_ids(books["assigned"].customer)
    got, cursor = [], ""
    for _ in range(50):
        page = rest["scoped"].get("/api/v1/events/", {"limit": 2, "after": cursor}).json()
        got += [e["id"] for e in page["results"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    # New events of both customers: the scoped reader resumes with only theirs.
    later_mine = InvoiceFactory(customer=books["assigned"].customer)
    InvoiceFactory(customer=books["theirs"].customer)
    resumed = rest["scoped"].get("/api/v1/events/", {"after": cursor}).json()

    assert got == mine
    assert [e["object_id"] for e in resumed["results"]] == [str(later_mine.pk)]
    assert resumed["has_more"] is False


def test_graphql_events_are_narrowed_the_same_way(graphql, books):  # noqa: F811
    kpi_event()
    query = "{ events(limit: 500) { results { id type } nextCursor } }"

    scoped = graphql("scoped", query)["data"]["events"]["results"]
    everything = graphql("all", query)["data"]["events"]["results"]

    assert [int(e["id"]) for e in scoped] == event_ids(books["assigned"].customer)
    assert len(everything) == Event.objects.count()


@pytest.mark.parametrize("size", [1, 6])
def test_the_scoped_feed_costs_the_same_queries_at_two_sizes(rest, books, size):  # noqa: F811
    for _ in range(size):
        InvoiceFactory(customer=books["assigned"].customer)
        InvoiceFactory(customer=books["theirs"].customer)
    feed(rest["scoped"])

    with CaptureQueriesContext(connection) as queries:
        results = feed(rest["scoped"])

    assert len(results) == len(event_ids(books["assigned"].customer))
    # token, permissions, the page (with the scope as a subquery), and the horizon on PG
    assert len(queries) == (4 if connection.vendor == "postgresql" else 3)


# --- Webhooks --------------------------------------------------------------------------------


def create_subscription(client, url: str) -> int:
    response = client.post("/api/v1/webhook-subscriptions/", {"url": url}, format="json")
    assert response.status_code == 201, response.content[:300]
    return response.json()["id"]


@pytest.fixture
def subscriptions(rest, books):  # noqa: F811
    """One subscription created by each user, then every event of the books dispatched."""
    kpi_event()
    made = {
        who: create_subscription(rest[who], f"https://{who}.example.com/hook")
        for who in ("scoped", "all")
    }
    webhooks.dispatch()
    return made


def test_a_subscription_records_who_created_it(subscriptions, users):
    assert WebhookSubscription.objects.get(pk=subscriptions["scoped"]).owner == users["scoped"]
    assert WebhookSubscription.objects.get(pk=subscriptions["all"]).owner == users["all"]


def test_a_scoped_users_subscription_delivers_only_their_customers_events(subscriptions, books):  # noqa: F811
    def delivered(who):
        return sorted(
            WebhookDelivery.objects.filter(subscription=subscriptions[who]).values_list(
                "event", flat=True
            )
        )

    assert delivered("scoped") == sorted(event_ids(books["assigned"].customer))
    assert delivered("all") == sorted(Event.objects.values_list("pk", flat=True))


def test_later_events_follow_the_users_customers_at_each_dispatch(subscriptions, books):  # noqa: F811
    mine = InvoiceFactory(customer=books["assigned"].customer)
    InvoiceFactory(customer=books["theirs"].customer)

    webhooks.dispatch()

    new = WebhookDelivery.objects.filter(
        subscription=subscriptions["scoped"], event__object_id=str(mine.pk)
    )
    assert new.count() == 1
    assert WebhookDelivery.objects.filter(subscription=subscriptions["scoped"]).count() == len(
        event_ids(books["assigned"].customer)
    )


def test_scoped_users_see_and_change_only_their_subscriptions(rest, subscriptions):
    url = "/api/v1/webhook-subscriptions/"
    before = snapshot(), list(WebhookSubscription.objects.values())

    listed = rest["scoped"].get(url).json()["results"]
    other = rest["scoped"].get(f"{url}{subscriptions['all']}/")
    changed = rest["scoped"].patch(
        f"{url}{subscriptions['all']}/", {"url": "https://evil.example.com/"}, format="json"
    )
    deleted = rest["scoped"].delete(f"{url}{subscriptions['all']}/")

    assert [s["id"] for s in listed] == [subscriptions["scoped"]]
    assert (other.status_code, changed.status_code, deleted.status_code) == (404, 404, 404)
    assert (snapshot(), list(WebhookSubscription.objects.values())) == before
    assert {s["id"] for s in rest["all"].get(url).json()["results"]} == set(subscriptions.values())


def test_scoped_users_see_and_redeliver_only_their_deliveries(rest, subscriptions, books):  # noqa: F811
    url = "/api/v1/webhook-deliveries/"
    theirs = WebhookDelivery.objects.filter(subscription=subscriptions["all"]).first()
    before = list(WebhookDelivery.objects.order_by("pk").values())

    listed = rest["scoped"].get(url, {"limit": 500}).json()["results"]
    other = rest["scoped"].get(f"{url}{theirs.pk}/")
    redelivered = rest["scoped"].post(f"{url}{theirs.pk}/redeliver/", {}, format="json")

    assert sorted(d["event"] for d in listed) == sorted(event_ids(books["assigned"].customer))
    assert {d["subscription"] for d in listed} == {subscriptions["scoped"]}
    assert (other.status_code, redelivered.status_code) == (404, 404)
    assert list(WebhookDelivery.objects.order_by("pk").values()) == before
    assert rest["all"].get(url).json()["count"] == WebhookDelivery.objects.count()


def test_graphql_subscriptions_and_deliveries_are_narrowed(graphql, subscriptions, books):  # noqa: F811
    query = """{ webhookSubscriptions { results { id } }
        webhookDeliveries(pagination: {limit: 500}) { totalCount results { event { id } } } }"""

    scoped = graphql("scoped", query)["data"]
    everything = graphql("all", query)["data"]

    assert scoped["webhookSubscriptions"]["results"] == [{"id": str(subscriptions["scoped"])}]
    assert sorted(int(d["event"]["id"]) for d in scoped["webhookDeliveries"]["results"]) == sorted(
        event_ids(books["assigned"].customer)
    )
    assert everything["webhookDeliveries"]["totalCount"] == WebhookDelivery.objects.count()
    assert len(everything["webhookSubscriptions"]["results"]) == 2


def test_graphql_mutations_on_another_users_subscription_are_not_found(graphql, subscriptions):
    theirs = WebhookDelivery.objects.filter(subscription=subscriptions["all"]).first()
    before = list(WebhookSubscription.objects.values()), list(WebhookDelivery.objects.values())
    update = """mutation($id: ID!) {
        updateWebhookSubscription(id: $id, data: {url: "https://evil.example.com/"}) {
        ... on OperationInfo { messages { code } } ... on WebhookSubscriptionType { id } } }"""
    redeliver = """mutation($id: ID!) { redeliverWebhook(id: $id) {
        ... on OperationInfo { messages { code } } ... on WebhookDeliveryType { id } } }"""

    updated = graphql("scoped", update, {"id": subscriptions["all"]})
    redelivered = graphql("scoped", redeliver, {"id": theirs.pk})

    assert updated["data"]["updateWebhookSubscription"] == {"messages": [{"code": "not_found"}]}
    assert redelivered["data"]["redeliverWebhook"] == {"messages": [{"code": "not_found"}]}
    assert (
        list(WebhookSubscription.objects.values()),
        list(WebhookDelivery.objects.values()),
    ) == before
    mine = graphql("scoped", update.replace("evil", "mine"), {"id": subscriptions["scoped"]})
    assert mine["data"]["updateWebhookSubscription"] == {"id": str(subscriptions["scoped"])}


def test_a_subscription_created_in_graphql_records_its_owner(graphql, users):
    query = """mutation { createWebhookSubscription(data: {url: "https://g.example.com/"}) {
        ... on CreatedWebhookSubscription { id } } }"""

    created = graphql("scoped", query)["data"]["createWebhookSubscription"]

    assert WebhookSubscription.objects.get(pk=created["id"]).owner == users["scoped"]
