"""Object-level scoping (accounts.scoping): roles × scoped/unscoped × every REST route.

The routes come from the URLconf: every route under /api/v1/ is either a customer-scoped
resource (its viewset narrows its queryset, tested here list, detail, CSV and detail actions),
a report narrowed to a scoped user's customers (`CanViewScopedKPIs`: the KPIs, the outlook,
the dunning reports, the risk list and the worklist), a report over every customer
(`CanViewKPIs`, the risk backtest: refused to a scoped user), or named in `UNSCOPED` with
the reason it holds no customer's data. A new route that is none of these fails
`test_every_route_is_classified`.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import URLResolver, get_resolver

from accounts.models import CustomerAssignment
from accounts.scoping import SCOPED_GROUP
from dunning import services as dunning
from dunning.models import MessageTemplate, PlaybookAction, PlaybookStep
from o2c_api.api.csvexport import CSVListMixin
from o2c_api.api.permissions import CanViewKPIs, CanViewScopedKPIs
from o2c_api.api.scoping import CustomerScopedMixin
from receivables import services
from tests.api.conftest import snapshot
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    OrderFactory,
    PaymentFactory,
    SalesRepFactory,
    UserFactory,
)
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

ROLES = ("viewer", "collector", "integration", "admin")

# Routes that hold no customer's data, and why: readable by every role, scoped or not.
UNSCOPED = {
    "api-root": "the list of resources",
    "segment-list": "segments are not customer data",
    "segment-detail": "segments are not customer data",
    "rep-list": "sales reps are not customer data",
    "rep-detail": "sales reps are not customer data",
    "annotation-list": "dashboard notes on KPIs, by rep/segment",
    "annotation-detail": "dashboard notes on KPIs, by rep/segment",
    "huddle-action-list": "huddle to-dos, not tied to a customer",
    "huddle-action-detail": "huddle to-dos, not tied to a customer",
    "huddle-action-complete": "huddle to-dos, not tied to a customer",
    "message-template-list": "dunning templates",
    "message-template-detail": "dunning templates",
    "playbook-step-list": "dunning playbook configuration",
    "playbook-step-detail": "dunning playbook configuration",
    "credit-hold-rule-list": "credit-hold rule configuration",
    "credit-hold-rule-detail": "credit-hold rule configuration",
}

# Customer-scoped routes that are not one row's list, detail or action, and their tests.
SCOPED_OTHERWISE = {
    "payment-bulk": "test_a_bulk_post_refuses_only_the_items_of_other_customers (+ atomic)",
    "credit-hold-evaluate": "test_credit_hold_evaluation_reaches_only_the_users_customers",
    "event-feed": "tests/integrations/test_scoping.py (the feed holds their customers' events)",
    "webhook-subscription-list": "tests/integrations/test_scoping.py (their subscriptions)",
    "webhook-subscription-detail": "tests/integrations/test_scoping.py (their subscriptions)",
    "webhook-delivery-list": "tests/integrations/test_scoping.py (their deliveries)",
    "webhook-delivery-detail": "tests/integrations/test_scoping.py (their deliveries)",
    "webhook-delivery-redeliver": "tests/integrations/test_scoping.py (their deliveries)",
}


def api_routes() -> dict[str, type]:
    """Every named route under /api/v1/ with its view class, from the URLconf."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif (prefix + str(pattern.pattern)).startswith("api/v1/") and pattern.name:
                yield pattern.name, pattern.callback.cls

    return dict(walk(get_resolver().url_patterns))


ROUTES = api_routes()
SCOPED = {name: cls for name, cls in ROUTES.items() if issubclass(cls, CustomerScopedMixin)}
REPORTS = {
    name: cls
    for name, cls in ROUTES.items()
    if name not in SCOPED and CanViewKPIs in getattr(cls, "permission_classes", [])
}
NARROWED = {
    name: cls
    for name, cls in ROUTES.items()
    if name not in SCOPED and CanViewScopedKPIs in getattr(cls, "permission_classes", [])
}
LISTS = sorted(name for name in SCOPED if name.endswith("-list"))
DETAILS = sorted(name for name in SCOPED if name.endswith("-detail"))
CSV_LISTS = [name for name in LISTS if issubclass(ROUTES[name], CSVListMixin)]
ACTIONS = sorted(
    name
    for name in SCOPED
    if not name.endswith(("-list", "-detail")) and name not in SCOPED_OTHERWISE
)


def test_every_route_is_classified():
    unclassified = (
        set(ROUTES)
        - set(SCOPED)
        - set(REPORTS)
        - set(NARROWED)
        - set(UNSCOPED)
        - set(SCOPED_OTHERWISE)
    )

    assert unclassified == set()
    assert set(UNSCOPED) | set(SCOPED_OTHERWISE) <= set(ROUTES)  # no stale entry
    assert not set(UNSCOPED) & (set(SCOPED) | set(SCOPED_OTHERWISE))
    # The score's backtest measures the model over every customer's history; every other
    # report narrows.
    assert set(REPORTS) == {"risk-backtest"}
    assert set(NARROWED) == set(NARROWED_QUERIES)
    assert {name.rsplit("-", 1)[0] for name in LISTS} == {
        "activity", "adjustment", "application", "credit-hold", "customer", "dispute",
        "invoice", "opportunity", "order", "payment", "playbook-action", "promise",
    }  # fmt: skip


@dataclass
class Book:
    """The rows of one customer, by route prefix."""

    customer: object
    rows: dict


def customer_book(customer) -> Book:
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    payment = PaymentFactory(customer=customer, amount=Decimal("20.00"))
    application = services.apply_payment(payment, invoice, Decimal("20.00"))
    activity = ActivityFactory(customer=customer, invoice=invoice)
    step = PlaybookStep.objects.order_by("pk").first()
    playbook_action = PlaybookAction.objects.create(
        invoice=invoice,
        step=step,
        template=MessageTemplate.objects.order_by("pk").first(),
        variant="champion",
        channel="email",
        activity=activity,
        as_of=date(2026, 1, 23),
    )
    return Book(
        customer,
        {
            "customer": customer,
            "opportunity": OpportunityFactory(customer=customer),
            "order": OrderFactory(customer=customer),
            "invoice": invoice,
            "adjustment": services.add_adjustment(
                invoice,
                kind="credit_note",
                amount=Decimal("5.00"),
                adjustment_date=date(2026, 1, 20),
            ),
            "payment": payment,
            "application": application,
            "dispute": services.open_dispute(
                invoice, reason="pricing", amount=Decimal("10.00"), opened_date=date(2026, 1, 21)
            ),
            "promise": services.create_promise(
                invoice,
                promised_date=date(2026, 2, 1),
                amount=Decimal("30.00"),
                created_date=date(2026, 1, 22),
            ),
            "activity": activity,
            "playbook-action": playbook_action,
            "credit-hold": dunning.place_hold(customer, note="test"),
        },
    )


@pytest.fixture
def books():
    """Three customers: one assigned to the scoped users, one in a rep's book, one of others."""
    other_rep = SalesRepFactory(name="Other Rep")
    return {
        "assigned": customer_book(CustomerFactory(name="Assigned", rep=other_rep)),
        "theirs": customer_book(CustomerFactory(name="Theirs", rep=other_rep)),
    }


def client_for(role: str, scoped: bool, *, assigned=None, api_client):
    user = UserFactory(username=f"{role}-{'scoped' if scoped else 'all'}", role=role)
    if scoped:
        user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    if assigned is not None:
        CustomerAssignment.objects.create(user=user, customer=assigned)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return api_client


@pytest.fixture
def clients(books):
    from rest_framework.test import APIClient

    return {
        (role, scoped): client_for(
            role, scoped, assigned=books["assigned"].customer, api_client=APIClient()
        )
        for role in ROLES
        for scoped in (False, True)
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return sorted(row["id"] for row in response.json()["results"])


def expected(books, resource: str, who: tuple[str, ...]) -> list[int]:
    return sorted(books[name].rows[resource].pk for name in who)


@pytest.mark.parametrize("route", LISTS)
def test_lists_hold_only_the_scoped_users_customers(clients, books, route):
    resource = route.rsplit("-", 1)[0]
    url = f"/api/v1/{ROUTES_PATHS[resource]}/"

    for role in ROLES:
        everything = ids(clients[role, False].get(url, {"limit": 500}))
        own = ids(clients[role, True].get(url, {"limit": 500}))

        assert set(expected(books, resource, ("assigned", "theirs"))) <= set(everything), role
        assert own == expected(books, resource, ("assigned",)), role


@pytest.mark.parametrize("route", CSV_LISTS)
def test_csv_exports_hold_only_the_scoped_users_customers(clients, books, route):
    resource = route.rsplit("-", 1)[0]
    url = f"/api/v1/{ROUTES_PATHS[resource]}/"

    response = clients["viewer", True].get(url, {"format": "csv"})

    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    lines = body.decode().strip().splitlines()[1:]
    assert len(lines) == len(expected(books, resource, ("assigned",)))


@pytest.mark.parametrize("route", DETAILS)
def test_details_of_other_customers_are_404(clients, books, route):
    resource = route.rsplit("-", 1)[0]
    mine, theirs = books["assigned"].rows[resource].pk, books["theirs"].rows[resource].pk
    url = f"/api/v1/{ROUTES_PATHS[resource]}/"

    for role in ROLES:
        assert clients[role, True].get(f"{url}{mine}/").status_code == 200, role
        assert clients[role, True].get(f"{url}{theirs}/").status_code == 404, role
        assert clients[role, False].get(f"{url}{theirs}/").status_code == 200, role


@pytest.mark.parametrize("route", ACTIONS)
def test_actions_on_other_customers_are_404_and_change_nothing(clients, books, route):
    resource, action = route.split("-", 1)
    for prefix in ("credit-hold", "customer", "invoice", "payment", "dispute"):
        if route.startswith(prefix + "-"):
            resource, action = prefix, route[len(prefix) + 1 :]
    theirs = books["theirs"].rows[resource].pk
    before = snapshot()

    response = clients["admin", True].post(
        f"/api/v1/{ROUTES_PATHS[resource]}/{theirs}/{action}/", {}, format="json"
    )

    assert response.status_code == 404, response.content[:300]
    assert snapshot() == before


# Each narrowed report's query over the books' month (January 2026), and its path arguments.
JANUARY = {"start": "2026-01-01", "end": "2026-01-31"}
NARROWED_QUERIES = {
    "kpi-summary": ({}, JANUARY),
    "kpi-aging": ({}, {"as_of": "2026-01-25"}),
    "kpi-reminder-funnel": ({}, JANUARY),
    "kpi-time-to-invoice": ({}, JANUARY),
    "kpi-glossary": ({}, {}),
    "kpi-series-many": ({}, {**JANUARY, "keys": "ar_balance,dso", "interval": "week"}),
    "kpi-series": ({"key": "ar_balance"}, {**JANUARY, "interval": "week"}),
    "kpi-breakdown": ({"key": "ar_balance"}, {**JANUARY, "group_by": "rep"}),
    "kpi-dso-impact": ({}, {**JANUARY, "payment_lag_days": "5", "payment_lag_share": "50"}),
    "forecast": ({}, {"as_of": "2026-01-25"}),
    "forecast-accuracy": ({}, {"as_of": "2026-01-10", "weeks": "2"}),
    "playbook-funnel": ({}, JANUARY),
    "promise-reliability": ({}, {"start": "2026-01-01", "end": "2026-03-31"}),
    "risk-list": ({}, {"as_of": "2026-01-25"}),
    "worklist": ({}, {"as_of": "2026-01-25"}),
}


SCOPE_KEYS = ("scope", "previous_scope", "filters")  # the outlook names its scope `filters`


def without_scope(body):
    """A report's body without the scope it names (a scoped user's has no customer filter)."""
    if isinstance(body, dict):
        return {k: without_scope(v) for k, v in body.items() if k not in SCOPE_KEYS}
    if isinstance(body, list):
        return [without_scope(item) for item in body]
    return body


@pytest.mark.parametrize("route", sorted(NARROWED))
def test_narrowed_reports_hold_only_the_scoped_users_customers(clients, books, route):
    from django.urls import reverse

    kwargs, query = NARROWED_QUERIES[route]
    url = reverse(route, kwargs=kwargs)
    mine, theirs = books["assigned"].customer.pk, books["theirs"].customer.pk

    for role in ROLES:
        narrowed = clients[role, True].get(url, query)
        filtered = clients[role, False].get(url, {**query, "customer": mine})
        everything = clients[role, False].get(url, query)

        # The same report as over exactly their customer (here one: the customer filter).
        assert narrowed.status_code == 200, (role, narrowed.content[:300])
        assert filtered.status_code == everything.status_code == 200, role
        assert without_scope(narrowed.json()) == without_scope(filtered.json()), role
        # Naming another customer: unknown to them, as their lists answer it (the promise
        # reliability, a list per customer, lists nothing).
        other = clients[role, True].get(url, {**query, "customer": theirs})
        if route == "promise-reliability":
            assert other.json() == [], role
        elif route != "kpi-glossary":
            assert other.status_code == 422, (role, other.content[:300])
            assert other.json()["errors"][0]["code"] == "unknown_customer"


def test_a_scoped_kpi_summary_counts_only_their_customers(clients, books):
    # Each book: an invoice of 100.00 issued 1 Jan 2026, 20.00 applied, a 5.00 credit note.
    narrowed = clients["collector", True].get("/api/v1/kpis/", JANUARY).json()["kpis"]
    everything = clients["collector", False].get("/api/v1/kpis/", JANUARY).json()["kpis"]

    assert (narrowed["credit_sales"]["value"], narrowed["ar_balance"]["value"]) == (
        "100.00",
        "75.00",
    )
    assert (everything["credit_sales"]["value"], everything["ar_balance"]["value"]) == (
        "200.00",
        "150.00",
    )


@pytest.mark.parametrize("route", sorted(REPORTS))
def test_reports_over_every_customer_are_refused_to_scoped_users(clients, route):
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse(route)
    except NoReverseMatch:
        url = reverse(route, kwargs={"key": "dso"})

    for role in ROLES:
        refused = clients[role, True].get(url)
        assert refused.status_code == 403, (role, refused.content[:200])
        assert refused.json()["errors"][0]["code"] == "permission_denied"
        assert clients[role, False].get(url).status_code != 403, role


def test_a_scoped_write_cannot_name_another_customers_invoice(clients, books):
    theirs = books["theirs"].rows["invoice"]
    before = snapshot()

    response = clients["collector", True].post(
        "/api/v1/disputes/",
        {"invoice": theirs.pk, "reason": "pricing", "amount": "1.00", "opened_date": "2026-02-01"},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "does_not_exist"
    assert snapshot() == before


def test_a_rep_sees_the_customers_of_their_book():
    from rest_framework.test import APIClient

    user = UserFactory(username="rep-user", role="viewer")
    user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    rep = SalesRepFactory(name="Mine", user=user)
    mine = CustomerFactory(name="In my book", rep=rep)
    CustomerFactory(name="Not mine", rep=SalesRepFactory(name="Other"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")

    assert ids(client.get("/api/v1/customers/")) == [mine.pk]


def test_scoped_lists_cost_the_same_queries_at_two_sizes(clients, books):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = clients["viewer", True]
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/invoices/")
    for _ in range(3):
        InvoiceFactory(customer=books["assigned"].customer)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/api/v1/invoices/")

    assert response.json()["count"] == 4
    assert len(large) == len(small)


# --- Writes that name customers in their body -----------------------------------------------


def with_external_ids(books) -> None:
    for name, book in books.items():
        book.customer.external_id = f"ERP-{name}"
        book.customer.save(update_fields=["external_id"])


def payment_body(customer, **fields) -> dict:
    return {"customer": customer.pk, "amount": "7.00", "received_date": "2026-02-02", **fields}


@pytest.mark.parametrize(
    "naming",
    [
        lambda c: {"customer": c.pk},
        lambda c: {"customer_external_id": c.external_id},
    ],
    ids=["id", "external_id"],
)
def test_a_payment_for_another_customer_is_refused_and_nothing_stored(clients, books, naming):
    with_external_ids(books)
    theirs = books["theirs"].customer
    body = {**naming(theirs), "amount": "7.00", "received_date": "2026-02-02"}
    before = snapshot()

    refused = clients["integration", True].post("/api/v1/payments/", body, format="json")

    assert refused.status_code == 422, refused.content[:300]
    assert refused.json()["errors"] == [
        {
            "code": "does_not_exist",
            "field": next(iter(naming(theirs))),
            "message": "No such customer.",
        }
    ]
    assert snapshot() == before
    mine = clients["integration", True].post(
        "/api/v1/payments/", {**body, **naming(books["assigned"].customer)}, format="json"
    )
    assert mine.status_code == 201, mine.content[:300]
    unscoped = clients["integration", False].post("/api/v1/payments/", body, format="json")
    assert unscoped.status_code == 201, unscoped.content[:300]


def test_a_bulk_post_refuses_only_the_items_of_other_customers(clients, books):
    from receivables.models import Payment

    with_external_ids(books)
    mine, theirs = books["assigned"].customer, books["theirs"].customer
    items = [
        payment_body(mine, external_id="B-1"),
        payment_body(theirs, external_id="B-2"),
        {
            "customer_external_id": theirs.external_id,
            "amount": "3.00",
            "received_date": "2026-02-02",
        },
        payment_body(mine, external_id="B-4"),
    ]
    before = Payment.objects.count()

    response = clients["integration", True].post(
        "/api/v1/payments/bulk/", {"items": items}, format="json"
    )

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert (body["created"], body["duplicates"], body["failed"]) == (2, 0, 2)
    assert [r["status"] for r in body["results"]] == ["created", "error", "error", "created"]
    assert body["results"][1]["errors"] == [
        {"code": "does_not_exist", "field": "customer", "message": "No such customer."}
    ]
    assert body["results"][2]["errors"] == [
        {"code": "does_not_exist", "field": "customer_external_id", "message": "No such customer."}
    ]
    assert Payment.objects.count() == before + 2
    assert set(
        Payment.objects.filter(external_id__startswith="B-").values_list("customer", flat=True)
    ) == {mine.pk}


def test_an_atomic_bulk_post_naming_another_customer_stores_nothing(clients, books):
    items = [payment_body(books["assigned"].customer), payment_body(books["theirs"].customer)]
    before = snapshot()

    response = clients["integration", True].post(
        "/api/v1/payments/bulk/?atomic=true", {"items": items}, format="json"
    )

    assert response.status_code == 422  # does_not_exist: the records decide
    assert [r["status"] for r in response.json()["results"]] == ["rolled_back", "error"]
    assert response.json()["errors"][0]["code"] == "does_not_exist"
    assert snapshot() == before


@pytest.mark.parametrize("by", ["invoice", "invoice_number"])
def test_cash_cannot_be_applied_to_another_customers_invoice(clients, books, by):
    payment = books["assigned"].rows["payment"]
    theirs = books["theirs"].rows["invoice"]
    payment.refresh_from_db()
    value = theirs.pk if by == "invoice" else theirs.number
    before = snapshot()

    response = clients["integration", True].post(
        f"/api/v1/payments/{payment.pk}/apply/", {by: value, "amount": "1.00"}, format="json"
    )

    assert response.status_code == 422, response.content[:300]
    assert response.json()["errors"][0]["code"] == "does_not_exist"
    assert response.json()["errors"][0]["field"] == by
    assert snapshot() == before


def test_another_customers_application_cannot_be_unapplied(clients, books):
    mine, theirs = books["assigned"].rows["payment"], books["theirs"].rows["payment"]
    application = books["theirs"].rows["application"]
    before = snapshot()

    through_mine = clients["integration", True].post(
        f"/api/v1/payments/{mine.pk}/unapply/", {"application": application.pk}, format="json"
    )
    through_theirs = clients["integration", True].post(
        f"/api/v1/payments/{theirs.pk}/unapply/", {"application": application.pk}, format="json"
    )

    assert through_mine.status_code == 422
    assert through_mine.json()["errors"][0]["code"] == "does_not_exist"
    assert through_theirs.status_code == 404
    assert snapshot() == before


def overdue_for_every_book(books) -> None:
    """An invoice 90 days past due for each customer: the overdue rule holds them all."""
    from datetime import timedelta

    from django.utils import timezone

    due = timezone.localdate() - timedelta(days=90)
    for book in books.values():
        InvoiceFactory(customer=book.customer, issue_date=due - timedelta(days=30), due_date=due)
    dunning.lift_hold(books["assigned"].customer, note="start clean")
    dunning.lift_hold(books["theirs"].customer, note="start clean")


def test_credit_hold_evaluation_reaches_only_the_users_customers(clients, books):
    overdue_for_every_book(books)

    response = clients["admin", True].post("/api/v1/credit-holds/evaluate/", {}, format="json")

    assert response.status_code == 200, response.content[:300]
    assert response.json()["placed"] == [books["assigned"].customer.pk]
    books["theirs"].customer.refresh_from_db()
    assert books["theirs"].customer.on_credit_hold is False
    everyone = clients["admin", False].post("/api/v1/credit-holds/evaluate/", {}, format="json")
    assert books["theirs"].customer.pk in everyone.json()["placed"]


ROUTES_PATHS = {
    "activity": "activities",
    "adjustment": "adjustments",
    "application": "applications",
    "credit-hold": "credit-holds",
    "customer": "customers",
    "dispute": "disputes",
    "invoice": "invoices",
    "opportunity": "opportunities",
    "order": "orders",
    "payment": "payments",
    "playbook-action": "playbook-actions",
    "promise": "promises",
}
