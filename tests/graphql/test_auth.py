"""Who may do what over GraphQL: REST's roles, token auth without CSRF, sessions with CSRF."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Customer
from receivables.models import CollectionActivity, Invoice, PromiseToPay
from tests.conftest import ROLES
from tests.factories import InvoiceFactory, UserFactory
from tests.tokens import token_for, token_header

LIST_FIELDS = [
    "segments",
    "salesReps",
    "customers",
    "opportunities",
    "orders",
    "invoices",
    "adjustments",
    "payments",
    "paymentApplications",
    "disputes",
    "promises",
    "activities",
]
OBJECT_FIELDS = [
    "segment",
    "salesRep",
    "customer",
    "opportunity",
    "order",
    "invoice",
    "adjustment",
    "payment",
    "paymentApplication",
    "dispute",
    "promise",
    "activity",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("field", LIST_FIELDS)
def test_every_role_reads_every_list(gql, role, field):
    assert gql(f"{{ {field} {{ totalCount }} }}", role=role) == {"data": {field: {"totalCount": 0}}}


@pytest.mark.parametrize("field", LIST_FIELDS + OBJECT_FIELDS)
def test_anonymous_gets_errors_and_no_data(gql, field):
    selection = "{ totalCount }" if field in LIST_FIELDS else '(id: "1") { id }'

    answer = gql(f"{{ {field} {selection} }}", role=None)

    # A list is non-null, so the whole `data` is null; a single object is nullable.
    assert answer["data"] == (None if field in LIST_FIELDS else {field: None})
    assert answer["errors"][0]["extensions"] == {"code": "not_authenticated"}


def test_user_without_a_role_is_refused(make_client):
    client = make_client(None)
    user = UserFactory(username="no-role")
    client.force_authenticate(user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")

    answer = client.post("/graphql/", {"query": "{ invoices { totalCount } }"}, format="json")

    assert answer.json()["data"] is None
    assert answer.json()["errors"][0]["extensions"] == {"code": "permission_denied"}


CREATE_INVOICE = """mutation($customer: ID!) {
  createInvoice(data: {customer: $customer, number: "INV-NEW", issueDate: "2026-01-01",
                       amount: "10.00"}) {
    __typename
  }
}"""
CREATE_PROMISE = """mutation($invoice: ID!) {
  createPromise(data: {invoice: $invoice, promisedDate: "2026-12-31", amount: "5.00",
                       createdDate: "2026-01-02"}) {
    __typename
  }
}"""
CREATE_ACTIVITY = """mutation($customer: ID!) {
  createActivity(data: {customer: $customer, kind: "call", occurredAt: "2026-01-02T10:00:00Z"}) {
    __typename
  }
}"""
CREATE_CUSTOMER = """mutation { createCustomer(data: {name: "New Co"}) { __typename } }"""

# (mutation, variables(invoice), model whose rows it adds, roles allowed)
WRITES = [
    pytest.param(
        CREATE_INVOICE,
        lambda inv: {"customer": str(inv.customer_id)},
        Invoice,
        {"integration", "admin"},
        id="createInvoice",
    ),
    pytest.param(
        CREATE_CUSTOMER, lambda inv: {}, Customer, {"integration", "admin"}, id="createCustomer"
    ),
    pytest.param(
        CREATE_PROMISE,
        lambda inv: {"invoice": str(inv.pk)},
        PromiseToPay,
        {"collector", "integration", "admin"},
        id="createPromise",
    ),
    pytest.param(
        CREATE_ACTIVITY,
        lambda inv: {"customer": str(inv.customer_id)},
        CollectionActivity,
        {"collector", "integration", "admin"},
        id="createActivity",
    ),
]


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize(("mutation", "variables", "model", "allowed"), WRITES)
def test_mutations_follow_the_roles(gql, role, mutation, variables, model, allowed):
    # Given an invoice to write about
    invoice = InvoiceFactory(amount=Decimal("100.00"), issue_date=date(2026, 1, 1))
    before = model.objects.count()

    # When the role runs the mutation
    answer = gql(mutation, variables(invoice), role=role)

    # Then it succeeds for the allowed roles; the others get an error and nothing changes
    if role in allowed:
        assert "errors" not in answer
        assert next(iter(answer["data"].values()))["__typename"] != "OperationInfo"
        assert model.objects.count() == before + 1
    else:
        assert answer["data"] is None
        code = "permission_denied" if role else "not_authenticated"
        assert answer["errors"][0]["extensions"] == {"code": code}
        assert model.objects.count() == before


# --- Authentication and CSRF --------------------------------------------------------------

QUERY = {"query": "{ segments { totalCount } }"}
MUTATION = {"query": CREATE_CUSTOMER}


@pytest.fixture
def session_client(db):
    """A browser: logged in by session cookie, CSRF checks enforced as in production."""
    user = UserFactory(username="browser", role="admin")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_session_post_without_csrf_token_is_refused(session_client):
    response = session_client.post("/graphql/", MUTATION, content_type="application/json")

    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_session_post_with_csrf_token_runs(session_client):
    # What a page served by Django gives the browser: the cookie and the same secret to echo.
    token = "k" * 32
    session_client.cookies["csrftoken"] = token

    response = session_client.post(
        "/graphql/", MUTATION, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"createCustomer": {"__typename": "CustomerType"}}}
    assert Customer.objects.get().name == "New Co"


def test_session_query_over_get_needs_no_csrf_token(session_client):
    response = session_client.get("/graphql/", QUERY)

    assert response.json() == {"data": {"segments": {"totalCount": 0}}}


def test_mutation_over_get_is_refused(session_client):
    response = session_client.get("/graphql/", MUTATION)

    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_token_request_needs_no_csrf_token(db):
    user = UserFactory(username="integration-bot", role="integration")
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/graphql/",
        MUTATION,
        content_type="application/json",
        **token_header(user),
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"createCustomer": {"__typename": "CustomerType"}}}


@pytest.mark.parametrize("header", ["Token nope", "Token", "Token a b"])
def test_bad_token_is_401(db, header):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/graphql/", QUERY, content_type="application/json", HTTP_AUTHORIZATION=header
    )

    assert response.status_code == 401
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"] == {"code": "authentication_failed"}


@pytest.fixture
def customers_only(db):
    """A token client whose user may view customers and nothing else."""
    from django.contrib.auth.models import Permission
    from rest_framework.test import APIClient

    user = UserFactory(username="customers-only")
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.mark.parametrize(
    "selection",
    [
        pytest.param("invoices { totalCount }", id="reverse-list"),
        pytest.param("segment { code }", id="forward-key"),
    ],
)
def test_nested_relations_need_their_own_view_permission(customers_only, selection):
    # Given a customer with a segment and an invoice
    InvoiceFactory()

    # When a user who may only view customers reaches into another model
    response = customers_only.post(
        "/graphql/", {"query": f"{{ customers {{ results {{ name {selection} }} }} }}"}, "json"
    )

    # Then that field is refused with REST's code (and its non-null parents are nulled)
    answer = response.json()
    assert answer["errors"][0]["extensions"] == {"code": "permission_denied"}
    assert answer["errors"][0]["path"][-1] == selection.split()[0]


def test_customers_only_user_reads_customers(customers_only):
    InvoiceFactory(customer__name="Acme")

    response = customers_only.post(
        "/graphql/", {"query": "{ customers { results { name } } }"}, "json"
    )

    assert response.json() == {"data": {"customers": {"results": [{"name": "Acme"}]}}}
