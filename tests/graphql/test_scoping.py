"""Object-level scoping in GraphQL (accounts.scoping): every root field, from the schema.

Each root field is a list or object of a customer-bound type (narrowed for a scoped user), a
report narrowed to a scoped user's customers, a report over every customer (the risk
backtest: refused to a scoped user), or in `UNSCOPED` with its reason; a new field that is
none of these fails `test_every_root_field_is_classified`.
"""

import pytest
from django.contrib.auth.models import Group
from strawberry.utils.str_converters import to_camel_case

from accounts.models import CustomerAssignment
from accounts.scoping import SCOPED_GROUP
from o2c_api.schema import schema
from tests.api.conftest import snapshot
from tests.api.test_scoping import books, customer_book  # noqa: F401 (fixtures)
from tests.factories import UserFactory
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

ROLES = ("viewer", "collector", "integration", "admin")

# Root list field -> (object field, the book's row key).
SCOPED_LISTS = {
    "customers": ("customer", "customer"),
    "opportunities": ("opportunity", "opportunity"),
    "orders": ("order", "order"),
    "invoices": ("invoice", "invoice"),
    "adjustments": ("adjustment", "adjustment"),
    "payments": ("payment", "payment"),
    "paymentApplications": ("paymentApplication", "application"),
    "disputes": ("dispute", "dispute"),
    "promises": ("promise", "promise"),
    "activities": ("activity", "activity"),
    "playbookActions": (None, "playbook-action"),
    "creditHolds": ("creditHold", "credit-hold"),
}
# Reports narrowed to a scoped user's customers, with the arguments of the test's query.
NARROWED = {
    "kpis": 'start: "2026-01-01", end: "2026-01-31"',
    "kpiSeries": 'key: AR_BALANCE, start: "2026-01-01", end: "2026-01-31", interval: WEEK',
    "kpiSeriesMany": 'keys: [AR_BALANCE, DSO], start: "2026-01-01", end: "2026-01-31"',
    "kpiBreakdown": 'key: AR_BALANCE, groupBy: REP, start: "2026-01-01", end: "2026-01-31"',
    "aging": 'asOf: "2026-01-25"',
    "reminderFunnel": 'start: "2026-01-01", end: "2026-01-31"',
    "timeToInvoice": 'start: "2026-01-01", end: "2026-01-31"',
    "kpiGlossary": "",
    "dsoImpact": 'start: "2026-01-01", end: "2026-01-31", paymentLagDays: "5", '
    'paymentLagShare: "50"',
    "cashForecast": 'asOf: "2026-01-25"',
    "forecastAccuracy": 'asOf: "2026-01-10", weeks: 2',
    "playbookFunnel": 'start: "2026-01-01", end: "2026-01-31"',
    "promiseReliability": 'start: "2026-01-01", end: "2026-03-31"',
    "risk": 'asOf: "2026-01-25"',
    "worklist": 'asOf: "2026-01-25"',
}
# The score's backtest measures the model over every customer's history: refused to a scoped
# user.
REPORTS = {"riskBacktest"}
UNSCOPED = {
    "segment": "segments are not customer data",
    "segments": "segments are not customer data",
    "salesRep": "sales reps are not customer data",
    "salesReps": "sales reps are not customer data",
    "annotation": "dashboard notes by rep/segment",
    "annotations": "dashboard notes by rep/segment",
    "huddleAction": "huddle to-dos",
    "huddleActions": "huddle to-dos",
    "messageTemplates": "dunning templates",
    "playbookSteps": "dunning configuration",
    "creditHoldRules": "dunning configuration",
}
# Customer-scoped root fields that are not a plain list of one customer-bound type.
SCOPED_OTHERWISE = {
    "events": "tests/integrations/test_scoping.py (their customers' events)",
    "webhookSubscriptions": "tests/integrations/test_scoping.py (their subscriptions)",
    "webhookDeliveries": "tests/integrations/test_scoping.py (their deliveries)",
}
OBJECTS = {single for single, _ in SCOPED_LISTS.values() if single}


def root_fields() -> set[str]:
    return set(schema._schema.query_type.fields)


def test_every_root_field_is_classified():
    classified = (
        set(SCOPED_LISTS)
        | OBJECTS
        | REPORTS
        | set(NARROWED)
        | set(UNSCOPED)
        | set(SCOPED_OTHERWISE)
    )

    assert root_fields() - classified == set()
    assert classified - root_fields() == set()


@pytest.fixture
def post(books):  # noqa: F811
    from rest_framework.test import APIClient

    clients = {}
    for role in ROLES:
        for scoped in (False, True):
            user = UserFactory(username=f"gql-{role}-{scoped}", role=role)
            if scoped:
                user.groups.add(Group.objects.get(name=SCOPED_GROUP))
            CustomerAssignment.objects.create(user=user, customer=books["assigned"].customer)
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
            clients[role, scoped] = client

    def run(role, scoped, query, variables=None):
        response = clients[role, scoped].post(
            "/graphql/", {"query": query, "variables": variables or {}}, format="json"
        )
        assert response.status_code == 200, response.content[:300]
        return response.json()

    return run


@pytest.mark.parametrize("field", sorted(SCOPED_LISTS))
def test_lists_hold_only_the_scoped_users_customers(post, books, field):  # noqa: F811
    _, key = SCOPED_LISTS[field]
    query = f"{{ {field}(pagination: {{limit: 500}}) {{ results {{ id }} }} }}"

    for role in ROLES:
        own = post(role, True, query)
        everything = post(role, False, query)

        assert [int(r["id"]) for r in own["data"][field]["results"]] == [
            books["assigned"].rows[key].pk
        ], role
        got = {int(r["id"]) for r in everything["data"][field]["results"]}
        assert {books["assigned"].rows[key].pk, books["theirs"].rows[key].pk} <= got, role


@pytest.mark.parametrize("field", sorted(OBJECTS))
def test_single_objects_of_other_customers_are_not_found(post, books, field):  # noqa: F811
    key = next(k for single, k in SCOPED_LISTS.values() if single == field)
    query = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"

    for role in ROLES:
        theirs = post(role, True, query, {"id": books["theirs"].rows[key].pk})
        mine = post(role, True, query, {"id": books["assigned"].rows[key].pk})

        assert theirs["data"] is None or theirs["data"][field] is None, role
        assert mine["data"][field] == {"id": str(books["assigned"].rows[key].pk)}, role


def test_nested_lists_hold_only_the_scoped_users_rows(post, books):  # noqa: F811
    query = "{ customers { results { id invoices { results { id } } } } }"

    answer = post("viewer", True, query)

    assert answer["data"]["customers"]["results"] == [
        {
            "id": str(books["assigned"].customer.pk),
            "invoices": {"results": [{"id": str(books["assigned"].rows["invoice"].pk)}]},
        }
    ]


# Arguments a report cannot go without.
REPORT_ARGS = {
    "kpiSeries": "(key: AR_BALANCE)",
    "kpiSeriesMany": "(keys: [AR_BALANCE])",
    "kpiBreakdown": "(key: AR_BALANCE, groupBy: REP)",
}


@pytest.mark.parametrize("field", sorted(REPORTS))
def test_reports_are_refused_to_scoped_users(post, field):
    from graphql import GraphQLObjectType

    named = schema._schema.query_type.fields[field].type
    while hasattr(named, "of_type"):
        named = named.of_type
    selection = " { __typename }" if isinstance(named, GraphQLObjectType) else ""
    query = f"{{ {field}{REPORT_ARGS.get(field, '')}{selection} }}"

    refused = post("viewer", True, query)
    allowed = post("viewer", False, query)

    assert refused["errors"][0]["extensions"]["code"] == "permission_denied"
    assert "errors" not in allowed, allowed


def selection_of(type_) -> str:
    """Every leaf field of an output type, nested: the whole report."""
    from graphql import GraphQLObjectType

    while hasattr(type_, "of_type"):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLObjectType):
        return ""
    names = [
        f"{name}{selection_of(field.type)}"
        for name, field in type_.fields.items()
        if name not in ("scope", "previousScope", "filters")
    ]
    return " { " + " ".join(names) + " }"


def report_query(field: str, extra: str = "") -> str:
    arguments = ", ".join(a for a in (NARROWED[field], extra) if a)
    selection = selection_of(schema._schema.query_type.fields[field].type)
    return f"{{ {field}{f'({arguments})' if arguments else ''}{selection} }}"


@pytest.mark.parametrize("field", sorted(NARROWED))
def test_narrowed_reports_hold_only_the_scoped_users_customers(post, books, field):  # noqa: F811
    mine, theirs = books["assigned"].customer.pk, books["theirs"].customer.pk
    customer = "" if field == "kpiGlossary" else f'customer: "{mine}"'

    for role in ROLES:
        narrowed = post(role, True, report_query(field))
        filtered = post(role, False, report_query(field, customer))

        # The same report as over exactly their customer (one here: the customer argument).
        assert "errors" not in narrowed, (role, narrowed)
        assert "errors" not in filtered, (role, filtered)
        assert narrowed["data"] == filtered["data"], role
    if field not in ("kpiGlossary", "promiseReliability"):
        other = post("viewer", True, report_query(field, f'customer: "{theirs}"'))
        assert other["errors"][0]["extensions"]["code"] == "unknown_customer"


def test_a_scoped_users_kpis_agree_with_rest(post, books):  # noqa: F811
    from rest_framework.test import APIClient

    user = UserFactory(username="gql-viewer-True")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    rest = client.get("/api/v1/kpis/", {"start": "2026-01-01", "end": "2026-01-31"}).json()

    graphql = post("viewer", True, report_query("kpis"))["data"]["kpis"]

    assert rest["kpis"]["ar_balance"]["value"] == graphql["arBalance"]["value"] == "75.00"
    assert rest["kpis"]["credit_sales"]["value"] == graphql["creditSales"]["value"] == "100.00"
    for key, kpi in rest["kpis"].items():
        assert graphql[to_camel_case(key)]["value"] == kpi["value"], key
        assert graphql[to_camel_case(key)]["previous"] == kpi["previous"], key
    assert graphql["whatChanged"] == rest["what_changed"]
    assert graphql["currencies"] == rest["currencies"] == ["USD"]


def test_a_mutation_on_another_customers_invoice_is_not_found(post, books):  # noqa: F811
    theirs = books["theirs"].rows["invoice"]
    before = snapshot()
    query = """mutation($id: ID!) { voidInvoice(id: $id) {
        ... on OperationInfo { messages { code } } ... on InvoiceType { status } } }"""

    answer = post("integration", True, query, {"id": theirs.pk})

    assert answer["data"]["voidInvoice"] == {"messages": [{"code": "not_found"}]}
    assert snapshot() == before


# --- Writes that name customers: the same refusals and codes as REST ------------------------

POST_PAYMENT = """mutation($data: PaymentPostingInput!) { postPayment(data: $data) {
    ... on OperationInfo { messages { code field message } }
    ... on PaymentPosting { payment { customer { id } } } } }"""
POST_PAYMENTS = """mutation($items: [PaymentPostingInput!]!, $atomic: Boolean!) {
    postPayments(items: $items, atomic: $atomic) {
    ... on BulkPosting { created failed rolledBack results { status errors { code field } } } } }"""


def posting(customer, **fields) -> dict:
    return {"customer": customer.pk, "amount": "7.00", "receivedDate": "2026-02-02", **fields}


def test_a_payment_for_another_customer_is_refused_and_nothing_stored(post, books):  # noqa: F811
    before = snapshot()

    refused = post("integration", True, POST_PAYMENT, {"data": posting(books["theirs"].customer)})

    assert refused["data"]["postPayment"] == {
        "messages": [
            {"code": "does_not_exist", "field": "customer", "message": "No such customer."}
        ]
    }
    assert snapshot() == before
    mine = post("integration", True, POST_PAYMENT, {"data": posting(books["assigned"].customer)})
    assert mine["data"]["postPayment"]["payment"]["customer"]["id"] == str(
        books["assigned"].customer.pk
    )


def test_a_bulk_post_refuses_only_the_items_of_other_customers(post, books):  # noqa: F811
    from receivables.models import Payment

    mine, theirs = books["assigned"].customer, books["theirs"].customer
    items = [posting(mine, externalId="G-1"), posting(theirs, externalId="G-2")]
    before = Payment.objects.count()

    answer = post("integration", True, POST_PAYMENTS, {"items": items, "atomic": False})

    assert answer["data"]["postPayments"] == {
        "created": 1,
        "failed": 1,
        "rolledBack": False,
        "results": [
            {"status": "created", "errors": []},
            {"status": "error", "errors": [{"code": "does_not_exist", "field": "customer"}]},
        ],
    }
    assert Payment.objects.count() == before + 1
    assert Payment.objects.get(external_id="G-1").customer_id == mine.pk


def test_an_atomic_bulk_post_naming_another_customer_stores_nothing(post, books):  # noqa: F811
    items = [posting(books["assigned"].customer), posting(books["theirs"].customer)]
    before = snapshot()

    answer = post("integration", True, POST_PAYMENTS, {"items": items, "atomic": True})

    assert answer["data"]["postPayments"]["rolledBack"] is True
    assert [r["status"] for r in answer["data"]["postPayments"]["results"]] == [
        "rolled_back",
        "error",
    ]
    assert snapshot() == before


def test_cash_cannot_be_applied_to_another_customers_invoice(post, books):  # noqa: F811
    query = """mutation($data: ApplicationInput!) { applyPayment(data: $data) {
        ... on OperationInfo { messages { code field } } ... on ApplicationType { id } } }"""
    data = {
        "payment": books["assigned"].rows["payment"].pk,
        "invoice": books["theirs"].rows["invoice"].pk,
        "amount": "1.00",
    }
    before = snapshot()

    answer = post("integration", True, query, {"data": data})

    assert answer["data"]["applyPayment"] == {
        "messages": [{"code": "does_not_exist", "field": "invoice"}]
    }
    assert snapshot() == before


def test_another_customers_application_cannot_be_unapplied(post, books):  # noqa: F811
    query = """mutation($id: ID!) { unapplyPayment(id: $id) {
        ... on OperationInfo { messages { code } } ... on PaymentType { id } } }"""
    before = snapshot()

    answer = post("integration", True, query, {"id": books["theirs"].rows["application"].pk})

    assert answer["data"]["unapplyPayment"] == {"messages": [{"code": "not_found"}]}
    assert snapshot() == before


def test_credit_hold_evaluation_reaches_only_the_users_customers(post, books):  # noqa: F811
    from tests.api.test_scoping import overdue_for_every_book

    overdue_for_every_book(books)
    query = "mutation { evaluateCreditHolds { ... on HoldChangesType { placed } } }"

    answer = post("admin", True, query)

    assert answer["data"]["evaluateCreditHolds"] == {"placed": [str(books["assigned"].customer.pk)]}
    books["theirs"].customer.refresh_from_db()
    assert books["theirs"].customer.on_credit_hold is False


def test_record_payment_for_another_customer_is_refused(post, books):  # noqa: F811
    query = """mutation($data: PaymentInput!) { recordPayment(data: $data) {
        ... on OperationInfo { messages { code field } } ... on PaymentType { id } } }"""
    before = snapshot()

    answer = post("integration", True, query, {"data": posting(books["theirs"].customer)})

    assert answer["data"]["recordPayment"] == {
        "messages": [{"code": "does_not_exist", "field": "customer"}]
    }
    assert snapshot() == before
